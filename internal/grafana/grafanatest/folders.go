package grafanatest

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Folders: reference §5. Folders share the dashboards' id sequence and uid
// space (state.go). With nested folders off (10.x without the toggle) every
// folder is at the root: parentUid is ignored on create and move is 404.

// Folder depth (audit row 40): Grafana allows a root folder plus
// MaxNestedFolderDepth nested levels, 4 by default, configurable up to 7
// ([folder] max_nested_folder_depth, grafana PR #118592). A root folder is
// level 1, so by default level 5 is the deepest. folderimpl/folder.go
// validateParent refuses a parent with len(ancestors) >= 4; Move refuses
// when height+len(parents of the new parent)+1 > 4.
const (
	defaultMaxNestedFolderDepth = 4
	maxMaxNestedFolderDepth     = 7
	// folderCycleGuard bounds ancestor walks, which a corrupt store could loop.
	folderCycleGuard = 2 * (maxMaxNestedFolderDepth + 1)
)

const (
	folderNotFound   = "folder not found"
	folderVersionMsg = "the folder has been changed by someone else"
	nestedOffMsg     = "To use this service, you need to activate nested folder feature."
)

func (e *Emulator) folderRoutes() {
	e.read("GET /api/folders", e.listFolders)
	e.read("GET /api/folders/{uid}", e.getFolder)
	e.write("POST /api/folders", e.createFolder)
	e.write("PUT /api/folders/{uid}", e.updateFolder)
	e.write("POST /api/folders/{uid}/move", e.moveFolder)
	e.write("DELETE /api/folders/{uid}", e.deleteFolder)
	e.read("GET /api/folders/{uid}/counts", e.folderCounts)
	e.permissionRoutes()
}

// §5.1: direct children of the root or of parentUid, sorted by title, paged.
// Only folders the caller can see at the asked permission are listed.
func (e *Emulator) listFolders(c *call) {
	q := c.r.URL.Query()
	limit := positiveInt(q.Get("limit"), 1000)
	page := positiveInt(q.Get("page"), 1)
	need := permView
	if q.Get("permission") == "Edit" {
		need = permEdit
	}
	o := c.org()
	parent := ""
	if e.nested {
		// "general" names the root here as in search (§4); not in the reference.
		if p := q.Get("parentUid"); p != "" && p != "general" {
			if o.folders[p] == nil {
				errStatus(c.w, http.StatusNotFound, "not-found", folderNotFound)
				return
			}
			parent = p
		}
	}
	out := []map[string]any{}
	for _, f := range e.childFolders(o, parent) {
		if c.folderAccess(f) < need {
			continue
		}
		item := map[string]any{"id": f.id, "uid": f.uid, "title": f.title}
		if e.nested && f.parentUID != "" {
			item["parentUid"] = f.parentUID
		}
		out = append(out, item)
	}
	start, end := pageBounds(len(out), page, limit)
	writeJSON(c.w, http.StatusOK, out[start:end])
}

// §5.2. "general" is the virtual root folder.
func (e *Emulator) getFolder(c *call) {
	uid := c.r.PathValue("uid")
	if uid == "general" {
		writeJSON(c.w, http.StatusOK, e.generalFolderDTO(c))
		return
	}
	if f := folderParam(c, permView, "folders:read"); f != nil {
		writeJSON(c.w, http.StatusOK, e.folderDTO(c, f))
	}
}

// folderParam resolves {uid} for a caller who needs permission need on the
// folder. The RBAC 403 naming action comes first, judged on the role alone
// for an unknown folder, as Grafana's middleware runs before the lookup; then
// 404. nil means it has answered.
func folderParam(c *call, need int, action string) *folder {
	f := c.org().folders[c.r.PathValue("uid")]
	if c.folderAccess(f) < need {
		errAccessDenied(c.w, action)
		return nil
	}
	if f == nil {
		errStatus(c.w, http.StatusNotFound, "not-found", folderNotFound)
		return nil
	}
	return f
}

type createFolderRequest struct {
	UID         string `json:"uid"`
	Title       string `json:"title"`
	Description string `json:"description"`
	ParentUID   string `json:"parentUid"`
}

// §5.3, validation in the reference's order. Creating needs Editor, or Edit
// on the parent folder; like Grafana's middleware, a caller with Edit nowhere
// is refused before the body is read.
func (e *Emulator) createFolder(c *call) {
	o := c.org()
	if !c.editsSomeFolder() {
		errAccessDenied(c.w, "folders:create")
		return
	}
	var req createFolderRequest
	if !decodeBody(c.w, c.r, &req) {
		return
	}
	if !e.nested {
		req.ParentUID = ""
	}
	parent := o.folders[req.ParentUID]
	if c.folderAccess(parent) < permEdit {
		errAccessDenied(c.w, "folders:create")
		return
	}
	title := strings.TrimSpace(req.Title)
	if title == "" {
		errMessage(c.w, http.StatusBadRequest, "folder title cannot be empty")
		return
	}
	if msg := uidProblem(req.UID); msg != "" {
		errMessage(c.w, http.StatusBadRequest, msg)
		return
	}
	if req.ParentUID != "" && parent == nil {
		errStatus(c.w, http.StatusNotFound, "not-found", folderNotFound)
		return
	}
	if e.folderLevel(o, req.ParentUID)+1 > e.maxFolderLevel(false) {
		errMaxDepth(c.w)
		return
	}
	if req.UID != "" && (o.folders[req.UID] != nil || o.dashboards[req.UID] != nil) {
		e.errDuplicateFolderUID(c.w, o.dashboards[req.UID] != nil)
		return
	}
	if status, msg := e.titleClash(o, "", req.ParentUID, title); status != 0 {
		errMessage(c.w, status, msg)
		return
	}
	uid := req.UID
	if uid == "" {
		uid = e.uids.next()
	}
	f := e.addFolderLocked(o, uid, title, req.Description, req.ParentUID, c.id.user)
	writeJSON(c.w, http.StatusOK, e.folderDTO(c, f))
}

// uidProblem is the 400 message for an unusable folder uid, or "" (§5.3, §12).
func uidProblem(uid string) string {
	if msg := uidFormatProblem(uid); msg != "" {
		return msg
	}
	if uid == "general" || uid == "sharedwithme" {
		return "invalid uid for folder provided"
	}
	return ""
}

// errDuplicateFolderUID answers a create whose uid is taken (audit rows 41,
// 42). A folder's uid: the folder save runs ValidateDashboardBeforeSave,
// where the new folder's version 0 differs from the stored one, and
// toFolderError turns ErrDashboardVersionMismatch into 412 version-mismatch
// (folderimpl/folder.go id 25713309, apierrors/folder.go id 81315273). A
// dashboard's uid: ErrDashboardTypeMismatch, 400, up to 11.x; 12.x was not
// determined and keeps the 412.
func (e *Emulator) errDuplicateFolderUID(w http.ResponseWriter, ofDashboard bool) {
	if ofDashboard && e.version.FolderUIDOfDashboardIsTypeMismatch() {
		errMessage(w, http.StatusBadRequest, "Dashboard cannot be changed to a folder")
		return
	}
	errStatus(w, http.StatusPreconditionFailed, "version-mismatch", folderVersionMsg)
}

// maxFolderLevel is the deepest level a folder may sit at (a root folder is
// level 1): the configured nested depth plus the root folder, one less on
// the 12.x releases whose unified-storage create (12.0–12.1) or update, used
// by move (12.0–12.2), refused one level early (audit row 40).
func (e *Emulator) maxFolderLevel(move bool) int {
	level := e.maxNested + 1
	if (move && e.version.FolderMoveOneLevelShort()) || (!move && e.version.FolderCreateOneLevelShort()) {
		level--
	}
	return level
}

func errMaxDepth(w http.ResponseWriter) {
	errUtil(w, http.StatusBadRequest, "folder.maximum-depth-reached", "Maximum nested folder depth reached")
}

// titleClash checks that a folder (other than self) may take title under
// parentUID, and returns the refusal's status and message, or 0. "General"
// (any case) is reserved at every level: the folder service's
// buildSaveDashboardCommand refuses it with ErrDashboardFolderNameExists, 400,
// wherever the folder sits (audit rows 43, 44; folderimpl/folder.go id
// 25713309, a 12.x file; the 11.x dashboard service does the same). Other
// clashes exist only where titles are unique (≤11.2, §5.3, §14, 409), and
// at the root a dashboard's title clashes too, as folders and dashboards
// shared one table.
func (e *Emulator) titleClash(o *org, self, parentUID, title string) (int, string) {
	if strings.EqualFold(title, "General") {
		return http.StatusBadRequest, "A folder with that name already exists"
	}
	if !e.version.UniqueTitles() {
		return 0, ""
	}
	clash := false
	for _, f := range o.folders {
		clash = clash || (f.uid != self && f.parentUID == parentUID && f.title == title)
	}
	if parentUID == "" {
		for _, d := range o.dashboards {
			clash = clash || (d.folderUID == "" && d.title == title)
		}
	}
	switch {
	case !clash:
		return 0, ""
	case parentUID == "":
		return http.StatusConflict, "a folder or dashboard in the general folder with the same name already exists"
	default:
		return http.StatusConflict, "a folder with the same name already exists in the current location"
	}
}

// addFolderLocked stores a new folder at version 1 with the default
// permissions of §5.3: its creator is Admin, and a root folder also gets the
// Editor→Edit and Viewer→View role entries (sub-folders inherit instead).
func (e *Emulator) addFolderLocked(o *org, uid, title, description, parentUID string, creator *user) *folder {
	s := e.st
	s.nextDashboardID++
	now := e.now()
	var by int64
	if creator != nil {
		by = creator.id
	}
	f := &folder{
		id: s.nextDashboardID, uid: uid, title: title, description: description, parentUID: parentUID,
		version: 1, created: now, updated: now, createdBy: by, updatedBy: by,
	}
	if creator != nil {
		f.permissions = append(f.permissions, e.newPermission(permission{userID: creator.id, permission: permAdmin}))
	}
	if parentUID == "" {
		f.permissions = append(f.permissions,
			e.newPermission(permission{role: "Editor", permission: permEdit}),
			e.newPermission(permission{role: "Viewer", permission: permView}))
	}
	o.folders[uid] = f
	return f
}

type updateFolderRequest struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Version     int     `json:"version"`
	Overwrite   bool    `json:"overwrite"`
}

// §5.4: version compare-and-set; uid and parentUid are not changed by PUT.
func (e *Emulator) updateFolder(c *call) {
	o := c.org()
	f := folderParam(c, permEdit, "folders:write")
	if f == nil {
		return
	}
	var req updateFolderRequest
	if !decodeBody(c.w, c.r, &req) {
		return
	}
	if !req.Overwrite && req.Version != f.version {
		errStatus(c.w, http.StatusPreconditionFailed, "version-mismatch", folderVersionMsg)
		return
	}
	title := f.title
	if req.Title != nil {
		if title = strings.TrimSpace(*req.Title); title == "" {
			errMessage(c.w, http.StatusBadRequest, "folder title cannot be empty")
			return
		}
		if status, msg := e.titleClash(o, f.uid, f.parentUID, title); status != 0 {
			errMessage(c.w, status, msg)
			return
		}
	}
	f.title = title
	if req.Description != nil {
		f.description = *req.Description
	}
	e.touchFolder(f, c.id.user)
	writeJSON(c.w, http.StatusOK, e.folderDTO(c, f))
}

func (e *Emulator) touchFolder(f *folder, by *user) {
	f.version++
	f.updated = e.now()
	f.updatedBy = by.id
}

// §5.5: only with nested folders; a moved subtree must still fit in the
// maximum depth, and a folder cannot move below itself.
func (e *Emulator) moveFolder(c *call) {
	if !e.nested {
		errMessage(c.w, http.StatusNotFound, nestedOffMsg)
		return
	}
	o := c.org()
	f := folderParam(c, permEdit, "folders:write")
	if f == nil {
		return
	}
	var req struct {
		ParentUID string `json:"parentUid"`
	}
	if !decodeBody(c.w, c.r, &req) {
		return
	}
	parent := o.folders[req.ParentUID]
	if req.ParentUID != "" && parent == nil {
		errStatus(c.w, http.StatusNotFound, "not-found", folderNotFound)
		return
	}
	if c.folderAccess(parent) < permEdit {
		errAccessDenied(c.w, "folders:create")
		return
	}
	if req.ParentUID == f.uid || e.isDescendant(o, req.ParentUID, f.uid) {
		errUtil(c.w, http.StatusBadRequest, "folder.circular-reference", "Circular reference detected")
		return
	}
	if e.folderLevel(o, req.ParentUID)+1+e.folderHeight(o, f.uid) > e.maxFolderLevel(true) {
		errMaxDepth(c.w)
		return
	}
	if status, msg := e.titleClash(o, f.uid, req.ParentUID, f.title); status != 0 {
		errMessage(c.w, status, msg)
		return
	}
	f.parentUID = req.ParentUID
	e.touchFolder(f, c.id.user)
	writeJSON(c.w, http.StatusOK, e.folderDTO(c, f))
}

// §5.6: deleting a folder deletes its sub-folders and every dashboard in
// them, recursively; nothing is moved to the root. The answer's body depends
// on the version (audit row 56).
func (e *Emulator) deleteFolder(c *call) {
	o := c.org()
	f := folderParam(c, permEdit, "folders:delete")
	if f == nil {
		return
	}
	if !e.deleteFolderTreeLocked(o, f.uid) {
		errMessage(c.w, http.StatusForbidden, msgLibraryFolderInUse)
		return
	}
	switch {
	case e.version.FolderDeleteAnswersEmptyString():
		writeJSON(c.w, http.StatusOK, "")
	case e.version.FolderDeleteAnswersMessageOnly():
		writeJSON(c.w, http.StatusOK, map[string]any{"message": "Folder deleted"})
	default:
		writeJSON(c.w, http.StatusOK, map[string]any{"message": "Folder deleted", "title": f.title, "id": f.id})
	}
}

// §5.7: counts of everything below the folder, at any depth.
func (e *Emulator) folderCounts(c *call) {
	o := c.org()
	f := folderParam(c, permView, "folders:read")
	if f == nil {
		return
	}
	in := e.subtree(o, f.uid)
	dashboards := 0
	for _, d := range o.dashboards {
		if in[d.folderUID] {
			dashboards++
		}
	}
	rules := 0
	if o.alerting != nil {
		for _, r := range o.alerting.rules {
			if in[r.folderUID] {
				rules++
			}
		}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"folder": len(in) - 1, "dashboard": dashboards, "librarypanel": libraryCount(o, in), "alertrule": rules})
}

// folderDTO is the folder body of §5.2; parentUid and parents (root-first)
// exist only with nested folders, and are omitted at the root.
func (e *Emulator) folderDTO(c *call, f *folder) map[string]any {
	dto := e.plainFolderDTO(c, f)
	if e.nested {
		var parents []map[string]any
		for _, p := range e.ancestors(c.org(), f) {
			parents = append(parents, e.plainFolderDTO(c, p))
		}
		if len(parents) > 0 {
			dto["parents"] = parents
		}
	}
	return dto
}

func (e *Emulator) plainFolderDTO(c *call, f *folder) map[string]any {
	access := c.folderAccess(f)
	dto := map[string]any{
		"id": f.id, "uid": f.uid, "orgId": c.org().id, "title": f.title,
		"url":    folderURL(f),
		"hasAcl": false, "canSave": access >= permEdit, "canEdit": access >= permEdit,
		"canAdmin": access >= permAdmin, "canDelete": access >= permEdit,
		"createdBy": e.identityName(f.createdBy), "created": f.created, "updatedBy": e.identityName(f.updatedBy), "updated": f.updated,
		"version": f.version,
	}
	if e.nested && f.parentUID != "" {
		dto["parentUid"] = f.parentUID
	}
	return dto
}

// generalFolderDTO is the virtual root (§5.2): id 0, title "General".
func (e *Emulator) generalFolderDTO(c *call) map[string]any {
	access := c.folderAccess(nil)
	return map[string]any{
		"id": 0, "uid": "general", "orgId": c.org().id, "title": "General", "url": "",
		"hasAcl": false, "canSave": access >= permEdit, "canEdit": access >= permEdit,
		"canAdmin": access >= permAdmin, "canDelete": false,
		"createdBy": "", "created": zeroTime, "updatedBy": "", "updated": zeroTime, "version": 0,
	}
}

const zeroTime = "0001-01-01T00:00:00Z"

// childFolders lists the direct children of parentUID ("" = root), sorted
// by title (case-insensitively), then uid.
func (e *Emulator) childFolders(o *org, parentUID string) []*folder {
	var out []*folder
	for _, f := range o.folders {
		if f.parentUID == parentUID {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *folder) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.title), strings.ToLower(b.title)), cmp.Compare(a.uid, b.uid))
	})
	return out
}

// ancestors lists f's ancestors, root-first.
func (e *Emulator) ancestors(o *org, f *folder) []*folder {
	var out []*folder
	for p := o.folders[f.parentUID]; p != nil && len(out) <= folderCycleGuard; p = o.folders[p.parentUID] {
		out = append(out, p)
	}
	slices.Reverse(out)
	return out
}

// folderLevel is how deep uid sits: 0 for the root (""), 1 for a root folder.
func (e *Emulator) folderLevel(o *org, uid string) int {
	f := o.folders[uid]
	if f == nil {
		return 0
	}
	return len(e.ancestors(o, f)) + 1
}

// folderHeight is how many levels of sub-folders lie below uid (0 for a leaf).
func (e *Emulator) folderHeight(o *org, uid string) int {
	h := 0
	for _, child := range e.childFolders(o, uid) {
		h = max(h, 1+e.folderHeight(o, child.uid))
	}
	return h
}

// isDescendant reports whether uid lies somewhere below ancestor.
func (e *Emulator) isDescendant(o *org, uid, ancestor string) bool {
	f := o.folders[uid]
	if f == nil {
		return false
	}
	for _, p := range e.ancestors(o, f) {
		if p.uid == ancestor {
			return true
		}
	}
	return false
}

// deleteFolderTreeLocked deletes folder uid and all below it: sub-folders,
// their dashboards (disconnected from their library panels) and their
// library elements. Library elements are checked first, before any
// dashboard goes (pkg/api/folder.go DeleteFolder →
// DeleteLibraryElementsInFolder; audit row 55, §4): a connected one anywhere
// below refuses the whole delete, even when the dashboard using it is in the
// folder too, and then nothing is deleted and it returns false. Grafana's
// handler checks the folder itself with msgLibraryFolderInUse; its
// sub-folders are checked by the folder service's DeleteInFolders (same
// error, status not read): the callers refuse them the same way. The legacy
// delete (deleteFolder) and the /apis one (apis_folders.go) both use it.
func (e *Emulator) deleteFolderTreeLocked(o *org, uid string) bool {
	doomed := e.subtree(o, uid)
	for f := range doomed {
		if e.connectedLibraryElementIn(o, f) {
			return false
		}
	}
	for elUID, el := range o.library {
		if doomed[el.folderUID] {
			delete(o.library, elUID)
		}
	}
	for _, d := range o.dashboards {
		if doomed[d.folderUID] {
			e.deleteDashboardLocked(o, d)
		}
	}
	for f := range doomed {
		delete(o.folders, f)
	}
	return true
}

// subtree is the set of uid and every folder below it.
func (e *Emulator) subtree(o *org, uid string) map[string]bool {
	out := map[string]bool{uid: true}
	for _, child := range e.childFolders(o, uid) {
		maps.Copy(out, e.subtree(o, child.uid))
	}
	return out
}

// positiveInt parses a query value, falling back to def when it is absent,
// malformed or not positive.
func positiveInt(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return n
	}
	return def
}

// FolderSpec describes a folder to seed. An empty UID is generated; an empty
// ParentUID is the root.
type FolderSpec struct {
	UID, Title, ParentUID string
}

// FolderInfo is a folder as stored.
type FolderInfo struct {
	ID          int64
	UID         string
	Title       string
	Description string
	ParentUID   string
	Version     int
	CreatedBy   string // as GET /api/folders/:uid shows it in this version
}

// SeedFolder creates a folder as if the server admin had created it through
// the API, with the same default permissions, and returns its uid. It
// refuses what the API refuses for the structure (unknown parent, used uid,
// too deep) but not title clashes. With nested folders off ParentUID must be
// empty.
func (e *Emulator) SeedFolder(orgID int64, spec FolderSpec) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	switch {
	case o == nil:
		return "", fmt.Errorf("seed folder %q: org %d does not exist", spec.Title, orgID)
	case strings.TrimSpace(spec.Title) == "":
		return "", fmt.Errorf("seed folder %q: title is empty", spec.UID)
	case spec.ParentUID != "" && !e.nested:
		return "", fmt.Errorf("seed folder %q: nested folders are off; leave ParentUID empty or set Options.NestedFolders", spec.Title)
	case spec.ParentUID != "" && o.folders[spec.ParentUID] == nil:
		return "", fmt.Errorf("seed folder %q: parent folder %q does not exist in org %d", spec.Title, spec.ParentUID, orgID)
	case e.folderLevel(o, spec.ParentUID)+1 > e.maxFolderLevel(false):
		return "", fmt.Errorf("seed folder %q: deeper than %d levels (a root folder plus %d nested) in Grafana %s",
			spec.Title, e.maxFolderLevel(false), e.maxFolderLevel(false)-1, e.version)
	}
	if msg := uidProblem(spec.UID); msg != "" {
		return "", fmt.Errorf("seed folder %q: %s", spec.Title, msg)
	}
	uid := spec.UID
	if uid == "" {
		uid = e.uids.next()
	}
	if o.folders[uid] != nil || o.dashboards[uid] != nil {
		return "", fmt.Errorf("seed folder %q: uid %q is already used in org %d", spec.Title, uid, orgID)
	}
	e.addFolderLocked(o, uid, strings.TrimSpace(spec.Title), "", spec.ParentUID, e.serverAdminLocked())
	return uid, nil
}

// serverAdminLocked is the server admin New created (the first user).
func (e *Emulator) serverAdminLocked() *user {
	var first *user
	for _, u := range e.st.users {
		if u.serverAdmin && (first == nil || u.id < first.id) {
			first = u
		}
	}
	return first
}

// GetFolder reads a folder back.
func (e *Emulator) GetFolder(orgID int64, uid string) (FolderInfo, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	o := e.st.orgs[orgID]
	if o == nil || o.folders[uid] == nil {
		return FolderInfo{}, false
	}
	f := o.folders[uid]
	return FolderInfo{ID: f.id, UID: f.uid, Title: f.title, Description: f.description, ParentUID: f.parentUID, Version: f.version, CreatedBy: e.identityName(f.createdBy)}, true
}

// FolderUIDs lists every folder uid in the org, at every level, sorted.
func (e *Emulator) FolderUIDs(orgID int64) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if o := e.st.orgs[orgID]; o != nil {
		return slices.Sorted(maps.Keys(o.folders))
	}
	return nil
}

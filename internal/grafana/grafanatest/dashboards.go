package grafanatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of reference §3.1 and §12.
const (
	maxDashboardTitle   = 5000
	maxVersionMessage   = 500
	minRefreshInterval  = 5 * time.Second
	minRefreshText      = "5s"
	versionsToKeep      = 20   // [dashboards] versions_to_keep
	defaultVersionLimit = 1000 // versions list limit when 0 or absent (§12)
)

// dashboardRoutes: reference §3. Dashboard permission routes belong to the
// folders area.
//
// Role model (document deviations here): Viewer reads dashboards and tags;
// Editor saves, deletes, and reads and restores versions (Grafana guards the
// versions routes with dashboards:write). Grafana checks these in the RBAC
// middleware, before the handler validates anything, so a Viewer gets 403
// whatever the body.
func (e *Emulator) dashboardRoutes() {
	e.write("POST /api/dashboards/db", e.saveDashboard)
	e.read("GET /api/dashboards/uid/{uid}", e.getDashboard)
	e.write("DELETE /api/dashboards/uid/{uid}", e.deleteDashboard)
	e.read("GET /api/dashboards/uid/{uid}/versions", e.listDashboardVersions)
	e.read("GET /api/dashboards/uid/{uid}/versions/{version}", e.getDashboardVersion)
	e.write("POST /api/dashboards/uid/{uid}/restore", e.restoreDashboardVersion)
	e.read("GET /api/dashboards/tags", e.dashboardTags)
}

// saveDashboardCommand is the body of POST /api/dashboards/db (§3.1).
// FolderUID is a pointer only to tell absent from "": both mean the root.
type saveDashboardCommand struct {
	Dashboard json.RawMessage `json:"dashboard"`
	FolderUID *string         `json:"folderUid"`
	FolderID  int64           `json:"folderId"`
	Overwrite bool            `json:"overwrite"`
	Message   string          `json:"message"`
	IsFolder  bool            `json:"isFolder"`
}

// dashboardWrite is a save that passed validation. existing nil means create.
type dashboardWrite struct {
	existing     *dashboard
	uid          string // "" on create: generated
	folderUID    string
	data         map[string]any // the request JSON; id, uid, version, title are rewritten on store
	title        string         // trimmed
	message      string
	restoredFrom int
	by           int64 // the writer's user id, recorded as createdBy/updatedBy (0: none)
	// encoded, when set, is json.Marshal of data without id, uid and
	// version, its title already title, made before the write lock
	// (encodeStoredSpec): the store then only splices id, uid and version
	// in, instead of encoding the whole dashboard under the lock.
	encoded []byte
}

// saveDashboard is POST /api/dashboards/db: the checks in Grafana's order
// (audit row 16; dashboard_service.go BuildSaveDashboardCommand and
// ValidateDashboardBeforeSave, 11.x id 1325386389, 12.x id 653003260;
// database.go getExistingDashboardByIDOrUIDForUpdate): title, message, uid,
// refresh, then the folder lookup, then the existing dashboard by id and by
// uid, type, version, plugin, then name (≤11.2, in the store) and
// provisioning. 13.x answers a version conflict and a missing title as its
// k8s save does (SaveConflictIs409).
func (e *Emulator) saveDashboard(c *call) {
	if !c.requireRole("Editor", "dashboards:create") {
		return
	}
	var cmd saveDashboardCommand
	if !decodeBody(c.w, c.r, &cmd) {
		return
	}
	if cmd.IsFolder {
		errMessage(c.w, http.StatusBadRequest, "Use folders endpoint for saving folders.")
		return
	}
	data, err := decodeDashboardJSON(cmd.Dashboard)
	if err != nil {
		errMessage(c.w, http.StatusBadRequest, "bad request data")
		return
	}
	o := c.org()

	title := strings.TrimSpace(jsonString(data["title"]))
	if _, isString := data["title"].(string); !isString && e.version.SaveConflictIs409() {
		// 13.x validates the k8s spec before the legacy checks (audit §3).
		// What it answers for a present but blank title was not read: the
		// legacy empty-name answer below is kept.
		errMessage(c.w, http.StatusBadRequest, "Dashboard spec is missing required title property")
		return
	}
	if title == "" {
		errStatus(c.w, http.StatusBadRequest, "empty-name", "Dashboard title cannot be empty")
		return
	}
	if len(title) > maxDashboardTitle { // bytes, as Grafana counts
		errStatus(c.w, http.StatusBadRequest, "title-too-long", "Dashboard title cannot contain more than 5 000 characters")
		return
	}
	if len(cmd.Message) > maxVersionMessage {
		errMessage(c.w, http.StatusBadRequest, "message too long, max 500 characters")
		return
	}
	uid := strings.TrimSpace(jsonString(data["uid"]))
	if msg := uidFormatProblem(uid); msg != "" {
		errMessage(c.w, http.StatusBadRequest, msg)
		return
	}
	raiseRefresh(data)

	// The folder is looked up before the existing dashboard (audit row 16):
	// a stale save into a deleted folder is 400 "folder not found", not 412.
	folderUID, folderFound := targetFolder(o, cmd)
	if !folderFound {
		errMessage(c.w, http.StatusBadRequest, e.version.SaveFolderNotFoundMessage())
		return
	}

	// Resolve the row being updated, by id then by uid. Folders share the
	// dashboards' id and uid space: a row is a dashboard or a folder (§3.1
	// "uid belongs to a folder"; database.go getExistingDashboardByIDOrUIDForUpdate).
	type row struct {
		d *dashboard
		f *folder
	}
	var byID, byUID row
	if id := jsonInt(data["id"]); id > 0 {
		byID = row{dashboardByID(o, id), folderByID(o, id)}
		switch {
		case byID.d == nil && byID.f == nil:
			errStatus(c.w, http.StatusNotFound, "not-found", "Dashboard not found")
			return
		case uid == "" && byID.d != nil:
			uid = byID.d.uid
		case uid == "":
			uid = byID.f.uid
		}
	}
	if uid != "" {
		byUID = row{o.dashboards[uid], o.folders[uid]}
	}
	if byID != (row{}) && byUID != (row{}) && byID != byUID {
		errMessage(c.w, http.StatusBadRequest, "A dashboard with the same uid already exists")
		return
	}
	if byID.f != nil || byUID.f != nil {
		errMessage(c.w, http.StatusBadRequest, "Dashboard cannot be changed to a folder")
		return
	}
	existing := byID.d
	if existing == nil {
		existing = byUID.d
	}
	if existing != nil && !cmd.Overwrite && int(jsonInt(data["version"])) != existing.version {
		if e.version.SaveConflictIs409() {
			errMessage(c.w, http.StatusConflict, "Dashboard already exists. Use overwrite flag to update.")
			return
		}
		errStatus(c.w, http.StatusPreconditionFailed, "version-mismatch", "The dashboard has been changed by someone else")
		return
	}
	if existing != nil && existing.pluginID != "" && !cmd.Overwrite {
		errStatus(c.w, http.StatusPreconditionFailed, "plugin-dashboard", fmt.Sprintf("The dashboard belongs to plugin %s.", existing.pluginID))
		return
	}

	if e.version.UniqueTitles() {
		if other := dashboardByTitle(o, folderUID, title); other != nil && other != existing {
			if !cmd.Overwrite {
				errStatus(c.w, http.StatusPreconditionFailed, "name-exists", "A dashboard with the same name in the folder already exists")
				return
			}
			// Grafana saves into the other dashboard's row: it is replaced.
			existing, uid = other, other.uid
		}
	}
	if existing != nil && (existing.provisioned || lockedByManager(existing.meta.annotations)) {
		errMessage(c.w, http.StatusBadRequest, "Cannot save provisioned dashboard")
		return
	}

	d := e.storeDashboardLocked(o, dashboardWrite{
		existing: existing, uid: uid, folderUID: folderUID, data: data,
		title: title, message: cmd.Message, by: c.id.user.id,
	})
	if err := e.connectLibraryPanelsLocked(o, d, data, c.id.user); err != nil {
		errMessage(c.w, http.StatusInternalServerError, msgLibraryConnect)
		return
	}
	writeJSON(c.w, http.StatusOK, e.saveResponse(d))
}

// targetFolder is where a save puts the dashboard: folderUid when non-empty,
// else folderId when non-zero, else the root. An omitted folderUid moves an
// existing dashboard to the root (§3.1). found is false for an unknown folder.
func targetFolder(o *org, cmd saveDashboardCommand) (uid string, found bool) {
	if cmd.FolderUID != nil && *cmd.FolderUID != "" {
		_, ok := o.folders[*cmd.FolderUID]
		return *cmd.FolderUID, ok
	}
	if cmd.FolderID != 0 {
		if f := folderByID(o, cmd.FolderID); f != nil {
			return f.uid, true
		}
		return "", false
	}
	return "", true
}

// saveResponse is the 200 body of §3.1 (also answered by restore, §3.4).
func (e *Emulator) saveResponse(d *dashboard) map[string]any {
	slug := slugify(d.title)
	body := map[string]any{
		"id": d.id, "uid": d.uid, "url": dashboardURL(d.uid, slug),
		"status": "success", "version": d.version, "slug": slug,
	}
	if e.version.SaveReturnsFolderUID() {
		body["folderUid"] = d.folderUID
	}
	return body
}

// storeDashboardLocked applies an accepted write: create gets version 1,
// update gets the stored version + 1 whatever the request said; the stored
// JSON has id, uid, version and title rewritten; a version row is appended
// and history is pruned to versionsToKeep. The caller holds e.mu.
func (e *Emulator) storeDashboardLocked(o *org, w dashboardWrite) *dashboard {
	now := e.now()
	d := w.existing
	parent := 0
	if d == nil {
		e.st.nextDashboardID++
		d = &dashboard{id: e.st.nextDashboardID, created: now, createdBy: w.by, searchAt: now}
		if w.uid == "" {
			w.uid = e.uids.next()
		}
	} else {
		parent = d.version
		if !e.searchLagging(d) {
			d.searchPrev = d.searchEntry()
		}
		d.searchAt = now
		if w.uid != d.uid {
			delete(o.dashboards, d.uid)
		}
	}
	d.uid = w.uid
	d.title = w.title
	d.folderUID = w.folderUID
	d.version = parent + 1
	d.updated, d.updatedBy = now, w.by

	w.data["id"] = d.id
	w.data["uid"] = d.uid
	w.data["version"] = d.version
	w.data["title"] = d.title
	raw, ok := withStoredIdentity(w.encoded, d.id, d.uid, d.version)
	if !ok {
		var err error
		if raw, err = marshalJSON(w.data); err != nil {
			// Unreachable: data came from JSON and only gained JSON values.
			panic(fmt.Sprintf("dashboard %s: re-encode: %v", d.uid, err))
		}
	}
	d.data = raw
	d.tags = dashboardTagsOf(w.data)
	d.description = jsonString(w.data["description"])

	e.st.nextVersionID++
	d.versions = append(d.versions, dashboardVersion{
		id: e.st.nextVersionID, parentVersion: parent, restoredFrom: w.restoredFrom,
		version: d.version, created: now, createdBy: w.by, message: w.message, data: raw,
	})
	if extra := len(d.versions) - versionsToKeep; extra > 0 {
		d.versions = slices.Delete(d.versions, 0, extra)
	}
	o.dashboards[d.uid] = d
	d.v2, d.storedVersion = nil, "" // a v0/v1 save; the v2 write path sets them after
	return d
}

// getDashboard is GET /api/dashboards/uid/{uid} (§3.2). The stored JSON is
// served as stored, never re-encoded.
func (e *Emulator) getDashboard(c *call) {
	if !c.requireRole("Viewer", "dashboards:read") {
		return
	}
	d := e.dashboardParam(c)
	if d == nil {
		return
	}
	if d.v2 != nil {
		// pkg/api/dashboard.go GetDashboard (ids 205152580, 18460509091):
		// "v2 is not supported in /api" (audit §4 "Other gaps").
		errMessage(c.w, http.StatusNotAcceptable, fmt.Sprintf("dashboard api version not supported, use /apis/%s/%s/namespaces/%s/dashboards/%s instead",
			dashboardGroup, d.storedVersion, NamespaceOf(c.org().id), d.uid))
		return
	}
	meta, err := json.Marshal(e.dashboardMeta(c, d))
	if err != nil {
		errMessage(c.w, http.StatusInternalServerError, "internal error")
		return
	}
	var b bytes.Buffer
	b.Grow(len(d.data) + len(meta) + 32)
	b.WriteString(`{"dashboard":`)
	b.Write(d.data)
	b.WriteString(`,"meta":`)
	b.Write(meta)
	b.WriteByte('}')
	writeRaw(c.w, http.StatusOK, b.Bytes())
}

type annotationPermission struct {
	CanAdd    bool `json:"canAdd"`
	CanEdit   bool `json:"canEdit"`
	CanDelete bool `json:"canDelete"`
}

type annotationsPermissions struct {
	Dashboard    annotationPermission `json:"dashboard"`
	Organization annotationPermission `json:"organization"`
}

// dashboardMetaJSON is the "meta" of §3.2. APIVersion is 12.x only.
type dashboardMetaJSON struct {
	Type                   string                 `json:"type"`
	CanSave                bool                   `json:"canSave"`
	CanEdit                bool                   `json:"canEdit"`
	CanAdmin               bool                   `json:"canAdmin"`
	CanDelete              bool                   `json:"canDelete"`
	CanStar                bool                   `json:"canStar"`
	IsStarred              bool                   `json:"isStarred"`
	Slug                   string                 `json:"slug"`
	URL                    string                 `json:"url"`
	Expires                time.Time              `json:"expires"`
	Created                time.Time              `json:"created"`
	Updated                time.Time              `json:"updated"`
	CreatedBy              string                 `json:"createdBy"`
	UpdatedBy              string                 `json:"updatedBy"`
	Version                int                    `json:"version"`
	HasACL                 bool                   `json:"hasAcl"`
	IsFolder               bool                   `json:"isFolder"`
	FolderID               int64                  `json:"folderId"`
	FolderUID              string                 `json:"folderUid"`
	FolderTitle            string                 `json:"folderTitle"`
	FolderURL              string                 `json:"folderUrl"`
	Provisioned            bool                   `json:"provisioned"`
	ProvisionedExternalID  string                 `json:"provisionedExternalId"`
	AnnotationsPermissions annotationsPermissions `json:"annotationsPermissions"`
	PublicDashboardEnabled bool                   `json:"publicDashboardEnabled"`
	APIVersion             string                 `json:"apiVersion,omitempty"`
}

// dashboardMeta derives the caller's capabilities from the role model:
// Editor saves, edits and deletes; Admin administers.
func (e *Emulator) dashboardMeta(c *call, d *dashboard) dashboardMetaJSON {
	edit, admin := c.id.atLeast("Editor"), c.id.atLeast("Admin")
	slug := slugify(d.title)
	m := dashboardMetaJSON{
		Type: "db", CanSave: edit, CanEdit: edit, CanAdmin: admin, CanDelete: edit, CanStar: true,
		Slug: slug, URL: dashboardURL(d.uid, slug),
		Created: d.created, Updated: d.updated, CreatedBy: e.identityName(d.createdBy), UpdatedBy: e.identityName(d.updatedBy),
		Version:     d.version,
		FolderTitle: "General",
		Provisioned: d.provisioned, ProvisionedExternalID: d.provisionedExternalID,
		AnnotationsPermissions: annotationsPermissions{
			Dashboard:    annotationPermission{CanAdd: edit, CanEdit: edit, CanDelete: edit},
			Organization: annotationPermission{CanAdd: edit, CanEdit: edit, CanDelete: edit},
		},
	}
	if f := c.org().folders[d.folderUID]; f != nil {
		m.FolderID, m.FolderUID, m.FolderTitle, m.FolderURL = f.id, f.uid, f.title, folderURL(f)
	}
	if e.version.UnifiedStorage() {
		m.APIVersion = "v1"
	}
	return m
}

// deleteDashboard is DELETE /api/dashboards/uid/{uid} (§3.3). The version
// history goes with the dashboard.
func (e *Emulator) deleteDashboard(c *call) {
	if !c.requireRole("Editor", "dashboards:delete") {
		return
	}
	o := c.org()
	uid := c.r.PathValue("uid")
	if _, ok := o.folders[uid]; ok {
		errMessage(c.w, http.StatusBadRequest, "Use folders endpoint for deleting folders.")
		return
	}
	d := e.dashboardParam(c)
	if d == nil {
		return
	}
	if d.provisioned {
		errMessage(c.w, http.StatusBadRequest, e.version.ProvisionedDashboardDeleteMessage())
		return
	}
	e.deleteDashboardLocked(o, d)
	body := map[string]any{"title": d.title, "message": "Dashboard " + d.title + " deleted", "uid": d.uid}
	if e.version.DeleteDashboardReturnsID() {
		body["id"] = d.id
	}
	writeJSON(c.w, http.StatusOK, body)
}

// dashboardVersionJSON is a version item of §3.4; Data only for a single version.
type dashboardVersionJSON struct {
	ID            int64           `json:"id"`
	DashboardID   int64           `json:"dashboardId"`
	UID           string          `json:"uid"`
	ParentVersion int             `json:"parentVersion"`
	RestoredFrom  int             `json:"restoredFrom"`
	Version       int             `json:"version"`
	Created       time.Time       `json:"created"`
	CreatedBy     string          `json:"createdBy"`
	Message       string          `json:"message"`
	Data          json.RawMessage `json:"data,omitempty"`
}

func (e *Emulator) versionJSON(d *dashboard, v dashboardVersion, withData bool) dashboardVersionJSON {
	j := dashboardVersionJSON{
		ID: v.id, DashboardID: d.id, UID: d.uid, ParentVersion: v.parentVersion, RestoredFrom: v.restoredFrom,
		Version: v.version, Created: v.created, CreatedBy: e.identityName(v.createdBy), Message: v.message,
	}
	if withData {
		j.Data = v.data
	}
	return j
}

// listedVersionJSON is a version as the list shows it: GetDashboardVersions
// rewrites the message of a restored version to "Restored from version N"
// and of a first version to "Initial save" (audit row 31; pkg/api/dashboard.go
// id 205152580). A single version's GET shows the stored message.
func (e *Emulator) listedVersionJSON(d *dashboard, v dashboardVersion) dashboardVersionJSON {
	j := e.versionJSON(d, v, false)
	switch {
	case v.restoredFrom == v.version:
		j.Message = "Initial save (created by migration)"
	case v.restoredFrom > 0:
		j.Message = fmt.Sprintf("Restored from version %d", v.restoredFrom)
	case v.parentVersion == 0:
		j.Message = "Initial save"
	}
	return j
}

// listDashboardVersions is GET .../versions?limit&start (§3.4): newest first;
// a bare array in 10.x, {versions, continueToken} from 11. The token is the
// next start offset, accepted back as continueToken; "" on the last page.
func (e *Emulator) listDashboardVersions(c *call) {
	if !c.requireRole("Editor", "dashboards:write") {
		return
	}
	d := e.dashboardParam(c)
	if d == nil {
		return
	}
	q := c.r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = defaultVersionLimit
	}
	start, _ := strconv.Atoi(q.Get("start"))
	if tok, err := strconv.Atoi(q.Get("continueToken")); err == nil {
		start = tok
	}
	start = max(start, 0)
	items := []dashboardVersionJSON{}
	for i := len(d.versions) - 1 - start; i >= 0 && len(items) < limit; i-- {
		items = append(items, e.listedVersionJSON(d, d.versions[i]))
	}
	if !e.version.VersionsAsObject() {
		writeJSON(c.w, http.StatusOK, items)
		return
	}
	next := ""
	if start+len(items) < len(d.versions) {
		next = strconv.Itoa(start + len(items))
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"versions": items, "continueToken": next})
}

// getDashboardVersion is GET .../versions/{version} (§3.4), with data.
func (e *Emulator) getDashboardVersion(c *call) {
	if !c.requireRole("Editor", "dashboards:write") {
		return
	}
	d := e.dashboardParam(c)
	if d == nil {
		return
	}
	v, ok := findVersion(d, c.r.PathValue("version"))
	if !ok {
		// GetDashboardVersion answers 500 for a version the dashboard does
		// not have (audit row 31; pkg/api/dashboard.go id 205152580).
		n, _ := strconv.Atoi(c.r.PathValue("version"))
		errMessage(c.w, http.StatusInternalServerError, fmt.Sprintf("Dashboard version %d not found for dashboardId %d", n, d.id))
		return
	}
	writeJSON(c.w, http.StatusOK, e.versionJSON(d, v, true))
}

// restoreDashboardVersion is POST .../restore {"version": n} (§3.4): a save
// of version n's data as a new version, in the dashboard's current folder,
// with restoredFrom n; it answers like a save.
func (e *Emulator) restoreDashboardVersion(c *call) {
	if !c.requireRole("Editor", "dashboards:write") {
		return
	}
	var body struct {
		Version int `json:"version"`
	}
	if !decodeBody(c.w, c.r, &body) {
		return
	}
	o := c.org()
	d := e.dashboardParam(c)
	if d == nil {
		return
	}
	v, ok := findVersion(d, strconv.Itoa(body.Version))
	if !ok {
		errMessage(c.w, http.StatusNotFound, "Dashboard version not found")
		return
	}
	if d.provisioned {
		errMessage(c.w, http.StatusBadRequest, "Cannot save provisioned dashboard")
		return
	}
	data, err := decodeDashboardJSON(v.data)
	if err != nil {
		errMessage(c.w, http.StatusInternalServerError, "internal error")
		return
	}
	d = e.storeDashboardLocked(o, dashboardWrite{
		existing: d, uid: d.uid, folderUID: d.folderUID, data: data,
		title:   strings.TrimSpace(jsonString(data["title"])),
		message: fmt.Sprintf("Restored from version %d", v.version), restoredFrom: v.version, by: c.id.user.id,
	})
	if err := e.connectLibraryPanelsLocked(o, d, data, c.id.user); err != nil {
		errMessage(c.w, http.StatusInternalServerError, msgLibraryConnect)
		return
	}
	writeJSON(c.w, http.StatusOK, e.saveResponse(d))
}

// dashboardTags is GET /api/dashboards/tags (§3.5): each tag with the number
// of dashboards carrying it, sorted by term.
func (e *Emulator) dashboardTags(c *call) {
	if !c.requireRole("Viewer", "dashboards:read") {
		return
	}
	counts := map[string]int{}
	for _, d := range c.org().dashboards {
		for _, t := range d.tags {
			counts[t]++
		}
	}
	type term struct {
		Term  string `json:"term"`
		Count int    `json:"count"`
	}
	out := make([]term, 0, len(counts))
	for t, n := range counts {
		out = append(out, term{t, n})
	}
	slices.SortFunc(out, func(a, b term) int { return strings.Compare(a.Term, b.Term) })
	writeJSON(c.w, http.StatusOK, out)
}

// dashboardParam resolves {uid} to a dashboard of the caller's org; nil
// means it has answered dashboardNotFound.
func (e *Emulator) dashboardParam(c *call) *dashboard {
	d := c.org().dashboards[c.r.PathValue("uid")]
	if d == nil {
		e.dashboardNotFound(c.w)
	}
	return d
}

// dashboardNotFound is the 404 of §3.2 for a uid in the path: Grafana's
// getDashboardHelper answers response.Error(404, "Dashboard not found"),
// with no "status" field, in every version (audit row 24; pkg/api/dashboard.go
// ids 205152580, 54134187646). The save path's unknown id keeps its
// "status":"not-found" (saveDashboard).
func (e *Emulator) dashboardNotFound(w http.ResponseWriter) {
	errMessage(w, http.StatusNotFound, "Dashboard not found")
}

func findVersion(d *dashboard, s string) (dashboardVersion, bool) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return dashboardVersion{}, false
	}
	for _, v := range d.versions {
		if v.version == n {
			return v, true
		}
	}
	return dashboardVersion{}, false
}

func dashboardByID(o *org, id int64) *dashboard {
	for _, d := range o.dashboards {
		if d.id == id {
			return d
		}
	}
	return nil
}

func folderByID(o *org, id int64) *folder {
	for _, f := range o.folders {
		if f.id == id {
			return f
		}
	}
	return nil
}

// dashboardByTitle finds a dashboard titled exactly title directly in folderUID.
func dashboardByTitle(o *org, folderUID, title string) *dashboard {
	for _, d := range o.dashboards {
		if d.folderUID == folderUID && d.title == title {
			return d
		}
	}
	return nil
}

func dashboardURL(uid, slug string) string { return "/d/" + uid + "/" + slug }

func folderURL(f *folder) string { return "/dashboards/f/" + f.uid + "/" + slugify(f.title) }

// decodeDashboardJSON decodes a dashboard object keeping numbers exact, so
// unknown keys are stored verbatim. null or absent is an empty dashboard.
func decodeDashboardJSON(raw json.RawMessage) (map[string]any, error) {
	data := map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return data, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return nil, err
	}
	if data == nil {
		data = map[string]any{}
	}
	return data, nil
}

// jsonString is simplejson's MustString: a string value, else "".
func jsonString(v any) string {
	s, _ := v.(string)
	return s
}

// jsonInt is simplejson's MustInt64: a number value, else 0.
func jsonInt(v any) int64 {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i
		}
		if f, err := n.Float64(); err == nil {
			return int64(f)
		}
	case float64:
		return int64(n)
	case int:
		return int64(n)
	case int64:
		return n
	}
	return 0
}

// raiseRefresh silently raises dashboard.refresh to min_refresh_interval
// (5s) when it is shorter or unparseable; "" and "auto" are left alone (§3.1).
func raiseRefresh(data map[string]any) {
	r := jsonString(data["refresh"])
	if r == "" || r == "auto" {
		return
	}
	if d, ok := parseGrafanaDuration(r); !ok || d < minRefreshInterval {
		data["refresh"] = minRefreshText
	}
}

// parseGrafanaDuration reads Go durations plus Grafana's d, w, M and y units.
func parseGrafanaDuration(s string) (time.Duration, bool) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, true
	}
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'M': 30 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	if len(s) < 2 {
		return 0, false
	}
	unit, ok := units[s[len(s)-1]]
	n, err := strconv.Atoi(s[:len(s)-1])
	if !ok || err != nil {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// dashboardTagsOf is the sorted, de-duplicated string tags of a dashboard
// JSON; never nil.
func dashboardTagsOf(data map[string]any) []string {
	tags := []string{}
	list, _ := data["tags"].([]any)
	for _, t := range list {
		if s, ok := t.(string); ok && s != "" {
			tags = append(tags, s)
		}
	}
	slices.Sort(tags)
	return slices.Compact(tags)
}

// DashboardSpec describes a dashboard to seed. JSON is a map[string]any, a
// []byte or a json.RawMessage holding a JSON object; its id, uid, version and
// title are rewritten as a save would. FolderUID "" is the root.
type DashboardSpec struct {
	JSON                  any
	FolderUID             string
	Provisioned           bool   // file-provisioned without allowUiUpdates: save and delete answer 400
	ProvisionedExternalID string // the provisioning file path, shown in meta
	PluginID              string // imported by a plugin: saves without overwrite answer 412
}

// SeedDashboard stores a dashboard in org as a save by the server admin
// would (provisioned ones are created by "Anonymous"), skipping the HTTP
// checks a test may want to get around. An existing uid is overwritten,
// bumping its version. It returns the uid, generated when JSON has none.
func (e *Emulator) SeedDashboard(orgID int64, spec DashboardSpec) (string, error) {
	var raw []byte
	switch j := spec.JSON.(type) {
	case nil:
	case []byte:
		raw = j
	case json.RawMessage:
		raw = j
	case string:
		raw = []byte(j)
	default:
		b, err := json.Marshal(j)
		if err != nil {
			return "", fmt.Errorf("seed dashboard: encode JSON: %w", err)
		}
		raw = b
	}
	data, err := decodeDashboardJSON(raw)
	if err != nil {
		return "", fmt.Errorf("seed dashboard: JSON is not an object: %w", err)
	}
	title := strings.TrimSpace(jsonString(data["title"]))
	uid := strings.TrimSpace(jsonString(data["uid"]))
	subject := "dashboard " + strconv.Quote(title)
	if uid != "" {
		subject = "dashboard " + uid
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	switch {
	case o == nil:
		return "", fmt.Errorf("seed %s: org %d does not exist; create it with AddOrg", subject, orgID)
	case title == "":
		return "", fmt.Errorf("seed %s: JSON needs a non-empty title", subject)
	case !uidPattern.MatchString(uid) || len(uid) > maxUIDLength:
		return "", fmt.Errorf("seed %s: uid must be at most 40 of [a-zA-Z0-9_-]", subject)
	case o.folders[uid] != nil:
		return "", fmt.Errorf("seed %s: uid belongs to a folder in org %d", subject, orgID)
	case spec.FolderUID != "" && o.folders[spec.FolderUID] == nil:
		return "", fmt.Errorf("seed %s: folder %s does not exist in org %d; seed the folder first", subject, spec.FolderUID, orgID)
	}
	by := int64(1) // the server admin
	if spec.Provisioned {
		by = 0 // provisioning writes as nobody: "Anonymous"
	}
	d := e.storeDashboardLocked(o, dashboardWrite{
		existing: o.dashboards[uid], uid: uid, folderUID: spec.FolderUID, data: data, title: title, by: by,
	})
	d.provisioned, d.provisionedExternalID, d.pluginID = spec.Provisioned, spec.ProvisionedExternalID, spec.PluginID
	// As a save would; an unknown library panel leaves it unconnected.
	_ = e.connectLibraryPanelsLocked(o, d, data, e.st.users[1])
	// Seeded state is what a test starts from: search sees it at once.
	d.searchPrev, d.searchAt = d.searchEntry(), time.Time{}
	return d.uid, nil
}

// GetDashboard returns a dashboard's stored JSON (as GET would serve it),
// its folder uid ("" at the root) and its version.
func (e *Emulator) GetDashboard(orgID int64, uid string) (data []byte, folderUID string, version int, ok bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d := e.dashboardLocked(orgID, uid)
	if d == nil {
		return nil, "", 0, false
	}
	return bytes.Clone(d.data), d.folderUID, d.version, true
}

// DashboardUIDs lists the uids of org's dashboards, sorted.
func (e *Emulator) DashboardUIDs(orgID int64) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if o := e.st.orgs[orgID]; o != nil {
		return slices.Sorted(maps.Keys(o.dashboards))
	}
	return nil
}

// DashboardVersions lists a dashboard's kept versions, oldest first.
func (e *Emulator) DashboardVersions(orgID int64, uid string) []int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []int
	if d := e.dashboardLocked(orgID, uid); d != nil {
		for _, v := range d.versions {
			out = append(out, v.version)
		}
	}
	return out
}

// EditDashboard changes a dashboard as a user saving it in the UI would:
// edit gets the stored JSON decoded (numbers as json.Number) and changes it
// in place; the result is saved by the server admin with the version bumped
// and a version row appended. id, uid and version edits are overwritten;
// a title edit is kept. The folder does not change.
func (e *Emulator) EditDashboard(orgID int64, uid string, edit func(map[string]any)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.dashboardLocked(orgID, uid)
	if d == nil {
		return fmt.Errorf("edit dashboard %s: not found in org %d", uid, orgID)
	}
	if lockedByManager(d.meta.annotations) {
		// The UI shows a managed dashboard whose manager does not allow edits read-only.
		return fmt.Errorf("edit dashboard %s: managed by %s and not editable in the UI", uid, d.meta.annotations[annoManagedBy])
	}
	if d.v2 != nil {
		return e.editDashboardV2Locked(orgID, d, edit)
	}
	data, err := decodeDashboardJSON(d.data)
	if err != nil {
		return fmt.Errorf("edit dashboard %s: stored JSON: %w", uid, err)
	}
	edit(data)
	title := strings.TrimSpace(jsonString(data["title"]))
	if title == "" {
		return fmt.Errorf("edit dashboard %s: the edit left the title empty", uid)
	}
	e.storeDashboardLocked(e.st.orgs[orgID], dashboardWrite{
		existing: d, uid: d.uid, folderUID: d.folderUID, data: data, title: title, by: 1,
	})
	if err := e.connectLibraryPanelsLocked(e.st.orgs[orgID], d, data, e.st.users[1]); err != nil {
		return fmt.Errorf("edit dashboard %s: saved, but Grafana answers 500 %s: %w", uid, msgLibraryConnect, err)
	}
	return nil
}

// editDashboardV2Locked is EditDashboard of a dashboard stored as schema
// v2: the UI edits and saves its v2 spec, and it stays v2 (as
// ConvertDashboardToV2 stores it: the legacy row keeps what search needs).
func (e *Emulator) editDashboardV2Locked(orgID int64, d *dashboard, edit func(map[string]any)) error {
	var spec map[string]any
	if err := json.Unmarshal(d.v2, &spec); err != nil {
		return fmt.Errorf("edit dashboard %s: stored v2 spec: %w", d.uid, err)
	}
	edit(spec)
	title := strings.TrimSpace(jsonString(spec["title"]))
	if title == "" {
		return fmt.Errorf("edit dashboard %s: the edit left the title empty", d.uid)
	}
	v2, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("edit dashboard %s: encode: %w", d.uid, err)
	}
	version, annotations := d.storedVersion, d.meta.annotations
	d = e.storeDashboardLocked(e.st.orgs[orgID], dashboardWrite{
		existing: d, uid: d.uid, folderUID: d.folderUID, title: title, by: 1,
		data: map[string]any{"title": title, "description": spec["description"], "tags": spec["tags"]},
	})
	d.meta.annotations = annotations
	d.v2, d.storedVersion = v2, version
	return nil
}

// DeleteDashboard removes a dashboard as a user deleting it in the UI would.
func (e *Emulator) DeleteDashboard(orgID int64, uid string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.dashboardLocked(orgID, uid)
	if d == nil {
		return fmt.Errorf("delete dashboard %s: not found in org %d", uid, orgID)
	}
	e.deleteDashboardLocked(e.st.orgs[orgID], d)
	return nil
}

func (e *Emulator) dashboardLocked(orgID int64, uid string) *dashboard {
	if o := e.st.orgs[orgID]; o != nil {
		return o.dashboards[uid]
	}
	return nil
}

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

// Library elements: grafana-source-audit.md §4 and grafana-api.md §10, as
// Grafana's pkg/services/libraryelements (api.go toLibraryElementError,
// database.go createLibraryElement, patchLibraryElement,
// deleteLibraryElement, getAllLibraryElements, connectElementsToDashboardID,
// deleteLibraryElementsInFolderUID) and pkg/services/librarypanels
// (ConnectLibraryPanelsForDashboard) define them.
//
// Connections are rows Grafana writes when a dashboard is saved: the HTTP
// save handler (pkg/api/dashboard.go postDashboard) stores the dashboard,
// then calls ConnectLibraryPanelsForDashboard, which collects the
// libraryPanel.uid of every panel (and of every panel inside a row) and
// replaces the dashboard's connections with them in one transaction. An
// unknown uid fails that transaction: the dashboard stays saved, its old
// connections stay, and the answer is 500 "Error while connecting library
// panels". Deleting a dashboard drops its connections.

// Library element error messages (libraryelements/model/errors.go).
const (
	msgLibraryExists      = "library element with that name or UID already exists"
	msgLibraryNotFound    = "library element could not be found"
	msgLibraryVersion     = "the library element has been changed by someone else"
	msgLibraryConnections = "the library element has connections"
	msgLibraryFolderInUse = "Folder could not be deleted because it contains library elements in use"
	// msgLibraryConnect is the 500 of a dashboard save whose library
	// panels cannot be connected (pkg/api/dashboard.go postDashboard).
	msgLibraryConnect = "Error while connecting library panels"
)

// Library element kinds (model.PanelElement, model.VariableElement).
const (
	libraryPanelKind    = 1
	libraryVariableKind = 2
)

type libraryElement struct {
	id          int64
	uid         string
	folderUID   string // "" = General
	name        string
	kind        int64
	typ         string
	description string
	model       json.RawMessage
	version     int64
	created     time.Time
	updated     time.Time
	createdBy   *user
	updatedBy   *user
	// connections by dashboard id (library_element_connection.connection_id).
	connections map[int64]libraryConnection
}

type libraryConnection struct {
	id        int64
	created   time.Time
	createdBy *user
}

func (e *Emulator) libraryRoutes() {
	e.read("GET /api/library-elements", e.listLibraryElements)
	e.write("POST /api/library-elements", e.createLibraryElement)
	e.read("GET /api/library-elements/{uid}", e.getLibraryElement)
	e.write("PATCH /api/library-elements/{uid}", e.patchLibraryElement)
	e.write("DELETE /api/library-elements/{uid}", e.deleteLibraryElement)
	// ".../name/{name}" and ".../{uid}/connections" overlap for
	// net/http's router; Grafana's tries the static "name" first. Grafana
	// registers connections as ".../connections/" and takes either.
	e.read("GET /api/library-elements/{uid}/{sub}", func(c *call) {
		switch {
		case c.r.PathValue("uid") == "name":
			e.libraryElementsByName(c, c.r.PathValue("sub"))
		case c.r.PathValue("sub") == "connections":
			e.libraryConnections(c)
		default:
			errMessage(c.w, http.StatusNotFound, "Not found")
		}
	})
	e.read("GET /api/library-elements/{uid}/connections/", e.libraryConnections)
}

// libraryOf is org's library (created on first use).
func libraryOf(o *org) map[string]*libraryElement {
	if o.library == nil {
		o.library = map[string]*libraryElement{}
	}
	return o.library
}

type libraryElementCommand struct {
	UID       string          `json:"uid"`
	FolderUID *string         `json:"folderUid"`
	FolderID  int64           `json:"folderId"`
	Name      string          `json:"name"`
	Model     json.RawMessage `json:"model"`
	Kind      int64           `json:"kind"`
	Version   int64           `json:"version"`
}

// elementFolder resolves a command's folder: folderUid, else folderId, else
// the General folder. found is false for an unknown one.
func elementFolder(o *org, cmd libraryElementCommand) (uid string, found bool) {
	if cmd.FolderUID != nil && *cmd.FolderUID != "" && *cmd.FolderUID != "general" {
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

// syncFieldsWithModel is database.go's: the model's type and description
// win over the element's; absent, the element's are written into the model.
// A non-string type or description makes Grafana's type assertion panic,
// which its recovery middleware answers with 500.
func syncFieldsWithModel(el *libraryElement, model json.RawMessage) bool {
	var m map[string]any
	if err := json.Unmarshal(model, &m); err != nil {
		return false
	}
	if m == nil {
		m = map[string]any{}
	}
	if el.kind == libraryVariableKind {
		m["name"] = el.name
	}
	for key, field := range map[string]*string{"type": &el.typ, "description": &el.description} {
		switch v := m[key].(type) {
		case nil:
			m[key] = *field
		case string:
			*field = v
		default:
			return false
		}
	}
	el.model, _ = json.Marshal(m)
	return true
}

// addUIDToLibraryPanel is database.go's addUidToLibraryPanel: a panel
// model whose libraryPanel.uid is "" gets the element's uid.
func addUIDToLibraryPanel(model json.RawMessage, uid string) json.RawMessage {
	var m map[string]any
	if json.Unmarshal(model, &m) != nil {
		return model
	}
	if lp, ok := m["libraryPanel"].(map[string]any); ok {
		if v, ok := lp["uid"]; ok && v == "" {
			lp["uid"] = uid
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return model
	}
	return out
}

// createLibraryElement is POST /api/library-elements (audit §4).
func (e *Emulator) createLibraryElement(c *call) {
	if !c.requireRole("Editor", "library.panels:create") {
		return
	}
	var cmd libraryElementCommand
	if !decodeBody(c.w, c.r, &cmd) {
		return
	}
	if cmd.Kind != libraryPanelKind && cmd.Kind != libraryVariableKind {
		// requireSupportedElementKind's error is not mapped: toLibraryElementError's default.
		errMessage(c.w, http.StatusInternalServerError, "Failed to create library element")
		return
	}
	uid := cmd.UID
	switch {
	case uid == "":
		uid = e.uids.next()
	case uidFormatProblem(uid) != "":
		errMessage(c.w, http.StatusBadRequest, uidFormatProblem(uid))
		return
	}
	o := c.org()
	folderUID, ok := elementFolder(o, cmd)
	if !ok {
		errMessage(c.w, http.StatusNotFound, "folder not found")
		return
	}
	model := cmd.Model
	if len(model) == 0 {
		model = json.RawMessage("null")
	}
	if cmd.Kind == libraryPanelKind {
		model = addUIDToLibraryPanel(model, uid)
	}
	now := e.now()
	el := &libraryElement{uid: uid, folderUID: folderUID, name: cmd.Name, kind: cmd.Kind, version: 1,
		created: now, updated: now, createdBy: c.id.user, updatedBy: c.id.user, connections: map[int64]libraryConnection{}}
	if !syncFieldsWithModel(el, model) {
		errMessage(c.w, http.StatusInternalServerError, "Failed to create library element")
		return
	}
	if libraryClash(o, el, nil) {
		errMessage(c.w, http.StatusBadRequest, msgLibraryExists)
		return
	}
	e.st.nextLibraryID++
	el.id = e.st.nextLibraryID
	libraryOf(o)[uid] = el
	writeJSON(c.w, http.StatusOK, map[string]any{"result": e.libraryDTO(o, el, el.model)})
}

// libraryClash reports whether el's uid, or its name in its folder for its
// kind, is taken by another element (the table's unique keys).
func libraryClash(o *org, el, self *libraryElement) bool {
	for _, other := range libraryOf(o) {
		if other == self {
			continue
		}
		if other.uid == el.uid || other.folderUID == el.folderUID && other.kind == el.kind && other.name == el.name {
			return true
		}
	}
	return false
}

// libraryUserRef is the librarypanel user reference of an element's meta
// and of a connection: id, login as name, avatar; zero values for none.
func libraryUserRef(u *user) map[string]any {
	if u == nil {
		return map[string]any{"id": 0, "name": "", "avatarUrl": ""}
	}
	return map[string]any{"id": u.id, "name": u.login, "avatarUrl": avatarURL(u.email)}
}

func (e *Emulator) libraryDTO(o *org, el *libraryElement, model json.RawMessage) map[string]any {
	folderName, folderID, folderUID := "General", int64(0), el.folderUID
	if f := o.folders[el.folderUID]; f != nil {
		folderName, folderID = f.title, f.id
	}
	return map[string]any{
		"id": el.id, "orgId": o.id, "folderId": folderID, "folderUid": folderUID, "uid": el.uid, "name": el.name,
		"kind": el.kind, "type": el.typ, "description": el.description, "model": model, "version": el.version,
		"meta": map[string]any{
			"folderName": folderName, "folderUid": folderUID, "connectedDashboards": len(el.connections),
			"created": el.created, "updated": el.updated, "createdBy": libraryUserRef(el.createdBy), "updatedBy": libraryUserRef(el.updatedBy),
		},
	}
}

func (e *Emulator) libraryParam(c *call) *libraryElement {
	el := libraryOf(c.org())[c.r.PathValue("uid")]
	if el == nil {
		errMessage(c.w, http.StatusNotFound, msgLibraryNotFound)
	}
	return el
}

// getLibraryElement is GET /api/library-elements/{uid}: the model with
// addUidToLibraryPanel applied (getLibraryElements).
func (e *Emulator) getLibraryElement(c *call) {
	if !c.requireRole("Viewer", "library.panels:read") {
		return
	}
	el := e.libraryParam(c)
	if el == nil {
		return
	}
	model := el.model
	if el.kind == libraryPanelKind {
		model = addUIDToLibraryPanel(model, el.uid)
	}
	dto := e.libraryDTO(c.org(), el, model)
	if el.folderUID == "" {
		// getLibraryElements: the General folder (id 0) is "general" here,
		// "" in the list.
		dto["folderUid"] = "general"
		dto["meta"].(map[string]any)["folderUid"] = "general"
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"result": dto})
}

// libraryElementsByName is GET /api/library-elements/name/{name}
// (getLibraryElementsByName): every element of that name, in any folder;
// none → 404.
func (e *Emulator) libraryElementsByName(c *call, name string) {
	if !c.requireRole("Viewer", "library.panels:read") {
		return
	}
	o := c.org()
	out := []map[string]any{}
	for _, el := range libraryOf(o) {
		if el.name == name {
			out = append(out, e.libraryDTO(o, el, el.model))
		}
	}
	if len(out) == 0 {
		errMessage(c.w, http.StatusNotFound, msgLibraryNotFound)
		return
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(a["uid"].(string), b["uid"].(string)) })
	writeJSON(c.w, http.StatusOK, map[string]any{"result": out})
}

// listLibraryElements is GET /api/library-elements (getAllLibraryElements):
// searchString matches name or description (SQL LIKE, case-insensitive as
// SQLite's and MySQL's default collations are); folderFilterUIDs is a
// comma-separated list where "general" is the General folder; kind filters
// by kind; sorted by name (sortDirection=alpha-desc reverses); perPage
// defaults to 100, page to 1; totalCount counts every match.
func (e *Emulator) listLibraryElements(c *call) {
	if !c.requireRole("Viewer", "library.panels:read") {
		return
	}
	q := c.r.URL.Query()
	search := strings.ToLower(strings.TrimSpace(q.Get("searchString")))
	var folders map[string]bool
	if f := strings.TrimSpace(q.Get("folderFilterUIDs")); f != "" {
		folders = map[string]bool{}
		for _, uid := range strings.Split(f, ",") {
			uid = strings.TrimSpace(uid)
			if uid == "general" {
				uid = ""
			}
			folders[uid] = true
		}
	}
	kind, _ := strconv.ParseInt(q.Get("kind"), 10, 64)
	exclude := q.Get("excludeUid")
	o := c.org()
	var all []*libraryElement
	for _, el := range libraryOf(o) {
		switch {
		case kind != 0 && el.kind != kind, el.uid == exclude && exclude != "", folders != nil && !folders[el.folderUID]:
		case search != "" && !strings.Contains(strings.ToLower(el.name), search) && !strings.Contains(strings.ToLower(el.description), search):
		default:
			all = append(all, el)
		}
	}
	slices.SortFunc(all, func(a, b *libraryElement) int { return strings.Compare(a.name, b.name) })
	if q.Get("sortDirection") == "alpha-desc" {
		slices.Reverse(all)
	}
	page, _ := strconv.Atoi(q.Get("page"))
	perPage, _ := strconv.Atoi(q.Get("perPage"))
	if page <= 0 {
		page = 1
	}
	if perPage <= 0 {
		perPage = 100
	}
	out := []map[string]any{}
	for _, el := range pageOf(all, page, perPage) {
		out = append(out, e.libraryDTO(o, el, el.model))
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"result": map[string]any{
		"totalCount": len(all), "page": page, "perPage": perPage, "elements": out,
	}})
}

// patchLibraryElement is PATCH /api/library-elements/{uid}: version is
// required (binding:"Required", so 0 is a binding error) and must equal the
// stored one (412 otherwise); name "" and an absent model keep the stored
// ones; folderUid moves it; the version goes up by one.
func (e *Emulator) patchLibraryElement(c *call) {
	if !c.requireRole("Editor", "library.panels:write") {
		return
	}
	var cmd libraryElementCommand
	if !decodeBody(c.w, c.r, &cmd) {
		return
	}
	if cmd.Version == 0 {
		errMessage(c.w, http.StatusBadRequest, "bad request data")
		return
	}
	if cmd.Kind != libraryPanelKind && cmd.Kind != libraryVariableKind {
		errMessage(c.w, http.StatusInternalServerError, "Failed to update library element")
		return
	}
	o := c.org()
	el := e.libraryParam(c)
	if el == nil {
		return
	}
	if el.version != cmd.Version {
		errMessage(c.w, http.StatusPreconditionFailed, msgLibraryVersion)
		return
	}
	next := *el
	if cmd.UID != "" && cmd.UID != el.uid {
		if msg := uidFormatProblem(cmd.UID); msg != "" {
			errMessage(c.w, http.StatusBadRequest, msg)
			return
		}
		next.uid = cmd.UID
	}
	if cmd.Name != "" {
		next.name = cmd.Name
	}
	if cmd.FolderUID != nil || cmd.FolderID != 0 {
		uid, ok := elementFolder(o, cmd)
		if !ok {
			errMessage(c.w, http.StatusNotFound, "folder not found")
			return
		}
		next.folderUID = uid
	}
	model := el.model
	if len(cmd.Model) > 0 && !bytes.Equal(cmd.Model, []byte("null")) {
		model = cmd.Model
	}
	if !syncFieldsWithModel(&next, model) {
		errMessage(c.w, http.StatusInternalServerError, "Failed to update library element")
		return
	}
	if libraryClash(o, &next, el) {
		errMessage(c.w, http.StatusBadRequest, msgLibraryExists)
		return
	}
	next.version++
	next.updated, next.updatedBy = e.now(), c.id.user
	delete(o.library, el.uid)
	*el = next
	o.library[el.uid] = el
	writeJSON(c.w, http.StatusOK, map[string]any{"result": e.libraryDTO(o, el, el.model)})
}

// deleteLibraryElement is DELETE /api/library-elements/{uid}: connections
// to dashboards that no longer exist are dropped first; any left → 403.
func (e *Emulator) deleteLibraryElement(c *call) {
	if !c.requireRole("Editor", "library.panels:delete") {
		return
	}
	o := c.org()
	el := e.libraryParam(c)
	if el == nil {
		return
	}
	e.dropOrphanConnections(o, el)
	if len(el.connections) > 0 {
		errMessage(c.w, http.StatusForbidden, msgLibraryConnections)
		return
	}
	delete(o.library, el.uid)
	writeJSON(c.w, http.StatusOK, map[string]any{"message": "Library element deleted", "id": el.id})
}

func (e *Emulator) dropOrphanConnections(o *org, el *libraryElement) {
	for id := range el.connections {
		if dashboardByID(o, id) == nil {
			delete(el.connections, id)
		}
	}
}

// libraryConnections is GET /api/library-elements/{uid}/connections.
func (e *Emulator) libraryConnections(c *call) {
	if !c.requireRole("Viewer", "library.panels:read") {
		return
	}
	o := c.org()
	el := e.libraryParam(c)
	if el == nil {
		return
	}
	out := []map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(el.connections)) {
		conn := el.connections[id]
		uid := ""
		if d := dashboardByID(o, id); d != nil {
			uid = d.uid
		}
		out = append(out, map[string]any{"id": conn.id, "kind": 1, "elementId": el.id, "connectionId": id,
			"connectionUid": uid, "created": conn.created, "createdBy": libraryUserRef(conn.createdBy)})
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"result": out})
}

// libraryPanelUIDs collects the libraryPanel uids of a dashboard's panels,
// rows' panels included (connectLibraryPanelsRecursively). A libraryPanel
// without a uid is an error (errLibraryPanelHeaderUIDMissing).
func libraryPanelUIDs(panels any, into map[string]bool) error {
	list, _ := panels.([]any)
	for _, p := range list {
		panel, _ := p.(map[string]any)
		if panel == nil {
			continue
		}
		lp, isLib := panel["libraryPanel"].(map[string]any)
		if panel["libraryPanel"] != nil && !isLib {
			isLib = true // simplejson's Get of a non-object: MustString gives ""
		}
		if !isLib && panel["type"] != "row" {
			continue
		}
		if panel["type"] == "row" {
			if err := libraryPanelUIDs(panel["panels"], into); err != nil {
				return err
			}
			continue
		}
		uid, _ := lp["uid"].(string)
		if uid == "" {
			return fmt.Errorf("library panel uid missing")
		}
		into[uid] = true
	}
	return nil
}

// connectLibraryPanelsLocked replaces dashboard d's connections with the
// library panels its JSON references, all or nothing. The caller holds e.mu.
func (e *Emulator) connectLibraryPanelsLocked(o *org, d *dashboard, data map[string]any, by *user) error {
	uids := map[string]bool{}
	if err := libraryPanelUIDs(data["panels"], uids); err != nil {
		return err
	}
	lib := libraryOf(o)
	for uid := range uids {
		if lib[uid] == nil {
			return fmt.Errorf("library panel %s: %s", uid, msgLibraryNotFound)
		}
	}
	e.disconnectLibraryPanelsLocked(o, d.id)
	now := e.now()
	for uid := range uids {
		e.st.nextLibraryID++
		lib[uid].connections[d.id] = libraryConnection{id: e.st.nextLibraryID, created: now, createdBy: by}
	}
	return nil
}

// deleteDashboardLocked removes d from its org; a deleted dashboard keeps
// no library panel connection (every delete path: /api, /apis, folder).
func (e *Emulator) deleteDashboardLocked(o *org, d *dashboard) {
	delete(o.dashboards, d.uid)
	e.disconnectLibraryPanelsLocked(o, d.id)
}

// disconnectLibraryPanelsLocked drops every connection of dashboard id.
func (e *Emulator) disconnectLibraryPanelsLocked(o *org, id int64) {
	for _, el := range o.library {
		delete(el.connections, id)
	}
}

// connectedLibraryElementIn reports whether folder uid directly holds a
// library element connected to a dashboard (deleteLibraryElementsInFolderUID
// → ErrFolderHasConnectedLibraryElements).
func (e *Emulator) connectedLibraryElementIn(o *org, folderUID string) bool {
	for _, el := range o.library {
		if el.folderUID == folderUID {
			e.dropOrphanConnections(o, el)
			if len(el.connections) > 0 {
				return true
			}
		}
	}
	return false
}

// libraryCount counts the library panels in the folders of in (§5.7).
func libraryCount(o *org, in map[string]bool) int {
	n := 0
	for _, el := range o.library {
		if el.kind == libraryPanelKind && in[el.folderUID] {
			n++
		}
	}
	return n
}

// LibraryElementSpec seeds a library element as a user saving one in the UI would.
type LibraryElementSpec struct {
	UID, Name, FolderUID string
	Model                any // encoded as JSON
}

// SeedLibraryElement stores a library panel directly (version 1), for tests.
func (e *Emulator) SeedLibraryElement(orgID int64, spec LibraryElementSpec) error {
	model, err := json.Marshal(spec.Model)
	if err != nil {
		return fmt.Errorf("seed library element %s: %w", spec.UID, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil {
		return fmt.Errorf("seed library element %s: org %d does not exist", spec.UID, orgID)
	}
	if spec.FolderUID != "" && o.folders[spec.FolderUID] == nil {
		return fmt.Errorf("seed library element %s: folder %s does not exist", spec.UID, spec.FolderUID)
	}
	now := e.now()
	el := &libraryElement{uid: spec.UID, folderUID: spec.FolderUID, name: spec.Name, kind: libraryPanelKind, version: 1,
		created: now, updated: now, createdBy: e.st.users[1], updatedBy: e.st.users[1], connections: map[int64]libraryConnection{}}
	if !syncFieldsWithModel(el, addUIDToLibraryPanel(model, spec.UID)) || libraryClash(o, el, nil) {
		return fmt.Errorf("seed library element %s: bad model, or uid or name taken", spec.UID)
	}
	e.st.nextLibraryID++
	el.id = e.st.nextLibraryID
	libraryOf(o)[el.uid] = el
	return nil
}

// EditLibraryElement changes a library panel's model as a user saving it in
// the UI would (version + 1).
func (e *Emulator) EditLibraryElement(orgID int64, uid string, edit func(model map[string]any)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil || o.library[uid] == nil {
		return fmt.Errorf("edit library element %s: not found in org %d", uid, orgID)
	}
	el := o.library[uid]
	var m map[string]any
	if err := json.Unmarshal(el.model, &m); err != nil {
		return fmt.Errorf("edit library element %s: %w", uid, err)
	}
	edit(m)
	model, _ := json.Marshal(m)
	if !syncFieldsWithModel(el, model) {
		return fmt.Errorf("edit library element %s: the edit left a non-string type or description", uid)
	}
	el.version++
	el.updated = e.now()
	return nil
}

// LibraryElementInfo is what tests inspect of a stored library element.
type LibraryElementInfo struct {
	Name, FolderUID string
	Version         int64
	Model           []byte
	// Connected are the uids of the dashboards connected to it, sorted.
	Connected []string
}

// GetLibraryElement returns a stored library element.
func (e *Emulator) GetLibraryElement(orgID int64, uid string) (LibraryElementInfo, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	o := e.st.orgs[orgID]
	if o == nil || o.library[uid] == nil {
		return LibraryElementInfo{}, false
	}
	el := o.library[uid]
	info := LibraryElementInfo{Name: el.name, FolderUID: el.folderUID, Version: el.version, Model: bytes.Clone(el.model)}
	for id := range el.connections {
		if d := dashboardByID(o, id); d != nil {
			info.Connected = append(info.Connected, d.uid)
		}
	}
	slices.Sort(info.Connected)
	return info, true
}

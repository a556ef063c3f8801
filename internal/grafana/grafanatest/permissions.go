package grafanatest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
)

// Folder and dashboard permissions: reference §5.8 and §3.5. Only managed,
// directly assigned entries are stored and listed; org Admins and server
// admins have implicit Admin and are never listed.
//
// Access model (a deviation from the shared role model, closer to Grafana):
// a caller's permission on a folder is the strongest of its org role
// (Viewer→View, Editor→Edit, Admin→Admin), and the entries on the folder and
// its ancestors that name it, one of its teams, or its role or a weaker one.
// A dashboard adds its own entries to its folder's.

// Permission levels (§5.8).
const (
	permView  = 1
	permEdit  = 2
	permAdmin = 4
)

func permissionName(p int) string {
	switch p {
	case permView:
		return "View"
	case permEdit:
		return "Edit"
	case permAdmin:
		return "Admin"
	}
	return ""
}

func (e *Emulator) permissionRoutes() {
	e.read("GET /api/folders/{uid}/permissions", e.getFolderPermissions)
	e.write("POST /api/folders/{uid}/permissions", e.setFolderPermissions)
	e.read("GET /api/dashboards/uid/{uid}/permissions", e.getDashboardPermissions)
	e.write("POST /api/dashboards/uid/{uid}/permissions", e.setDashboardPermissions)
}

// newPermission gives p the next row id and the current time.
func (e *Emulator) newPermission(p permission) permission {
	e.st.nextPermissionID++
	p.id = e.st.nextPermissionID
	p.created = e.now()
	p.updated = p.created
	return p
}

// roleAccess is what the caller holds through its org role alone.
func (c *call) roleAccess() int {
	if c.id.user.serverAdmin && c.id.token == nil {
		return permAdmin
	}
	switch c.id.role {
	case "Admin":
		return permAdmin
	case "Editor":
		return permEdit
	case "Viewer":
		return permView
	}
	return 0
}

// grants is the strongest of the entries that apply to the caller.
func (c *call) grants(entries []permission) int {
	best := 0
	for _, p := range entries {
		applies := false
		switch {
		case p.userID != 0:
			applies = p.userID == c.id.user.id
		case p.teamID != 0:
			if t := c.org().teams[p.teamID]; t != nil {
				_, applies = t.members[c.id.user.id]
			}
		case p.role != "":
			applies = roleRank(c.id.role) >= roleRank(p.role)
		}
		if applies {
			best = max(best, p.permission)
		}
	}
	return best
}

// folderAccess is the caller's permission on f, inherited down the tree;
// nil (the root, or a folder that does not exist) gives the role's.
func (c *call) folderAccess(f *folder) int {
	best := c.roleAccess()
	o := c.org()
	for depth := 0; f != nil && depth <= folderCycleGuard; depth++ {
		best = max(best, c.grants(f.permissions))
		f = o.folders[f.parentUID]
	}
	return best
}

// editsSomeFolder reports whether the caller may edit the root or any folder.
func (c *call) editsSomeFolder() bool {
	if c.roleAccess() >= permEdit {
		return true
	}
	for _, f := range c.org().folders {
		if c.folderAccess(f) >= permEdit {
			return true
		}
	}
	return false
}

// dashboardAccess is the caller's permission on d (nil: the role's).
func (c *call) dashboardAccess(d *dashboard) int {
	if d == nil {
		return c.roleAccess()
	}
	return max(c.folderAccess(c.org().folders[d.folderUID]), c.grants(d.permissions))
}

// aclTarget is what a permission list describes: the fields every entry
// repeats about its folder or dashboard.
type aclTarget map[string]any

func folderTarget(f *folder) aclTarget {
	return aclTarget{
		"folderId": f.id, "folderUid": f.uid,
		"uid": f.uid, "title": f.title, "slug": slugify(f.title), "url": folderURL(f), "isFolder": true,
	}
}

func dashboardTarget(o *org, d *dashboard) aclTarget {
	t := aclTarget{
		"dashboardId": d.id,
		"uid":         d.uid, "title": d.title, "slug": slugify(d.title),
		"url": "/d/" + d.uid + "/" + slugify(d.title), "isFolder": false,
	}
	if f := o.folders[d.folderUID]; f != nil {
		t["folderId"] = f.id
	}
	return t
}

// permissionList is the GET body of §5.8: one object per entry, by id.
func (e *Emulator) permissionList(o *org, entries []permission, target aclTarget) []map[string]any {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b permission) int { return cmp.Compare(a.id, b.id) })
	out := make([]map[string]any, 0, len(sorted))
	for _, p := range sorted {
		item := map[string]any{
			"id": p.id, "created": p.created, "updated": p.updated,
			"userId": p.userID, "userUid": "", "userLogin": "", "userEmail": "", "userAvatarUrl": "",
			"teamId": p.teamID, "teamUid": "", "team": "", "teamEmail": "", "teamAvatarUrl": "",
			"role": p.role, "permission": p.permission, "permissionName": permissionName(p.permission),
			"inherited": false,
		}
		if u := e.st.users[p.userID]; p.userID != 0 && u != nil {
			item["userUid"], item["userLogin"], item["userEmail"] = u.uid, u.login, u.email
			item["userAvatarUrl"] = avatarURL(u.email)
		}
		if t := o.teams[p.teamID]; p.teamID != 0 && t != nil {
			item["teamUid"], item["team"], item["teamEmail"] = t.uid, t.name, t.email
			item["teamAvatarUrl"] = avatarURL(cmp.Or(t.email, t.name))
		}
		for k, v := range target {
			item[k] = v
		}
		out = append(out, item)
	}
	return out
}

// §5.8 GET: needs Admin on the folder.
func (e *Emulator) getFolderPermissions(c *call) {
	if f := folderParam(c, permAdmin, "folders.permissions:read"); f != nil {
		writeJSON(c.w, http.StatusOK, e.permissionList(c.org(), f.permissions, folderTarget(f)))
	}
}

// §3.5 GET: as for folders, on a dashboard.
func (e *Emulator) getDashboardPermissions(c *call) {
	d := c.org().dashboards[c.r.PathValue("uid")]
	if c.dashboardAccess(d) < permAdmin {
		errAccessDenied(c.w, "dashboards.permissions:read")
		return
	}
	if d == nil {
		errMessage(c.w, http.StatusNotFound, "Dashboard not found")
		return
	}
	writeJSON(c.w, http.StatusOK, e.permissionList(c.org(), d.permissions, dashboardTarget(c.org(), d)))
}

// permissionItem is one entry of a permissions POST. Role is a pointer as in
// Grafana: present-but-empty still counts as a role.
type permissionItem struct {
	UserID     int64   `json:"userId"`
	TeamID     int64   `json:"teamId"`
	Role       *string `json:"role"`
	Permission int     `json:"permission"`
}

// §5.8 POST: replace-all.
func (e *Emulator) setFolderPermissions(c *call) {
	f := c.org().folders[c.r.PathValue("uid")]
	if c.folderAccess(f) < permAdmin {
		errAccessDenied(c.w, "folders.permissions:write")
		return
	}
	items, ok := e.decodePermissionItems(c)
	if !ok {
		return
	}
	if f == nil {
		errStatus(c.w, http.StatusNotFound, "not-found", folderNotFound)
		return
	}
	next, msg := e.replacePermissions(c.org(), f.permissions, items, "folder")
	if msg != "" {
		errMessage(c.w, http.StatusBadRequest, msg)
		return
	}
	f.permissions = next
	errMessage(c.w, http.StatusOK, "Folder permissions updated")
}

// §3.5 POST: replace-all on a dashboard.
func (e *Emulator) setDashboardPermissions(c *call) {
	d := c.org().dashboards[c.r.PathValue("uid")]
	if c.dashboardAccess(d) < permAdmin {
		errAccessDenied(c.w, "dashboards.permissions:write")
		return
	}
	items, ok := e.decodePermissionItems(c)
	if !ok {
		return
	}
	if d == nil {
		errMessage(c.w, http.StatusNotFound, "Dashboard not found")
		return
	}
	next, msg := e.replacePermissions(c.org(), d.permissions, items, "dashboard")
	if msg != "" {
		errMessage(c.w, http.StatusBadRequest, msg)
		return
	}
	d.permissions = next
	errMessage(c.w, http.StatusOK, "Dashboard permissions updated")
}

// decodePermissionItems binds the body and runs Grafana's first checks,
// which come before the resource lookup. Grafana's two messages are swapped
// relative to their names; the emulator keeps them as Grafana sends them.
func (e *Emulator) decodePermissionItems(c *call) ([]permissionItem, bool) {
	var req struct {
		Items []permissionItem `json:"items"`
	}
	if !decodeBody(c.w, c.r, &req) {
		return nil, false
	}
	for _, it := range req.Items {
		if it.UserID > 0 && it.TeamID > 0 {
			errMessage(c.w, http.StatusBadRequest, "team and user permissions cannot have an associated role")
			return nil, false
		}
		if (it.UserID > 0 || it.TeamID > 0) && it.Role != nil {
			errMessage(c.w, http.StatusBadRequest, "permissions cannot have both a user and team")
			return nil, false
		}
	}
	return req.Items, true
}

// replacePermissions validates items and returns the new entry list, or a
// 400 message. An entry for a subject that already had one keeps its id and
// created time; everything not in items is dropped. kind is "folder" or
// "dashboard".
func (e *Emulator) replacePermissions(o *org, old []permission, items []permissionItem, kind string) ([]permission, string) {
	type subject struct {
		userID, teamID int64
		role           string
	}
	existing := map[subject]permission{}
	for _, p := range old {
		existing[subject{p.userID, p.teamID, p.role}] = p
	}
	var next []permission
	index := map[subject]int{}
	for _, it := range items {
		s := subject{userID: it.UserID, teamID: it.TeamID}
		if it.Role != nil {
			s.role = *it.Role
		}
		switch {
		case s.userID <= 0 && s.teamID <= 0 && it.Role == nil:
			return nil, fmt.Sprintf("user id and team id cannot both be empty for a %s permission", kind)
		case permissionName(it.Permission) == "":
			return nil, "invalid permission"
		case it.Role != nil && roleRank(s.role) == 0:
			return nil, "invalid role"
		case s.userID > 0 && !isMember(o, e.st.users[s.userID]):
			return nil, "user not found"
		case s.teamID > 0 && o.teams[s.teamID] == nil:
			return nil, "team not found"
		}
		p, had := existing[s]
		if had {
			p.permission, p.updated = it.Permission, e.now()
		} else {
			p = e.newPermission(permission{userID: s.userID, teamID: s.teamID, role: s.role, permission: it.Permission})
			existing[s] = p
		}
		if i, dup := index[s]; dup {
			next[i] = p // a later item for the same subject wins
			continue
		}
		index[s] = len(next)
		next = append(next, p)
	}
	return next, ""
}

func isMember(o *org, u *user) bool {
	if u == nil {
		return false
	}
	_, ok := o.members[u.id]
	return ok
}

// PermissionInfo is one managed permission entry: exactly one of UserID,
// TeamID and Role is set; Permission is 1 (View), 2 (Edit) or 4 (Admin).
type PermissionInfo struct {
	UserID     int64
	TeamID     int64
	Role       string
	Permission int
}

func permissionInfos(entries []permission) []PermissionInfo {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b permission) int { return cmp.Compare(a.id, b.id) })
	out := []PermissionInfo{}
	for _, p := range sorted {
		out = append(out, PermissionInfo{UserID: p.userID, TeamID: p.teamID, Role: p.role, Permission: p.permission})
	}
	return out
}

func (e *Emulator) newPermissions(perms []PermissionInfo) []permission {
	var out []permission
	for _, p := range perms {
		out = append(out, e.newPermission(permission{userID: p.UserID, teamID: p.TeamID, role: p.Role, permission: p.Permission}))
	}
	return out
}

// FolderPermissions lists a folder's managed entries in creation order; nil
// when the folder does not exist.
func (e *Emulator) FolderPermissions(orgID int64, folderUID string) []PermissionInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if o := e.st.orgs[orgID]; o != nil && o.folders[folderUID] != nil {
		return permissionInfos(o.folders[folderUID].permissions)
	}
	return nil
}

// SetFolderPermissions replaces a folder's entries without any check, as a
// hand edit in the Grafana UI (or a direct database change) would.
func (e *Emulator) SetFolderPermissions(orgID int64, folderUID string, perms []PermissionInfo) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil || o.folders[folderUID] == nil {
		return fmt.Errorf("set permissions: folder %q does not exist in org %d", folderUID, orgID)
	}
	o.folders[folderUID].permissions = e.newPermissions(perms)
	return nil
}

// DashboardPermissions lists a dashboard's managed entries in creation
// order; nil when the dashboard does not exist.
func (e *Emulator) DashboardPermissions(orgID int64, dashboardUID string) []PermissionInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if o := e.st.orgs[orgID]; o != nil && o.dashboards[dashboardUID] != nil {
		return permissionInfos(o.dashboards[dashboardUID].permissions)
	}
	return nil
}

// SetDashboardPermissions replaces a dashboard's entries without any check,
// as a hand edit would.
func (e *Emulator) SetDashboardPermissions(orgID int64, dashboardUID string, perms []PermissionInfo) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil || o.dashboards[dashboardUID] == nil {
		return fmt.Errorf("set permissions: dashboard %q does not exist in org %d", dashboardUID, orgID)
	}
	o.dashboards[dashboardUID].permissions = e.newPermissions(perms)
	return nil
}

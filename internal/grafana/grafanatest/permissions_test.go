package grafanatest

import (
	"crypto/md5"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seedTeam writes a team row directly (the teams routes are another area's).
func seedTeam(e *Emulator, name, email string, members ...int64) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.nextTeamID++
	t := &team{id: e.st.nextTeamID, uid: "team-" + slugify(name), name: name, email: email, members: map[int64]int{}, created: frozen, updated: frozen}
	for _, id := range members {
		t.members[id] = 0
	}
	e.st.orgs[1].teams[t.id] = t
	return t.id
}

// avatar is Grafana's gravatar path for an email (or a team's name).
func avatar(s string) string {
	return fmt.Sprintf("/avatar/%x", md5.Sum([]byte(strings.ToLower(strings.TrimSpace(s)))))
}

// entry is one expected permission list item: the blanks of §5.8 filled in.
func entry(target map[string]any, fields map[string]any) map[string]any {
	m := map[string]any{
		"created": frozenJSON, "updated": frozenJSON,
		"userId": float64(0), "userUid": "", "userLogin": "", "userEmail": "", "userAvatarUrl": "",
		"teamId": float64(0), "teamUid": "", "team": "", "teamEmail": "", "teamAvatarUrl": "",
		"role": "", "inherited": false,
	}
	for k, v := range target {
		m[k] = v
	}
	for k, v := range fields {
		m[k] = v
	}
	return m
}

// §5.8 GET: every field of a user, a team and a role entry; org Admins and
// server admins are implicit and not listed.
func TestFolderPermissionsList(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	seedFolder(t, e, "infra", "Infra Core", "")
	_, editorID := roleClient(e, admin, "Editor")
	teamID := seedTeam(e, "SRE", "sre@example.com")
	if err := e.SetFolderPermissions(1, "infra", []PermissionInfo{
		{UserID: editorID, Permission: 4}, {TeamID: teamID, Permission: 2}, {Role: "Viewer", Permission: 1},
	}); err != nil {
		t.Fatal(err)
	}
	var editorUID string
	e.mu.RLock()
	editorUID = e.st.users[editorID].uid
	e.mu.RUnlock()
	target := map[string]any{
		"folderId": float64(1), "folderUid": "infra", "uid": "infra", "title": "Infra Core",
		"slug": "infra-core", "url": "/dashboards/f/infra/infra-core", "isFolder": true,
	}
	// SeedFolder made entries 1–3; SetFolderPermissions 4–6.
	want := []any{
		entry(target, map[string]any{"id": float64(4), "userId": float64(editorID), "userUid": editorUID, "userLogin": "editor",
			"userEmail": "editor@example.com", "userAvatarUrl": avatar("editor@example.com"), "permission": float64(4), "permissionName": "Admin"}),
		entry(target, map[string]any{"id": float64(5), "teamId": float64(teamID), "teamUid": "team-sre", "team": "SRE",
			"teamEmail": "sre@example.com", "teamAvatarUrl": avatar("sre@example.com"), "permission": float64(2), "permissionName": "Edit"}),
		entry(target, map[string]any{"id": float64(6), "role": "Viewer", "permission": float64(1), "permissionName": "View"}),
	}
	status, got := admin.call("GET", "/api/folders/infra/permissions", nil)
	if diff := cmp.Diff(want, got); status != 200 || diff != "" {
		t.Errorf("status %d, body (-want +got):\n%s", status, diff)
	}
	admin.expect("GET", "/api/folders/nope/permissions", nil, 404, map[string]any{"message": "folder not found", "status": "not-found"})
}

// §5.8 POST: replace-all, removing the defaults and the creator's Admin.
func TestFolderPermissionsReplaceAll(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	editor, editorID := roleClient(e, admin, "Editor")
	editor.expect("POST", "/api/folders", map[string]any{"uid": "f", "title": "F"}, 200, nil)
	teamID := seedTeam(e, "SRE", "")
	body := map[string]any{"items": []any{
		map[string]any{"role": "Viewer", "permission": 1},
		map[string]any{"teamId": teamID, "permission": 2},
	}}
	status, got := admin.obj("POST", "/api/folders/f/permissions", body)
	if diff := cmp.Diff(map[string]any{"message": "Folder permissions updated"}, got); status != 200 || diff != "" {
		t.Errorf("status %d, body (-want +got):\n%s", status, diff)
	}
	want := []PermissionInfo{{Role: "Viewer", Permission: 1}, {TeamID: teamID, Permission: 2}}
	if diff := cmp.Diff(want, e.FolderPermissions(1, "f")); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	// The creator lost Admin with the replace: an Editor may no longer read them.
	editor.expect("GET", "/api/folders/f/permissions", nil, 403, map[string]any{"title": "Access denied"})
	_ = editorID

	// An empty list removes everything.
	admin.expect("POST", "/api/folders/f/permissions", map[string]any{"items": []any{}}, 200, nil)
	if got := e.FolderPermissions(1, "f"); len(got) != 0 {
		t.Errorf("after empty replace: %v", got)
	}
}

// §5.8 POST: a kept subject keeps its row id; a later item for the same
// subject wins.
func TestFolderPermissionsKeepRows(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	seedFolder(t, e, "f", "F", "") // rows 1 admin, 2 Editor, 3 Viewer
	admin.expect("POST", "/api/folders/f/permissions", map[string]any{"items": []any{
		map[string]any{"role": "Viewer", "permission": 1},
		map[string]any{"role": "Editor", "permission": 1},
		map[string]any{"role": "Editor", "permission": 4},
	}}, 200, nil)
	_, got := admin.call("GET", "/api/folders/f/permissions", nil)
	var rows [][2]any
	for _, it := range got.([]any) {
		m := it.(map[string]any)
		rows = append(rows, [2]any{m["id"], m["permissionName"]})
	}
	want := [][2]any{{float64(2), "Admin"}, {float64(3), "View"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// §5.8 POST validation; a refused POST changes nothing.
func TestFolderPermissionsValidation(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	seedFolder(t, e, "f", "F", "")
	other := e.AddOrg("Other")
	stranger := e.AddUser(UserSpec{Login: "stranger", Password: "pw", OrgRoles: map[int64]string{other: "Admin"}})
	_, viewerID := roleClient(e, admin, "Viewer")
	teamID := seedTeam(e, "SRE", "")
	before := e.FolderPermissions(1, "f")
	item := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return map[string]any{"items": []any{m}}
	}
	tests := []struct {
		name       string
		uid        string
		body       any
		wantStatus int
		want       map[string]any
	}{
		// Grafana's messages for these two are swapped relative to their cause; kept as sent.
		{"user and team", "f", item("userId", viewerID, "teamId", teamID, "permission", 1), 400, map[string]any{"message": "team and user permissions cannot have an associated role"}},
		{"role and user", "f", item("userId", viewerID, "role", "Viewer", "permission", 1), 400, map[string]any{"message": "permissions cannot have both a user and team"}},
		{"role and team", "f", item("teamId", teamID, "role", "Viewer", "permission", 1), 400, map[string]any{"message": "permissions cannot have both a user and team"}},
		{"no subject", "f", item("permission", 1), 400, map[string]any{"message": "user id and team id cannot both be empty for a folder permission"}},
		{"permission 3", "f", item("role", "Viewer", "permission", 3), 400, map[string]any{"message": "invalid permission"}},
		{"permission 0", "f", item("userId", viewerID, "permission", 0), 400, map[string]any{"message": "invalid permission"}},
		{"unknown role", "f", item("role", "Boss", "permission", 1), 400, map[string]any{"message": "invalid role"}},
		{"unknown user", "f", item("userId", 999, "permission", 1), 400, map[string]any{"message": "user not found"}},
		{"user of another org", "f", item("userId", stranger, "permission", 1), 400, map[string]any{"message": "user not found"}},
		{"unknown team", "f", item("teamId", 999, "permission", 1), 400, map[string]any{"message": "team not found"}},
		{"malformed", "f", "{", 400, map[string]any{"message": "bad request data"}},
		{"unknown folder", "nope", item("role", "Viewer", "permission", 1), 404, map[string]any{"message": "folder not found", "status": "not-found"}},
		// The shape checks come before the folder lookup, as in Grafana.
		{"shape before lookup", "nope", item("userId", viewerID, "teamId", teamID, "permission", 1), 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			admin.t = t
			admin.expect("POST", "/api/folders/"+tt.uid+"/permissions", tt.body, tt.wantStatus, tt.want)
			if diff := cmp.Diff(before, e.FolderPermissions(1, "f")); diff != "" {
				t.Errorf("a refused POST changed permissions (-want +got):\n%s", diff)
			}
		})
	}
}

// §5.8: reading and writing permissions needs Admin on the folder: the org
// Admin role, or an Admin entry on the folder or an ancestor, for the
// caller, one of its teams, or its role.
func TestFolderPermissionsAccess(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	editor, editorID := roleClient(e, admin, "Editor")
	viewer, viewerID := roleClient(e, admin, "Viewer")
	orgAdmin, _ := roleClient(e, admin, "Admin")
	adminToken := admin.token(e, 1, "Admin")
	editorToken := admin.token(e, 1, "Editor")
	seedFolder(t, e, "seeded", "Seeded", "")
	seedFolder(t, e, "parent", "Parent", "")
	seedFolder(t, e, "child", "Child", "parent")
	seedFolder(t, e, "by-team", "By team", "")
	seedFolder(t, e, "by-role", "By role", "")
	editor.expect("POST", "/api/folders", map[string]any{"uid": "mine", "title": "Mine"}, 200, nil)
	teamID := seedTeam(e, "Leads", "", viewerID)
	set := func(uid string, p ...PermissionInfo) {
		if err := e.SetFolderPermissions(1, uid, p); err != nil {
			t.Fatal(err)
		}
	}
	set("parent", PermissionInfo{UserID: editorID, Permission: 4})
	set("by-team", PermissionInfo{TeamID: teamID, Permission: 4})
	set("by-role", PermissionInfo{Role: "Viewer", Permission: 4})
	tests := []struct {
		name string
		c    *client
		uid  string
		want int
	}{
		{"server admin", admin, "seeded", 200},
		{"org admin", orgAdmin, "seeded", 200},
		{"admin token", adminToken, "seeded", 200},
		{"editor", editor, "seeded", 403},
		{"editor token", editorToken, "seeded", 403},
		{"viewer", viewer, "seeded", 403},
		{"editor, creator of the folder", editor, "mine", 200},
		{"editor, Admin on the parent", editor, "child", 200},
		{"viewer, Admin through a team", viewer, "by-team", 200},
		{"editor, Admin through the Viewer role", editor, "by-role", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.t = t
			tt.c.expect("GET", "/api/folders/"+tt.uid+"/permissions", nil, tt.want, nil)
			body := map[string]any{"items": []any{map[string]any{"role": "Viewer", "permission": 1}}}
			got := tt.c.expect("POST", "/api/folders/"+tt.uid+"/permissions", body, tt.want, nil)
			if tt.want == 403 && got["message"] != "You'll need additional permissions to perform this action. Permissions needed: folders.permissions:write" {
				t.Errorf("403 body %v", got)
			}
		})
	}
}

// §5.8 with §5.4/§5.6: entries grant folder writes too, inherited by
// sub-folders; a hand edit that removes them takes the access away.
func TestFolderEntriesGrantWrites(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	viewer, viewerID := roleClient(e, admin, "Viewer")
	seedFolder(t, e, "parent", "Parent", "")
	seedFolder(t, e, "child", "Child", "parent")
	viewer.expect("PUT", "/api/folders/child", map[string]any{"title": "C", "version": 1}, 403, nil)
	if err := e.SetFolderPermissions(1, "parent", []PermissionInfo{{UserID: viewerID, Permission: 2}}); err != nil {
		t.Fatal(err)
	}
	viewer.expect("PUT", "/api/folders/child", map[string]any{"title": "C", "version": 1}, 200, map[string]any{"canSave": true, "canAdmin": false})
	viewer.expect("POST", "/api/folders", map[string]any{"uid": "grandchild", "title": "G", "parentUid": "child"}, 200, nil)
	viewer.expect("POST", "/api/folders", map[string]any{"uid": "top", "title": "Top"}, 403, nil)
	if err := e.SetFolderPermissions(1, "parent", nil); err != nil {
		t.Fatal(err)
	}
	viewer.expect("DELETE", "/api/folders/child", nil, 403, nil)
}

// §3.5: dashboard permissions, same shape with dashboardId and isFolder false.
func TestDashboardPermissions(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	seedFolder(t, e, "f", "F", "")
	seedDashboard(e, "dash", "Prod Overview", "f") // id 2
	teamID := seedTeam(e, "SRE", "")
	status, got := admin.obj("POST", "/api/dashboards/uid/dash/permissions", map[string]any{"items": []any{
		map[string]any{"teamId": teamID, "permission": 2},
		map[string]any{"role": "Editor", "permission": 1},
	}})
	if diff := cmp.Diff(map[string]any{"message": "Dashboard permissions updated"}, got); status != 200 || diff != "" {
		t.Errorf("status %d, body (-want +got):\n%s", status, diff)
	}
	target := map[string]any{
		"dashboardId": float64(2), "folderId": float64(1), "uid": "dash", "title": "Prod Overview",
		"slug": "prod-overview", "url": "/d/dash/prod-overview", "isFolder": false,
	}
	want := []any{
		entry(target, map[string]any{"id": float64(4), "teamId": float64(teamID), "teamUid": "team-sre", "team": "SRE",
			"teamAvatarUrl": avatar("SRE"), "permission": float64(2), "permissionName": "Edit"}),
		entry(target, map[string]any{"id": float64(5), "role": "Editor", "permission": float64(1), "permissionName": "View"}),
	}
	status, list := admin.call("GET", "/api/dashboards/uid/dash/permissions", nil)
	if diff := cmp.Diff(want, list); status != 200 || diff != "" {
		t.Errorf("status %d, body (-want +got):\n%s", status, diff)
	}
	if diff := cmp.Diff([]PermissionInfo{{TeamID: teamID, Permission: 2}, {Role: "Editor", Permission: 1}}, e.DashboardPermissions(1, "dash")); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	notFound := map[string]any{"message": "Dashboard not found"}
	admin.expect("GET", "/api/dashboards/uid/nope/permissions", nil, 404, notFound)
	admin.expect("POST", "/api/dashboards/uid/nope/permissions", map[string]any{"items": []any{}}, 404, notFound)
	admin.expect("POST", "/api/dashboards/uid/dash/permissions", map[string]any{"items": []any{map[string]any{"userId": 999, "permission": 1}}}, 400,
		map[string]any{"message": "user not found"})
	admin.expect("POST", "/api/dashboards/uid/dash/permissions", map[string]any{"items": []any{map[string]any{"permission": 1}}}, 400,
		map[string]any{"message": "user id and team id cannot both be empty for a dashboard permission"})
}

// §3.5: dashboard permissions need Admin on the dashboard, which a folder
// Admin entry grants to the dashboards inside.
func TestDashboardPermissionsAccess(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	editor, editorID := roleClient(e, admin, "Editor")
	seedFolder(t, e, "f", "F", "")
	seedFolder(t, e, "g", "G", "")
	seedDashboard(e, "in-f", "In F", "f")
	seedDashboard(e, "in-g", "In G", "g")
	seedDashboard(e, "own", "Own", "")
	if err := e.SetFolderPermissions(1, "f", []PermissionInfo{{UserID: editorID, Permission: 4}}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetDashboardPermissions(1, "own", []PermissionInfo{{UserID: editorID, Permission: 4}}); err != nil {
		t.Fatal(err)
	}
	editor.expect("GET", "/api/dashboards/uid/in-f/permissions", nil, 200, nil)
	editor.expect("GET", "/api/dashboards/uid/own/permissions", nil, 200, nil)
	editor.expect("GET", "/api/dashboards/uid/in-g/permissions", nil, 403, map[string]any{
		"message": "You'll need additional permissions to perform this action. Permissions needed: dashboards.permissions:read"})
	editor.expect("POST", "/api/dashboards/uid/in-g/permissions", map[string]any{"items": []any{}}, 403, nil)
}

// The test-facing setters refuse unknown targets.
func TestSetPermissionsUnknown(t *testing.T) {
	e, _ := folderEmulator(t, "11", nil)
	if err := e.SetFolderPermissions(1, "nope", nil); err == nil {
		t.Error("SetFolderPermissions on an unknown folder succeeded")
	}
	if err := e.SetDashboardPermissions(1, "nope", nil); err == nil {
		t.Error("SetDashboardPermissions on an unknown dashboard succeeded")
	}
	if e.FolderPermissions(1, "nope") != nil || e.DashboardPermissions(2, "nope") != nil {
		t.Error("permissions listed for unknown targets")
	}
}

// §5.8: a server admin has implicit Admin even where its org role is weaker.
func TestFolderPermissionsServerAdminImplicit(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	org2 := addOrgWithServerAdmin(e, "Two", "Viewer")
	if _, err := e.SeedFolder(org2, FolderSpec{UID: "f", Title: "F"}); err != nil {
		t.Fatal(err)
	}
	if err := e.SetFolderPermissions(org2, "f", nil); err != nil { // drop the creator's entry
		t.Fatal(err)
	}
	in2 := admin.withHeader("X-Grafana-Org-Id", "2")
	in2.expect("GET", "/api/folders/f/permissions", nil, 200, nil)
	in2.expect("PUT", "/api/folders/f", map[string]any{"title": "F2", "version": 1}, 200, map[string]any{"canAdmin": true})
}

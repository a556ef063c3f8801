package grafanatest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seedDashboard stores a bare dashboard in org for preference tests; the
// dashboards area owns the real save path.
func seedDashboardWithID(e *Emulator, orgID, id int64, uid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.orgs[orgID].dashboards[uid] = &dashboard{id: id, uid: uid, title: uid}
}

// §7.1: the current org, read by any member, renamed by an org Admin.
func TestCurrentOrg(t *testing.T) {
	e, admin := newClient(t, Options{})
	e.AddOrg("Taken")
	e.AddUser(UserSpec{Login: "viewer", Password: "pw"})
	viewer := admin.as(basicAuth("viewer", "pw"))

	tests := []struct {
		name       string
		c          *client
		method     string
		body       any
		wantStatus int
		want       map[string]any
	}{
		// §7.1: GET /api/org is open to any member and carries the address.
		{"viewer reads", viewer, "GET", nil, 200, map[string]any{"id": float64(1), "name": "Main Org.",
			"address": map[string]any{"address1": "", "address2": "", "city": "", "zipCode": "", "state": "", "country": ""}}},
		// §7.1: PUT needs org Admin.
		{"viewer cannot rename", viewer, "PUT", map[string]any{"name": "X"}, 403, map[string]any{"title": "Access denied"}},
		// §7.1: a taken name is 400.
		{"name taken", admin, "PUT", map[string]any{"name": "Taken"}, 400, map[string]any{"message": "Organization name taken"}},
		// §7.1: the name is required.
		{"empty name", admin, "PUT", map[string]any{"name": ""}, 400, map[string]any{"message": "bad request data"}},
		// §0.2: malformed body.
		{"malformed body", admin, "PUT", "{", 400, map[string]any{"message": "bad request data"}},
		// §7.1: rename.
		{"rename", admin, "PUT", map[string]any{"name": "Renamed"}, 200, map[string]any{"message": "Organization updated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			c.t = t
			c.expect(tt.method, "/api/org", tt.body, tt.wantStatus, tt.want)
		})
	}
	if id, ok := e.OrgIDByName("Renamed"); !ok || id != 1 {
		t.Errorf("OrgIDByName(Renamed) = %d, %v; want 1, true", id, ok)
	}
}

// §7.1: org users: list, add by login or email, role changes and removal,
// with the last-admin guards.
func TestCurrentOrgUsers(t *testing.T) {
	e, admin := newClient(t, Options{})
	org2 := e.AddOrg("Other")
	alice := e.AddUser(UserSpec{Login: "alice", Email: "alice@example.com", Password: "pw", OrgRoles: map[int64]string{org2: "Viewer"}})
	bob := e.AddUser(UserSpec{Login: "bob", Email: "bob@example.com", Password: "pw", OrgRoles: map[int64]string{org2: "Admin"}})
	mustToken(t, e, 1, "robot", "Admin")
	viewer := admin.as(basicAuth("alice", "pw")).withHeader("X-Grafana-Org-Id", "2")

	// §7.1: a Viewer may not list org users (org.users:read is Admin's).
	viewer.expect("GET", "/api/org/users", nil, 403, map[string]any{"title": "Access denied"})

	steps := []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		want       map[string]any
	}{
		{"add by login", "POST", "/api/org/users", map[string]any{"loginOrEmail": "alice", "role": "Editor"}, 200,
			map[string]any{"message": "User added to organization", "userId": float64(alice)}},
		{"add by email", "POST", "/api/org/users", map[string]any{"loginOrEmail": "bob@example.com", "role": "Viewer"}, 200,
			map[string]any{"userId": float64(bob)}},
		{"already member 409", "POST", "/api/org/users", map[string]any{"loginOrEmail": "alice", "role": "Viewer"}, 409,
			map[string]any{"message": "User is already member of this organization"}},
		{"unknown user 404", "POST", "/api/org/users", map[string]any{"loginOrEmail": "ghost", "role": "Viewer"}, 404,
			map[string]any{"message": "User not found"}},
		{"service account is not a user", "POST", "/api/org/users", map[string]any{"loginOrEmail": "sa-1-robot", "role": "Viewer"}, 404, nil},
		{"invalid role", "POST", "/api/org/users", map[string]any{"loginOrEmail": "alice", "role": "Owner"}, 400,
			map[string]any{"message": "Invalid role specified"}},
		{"change role", "PATCH", "/api/org/users/2", map[string]any{"role": "Admin"}, 200,
			map[string]any{"message": "Organization user updated"}},
		{"non-member update is 500", "PATCH", "/api/org/users/999", map[string]any{"role": "Viewer"}, 500,
			map[string]any{"message": "Failed update org user"}},
		{"remove", "DELETE", "/api/org/users/2", nil, 200, map[string]any{"message": "User removed from organization"}},
	}
	for _, s := range steps {
		// §7.1: each step in order on the same org.
		admin.expect(s.method, s.path, s.body, s.wantStatus, s.want)
		if t.Failed() {
			t.Fatalf("step %q failed", s.name)
		}
	}

	// §7.1: the list holds users only (no service accounts), sorted by login.
	status, v := admin.call("GET", "/api/org/users", nil)
	var got []string
	for _, row := range v.([]any) {
		got = append(got, row.(map[string]any)["login"].(string))
	}
	if diff := cmp.Diff([]string{"admin", "bob"}, got); status != 200 || diff != "" {
		t.Errorf("GET /api/org/users: status %d, logins (-want +got):\n%s", status, diff)
	}
}

// §7.1: the last Admin of an org can be neither demoted nor removed;
// service accounts with Admin count as admins.
func TestLastOrgAdmin(t *testing.T) {
	e, admin := newClient(t, Options{})
	admin.expect("PATCH", "/api/org/users/1", map[string]any{"role": "Editor"}, 400,
		map[string]any{"message": "Cannot change role so that there is no organization admin left"})
	admin.expect("DELETE", "/api/org/users/1", nil, 400, map[string]any{"message": "Cannot remove last organization admin"})
	mustToken(t, e, 1, "robot", "Admin")
	admin.expect("PATCH", "/api/org/users/1", map[string]any{"role": "Editor"}, 200, nil)
}

// §7.1: DELETE /api/org/users/:id of a user in no other org deletes the
// user ("User deleted"); /api/orgs/:id/users/:id only removes membership.
func TestRemoveOrgUserOrphan(t *testing.T) {
	e, admin := newClient(t, Options{})
	e.AddUser(UserSpec{Login: "solo", Password: "pw"})
	e.AddUser(UserSpec{Login: "kept", Password: "pw"})
	admin.expect("DELETE", "/api/org/users/2", nil, 200, map[string]any{"message": "User deleted"})
	if _, ok := e.UserIDByLogin("solo"); ok {
		t.Error("orphaned user still exists")
	}
	admin.expect("DELETE", "/api/orgs/1/users/3", nil, 200, map[string]any{"message": "User removed from organization"})
	if _, ok := e.UserIDByLogin("kept"); !ok {
		t.Error("user removed through /api/orgs was deleted")
	}
	admin.expect("DELETE", "/api/org/users/999", nil, 500, map[string]any{"message": "Failed to remove user from organization"})
}

// §7.2, §1.1: /api/orgs needs a server admin over basic auth; a token (even
// an org Admin's) and a non-admin user get the legacy 403.
func TestOrgsAdminOnly(t *testing.T) {
	e, admin := newClient(t, Options{})
	e.AddUser(UserSpec{Login: "orgadmin", Password: "pw", OrgRoles: map[int64]string{1: "Admin"}})
	token := admin.token(e, 1, "Admin")
	user := admin.as(basicAuth("orgadmin", "pw"))
	denied := map[string]any{"message": "Permission denied"}
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/orgs"}, {"GET", "/api/orgs/1"}, {"GET", "/api/orgs/name/Main%20Org."},
		{"POST", "/api/orgs"}, {"PUT", "/api/orgs/1"}, {"DELETE", "/api/orgs/2"},
		{"GET", "/api/orgs/1/users"}, {"POST", "/api/orgs/1/users"},
	} {
		token.expect(r.method, r.path, map[string]any{"name": "x"}, 403, denied)
		user.expect(r.method, r.path, map[string]any{"name": "x"}, 403, denied)
	}
}

// §7.2, §12: list with query (substring), name (exact), perpage and page.
func TestSearchOrgs(t *testing.T) {
	e, admin := newClient(t, Options{})
	for _, n := range []string{"Beta", "Alpha", "alphabet"} {
		e.AddOrg(n)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"Alpha", "Beta", "Main Org.", "alphabet"}},
		{"?query=ALPHA", []string{"Alpha", "alphabet"}},
		{"?name=Alpha", []string{"Alpha"}},
		{"?name=alpha", nil},
		{"?perpage=2&page=2", []string{"Main Org.", "alphabet"}},
		{"?perpage=2&page=3", nil},
	}
	for _, tt := range tests {
		status, v := admin.call("GET", "/api/orgs"+tt.query, nil)
		var got []string
		for _, row := range v.([]any) {
			got = append(got, row.(map[string]any)["name"].(string))
		}
		if diff := cmp.Diff(tt.want, got); status != 200 || diff != "" {
			t.Errorf("GET /api/orgs%s: status %d (-want +got):\n%s", tt.query, status, diff)
		}
	}
}

// §7.2: get by id and by name; 404 "Organization not found".
func TestGetOrg(t *testing.T) {
	e, admin := newClient(t, Options{})
	e.AddOrg("users") // a name that collides with the /users sub-route
	admin.expect("GET", "/api/orgs/2", nil, 200, map[string]any{"id": float64(2), "name": "users"})
	admin.expect("GET", "/api/orgs/name/users", nil, 200, map[string]any{"id": float64(2)})
	admin.expect("GET", "/api/orgs/name/Main%20Org.", nil, 200, map[string]any{"id": float64(1)})
	admin.expect("GET", "/api/orgs/99", nil, 404, map[string]any{"message": "Organization not found"})
	admin.expect("GET", "/api/orgs/name/nope", nil, 404, map[string]any{"message": "Organization not found"})
	admin.expect("GET", "/api/orgs/abc", nil, 400, nil)
}

// §7.2: create (409 on a taken name; the creator becomes Admin of the new
// org), update (400 taken; 500 unknown) and delete (404 unknown).
func TestCreateUpdateDeleteOrg(t *testing.T) {
	e, admin := newClient(t, Options{})
	admin.expect("POST", "/api/orgs", map[string]any{"name": "Main Org."}, 409, map[string]any{"message": "Organization name taken"})
	admin.expect("POST", "/api/orgs", map[string]any{"name": "New"}, 200, map[string]any{"orgId": float64(2), "message": "Organization created"})
	// The creator can work in the new org at once, as its Admin.
	admin.withHeader("X-Grafana-Org-Id", "2").expect("GET", "/api/org/users", nil, 200, nil)
	admin.expect("PUT", "/api/orgs/2", map[string]any{"name": "Main Org."}, 400, map[string]any{"message": "Organization name taken"})
	admin.expect("PUT", "/api/orgs/2", map[string]any{"name": "Newer"}, 200, map[string]any{"message": "Organization updated"})
	admin.expect("PUT", "/api/orgs/99", map[string]any{"name": "Ghost"}, 500, map[string]any{"message": "Failed to update organization"})
	admin.expect("DELETE", "/api/orgs/99", nil, 404, map[string]any{"message": "Failed to delete organization. ID not found"})
	admin.expect("DELETE", "/api/orgs/2", nil, 200, map[string]any{"message": "Organization deleted"})
	if _, ok := e.OrgIDByName("Newer"); ok {
		t.Error("deleted org still exists")
	}
}

// §7.2, §14: deleting the caller's active org is 400, worded differently
// from 12.0; the active org is the one the request selects.
func TestDeleteActiveOrg(t *testing.T) {
	for _, tt := range []struct{ version, want string }{
		{"11", "Can not delete org for current user"},
		{"12", "Cannot delete your active organization"},
		{"13", "Cannot delete your active organization"},
	} {
		t.Run(tt.version, func(t *testing.T) {
			e, admin := newClient(t, Options{Version: mustVersion(t, tt.version)})
			admin.t = t
			admin.expect("DELETE", "/api/orgs/1", nil, 400, map[string]any{"message": tt.want})
			addOrgWithServerAdmin(e, "Two", "Admin")
			admin.withHeader("X-Grafana-Org-Id", "2").expect("DELETE", "/api/orgs/2", nil, 400, map[string]any{"message": tt.want})
		})
	}
}

// §7.2: deleting an org takes its service accounts and tokens with it, and
// moves its users' active org elsewhere.
func TestDeleteOrgCascades(t *testing.T) {
	e, admin := newClient(t, Options{})
	org2 := e.AddOrg("Two")
	e.AddUser(UserSpec{Login: "both", Password: "pw", OrgRoles: map[int64]string{1: "Viewer", org2: "Editor"}})
	e.mu.Lock()
	e.st.users[2].orgID = org2
	e.mu.Unlock()
	token := admin.token(e, org2, "Admin")
	admin.expect("DELETE", "/api/orgs/2", nil, 200, nil)
	token.expect("GET", "/api/user", nil, 401, map[string]any{"message": "Invalid API key"})
	admin.as(basicAuth("both", "pw")).expect("GET", "/api/user", nil, 200, map[string]any{"orgId": float64(1)})
}

// §7.2: /api/orgs/:orgId/users works like §7.1 on a named org.
func TestOrgUsersByID(t *testing.T) {
	e, admin := newClient(t, Options{})
	org2 := e.AddOrg("Two")
	e.AddUser(UserSpec{Login: "carol", Password: "pw"})
	admin.expect("GET", "/api/orgs/99/users", nil, 200, nil)
	admin.expect("POST", "/api/orgs/2/users", map[string]any{"loginOrEmail": "carol", "role": "Admin"}, 200,
		map[string]any{"message": "User added to organization"})
	admin.expect("POST", "/api/orgs/2/users", map[string]any{"loginOrEmail": "carol", "role": "Admin"}, 409, nil)
	admin.expect("POST", "/api/orgs/99/users", map[string]any{"loginOrEmail": "carol", "role": "Admin"}, 404,
		map[string]any{"message": "Organization not found"})
	admin.expect("PATCH", "/api/orgs/2/users/2", map[string]any{"role": "Viewer"}, 400,
		map[string]any{"message": "Cannot change role so that there is no organization admin left"})
	admin.expect("PATCH", "/api/orgs/99/users/2", map[string]any{"role": "Viewer"}, 500, map[string]any{"message": "Failed update org user"})
	status, v := admin.call("GET", "/api/orgs/2/users", nil)
	rows, _ := v.([]any)
	if status != 200 || len(rows) != 1 || rows[0].(map[string]any)["login"] != "carol" || rows[0].(map[string]any)["orgId"] != float64(org2) {
		t.Errorf("GET /api/orgs/2/users: %d %v", status, v)
	}
}

// §7.3: preferences validation and PUT (replace) vs PATCH (partial).
func TestOrgPreferences(t *testing.T) {
	e, admin := newClient(t, Options{})
	seedDashboardWithID(e, 1, 42, "home")
	e.AddUser(UserSpec{Login: "editor", Password: "pw", OrgRoles: map[int64]string{1: "Editor"}})
	editor := admin.as(basicAuth("editor", "pw"))
	const path = "/api/org/preferences"
	updated := map[string]any{"message": "Preferences updated"}

	// §7.3: org preferences need org Admin, to read as well as to write.
	editor.expect("GET", path, nil, 403, map[string]any{"message": "You'll need additional permissions to perform this action. Permissions needed: orgs.preferences:read"})
	editor.expect("PUT", path, map[string]any{}, 403, nil)

	// Audit row 78: from 11.0 GET answers only the fields that are set.
	admin.exact("GET", path, nil, 200, map[string]any{})

	type obj = map[string]any
	tests := []struct {
		name       string
		method     string
		body       any
		wantStatus int
		wantBody   map[string]any
		wantPrefs  map[string]any // the whole GET body afterwards
	}{
		{"put sets all", "PUT", obj{"theme": "dark", "homeDashboardUID": "home", "timezone": "Europe/Berlin", "weekStart": "monday"},
			200, updated, obj{"theme": "dark", "homeDashboardId": float64(42), "homeDashboardUID": "home", "timezone": "Europe/Berlin", "weekStart": "monday"}},
		{"patch changes one field", "PATCH", obj{"timezone": "utc"},
			200, updated, obj{"theme": "dark", "homeDashboardId": float64(42), "homeDashboardUID": "home", "timezone": "utc", "weekStart": "monday"}},
		{"put resets omitted fields", "PUT", obj{"weekStart": "sunday"}, 200, updated, obj{"weekStart": "sunday"}},
		{"home dashboard by id", "PATCH", obj{"homeDashboardId": 42},
			200, updated, obj{"homeDashboardId": float64(42), "homeDashboardUID": "home", "weekStart": "sunday"}},
		{"empty uid clears", "PATCH", obj{"homeDashboardUID": ""}, 200, updated, obj{"weekStart": "sunday"}},
		{"invalid theme", "PATCH", obj{"theme": "pink"}, 400, obj{"message": "Invalid theme"}, obj{"weekStart": "sunday"}},
		// Audit row 75: pref.IsValidThemeID knows "debug".
		{"debug theme", "PATCH", obj{"theme": "debug"}, 200, updated, obj{"theme": "debug", "weekStart": "sunday"}},
		{"unknown dashboard uid", "PUT", obj{"homeDashboardUID": "nope", "theme": "light"}, 404, obj{"message": "Dashboard not found"},
			obj{"theme": "debug", "weekStart": "sunday"}},
		{"unknown dashboard id", "PATCH", obj{"homeDashboardId": 7}, 404, obj{"message": "Dashboard not found"}, nil},
		// Audit row 76: UpdatePreferencesFor does not check the timezone.
		{"any timezone is stored", "PATCH", obj{"timezone": "Mars/Olympus"}, 200, updated, obj{"theme": "debug", "timezone": "Mars/Olympus", "weekStart": "sunday"}},
		{"Go's Local is stored too", "PATCH", obj{"timezone": "Local"}, 200, updated, obj{"theme": "debug", "timezone": "Local", "weekStart": "sunday"}},
		{"browser timezone", "PATCH", obj{"timezone": "browser"}, 200, updated, obj{"theme": "debug", "timezone": "browser", "weekStart": "sunday"}},
		{"week start is free-form", "PATCH", obj{"weekStart": "saturday"}, 200, updated, obj{"theme": "debug", "timezone": "browser", "weekStart": "saturday"}},
		{"malformed body", "PUT", "{", 400, obj{"message": "bad request data"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := admin.as(admin.auth)
			c.t = t
			c.expect(tt.method, path, tt.body, tt.wantStatus, tt.wantBody)
			if tt.wantPrefs != nil {
				c.exact("GET", path, nil, 200, tt.wantPrefs)
			}
		})
	}
	if got := e.Preferences(1); got.WeekStart != "saturday" || got.Timezone != "browser" {
		t.Errorf("Preferences(1) = %+v", got)
	}
}

// §7.3, §14, audit row 75: the themes pref.IsValidThemeID accepts by
// version: "system" and "debug" from 11.0 (10.x was not read and keeps light
// and dark), the GrafanaCON extra themes from 12.x.
func TestPreferencesThemes(t *testing.T) {
	for _, tt := range []struct {
		version  string
		accepted []string
	}{
		{"10", []string{"", "light", "dark"}},
		{"11", []string{"", "light", "dark", "system", "debug"}},
		{"12", append([]string{"", "light", "dark", "system", "debug"}, extraThemes12...)},
		{"13", append([]string{"", "light", "dark", "system", "debug"}, extraThemes12...)},
	} {
		t.Run(tt.version, func(t *testing.T) {
			_, admin := newClient(t, Options{Version: mustVersion(t, tt.version)})
			admin.t = t
			for _, theme := range []string{"", "light", "dark", "system", "debug", "aubergine", "zen", "gloom", "pink", "Dark"} {
				want := 400
				if slices.Contains(tt.accepted, theme) {
					want = 200
				}
				admin.expect("PATCH", "/api/org/preferences", map[string]any{"theme": theme}, want, nil)
			}
		})
	}
}

// Audit row 78: 10.x answers every preferences field, empty ones included.
func TestPreferencesShape10(t *testing.T) {
	_, admin := newClient(t, Options{Version: mustVersion(t, "10")})
	admin.exact("GET", "/api/org/preferences", nil, 200, map[string]any{
		"theme": "", "homeDashboardId": float64(0), "homeDashboardUID": "", "timezone": "", "weekStart": "",
		"language": "", "regionalFormat": "", "navbar": map[string]any{"bookmarkUrls": []any{}},
		"queryHistory": map[string]any{"homeTab": ""}, "cookiePreferences": map[string]any{},
	})
}

// §7.3: a home dashboard that is deleted reads back as "" (Grafana stores
// the id and resolves the uid on read).
func TestPreferencesHomeDashboardGone(t *testing.T) {
	e, admin := newClient(t, Options{})
	seedDashboardWithID(e, 1, 42, "home")
	admin.expect("PATCH", "/api/org/preferences", map[string]any{"homeDashboardUID": "home"}, 200, nil)
	e.mu.Lock()
	delete(e.st.orgs[1].dashboards, "home")
	e.mu.Unlock()
	admin.exact("GET", "/api/org/preferences", nil, 200, map[string]any{})
}

// §7.3: user preferences are the caller's own, per org, for any role.
func TestUserPreferences(t *testing.T) {
	e, admin := newClient(t, Options{})
	e.AddUser(UserSpec{Login: "viewer", Password: "pw"})
	viewer := admin.as(basicAuth("viewer", "pw"))
	viewer.expect("PUT", "/api/user/preferences", map[string]any{"theme": "light"}, 200, map[string]any{"message": "Preferences updated"})
	viewer.exact("GET", "/api/user/preferences", nil, 200, map[string]any{"theme": "light"})
	admin.exact("GET", "/api/user/preferences", nil, 200, map[string]any{})
	admin.exact("GET", "/api/org/preferences", nil, 200, map[string]any{})
}

// Test-facing API: SetPreferences seeds what GET returns.
func TestSetPreferences(t *testing.T) {
	e, admin := newClient(t, Options{})
	seedDashboardWithID(e, 1, 42, "home")
	if err := e.SetPreferences(1, PreferencesInfo{Theme: "dark", HomeDashboardUID: "home"}); err != nil {
		t.Fatal(err)
	}
	admin.expect("GET", "/api/org/preferences", nil, 200, map[string]any{"theme": "dark", "homeDashboardId": float64(42), "homeDashboardUID": "home"})
	if err := e.SetPreferences(1, PreferencesInfo{HomeDashboardUID: "nope"}); err == nil {
		t.Error("SetPreferences with an unknown dashboard: no error")
	}
	if err := e.SetPreferences(9, PreferencesInfo{}); err == nil {
		t.Error("SetPreferences on an unknown org: no error")
	}
}

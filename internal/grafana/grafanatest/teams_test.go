package grafanatest

import (
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// §8: POST /api/teams — creation, 409 on a taken name, 400 on an empty one;
// a basic-auth user creator becomes a team Admin member, a token does not.
func TestCreateTeam(t *testing.T) {
	e, admin := newClient(t, Options{})
	token := admin.token(e, 1, "Admin")
	e.AddUser(UserSpec{Login: "ed", Password: "pw", OrgRoles: map[int64]string{1: "Editor"}})
	editor := admin.as(basicAuth("ed", "pw"))

	got := admin.expect("POST", "/api/teams", map[string]any{"name": "ops", "email": "ops@example.com"}, 200,
		map[string]any{"message": "Team created", "teamId": float64(1)})
	if uid, _ := got["uid"].(string); uid == "" {
		t.Errorf("create answer has no uid: %v", got)
	}
	admin.expect("POST", "/api/teams", map[string]any{"name": "ops"}, 409, map[string]any{"message": "Team name taken"})
	admin.expect("POST", "/api/teams", map[string]any{"email": "x@example.com"}, 400, nil)
	editor.expect("POST", "/api/teams", map[string]any{"name": "eds"}, 403, map[string]any{"title": "Access denied"})
	token.expect("POST", "/api/teams", map[string]any{"name": "bots"}, 200, map[string]any{"teamId": float64(2)})

	if diff := cmp.Diff([]string{"admin"}, e.TeamMembers(1, 1)); diff != "" {
		t.Errorf("user-created team members (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{}, e.TeamMembers(1, 2)); diff != "" {
		t.Errorf("token-created team members (-want +got):\n%s", diff)
	}
	status, v := admin.call("GET", "/api/teams/1/members", nil)
	rows, _ := v.([]any)
	if status != 200 || len(rows) != 1 || rows[0].(map[string]any)["permission"] != float64(4) {
		t.Errorf("creator membership: %d %v", status, v)
	}
}

// §1.2, §8: team names are unique per org, not globally.
func TestTeamNamesPerOrg(t *testing.T) {
	e, admin := newClient(t, Options{})
	e.AddTeam(1, "ops", "")
	addOrgWithServerAdmin(e, "Two", "Admin")
	admin.withHeader("X-Grafana-Org-Id", "2").expect("POST", "/api/teams", map[string]any{"name": "ops"}, 200, nil)
	admin.expect("GET", "/api/teams/2", nil, 404, map[string]any{"message": "Team not found"})
}

// §8, §12: search by query (case-insensitive substring) and name (exact),
// paged by perpage/page, sorted by name, with totalCount of all matches.
func TestSearchTeams(t *testing.T) {
	e, admin := newClient(t, Options{})
	for _, n := range []string{"my team", "SecondTeam", "other"} {
		e.AddTeam(1, n, "")
	}
	tests := []struct {
		query     string
		wantNames []string
		wantTotal float64
	}{
		{"", []string{"SecondTeam", "my team", "other"}, 3},
		{"?query=team", []string{"SecondTeam", "my team"}, 2},
		{"?query=team&perpage=1", []string{"SecondTeam"}, 2},
		{"?query=team&perpage=1&page=2", []string{"my team"}, 2},
		{"?query=my%20team&page=2", nil, 1},
		{"?name=my%20team", []string{"my team"}, 1},
		{"?name=my", nil, 0},
	}
	for _, tt := range tests {
		status, got := admin.obj("GET", "/api/teams/search"+tt.query, nil)
		var names []string
		for _, row := range got["teams"].([]any) {
			names = append(names, row.(map[string]any)["name"].(string))
		}
		if diff := cmp.Diff(tt.wantNames, names); status != 200 || diff != "" || got["totalCount"] != tt.wantTotal {
			t.Errorf("search%s: status %d totalCount %v (want %v), names (-want +got):\n%s", tt.query, status, got["totalCount"], tt.wantTotal, diff)
		}
	}
	got := admin.expect("GET", "/api/teams/search?perpage=2&page=1", nil, 200, map[string]any{"page": float64(1), "perPage": float64(2)})
	if got["teams"] == nil {
		t.Errorf("search without matches must still carry teams: %v", got)
	}
}

// §8: GET one team, with the TeamDTO fields; 404 "Team not found".
func TestGetTeam(t *testing.T) {
	e, admin := newClient(t, Options{})
	u := e.AddUser(UserSpec{Login: "m", Email: "m@example.com", Password: "pw"})
	id := e.AddTeam(1, "ops", "ops@example.com", u)
	admin.expect("GET", "/api/teams/1", nil, 200, map[string]any{
		"id": float64(id), "orgId": float64(1), "name": "ops", "email": "ops@example.com",
		"memberCount": float64(1), "permission": float64(0), "isProvisioned": false,
		"avatarUrl": avatarURL("ops@example.com"),
	})
	admin.expect("GET", "/api/teams/9", nil, 404, map[string]any{"message": "Team not found"})
	admin.expect("GET", "/api/teams/x", nil, 400, nil)
}

// §8 (RBAC): a non-Admin reads only teams it belongs to, and writes only
// those it is a team Admin of.
func TestTeamAccess(t *testing.T) {
	e, admin := newClient(t, Options{})
	member := e.AddUser(UserSpec{Login: "member", Email: "member@example.com", Password: "pw"})
	e.AddUser(UserSpec{Login: "loner", Password: "pw"})
	mine := e.AddTeam(1, "mine", "", member)
	e.AddTeam(1, "theirs", "")
	m := admin.as(basicAuth("member", "pw"))
	loner := admin.as(basicAuth("loner", "pw"))

	got := m.expect("GET", "/api/teams/search", nil, 200, map[string]any{"totalCount": float64(1)})
	if teams, _ := got["teams"].([]any); len(teams) != 1 || teams[0].(map[string]any)["name"] != "mine" {
		t.Errorf("member search: %v", got)
	}
	loner.expect("GET", "/api/teams/search", nil, 403, map[string]any{"title": "Access denied"})
	m.expect("GET", "/api/teams/1", nil, 200, nil)
	m.expect("GET", "/api/teams/2", nil, 403, nil)
	m.expect("PUT", "/api/teams/1", map[string]any{"name": "mine2"}, 403, nil)

	e.mu.Lock()
	e.st.orgs[1].teams[mine].members[member] = 4
	e.mu.Unlock()
	m.expect("PUT", "/api/teams/1", map[string]any{"name": "mine2"}, 200, map[string]any{"message": "Team updated"})
	m.expect("GET", "/api/teams/1", nil, 200, map[string]any{"permission": float64(4)})
}

// §8: PUT /api/teams/:id — a taken name is 400 (not 409); an unknown team
// is 404 from 12.0 and 500 before.
func TestUpdateTeam(t *testing.T) {
	for _, tt := range []struct {
		version       string
		unknownStatus int
		unknownMsg    string
	}{{"11", 500, "Failed to update Team"}, {"12", 404, "Team not found"}, {"13", 404, "Team not found"}} {
		t.Run(tt.version, func(t *testing.T) {
			e, admin := newClient(t, Options{Version: mustVersion(t, tt.version)})
			admin.t = t
			e.AddTeam(1, "a", "")
			e.AddTeam(1, "b", "")
			admin.expect("PUT", "/api/teams/1", map[string]any{"name": "b"}, 400, map[string]any{"message": "Team name taken"})
			admin.expect("PUT", "/api/teams/1", map[string]any{"name": "a2", "email": "a@example.com"}, 200, map[string]any{"message": "Team updated"})
			admin.expect("GET", "/api/teams/1", nil, 200, map[string]any{"name": "a2", "email": "a@example.com"})
			admin.expect("PUT", "/api/teams/99", map[string]any{"name": "z"}, tt.unknownStatus, map[string]any{"message": tt.unknownMsg})
		})
	}
}

// §8: DELETE — 404 "Failed to delete Team. ID not found" when unknown; the
// team's folder and dashboard permissions go with it.
func TestDeleteTeam(t *testing.T) {
	e, admin := newClient(t, Options{})
	id := e.AddTeam(1, "ops", "")
	e.mu.Lock()
	e.st.orgs[1].folders["f"] = &folder{uid: "f", permissions: []permission{{teamID: id, permission: 1}, {role: "Viewer", permission: 1}}}
	e.mu.Unlock()
	admin.expect("DELETE", "/api/teams/1", nil, 200, map[string]any{"message": "Team deleted"})
	admin.expect("DELETE", "/api/teams/1", nil, 404, map[string]any{"message": "Failed to delete Team. ID not found"})
	e.mu.RLock()
	got := len(e.st.orgs[1].folders["f"].permissions)
	e.mu.RUnlock()
	if got != 1 {
		t.Errorf("folder permissions after team delete: %d entries, want 1", got)
	}
}

// §8: members — add (400 already member, 404 unknown user), list with the
// TeamMemberDTO fields, remove (404 not a member).
func TestTeamMembers(t *testing.T) {
	e, admin := newClient(t, Options{})
	u := e.AddUser(UserSpec{Login: "zed", Email: "zed@example.com", Name: "Zed", Password: "pw"})
	outsider := e.AddUser(UserSpec{Login: "out", Password: "pw", OrgRoles: map[int64]string{e.AddOrg("Two"): "Viewer"}})
	id := e.AddTeam(1, "ops", "")

	admin.expect("POST", "/api/teams/1/members", map[string]any{"userId": u}, 200, map[string]any{"message": "Member added to Team"})
	admin.expect("POST", "/api/teams/1/members", map[string]any{"userId": u}, 400, map[string]any{"message": "User is already added to this team"})
	admin.expect("POST", "/api/teams/1/members", map[string]any{"userId": 999}, 404, nil)
	admin.expect("POST", "/api/teams/1/members", map[string]any{"userId": outsider}, 404, nil)
	admin.expect("POST", "/api/teams/1/members", map[string]any{}, 400, nil)
	admin.expect("POST", "/api/teams/9/members", map[string]any{"userId": u}, 404, map[string]any{"message": "Team not found"})

	status, v := admin.call("GET", "/api/teams/1/members", nil)
	rows, _ := v.([]any)
	if status != 200 || len(rows) != 1 {
		t.Fatalf("members: %d %v", status, v)
	}
	row := rows[0].(map[string]any)
	delete(row, "userUID")
	delete(row, "teamUID")
	want := map[string]any{
		"orgId": float64(1), "teamId": float64(id), "userId": float64(u), "auth_module": "", "email": "zed@example.com",
		"name": "Zed", "login": "zed", "avatarUrl": avatarURL("zed@example.com"), "labels": []any{}, "permission": float64(0),
	}
	if diff := cmp.Diff(want, row); diff != "" {
		t.Errorf("member row (-want +got):\n%s", diff)
	}
	admin.expect("GET", "/api/teams/9/members", nil, 200, nil)

	admin.expect("DELETE", "/api/teams/1/members/999", nil, 404, map[string]any{"message": "Team member not found"})
	admin.expect("DELETE", "/api/teams/1/members/2", nil, 200, map[string]any{"message": "Team Member removed"})
	admin.expect("DELETE", "/api/teams/9/members/2", nil, 404, map[string]any{"message": "Team not found"})
}

// §8: PUT /api/teams/:id/members replaces all membership by email; unknown
// entries (including logins that are not emails) are 404 and change nothing.
func TestSetTeamMembers(t *testing.T) {
	e, admin := newClient(t, Options{})
	a := e.AddUser(UserSpec{Login: "a", Email: "a@example.com", Password: "pw"})
	b := e.AddUser(UserSpec{Login: "b", Email: "b@example.com", Password: "pw"})
	e.AddUser(UserSpec{Login: "c", Email: "c@example.com", Password: "pw"})
	id := e.AddTeam(1, "ops", "", a, b)

	admin.expect("PUT", "/api/teams/1/members", map[string]any{"members": []string{"c@example.com"}, "admins": []string{"a@example.com"}}, 200,
		map[string]any{"message": "Team memberships have been updated"})
	if diff := cmp.Diff([]string{"a", "c"}, e.TeamMembers(1, id)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	admin.expect("GET", "/api/teams/1", nil, 200, map[string]any{"memberCount": float64(2)})
	admin.expect("PUT", "/api/teams/1/members", map[string]any{"members": []string{"b"}}, 404, map[string]any{"message": "user not found"})
	if diff := cmp.Diff([]string{"a", "c"}, e.TeamMembers(1, id)); diff != "" {
		t.Errorf("a failed replace changed members (-want +got):\n%s", diff)
	}
	admin.expect("PUT", "/api/teams/9/members", map[string]any{"members": []string{}}, 404, map[string]any{"message": "Team not found"})
	admin.expect("PUT", "/api/teams/1/members", map[string]any{"members": []string{}, "admins": []string{}}, 200, nil)
	if got := e.TeamMembers(1, id); len(got) != 0 {
		t.Errorf("members after empty replace: %v", got)
	}
}

// §7.3: team preferences use the same semantics as org preferences.
func TestTeamPreferences(t *testing.T) {
	e, admin := newClient(t, Options{})
	e.AddTeam(1, "ops", "")
	admin.expect("PUT", "/api/teams/1/preferences", map[string]any{"theme": "light", "timezone": "utc"}, 200, map[string]any{"message": "Preferences updated"})
	admin.exact("GET", "/api/teams/1/preferences", nil, 200, map[string]any{"theme": "light", "timezone": "utc"})
	admin.expect("PUT", "/api/teams/1/preferences", map[string]any{"theme": "neon"}, 400, map[string]any{"message": "Invalid theme"})
	admin.expect("PUT", "/api/teams/1/preferences", map[string]any{"timezone": "utc"}, 200, nil)
	admin.exact("GET", "/api/teams/1/preferences", nil, 200, map[string]any{"timezone": "utc"})
	admin.expect("GET", "/api/teams/9/preferences", nil, 404, nil)
	admin.exact("GET", "/api/org/preferences", nil, 200, map[string]any{})
}

// BenchmarkSearchTeams measures one search page over 1000 teams through the
// handler (no network): the cost a syncer's team listing puts on the emulator.
func BenchmarkSearchTeams(b *testing.B) {
	e := New(Options{})
	for i := range 1000 {
		e.AddTeam(1, "team-"+strconv.Itoa(i), "")
	}
	h := e.Handler()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/api/teams/search?query=team-1&perpage=100", nil)
		req.Header.Set("Authorization", basicAuth("admin", "admin"))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

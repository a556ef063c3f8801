package grafanatest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// §8 (users): /api/users/lookup by login or email, server admin only;
// service accounts are not users there.
func TestUserLookup(t *testing.T) {
	e, admin := newClient(t, Options{})
	id := e.AddUser(UserSpec{Login: "alice", Email: "alice@example.com", Name: "Alice", Password: "pw", OrgRoles: map[int64]string{1: "Admin"}})
	mustToken(t, e, 1, "robot", "Viewer")
	want := map[string]any{"id": float64(id), "login": "alice", "email": "alice@example.com", "name": "Alice", "isGrafanaAdmin": false}
	admin.expect("GET", "/api/users/lookup?loginOrEmail=alice", nil, 200, want)
	admin.expect("GET", "/api/users/lookup?loginOrEmail=alice@example.com", nil, 200, want)
	admin.expect("GET", "/api/users/lookup?loginOrEmail=ghost", nil, 404, map[string]any{"message": "user not found"})
	admin.expect("GET", "/api/users/lookup?loginOrEmail=sa-1-robot", nil, 404, nil)
	// §1.1: org Admins and tokens are not server admins.
	admin.as(basicAuth("alice", "pw")).expect("GET", "/api/users/lookup?loginOrEmail=alice", nil, 403, map[string]any{"message": "Permission denied"})
	admin.token(e, 1, "Admin").expect("GET", "/api/users/lookup?loginOrEmail=alice", nil, 403, map[string]any{"message": "Permission denied"})
}

// §8 (users): /api/users/search pages users (no service accounts) with a
// case-insensitive query over login, email and name, and a totalCount.
func TestUserSearch(t *testing.T) {
	e, admin := newClient(t, Options{})
	for _, l := range []string{"carol", "bob", "Bobby"} {
		e.AddUser(UserSpec{Login: l, Email: l + "@example.com", Password: "pw"})
	}
	mustToken(t, e, 1, "bob-bot", "Viewer")
	tests := []struct {
		query      string
		wantLogins []string
		wantTotal  float64
	}{
		{"", []string{"Bobby", "admin", "bob", "carol"}, 4},
		{"?query=BOB", []string{"Bobby", "bob"}, 2},
		{"?perpage=3&page=2", []string{"carol"}, 4},
		{"?query=example.com&perpage=1", []string{"Bobby"}, 3},
	}
	for _, tt := range tests {
		status, got := admin.obj("GET", "/api/users/search"+tt.query, nil)
		var logins []string
		for _, row := range got["users"].([]any) {
			logins = append(logins, row.(map[string]any)["login"].(string))
		}
		if diff := cmp.Diff(tt.wantLogins, logins); status != 200 || diff != "" || got["totalCount"] != tt.wantTotal {
			t.Errorf("search%s: status %d totalCount %v (want %v), logins (-want +got):\n%s", tt.query, status, got["totalCount"], tt.wantTotal, diff)
		}
	}
	admin.token(e, 1, "Admin").expect("GET", "/api/users/search", nil, 403, nil)
}

// §8 (users): GET /api/users/:id, server admin only; 404 "user not found".
func TestGetUserByID(t *testing.T) {
	e, admin := newClient(t, Options{})
	id := e.AddUser(UserSpec{Login: "dave", Email: "dave@example.com", Password: "pw"})
	admin.expect("GET", "/api/users/2", nil, 200, map[string]any{"id": float64(id), "login": "dave", "orgId": float64(1)})
	admin.expect("GET", "/api/users/99", nil, 404, map[string]any{"message": "user not found"})
	admin.as(basicAuth("dave", "pw")).expect("GET", "/api/users/2", nil, 403, nil)
}

// §8 (users): /api/org/users/lookup is for org Admins and finds org members only.
func TestOrgUserLookup(t *testing.T) {
	e, admin := newClient(t, Options{})
	e.AddUser(UserSpec{Login: "erin", Email: "erin@example.com", Password: "pw"})
	e.AddUser(UserSpec{Login: "erik", Password: "pw", OrgRoles: map[int64]string{e.AddOrg("Two"): "Admin"}})
	status, v := admin.call("GET", "/api/org/users/lookup?query=eri", nil)
	rows, _ := v.([]any)
	if status != 200 || len(rows) != 1 {
		t.Fatalf("lookup: %d %v", status, v)
	}
	want := map[string]any{"userId": float64(2), "login": "erin", "avatarUrl": avatarURL("erin@example.com")}
	row := rows[0].(map[string]any)
	delete(row, "uid")
	if diff := cmp.Diff(want, row); diff != "" {
		t.Errorf("lookup row (-want +got):\n%s", diff)
	}
	admin.as(basicAuth("erin", "pw")).expect("GET", "/api/org/users/lookup?query=e", nil, 403, map[string]any{"title": "Access denied"})
	if id, ok := e.UserIDByLogin("erik"); !ok || id != 3 {
		t.Errorf("UserIDByLogin(erik) = %d, %v", id, ok)
	}
}

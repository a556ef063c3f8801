package grafanatest

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// §9, §14: POST /api/serviceaccounts is 201 with the DTO; the login is
// sa-<orgId>-<slug> from 10.4 and sa-<slug> before.
func TestCreateServiceAccount(t *testing.T) {
	for _, tt := range []struct{ version, wantLogin string }{
		{"10.3", "sa-ci-bot"},
		{"10.4", "sa-1-ci-bot"},
		{"12", "sa-1-ci-bot"},
	} {
		t.Run(tt.version, func(t *testing.T) {
			_, admin := newClient(t, Options{Version: mustVersion(t, tt.version)})
			admin.t = t
			got := admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "CI Bot", "role": "Editor"}, 201, map[string]any{
				"name": "CI Bot", "login": tt.wantLogin, "orgId": float64(1), "isDisabled": false, "role": "Editor", "tokens": float64(0),
			})
			if got["id"] == nil || got["uid"] == nil || got["avatarUrl"] == nil {
				t.Errorf("create answer lacks id/uid/avatarUrl: %v", got)
			}
		})
	}
}

// §9: create validation — name required, role checked, duplicates 400 errutil.
func TestCreateServiceAccountErrors(t *testing.T) {
	e, admin := newClient(t, Options{})
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "ci"}, 201, map[string]any{"role": "Viewer"})
	exists := map[string]any{"statusCode": float64(400), "messageId": "serviceaccounts.ErrAlreadyExists", "message": "service account already exists"}
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "ci"}, 400, exists)
	// The same slug is the same login.
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "CI"}, 400, exists)
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"role": "Viewer"}, 400, nil)
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "x", "role": "Owner"}, 400,
		map[string]any{"messageId": "serviceaccounts.ErrInvalidRoleSpecified"})
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "nobody", "role": "None"}, 201, map[string]any{"role": "None"})
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "off", "isDisabled": true}, 201, map[string]any{"isDisabled": true})
	// Org Admin needed.
	e.AddUser(UserSpec{Login: "ed", Password: "pw", OrgRoles: map[int64]string{1: "Editor"}})
	admin.as(basicAuth("ed", "pw")).expect("POST", "/api/serviceaccounts", map[string]any{"name": "e"}, 403, map[string]any{"title": "Access denied"})
}

// §9, §14: before 10.4 logins carry no org, so the same name in two orgs
// clashes; from 10.4 it does not.
func TestServiceAccountNameAcrossOrgs(t *testing.T) {
	for _, tt := range []struct {
		version    string
		wantStatus int
	}{{"10.3", 400}, {"11", 201}} {
		t.Run(tt.version, func(t *testing.T) {
			e, admin := newClient(t, Options{Version: mustVersion(t, tt.version)})
			admin.t = t
			addOrgWithServerAdmin(e, "Two", "Admin")
			admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "ci"}, 201, nil)
			admin.withHeader("X-Grafana-Org-Id", "2").expect("POST", "/api/serviceaccounts", map[string]any{"name": "ci"}, tt.wantStatus, nil)
		})
	}
}

// §9: service accounts are scoped to the caller's org.
func TestServiceAccountOrgScope(t *testing.T) {
	e, admin := newClient(t, Options{})
	org2 := e.AddOrg("Two")
	key := mustToken(t, e, org2, "elsewhere", "Admin")
	id, _ := e.UserIDByLogin("sa-2-elsewhere")
	notFound := map[string]any{"statusCode": float64(404), "messageId": "serviceaccounts.ErrNotFound", "message": "service account not found"}
	path := "/api/serviceaccounts/" + strconv.FormatInt(id, 10)
	admin.expect("GET", path, nil, 404, notFound)
	admin.expect("PATCH", path, map[string]any{"name": "x"}, 404, notFound)
	admin.expect("DELETE", path, nil, 404, notFound)
	admin.expect("GET", "/api/serviceaccounts/search", nil, 200, map[string]any{"totalCount": float64(0)})
	other := admin.as("Bearer " + key)
	other.expect("GET", path, nil, 200, map[string]any{"login": "sa-2-elsewhere", "role": "Admin", "tokens": float64(1)})
}

// §9, §12: search by name or login substring, disabled filter, paging.
func TestSearchServiceAccounts(t *testing.T) {
	_, admin := newClient(t, Options{})
	for _, b := range []map[string]any{{"name": "service"}, {"name": "Service-2"}, {"name": "other", "isDisabled": true}} {
		admin.expect("POST", "/api/serviceaccounts", b, 201, nil)
	}
	tests := []struct {
		query     string
		wantNames []string
		wantTotal float64
	}{
		{"", []string{"Service-2", "other", "service"}, 3},
		{"?query=serv", []string{"Service-2", "service"}, 2},
		{"?query=sa-1-oth", []string{"other"}, 1},
		{"?disabled=true", []string{"other"}, 1},
		{"?perpage=1&page=2", []string{"other"}, 3},
		{"?query=serv&page=0", []string{"Service-2", "service"}, 2},
		{"?query=serv&page=9999", nil, 2},
	}
	for _, tt := range tests {
		status, got := admin.obj("GET", "/api/serviceaccounts/search"+tt.query, nil)
		var names []string
		for _, row := range got["serviceAccounts"].([]any) {
			names = append(names, row.(map[string]any)["name"].(string))
		}
		if diff := cmp.Diff(tt.wantNames, names); status != 200 || diff != "" || got["totalCount"] != tt.wantTotal {
			t.Errorf("search%s: status %d totalCount %v (want %v), names (-want +got):\n%s", tt.query, status, got["totalCount"], tt.wantTotal, diff)
		}
	}
}

// §9: PATCH changes only given fields; the login keeps the original name;
// the role must be an org role.
func TestUpdateServiceAccount(t *testing.T) {
	_, admin := newClient(t, Options{})
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "ci", "role": "Viewer"}, 201, nil)
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "cd"}, 201, nil)
	got := admin.expect("PATCH", "/api/serviceaccounts/2", map[string]any{"name": "ci-renamed", "role": "Admin"}, 200,
		map[string]any{"message": "Service account updated", "id": float64(2), "name": "ci-renamed"})
	sa, _ := got["serviceaccount"].(map[string]any)
	if sa["login"] != "sa-1-ci" || sa["role"] != "Admin" {
		t.Errorf("updated account: %v", sa)
	}
	admin.expect("PATCH", "/api/serviceaccounts/2", map[string]any{"isDisabled": true}, 200, nil)
	admin.expect("GET", "/api/serviceaccounts/2", nil, 200, map[string]any{"name": "ci-renamed", "role": "Admin", "isDisabled": true})
	admin.expect("PATCH", "/api/serviceaccounts/2", map[string]any{"name": "cd"}, 400, map[string]any{"messageId": "serviceaccounts.ErrAlreadyExists"})
	admin.expect("PATCH", "/api/serviceaccounts/2", map[string]any{"role": "Root"}, 400, map[string]any{"messageId": "serviceaccounts.ErrInvalidRoleSpecified"})

	admin.expect("PATCH", "/api/serviceaccounts/99", map[string]any{"name": "x"}, 404, nil)
}

// §9: tokens — created with a glsa_ key shown once, listed without it,
// duplicate names 400 (per org), secondsToLive sets the expiry, deleted.
func TestServiceAccountTokens(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	_, admin := newClient(t, Options{Now: func() time.Time { return now }})
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "ci", "role": "Editor"}, 201, nil)
	admin.expect("POST", "/api/serviceaccounts", map[string]any{"name": "cd", "role": "Viewer"}, 201, nil)

	got := admin.expect("POST", "/api/serviceaccounts/2/tokens", map[string]any{"name": "deploy", "secondsToLive": 3600}, 200,
		map[string]any{"name": "deploy"})
	key, _ := got["key"].(string)
	if !regexp.MustCompile(`^glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}$`).MatchString(key) {
		t.Errorf("token key %q is not glsa_<32 alnum>_<8 hex>", key)
	}
	admin.as("Bearer "+key).expect("GET", "/api/user", nil, 200, map[string]any{"login": "sa-1-ci"})

	dup := map[string]any{"statusCode": float64(400), "messageId": "serviceaccounts.ErrTokenAlreadyExists",
		"message": "service account token with given name already exists in the organization"}
	admin.expect("POST", "/api/serviceaccounts/2/tokens", map[string]any{"name": "deploy"}, 400, dup)
	admin.expect("POST", "/api/serviceaccounts/3/tokens", map[string]any{"name": "deploy"}, 400, dup)
	admin.expect("POST", "/api/serviceaccounts/2/tokens", map[string]any{}, 400, nil)
	admin.expect("POST", "/api/serviceaccounts/2/tokens", map[string]any{"name": "neg", "secondsToLive": -1}, 400, nil)
	admin.expect("POST", "/api/serviceaccounts/99/tokens", map[string]any{"name": "x"}, 404, map[string]any{"messageId": "serviceaccounts.ErrNotFound"})
	admin.expect("POST", "/api/serviceaccounts/2/tokens", map[string]any{"name": "forever"}, 200, nil)

	now = now.Add(30 * time.Minute)
	status, raw := admin.do("GET", "/api/serviceaccounts/2/tokens", nil)
	if status != 200 || strings.Contains(string(raw), key) || strings.Contains(string(raw), "glsa_") {
		t.Fatalf("token list: %d, must not contain a key: %s", status, raw)
	}
	_, v := admin.call("GET", "/api/serviceaccounts/2/tokens", nil)
	rows := v.([]any)
	var names []string
	for _, r := range rows {
		names = append(names, r.(map[string]any)["name"].(string))
	}
	if diff := cmp.Diff([]string{"deploy", "forever"}, names); diff != "" {
		t.Errorf("token names (-want +got):\n%s", diff)
	}
	deploy, forever := rows[0].(map[string]any), rows[1].(map[string]any)
	wantDeploy := map[string]any{"expiration": "2026-01-01T01:00:00Z", "secondsUntilExpiration": float64(1800), "hasExpired": false,
		"isRevoked": false, "created": "2026-01-01T00:00:00Z", "lastUsedAt": "2026-01-01T00:00:00Z"}
	for k, want := range wantDeploy {
		if deploy[k] != want {
			t.Errorf("deploy token %s = %v, want %v", k, deploy[k], want)
		}
	}
	if forever["expiration"] != nil || forever["lastUsedAt"] != nil || forever["secondsUntilExpiration"] != float64(0) {
		t.Errorf("non-expiring unused token: %v", forever)
	}
	admin.expect("GET", "/api/serviceaccounts/2", nil, 200, map[string]any{"tokens": float64(2)})
	status, v = admin.call("GET", "/api/serviceaccounts/99/tokens", nil)
	if rows, _ := v.([]any); status != 200 || len(rows) != 0 {
		t.Errorf("tokens of an unknown account: %d %v", status, v)
	}

	id := strconv.FormatInt(int64(deploy["id"].(float64)), 10)
	admin.expect("DELETE", "/api/serviceaccounts/3/tokens/"+id, nil, 404, map[string]any{"messageId": "serviceaccounts.ErrTokenNotFound"})
	admin.expect("DELETE", "/api/serviceaccounts/2/tokens/"+id, nil, 200, map[string]any{"message": "Service account token deleted"})
	admin.as("Bearer "+key).expect("GET", "/api/user", nil, 401, nil)
}

// §9: deleting a service account revokes its tokens and removes it from
// its org and teams.
func TestDeleteServiceAccount(t *testing.T) {
	e, admin := newClient(t, Options{})
	key := mustToken(t, e, 1, "ci", "Editor")
	id, _ := e.UserIDByLogin("sa-1-ci")
	team := e.AddTeam(1, "bots", "", id)
	admin.expect("DELETE", "/api/serviceaccounts/"+strconv.FormatInt(id, 10), nil, 200, map[string]any{"message": "Service account deleted"})
	admin.as("Bearer "+key).expect("GET", "/api/user", nil, 401, nil)
	if got := e.TeamMembers(1, team); len(got) != 0 {
		t.Errorf("team members after delete: %v", got)
	}
	admin.expect("DELETE", "/api/serviceaccounts/"+strconv.FormatInt(id, 10), nil, 404, nil)
}

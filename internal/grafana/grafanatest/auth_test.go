package grafanatest

import (
	"net/http"
	"testing"
	"time"
)

// §1.1, §1.3: each credential type, and the 401 each failure gets.
func TestAuthCredentials(t *testing.T) {
	e, admin := newClient(t, Options{})
	key := mustToken(t, e, 1, "ci", "Admin")
	unauthorized := map[string]any{"message": "Unauthorized", "messageId": "auth.unauthorized", "statusCode": float64(401)}
	tests := []struct {
		name       string
		auth       string
		wantStatus int
		want       map[string]any
	}{
		{"basic admin", basicAuth("admin", "admin"), 200, map[string]any{"login": "admin", "isGrafanaAdmin": true}},
		{"bearer token", "Bearer " + key, 200, map[string]any{"login": "sa-1-ci", "isGrafanaAdmin": false}},
		{"token as api_key basic", basicAuth("api_key", key), 200, map[string]any{"login": "sa-1-ci"}},
		{"no credentials", "", 401, unauthorized},
		{"wrong password", basicAuth("admin", "nope"), 401, map[string]any{"message": "Invalid username or password", "messageId": "password-auth.failed"}},
		{"unknown user", basicAuth("ghost", "admin"), 401, map[string]any{"message": "Invalid username or password"}},
		{"garbage token", "Bearer glsa_nope", 401, map[string]any{"message": "Invalid API key", "messageId": "api-key.invalid", "statusCode": float64(401)}},
		{"garbage api_key basic", basicAuth("api_key", "nope"), 401, map[string]any{"message": "Invalid API key"}},
		{"unknown scheme", "Digest abc", 401, unauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := admin.as(tt.auth)
			c.t = t
			c.expect("GET", "/api/user", nil, tt.wantStatus, tt.want)
		})
	}
}

// §1.3: expired and revoked tokens, and disabled service accounts, are 401.
func TestAuthTokenLifecycle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e, admin := newClient(t, Options{Now: clock})

	e.mu.Lock()
	sa := e.addServiceAccountLocked(e.st.orgs[1], "short", "Editor")
	expiring, _ := e.addTokenLocked(sa, "short-lived", time.Hour)
	revokedKey, revoked := e.addTokenLocked(sa, "revoked", 0)
	revoked.revoked = true
	e.mu.Unlock()

	admin.as("Bearer "+expiring).expect("GET", "/api/user", nil, 200, nil)
	now = now.Add(2 * time.Hour)
	admin.as("Bearer "+expiring).expect("GET", "/api/user", nil, 401, map[string]any{"message": "Expired API key", "messageId": "api-key.expired"})
	admin.as("Bearer "+revokedKey).expect("GET", "/api/user", nil, 401, map[string]any{"message": "Revoked API key", "messageId": "api-key.revoked"})

	live, _ := func() (string, *token) { e.mu.Lock(); defer e.mu.Unlock(); return e.addTokenLocked(sa, "live", 0) }()
	admin.as("Bearer "+live).expect("GET", "/api/user", nil, 200, nil)
	e.mu.Lock()
	sa.disabled = true
	e.mu.Unlock()
	admin.as("Bearer "+live).expect("GET", "/api/user", nil, 401, nil)
}

// §1.2: targetOrgId wins over X-Grafana-Org-Id; non-numeric values are
// ignored; a token used for another org is 401 organization-mismatch; a basic
// user asking for an org they are not a member of is 403.
func TestAuthOrgSelection(t *testing.T) {
	e, admin := newClient(t, Options{})
	org2 := e.AddOrg("Tenant B")
	e.AddUser(UserSpec{Login: "both", Password: "pw", OrgRoles: map[int64]string{1: "Viewer", org2: "Editor"}})
	both := admin.as(basicAuth("both", "pw"))
	token1 := admin.token(e, 1, "Admin")

	tests := []struct {
		name       string
		c          *client
		path       string
		header     string
		wantStatus int
		want       map[string]any
	}{
		{"default org of user", both, "/api/user", "", 200, map[string]any{"orgId": float64(1)}},
		{"header selects org", both, "/api/user", "2", 200, map[string]any{"orgId": float64(2)}},
		{"targetOrgId wins over header", both, "/api/user?targetOrgId=1", "2", 200, map[string]any{"orgId": float64(1)}},
		{"non-numeric header ignored", both, "/api/user", "two", 200, map[string]any{"orgId": float64(1)}},
		{"basic user not a member: 403", admin, "/api/user", "2", 403, nil},
		{"token, same org header: fine", token1, "/api/user", "1", 200, map[string]any{"orgId": float64(1)}},
		{"token, other org header: 401", token1, "/api/user", "2", 401, map[string]any{
			"message": "API key does not belong to the requested organization", "messageId": "api-key.organization-mismatch", "statusCode": float64(401)}},
		{"token, other org by targetOrgId: 401", token1, "/api/user?targetOrgId=2", "", 401, map[string]any{"messageId": "api-key.organization-mismatch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			if tt.header != "" {
				c = c.withHeader("X-Grafana-Org-Id", tt.header)
			}
			c.t = t
			c.expect("GET", tt.path, nil, tt.wantStatus, tt.want)
		})
	}
}

// §0.1: an unknown /api route is 404 {"message":"Not found"}.
func TestUnknownRoute(t *testing.T) {
	_, admin := newClient(t, Options{})
	admin.expect("GET", "/api/nothing-here", nil, http.StatusNotFound, map[string]any{"message": "Not found"})
	admin.expect("DELETE", "/api/user", nil, http.StatusNotFound, map[string]any{"message": "Not found"})
}

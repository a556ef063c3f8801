package grafanatest

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Audit rows 25 and 39 (and §2 item 1): createdBy/updatedBy of folders,
// dashboards and dashboard versions. A user is shown by login in every
// version; a service account is "Anonymous" up to 11.4 (getUserLogin →
// userService.GetByID excludes service accounts) and its name from 11.5
// (getIdentityName, PR #98719), never its sa-… login.
func TestCreatorNames(t *testing.T) {
	for _, tt := range []struct {
		version string
		sa      string // how the service account "CI Bot" is shown
	}{
		{"10", "Anonymous"},
		{"11.2", "Anonymous"},
		{"11.4", "Anonymous"},
		{"11.5", "CI Bot"},
		{"11", "CI Bot"}, // 11.6
		{"12", "CI Bot"},
	} {
		t.Run(tt.version, func(t *testing.T) {
			e, admin := newClient(t, Options{Version: mustVersion(t, tt.version)})
			bot := admin.as("Bearer " + mustToken(t, e, 1, "CI Bot", "Admin"))

			// The service account creates; the admin user updates.
			bot.expect("POST", "/api/folders", map[string]any{"uid": "f", "title": "F"}, 200, nil)
			admin.expect("PUT", "/api/folders/f", map[string]any{"title": "F2", "version": 1}, 200, nil)
			bot.expect("POST", "/api/dashboards/db", map[string]any{"dashboard": map[string]any{"uid": "d", "title": "D"}}, 200, nil)
			admin.expect("POST", "/api/dashboards/db", map[string]any{"dashboard": map[string]any{"uid": "d", "title": "D", "version": 1}}, 200, nil)

			folder := admin.expect("GET", "/api/folders/f", nil, 200, nil)
			meta, _ := admin.expect("GET", "/api/dashboards/uid/d", nil, 200, nil)["meta"].(map[string]any)
			v1 := admin.expect("GET", "/api/dashboards/uid/d/versions/1", nil, 200, nil)
			v2 := admin.expect("GET", "/api/dashboards/uid/d/versions/2", nil, 200, nil)
			got := []any{folder["createdBy"], folder["updatedBy"], meta["createdBy"], meta["updatedBy"], v1["createdBy"], v2["createdBy"]}
			want := []any{tt.sa, "admin", tt.sa, "admin", tt.sa, "admin"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("folder createdBy/updatedBy, dashboard meta createdBy/updatedBy, versions 1 and 2 createdBy (-want +got):\n%s", diff)
			}

			// The other way round: the service account updates what the user made.
			admin.expect("POST", "/api/folders", map[string]any{"uid": "g", "title": "G"}, 200, nil)
			bot.expect("PUT", "/api/folders/g", map[string]any{"title": "G2", "version": 1}, 200, map[string]any{"createdBy": "admin", "updatedBy": tt.sa})
		})
	}
}

// The writer is looked up when the answer is rendered (Grafana joins the
// user at read time): a renamed service account shows its new name from
// 11.5, and a writer that no longer exists is "Anonymous".
func TestCreatorNameIsLookedUpOnRead(t *testing.T) {
	e, admin := newClient(t, Options{Version: mustVersion(t, "12")})
	bot := admin.as("Bearer " + mustToken(t, e, 1, "CI Bot", "Admin"))
	bot.expect("POST", "/api/folders", map[string]any{"uid": "f", "title": "F"}, 200, map[string]any{"createdBy": "CI Bot"})
	id, ok := e.UserIDByLogin("sa-1-ci-bot")
	if !ok {
		t.Fatal("service account sa-1-ci-bot not found")
	}
	admin.expect("PATCH", "/api/serviceaccounts/"+strconv.FormatInt(id, 10), map[string]any{"name": "Deployer"}, 200, nil)
	admin.expect("GET", "/api/folders/f", nil, 200, map[string]any{"createdBy": "Deployer"})
	admin.expect("DELETE", "/api/serviceaccounts/"+strconv.FormatInt(id, 10), nil, 200, nil)
	admin.expect("GET", "/api/folders/f", nil, 200, map[string]any{"createdBy": "Anonymous"})
}

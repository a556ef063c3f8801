package grafanatest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// §2: /api/health needs no auth, is pretty-printed, reports the version, and
// turns 503 "failing" when the database does.
func TestHealth(t *testing.T) {
	for _, v := range []string{"10", "11", "12", "13"} {
		t.Run(v, func(t *testing.T) {
			ver, err := ParseVersion(v)
			if err != nil {
				t.Fatal(err)
			}
			e, admin := newClient(t, Options{Version: ver})
			anon := admin.as("")
			status, raw := anon.do("GET", "/api/health", nil)
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			want := "{\n  \"commit\": \"" + fakeCommit + "\",\n  \"database\": \"ok\",\n  \"version\": \"" + ver.String() + "\"\n}"
			if diff := cmp.Diff(want, string(raw)); diff != "" {
				t.Errorf("health body (-want +got):\n%s", diff)
			}
			e.SetDatabaseDown(true)
			anon.expect("GET", "/api/health", nil, 503, map[string]any{"database": "failing"})
			e.SetDatabaseDown(false)
			anon.expect("GET", "/api/health", nil, 200, map[string]any{"database": "ok"})

			status, raw = anon.do("GET", "/healthz", nil)
			if status != 200 || strings.TrimSpace(string(raw)) != "Ok" {
				t.Errorf("/healthz: %d %q", status, raw)
			}
			status, _ = anon.do("HEAD", "/api/health", nil)
			if status != 200 {
				t.Errorf("HEAD /api/health: %d", status)
			}
		})
	}
}

// §2: /api/frontend/settings needs a signed-in caller and reports buildInfo.
func TestFrontendSettings(t *testing.T) {
	_, admin := newClient(t, Options{})
	admin.as("").expect("GET", "/api/frontend/settings", nil, 401, nil)
	got := admin.expect("GET", "/api/frontend/settings", nil, 200, nil)
	if bi, _ := got["buildInfo"].(map[string]any); bi["version"] != DefaultVersion().String() {
		t.Errorf("buildInfo = %v", got["buildInfo"])
	}
}

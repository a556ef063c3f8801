package grafanatest

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// searchFixture: folders apps and infra at the root, sub inside infra;
// dashboards alpha and beta at the root, gamma in infra, delta in sub.
type searchFixture struct {
	ids map[string]int64 // uid → id, folders and dashboards
}

func newSearchFixture(t *testing.T, e *Emulator) searchFixture {
	t.Helper()
	f := searchFixture{ids: map[string]int64{}}
	f.ids["apps"] = dashTestFolder(e, 1, "apps", "apps", "")
	f.ids["infra"] = dashTestFolder(e, 1, "infra", "Infra", "")
	f.ids["sub"] = dashTestFolder(e, 1, "sub", "Sub", "infra")
	for _, spec := range []DashboardSpec{
		{JSON: jobj("uid", "alpha", "title", "Alpha Root", "tags", []string{"prod"})},
		{JSON: jobj("uid", "beta", "title", "beta root", "tags", []string{"prod", "aws"}, "description", "Beta's story")},
		{JSON: jobj("uid", "gamma", "title", "Gamma Infra", "tags", []string{"aws"}), FolderUID: "infra"},
		{JSON: jobj("uid", "delta", "title", "Delta Sub"), FolderUID: "sub"},
	} {
		uid, err := e.SeedDashboard(1, spec)
		if err != nil {
			t.Fatal(err)
		}
		e.mu.RLock()
		f.ids[uid] = e.st.orgs[1].dashboards[uid].id
		e.mu.RUnlock()
	}
	return f
}

// searchUIDs runs a search and returns the hits' uids in order.
func searchUIDs(c *client, query string) []string {
	c.t.Helper()
	status, got := c.call("GET", "/api/search"+query, nil)
	if status != http.StatusOK {
		c.t.Fatalf("search %s: status %d: %v", query, status, got)
	}
	hits, ok := got.([]any)
	if !ok {
		c.t.Fatalf("search %s: answer is not an array: %v", query, got)
	}
	uids := []string{}
	for _, h := range hits {
		uids = append(uids, h.(map[string]any)["uid"].(string))
	}
	return uids
}

// §4: every filter parameter, and the default and alpha orders.
func TestSearchFilters(t *testing.T) {
	e, admin := newClient(t, Options{})
	f := newSearchFixture(t, e)
	viewer := dashTestUser(e, admin, "vi", "Viewer")
	nobody := dashTestUser(e, admin, "nobody", "None")
	all := []string{"apps", "infra", "sub", "alpha", "beta", "delta", "gamma"}
	tests := []struct {
		name  string
		c     *client
		query string
		want  []string
	}{
		// §4: default order is folders first, then dashboards, each case-insensitively by title.
		{"everything", admin, "", all},
		// §4 query: case-insensitive title substring, folders included.
		{"query matches dashboards", admin, "?query=ROOT", []string{"alpha", "beta"}},
		{"query matches folders too", admin, "?query=infra", []string{"infra", "gamma"}},
		// §4 tag: repeatable, all required; folders have no tags.
		{"one tag", admin, "?tag=prod", []string{"alpha", "beta"}},
		{"tags are ANDed", admin, "?tag=prod&tag=aws", []string{"beta"}},
		{"unknown tag", admin, "?tag=nope", []string{}},
		// §4 type.
		{"dashboards only", admin, "?type=dash-db", []string{"alpha", "beta", "delta", "gamma"}},
		{"folders only, all levels", admin, "?type=dash-folder", []string{"apps", "infra", "sub"}},
		{"unknown type ignored before 12", admin, "?type=bogus", all},
		// §4 dashboardUIDs (and legacy dashboardUID) and dashboardIds.
		{"dashboardUIDs", admin, "?dashboardUIDs=gamma&dashboardUIDs=alpha", []string{"alpha", "gamma"}},
		{"legacy dashboardUID", admin, "?dashboardUID=beta", []string{"beta"}},
		{"dashboardUIDs match folders", admin, "?dashboardUIDs=infra", []string{"infra"}},
		{"dashboardIds", admin, fmt.Sprintf("?dashboardIds=%d&dashboardIds=%d", f.ids["beta"], f.ids["delta"]), []string{"beta", "delta"}},
		// §4 folderUIDs: general or "" is the root; direct children only.
		{"folderUIDs general", admin, "?folderUIDs=general", []string{"apps", "infra", "alpha", "beta"}},
		{"folderUIDs empty is root", admin, "?folderUIDs=", []string{"apps", "infra", "alpha", "beta"}},
		{"folderUIDs direct children only", admin, "?folderUIDs=infra", []string{"sub", "gamma"}},
		{"folderUIDs several", admin, "?folderUIDs=infra&folderUIDs=sub", []string{"sub", "delta", "gamma"}},
		{"folderUIDs with type", admin, "?folderUIDs=infra&type=dash-db", []string{"gamma"}},
		// §4 folderIds: 0 is the root.
		{"folderIds root", admin, "?folderIds=0", []string{"apps", "infra", "alpha", "beta"}},
		{"folderIds folder", admin, fmt.Sprintf("?folderIds=%d", f.ids["infra"]), []string{"sub", "gamma"}},
		{"folderIds folder, folders only", admin, fmt.Sprintf("?folderIds=%d&type=dash-folder", f.ids["infra"]), []string{"sub"}},
		// §4 starred: nothing is starred.
		{"starred", admin, "?starred=true", []string{}},
		{"not starred", admin, "?starred=false", all},
		// §4 sort: alpha-asc / alpha-desc order by title alone.
		{"alpha-asc", admin, "?sort=alpha-asc", []string{"alpha", "apps", "beta", "delta", "gamma", "infra", "sub"}},
		{"alpha-desc", admin, "?sort=alpha-desc", []string{"sub", "infra", "gamma", "delta", "beta", "apps", "alpha"}},
		// §4 permission: View (default) or Edit; results are what the caller may see.
		{"viewer sees all", viewer, "", all},
		{"viewer cannot edit", viewer, "?permission=Edit", []string{}},
		{"admin can edit", admin, "?permission=Edit", all},
		{"role None sees nothing", nobody, "", []string{}},
		// §4 deleted: no dashboard is soft-deleted.
		{"deleted", admin, "?deleted=true", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, searchUIDs(tt.c.inT(t), tt.query)); diff != "" {
				t.Errorf("uids (-want +got):\n%s", diff)
			}
		})
	}
}

// Audit row 35: deleted=true needs the org role Admin (pkg/api/search.go
// Search): 401 "Unauthorized" for anyone else, before the limit check.
func TestSearchDeletedNeedsAdmin(t *testing.T) {
	for _, v := range []string{"10", "11", "12", "13"} {
		t.Run(v, func(t *testing.T) {
			e, admin := newClient(t, dashOpts(v))
			admin = admin.inT(t)
			editor := dashTestUser(e, admin, "ed", "Editor")
			viewer := dashTestUser(e, admin, "vi", "Viewer")
			unauthorized := map[string]any{"message": "Unauthorized"}
			editor.exact("GET", "/api/search?deleted=true", nil, 401, unauthorized)
			viewer.exact("GET", "/api/search?deleted=true&limit=9999", nil, 401, unauthorized)
			admin.token(e, 1, "Editor").inT(t).exact("GET", "/api/search?deleted=true", nil, 401, unauthorized)
			if status, got := admin.call("GET", "/api/search?deleted=true", nil); status != 200 || !cmp.Equal(got, []any{}) {
				t.Errorf("admin: status %d, body %v; want 200 []", status, got)
			}
			if status, _ := editor.call("GET", "/api/search?deleted=false", nil); status != 200 {
				t.Errorf("editor, deleted=false: status %d, want 200", status)
			}
		})
	}
}

// §4, §14: 12.x answers folderIds + type=dash-folder with the folder itself,
// and fails on an unknown type.
func TestSearch12(t *testing.T) {
	e, admin := newClient(t, dashOpts("12"))
	f := newSearchFixture(t, e)
	if diff := cmp.Diff([]string{"infra"}, searchUIDs(admin, fmt.Sprintf("?folderIds=%d&type=dash-folder", f.ids["infra"]))); diff != "" {
		t.Errorf("folderIds+dash-folder (-want +got):\n%s", diff)
	}
	admin.expect("GET", "/api/search?type=bogus", nil, 500, jobj("message", "Search failed"))
}

// §4: the request errors, each in its version modes.
func TestSearchErrors(t *testing.T) {
	tests := []struct {
		version, query string
		status         int
		want           map[string]any
	}{
		// §4, §12: limit above 5000.
		{"10", "?limit=5001", 422, jobj("message", "Limit is above maximum allowed (5000), use page parameter to access hits beyond limit")},
		{"12", "?limit=5001", 422, jobj("message", "Limit is above maximum allowed (5000), use page parameter to access hits beyond limit")},
		// §4: UIDs and IDs together.
		{"11", "?dashboardUIDs=a&dashboardIds=1", 400, jobj("message", "search supports UIDs or IDs, not both")},
		{"11", "?dashboardUID=a&dashboardIds=1", 400, jobj("message", "search supports UIDs or IDs, not both")},
		{"11", "?folderUIDs=a&folderIds=1", 400, jobj("message", "search supports UIDs or IDs, not both")},
		{"11", "?dashboardUIDs=a&folderIds=1", 200, nil},
		// §4, §14: an unknown type fails only in 12.x.
		{"12", "?type=dash-panel", 500, jobj("message", "Search failed")},
		{"13", "?type=dash-panel", 500, jobj("message", "Search failed")},
		{"11", "?type=dash-panel", 200, nil},
		{"11.2", "?type=dash-panel", 200, nil},
		{"10", "?type=dash-panel", 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.version+tt.query, func(t *testing.T) {
			_, admin := newClient(t, dashOpts(tt.version))
			status, got := admin.inT(t).call("GET", "/api/search"+tt.query, nil)
			if status != tt.status {
				t.Errorf("status %d, want %d: %v", status, tt.status, got)
			}
			if tt.want == nil {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// §4, §12: limit defaults to 1000 and may go up to 5000; page is 1-based and
// 0 or absent means 1; no total is returned, a short page is the last.
func TestSearchPaging(t *testing.T) {
	e, admin := newClient(t, Options{})
	for i := 0; i < 1001; i++ {
		if _, err := e.SeedDashboard(1, DashboardSpec{JSON: jobj("uid", fmt.Sprintf("d%04d", i), "title", fmt.Sprintf("Dash %04d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query       string
		wantLen     int
		first, last string
	}{
		{"", 1000, "d0000", "d0999"},
		{"?page=2", 1, "d1000", "d1000"},
		{"?page=0", 1000, "d0000", "d0999"},
		{"?limit=5000", 1001, "d0000", "d1000"},
		{"?limit=0", 1000, "d0000", "d0999"},
		{"?limit=10&page=3", 10, "d0020", "d0029"},
		{"?limit=10&page=1", 10, "d0000", "d0009"},
		{"?limit=500&page=3", 1, "d1000", "d1000"},
		{"?limit=500&page=4", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			uids := searchUIDs(admin.inT(t), tt.query)
			got := []string{fmt.Sprint(len(uids)), "", ""}
			if len(uids) > 0 {
				got[1], got[2] = uids[0], uids[len(uids)-1]
			}
			if diff := cmp.Diff([]string{fmt.Sprint(tt.wantLen), tt.first, tt.last}, got); diff != "" {
				t.Errorf("len, first, last (-want +got):\n%s", diff)
			}
		})
	}
}

// §4: the hit items, field for field: tags always a sorted array, folder
// fields omitted at the root, uri db/<slug>, folder urls; description in 12.x.
func TestSearchHitShape(t *testing.T) {
	for _, v := range []string{"10", "11", "12", "13"} {
		t.Run(v, func(t *testing.T) {
			e, admin := newClient(t, dashOpts(v))
			admin = admin.inT(t)
			f := newSearchFixture(t, e)
			_, got := admin.call("GET", "/api/search?dashboardUIDs=beta&dashboardUIDs=gamma&dashboardUIDs=sub&dashboardUIDs=infra", nil)
			beta := jobj("id", float64(f.ids["beta"]), "uid", "beta", "orgId", float64(1), "title", "beta root",
				"uri", "db/beta-root", "url", "/d/beta/beta-root", "slug", "beta-root", "type", "dash-db",
				"tags", []any{"aws", "prod"}, "isStarred", false, "sortMeta", float64(0))
			gamma := jobj("id", float64(f.ids["gamma"]), "uid", "gamma", "orgId", float64(1), "title", "Gamma Infra",
				"uri", "db/gamma-infra", "url", "/d/gamma/gamma-infra", "slug", "gamma-infra", "type", "dash-db",
				"tags", []any{"aws"}, "isStarred", false, "sortMeta", float64(0),
				"folderId", float64(f.ids["infra"]), "folderUid", "infra", "folderTitle", "Infra", "folderUrl", "/dashboards/f/infra/infra")
			infra := jobj("id", float64(f.ids["infra"]), "uid", "infra", "orgId", float64(1), "title", "Infra",
				"uri", "db/infra", "url", "/dashboards/f/infra/infra", "slug", "infra", "type", "dash-folder",
				"tags", []any{}, "isStarred", false, "sortMeta", float64(0))
			sub := jobj("id", float64(f.ids["sub"]), "uid", "sub", "orgId", float64(1), "title", "Sub",
				"uri", "db/sub", "url", "/dashboards/f/sub/sub", "slug", "sub", "type", "dash-folder",
				"tags", []any{}, "isStarred", false, "sortMeta", float64(0),
				"folderId", float64(f.ids["infra"]), "folderUid", "infra", "folderTitle", "Infra", "folderUrl", "/dashboards/f/infra/infra")
			if v == "12" || v == "13" {
				beta["description"] = "Beta's story"
			}
			if diff := cmp.Diff([]any{infra, sub, beta, gamma}, got); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
			}
		})
	}
}

// §4, §13, §14: in 12.x search lags writes by SearchLag (GET by uid does not);
// before 12.x search is immediate whatever SearchLag says.
func TestSearchEventualConsistency(t *testing.T) {
	titles := func(c *client) []string {
		c.t.Helper()
		_, got := c.call("GET", "/api/search?type=dash-db", nil)
		out := []string{}
		for _, h := range got.([]any) {
			out = append(out, h.(map[string]any)["title"].(string))
		}
		return out
	}
	for _, tt := range []struct {
		version string
		lagged  bool
	}{{"11", false}, {"12", true}, {"13", true}} {
		t.Run(tt.version, func(t *testing.T) {
			clock := newDashTestClock()
			opts := clock.options(tt.version)
			opts.SearchLag = 5 * time.Second
			_, admin := newClient(t, opts)
			admin = admin.inT(t)
			check := func(step string, want, wantLagged []string) {
				t.Helper()
				if tt.lagged {
					want = wantLagged
				}
				if diff := cmp.Diff(want, titles(admin)); diff != "" {
					t.Errorf("%s: titles (-want +got):\n%s", step, diff)
				}
			}
			save(admin, jobj("dashboard", jobj("uid", "ec", "title", "First")))
			admin.expect("GET", "/api/dashboards/uid/ec", nil, 200, nil)
			check("just created", []string{"First"}, []string{})
			clock.advance(5 * time.Second)
			check("lag passed", []string{"First"}, []string{"First"})

			save(admin, jobj("dashboard", jobj("uid", "ec", "title", "Second", "version", 1)))
			check("just updated", []string{"Second"}, []string{"First"})
			clock.advance(3 * time.Second)
			save(admin, jobj("dashboard", jobj("uid", "ec", "title", "Third", "version", 2)))
			clock.advance(3 * time.Second)
			check("burst of updates", []string{"Third"}, []string{"First"})
			clock.advance(2 * time.Second)
			check("burst settled", []string{"Third"}, []string{"Third"})

			admin.expect("DELETE", "/api/dashboards/uid/ec", nil, 200, nil)
			check("deleted", []string{}, []string{})
		})
	}
}

// §13: replicas share one database, so a dashboard saved through one replica
// is at once readable by uid through another; in 12.x search on the other
// replica still lags.
func TestDashboardAcrossReplicas(t *testing.T) {
	clock := newDashTestClock()
	opts := clock.options("12")
	opts.SearchLag = 10 * time.Second
	e, admin := newClient(t, opts)
	second, err := e.StartReplica("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	other := admin.inT(t)
	other.base = second.URL()
	save(admin, jobj("dashboard", jobj("uid", "ha", "title", "HA")))
	other.expect("GET", "/api/dashboards/uid/ha", nil, 200, nil)
	if diff := cmp.Diff([]string{}, searchUIDs(other, "?type=dash-db")); diff != "" {
		t.Errorf("search on the other replica right after the write (-want +got):\n%s", diff)
	}
	clock.advance(10 * time.Second)
	if diff := cmp.Diff([]string{"ha"}, searchUIDs(other, "?type=dash-db")); diff != "" {
		t.Errorf("search on the other replica after the lag (-want +got):\n%s", diff)
	}
}

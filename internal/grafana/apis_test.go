package grafana

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// The path is detected from the version and discovery (audit §3); a flag
// forces either; 10.x and 11.x keep /api.
func TestAPIsDetection(t *testing.T) {
	tests := []struct {
		version, api string
		want         bool
		err          string // part of the error, "" for none
	}{
		{"10", APIAuto, false, ""},
		{"11", APIAuto, false, ""},
		{"12", APIAuto, true, ""},
		{"13", APIAuto, true, ""},
		{"13", APILegacy, false, ""},
		{"11", APIK8s, false, "(its discovery lists no API groups: Grafana before 12): use --grafana-api legacy"},
	}
	for _, tt := range tests {
		t.Run(tt.version+"/"+tt.api, func(t *testing.T) {
			v, _ := grafanatest.ParseVersion(tt.version)
			_, rep := grafanatest.Start(t, grafanatest.Options{Version: v})
			c := newTestClient(t, Config{URLs: []string{rep.URL()}, API: tt.api})
			got, err := c.UsesAPIs(t.Context())
			if (err != nil) != (tt.err != "") || got != tt.want || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("UsesAPIs = %v, %v; want %v, error %q", got, err, tt.want, tt.err)
			}
		})
	}
}

// On /apis a read is one LIST per ~2 MiB page, whatever the number of
// dashboards, never a GET per dashboard; writes carry grafsync's manager
// annotations and the resourceVersion; the org is the namespace.
func TestAPIsReadWrite(t *testing.T) {
	v, _ := grafanatest.ParseVersion("13")
	emu, rep := grafanatest.Start(t, grafanatest.Options{Version: v})
	org2 := emu.AddOrg("two")
	key, err := emu.AddServiceAccountToken(org2, "grafsync", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("y", 100<<10)
	for i := range 120 {
		if _, err := emu.SeedDashboard(org2, grafanatest.DashboardSpec{JSON: map[string]any{"uid": fmt.Sprint("d", i), "title": fmt.Sprint("D", i), "description": big}}); err != nil {
			t.Fatal(err)
		}
	}
	c := newTestClient(t, Config{URLs: []string{rep.URL()}, Token: key})
	emu.ResetCounters()
	st, err := c.ReadState(t.Context(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !st.APIs || len(st.Dashboards) != 120 {
		t.Fatalf("APIs %v, %d dashboards", st.APIs, len(st.Dashboards))
	}
	counts := emu.RouteCounts()
	lists := counts["GET /apis/{group}/{version}/namespaces/{ns}/{resource}"]
	// 120 × 100 KiB: 6 pages of dashboards (20 fit in 2 MiB), 1 of folders.
	if lists != 7 || counts["GET /api/dashboards/uid/{uid}"] != 0 || counts["GET /api/search"] != 0 {
		t.Errorf("requests: %v", counts)
	}
	d := st.Dashboards[0]
	if d.Version != 1 || !strings.Contains(string(d.JSON), `"uid":"d0"`) {
		t.Errorf("dashboard d0: version %d, JSON %.80s", d.Version, d.JSON)
	}

	if err := c.CreateFolder(t.Context(), "f", "F", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SaveDashboard(t.Context(), []byte(`{"uid":"d0","title":"D0 again","id":5}`), "f", 1, "by grafsync"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"grafana.app/managedBy": "kubectl", "grafana.app/managerId": "grafsync", "grafana.app/managerAllowsEdits": "true"}
	if diff := cmp.Diff(want, emu.DashboardAnnotations(org2, "d0")); diff != "" {
		t.Errorf("dashboard annotations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, emu.FolderAnnotations(org2, "f")); diff != "" {
		t.Errorf("folder annotations (-want +got):\n%s", diff)
	}
	if _, folder, version, _ := emu.GetDashboard(org2, "d0"); folder != "f" || version != 2 {
		t.Errorf("d0 after save: folder %q version %d", folder, version)
	}
	// The stale version is a conflict.
	_, err = c.SaveDashboard(t.Context(), []byte(`{"uid":"d0","title":"stale"}`), "f", 1, "")
	if !IsStatus(err, 409) {
		t.Errorf("stale save: %v, want 409", err)
	}
	if err := c.UpdateFolder(t.Context(), "f", "F2", 1); err != nil {
		t.Fatal(err)
	}
	if f, err := c.GetFolder(t.Context(), "f"); err != nil || f.Title != "F2" || f.Version != 2 || f.ManagerID != ManagerID {
		t.Errorf("folder after update: %+v %v", f, err)
	}
	if err := c.DeleteDashboard(t.Context(), "d1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetDashboard(t.Context(), "d1"); !IsStatus(err, 404) {
		t.Errorf("deleted dashboard: %v", err)
	}
}

// A dashboard a person saved as v2 reads as Schema "v2beta1" with who saved
// it, on /apis (status.conversion) and on /api (the 406 of audit §4).
func TestSchemaV2Live(t *testing.T) {
	for _, api := range []string{APIAuto, APILegacy} {
		t.Run("api="+api, func(t *testing.T) {
			v, _ := grafanatest.ParseVersion("13")
			emu, rep := grafanatest.Start(t, grafanatest.Options{Version: v})
			if _, err := emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: map[string]any{"uid": "dyn", "title": "Dyn"}}); err != nil {
				t.Fatal(err)
			}
			if err := emu.ConvertDashboardToV2(1, "dyn", 0); err != nil {
				t.Fatal(err)
			}
			c := newTestClient(t, Config{URLs: []string{rep.URL()}, API: api})
			st, err := c.ReadState(t.Context(), nil, nil)
			if err != nil {
				t.Fatalf("a v2 dashboard failed the read: %v", err)
			}
			if len(st.Dashboards) != 1 {
				t.Fatalf("%d dashboards", len(st.Dashboards))
			}
			d := st.Dashboards[0]
			if d.Schema != "v2beta1" || d.Version != 2 || d.SavedBy == "" || d.SavedAt.IsZero() {
				t.Errorf("v2 dashboard read as %+v", d)
			}
			// One GET (the ledger read, the check after an apply) reads
			// the same dashboard as the LIST: on /apis its v2 spec, not a
			// placeholder with the uid and title.
			one, err := c.GetDashboard(t.Context(), "dyn")
			if api == APILegacy {
				if err == nil || !IsStatus(err, 406) {
					t.Errorf("legacy GET of a v2 dashboard: %v, want the 406", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(d.JSON), string(one.JSON)); diff != "" {
					t.Errorf("GET and LIST differ (-list +get):\n%s", diff)
				}
				for _, want := range []string{`"apiVersion":"dashboard.grafana.app/v2beta1"`, `"elements":`, `"layout":`, `"uid":"dyn"`} {
					if !strings.Contains(string(one.JSON), want) {
						t.Errorf("GET of a v2 dashboard lacks %s: %.200s", want, one.JSON)
					}
				}
				if one.Schema != "v2beta1" || one.Version != d.Version || one.SavedBy != d.SavedBy {
					t.Errorf("GET of a v2 dashboard: schema %q version %d by %q", one.Schema, one.Version, one.SavedBy)
				}
			}
			// Writing the v1 version back restores it.
			if _, err := c.SaveDashboard(t.Context(), []byte(`{"uid":"dyn","title":"Dyn"}`), "", d.Version, ""); err != nil {
				t.Fatal(err)
			}
			if got := emu.DashboardStoredVersion(1, "dyn"); got != "" {
				t.Errorf("stored as %q after the restore", got)
			}
		})
	}
}

// LockDashboards writes managerAllowsEdits=false: Grafana then refuses a
// person's edit (the emulator's UI helper and a user's /apis write), while
// grafsync's service account still writes.
func TestAPIsLockDashboards(t *testing.T) {
	v, _ := grafanatest.ParseVersion("13")
	emu, rep := grafanatest.Start(t, grafanatest.Options{Version: v})
	key, err := emu.AddServiceAccountToken(1, "grafsync", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, Config{URLs: []string{rep.URL()}, Token: key, LockDashboards: true})
	if _, err := c.SaveDashboard(t.Context(), []byte(`{"uid":"l","title":"L"}`), "", 0, ""); err != nil {
		t.Fatal(err)
	}
	if got := emu.DashboardAnnotations(1, "l")["grafana.app/managerAllowsEdits"]; got != "false" {
		t.Errorf("managerAllowsEdits = %q, want false", got)
	}
	if err := emu.EditDashboard(1, "l", func(m map[string]any) { m["title"] = "hand" }); err == nil {
		t.Error("a person edited a locked dashboard")
	}
	if _, err := c.SaveDashboard(t.Context(), []byte(`{"uid":"l","title":"L2"}`), "", 1, ""); err != nil {
		t.Errorf("grafsync's service account could not update its locked dashboard: %v", err)
	}
	user := newTestClient(t, Config{URLs: []string{rep.URL()}, User: "admin", Password: "admin", LockDashboards: true})
	if _, err := user.SaveDashboard(t.Context(), []byte(`{"uid":"l","title":"L3"}`), "", 2, ""); !IsStatus(err, 403) {
		t.Errorf("a user's write of a locked dashboard: %v, want 403", err)
	}
}

// apisSpec is the spec of an /apis write: the planned JSON without the
// members its metadata holds (and, for schema v2, without apiVersion and
// grafsync's marker), values copied as written.
func TestAPIsSpec(t *testing.T) {
	tests := []struct {
		name, in, spec, uid, v2 string
	}{
		{"v1", `{"folderUid":"f","grafsync":{"managed":true},"id":3,"n":1.50,"title":"T","uid":"a","version":4}`,
			`{"grafsync":{"managed":true},"n":1.50,"title":"T"}`, "a", ""},
		{"v1 with a v1 apiVersion member kept", `{"apiVersion":"x","title":"T","uid":"a"}`, `{"apiVersion":"x","title":"T"}`, "a", ""},
		{"v2 first member cut", `{"apiVersion":"dashboard.grafana.app/v2beta1","elements":{},"grafsync":{"managed":true},"layout":{},"title":"T","uid":"b"}`,
			`{"elements":{},"layout":{},"title":"T"}`, "b", "v2beta1"},
		{"v2 apiVersion last", `{"title":"T","uid":"b","grafsync":1,"apiVersion":"dashboard.grafana.app/v2"}`, `{"title":"T"}`, "b", "v2"},
		{"no uid", `{"title":"T"}`, `{"title":"T"}`, "", ""},
		{"only cut members", `{"id":1,"uid":"c"}`, `{}`, "c", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, uid, v2, err := apisSpec([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.spec, tt.uid, tt.v2}, []string{string(spec), uid, v2}); diff != "" {
				t.Errorf("apisSpec(%s) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
	for _, in := range []string{`[]`, `{"a":}`, ``} {
		if _, _, _, err := apisSpec([]byte(in)); err == nil {
			t.Errorf("apisSpec(%q): no error", in)
		}
	}
}

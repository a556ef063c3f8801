package pull

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/load"
)

// A dashboard file's uid is read as the loader reads it: a classic file's
// top-level uid, a schema v2 document's metadata.name (load/dashboards_v2.go
// isV2Dashboard: apiVersion dashboard.grafana.app/v2…, kind Dashboard, a
// spec object), in JSON and YAML.
func TestFileUID(t *testing.T) {
	type got struct {
		UID    string
		V2, OK bool
	}
	for _, tt := range []struct {
		name, data string
		json       bool
		want       got
	}{
		{"classic json", `{"uid":"a","title":"A"}`, true, got{"a", false, true}},
		{"classic yaml", "uid: a\ntitle: A\n", false, got{"a", false, true}},
		{"classic without uid", `{"title":"A"}`, true, got{"", false, true}},
		{"v2 json", `{"apiVersion":"dashboard.grafana.app/v2beta1","kind":"Dashboard","metadata":{"name":"v2demo","annotations":{"grafana.app/folder":"p"}},"spec":{"title":"T","uid":"not-this"}}`, true, got{"v2demo", true, true}},
		{"v2 json, spec before metadata", `{"spec":{"title":"T"},"metadata":{"name":"x"},"kind":"Dashboard","apiVersion":"dashboard.grafana.app/v2alpha1"}`, true, got{"x", true, true}},
		{"v2 yaml", "apiVersion: dashboard.grafana.app/v2beta1\nkind: Dashboard\nmetadata:\n  name: y\nspec:\n  title: T\n", false, got{"y", true, true}},
		{"v2 without a name", `{"apiVersion":"dashboard.grafana.app/v2beta1","kind":"Dashboard","metadata":{},"spec":{}}`, true, got{"", true, true}},
		{"v2 apiVersion but no spec object: classic", `{"apiVersion":"dashboard.grafana.app/v2beta1","kind":"Dashboard","metadata":{"name":"n"},"spec":[],"uid":"u"}`, true, got{"u", false, true}},
		{"another kind: classic", `{"apiVersion":"dashboard.grafana.app/v2beta1","kind":"LibraryPanel","metadata":{"name":"n"},"spec":{},"uid":"u"}`, true, got{"u", false, true}},
		{"v1 resource: classic", `{"apiVersion":"dashboard.grafana.app/v1beta1","kind":"Dashboard","metadata":{"name":"n"},"spec":{}}`, true, got{"", false, true}},
		{"not an object", `[1]`, true, got{"", false, false}},
		{"bad yaml", "a: [", false, got{"", false, false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			uid, v2, ok := fileUID([]byte(tt.data), tt.json)
			if diff := cmp.Diff(tt.want, got{uid, v2, ok}); diff != "" {
				t.Errorf("fileUID (-want +got):\n%s", diff)
			}
		})
	}
}

// A live v2 dashboard (its spec with the uid, apiVersion and marker
// grafana.getDashboardV2 adds) is written as Grafana exports it, with the
// folder annotation the loader checks; read through the legacy /api (no
// apiVersion: only uid and title) there is nothing to write.
func TestV2Document(t *testing.T) {
	for _, tt := range []struct {
		name, src, folder string
		want              string
		ok                bool
	}{{
		name:   "in a folder",
		src:    `{"title":"T","elements":{},"layout":{"kind":"GridLayout","spec":{"items":[]}},"uid":"d","apiVersion":"dashboard.grafana.app/v2beta1","grafsync":{"managed":true},"n":1.50}`,
		folder: "platform",
		want:   `{"apiVersion":"dashboard.grafana.app/v2beta1","kind":"Dashboard","metadata":{"annotations":{"grafana.app/folder":"platform"},"name":"d"},"spec":{"elements":{},"layout":{"kind":"GridLayout","spec":{"items":[]}},"n":1.50,"title":"T"}}`,
		ok:     true,
	}, {
		name: "at the root: no folder annotation",
		src:  `{"title":"T","uid":"d","apiVersion":"dashboard.grafana.app/v2alpha1"}`,
		want: `{"apiVersion":"dashboard.grafana.app/v2alpha1","kind":"Dashboard","metadata":{"name":"d"},"spec":{"title":"T"}}`,
		ok:   true,
	}, {
		name: "read through /api (406)",
		src:  `{"title":"T","uid":"d"}`,
	}} {
		t.Run(tt.name, func(t *testing.T) {
			doc, ok, err := v2Document([]byte(tt.src), "d", tt.folder)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok || string(doc) != tt.want {
				t.Errorf("v2Document = %s, %v; want %s, %v", doc, ok, tt.want, tt.ok)
			}
		})
	}
}

// The per-file report of a v2 dashboard names the spec's members that
// changed, or the change of schema.
func TestV2Changes(t *testing.T) {
	v1 := `{"panels":[],"title":"A","uid":"d"}`
	v2a := `{"apiVersion":"dashboard.grafana.app/v2beta1","kind":"Dashboard","metadata":{"name":"d"},"spec":{"elements":{},"title":"A"}}`
	v2b := `{"apiVersion":"dashboard.grafana.app/v2beta1","kind":"Dashboard","metadata":{"name":"d"},"spec":{"elements":{"p":{}},"title":"B"}}`
	for _, tt := range []struct {
		before, after, want string
		handled             bool
	}{
		{v2a, v2b, "spec: elements, title", true},
		{v1, v2a, "schema v1 → v2", true},
		{v2a, v1, "schema v2 → v1", true},
		{v1, `{"title":"B","uid":"d"}`, "", false},
	} {
		got, handled := v2Changes([]byte(tt.before), []byte(tt.after))
		if got != tt.want || handled != tt.handled {
			t.Errorf("v2Changes(%s, %s) = %q, %v; want %q, %v", tt.before, tt.after, got, handled, tt.want, tt.handled)
		}
	}
}

// A v2 dashboard whose folder Grafana did not list is written at the root
// without its folder annotation, in its file's format.
func TestV2ToRoot(t *testing.T) {
	for _, yaml := range []bool{false, true} {
		doc, _, err := v2Document([]byte(`{"title":"T","uid":"d","apiVersion":"dashboard.grafana.app/v2beta1"}`), "d", "gone")
		if err != nil {
			t.Fatal(err)
		}
		d := liveDashboard{uid: "d", folderUID: "gone", schema: "v2beta1"}
		if err := d.render(doc, yaml); err != nil {
			t.Fatal(err)
		}
		if err := d.toRoot(); err != nil {
			t.Fatal(err)
		}
		m, err := d.fileModel()
		if err != nil {
			t.Fatal(err)
		}
		want := `{"apiVersion":"dashboard.grafana.app/v2beta1","kind":"Dashboard","metadata":{"name":"d"},"spec":{"title":"T"}}`
		if string(m) != want || d.yaml != yaml || d.folderUID != "" {
			t.Errorf("yaml %v: toRoot gives %s (yaml %v, folder %q), want %s", yaml, m, d.yaml, d.folderUID, want)
		}
	}
}

// TestPullSchemaV2: on Grafana 13 (/apis), a classic YAML file whose
// dashboard a person saved as v2 is replaced by a v2 .json file at its
// stem, or under a new name when another dashboard's file holds that
// stem; a v2 file is matched by metadata.name; every file written loads.
// Through /api (--grafana-api legacy), the v2 dashboards are left out
// with a note, their files neither rewritten nor reported gone.
func TestPullSchemaV2(t *testing.T) {
	emu := grafanatest.New(grafanatest.Options{Version: grafanatest.Version{Major: 13, Minor: 2}})
	t.Cleanup(emu.Close)
	rep, err := emu.StartReplica("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	client := func(api string) *grafana.Client {
		c, err := grafana.New(grafana.Config{URLs: []string{rep.URL()}, User: "admin", Password: "admin", API: api})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, d := range []map[string]any{
		{"uid": "home", "title": "Home", "panels": []any{}},
		{"uid": "other", "title": "Other", "panels": []any{}},
		{"uid": "ops", "title": "Ops", "panels": []any{}},
	} {
		if _, err := emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: d}); err != nil {
			t.Fatal(err)
		}
	}
	for _, uid := range []string{"home", "ops"} {
		if err := emu.ConvertDashboardToV2(1, uid, 0); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "dashboards"), 0o755)
	for name, data := range map[string]string{
		"home.yaml": "uid: home\ntitle: Home\npanels: []\n",
		"home.json": `{"uid": "other", "title": "Other", "panels": []}`, // another dashboard holds the stem; it matches Grafana, so it is left as written
		"ops.json":  `{"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard", "metadata": {"name": "ops"}, "spec": {"title": "Old", "elements": {}, "layout": {"kind": "GridLayout", "spec": {"items": []}}}}`,
	} {
		os.WriteFile(filepath.Join(dir, "dashboards", name), []byte(data), 0o644)
	}
	orgs := []Org{{Name: "Main Org.", ID: 1, Dir: ".", Client: client(grafana.APIK8s)}}
	res, err := Pull(context.Background(), orgs, Options{Root: dir, Kinds: []Kind{Dashboards}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"dashboards/home.yaml":      "move to dashboards/home-home.json",
		"dashboards/home-home.json": "create ",
		"dashboards/ops.json":       "update spec: annotations, cursorSync, editable, links, liveNow, preload, tags, timeSettings, title, variables",
	}
	if diff := cmp.Diff(want, changes(res)); diff != "" {
		t.Errorf("pull (-want +got):\n%s", diff)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "dashboard home is now schema v2beta1") {
		t.Errorf("notes: %q, want one saying home is now v2", res.Notes)
	}
	if _, problems := load.Load(os.DirFS(dir), load.Options{}); problems.HasErrors() {
		t.Errorf("the pulled repository does not load:\n%v", problems)
	}

	// Through /api: left out, nothing rewritten or gone.
	if err := emu.EditDashboard(1, "ops", func(m map[string]any) { m["title"] = "Renamed" }); err != nil {
		t.Fatal(err)
	}
	orgs[0].Client = client(grafana.APILegacy)
	if res, err = Pull(context.Background(), orgs, Options{Root: dir, Kinds: []Kind{Dashboards}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{}, changes(res)); diff != "" {
		t.Errorf("legacy pull changed files (-want +got):\n%s", diff)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "2 schema v2 dashboards left out") || !strings.Contains(res.Notes[0], "--grafana-api apis") {
		t.Errorf("notes: %q, want one naming --grafana-api apis", res.Notes)
	}
}

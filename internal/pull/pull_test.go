package pull

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/load"
)

func TestEnvNameNeverRefused(t *testing.T) {
	for _, tt := range []struct{ ds, key, want string }{
		{"Loki", "basicAuthPassword", "LOKI_BASIC_AUTH_PASSWORD"},
		{"CloudWatch prod", "secretKey", "CLOUD_WATCH_PROD_SECRET_KEY"},
		{"grafana", "token", "DS_GRAFANA_TOKEN"},       // GRAFANA_TOKEN is grafsync's own
		{"Grafana", "password", "DS_GRAFANA_PASSWORD"}, // so is GRAFANA_PASSWORD
		{"grafsync-x", "password", "DS_GRAFSYNC_X_PASSWORD"},
		{"github", "token", "DS_GITHUB_TOKEN"},
		{"actions id", "token", "DS_ACTIONS_ID_TOKEN"},
		{"9 lives", "password", "DS_9_LIVES_PASSWORD"},
		{"Ünï", "password", "N_PASSWORD"},
		{"", "", "DS_"},
	} {
		got := envName(tt.ds, tt.key, load.OwnCredential)
		if got != tt.want {
			t.Errorf("envName(%q, %q) = %q, want %q", tt.ds, tt.key, got, tt.want)
		}
		if load.OwnCredential(got) {
			t.Errorf("envName(%q, %q) = %q, a name the loader refuses", tt.ds, tt.key, got)
		}
	}
}

func TestUniqueNames(t *testing.T) {
	items := []named{{"b", "Service / API"}, {"a", "service api"}, {"c", "Other"}, {"d", "Ünï"}, {"e", "Ü"}, {"f", ""}}
	want := map[string]string{"a": "service-api", "b": "service-api-b", "c": "other-c", "d": "n", "e": "x", "f": "x-f"}
	for _, order := range [][]named{items, {items[5], items[4], items[3], items[2], items[1], items[0]}} {
		got := uniqueNames(order, map[string]bool{"Other": true}, "x")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("uniqueNames (-want +got):\n%s", diff)
		}
	}
}

// TestEscapeDollarsLoads: what Grafana holds with "$" in it reads back,
// through the loader's expansion, as the same text.
func TestEscapeDollarsLoads(t *testing.T) {
	url := "https://x/$__env{HOME}/${__value.raw}/$$/$X"
	dir := t.TempDir()
	d := grafana.Datasource{UID: "u", Name: "n", Type: "loki", URL: url, JSONData: map[string]any{"derived": []any{map[string]any{"url": "${__value.raw}"}}}}
	doc := mapping("apiVersion", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"}, "datasources", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{datasourceEntry(d, nil, nil)}})
	data, err := encodeYAML(doc)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "datasources"), 0o755)
	os.WriteFile(filepath.Join(dir, "datasources", "n.yaml"), data, 0o644)
	st, problems := load.Load(os.DirFS(dir), load.Options{Getenv: func(string) string { return "LEAK" }})
	if problems.HasErrors() {
		t.Fatalf("%v\n%s", problems, data)
	}
	got := st.Orgs[0].Datasources[0]
	if got.URL != url {
		t.Errorf("url reads back as %q, want %q", got.URL, url)
	}
	if diff := cmp.Diff(d.JSONData, got.JSONData); diff != "" {
		t.Errorf("jsonData (-want +got):\n%s", diff)
	}
}

// emulator starts an emulator with a replica and returns a client of org 1.
func emulator(t *testing.T) (*grafanatest.Emulator, *grafana.Client) {
	emu, c, _ := emulatorURL(t)
	return emu, c
}

func changes(res *Result) map[string]string {
	out := map[string]string{}
	for _, f := range res.Files {
		if f.Action != Unchanged {
			out[f.Path] = string(f.Action) + " " + f.Detail
		}
	}
	return out
}

// TestIncremental: a pull into a repository that has the files updates
// them in place (path and format kept), adds new ones, says what changed,
// moves a dashboard that moved, and deletes files only with Prune.
func TestIncremental(t *testing.T) {
	emu, c := emulator(t)
	ctx := context.Background()
	seed := func(_ string, err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	seed(emu.SeedFolder(1, grafanatest.FolderSpec{UID: "f1", Title: "Apps"}))
	seed(emu.SeedFolder(1, grafanatest.FolderSpec{UID: "f2", Title: "Infra"}))
	for _, d := range []struct{ uid, folder string }{{"a", "f1"}, {"b", "f1"}, {"c", ""}, {"y", "f2"}} {
		seed(emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: map[string]any{"uid": d.uid, "title": "Dash " + d.uid, "panels": []any{}, "big": 9007199254740993}, FolderUID: d.folder}))
	}
	dir := t.TempDir()
	// A file the user keeps in YAML, at a path of their choosing.
	os.MkdirAll(filepath.Join(dir, "dashboards", "apps"), 0o755)
	os.WriteFile(filepath.Join(dir, "dashboards", "apps", "_folder.yaml"), []byte("uid: f1\ntitle: Apps\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "dashboards", "apps", "mine.yaml"), []byte("uid: b\ntitle: old\n"), 0o644)
	orgs := []Org{{Name: "Main Org.", ID: 1, Dir: ".", Client: c}}
	opts := Options{Root: dir, Kinds: []Kind{Dashboards}}

	res, err := Pull(ctx, orgs, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"dashboards/apps/dash-a.json":   "create ",
		"dashboards/apps/mine.yaml":     "update big, panels, title", // a YAML file is compared by model too
		"dashboards/dash-c.json":        "create ",
		"dashboards/infra/_folder.yaml": "create ",
		"dashboards/infra/dash-y.json":  "create ",
	}
	if diff := cmp.Diff(want, changes(res)); diff != "" {
		t.Errorf("first pull (-want +got):\n%s", diff)
	}
	yml, _ := os.ReadFile(filepath.Join(dir, "dashboards", "apps", "mine.yaml"))
	if !strings.Contains(string(yml), "big: 9007199254740993") || !strings.Contains(string(yml), "title: Dash b") {
		t.Errorf("mine.yaml is not the dashboard, numbers exact:\n%s", yml)
	}

	// Nothing changed in Grafana: nothing changes on disk.
	if res, err = Pull(ctx, orgs, opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{}, changes(res)); diff != "" {
		t.Errorf("second pull changed files:\n%s", diff)
	}

	// UI edits: a title, a move, a deletion, a new dashboard.
	if err := emu.EditDashboard(1, "a", func(m map[string]any) {
		m["title"] = "Dash A renamed"
		m["panels"] = []any{map[string]any{"id": 1, "type": "text"}}
	}); err != nil {
		t.Fatal(err)
	}
	if err := emu.DeleteDashboard(1, "c"); err != nil {
		t.Fatal(err)
	}
	seed(emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: map[string]any{"uid": "d", "title": "Dash d"}, FolderUID: "f2"}))
	y, err := c.GetDashboard(ctx, "y")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SaveDashboard(ctx, y.JSON, "f1", y.Version, "moved in the UI"); err != nil {
		t.Fatal(err)
	}
	if res, err = Pull(ctx, orgs, opts); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{
		"dashboards/apps/dash-a.json":  "update panels, title", // keeps its path
		"dashboards/dash-c.json":       "gone dashboard c",
		"dashboards/infra/dash-d.json": "create ",
	}
	want["dashboards/infra/dash-y.json"] = "move to dashboards/apps/dash-y.json"
	want["dashboards/apps/dash-y.json"] = "create "
	got := changes(res)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pull after UI edits (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "dashboards", "dash-c.json")); err != nil {
		t.Errorf("without prune the file of a deleted dashboard must stay: %v", err)
	}
	opts.Prune = true
	if res, err = Pull(ctx, orgs, opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"dashboards/dash-c.json": "delete dashboard c is gone from Grafana"}, changes(res)); diff != "" {
		t.Errorf("pull --prune (-want +got):\n%s", diff)
	}
}

// TestFilters: --kind and --folder limit what is written, and what a
// filtered pull leaves out of the repository still loads: datasources not
// pulled are declared in externalDatasources, and a subtree keeps its
// ancestors' uids.
func TestFilters(t *testing.T) {
	emu, c := emulator(t)
	seed := func(_ string, err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	seed(emu.SeedFolder(1, grafanatest.FolderSpec{UID: "top", Title: "Top"}))
	seed(emu.SeedFolder(1, grafanatest.FolderSpec{UID: "mid", Title: "Mid", ParentUID: "top"}))
	seed(emu.SeedFolder(1, grafanatest.FolderSpec{UID: "other", Title: "Other"}))
	seed(emu.SeedDatasource(1, grafanatest.DatasourceSpec{UID: "prom", Name: "Prom", Type: "prometheus", URL: "http://p"}))
	ref := map[string]any{"type": "prometheus", "uid": "prom"}
	for _, d := range []struct{ uid, folder string }{{"in", "mid"}, {"out", "other"}, {"root", ""}} {
		seed(emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: map[string]any{"uid": d.uid, "title": d.uid,
			"panels": []any{map[string]any{"id": 1, "type": "timeseries", "datasource": ref, "targets": []any{map[string]any{"refId": "A", "datasource": ref}}}}}, FolderUID: d.folder}))
	}
	dir := t.TempDir()
	res, err := Pull(context.Background(), []Org{{Name: "Main Org.", ID: 1, Dir: ".", Client: c}}, Options{Root: dir, Kinds: []Kind{Dashboards}, Folder: "mid"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"dashboards/top/_folder.yaml":     "create ",
		"dashboards/top/mid/_folder.yaml": "create ",
		"dashboards/top/mid/in.json":      "create ",
		"grafsync.yaml":                   "create ",
	}
	if diff := cmp.Diff(want, changes(res)); diff != "" {
		t.Errorf("pull --kind dashboards --folder mid (-want +got):\n%s", diff)
	}
	st, problems := load.Load(os.DirFS(dir), load.Options{})
	if problems.HasErrors() {
		t.Fatalf("the pulled repository does not load: %v", problems)
	}
	if got := st.Orgs[0].External; len(got) != 1 || got[0].UID != "prom" {
		t.Errorf("externalDatasources = %+v, want prom", got)
	}
	if got := st.Orgs[0].Folders; len(got) != 2 || got[0].UID != "top" || got[1].UID != "mid" {
		t.Errorf("folders = %+v, want top and mid with their uids", got)
	}
}

// TestFileModelFromJSON pins what placeDashboards relies on: a JSON file
// keeps only its bytes, and its model (for an update's detail, or a YAML
// file moved to a new .json one) is those bytes made canonical again,
// exactly what dashboardModel made of Grafana's answer.
func TestFileModelFromJSON(t *testing.T) {
	for _, src := range []string{
		`{"title":"a","uid":"x","id":3,"version":9}`,
		`{"uid":"x","panels":[{"b":1.50,"a":1e400,"c":9007199254740993}],"title":" t "}`,
		`{"title":"\u00e9\u2028\ud83d\ude00 \"q\" \\ <>&","uid":"x","z":{"y":[],"x":{}},"A":null}`,
		`{"title":"x","uid":"x","tags":["b","a"],"nested":{"deep":[[[{"k":true}]]]}}`,
	} {
		model, err := dashboardModel([]byte(src), "x")
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		var d liveDashboard
		if err := d.render(model, false); err != nil {
			t.Fatalf("%s: render: %v", src, err)
		}
		got, err := d.fileModel()
		if err != nil {
			t.Fatalf("%s: fileModel: %v", src, err)
		}
		if diff := cmp.Diff(string(model), string(got)); diff != "" {
			t.Errorf("%s: model (-want +got):\n%s", src, diff)
		}
		var y liveDashboard
		if err := y.render(model, true); err != nil {
			t.Fatalf("%s: render YAML: %v", src, err)
		}
		if got, _ := y.fileModel(); string(got) != string(model) {
			t.Errorf("%s: YAML model %s, want %s", src, got, model)
		}
	}
}

func TestRoundRobin(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"a1", "a1"},
		{"a1 a2 b1 b2 b3 c1", "a1 b1 c1 a2 b2 b3"},
		{"b1 a1 b2 a2", "b1 a1 b2 a2"},
		{"a1 a2 a3", "a1 a2 a3"},
	} {
		got := roundRobin(strings.Fields(tt.in), func(s string) string { return s[:1] })
		if diff := cmp.Diff(strings.Fields(tt.want), got); diff != "" {
			t.Errorf("roundRobin(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

package load

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/resource"
)

// A library panel file shaped as GET /api/library-elements/:uid's
// "result" gives it (grafana-api.md §10).
const libCPU = `{
  "id": 3, "orgId": 1, "folderId": 0, "folderUid": "team",
  "uid": "cpu", "name": "CPU usage", "kind": 1, "type": "timeseries", "description": "",
  "model": {"type": "timeseries", "title": "CPU usage", "libraryPanel": {"uid": "cpu", "name": "CPU usage"}},
  "version": 4, "meta": {"folderName": "Team", "connectedDashboards": 1}
}`

const dashUsingCPU = `{"uid": "svc", "title": "Service", "panels": [
  {"id": 1, "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}, "libraryPanel": {"uid": "cpu", "name": "CPU usage"}},
  {"id": 2, "type": "row", "collapsed": true, "panels": [
    {"id": 3, "libraryPanel": {"uid": "mem", "name": "Memory"}}
  ]}
]}`

func TestLibraryPanelProblems(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "exported element and a dashboard using it",
			files: map[string]string{"dashboards/team/cpu.libpanel.json": libCPU, "dashboards/team/mem.libpanel.json": `{"uid":"mem","name":"Memory","model":{"type":"stat"}}`, "dashboards/team/svc.json": dashUsingCPU},
		},
		{
			name:  "reference the repository lacks: a warning (Grafana may have it)",
			files: map[string]string{"dashboards/svc.json": dashUsingCPU, "dashboards/cpu.libpanel.json": `{"uid":"cpu","name":"CPU usage","model":{}}`},
			want:  []string{`dashboards/svc.json:4:39: warning: library panel "mem" is not in the repository`},
		},
		{
			name:  "libraryPanel without uid",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "panels": [{"libraryPanel": {"name": "x"}}]}`},
			want:  []string{`dashboards/a.json:1:44: panels[0].libraryPanel: libraryPanel has no uid`},
		},
		{
			name: "bad fields",
			files: map[string]string{"dashboards/a.libpanel.json": `{"uid": "a b", "kind": 2, "model": [], "extra": 1}`,
				"dashboards/b.libpanel.json": `{"name": "B", "model": {"type": 3}}`},
			want: []string{
				`dashboards/a.libpanel.json:1:1: library panel name is missing`,
				`dashboards/a.libpanel.json:1:9: uid: "a b" contains illegal characters`,
				`dashboards/a.libpanel.json:1:24: kind: 2 is a library variable, not a panel`,
				`dashboards/a.libpanel.json:1:36: model: want a JSON object (the panel)`,
				`dashboards/a.libpanel.json:1:40: warning: extra: unknown key, ignored`,
				`dashboards/b.libpanel.json:1:33: model.type: want a string (Grafana fails with 500 otherwise)`,
			},
		},
		{
			name:  "an API response",
			files: map[string]string{"dashboards/a.libpanel.json": `{"result": {"uid": "a", "name": "A", "model": {}}}`},
			want:  []string{`dashboards/a.libpanel.json:1:2: this is a Grafana API response, not a library panel`},
		},
		{
			name: "uid twice, name twice in a folder",
			files: map[string]string{
				"dashboards/x/a.libpanel.json": `{"uid": "a", "name": "A", "model": {}}`,
				"dashboards/y/a.libpanel.json": `{"uid": "a", "name": "A", "model": {}}`,
				"dashboards/x/b.libpanel.json": `{"uid": "b", "name": "A", "model": {}}`,
			},
			want: []string{
				`dashboards/x/b.libpanel.json:1:22: name "A" is also the name of library panel dashboards/x/a.libpanel.json in the same folder`,
				`dashboards/y/a.libpanel.json:1:9: uid "a" is also the uid of library panel dashboards/x/a.libpanel.json`,
			},
		},
		{
			// As for dashboards (issue 12 item 5): encoding/json would keep
			// the last uid silently.
			name: "a key twice, at the top and in the model",
			files: map[string]string{
				"dashboards/a.libpanel.json": `{"uid": "a", "name": "A",` + "\n" + `"uid": "a2", "model": {}}`,
				"dashboards/b.libpanel.json": `{"uid": "b", "name": "B", "model": {"type": "stat", "type": "text"}}`,
			},
			want: []string{
				`dashboards/a.libpanel.json:2:1: uid: duplicate key "uid" (first at line 1)`,
				`dashboards/b.libpanel.json:1:53: model.type: duplicate key "type" (first at line 1)`,
			},
		},
		{
			name:  "folderUid the directory contradicts",
			files: map[string]string{"dashboards/team/a.libpanel.json": `{"uid": "a", "name": "A", "folderUid": "other", "model": {}}`},
			want:  []string{`dashboards/team/a.libpanel.json:1:40: warning: folderUid: "other" is ignored: the file's directory puts it in folder team`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loadProblems(t, tt.files, tt.want)
		})
	}
}

// A dashboard exported "for sharing" carries its library panels in
// __elements; the hint says to save them as files.
func TestLibraryPanelInElementsHint(t *testing.T) {
	_, problems := Load(mapFS(map[string]string{"dashboards/a.json": `{"title": "A",
 "__elements": {"cpu": {"name": "CPU", "uid": "cpu", "kind": 1, "model": {"type": "stat"}}},
 "panels": [{"libraryPanel": {"uid": "cpu", "name": "CPU"}}]}`}), Options{})
	if len(problems) != 1 || problems[0].Hint != `the dashboard's __elements holds it: save __elements["cpu"] as a .libpanel.json file (Grafana creates library panels from __elements only on import)` {
		t.Errorf("problems: %v", problems)
	}
}

func TestLibraryPanelLoaded(t *testing.T) {
	st, problems := Load(mapFS(map[string]string{
		"dashboards/team/cpu.libpanel.json": libCPU,
		"dashboards/team/svc.json":          dashUsingCPU,
		"dashboards/plain.libpanel.json":    `{"name": "Plain", "model": {"type": "text"}}`,
	}), Options{})
	if problems.HasErrors() {
		t.Fatal(problems)
	}
	org := st.Orgs[0]
	want := []*resource.LibraryPanel{
		{UID: "plain", Name: "Plain", Path: "plain.libpanel.json", Model: map[string]any{"type": "text"}, Source: resource.Pos{File: "dashboards/plain.libpanel.json"}},
		{UID: "cpu", Name: "CPU usage", FolderUID: "team", Path: "team/cpu.libpanel.json",
			Model:  map[string]any{"type": "timeseries", "title": "CPU usage", "libraryPanel": map[string]any{"uid": "cpu", "name": "CPU usage"}},
			Source: resource.Pos{File: "dashboards/team/cpu.libpanel.json"}},
	}
	if diff := cmp.Diff(want, org.LibraryPanels); diff != "" {
		t.Errorf("library panels (-want +got):\n%s", diff)
	}
	var refs []string
	for _, r := range org.Dashboards[0].LibraryPanels {
		refs = append(refs, r.UID+"@"+r.Source.String())
	}
	if diff := cmp.Diff([]string{"cpu@dashboards/team/svc.json:2:83", "mem@dashboards/team/svc.json:4:39"}, refs); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
}

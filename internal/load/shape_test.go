package load

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDashboardShapes: a field Grafana iterates (panels, rows,
// templating.list, annotations.list, links, targets, a row's panels) or that
// grafsync resolves (__inputs) is checked for its shape, with one problem at
// the field and no knock-on problems from the checks that read it.
// Grafana's DashboardModel treats a missing or falsy field as empty
// (`data.panels || []`), so null is fine and false/0/"" only warn.
func TestDashboardShapes(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "panels is not a list",
			files: map[string]string{"dashboards/a.json": "{\"title\": \"A\",\n \"panels\": \"notalist\"}"},
			want:  []string{`dashboards/a.json:2:12: panels: want a list of panels, found "notalist"`},
		},
		{
			name:  "panels is an object, in YAML",
			files: map[string]string{"dashboards/a.yaml": "title: A\npanels:\n  id: 1\n"},
			want:  []string{`dashboards/a.yaml:3:3: panels: want a list of panels, found an object`},
		},
		{
			name:  "null panels and rows are empty",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "panels": null, "rows": null, "templating": null, "annotations": {"list": null}, "links": null}`},
		},
		{
			name:  "an empty string is an empty list to Grafana: warning",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "panels": ""}`},
			want:  []string{`dashboards/a.json:1:26: warning: panels: want a list of panels, found ""; Grafana shows none`},
		},
		{
			name:  "an empty object for a list and an empty list for an object read as none: warnings",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "panels": {}, "templating": []}`},
			want: []string{
				`dashboards/a.json:1:26: warning: panels: want a list of panels, found an object; Grafana shows none`,
				`dashboards/a.json:1:44: warning: templating: want an object {"list": [...]}, found a list; Grafana shows none`,
			},
		},
		{
			name:  "a panel that is not an object",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "panels": [{"id": 1}, 7, null]}`},
			want: []string{
				`dashboards/a.json:1:38: panels[1]: want a panel object, found 7`,
				`dashboards/a.json:1:41: panels[2]: want a panel object, found null`,
			},
		},
		{
			name:  "targets inside a panel",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "panels": [{"id": 1, "targets": {"expr": "up"}}, {"id": 2, "targets": ["up"]}]}`},
			want: []string{
				`dashboards/a.json:1:48: panels[0].targets: want a list of queries, found an object`,
				`dashboards/a.json:1:87: panels[1].targets[0]: want a query object, found "up"`,
			},
		},
		{
			name:  "panels of a collapsed row",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "panels": [{"type": "row", "collapsed": true, "panels": [{"id": 2, "targets": 1}]}]}`},
			want:  []string{`dashboards/a.json:1:94: panels[0].panels[0].targets: want a list of queries, found 1`},
		},
		{
			name:  "old rows and their panels",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "rows": [{"panels": "x"}, "row"]}`},
			want: []string{
				`dashboards/a.json:1:36: rows[0].panels: want a list of panels, found "x"`,
				`dashboards/a.json:1:42: rows[1]: want a row object, found "row"`,
			},
		},
		{
			name:  "rows is not a list",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "rows": {"panels": []}}`},
			want:  []string{`dashboards/a.json:1:24: rows: want a list of rows, found an object`},
		},
		{
			name:  "templating and annotations",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "templating": {"list": {"name": "x"}}, "annotations": "none"}`},
			want: []string{
				`dashboards/a.json:1:39: templating.list: want a list of variables, found an object`,
				`dashboards/a.json:1:70: annotations: want an object {"list": [...]}, found "none"`,
			},
		},
		{
			name: "a variable that is not an object hides no variable from the reference checks",
			files: map[string]string{
				"dashboards/a.json": `{"title": "A", "templating": {"list": ["ds", {"name": "ds", "type": "datasource"}]},
 "panels": [{"id": 1, "datasource": "$ds"}], "annotations": {"list": [null]}}`,
			},
			want: []string{
				`dashboards/a.json:1:40: templating.list[0]: want a variable object, found "ds"`,
				`dashboards/a.json:2:71: annotations.list[0]: want an annotation object, found null`,
			},
		},
		{
			name:  "links",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "links": [{"title": "x"}, "y"], "panels": [{"id": 1, "links": 3}]}`},
			want: []string{
				`dashboards/a.json:1:42: links[1]: want a link object, found "y"`,
				`dashboards/a.json:1:78: panels[0].links: want a list of links, found 3`,
			},
		},
		{
			name: "__inputs is not a list: one error, none for the references it would have resolved",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json": `{"__inputs": "x", "title": "A",
 "panels": [{"id": 1, "datasource": "${DS_PROM}"}, {"id": 2, "datasource": {"uid": "${DS_PROM}"}, "targets": [{"datasource": "${DS_PROM}"}]}]}`,
			},
			want: []string{`dashboards/a.json:1:14: __inputs: want a list of inputs, found "x"`},
		},
		{
			name: "an input that is not an object",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  `{"__inputs": [3], "title": "A", "panels": [{"id": 1, "datasource": "${DS_PROM}"}]}`,
			},
			want: []string{`dashboards/a.json:1:15: __inputs[0]: want an input object, found 3`},
		},
		{
			name: "a constant input without a value",
			files: map[string]string{"dashboards/a.json": `{"__inputs": [{"name": "VAR_ENV", "type": "constant", "label": "env"}],
 "title": "A ${VAR_ENV}"}`},
			want: []string{`dashboards/a.json:1:15: __inputs[0]: constant VAR_ENV has no value`},
		},
		{
			name:  "a constant input whose value is a number is its text",
			files: map[string]string{"dashboards/a.json": `{"__inputs": [{"name": "VAR_N", "type": "constant", "value": 5}], "title": "A ${VAR_N}"}`},
		},
		{
			name:  "a constant input whose value is an object",
			files: map[string]string{"dashboards/a.json": `{"__inputs": [{"name": "VAR_N", "type": "constant", "value": {}}], "title": "A"}`},
			want:  []string{`dashboards/a.json:1:62: __inputs[0].value: want a string, found an object`},
		},
		{
			name:  "__requires that is not a list is dropped: warning",
			files: map[string]string{"dashboards/a.json": `{"__requires": {"id": "grafana"}, "title": "A"}`},
			want:  []string{`dashboards/a.json:1:16: warning: __requires: want a list of requirements, found an object; grafsync drops __requires, so it is ignored`},
		},
		{
			name:  "a dashboard that is a string",
			files: map[string]string{"dashboards/a.json": `"dashboard"`},
			want:  []string{`dashboards/a.json:1:1: a dashboard must be a JSON object`},
		},
		{
			name:  "a YAML dashboard that is a list",
			files: map[string]string{"dashboards/a.yaml": "- title: A\n"},
			want:  []string{`dashboards/a.yaml:1:1: this file holds a list, not a dashboard (a dashboard is one JSON object)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loadProblems(t, tt.files, tt.want)
		})
	}
}

// TestConstantInputIsSubstituted: a constant input's value replaces its
// ${NAME} everywhere, numbers by their JSON text.
func TestConstantInputIsSubstituted(t *testing.T) {
	files := map[string]string{"dashboards/a.json": `{"__inputs": [{"name": "VAR_N", "type": "constant", "value": 5}], "title": "A ${VAR_N}"}`}
	st, problems := Load(mapFS(files), Options{})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", shorts(problems))
	}
	if got, want := st.Orgs[0].Dashboards[0].Title, "A 5"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
}

// TestSiblingFolderTitles: Grafana 11.2 and older refuse two folders with
// one title under one parent (409; audit rows 17, 18, 57: allowed from
// 11.3). validate does not know the server, so it warns; the plan blocks it
// on those versions. Folders with one title under different parents are
// fine everywhere.
func TestSiblingFolderTitles(t *testing.T) {
	files := map[string]string{
		"dashboards/a/_folder.yaml":   "title: Team\n",
		"dashboards/b/_folder.yaml":   "title: team\n",
		"dashboards/c/x/_folder.yaml": "title: Team\n",
		"dashboards/d/x/_folder.yaml": "title: Team\n",
		"dashboards/a/d.json":         `{"title": "D"}`,
		"dashboards/home.json":        `{"uid": "home-db", "title": "Home"}`,
		"dashboards/Home/x.json":      `{"title": "X"}`,
		"dashboards/ops.json":         `{"uid": "ops-db", "title": "Ops"}`,
		"dashboards/ops/x.json":       `{"title": "X"}`,
	}
	_, got := Load(mapFS(files), Options{})
	// c/x and d/x have different parents: no problem. At the top level
	// folders and dashboards share titles, compared exactly there ("ops"
	// and "Ops" differ).
	want := []string{
		`dashboards/Home/: warning: folder Home: title "Home" is also the title of dashboards/home.json, at the top level`,
		`dashboards/b/_folder.yaml:1:8: warning: folder b: title "team" is also the title of folder a, under the same parent`,
	}
	if diff := cmp.Diff(want, shorts(got)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

package load

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGrafanaAccepts: files that Grafana accepts, shaped like real
// provisioning files and exported dashboards (issue 14), load without an
// error; where Grafana would misbehave at runtime, or ignores what the file
// says, a warning says so. Each case also pins a hint where the hint is the
// point (what Grafana really does).
func TestGrafanaAccepts(t *testing.T) {
	// A uid-less datasource, as in most docker-compose examples.
	const dsNoUID = "apiVersion: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    url: http://prometheus:9090\n"
	// A panel as Grafana exports it, with its datasource and a target.
	panel := func(panelDS, targetDS string) string {
		return `{"uid": "d", "title": "D", "panels": [{"id": 1, "type": "timeseries", "datasource": ` + panelDS +
			`, "targets": [{"refId": "A", "datasource": ` + targetDS + `, "expr": "up"}]}]}`
	}
	tests := []struct {
		name  string
		files map[string]string
		want  []string
		hint  string // a substring of the first problem's hint
	}{
		{
			// pkg/services/provisioning/datasources/types.go, safeUIDFromName.
			name: "reference to the uid Grafana gives a datasource without uid",
			files: map[string]string{
				"datasources/prom.yaml":  dsNoUID,
				"dashboards/node.json":   panel(`{"type": "prometheus", "uid": "PBFA97CFB590B2093"}`, `{"type": "prometheus", "uid": "PBFA97CFB590B2093"}`),
				"dashboards/byname.json": `{"uid": "n", "title": "N", "panels": [{"datasource": "Prometheus"}]}`,
			},
		},
		{
			name: "link to the uid Grafana gives a datasource without uid",
			files: map[string]string{"datasources/a.yaml": dsNoUID + "  - name: Tempo\n    type: tempo\n    uid: tempo\n" +
				"    jsonData:\n      tracesToMetrics: {datasourceUid: PBFA97CFB590B2093}\n"},
		},
		{
			name:  "explicit uid equal to another's derived uid clashes, as in Grafana",
			files: map[string]string{"datasources/a.yaml": dsNoUID + "  - name: Other\n    type: prometheus\n    uid: PBFA97CFB590B2093\n"},
			want:  []string{`datasources/a.yaml:8:10: datasources[1].uid: datasource uid "PBFA97CFB590B2093" is already used at datasources/a.yaml:3:5`},
		},
		{
			// Grafana's own Tempo examples put apiVersion in every entry.
			name: "keys Grafana's provisioning ignores",
			files: map[string]string{"datasources/a.yaml": `apiVersion: 1
datasources:
  - name: Tempo
    type: tempo
    uid: tempo
    apiVersion: 1
    grafanaOrgId: 1
    correlations:
      - targetUID: tempo
        label: self
deleteDatasources: []
extra: 1
`},
			want: []string{
				`datasources/a.yaml:6:5: warning: datasources[0]: key "apiVersion" is ignored`,
				`datasources/a.yaml:7:5: warning: datasources[0]: key "grafanaOrgId" is ignored`,
				`datasources/a.yaml:8:5: warning: datasources[0].correlations: correlations are not applied by grafsync`,
				`datasources/a.yaml:12:1: warning: top level: key "extra" is ignored`,
			},
			hint: "apiVersion belongs at the top of the file",
		},
		{
			// pkg/services/provisioning/datasources/config_reader.go,
			// validateAccessAndOrgID: an unknown access becomes proxy.
			name:  "access: browser is what Grafana's UI calls direct",
			files: map[string]string{"datasources/a.yaml": dsProm + "    access: browser\n"},
			want:  []string{`datasources/a.yaml:6:13: warning: datasources[0].access: "browser" is not an access mode; Grafana's provisioning uses proxy instead, and so does grafsync`},
			hint:  `"browser" is what Grafana's UI calls access: direct`,
		},
		{
			name: "link that names its datasource",
			files: map[string]string{"datasources/a.yaml": `apiVersion: 1
datasources:
  - {name: Mimir, type: prometheus, uid: mimir}
  - name: Tempo
    type: tempo
    uid: tempo
    jsonData:
      serviceMap: {datasourceUid: Mimir}
      tracesToMetrics: {datasourceUid: 'Mimir'}
`},
		},
		{
			name: "target datasource outside a mixed panel is ignored by Grafana",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  panel(`{"type": "prometheus", "uid": "thanos"}`, `{"type": "prometheus", "uid": "000000001"}`),
			},
			want: []string{`dashboards/a.json:1:197: warning: panels[0].targets[0].datasource.uid: no datasource with uid or name "000000001" in org "Main Org." (ignored: the panel's datasource is used)`},
			hint: "Grafana runs this target against the panel's datasource",
		},
		{
			name: "target datasource inside a mixed panel is checked",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  panel(`{"type": "datasource", "uid": "-- Mixed --"}`, `{"type": "prometheus", "uid": "000000001"}`),
				"dashboards/b.json":  strings.Replace(panel(`"-- Mixed --"`, `"nowhere"`), `"uid": "d", "title": "D"`, `"uid": "e", "title": "E"`, 1),
			},
			want: []string{
				`dashboards/a.json:1:202: panels[0].targets[0].datasource.uid: no datasource with uid or name "000000001" in org "Main Org."`,
				`dashboards/b.json:1:141: panels[0].targets[0].datasource: no datasource with uid or name "nowhere" in org "Main Org."`,
			},
		},
		{
			name: "target datasource in a panel without one is checked",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  panel(`null`, `{"type": "prometheus", "uid": "nowhere"}`),
			},
			want: []string{`dashboards/a.json:1:162: panels[0].targets[0].datasource.uid: no datasource with uid or name "nowhere" in org "Main Org."`},
		},
		{
			name: "target variable outside a mixed panel",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  panel(`{"type": "prometheus", "uid": "thanos"}`, `{"type": "prometheus", "uid": "$ds"}`),
			},
			want: []string{`dashboards/a.json:1:197: warning: panels[0].targets[0].datasource.uid: "$ds" refers to variable ds, which is not defined (ignored: the panel's datasource is used)`},
		},
		{
			name: "default datasource by name",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  panel(`"default"`, `{"uid": "default"}`),
			},
		},
		{
			name: "panels that run no query keep whatever datasource they name",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json": `{"uid": "d", "title": "D", "panels": [
  {"type": "text", "datasource": {"type": "prometheus", "uid": "gone"}, "options": {"content": "hi"}},
  {"type": "alertlist", "datasource": "gone", "targets": [{"datasource": "gone"}]},
  {"type": "news", "datasource": {"uid": "${DS_GONE}"}},
  {"type": "dashlist", "datasource": "gone"},
  {"type": "row", "collapsed": true, "datasource": "gone", "panels": [
    {"type": "timeseries", "datasource": {"uid": "gone"}}]}]}`,
			},
			want: []string{`dashboards/a.json:7:50: panels[4].panels[0].datasource.uid: no datasource with uid or name "gone" in org "Main Org."`},
		},
		{
			// public/app/plugins/datasource/grafana-pyroscope-datasource/plugin.json: "aliasIDs": ["phlare"].
			name: "plugin id aliases in references, variables and __inputs",
			files: map[string]string{
				"datasources/a.yaml": "apiVersion: 1\ndatasources:\n  - {name: Pyroscope, type: grafana-pyroscope-datasource, uid: pyroscope}\n" +
					"  - {name: PG, type: postgres, uid: pg}\n  - {name: Test, type: grafana-testdata-datasource, uid: test}\n",
				"dashboards/a.json": `{"uid": "d", "title": "D",
  "templating": {"list": [{"name": "pg", "type": "datasource", "query": "grafana-postgresql-datasource"}]},
  "panels": [{"datasource": {"type": "phlare", "uid": "pyroscope"}}, {"datasource": {"type": "testdata", "uid": "test"}}]}`,
				"dashboards/b.json": `{"__inputs": [{"name": "DS_PG", "type": "datasource", "pluginId": "grafana-postgresql-datasource"}],
  "uid": "b", "title": "B", "panels": [{"datasource": {"type": "grafana-postgresql-datasource", "uid": "${DS_PG}"}}]}`,
			},
		},
		{
			name: "an alias is not a wildcard",
			files: map[string]string{
				"datasources/a.yaml": "apiVersion: 1\ndatasources:\n  - {name: Pyroscope, type: grafana-pyroscope-datasource, uid: pyroscope}\n",
				"dashboards/a.json":  `{"uid": "d", "title": "D", "panels": [{"datasource": {"type": "postgres", "uid": "pyroscope"}}]}`,
			},
			want: []string{`dashboards/a.json:1:82: warning: panels[0].datasource.uid: datasource "pyroscope" is of type grafana-pyroscope-datasource, the reference says postgres`},
		},
		{
			// A reference to a library panel the repository lacks loads; it
			// may exist in Grafana, which plan checks (librarypanels.go).
			name: "library panel reference",
			files: map[string]string{"dashboards/a.json": `{"uid": "d", "title": "D",
  "__elements": {"lib1": {"name": "CPU", "uid": "lib1", "kind": 1, "model": {"type": "timeseries"}}},
  "panels": [{"id": 1, "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}, "libraryPanel": {"uid": "lib1", "name": "CPU"}}]}`},
			want: []string{`dashboards/a.json:3:94: warning: library panel "lib1" is not in the repository`},
		},
		{
			name:  "Prometheus rules in a dashboards folder",
			files: map[string]string{"dashboards/rules.json": `{"groups": [{"name": "loki_rules", "rules": [{"record": "x", "expr": "up"}]}]}`},
			want:  []string{`dashboards/rules.json:1:1: this is a file of Prometheus-style alerting or recording rules (top-level "groups"), not a dashboard`},
		},
		{
			name:  "dashboard provider file in a dashboards folder",
			files: map[string]string{"dashboards/provider.yaml": "apiVersion: 1\nproviders:\n  - name: default\n    options: {path: /var/lib/grafana/dashboards}\n"},
			want:  []string{`dashboards/provider.yaml:1:1: this is a Grafana dashboard provisioning file ("providers"), not a dashboard`},
		},
		{
			name:  "datasource file in a dashboards folder",
			files: map[string]string{"dashboards/ds.yml": dsProm},
			want:  []string{`dashboards/ds.yml:1:1: this is a Grafana datasource provisioning file, not a dashboard`},
		},
		{
			name:  "a list of dashboards",
			files: map[string]string{"dashboards/all.json": `[{"title": "A"}, {"title": "B"}]`},
			want:  []string{`dashboards/all.json:1:1: this file holds a list, not a dashboard (a dashboard is one JSON object)`},
		},
		{
			name:  "Grafana 12 v2 dashboard resource without title and layout",
			files: map[string]string{"dashboards/v2.json": `{"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard", "metadata": {"name": "g"}, "spec": {"elements": {}}}`},
			want: []string{
				`dashboards/v2.json:1:97: spec.layout: a v2 dashboard needs a layout with a kind`,
				`dashboards/v2.json:1:97: spec.title: dashboard title is missing`,
			},
		},
		{
			// A v2beta1 export: DataQuery names its datasource by uid in datasource.name.
			name: "Grafana 13 v2 dashboard as exported",
			files: map[string]string{
				"datasources/p.yaml":           "apiVersion: 1\ndatasources:\n  - {name: Prom, uid: prom, type: prometheus}\n",
				"dashboards/team/_folder.yaml": "uid: team\ntitle: Team\n",
				"dashboards/team/v2.json": `{"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard",
  "metadata": {"name": "v2d", "annotations": {"grafana.app/folder": "team"}},
  "spec": {"title": "V2", "elements": {"panel-1": {"kind": "Panel", "spec": {"id": 1, "title": "CPU",
    "data": {"kind": "QueryGroup", "spec": {"queries": [{"kind": "PanelQuery", "spec": {"refId": "A",
      "query": {"kind": "DataQuery", "group": "prometheus", "version": "v0", "datasource": {"name": "prom"}, "spec": {"expr": "up"}}}}]}}}}},
    "layout": {"kind": "GridLayout", "spec": {"items": []}}}}`,
			},
		},
		{
			name: "v2 dashboard with an unknown datasource and another folder",
			files: map[string]string{
				"dashboards/v2.json": `{"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard",
  "metadata": {"name": "v2d", "annotations": {"grafana.app/folder": "elsewhere"}},
  "spec": {"title": "V2", "elements": {"p": {"kind": "Panel", "spec": {"data": {"kind": "QueryGroup", "spec": {"queries": [{"kind": "PanelQuery", "spec": {
      "query": {"kind": "DataQuery", "group": "loki", "datasource": {"name": "nope"}}}}]}}}}},
    "layout": {"kind": "GridLayout", "spec": {"items": []}}}}`,
			},
			want: []string{
				`dashboards/v2.json:2:69: metadata.annotations.grafana.app/folder: "elsewhere", but the file sits in the root (General)`,
				`dashboards/v2.json:4:78: spec.elements.p.spec.data.spec.queries[0].spec.query.datasource.name: no datasource with uid or name "nope" in org "Main Org."`,
			},
		},
		{
			name:  "v2 dashboard of a version Grafana does not serve",
			files: map[string]string{"dashboards/v2.json": `{"apiVersion": "dashboard.grafana.app/v2gamma9", "kind": "Dashboard", "metadata": {}, "spec": {"title": "x"}}`},
			want:  []string{`dashboards/v2.json:1:16: apiVersion: "dashboard.grafana.app/v2gamma9" is not a dashboard schema v2 version Grafana serves`},
		},
		{
			name:  "Grafana dashboard resource wrapping a classic dashboard",
			files: map[string]string{"dashboards/v1.json": `{"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard", "metadata": {"name": "g"}, "spec": {"title": "G"}}`},
			want:  []string{`dashboards/v1.json:1:1: this is a Grafana dashboard resource (dashboard.grafana.app/v1beta1, kind Dashboard), not the dashboard itself`},
			hint:  "jq .spec",
		},
		{
			name:  "some other JSON",
			files: map[string]string{"dashboards/package.json": `{"name": "x", "version": "1.0.0"}`},
			want:  []string{`dashboards/package.json:1:1: not a dashboard: no title, uid, panels or rows (top-level keys: name, version)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadProblems(t, tt.files, tt.want)
			if tt.hint != "" && (len(got) == 0 || !strings.Contains(got[0].Hint, tt.hint)) {
				t.Errorf("hint of the first problem: want it to contain %q, got %v", tt.hint, got)
			}
		})
	}
}

// TestUIDLessDatasourceKeepsNoUID: the state keeps an absent uid absent
// (normalize decides between the live namesake's uid and Grafana's), while
// references resolve to the uid Grafana would give.
func TestUIDLessDatasourceKeepsNoUID(t *testing.T) {
	st, problems := Load(mapFS(map[string]string{"datasources/a.yaml": "apiVersion: 1\ndatasources:\n  - {name: Prometheus, type: prometheus}\n"}), Options{})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", shorts(problems))
	}
	if ds := st.Orgs[0].Datasources[0]; ds.UID != "" || ds.ProvisionedUID() != "PBFA97CFB590B2093" {
		t.Errorf("uid %q, provisioned uid %q", ds.UID, ds.ProvisionedUID())
	}
}

// TestFolderYieldsUIDToDashboard: monitoring mixins are often laid out as
// <mixin>/<mixin>.json with the dashboard's uid being the mixin's name, the
// uid grafsync derives for the folder. The dashboard keeps its uid (links
// and exports use it); the folder, whose uid is grafsync's choice, takes
// another, and what it holds follows.
func TestFolderYieldsUIDToDashboard(t *testing.T) {
	st, problems := Load(mapFS(map[string]string{
		"dashboards/apache-http/apache-http.json": `{"uid": "apache-http", "title": "Apache HTTP"}`,
		"dashboards/apache-http/logs.json":        `{"uid": "apache-http-logs", "title": "Apache HTTP logs"}`,
		"dashboards/apache-http/sub/x.json":       `{"uid": "x", "title": "X"}`,
		"dashboards/aaa.json":                     `{"uid": "zzz", "title": "Z"}`,
		"dashboards/zzz/y.json":                   `{"uid": "y", "title": "Y"}`,
	}), Options{})
	want := []string{
		`dashboards/apache-http/: warning: folder apache-http: its derived uid "apache-http" is the uid of dashboard apache-http/apache-http.json, so the folder gets uid "apache-http-folder"`,
		`dashboards/zzz/: warning: folder zzz: its derived uid "zzz" is the uid of dashboard aaa.json, so the folder gets uid "zzz-folder"`,
	}
	if diff := cmp.Diff(want, shorts(problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	got := map[string]string{}
	for _, f := range st.Orgs[0].Folders {
		got["folder "+f.Path] = f.UID + " in " + f.ParentUID
	}
	for _, d := range st.Orgs[0].Dashboards {
		got[d.Path] = d.UID + " in " + d.FolderUID
	}
	wantState := map[string]string{
		"folder apache-http":           "apache-http-folder in ",
		"folder apache-http/sub":       "apache-http-sub in apache-http-folder",
		"folder zzz":                   "zzz-folder in ",
		"apache-http/apache-http.json": "apache-http in apache-http-folder",
		"apache-http/logs.json":        "apache-http-logs in apache-http-folder",
		"apache-http/sub/x.json":       "x in apache-http-sub",
		"aaa.json":                     "zzz in ",
		"zzz/y.json":                   "y in zzz-folder",
	}
	if diff := cmp.Diff(wantState, got); diff != "" {
		t.Errorf("uids and parents (-want +got):\n%s", diff)
	}
}

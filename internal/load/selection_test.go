package load

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/benchrepo"
)

// selectionOrg is the org the selection tests load dashboards into: a few
// datasources of several types, and a library panel.
var selectionOrg = map[string]string{
	"datasources/ds.yaml": "apiVersion: 1\ndatasources:\n" +
		"  - {name: Prom, type: prometheus, uid: prom, isDefault: true}\n" +
		"  - {name: Prom 2, type: prometheus, uid: prom-2}\n" +
		"  - {name: Loki, type: loki, uid: loki}\n",
	"dashboards/lib/cpu.libpanel.json": `{"uid": "lib-cpu", "name": "CPU", "model": {"type": "timeseries", "title": "CPU"}}`,
}

// hostileDashboards are dashboards for every check that reads a part of
// a JSON dashboard: shapes, references, inputs, library panels, what is
// not a dashboard, and JSON the decoder refuses.
var hostileDashboards = []string{
	`{"title": "A", "panels": "notalist", "rows": {}, "templating": [], "annotations": 0, "links": {"a": 1}}`,
	`{"title": "A", "panels": [7, null, [], {"type": "graph", "targets": {"x": 1}, "links": "l"}], "rows": [1, {"panels": {}}]}`,
	`{"title": "A", "panels": [{"type": "row", "panels": [{"type": "x", "datasource": "nope", "targets": [{"datasource": {"uid": "gone"}}, 3]}]}]}`,
	`{"title": "A", "panels": [{"type": "timeseries", "datasource": {"type": "prometheus", "uid": "-- Mixed --"}, "targets": [{"datasource": {"uid": "loki", "type": "prometheus"}}, {"datasource": {"uid": 7}}, {"datasource": 7}]}]}`,
	`{"title": "A", "panels": [{"type": "text", "datasource": "nope"}, {"type": "stat", "datasource": {"uid": "$ds"}, "targets": [{"datasource": "${missing}"}]}]}`,
	`{"title": "A", "templating": {"list": [{"name": "ds", "type": "datasource", "query": "mysql"}, {"name": "v", "type": "query", "datasource": {"uid": "$ds"}, "query": {"q": 1}}, {"name": "q", "type": "query", "query": "up"}]}, "panels": [{"datasource": "$v", "targets": [{"datasource": "[[ds]]"}]}]}`,
	`{"title": "A", "annotations": {"list": [{"datasource": {"uid": "nope"}}, {"datasource": "Loki"}, "x"], "extra": 1}, "links": [1, {"url": "u"}]}`,
	`{"title": "A", "panels": [{"libraryPanel": {"uid": "lib-cpu"}}, {"libraryPanel": {"uid": ""}}, {"libraryPanel": {"uid": "gone"}}, {"type": "row", "panels": [{"libraryPanel": {"name": "x"}}]}]}`,
	`{"title": "A", "__inputs": [{"name": "DS_P", "type": "datasource", "pluginId": "prometheus"}, {"name": "C", "type": "constant", "value": 9007199254740993}], "panels": [{"datasource": "${DS_P}", "title": "${C}", "fieldConfig": {"n": 1.50}}]}`,
	`{"title": "A", "__inputs": "x", "__requires": 5, "__elements": {"e1": {"uid": "e1"}}}`,
	`{"title": "A", "__inputs": [], "__requires": [], "panels": [{"gridPos": {"x": 1e-400, "y": 9007199254740993}}]}`,
	`{"dashboard": {"title": "A"}, "meta": {"slug": "a"}}`,
	`{"groups": [{"name": "g"}]}`, `{"providers": []}`, `{"apiVersion": 1, "datasources": []}`, `{"a": 1, "b": 2}`,
	`{"kind": "Dashboard", "apiVersion": "dashboard.grafana.app/v1beta1", "spec": {"title": "A"}}`,
	`{"kind": "Dashboard", "apiVersion": "dashboard.grafana.app/v2beta1", "metadata": {"name": "v2"}, "spec": {"title": "V2", "layout": {"kind": "GridLayout", "spec": {"items": []}}, "elements": {}}}`,
	`[{"title": "A"}]`, `"A"`, `null`,
	`{"uid": 7, "title": 8}`, `{"uid": "", "title": "  padded  "}`, `{"uid": "a/b", "title": "A"}`, `{"uid": "ok", "title": ""}`,
	`{"title": "A", "panels": [{"options": {"x": 1, "x": 2}}]}`, `{"title": "A", "title": "B"}`, `{"title": "A", "panels": [{"a": 1e400}]}`,
	`{"title": "A", "time": 1e400}`, `{"title": "A", "panels": [{"type": 1e400}]}`, `{"title": "A", "panels": [{"a": 1e400, "b": [}]}`,
	`{"title": "A", "panels": [{"a": "\u0000"}]}`, `{"title": "A", "panels": [{"a": "\ud800"}]}`, "{\"title\": \"A\", \"panels\": [{\"a\": \"\xff\"}]}",
	"\xef\xbb\xbf{\"title\": \"BOM\", \"panels\": [{\"datasource\": \"nope\"}]}",
	`{"title": "A", "pan\u0065ls": [{"typ\u0065": "row", "p\u0061nels": [{"datasource": "nope"}]}]}`,
	`{"title": "A", "panels": [{"id": 1}], "rows": [{"panels": [{"datasource": "nope", "targets": [{"datasource": {"uid": "nope2"}}]}]}]}`,
	`{"title": "A"} x`, `{"title": "A"`, ``,
}

// loadBoth loads a repository as Load does (decoding what the checks read)
// and decoding every dashboard in full, and reports any difference in the
// problems or the dashboards.
func loadBoth(t *testing.T, files map[string]string, what string) {
	t.Helper()
	render := func(fullDecode bool) ([]string, []string) {
		st, problems := Load(mapFS(files), Options{fullDecode: fullDecode})
		var dbs []string
		for _, o := range st.Orgs {
			for _, d := range o.Dashboards {
				dbs = append(dbs, fmt.Sprintf("%s %s %q %q %v %s", d.Path, d.UID, d.Title, d.FolderUID, d.LibraryPanels, d.JSON))
			}
		}
		var ps []string
		for _, p := range problems {
			ps = append(ps, p.String()+" | "+p.Hint)
		}
		sort.Strings(dbs)
		return ps, dbs
	}
	wantP, wantD := render(true)
	gotP, gotD := render(false)
	if diff := cmp.Diff(wantP, gotP); diff != "" {
		t.Errorf("%s: problems differ from a full decode's (-full +selected):\n%s", what, diff)
	}
	if diff := cmp.Diff(wantD, gotD); diff != "" {
		t.Errorf("%s: dashboards differ from a full decode's (-full +selected):\n%s", what, diff)
	}
}

// TestSelectedChecksMatchFullDecode: decoding only what the checks read
// (dashboardSelection) gives the same problems, at the same positions, and
// the same dashboards as decoding every dashboard in full: on hostile
// dashboards, and on real-sized ones with a part replaced by a value of
// another kind (a list for an object, a string for a list, null, a
// reference to nothing) at random places.
func TestSelectedChecksMatchFullDecode(t *testing.T) {
	withOrg := func(dashboards map[string]string) map[string]string {
		files := map[string]string{}
		for k, v := range selectionOrg {
			files[k] = v
		}
		for k, v := range dashboards {
			files[k] = v
		}
		return files
	}
	for i, d := range hostileDashboards {
		loadBoth(t, withOrg(map[string]string{"dashboards/f/d.json": d}), fmt.Sprintf("hostile dashboard %d %.60q", i, d))
	}
	replacements := []any{"x", "", 7.0, 0.0, false, nil, map[string]any{}, map[string]any{"uid": "nope"}, []any{}, []any{1.0, "y"},
		"$ds", "${DS_X}", "-- Mixed --", map[string]any{"uid": "loki", "type": "prometheus"}, map[string]any{"uid": 3.0}, "row",
		[]any{map[string]any{"datasource": "nope", "type": "graph"}}}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		var model any
		if err := json.Unmarshal(benchrepo.Dashboard(t, i), &model); err != nil {
			t.Fatal(err)
		}
		var paths [][]any
		collectPaths(model, nil, &paths)
		for j := range 8 {
			at := paths[rng.IntN(len(paths))]
			mutated := setAt(model, at, replacements[rng.IntN(len(replacements))])
			data, err := json.MarshalIndent(mutated, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			loadBoth(t, withOrg(map[string]string{"dashboards/f/d.json": string(data)}), fmt.Sprintf("dashboard %d, mutation %d at %v", i, j, at))
		}
	}
}

// collectPaths appends the path of every value in v below the top.
func collectPaths(v any, at []any, out *[][]any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			p := append(append([]any{}, at...), k)
			*out = append(*out, p)
			collectPaths(e, p, out)
		}
	case []any:
		for i, e := range v {
			p := append(append([]any{}, at...), i)
			*out = append(*out, p)
			collectPaths(e, p, out)
		}
	}
}

// setAt returns a copy of v with the value at path at replaced by x.
func setAt(v any, at []any, x any) any {
	if len(at) == 0 {
		return x
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = e
		}
		k := at[0].(string)
		out[k] = setAt(v[k], at[1:], x)
		return out
	case []any:
		out := append([]any{}, v...)
		i := at[0].(int)
		out[i] = setAt(v[i], at[1:], x)
		return out
	}
	panic(fmt.Sprintf("setAt: %v is not in the value", at))
}

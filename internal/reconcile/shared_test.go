package reconcile

import (
	"maps"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/apply"
)

// Runs that share a Shared plan exactly what each plans alone, no-ops
// included (a live dashboard compared as bytes with its desired one is the
// same resource as one normalised in full), on a Grafana that keeps the
// JSON's numbers and on one that stores them as float64.
func TestSharedPlansAsAlone(t *testing.T) {
	v1 := map[string]string{
		"datasources/ds.yaml":            "apiVersion: 1\ndatasources:\n  - {name: Metrics, type: prometheus, uid: metrics, url: 'http://m:9090'}\n",
		"dashboards/ops/_folder.yaml":    "uid: ops\ntitle: Operations\n",
		"dashboards/ops/escapes.json":    "{\"uid\": \"esc\", \"title\": \"a < b & c > d \u2028 e\", \"refresh\": \"1s\", \"panels\": [{\"id\": 1, \"targets\": [{\"expr\": \"rate(x[5m]) > 0 && y < 1\"}]}]}",
		"dashboards/ops/numbers.json":    `{"uid": "num", "title": "Numbers", "panels": [{"id": 2, "gridPos": {"h": 8.0, "w": 1e1}, "options": {"big": 9007199254740993}}]}`,
		"dashboards/root.json":           `{"uid": "root", "title": "  Root  ", "panels": [{"datasource": {"type": "prometheus", "uid": "metrics"}}]}`,
		"dashboards/ops/to-change.json":  `{"uid": "chg", "title": "Changes", "panels": []}`,
		"dashboards/ops/moves/away.json": `{"uid": "mov", "title": "Moves", "panels": []}`,
	}
	v2 := maps.Clone(v1)
	v2["dashboards/ops/to-change.json"] = `{"uid": "chg", "title": "Changed", "panels": []}`
	delete(v2, "dashboards/ops/moves/away.json")
	v2["dashboards/away.json"] = `{"uid": "mov", "title": "Moves", "panels": []}`
	v2["dashboards/new.json"] = `{"uid": "new", "title": "New"}`
	for _, version := range []string{"11", "12"} {
		t.Run(version, func(t *testing.T) {
			in, _ := inputsFor(t, version, v1)
			out, err := Plan(t.Context(), in)
			if err != nil {
				t.Fatal(err, out.Problems)
			}
			if _, err := Apply(t.Context(), in, out, apply.Options{}); err != nil {
				t.Fatal(err)
			}
			repo := fstest.MapFS{}
			for name, content := range v2 {
				repo[name] = &fstest.MapFile{Data: []byte(content)}
			}
			in.Repo = repo
			alone, err := Plan(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if !alone.Plan.HasChanges() {
				t.Fatal("the fixture should plan changes")
			}
			in.Shared = NewShared()
			for i := range 2 { // the second run takes what the first made
				shared, err := Plan(t.Context(), in)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(alone.Plan, shared.Plan); diff != "" {
					t.Errorf("run %d with a Shared (-alone +shared):\n%s", i, diff)
				}
			}
		})
	}
}

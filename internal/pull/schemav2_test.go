package pull

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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

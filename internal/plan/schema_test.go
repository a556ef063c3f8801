package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A dashboard pair of two schema families is one schema line plus the
// shared fields that changed; within a family it is an ordinary diff, and a
// schema note shows only across families.
func TestSchemaDiff(t *testing.T) {
	v1 := map[string]any{"title": "ECS", "tags": []any{"a"}, "panels": []any{map[string]any{"id": 1}}, "grafsync": map[string]any{"managed": true}}
	v2 := map[string]any{"title": "ECS old", "tags": []any{"a"}, "elements": map[string]any{}, "layout": map[string]any{"kind": "GridLayout"}, "apiVersion": "dashboard.grafana.app/v2beta1"}
	v2b := map[string]any{"title": "ECS", "elements": map[string]any{}, "layout": map[string]any{"kind": "GridLayout"}, "apiVersion": "dashboard.grafana.app/v2beta1", "grafsync": map[string]any{"managed": true}}
	const note = "Grafana holds this dashboard in schema v2beta1"
	tests := []struct {
		name       string
		live, want Resource
		diff       []FieldDiff
		reason     string
	}{{
		name: "v1 in Git, v2 live",
		live: Resource{Kind: Dashboard, ID: "d", Doc: v2, Schema: "v2beta1", Managed: true, LiveNote: note},
		want: Resource{Kind: Dashboard, ID: "d", Doc: v1, Marker: "grafsync"},
		diff: []FieldDiff{
			{Path: "schema", Before: "v2beta1 (live)", After: "v1 (Git)"},
			{Path: "title", Before: "ECS old", After: "ECS"},
		},
		reason: note,
	}, {
		name: "v2 in both, edited live: no note, no marker",
		live: Resource{Kind: Dashboard, ID: "d", Doc: v2, Schema: "v2beta1", Managed: true, LiveNote: note},
		want: Resource{Kind: Dashboard, ID: "d", Doc: v2b, Schema: "v2beta1", Marker: "grafsync"},
		diff: []FieldDiff{
			{Path: "tags", Before: []any{"a"}, AfterAbsent: true},
			{Path: "title", Before: "ECS old", After: "ECS"},
		},
	}, {
		// The legacy /api answers a v2 dashboard's GET with 406: only its
		// uid and title are known (grafana.schemaV2Legacy), no apiVersion.
		name: "v2 in both, live read through /api: one schema line, not every field added",
		live: Resource{Kind: Dashboard, ID: "d", Raw: []byte(`{"title":"ECS old","uid":"d"}`), Schema: "v2beta1", Managed: true, LiveNote: note},
		want: Resource{Kind: Dashboard, ID: "d", Doc: v2b, Schema: "v2beta1", Marker: "grafsync"},
		diff: []FieldDiff{
			{Path: "schema", Before: "v2beta1 (live; /api cannot read it)", After: "v2beta1 (Git)"},
			{Path: "title", Before: "ECS old", After: "ECS"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := pair(&tt.want, &tt.live)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.diff, c.Diff); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
			if c.Action != Update || c.Reason != tt.reason {
				t.Errorf("action %s reason %q, want update %q", c.Action, c.Reason, tt.reason)
			}
		})
	}
}

// The lock (Resource.Lock, /apis) is compared like a field: a differing
// lock is an update even when the documents are equal, shown at LockPath;
// a live resource without a lock to compare (/api, another manager) or
// provisioned from files is left as it is.
func TestLockPair(t *testing.T) {
	doc := map[string]any{"title": "T"}
	tests := []struct {
		name       string
		live, want string // Lock of each side
		readOnly   bool
		action     Action
		diff       []FieldDiff
	}{
		{name: "lock", live: "editable", want: "locked", action: Update,
			diff: []FieldDiff{{Path: LockPath, Before: "true", After: "false"}}},
		{name: "unlock", live: "locked", want: "editable", action: Update,
			diff: []FieldDiff{{Path: LockPath, Before: "false", After: "true"}}},
		{name: "same", live: "locked", want: "locked", action: NoOp},
		{name: "another manager", live: "", want: "locked", action: NoOp},
		{name: "legacy path", live: "editable", want: "", action: NoOp},
		{name: "provisioned", live: "editable", want: "locked", readOnly: true, action: NoOp},
	}
	// Across schema families the lock line stays next to the schema line.
	t.Run("cross-schema", func(t *testing.T) {
		l := Resource{Kind: Dashboard, ID: "d", Doc: map[string]any{"title": "T", "elements": map[string]any{}}, Schema: "v2beta1", Lock: "editable", Managed: true}
		d := Resource{Kind: Dashboard, ID: "d", Doc: doc, Lock: "locked"}
		c, err := pair(&d, &l)
		if err != nil {
			t.Fatal(err)
		}
		want := []FieldDiff{{Path: SchemaPath, Before: "v2beta1 (live)", After: "v1 (Git)"}, {Path: LockPath, Before: "true", After: "false"}}
		if diff := cmp.Diff(want, c.Diff); diff != "" {
			t.Errorf("diff (-want +got):\n%s", diff)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Resource{Kind: Dashboard, ID: "d", Doc: doc, Lock: tt.live, Managed: true, ReadOnly: tt.readOnly}
			d := Resource{Kind: Dashboard, ID: "d", Doc: doc, Lock: tt.want}
			c, err := pair(&d, &l)
			if err != nil {
				t.Fatal(err)
			}
			if c.Action != tt.action {
				t.Errorf("action %s, want %s", c.Action, tt.action)
			}
			if diff := cmp.Diff(tt.diff, c.Diff); diff != "" {
				t.Errorf("diff (-want +got):\n%s", diff)
			}
		})
	}
}

package normalize

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// Git's library panel and what Grafana stores from it (type and
// description written in, libraryPanel.uid "" filled, the marker kept)
// normalise to the same document: no diff after an apply.
func TestLibraryPanelBothSidesAgree(t *testing.T) {
	org := &resource.Org{LibraryPanels: []*resource.LibraryPanel{{
		UID: "cpu", Name: "CPU", FolderUID: "team", Path: "team/cpu.libpanel.json",
		Model: map[string]any{"type": "stat", "libraryPanel": map[string]any{"uid": "", "name": "CPU"}},
	}}}
	desired := DesiredLibraryPanels(org, 1, nil)
	stored := grafana.LibraryPanel{UID: "cpu", Name: "CPU", FolderUID: "team", Version: 3, ConnectedDashboards: []string{"svc"},
		Model: map[string]any{"type": "stat", "description": "", "libraryPanel": map[string]any{"uid": "cpu", "name": "CPU"}, "grafsync": map[string]any{"managed": true}}}
	live := LiveLibraryPanels([]grafana.LibraryPanel{stored}, 1)
	diff, err := plan.DiffResources(&live[0], &desired[0])
	if err != nil || len(diff) != 0 {
		t.Errorf("diff %v, err %v; want none", diff, err)
	}
	if !live[0].Managed || live[0].Version != 3 || !cmp.Equal(live[0].UsedBy, []string{"svc"}) {
		t.Errorf("live %+v", live[0])
	}
	if org.LibraryPanels[0].Model["grafsync"] != nil || org.LibraryPanels[0].Model["description"] != nil {
		t.Error("normalising changed the loaded model")
	}
	stored.Model = map[string]any{"type": "stat"}
	if LiveLibraryPanels([]grafana.LibraryPanel{stored}, 1)[0].Managed {
		t.Error("a library panel without the marker is managed")
	}
}

func TestLibraryPanelNameTaken(t *testing.T) {
	org := &resource.Org{LibraryPanels: []*resource.LibraryPanel{{UID: "cpu", Name: "CPU", Model: map[string]any{}}}}
	for _, tt := range []struct {
		name       string
		live       []grafana.LibraryPanel
		more       []*resource.LibraryPanel
		unwritable bool
	}{
		{"free", nil, nil, false},
		{"held by itself", []grafana.LibraryPanel{{UID: "cpu", Name: "CPU"}}, nil, false},
		{"held by another", []grafana.LibraryPanel{{UID: "hand", Name: "CPU"}}, nil, true},
		{"held in another folder", []grafana.LibraryPanel{{UID: "hand", Name: "CPU", FolderUID: "x"}}, nil, false},
		{"Git renames the holder", []grafana.LibraryPanel{{UID: "old", Name: "CPU"}}, []*resource.LibraryPanel{{UID: "old", Name: "Old CPU", Model: map[string]any{}}}, false},
	} {
		o := &resource.Org{LibraryPanels: append(append([]*resource.LibraryPanel{}, org.LibraryPanels...), tt.more...)}
		got := DesiredLibraryPanels(o, 1, tt.live)[0].Unwritable != ""
		if got != tt.unwritable {
			t.Errorf("%s: unwritable %v, want %v", tt.name, got, tt.unwritable)
		}
	}
}

// What a dashboard uses is what Grafana connects it to: panels and rows'
// panels, each uid once.
func TestLibraryPanelUIDs(t *testing.T) {
	model := map[string]any{"panels": []any{
		map[string]any{"libraryPanel": map[string]any{"uid": "b"}},
		map[string]any{"type": "row", "panels": []any{map[string]any{"libraryPanel": map[string]any{"uid": "a"}}, map[string]any{"libraryPanel": map[string]any{"uid": "b"}}}},
		map[string]any{"type": "timeseries"},
		map[string]any{"libraryPanel": map[string]any{"name": "no uid"}},
	}, "rows": []any{map[string]any{"panels": []any{map[string]any{"libraryPanel": map[string]any{"uid": "old-rows-are-not-read"}}}}}}
	raw, err := json.Marshal(model)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, libraryPanelUses(raw)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := libraryPanelUses([]byte(`{"panels": [{"type": "text", "title": "libraryPanel"}]}`)); got != nil {
		t.Errorf("no library panels: %v", got)
	}
}

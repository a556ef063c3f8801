package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A library panel that left Git is deleted only when no dashboard will use
// it once the plan has run (Grafana answers 403 "the library element has
// connections" otherwise, grafana-source-audit.md §4).
func TestLibraryPanelDeletionInUse(t *testing.T) {
	lib := func(usedBy ...string) Resource {
		r := live(LibraryPanel, "cpu", map[string]any{"name": "CPU"}, true)
		r.UsedBy = usedBy
		r.Parent = "team"
		return r
	}
	dash := func(id string, managed bool, uses ...string) Resource {
		r := live(Dashboard, id, map[string]any{"title": id, "uses": uses}, managed)
		r.Uses = uses
		return r
	}
	want := func(uses ...string) Resource {
		r := res(Dashboard, "svc", map[string]any{"title": "svc", "uses": uses})
		r.Uses = uses
		return r
	}
	team := live(Folder, "team", map[string]any{"title": "team"}, true)
	tests := []struct {
		name    string
		desired []Resource
		live    []Resource
		prune   bool
		want    []line
		kept    []string
	}{
		{
			name: "unused: deleted",
			live: []Resource{lib()}, prune: true,
			want: []line{{Delete, "library-panel cpu"}},
		},
		{
			name:    "Git's dashboard stops using it: updated first, then deleted",
			desired: []Resource{want()}, live: []Resource{lib("svc"), dash("svc", true, "cpu")}, prune: true,
			want: []line{{Update, "dashboard svc"}, {Delete, "library-panel cpu"}},
		},
		{
			name:    "Git's dashboard still uses it: blocked",
			desired: []Resource{want("cpu")}, live: []Resource{lib("svc"), dash("svc", true, "cpu")}, prune: true,
			want: []line{{Blocked, "library-panel cpu"}, {NoOp, "dashboard svc"}},
		},
		{
			name: "a managed dashboard pruned with it: both deleted, dashboard first",
			live: []Resource{lib("old"), dash("old", true, "cpu")}, prune: true,
			want: []line{{Delete, "dashboard old"}, {Delete, "library-panel cpu"}},
		},
		{
			name: "an unmanaged dashboard uses it: blocked, and its folder kept",
			live: []Resource{team, lib("hand"), dash("hand", false, "cpu")}, prune: true,
			want: []line{{Blocked, "library-panel cpu"}},
			kept: []string{"folder team is kept: it still holds library-panel cpu, which grafsync does not delete"},
		},
		{
			name: "without prune: kept with a note, not an orphan",
			live: []Resource{lib("hand"), dash("hand", false, "cpu")},
			kept: []string{"library-panel cpu is kept: Grafana refuses to delete a library panel that dashboards use; still used by dashboard hand: remove it from them (or delete them) first"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Make("", tt.desired, tt.live, Options{Prune: tt.prune, MaxDeletions: 10, AllowEmpty: true})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, lines(p)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.kept, p.Kept); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			if len(p.Orphans) != 0 && !tt.prune {
				t.Errorf("orphans %v: a library panel in use is not one --prune would delete", p.Orphans)
			}
		})
	}
}

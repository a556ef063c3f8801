package normalize

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/resource"
)

// TestFolderTitleClashes: up to 11.2 Grafana refuses a folder whose title a
// sibling already has (409; grafana-api.md §5.3 and §14, audit rows 17, 18,
// 57). The desired folders apply would create, rename or move into such a
// clash are unwritable, so the plan blocks before anything is written: a
// clash between two folders in Git, or with a live folder that stays
// (unmanaged, or only pruned after the creates). A folder already in place
// is written nothing and never blocked.
func TestFolderTitleClashes(t *testing.T) {
	live := []grafana.Folder{
		{UID: "hand", Title: "Ops"},                       // made by hand, not in Git
		{UID: "team", Title: "Team"},                      // in Git, unchanged
		{UID: "kept", Title: "Kept", ParentUID: "team"},   // in Git, unchanged
		{UID: "old", Title: "Renamed", ParentUID: "team"}, // in Git, renamed below
	}
	tests := []struct {
		name string
		git  []*resource.Folder
		want map[string]string // desired uid → a word of the reason
	}{
		{"no clash", []*resource.Folder{{UID: "team", Title: "Team"}, {UID: "new", Title: "New"}}, map[string]string{}},
		{"two new siblings", []*resource.Folder{{UID: "a", Title: "Dup"}, {UID: "b", Title: "Dup"}}, map[string]string{"b": "folder a"}},
		{"same title under different parents", []*resource.Folder{
			{UID: "team", Title: "Team"}, {UID: "x", Title: "Kept"}, {UID: "y", Title: "Kept", ParentUID: "x"},
		}, map[string]string{}},
		{"a live folder not in Git", []*resource.Folder{{UID: "ops", Title: "Ops"}}, map[string]string{"ops": "uid hand"}},
		{"a new sibling of a folder in place", []*resource.Folder{
			{UID: "team", Title: "Team"}, {UID: "kept", Title: "Kept", ParentUID: "team"}, {UID: "k2", Title: "Kept", ParentUID: "team"},
		}, map[string]string{"k2": "folder kept"}},
		{"a rename into a sibling's title", []*resource.Folder{
			{UID: "team", Title: "Team"}, {UID: "kept", Title: "Kept", ParentUID: "team"}, {UID: "old", Title: "Kept", ParentUID: "team"},
		}, map[string]string{"old": "folder kept"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, version := range []string{"11.2.3", "11.3.0", "12.0.1"} {
				for _, f := range tt.git {
					f.Path = f.UID
				}
				desired := DesiredFolders(&resource.Org{Folders: tt.git}, 1)
				FolderTitleClashes(desired, live, version)
				got := map[string]string{}
				for _, r := range desired {
					if r.Unwritable != "" {
						got[r.ID] = r.Unwritable
					}
				}
				want := tt.want
				if version != "11.2.3" {
					want = map[string]string{}
				}
				if len(got) != len(want) {
					t.Fatalf("%s: unwritable %v, want %v", version, got, want)
				}
				for id, word := range want {
					if !strings.Contains(got[id], word) || !strings.Contains(got[id], "11.2.3") {
						t.Errorf("%s: reason for %s = %q, want it to name %q and the version", version, id, got[id], word)
					}
				}
			}
		})
	}
}

func TestUniqueFolderTitles(t *testing.T) {
	got := map[string]bool{}
	for _, v := range []string{"9.5.2", "10.4.1", "11.0.0", "v11.2.3", "11.2.0-pre", "11.3.0", "11.10.0", "12.0.1+security-01", "dev", ""} {
		got[v] = grafana.UniqueFolderTitles(v)
	}
	want := map[string]bool{"9.5.2": true, "10.4.1": true, "11.0.0": true, "v11.2.3": true, "11.2.0-pre": true,
		"11.3.0": false, "11.10.0": false, "12.0.1+security-01": false, "dev": false, "": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UniqueFolderTitles (-want +got):\n%s", diff)
	}
}

package normalize

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// TestTitleClashes: up to 11.2 Grafana refuses a folder whose title a
// sibling folder has (409), a dashboard whose title another dashboard of its
// folder has (412 name-exists), and at the top level a folder or dashboard
// whose title any top-level folder or dashboard has (grafana-api.md §3.1,
// §5.3, §14; audit rows 17, 18, 57). What apply would create, rename or move
// into such a clash is unwritable, so the plan blocks before anything is
// written: a clash inside Git, or with a live resource that stays (not in
// Git; prune deletes after every create). What is already in place is
// written no new title and never blocked. From 11.3 nothing is blocked.
func TestTitleClashes(t *testing.T) {
	liveFolders := []grafana.Folder{
		{UID: "hand", Title: "Ops"},                       // made by hand, not in Git
		{UID: "team", Title: "Team"},                      // in Git, unchanged
		{UID: "kept", Title: "Kept", ParentUID: "team"},   // in Git, unchanged
		{UID: "old", Title: "Renamed", ParentUID: "team"}, // in Git, renamed below
	}
	liveDash := []grafana.Dashboard{
		{UID: "hand-db", FolderUID: "team", JSON: []byte(`{"title": "Latency"}`)}, // not in Git
		{UID: "home", JSON: []byte(`{"title": "Home"}`)},                          // in Git, at the top
	}
	dash := func(uid, title, folder string) *resource.Dashboard {
		raw, _ := json.Marshal(map[string]any{"uid": uid, "title": title})
		return &resource.Dashboard{UID: uid, Title: title, FolderUID: folder, Path: uid + ".json", JSON: raw}
	}
	base := []*resource.Folder{{UID: "team", Title: "Team"}, {UID: "kept", Title: "Kept", ParentUID: "team"}}
	tests := []struct {
		name    string
		folders []*resource.Folder
		dashes  []*resource.Dashboard
		want    map[string]string // desired uid → a word of the reason
	}{
		{"no clash", []*resource.Folder{{UID: "team", Title: "Team"}, {UID: "new", Title: "New"}}, nil, map[string]string{}},
		{"two new sibling folders", []*resource.Folder{{UID: "a", Title: "Dup"}, {UID: "b", Title: "Dup"}}, nil, map[string]string{"b": "folder a-path"}},
		{"same title under different parents", append(slices.Clone(base), &resource.Folder{UID: "x", Title: "Kept"}, &resource.Folder{UID: "y", Title: "Kept", ParentUID: "x"}), nil, map[string]string{}},
		{"a live folder not in Git", []*resource.Folder{{UID: "ops", Title: "Ops"}}, nil, map[string]string{"ops": "the folder with uid hand in Grafana (not in Git)"}},
		{"a new sibling of a folder in place", append(slices.Clone(base), &resource.Folder{UID: "k2", Title: "Kept", ParentUID: "team"}), nil, map[string]string{"k2": "folder kept-path"}},
		{"a rename into a sibling's title", append(slices.Clone(base), &resource.Folder{UID: "old", Title: "Kept", ParentUID: "team"}), nil, map[string]string{"old": "folder kept-path"}},
		{"two dashboards in one folder", base, []*resource.Dashboard{dash("d1", "CPU", "team"), dash("d2", "CPU", "team")}, map[string]string{"d2": "dashboard d1"}},
		{"a dashboard and a live one not in Git", base, []*resource.Dashboard{dash("lat", "Latency", "team")}, map[string]string{"lat": "the dashboard with uid hand-db in Grafana (not in Git)"}},
		{"a dashboard titled as a subfolder: fine", base, []*resource.Dashboard{dash("d", "Kept", "team")}, map[string]string{}},
		{"a top-level folder titled as a top-level dashboard", append(slices.Clone(base), &resource.Folder{UID: "h", Title: "Home"}), []*resource.Dashboard{dash("home", "Home", "")}, map[string]string{"h": "dashboard home"}},
		{"a dashboard in place is never blocked", base, []*resource.Dashboard{dash("home", "Home", "")}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, version := range []string{"11.2.3", "11.3.0", "12.0.1"} {
				for _, f := range tt.folders {
					f.Path = f.UID + "-path"
				}
				dashes, err := desiredDashboards(&resource.Org{Dashboards: tt.dashes}, 1)
				if err != nil {
					t.Fatal(err)
				}
				desired := slices.Concat(DesiredFolders(&resource.Org{Folders: tt.folders}, 1), dashes)
				live := LiveFolders(liveFolders, 1, FolderOwnership{})
				for _, d := range liveDash {
					r, err := LiveDashboard(d, 1)
					if err != nil {
						t.Fatal(err)
					}
					live = append(live, r)
				}
				if err := TitleClashes(desired, live, version); err != nil {
					t.Fatal(err)
				}
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
					if !strings.Contains(got[id], "which "+word+" already has") || !strings.Contains(got[id], "(11.2.3)") {
						t.Errorf("%s: reason for %s = %q, want it to name %q and the version", version, id, got[id], word)
					}
				}
			}
		})
	}
}

// TestTitleClashBlocksThePlan: an unwritable create is Blocked, which apply
// refuses before writing anything.
func TestTitleClashBlocksThePlan(t *testing.T) {
	desired := DesiredFolders(&resource.Org{Folders: []*resource.Folder{{UID: "a", Title: "Dup", Path: "a"}, {UID: "b", Title: "Dup", Path: "b"}}}, 1)
	if err := TitleClashes(desired, nil, "11.2.0"); err != nil {
		t.Fatal(err)
	}
	p, err := plan.Make("", desired, nil, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range p.Changes {
		got = append(got, string(c.Action)+" "+c.Subject)
	}
	if diff := cmp.Diff([]string{"create folder a", "blocked folder b"}, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func TestUniqueTitles(t *testing.T) {
	got := map[string]bool{}
	for _, v := range []string{"9.5.2", "10.4.1", "11.0.0", "v11.2.3", "11.2.0-pre", "11.2", "11", "11.3.0", "11.10.0", "12.0.1+security-01", "dev", ""} {
		got[v] = grafana.UniqueTitles(v)
	}
	want := map[string]bool{"9.5.2": true, "10.4.1": true, "11.0.0": true, "v11.2.3": true, "11.2.0-pre": true, "11.2": true, "11": false,
		"11.3.0": false, "11.10.0": false, "12.0.1+security-01": false, "dev": false, "": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UniqueTitles (-want +got):\n%s", diff)
	}
}

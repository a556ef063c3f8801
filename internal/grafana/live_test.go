package grafana

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// Folders are read once each, whether Grafana walks a nested tree (11+) or
// ignores parentUid and lists the root at every level (10.x, §5.1); and
// NestedFolders tells the two apart.
func TestReadFoldersAndNestedFolders(t *testing.T) {
	tests := []struct {
		version    string
		nested     []grafanatest.FolderSpec // seeded after the top-level folders
		wantUIDs   []string
		wantNested bool
	}{
		{"10", nil, []string{"a", "b"}, false},
		{"11", []grafanatest.FolderSpec{{UID: "c", Title: "C", ParentUID: "a"}}, []string{"a", "b", "c"}, true},
		{"12", []grafanatest.FolderSpec{{UID: "c", Title: "C", ParentUID: "a"}}, []string{"a", "b", "c"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			v, err := grafanatest.ParseVersion(tt.version)
			if err != nil {
				t.Fatal(err)
			}
			emu, rep := grafanatest.Start(t, grafanatest.Options{Version: v})
			for _, f := range append([]grafanatest.FolderSpec{{UID: "a", Title: "A"}, {UID: "b", Title: "B"}}, tt.nested...) {
				if _, err := emu.SeedFolder(1, f); err != nil {
					t.Fatal(err)
				}
			}
			c := newTestClient(t, Config{URLs: []string{rep.URL()}})
			st, err := c.ReadState(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var uids []string
			for _, f := range st.Folders {
				uids = append(uids, f.UID)
			}
			if diff := cmp.Diff(tt.wantUIDs, uids); diff != "" {
				t.Errorf("folders (-want +got):\n%s", diff)
			}
			nested, err := c.NestedFolders(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if nested != tt.wantNested {
				t.Errorf("NestedFolders() = %v, want %v", nested, tt.wantNested)
			}
		})
	}
}

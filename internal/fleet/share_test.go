package fleet

import (
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// countingFS counts the opens of each file of its base; a Stat is not an
// open (the snapshot's os.Root answers it without opening, as MapFS does).
type countingFS struct {
	fs.FS
	mu    sync.Mutex
	opens map[string]int
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return c.FS.Open(name)
}

func (c *countingFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(c.FS, name) }

// Every instance sees through a Share exactly what it sees of the snapshot
// itself, whatever the Share can hold; what it holds is read once.
func TestShare(t *testing.T) {
	base := fstest.MapFS{
		"grafsync.yaml":              {Data: []byte("x: ${fleet.tenant}")},
		"dashboards/a.json":          {Data: []byte(`{"t":"${fleet.tenant}"}`)},
		"dashboards/same.json":       {Data: []byte(`{"title":"same for all"}`)},
		"dashboards/premium/b.json":  {Data: []byte(`{}`)},
		"datasources/ds.yaml":        {Data: []byte("url: http://${fleet.tenant}.example\n")},
		"dashboards/premiumish.json": {Data: []byte(`{}`)},
	}
	fl := &Fleet{Content: []Content{{Path: "dashboards/premium", Selector: map[string]string{"tier": "gold"}}}}
	instances := []Instance{
		{Name: "acme", Vars: map[string]string{"tenant": "acme"}, Labels: map[string]string{"tier": "basic"}},
		{Name: "globex", Vars: map[string]string{"tenant": `glo"bex`}, Labels: map[string]string{"tier": "gold"}},
		{Name: "novars"},
	}
	files := []string{"grafsync.yaml", "dashboards/a.json", "dashboards/same.json", "dashboards/premium/b.json", "datasources/ds.yaml", "dashboards/premiumish.json"}
	// view is what an instance reads of every file (or the error's kind).
	view := func(fsys fs.FS) map[string]string {
		out := map[string]string{}
		for _, f := range files {
			data, err := fs.ReadFile(fsys, f)
			if err != nil {
				out[f] = "error"
				continue
			}
			st, err := fs.Stat(fsys, f)
			if err != nil || st.Size() != int64(len(data)) {
				t.Errorf("%s: Stat %v, %v, want the size read (%d)", f, st, err, len(data))
			}
			out[f] = string(data)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		max  int64
		held bool // the content files fit
	}{
		{"default bound", 0, true},
		{"room for all", 200, true},
		{"room for none", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counting := &countingFS{FS: base, opens: map[string]int{}}
			shared := Share(counting, tc.max)
			for _, in := range instances {
				want := view(fl.FS(base, in))
				got := view(fl.FS(shared, in))
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("instance %s through the Share (-alone +shared):\n%s", in.Name, diff)
				}
				if err := fstest.TestFS(fl.FS(shared, in), "dashboards/a.json", "datasources/ds.yaml"); err != nil {
					t.Errorf("instance %s: %v", in.Name, err)
				}
				if diff := cmp.Diff(fmt.Sprint(fl.Check(base, in)), fmt.Sprint(fl.Check(shared, in))); diff != "" {
					t.Errorf("instance %s: Check through the Share (-alone +shared):\n%s", in.Name, diff)
				}
			}
			a, okA := fl.FS(shared, instances[0]).(interface{ ReadOnly(string) ([]byte, bool) }).ReadOnly("dashboards/same.json")
			b, okB := fl.FS(shared, instances[1]).(interface{ ReadOnly(string) ([]byte, bool) }).ReadOnly("dashboards/same.json")
			if okA != tc.held || okB != tc.held || tc.held && &a[0] != &b[0] {
				t.Errorf("ReadOnly of a file without vars: %v, %v; want the Share's one copy for both: %v", okA, okB, tc.held)
			}
			if _, ok := fl.FS(shared, instances[0]).(interface{ ReadOnly(string) ([]byte, bool) }).ReadOnly("dashboards/premium/b.json"); ok {
				t.Error("ReadOnly hands a hidden file to an instance whose labels do not select it")
			}
			if tc.held {
				// Held: read once for all instances (an open to learn it is a
				// file, then the open that reads it are the same open).
				if n := counting.opens["dashboards/same.json"]; n != 1 {
					t.Errorf("dashboards/same.json opened %d times for %d instances, want 1", n, len(instances))
				}
			}
		})
	}
}

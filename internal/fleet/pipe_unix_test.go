//go:build unix

package fleet

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A named pipe among the content files is stat'ed, never opened (opening
// one blocks until a writer comes): Open, Stat and Check answer at once.
func TestInstanceFSNamedPipe(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "dashboards"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "dashboards", "pipe.json"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	fl := &Fleet{}
	in := Instance{Name: "a"}
	ifs := fl.FS(root.FS(), in)
	if _, err := ifs.Open("dashboards/pipe.json"); err == nil || !strings.Contains(err.Error(), "a named pipe, not a regular file") {
		t.Errorf("Open = %v", err)
	}
	if st, err := fs.Stat(ifs, "dashboards/pipe.json"); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("Stat = %v, %v; want the pipe's mode", st, err)
	}
	if ps := fl.Check(root.FS(), in); len(ps) != 0 {
		t.Errorf("Check = %v; internal/load reports the pipe", ps)
	}
}

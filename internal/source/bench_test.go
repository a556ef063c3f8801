package source_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafsync/grafsync/internal/source"
	"github.com/grafsync/grafsync/internal/source/sourcetest"
)

// dashboards returns n dashboard files of about 20 KiB each, in 20 folders.
func dashboards(n int) map[string]string {
	files := make(map[string]string, n)
	panel := strings.Repeat(`{"type":"timeseries","targets":[{"expr":"rate(http_requests_total[5m])"}]},`, 250)
	for i := range n {
		files[fmt.Sprintf("dashboards/team-%02d/dash-%04d.json", i%20, i)] =
			fmt.Sprintf(`{"uid":"d%04d","title":"Dashboard %d","panels":[%s{}]}`, i, i, panel)
	}
	return files
}

func walkAndRead(b *testing.B, fsys fs.FS) int {
	n := 0
	err := fs.WalkDir(fsys, "dashboards", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		n += len(data)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkOpenRemoteUpToDate is one poll of an unchanged remote with 1,000
// dashboards: open the cache, fetch (nothing new), resolve, check the tree.
func BenchmarkOpenRemoteUpToDate(b *testing.B) {
	bare := sourcetest.NewBareRepo(b, dashboards(1000))
	opts := source.Options{Repo: "file://" + bare, Ref: "main", CacheDir: b.TempDir()}
	if _, err := source.Open(b.Context(), opts); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := source.Open(b.Context(), opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadTree reads all 1,000 dashboards from a Git tree snapshot.
func BenchmarkReadTree(b *testing.B) {
	bare := sourcetest.NewBareRepo(b, dashboards(1000))
	snap, err := source.Open(b.Context(), source.Options{Repo: "file://" + bare, Ref: "main", CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.SetBytes(int64(walkAndRead(b, snap.FS)))
	}
}

// BenchmarkOpenWorkingTree opens a clean checkout of 1,000 dashboards
// without --ref: HEAD plus the dirty check (git status).
func BenchmarkOpenWorkingTree(b *testing.B) {
	bare := sourcetest.NewBareRepo(b, dashboards(1000))
	work := filepath.Join(b.TempDir(), "work")
	sourcetest.Git(b, "", "clone", "--quiet", bare, work)
	opts := source.Options{Repo: work}
	for b.Loop() {
		snap, err := source.Open(b.Context(), opts)
		if err != nil {
			b.Fatal(err)
		}
		if strings.HasSuffix(snap.Revision, "-dirty") {
			b.Fatalf("clean checkout reported %s", snap.Revision)
		}
	}
}

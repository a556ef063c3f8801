package main

import (
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdExample copies the project's own example repository (dashboards/,
// datasources/, roles/, grafsync.yaml at the top of this repository) into
// a directory of the script, so scripts test the example as shipped:
//
//	example repo
func cmdExample(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: example DIR")
	}
	dst := ts.MkAbs(args[0])
	for _, dir := range []string{"dashboards", "datasources", "roles"} {
		ts.Check(os.CopyFS(filepath.Join(dst, dir), os.DirFS(filepath.Join(repoRoot, dir))))
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, "grafsync.yaml"))
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(dst, "grafsync.yaml"), b, 0o644))
}

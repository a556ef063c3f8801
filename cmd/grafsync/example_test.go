package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

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

// cmdDocShows checks that a document shows the last command's output as
// it is, so the docs' examples (regenerated from real runs) stay true:
//
//	doc-shows FILE [FROM [N]]
//
// Every non-blank line of stdout, from the first matching the regexp FROM
// (default: the first line), N lines of it (default: all), must be a line
// of FILE (docs are relative to
// the repository's root). Both sides are compared with leading and
// trailing blanks and a leading "# " (a shell example's comment) dropped,
// a loopback port written as PORT and a timestamp's date and time as
// YYYY-… (the docs write "2026-…").
func cmdDocShows(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 3 {
		ts.Fatalf("usage: doc-shows FILE [FROM [N]]")
	}
	doc, err := os.ReadFile(filepath.Join(repoRoot, args[0]))
	ts.Check(err)
	lines := map[string]bool{}
	for l := range strings.Lines(string(doc)) {
		lines[docLine(l)] = true
	}
	out := strings.Split(ts.ReadFile("stdout"), "\n")
	if len(args) >= 2 {
		from := regexp.MustCompile(args[1])
		i := slices.IndexFunc(out, from.MatchString)
		if i < 0 {
			ts.Fatalf("no line of stdout matches %q", args[1])
		}
		out = out[i:]
	}
	if len(args) == 3 {
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		out = out[:min(n, len(out))]
	}
	for _, l := range out {
		if l := docLine(l); l != "" && !lines[l] {
			ts.Fatalf("%s does not show this line of the output:\n%s", args[0], l)
		}
	}
}

var (
	docPort = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	docTime = regexp.MustCompile(`\d{4}-(\d\d-\d\dT\d\d:\d\d:\d\dZ|…)`)
)

func docLine(l string) string {
	l = strings.TrimSpace(l)
	l = strings.TrimSpace(strings.TrimPrefix(l, "# "))
	l = docPort.ReplaceAllString(l, "127.0.0.1:PORT")
	return docTime.ReplaceAllString(l, "YYYY-…")
}

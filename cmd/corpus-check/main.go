// Command corpus-check runs grafsync over real dashboards and datasource
// provisioning files written elsewhere, to show whether grafsync accepts what
// Grafana accepts and whether each project round-trips.
//
//	go run ./cmd/corpus-check [--grafsync BIN] [--modes 10,10+nested,11.2,11,12] [--keep] [-v] DIR...
//
// Each DIR is either a project (its *.json files, in their subdirectories,
// are dashboards; its *.yaml/*.yml files with a top-level datasources or
// deleteDatasources key are datasource files) or a corpus: a directory with
// dashboards/ and/or datasources/, each holding one subdirectory per project
// (the layout of ../shared/corpus); a project's dashboards and datasource
// files are the subdirectories of the same name.
//
// Each project is laid out as a grafsync repository in a temporary directory
// (datasource files whose names or uids clash go to further repositories,
// "project#2", ...), then:
//
//  1. grafsync validate, as the files are;
//  2. datasources the files reference but do not define live outside the
//     repository: they are declared in grafsync.yaml externalDatasources
//     (an __inputs entry with no datasource of its type gets an external
//     one of that type), and validate runs again;
//  3. when validate passes: in every version mode, against a fresh
//     in-process Grafana emulator on loopback, plan, apply, plan (must show
//     no changes, exit 0 with --detailed-exitcode), apply (must write
//     nothing). Environment variables the files use are set to a dummy
//     value. 10.x without the nestedFolders toggle refuses a repository with
//     nested folders by design: that is reported as "nested", not a failure.
//
// It prints one row per repository and exits 1 if any repository failed a
// step it reached (validate errors are reported, not failures: they may be
// Grafana's own).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "corpus-check:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	grafsync string
	modes    []mode
	keep     bool
	verbose  bool
	only     *regexp.Regexp
	// rewriteSecrets rewrites what grafsync's secret policy refuses (and
	// Grafana accepts) in the temporary copy, so the rest round-trips.
	rewriteSecrets bool
	dirs           []string
}

// mode is one Grafana the round trip runs against.
type mode struct {
	name    string
	version grafanatest.Version
	nested  *bool // nil: the version's default
}

func parseModes(s string) ([]mode, error) {
	var out []mode
	for _, m := range strings.Split(s, ",") {
		m = strings.TrimSpace(m)
		v, toggle, _ := strings.Cut(m, "+")
		ver, err := grafanatest.ParseVersion(v)
		if err != nil {
			return nil, fmt.Errorf("--modes %q: %w", m, err)
		}
		md := mode{name: m, version: ver}
		switch toggle {
		case "":
		case "nested":
			on := true
			md.nested = &on
		default:
			return nil, fmt.Errorf("--modes %q: the only toggle is +nested (nestedFolders, for 10.x)", m)
		}
		out = append(out, md)
	}
	return out, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("corpus-check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o options
	modes := fl.String("modes", "10,10+nested,11.2,11,12", "Grafana versions to round-trip against; 10+nested turns the nestedFolders toggle on")
	fl.StringVar(&o.grafsync, "grafsync", "", "grafsync binary to run (default: go build ./cmd/grafsync from the current directory)")
	fl.BoolVar(&o.keep, "keep", false, "keep the temporary repositories and print where they are")
	fl.BoolVar(&o.verbose, "v", false, "print validate's errors and every failed step's output")
	fl.BoolVar(&o.rewriteSecrets, "rewrite-secrets", true, "in the temporary copy, replace literal secrets and references to grafsync's own credentials (errors by grafsync's policy, accepted by Grafana) with ${CORPUS_SECRET_n}, so the project can round-trip")
	only := fl.String("only", "", "check only the repositories whose name matches this regular expression")
	if err := fl.Parse(args); err != nil {
		return err
	}
	o.dirs = fl.Args()
	if len(o.dirs) == 0 {
		return errors.New("give at least one directory of dashboards and datasource files")
	}
	var err error
	if o.modes, err = parseModes(*modes); err != nil {
		return err
	}
	if o.only, err = regexp.Compile(*only); err != nil {
		return fmt.Errorf("--only: %w", err)
	}
	tmp, err := os.MkdirTemp("", "corpus-check-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stderr, "repositories are kept in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if o.grafsync == "" {
		o.grafsync = filepath.Join(tmp, "grafsync")
		build := exec.Command("go", "build", "-o", o.grafsync, "./cmd/grafsync")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build grafsync (run from the repository root, or pass --grafsync): %w", err)
		}
	}
	var projects []project
	for _, d := range o.dirs {
		ps, err := discover(d)
		if err != nil {
			return err
		}
		projects = append(projects, ps...)
	}
	var rows []row
	for _, p := range projects {
		for _, r := range p.repos() {
			if !o.only.MatchString(r.name) {
				continue
			}
			dir := filepath.Join(tmp, "repos", safeName(r.name))
			if err := r.layout(dir); err != nil {
				return err
			}
			rows = append(rows, check(context.Background(), o, r, dir, stderr))
		}
	}
	failed := printTable(stdout, o.modes, rows)
	if failed > 0 {
		return fmt.Errorf("%d repositories failed a round trip step", failed)
	}
	return nil
}

// project is one source's files: dashboards by path relative to the
// project's dashboards directory, datasource files by base name.
type project struct {
	name        string
	dashboards  map[string]string // relative path → file on disk
	datasources []string          // files on disk
}

// discover reads one command-line directory into projects.
func discover(dir string) ([]project, error) {
	dbRoot, dsRoot := filepath.Join(dir, "dashboards"), filepath.Join(dir, "datasources")
	if !isDir(dbRoot) && !isDir(dsRoot) {
		p := project{name: filepath.Base(filepath.Clean(dir)), dashboards: map[string]string{}}
		err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, path)
			switch strings.ToLower(filepath.Ext(path)) {
			case ".json":
				p.dashboards[filepath.ToSlash(rel)] = path
			case ".yaml", ".yml":
				if isDatasourceFile(path) {
					p.datasources = append(p.datasources, path)
				}
			}
			return nil
		})
		return []project{p}, err
	}
	byName := map[string]*project{}
	get := func(name string) *project {
		if byName[name] == nil {
			byName[name] = &project{name: name, dashboards: map[string]string{}}
		}
		return byName[name]
	}
	for _, sub := range subdirs(dbRoot) {
		p := get(sub)
		root := filepath.Join(dbRoot, sub)
		err := filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return err
			}
			if ext := strings.ToLower(filepath.Ext(path)); ext == ".json" || ext == ".yaml" || ext == ".yml" {
				rel, _ := filepath.Rel(root, path)
				p.dashboards[filepath.ToSlash(rel)] = path
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, sub := range subdirs(dsRoot) {
		p := get(sub)
		entries, err := os.ReadDir(filepath.Join(dsRoot, sub))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if ext := strings.ToLower(filepath.Ext(e.Name())); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
				p.datasources = append(p.datasources, filepath.Join(dsRoot, sub, e.Name()))
			}
		}
	}
	var out []project
	names := mapsKeys(byName)
	slices.Sort(names)
	for _, name := range names {
		out = append(out, *byName[name])
	}
	return out, nil
}

func mapsKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func subdirs(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// isDatasourceFile reports whether a YAML file is a datasource provisioning
// file: a top-level datasources or deleteDatasources key.
func isDatasourceFile(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var top map[string]any
	if yaml.Unmarshal(data, &top) != nil {
		return false
	}
	_, a := top["datasources"]
	_, b := top["deleteDatasources"]
	return a || b
}

// repo is one grafsync repository made from a project.
type repo struct {
	name        string
	dashboards  map[string]string
	datasources []string
}

// repos splits a project into repositories: the first holds its dashboards
// and every datasource file whose names and uids clash with none before it;
// a clashing file goes to the first later repository it fits in. The same
// datasource in two example files of one project is the usual clash.
func (p project) repos() []repo {
	out := []repo{{name: p.name, dashboards: p.dashboards}}
	var taken []map[string]bool
	taken = append(taken, map[string]bool{})
	for _, f := range p.datasources {
		keys := datasourceKeys(f)
		i := 0
		for ; i < len(out); i++ {
			if !slices.ContainsFunc(keys, func(k string) bool { return taken[i][k] }) {
				break
			}
		}
		if i == len(out) {
			out = append(out, repo{name: fmt.Sprintf("%s#%d", p.name, i+1)})
			taken = append(taken, map[string]bool{})
		}
		out[i].datasources = append(out[i].datasources, f)
		for _, k := range keys {
			taken[i][k] = true
		}
	}
	return out
}

// datasourceKeys are the names ("name:X") and uids ("uid:X") a datasource
// file defines, and "default" when it sets a default datasource.
func datasourceKeys(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var f struct {
		Datasources []map[string]any `yaml:"datasources"`
	}
	if yaml.Unmarshal(data, &f) != nil {
		return nil
	}
	var keys []string
	for _, d := range f.Datasources {
		if s, ok := d["name"].(string); ok {
			keys = append(keys, "name:"+s)
		}
		if s, ok := d["uid"].(string); ok && s != "" {
			keys = append(keys, "uid:"+s)
		}
		if b, ok := d["isDefault"].(bool); ok && b {
			keys = append(keys, "default")
		}
	}
	return keys
}

// layout writes the repository into dir.
func (r repo) layout(dir string) error {
	for rel, src := range r.dashboards {
		if err := copyFile(src, filepath.Join(dir, "dashboards", filepath.FromSlash(rel))); err != nil {
			return err
		}
	}
	for _, src := range r.datasources {
		if err := copyFile(src, filepath.Join(dir, "datasources", filepath.Base(src))); err != nil {
			return err
		}
	}
	if len(r.dashboards) == 0 && len(r.datasources) == 0 {
		return os.MkdirAll(filepath.Join(dir, "dashboards"), 0o755)
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// row is what one repository gave.
type row struct {
	name                string
	dashboards, dsFiles int
	before, after       counts // validate as is, and with externals declared
	externals           int
	errorsAfter         []string // validate's errors once externals are declared
	modes               []string // one cell per mode
	failed              bool
	nested              bool
	envSet              int
	secrets             int // values rewritten by rewriteSecrets
}

type counts struct{ errors, warnings int }

func (c counts) String() string { return fmt.Sprintf("%d/%d", c.errors, c.warnings) }

// check runs every step on one repository laid out in dir.
func check(ctx context.Context, o options, r repo, dir string, stderr io.Writer) row {
	rw := row{name: r.name, dashboards: len(r.dashboards), dsFiles: len(r.datasources)}
	rw.nested = slices.ContainsFunc(mapsKeys(r.dashboards), func(rel string) bool { return strings.Count(rel, "/") > 1 })
	out, _ := runGrafsync(ctx, o.grafsync, nil, "validate", "--repo", dir)
	rw.before = summary(out)
	cfg := externals(out)
	rw.externals = len(cfg.External) + len(cfg.Inputs)
	if rw.externals > 0 {
		if err := writeConfig(dir, cfg); err != nil {
			rw.modes = []string{"config: " + err.Error()}
			rw.failed = true
			return rw
		}
		out, _ = runGrafsync(ctx, o.grafsync, nil, "validate", "--repo", dir)
	}
	var secretEnv []string
	if o.rewriteSecrets {
		var err error
		if secretEnv, err = rewriteSecrets(dir, out); err != nil {
			rw.modes = []string{"rewrite: " + err.Error()}
			rw.failed = true
			return rw
		}
		rw.secrets = len(secretEnv)
		if len(secretEnv) > 0 {
			out, _ = runGrafsync(ctx, o.grafsync, nil, "validate", "--repo", dir)
		}
	}
	rw.after = summary(out)
	rw.errorsAfter = errorLines(out)
	if o.verbose && len(rw.errorsAfter) > 0 {
		fmt.Fprintf(stderr, "== %s: validate errors\n%s\n", r.name, strings.Join(rw.errorsAfter, "\n"))
	}
	if rw.after.errors > 0 {
		for range o.modes {
			rw.modes = append(rw.modes, "-")
		}
		return rw
	}
	env := dummyEnv(out)
	rw.envSet = len(env)
	env = append(env, secretEnv...)
	for _, m := range o.modes {
		cell, ok := roundTrip(ctx, o, m, dir, env, rw.nested)
		if !ok {
			rw.failed = true
			if o.verbose {
				fmt.Fprintf(stderr, "== %s (%s): %s\n", r.name, m.name, cell)
			}
			cell = "FAIL " + firstLine(cell)
		}
		rw.modes = append(rw.modes, cell)
	}
	return rw
}

var summaryRE = regexp.MustCompile(`(?m)^(\d+) errors?, (\d+) warnings?`)

func summary(out string) counts {
	m := summaryRE.FindStringSubmatch(out)
	if m == nil {
		return counts{errors: -1}
	}
	e, _ := strconv.Atoi(m[1])
	w, _ := strconv.Atoi(m[2])
	return counts{e, w}
}

// errorLines are validate's error lines (not warnings, notes or hints).
func errorLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l == "" || strings.HasPrefix(l, "\t") || strings.Contains(l, ": warning: ") || strings.Contains(l, ": note: ") ||
			strings.HasPrefix(l, "note: ") || summaryRE.MatchString(l) {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

// config is what corpus-check writes to grafsync.yaml.
type config struct {
	External []map[string]string
	Inputs   map[string]string
}

var (
	missingRef   = regexp.MustCompile(`no datasource with uid(?: or name)? "([^"]+)" in org`)
	missingType  = regexp.MustCompile(`__inputs\[\d+\]: (\S+) needs a datasource of type "([^"]*)"; org`)
	ambiguous    = regexp.MustCompile(`__inputs\[\d+\]: (\S+) could be any of the \d+ \S+ datasources \(([^,)]+)`)
	uidShaped    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	missingEnvRE = regexp.MustCompile(`environment variable ([^\s;]+) is not set`)
)

// externals turns validate's unresolved references into the grafsync.yaml
// that declares them: every datasource referenced but not defined, one
// datasource per __inputs type that has none, and a choice for __inputs
// with several candidates.
func externals(out string) config {
	c := config{Inputs: map[string]string{}}
	seen := map[string]bool{}
	add := func(ext map[string]string) {
		key := ext["uid"] + "\x00" + ext["name"]
		if !seen[key] {
			seen[key] = true
			c.External = append(c.External, ext)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, ": warning: ") {
			continue
		}
		if m := missingRef.FindStringSubmatch(l); m != nil {
			if uidShaped.MatchString(m[1]) {
				add(map[string]string{"uid": m[1]})
			} else {
				add(map[string]string{"name": m[1]})
			}
		}
		if m := missingType.FindStringSubmatch(l); m != nil {
			add(map[string]string{"uid": "corpus-" + safeName(m[2]), "name": "corpus " + m[2], "type": m[2]})
		}
		if m := ambiguous.FindStringSubmatch(l); m != nil {
			c.Inputs[m[1]] = m[2]
		}
	}
	if len(c.Inputs) == 0 {
		c.Inputs = nil
	}
	return c
}

func writeConfig(dir string, c config) error {
	org := map[string]any{"name": "Main Org."}
	if len(c.External) > 0 {
		org["externalDatasources"] = c.External
	}
	if len(c.Inputs) > 0 {
		org["datasourceInputs"] = c.Inputs
	}
	data, err := yaml.Marshal(map[string]any{"orgs": []any{org}})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "grafsync.yaml"), data, 0o644)
}

// dummyEnv sets every environment variable validate found unset, so that
// apply (which needs them) can run.
func dummyEnv(out string) []string {
	var env []string
	seen := map[string]bool{}
	for _, m := range missingEnvRE.FindAllStringSubmatch(out, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			env = append(env, m[1]+"="+dummyValue(m[1]))
		}
	}
	return env
}

// dummyValue is a value of the shape a variable's name suggests, so that
// format checks (AWS regions, role ARNs, URLs) pass.
func dummyValue(name string) string {
	n := strings.ToUpper(name)
	switch {
	case strings.Contains(n, "REGION"):
		return "us-east-1"
	case strings.Contains(n, "ARN") || strings.Contains(n, "ROLE"):
		return "arn:aws:iam::123456789012:role/corpus-check"
	case strings.Contains(n, "URL") || strings.Contains(n, "HOST") || strings.Contains(n, "ENDPOINT"):
		return "http://corpus-check.invalid"
	}
	return "corpus-check-" + strings.ToLower(name)
}

// literalSecret matches validate's errors for what grafsync's secret policy
// refuses: a literal secret, a reference to grafsync's own credentials.
var literalSecret = regexp.MustCompile(`(?m)^([^:\s]+):(\d+):(\d+): \S+: (?:a literal secret must not be stored in Git|environment variables? .* (?:holds|hold) (?:credentials of the process running grafsync|grafsync's own credentials))`)

// rewriteSecrets replaces, in the repository's copy, each value validate
// refused by grafsync's secret policy with a reference to a new variable,
// and returns those variables with dummy values.
func rewriteSecrets(dir, out string) ([]string, error) {
	var env []string
	for i, m := range literalSecret.FindAllStringSubmatch(out, -1) {
		file := filepath.Join(dir, filepath.FromSlash(m[1]))
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		lines := strings.Split(string(data), "\n")
		if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1])+1 {
			return nil, fmt.Errorf("%s:%d:%d: no such position", m[1], line, col)
		}
		name := fmt.Sprintf("CORPUS_SECRET_%d", i+1)
		lines[line-1] = lines[line-1][:col-1] + `"${` + name + `}"`
		if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			return nil, err
		}
		env = append(env, name+"=corpus-check-secret-"+strconv.Itoa(i+1))
	}
	return env, nil
}

var applyRE = regexp.MustCompile(`Apply: (\d+) created, (\d+) updated, (\d+) deleted\.`)

// roundTrip runs plan, apply, plan, apply against a fresh emulator and
// returns the cell to print and whether every step did what it must.
func roundTrip(ctx context.Context, o options, m mode, dir string, env []string, nested bool) (string, bool) {
	emu := grafanatest.New(grafanatest.Options{Version: m.version, NestedFolders: m.nested})
	defer emu.Close()
	rep, err := emu.StartReplica("127.0.0.1:0")
	if err != nil {
		return err.Error(), false
	}
	key, err := emu.AddServiceAccountToken(1, "corpus-check", "Admin")
	if err != nil {
		return err.Error(), false
	}
	env = append(slices.Clip(env), "GRAFANA_URL="+rep.URL(), "GRAFANA_TOKEN="+key)
	repoArgs := []string{"--repo", dir, "--log-level", "error"}
	out, code := runGrafsync(ctx, o.grafsync, env, append([]string{"plan"}, repoArgs...)...)
	nestedOff := m.nested == nil && !m.version.NestedFoldersByDefault()
	if nested && nestedOff {
		if code == 1 && strings.Contains(out, "nested folders off") && emu.Writes() == 0 {
			return "nested", true
		}
		return "plan of a nested tree on 10.x without the toggle: want a refusal, got exit " + strconv.Itoa(code) + ": " + out, false
	}
	if code != 0 {
		return "plan: exit " + strconv.Itoa(code) + ": " + out, false
	}
	// Up to 11.2 Grafana refuses two dashboards with one title in a folder:
	// the plan blocks them and apply must write nothing.
	if m.version.UniqueTitles() && strings.Contains(out, "refuses the title") {
		out, code = runGrafsync(ctx, o.grafsync, env, append([]string{"apply"}, repoArgs...)...)
		if code == 1 && strings.Contains(out, "nothing was applied") && emu.Writes() == 0 {
			return "titles", true
		}
		return "apply of a plan blocked for titles: want a refusal, got exit " + strconv.Itoa(code) + ": " + out, false
	}
	// Grafana before 12 cannot take a schema v2 dashboard (it has no /apis):
	// the plan blocks it and apply must write nothing.
	if strings.Contains(out, "schema v2 dashboard, which Grafana takes only through /apis") {
		out, code = runGrafsync(ctx, o.grafsync, env, append([]string{"apply"}, repoArgs...)...)
		if code == 1 && strings.Contains(out, "nothing was applied") && emu.Writes() == 0 {
			return "v2", true
		}
		return "apply of a plan blocked for a schema v2 dashboard: want a refusal, got exit " + strconv.Itoa(code) + ": " + out, false
	}
	out, code = runGrafsync(ctx, o.grafsync, env, append([]string{"apply"}, repoArgs...)...)
	am := applyRE.FindStringSubmatch(out)
	if code != 0 || am == nil {
		return "apply: exit " + strconv.Itoa(code) + ": " + out, false
	}
	out, code = runGrafsync(ctx, o.grafsync, env, append([]string{"plan", "--detailed-exitcode"}, repoArgs...)...)
	if code != 0 {
		return "second plan is not empty (exit " + strconv.Itoa(code) + "): " + out, false
	}
	emu.ResetCounters()
	out, code = runGrafsync(ctx, o.grafsync, env, append([]string{"apply"}, repoArgs...)...)
	if code != 0 || !(strings.Contains(out, "No changes") || strings.Contains(out, "Apply: 0 created, 0 updated, 0 deleted.")) || emu.Writes() != 0 {
		return fmt.Sprintf("second apply wrote %d times (exit %d): %s", emu.Writes(), code, out), false
	}
	return "ok " + am[1], true
}

// runGrafsync runs the binary with extra environment (nothing else of the
// caller's GRAFANA_* or secrets leaks in) and returns its combined output and
// exit code.
func runGrafsync(ctx context.Context, bin string, env []string, args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return b.String(), 0
	case errors.As(err, &ee):
		return b.String(), ee.ExitCode()
	default:
		return b.String() + err.Error(), -1
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// printTable prints one row per repository and the totals; it returns the
// number of repositories that failed a round-trip step.
func printTable(w io.Writer, modes []mode, rows []row) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"repository", "dash", "ds", "validate", "ext", "secrets", "validate'", "env"}
	for _, m := range modes {
		head = append(head, m.name)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	failed, valid, tripped := 0, 0, 0
	for _, r := range rows {
		cells := []string{r.name, strconv.Itoa(r.dashboards), strconv.Itoa(r.dsFiles), r.before.String(), strconv.Itoa(r.externals), strconv.Itoa(r.secrets), r.after.String(), strconv.Itoa(r.envSet)}
		fmt.Fprintln(tw, strings.Join(append(cells, r.modes...), "\t"))
		if r.failed {
			failed++
		}
		if r.after.errors == 0 {
			valid++
			if !r.failed {
				tripped++
			}
		}
	}
	tw.Flush()
	validAsIs := 0
	for _, r := range rows {
		if r.before.errors == 0 {
			validAsIs++
		}
	}
	fmt.Fprintf(w, "\n%d repositories: %d validate as they are, %d once outside datasources are declared (and secrets rewritten), %d round-trip in every mode; %d failed a round-trip step.\n",
		len(rows), validAsIs, valid, tripped, failed)
	fmt.Fprintln(w, "validate = errors/warnings as the files are; ext = datasources declared external; secrets = values rewritten to ${CORPUS_SECRET_n}")
	fmt.Fprintln(w, "(grafsync's policy: no literal secret in Git, no use of grafsync's own credentials); validate' = errors/warnings after both; env = variables set to a dummy value;")
	fmt.Fprintln(w, "ok N = plan, apply (N created), plan empty, apply wrote nothing; nested = 10.x without nestedFolders refused the nested tree, as designed;")
	fmt.Fprintln(w, "titles = two dashboards share a title in a folder, which Grafana up to 11.2 refuses: plan blocked them and apply wrote nothing, as designed.")
	fmt.Fprintln(w, "v2 = a schema v2 dashboard, which Grafana before 12 cannot take: plan blocked it and apply wrote nothing, as designed.")
	for _, r := range rows {
		if len(r.errorsAfter) > 0 {
			fmt.Fprintf(w, "\n%s: %d validate errors, e.g.\n  %s\n", r.name, len(r.errorsAfter), r.errorsAfter[0])
		}
	}
	return failed
}

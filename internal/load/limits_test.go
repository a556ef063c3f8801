package load

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// aliasBomb is YAML of levels nested aliases, each level a list of width
// aliases to the one below: width^levels leaves from a few hundred bytes.
func aliasBomb(levels, width int) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x]\n")
	for i := 1; i <= levels; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), width), ", ")
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, refs)
	}
	return b.String()
}

// TestAliasBombs: YAML aliases that expand a file far beyond what is
// written are refused, naming the file, before anything expands them — in a
// dashboard, a datasource file's jsonData and grafsync.yaml alike. 9^7
// leaves take seconds and hundreds of MB to expand; one level more, minutes.
func TestAliasBombs(t *testing.T) {
	bomb := aliasBomb(7, 9)
	msg := "YAML aliases expand this file to more than 1000000 values beyond the %d written; grafsync refuses files that do (an alias bomb)"
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"dashboard", map[string]string{"dashboards/bomb.yaml": "title: Bomb\n" + bomb},
			[]string{"dashboards/bomb.yaml:3:10: " + fmt.Sprintf(msg, 83)}},
		{"datasource jsonData", map[string]string{"datasources/bomb.yaml": dsProm + "    jsonData:\n" + indent(bomb, "      ")},
			[]string{"datasources/bomb.yaml:8:16: " + fmt.Sprintf(msg, 94)}},
		{"org config", map[string]string{"grafsync.yaml": "x:\n" + indent(bomb, "  ") + "orgs: [{name: Main Org.}]\n", "dashboards/.keep": ""},
			[]string{"grafsync.yaml:3:12: " + fmt.Sprintf(msg, 88)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := Load(mapFS(tt.files), Options{})
			if diff := cmp.Diff(tt.want, shorts(problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	// Aliases that add less are fine, and expand as written.
	st, problems := Load(mapFS(map[string]string{"dashboards/ok.yaml": "title: OK\n" + aliasBomb(3, 9)}), Options{})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", shorts(problems))
	}
	model, err := st.Orgs[0].Dashboards[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(fmt.Sprint(model["a3"]), "x"); got != 729 {
		t.Errorf("a3 holds %d leaves, want 729", got)
	}
}

func indent(s, by string) string {
	return by + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+by) + "\n"
}

// TestRepositoryAliasBudget: many files, each under the per-file limit,
// together add too much.
func TestRepositoryAliasBudget(t *testing.T) {
	files := map[string]string{}
	for i := range 4 {
		files[fmt.Sprintf("dashboards/d%d.yaml", i)] = fmt.Sprintf("title: D%d\n%s", i, aliasBomb(2, 20)) // 800 added values each
	}
	_, problems := Load(mapFS(files), Options{Limits: Limits{AliasValues: 1000, RepositoryAliasValues: 2000}})
	want := []string{"dashboards/d2.yaml:3:10: YAML aliases in the repository expand to more than 2000 values beyond what is written; this file and later ones are refused (an alias bomb)",
		"dashboards/d3.yaml:3:10: YAML aliases in the repository expand to more than 2000 values beyond what is written; this file and later ones are refused (an alias bomb)"}
	if diff := cmp.Diff(want, shorts(problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestSizeLimits: a file over the per-file limit is refused without being
// read; once the repository's files add up to more than the repository
// limit, the rest are refused. Each error names the file.
func TestSizeLimits(t *testing.T) {
	dash := func(i, size int) string {
		s := fmt.Sprintf(`{"uid": "d%d", "title": "D%d", "panels": [], "description": "`, i, i)
		return s + strings.Repeat("x", size-len(s)-2) + `"}`
	}
	files := map[string]string{
		"dashboards/a.json":  dash(1, 400),
		"dashboards/b.json":  dash(2, 1001),
		"dashboards/c.json":  dash(3, 400),
		"dashboards/d.json":  dash(4, 400),
		"datasources/x.yaml": dsProm,
	}
	_, problems := Load(mapFS(files), Options{Limits: Limits{FileBytes: 1000, RepositoryBytes: 1000}})
	want := []string{
		"dashboards/b.json: 1001 bytes, more than the 1000 grafsync reads from one file",
		"dashboards/d.json: the files grafsync reads add up to more than 1000 bytes; this file and later ones are not read",
	}
	if diff := cmp.Diff(want, shorts(problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if MaxFileBytes < 10<<20 || MaxRepositoryBytes < 20*MaxFileBytes {
		t.Errorf("default limits %d per file, %d per repository: the largest real dashboard is 565 KB", MaxFileBytes, MaxRepositoryBytes)
	}
}

// countingFS records the files opened (or stat'ed), and calls onOpen on each.
type countingFS struct {
	fs.FS
	mu     sync.Mutex
	opened map[string]bool
	onOpen func(name string)
}

func (c *countingFS) Open(name string) (fs.File, error) {
	f, err := c.FS.Open(name)
	if err == nil {
		if fi, serr := f.Stat(); serr == nil && !fi.IsDir() {
			c.mu.Lock()
			c.opened[name] = true
			c.mu.Unlock()
			if c.onOpen != nil {
				c.onOpen(name)
			}
		}
	}
	return f, err
}

// TestLoadObservesContext: a cancelled context stops loading between files
// and inside a large YAML expansion, with an error so that nothing is
// planned from a half-read repository.
func TestLoadObservesContext(t *testing.T) {
	files := fstest.MapFS{}
	for i := range 20 {
		files[fmt.Sprintf("dashboards/d%02d.yaml", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf("title: D%d\n%s", i, aliasBomb(5, 9)))}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfs := &countingFS{FS: files, opened: map[string]bool{}}
	cfs.onOpen = func(string) { cancel() } // cancelled while the first file loads
	_, problems := Load(cfs, Options{Context: ctx})
	if diff := cmp.Diff(map[string]bool{"dashboards/d00.yaml": true}, cfs.opened); diff != "" {
		t.Errorf("files opened, the cancellation came with the first (-want +got):\n%s", diff)
	}
	want := []string{"dashboards/d00.yaml: loading stopped: context canceled"}
	if diff := cmp.Diff(want, shorts(problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if !problems.HasErrors() {
		t.Errorf("an interrupted load has no error: it could be planned")
	}
}

// TestEscapingPaths: every path grafsync reads by name — grafsync.yaml,
// roles/accounts.yaml, an org's dir, dashboards/, datasources/, alerting/ —
// and every entry of those directories is an error naming it when it is a
// symbolic link out of the repository (read through os.Root, as a local
// directory is), never absent, empty or ignored.
func TestEscapingPaths(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "grafsync.yaml"), []byte("orgs: [{name: Main Org.}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files map[string]string // "->" prefix: a symbolic link to outside/<rest>
		want  []string
	}{
		{"org config", map[string]string{"grafsync.yaml": "->grafsync.yaml", "dashboards/a.json": okDash},
			[]string{"grafsync.yaml: a symbolic link out of the repository or to nothing, where grafsync reads a file"}},
		{"accounts", map[string]string{"roles/accounts.yaml": "->accounts.yaml", "dashboards/a.json": okDash},
			[]string{"roles/accounts.yaml: a symbolic link out of the repository or to nothing, where grafsync reads a file"}},
		{"org dir", map[string]string{"grafsync.yaml": "orgs: [{name: Main Org.}, {name: B, dir: orgs/b}]\n", "dashboards/a.json": okDash, "orgs/b": "->"},
			[]string{"orgs/b: a symbolic link out of the repository or to nothing, where grafsync reads a directory"}},
		{"dashboards is a file", map[string]string{"dashboards": "x"},
			[]string{"dashboards: a file where grafsync reads a directory"}},
		{"alerting", map[string]string{"dashboards/a.json": okDash, "alerting": "->"},
			[]string{"alerting: a symbolic link out of the repository or to nothing, where grafsync reads a directory"}},
		// Whatever its name: alerting/team -> ../../shared would otherwise be
		// "not an alerting file", and the rules under it not declared.
		{"a directory link in alerting/", map[string]string{"dashboards/a.json": okDash, "alerting/team": "->"},
			[]string{"alerting/team: a symbolic link out of the repository or to nothing"}},
		{"a directory link in datasources/", map[string]string{"dashboards/a.json": okDash, "datasources/team": "->"},
			[]string{"datasources/team: a symbolic link out of the repository or to nothing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				var err error
				if target, ok := strings.CutPrefix(body, "->"); ok {
					err = os.Symlink(filepath.Join(outside, target), p)
				} else {
					err = os.WriteFile(p, []byte(body), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			root, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			_, problems := Load(root.FS(), Options{})
			if diff := cmp.Diff(tt.want, shorts(problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSignalMidParse: a context cancelled while a YAML file of any kind is
// being parsed stops the parse itself, not only the next file: the file
// below only shows its syntax error (at its last line) when it was parsed to
// the end, and a parse of a 10 MiB file takes about a second.
func TestSignalMidParse(t *testing.T) {
	var long strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&long, "    k%d: v\n", i)
	}
	body := "  x:\n" + long.String() + "  y: [\n" // unclosed at the end
	for _, name := range []string{"grafsync.yaml", "roles/accounts.yaml", "datasources/a.yaml", "dashboards/a.yaml", "dashboards/team/_folder.yaml", "alerting/a.yaml"} {
		t.Run(name, func(t *testing.T) {
			files := fstest.MapFS{
				"dashboards/ok.json": {Data: []byte(okDash)},
				name:                 {Data: []byte("a:\n" + body)},
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Cancelled once the file is read, before it is parsed.
			_, problems := Load(readHookFS{FS: files, name: name, atEOF: cancel}, Options{Context: ctx})
			want := []string{name + ": loading stopped: context canceled"}
			if diff := cmp.Diff(want, shorts(problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// readHookFS calls atEOF when the file name has been read to its end.
type readHookFS struct {
	fs.FS
	name  string
	atEOF func()
}

func (h readHookFS) Open(name string) (fs.File, error) {
	f, err := h.FS.Open(name)
	if err != nil || name != h.name {
		return f, err
	}
	return readHookFile{File: f, atEOF: h.atEOF}, nil
}

type readHookFile struct {
	fs.File
	atEOF func()
}

func (f readHookFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	if err == io.EOF {
		f.atEOF()
	}
	return n, err
}

// TestExpansionBudget: what $__file{} and $VAR references add to a
// repository is bounded like its files: each reference of a 1 MiB CA
// bundle in a 30-byte line would otherwise multiply a 10 MiB file into
// hundreds of GB (500 references in 21 KB took 820 MB). The first value past
// the limit is an error; later ones are refused without more messages.
func TestExpansionBudget(t *testing.T) {
	files := map[string]string{"dashboards/a.json": okDash, "datasources/a.yaml": dsProm + `    jsonData:
      a: $__file{/s/ca.pem}
      b: ${BIG}
      c: $__file{/s/ca.pem}
      d: $__file{/s/ca.pem}
    secureJsonData:
      tlsCACert: $__file{/s/ca.pem}
`}
	var reads int
	opts := Options{
		Limits:   Limits{ExpandedBytes: 150},
		Getenv:   func(k string) string { return map[string]string{"BIG": strings.Repeat("e", 60)}[k] },
		ReadFile: func(string) ([]byte, error) { reads++; return []byte(strings.Repeat("f", 60)), nil },
	}
	st, problems := Load(mapFS(files), opts)
	want := []string{"datasources/a.yaml:9:10: datasources[0].jsonData.c: file /s/ca.pem is refused: the values of $VAR and $__file{} references add up to more than 150 bytes in this repository"}
	if diff := cmp.Diff(want, shorts(problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if jd := st.Orgs[0].Datasources[0].JSONData; len(fmt.Sprint(jd["c"], jd["d"])) > 3 {
		t.Errorf("values past the limit were expanded: c=%v d=%v", jd["c"], jd["d"])
	}
	if reads > 3 {
		t.Errorf("%d files read; the first past the limit stops the reading", reads)
	}
	if (Limits{}).withDefaults().ExpandedBytes != MaxExpandedBytes || MaxExpandedBytes < 16*MaxSecretFileBytes {
		t.Errorf("default expansion limit %d: it must hold several CA bundles of %d bytes", MaxExpandedBytes, MaxSecretFileBytes)
	}
}

// TestGeneratedDatasourceLimit: CloudWatch templates times accounts are
// bounded: 100 templates of 6 lines and 5,000 accounts (330 KB) made
// 500,000 datasources (19 s, 820 MB), and the two 10 MiB files allowed
// would make billions. The template past the limit is an error at its
// grafsyncAccounts and expands to nothing, as do later ones.
func TestGeneratedDatasourceLimit(t *testing.T) {
	second := strings.NewReplacer("CloudWatch {{name}}", "CW2 {{name}}", "cw-{{name}}", "cw2-{{name}}").Replace(cwTemplate)
	third := strings.NewReplacer("CloudWatch {{name}}", "CW3 {{name}}", "cw-{{name}}", "cw3-{{name}}").Replace(cwTemplate)
	files := map[string]string{"dashboards/a.json": okDash, "roles/accounts.yaml": accountsYAML,
		"datasources/a.yaml": cwTemplate, "datasources/b.yaml": second, "datasources/c.yaml": third}
	st, problems := Load(mapFS(files), Options{Limits: Limits{GeneratedDatasources: 3}})
	want := []string{"datasources/b.yaml:8:25: datasources[0].jsonData.grafsyncAccounts: CloudWatch templates expand to more than 3 datasources in this repository (this one to 2)"}
	if diff := cmp.Diff(want, shorts(problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if n := len(st.Orgs[0].Datasources); n != 2 {
		t.Errorf("%d datasources; want the 2 of the first template only", n)
	}
	if (Limits{}).withDefaults().GeneratedDatasources != MaxGeneratedDatasources || MaxGeneratedDatasources < 1000 {
		t.Errorf("default limit %d: an AWS organisation may hold hundreds of accounts", MaxGeneratedDatasources)
	}
}

// TestInputSubstitutionLimit: substituting a dashboard's __inputs may not
// make it larger than a file grafsync reads: a 1 MB constant referenced 300
// times in a 1 MB file held 2.2 GB, and a 10 MiB file could ask for
// terabytes. The substitution is measured before it is made.
func TestInputSubstitutionLimit(t *testing.T) {
	dash := func(refs int) string {
		return `{"__inputs": [{"name": "C", "type": "constant", "value": "` + strings.Repeat("v", 100) + `"}], "uid": "d", "title": "D", "panels": [], "x": [` +
			strings.TrimSuffix(strings.Repeat(`"${C}",`, refs), ",") + `]}`
	}
	for _, tt := range []struct {
		refs int
		want []string
	}{
		{refs: 5},
		{refs: 30, want: []string{"dashboards/a.json:1:14: __inputs: substituting the inputs makes the dashboard larger than the 2000 bytes grafsync reads from one file"}},
	} {
		st, problems := Load(mapFS(map[string]string{"dashboards/a.json": dash(tt.refs)}), Options{Limits: Limits{FileBytes: 2000}})
		if diff := cmp.Diff(tt.want, shortsOrNil(problems)); diff != "" {
			t.Errorf("%d references: problems (-want +got):\n%s", tt.refs, diff)
		}
		if tt.want != nil && len(st.Orgs[0].Dashboards) > 0 && strings.Contains(string(st.Orgs[0].Dashboards[0].JSON), "vvvv") {
			t.Errorf("%d references: substituted past the limit", tt.refs)
		}
	}
}

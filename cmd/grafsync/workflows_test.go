package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
	"mvdan.cc/sh/v3/syntax"
)

// repoRoot is grafsync's repository root, relative to this package.
const repoRoot = "../.."

// workflowFiles are the files actionlint checks, relative to repoRoot: the
// project's workflows and the examples for users (which actionlint does not
// find by itself because they live outside .github/workflows).
func workflowFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{".github/workflows/*.yml", ".github/examples/*.yml"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			rel, err := filepath.Rel(repoRoot, f)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, filepath.ToSlash(rel))
		}
	}
	for _, want := range []string{".github/workflows/ci.yml", ".github/examples/grafsync-plan.yml", ".github/examples/grafsync-drift.yml", ".github/examples/grafsync-apply.yml"} {
		if !slices.Contains(files, want) {
			t.Fatalf("%s is missing; found %v", want, files)
		}
	}
	return files
}

// TestActionlint lints every workflow with actionlint (a Go tool dependency
// in go.mod). actionlint also checks the composite action's inputs where a
// workflow uses it by path, and runs shellcheck over run: scripts when
// shellcheck is installed (as on GitHub's runners).
func TestActionlint(t *testing.T) {
	args := append([]string{"tool", "actionlint", "-no-color", "-pyflakes="}, workflowFiles(t)...)
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// invocation is one grafsync command line found in a workflow or action.
type invocation struct {
	where string   // file:line
	args  []string // the words after "grafsync"; run-time values read "0"
	// opaque is set when the arguments are only known at run time
	// ("${args[@]}"); such a line is not checked.
	opaque bool
}

// dynamic stands for a value known only at run time ($VAR, ${{ expr }}, $(cmd)).
// It is valid for every flag type grafsync has (string, int, bool, duration).
const dynamic = "0"

var ghExpr = regexp.MustCompile(`\$\{\{.*?\}\}`)

// shellInvocations returns the grafsync invocations of a run: script: every
// simple command whose program's base name is grafsync, including those in
// pipelines, conditions and command substitutions. Line continuations are
// the shell's; GitHub expressions are replaced by a run-time value.
func shellInvocations(script, file string, firstLine int) ([]invocation, error) {
	src := ghExpr.ReplaceAllString(script, dynamic)
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), file)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: run script does not parse: %w", file, firstLine, err)
	}
	var out []invocation
	syntax.Walk(f, func(n syntax.Node) bool {
		call, ok := n.(*syntax.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		prog, _ := wordValue(call.Args[0])
		if filepath.Base(prog) != "grafsync" {
			return true
		}
		inv := invocation{where: fmt.Sprintf("%s:%d", file, firstLine+int(call.Pos().Line())-1)}
		for _, w := range call.Args[1:] {
			v, opaque := wordValue(w)
			inv.args = append(inv.args, v)
			inv.opaque = inv.opaque || opaque
		}
		out = append(out, inv)
		return true
	})
	return out, nil
}

// wordValue is a shell word's value with run-time parts read as dynamic;
// opaque reports a part that may expand to any number of words.
func wordValue(w *syntax.Word) (val string, opaque bool) {
	var b strings.Builder
	var walk func(parts []syntax.WordPart, quoted bool)
	walk = func(parts []syntax.WordPart, quoted bool) {
		for _, p := range parts {
			switch p := p.(type) {
			case *syntax.Lit:
				b.WriteString(p.Value)
			case *syntax.SglQuoted:
				b.WriteString(p.Value)
			case *syntax.DblQuoted:
				walk(p.Parts, true)
			case *syntax.ParamExp:
				if !quoted || p.Param.Value == "@" || p.Param.Value == "*" || isAllIndex(p.Index) {
					opaque = true
				}
				b.WriteString(dynamic)
			default: // command substitution, arithmetic, ...
				if !quoted {
					opaque = true
				}
				b.WriteString(dynamic)
			}
		}
	}
	walk(w.Parts, false)
	return b.String(), opaque
}

func isAllIndex(idx syntax.ArithmExpr) bool {
	w, ok := idx.(*syntax.Word)
	if !ok {
		return false
	}
	v := w.Lit()
	return v == "@" || v == "*"
}

// repoFlagCommands are the commands the action gives --repo (action.yml).
var repoFlagCommands = []string{"validate", "roles", "plan", "apply", "check"}

// actionInvocation is the command a step runs through the grafsync action:
// its command input split on whitespace, as the action does, plus --repo.
func actionInvocation(command, where string) invocation {
	args := strings.Fields(ghExpr.ReplaceAllString(command, dynamic))
	if len(args) > 0 && slices.Contains(repoFlagCommands, args[0]) {
		args = append(args, "--repo", dynamic)
	}
	return invocation{where: where, args: args}
}

// fileInvocations walks a workflow or action file and returns its grafsync
// invocations, from run: scripts and from steps that use the grafsync
// action. It reports a with: key the action has no input for.
func fileInvocations(t *testing.T, file string, inputs []string) []invocation {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, file))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var out []invocation
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			var uses string
			var with *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				switch {
				case k.Value == "run" && v.Kind == yaml.ScalarNode:
					first := v.Line
					if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
						first++
					}
					invs, err := shellInvocations(v.Value, file, first)
					if err != nil {
						t.Error(err)
					}
					out = append(out, invs...)
				case k.Value == "uses" && v.Kind == yaml.ScalarNode:
					uses = v.Value
				case k.Value == "with" && v.Kind == yaml.MappingNode:
					with = v
				}
			}
			if strings.Contains(uses, ".github/actions/grafsync") && with != nil {
				for i := 0; i+1 < len(with.Content); i += 2 {
					k, v := with.Content[i], with.Content[i+1]
					if !slices.Contains(inputs, k.Value) {
						t.Errorf("%s:%d: the grafsync action has no input %q (inputs: %v)", file, k.Line, k.Value, inputs)
					}
					if k.Value == "command" && v.Value != "" {
						out = append(out, actionInvocation(v.Value, fmt.Sprintf("%s:%d", file, v.Line)))
					}
				}
			}
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	visit(&doc)
	return out
}

// actionInputs reads the grafsync action's input names.
func actionInputs(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, actionFile))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("%s: %v", actionFile, err)
	}
	var names []string
	for n := range a.Inputs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

const actionFile = ".github/actions/grafsync/action.yml"

// checkInvocation reports a command, flag, flag value or argument count that
// grafsync's real command tree rejects.
func checkInvocation(args []string) error {
	root := newRootCmd(strings.NewReader(""), io.Discard, io.Discard)
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if cmd == root {
		return fmt.Errorf("no grafsync command in %q", args)
	}
	cmd.InitDefaultHelpFlag()
	for _, a := range rest {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "--") && cmd.Flags().Lookup(name) == nil {
			return fmt.Errorf("grafsync %s has no flag --%s", cmd.Name(), name)
		}
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return fmt.Errorf("grafsync %s: %w", cmd.Name(), err)
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return fmt.Errorf("grafsync %s: %w", cmd.Name(), err)
	}
	return nil
}

// TestWorkflowsUseRealCommands checks every grafsync command line in the
// workflows, the examples and the action against the real command tree, and
// that the examples run what docs/ci.md says they run.
func TestWorkflowsUseRealCommands(t *testing.T) {
	inputs := actionInputs(t)
	found := map[string][]string{} // file -> "command flags..." as written
	for _, file := range append(workflowFiles(t), actionFile) {
		for _, inv := range fileInvocations(t, file, inputs) {
			if inv.opaque {
				// Only the action runs a command given at run time; the
				// commands it is given are checked where they are given.
				if file != actionFile {
					t.Errorf("%s: grafsync arguments are known only at run time; write them out so this test can check them", inv.where)
				}
				continue
			}
			if err := checkInvocation(inv.args); err != nil {
				t.Errorf("%s: %v", inv.where, err)
			}
			found[file] = append(found[file], strings.Join(inv.args, " "))
		}
	}
	for file, wants := range map[string][]string{
		".github/examples/grafsync-plan.yml":  {"validate", "roles --check", "plan --format markdown --repo 0"},
		".github/examples/grafsync-drift.yml": {"plan --detailed-exitcode --format markdown --repo 0", "check --repo 0"},
		".github/examples/grafsync-apply.yml": {"apply --check-datasources --repo 0"},
		".github/workflows/ci.yml":            {"validate", "roles --check", "sandbox --listen 127.0.0.1:3000 --token=ci-sandbox-token --aws-roles roles/generated", "apply --check-datasources"},
	} {
		for _, w := range wants {
			if !slices.Contains(found[file], w) {
				t.Errorf("%s does not run grafsync %s; it runs %q", file, w, found[file])
			}
		}
	}
}

func TestShellInvocations(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		want         []invocation
	}{
		{"plain", "grafsync validate\n", []invocation{{where: "f:1", args: []string{"validate"}}}},
		{"continuation and expression", "set -e\ngrafsync plan \\\n  --format markdown \\\n  --grafana-url ${{ vars.GRAFANA_URL }} > out.md\n",
			[]invocation{{where: "f:2", args: []string{"plan", "--format", "markdown", "--grafana-url", "0"}}}},
		{"path, env, substitution", `out=$(FOO=1 "$RUNNER_TEMP/bin/grafsync" plan --out "$RUNNER_TEMP/p") || exit 1`,
			[]invocation{{where: "f:1", args: []string{"plan", "--out", "0/p"}}}},
		{"in a condition", "if ! ./grafsync roles --check; then echo stale; fi",
			[]invocation{{where: "f:1", args: []string{"roles", "--check"}}}},
		{"opaque array", `grafsync "${args[@]}"`, []invocation{{where: "f:1", args: []string{"0"}, opaque: true}}},
		{"opaque unquoted", `grafsync $ARGS`, []invocation{{where: "f:1", args: []string{"0"}, opaque: true}}},
		{"not grafsync", "go build -o bin/grafsync ./cmd/grafsync\necho grafsync plan", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := shellInvocations(tc.script, "f", 1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(invocation{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckInvocation(t *testing.T) {
	for _, tc := range []struct {
		args    string
		wantErr string // "" = valid
	}{
		{"validate", ""},
		{"roles --check --format=json", ""},
		{"plan --detailed-exitcode --format markdown --grafana-url 0", ""},
		{"apply --prune --max-deletions 3 plan.bin", ""},
		{"plan --formt markdown", "grafsync plan has no flag --formt"},
		{"plna", `unknown command "plna" for "grafsync"`},
		{"plan extra", `grafsync plan: unknown command "extra" for "grafsync plan"`},
		{"apply --max-deletions many", `grafsync apply: invalid argument "many" for "--max-deletions" flag: strconv.ParseInt: parsing "many": invalid syntax`},
		{"validate --check", "grafsync validate has no flag --check"},
		{"", `no grafsync command in []`},
	} {
		t.Run(tc.args, func(t *testing.T) {
			err := checkInvocation(strings.Fields(tc.args))
			got := ""
			if err != nil {
				got, _, _ = strings.Cut(err.Error(), "\n") // cobra adds suggestions below
			}
			if diff := cmp.Diff(tc.wantErr, got); diff != "" {
				t.Errorf("grafsync %s (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// actionStep returns the run: script of the action's step with the given id.
func actionStep(t *testing.T, id string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, actionFile))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Runs struct {
			Steps []struct {
				ID  string `yaml:"id"`
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("%s: %v", actionFile, err)
	}
	for _, s := range a.Runs.Steps {
		if s.ID == id {
			return s.Run
		}
	}
	t.Fatalf("%s has no step %q", actionFile, id)
	return ""
}

// The action's run step, run by bash as a runner would, with this package's
// grafsync: inputs come only from the environment, the token is masked and
// printed nowhere else, outputs are written, allow-exit-codes decides.
func TestActionRunStep(t *testing.T) {
	script := actionStep(t, "run")
	if strings.Contains(script, "${{") {
		t.Fatalf("the run step splices an expression into the script; pass inputs as env instead:\n%s", script)
	}
	prog, err := exec.LookPath("grafsync")
	if err != nil {
		t.Fatal(err)
	}
	repo, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	const token = "glsa_not-a-real-token-7f3a"
	for _, tc := range []struct {
		name, command, allow string
		wantStatus           int
		wantOutputs          string // exit-code line of GITHUB_OUTPUT
		wantStdout           string // in the step's output
		wantOutFile          string // in the stdout-file output
	}{
		{"drift allowed", "plan --sandbox\n  --detailed-exitcode --format markdown", "0 2", 0, "exit-code=2", "<!-- grafsync-plan -->", "**Plan: 24 to create, 2 to update"},
		{"drift fails", "plan --sandbox --detailed-exitcode", "0", 2, "exit-code=2", "::error title=grafsync plan::grafsync plan exited with status 2", "Plan: 24 to create, 2 to update"},
		{"validate", "validate", "0", 0, "exit-code=0", "0 errors, 2 warnings", "0 errors, 2 warnings"},
		{"error", "plan --no-such-flag", "0 2", 1, "exit-code=1", "exited with status 1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			if err := os.MkdirAll(filepath.Join(tmp, "grafsync-bin"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(prog, filepath.Join(tmp, "grafsync-bin", "grafsync")); err != nil {
				t.Fatal(err)
			}
			outputs := filepath.Join(tmp, "github-output")
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
			cmd.Dir = repo
			cmd.Env = append(os.Environ(),
				"RUNNER_TEMP="+tmp, "GITHUB_OUTPUT="+outputs,
				"INPUT_COMMAND="+tc.command, "INPUT_GRAFANA_URL=", "INPUT_GRAFANA_TOKEN="+token,
				"INPUT_REPO="+repo, "INPUT_ALLOW_EXIT_CODES="+tc.allow, "GRAFANA_TOKEN=", "GRAFANA_PASSWORD=", "LOKI_PASSWORD=")
			out, _ := cmd.CombinedOutput()
			if got := cmd.ProcessState.ExitCode(); got != tc.wantStatus {
				t.Errorf("step exit status %d, want %d; output:\n%s", got, tc.wantStatus, out)
			}
			if n := strings.Count(string(out), token); n != 1 || !strings.Contains(string(out), "::add-mask::"+token+"\n") {
				t.Errorf("the token appears %d times, want once, in ::add-mask:: only:\n%s", n, out)
			}
			if !strings.Contains(string(out), tc.wantStdout) {
				t.Errorf("output lacks %q:\n%s", tc.wantStdout, out)
			}
			kv, err := os.ReadFile(outputs)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(kv)), "\n")
			if len(lines) != 2 || lines[0] != tc.wantOutputs || !strings.HasPrefix(lines[1], "stdout-file="+tmp+"/") {
				t.Fatalf("GITHUB_OUTPUT:\n%s\nwant %s and stdout-file=%s/...", kv, tc.wantOutputs, tmp)
			}
			file, err := os.ReadFile(strings.TrimPrefix(lines[1], "stdout-file="))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(file), tc.wantOutFile) || strings.Contains(string(file), token) {
				t.Errorf("stdout-file lacks %q or holds the token:\n%s", tc.wantOutFile, file)
			}
		})
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runRolesCLI runs grafsync roles with args and returns exit code, stdout, stderr.
func runRolesCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"roles"}, args...), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestRolesCheckRepo keeps the committed example current: the repository's
// own roles/generated/ must be what grafsync roles writes.
func TestRolesCheckRepo(t *testing.T) {
	code, stdout, stderr := runRolesCLI(t, "--repo", "../..", "--check")
	if code != 0 {
		t.Fatalf("grafsync roles --check on the repository: exit %d\n%s%s(run go run ./cmd/grafsync roles and commit roles/generated/)", code, stdout, stderr)
	}
}

const exampleAccounts = `grafana:
  accountId: "999999999999"
  taskRoleArn: arn:aws:iam::999999999999:role/grafana-task
accounts:
  - {id: "111111111111", name: prod, regions: [eu-west-1, us-east-1]}
  - {id: "222222222222", name: staging, regions: [eu-west-1]}
`

func writeRepo(t *testing.T, dir, accounts string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "roles"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "roles", "accounts.yaml"), []byte(accounts), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot returns every file under dir/roles/generated, path -> content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(dir, "roles", "generated")
	if _, err := os.Stat(root); os.IsNotExist(err) {
		return out
	}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRolesWriteCheckRemove(t *testing.T) {
	dir := t.TempDir()
	writeRepo(t, dir, exampleAccounts)

	code, _, stderr := runRolesCLI(t, "--repo", dir, "--check")
	if code != 1 || !strings.Contains(stderr, "roles/generated/json/prod-trust.json: missing\n") {
		t.Errorf("--check before generating: exit %d, stderr:\n%s", code, stderr)
	}
	if len(snapshot(t, dir)) != 0 {
		t.Errorf("--check wrote files")
	}

	code, stdout, stderr := runRolesCLI(t, "--repo", dir)
	if code != 0 {
		t.Fatalf("roles: exit %d\n%s%s", code, stdout, stderr)
	}
	if want := "roles: 2 roles for 2 accounts; 11 files written, 0 removed, 0 unchanged\n"; stdout != want {
		t.Errorf("summary mismatch (-want +got):\n%s", cmp.Diff(want, stdout))
	}
	first := snapshot(t, dir)
	var paths []string
	for p := range first {
		paths = append(paths, p)
	}
	if len(first) != 11 {
		t.Errorf("wrote %d files, want 11: %v", len(first), paths)
	}

	// Running again changes nothing, byte for byte.
	code, stdout, _ = runRolesCLI(t, "--repo", dir)
	if code != 0 || stdout != "roles: 2 roles for 2 accounts; 0 files written, 0 removed, 11 unchanged\n" {
		t.Errorf("second run: exit %d, stdout %q", code, stdout)
	}
	if diff := cmp.Diff(first, snapshot(t, dir)); diff != "" {
		t.Errorf("second run changed files (-want +got):\n%s", diff)
	}
	if code, stdout, _ := runRolesCLI(t, "--repo", dir, "--check"); code != 0 || stdout != "roles: 11 generated files are current\n" {
		t.Errorf("--check after generating: exit %d, stdout %q", code, stdout)
	}

	// A hand edit and a stray file are reported by --check and undone by a run.
	gen := filepath.Join(dir, "roles", "generated")
	if err := os.WriteFile(filepath.Join(gen, "terraform", "account-prod.tf"), []byte("# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gen, "json", "old-trust.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gen, "terraform", "README.md"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runRolesCLI(t, "--repo", dir, "--check")
	wantErr := "roles/generated/terraform/account-prod.tf: stale\n" +
		"roles/generated/json/old-trust.json: extra\n" +
		"run grafsync roles and commit roles/generated/\n"
	if code != 1 || stderr != wantErr {
		t.Errorf("--check after edits: exit %d, stderr mismatch (-want +got):\n%s", code, cmp.Diff(wantErr, stderr))
	}
	// --format restricts what is checked.
	if code, _, stderr := runRolesCLI(t, "--repo", dir, "--check", "--format", "cloudformation"); code != 0 {
		t.Errorf("--check --format cloudformation: exit %d\n%s", code, stderr)
	}
	code, stdout, _ = runRolesCLI(t, "--repo", dir)
	if code != 0 || stdout != "roles: 2 roles for 2 accounts; 1 files written, 1 removed, 10 unchanged\n" {
		t.Errorf("repair run: exit %d, stdout %q", code, stdout)
	}
	after := snapshot(t, dir)
	if after["terraform/README.md"] != "mine\n" {
		t.Errorf("a file grafsync does not own was removed")
	}
	delete(after, "terraform/README.md")
	if diff := cmp.Diff(first, after); diff != "" {
		t.Errorf("repair run did not restore the files (-want +got):\n%s", diff)
	}

	// Removing an account removes its files.
	writeRepo(t, dir, strings.Replace(exampleAccounts, "  - {id: \"222222222222\", name: staging, regions: [eu-west-1]}\n", "", 1))
	code, stdout, _ = runRolesCLI(t, "--repo", dir)
	if code != 0 || stdout != "roles: 1 roles for 1 accounts; 5 files written, 3 removed, 3 unchanged\n" {
		t.Errorf("after removing staging: exit %d, stdout %q", code, stdout)
	}
	for p := range snapshot(t, dir) {
		if strings.Contains(p, "staging") {
			t.Errorf("%s left behind after staging was removed", p)
		}
	}
}

func TestRolesInvalidAccounts(t *testing.T) {
	dir := t.TempDir()
	writeRepo(t, dir, strings.Replace(exampleAccounts, `"222222222222"`, `"2222"`, 1))
	code, stdout, stderr := runRolesCLI(t, "--repo", dir)
	want := "roles/accounts.yaml:6:10: account id \"2222\" is not 12 digits\n" +
		"\thint: AWS account ids are exactly 12 digits, no hyphens; quote ids with leading zeros\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr mismatch (-want +got):\n%s", code, stdout, cmp.Diff(want, stderr))
	}
	if len(snapshot(t, dir)) != 0 {
		t.Errorf("files written for an invalid accounts file")
	}
}

func TestRolesBadFormat(t *testing.T) {
	code, _, stderr := runRolesCLI(t, "--repo", t.TempDir(), "--format", "pulumi")
	if code != 1 || !strings.Contains(stderr, `unknown --format "pulumi"`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestRolesWarningsDoNotFail(t *testing.T) {
	dir := t.TempDir()
	writeRepo(t, dir, exampleAccounts+"defaults: {maxSessionDuration: 7200}\n")
	code, stdout, stderr := runRolesCLI(t, "--repo", dir, "--format", "json")
	wantErr := "roles/accounts.yaml:7:32: warning: maxSessionDuration 7200 above 3600 has no effect for Grafana\n" +
		"\thint: Grafana's task role credentials assume the role by role chaining, which AWS caps at 1 hour; 3600 is enough\n"
	if code != 0 || stderr != wantErr {
		t.Errorf("exit %d, stderr mismatch (-want +got):\n%s", code, cmp.Diff(wantErr, stderr))
	}
	if want := "roles: 2 roles for 2 accounts; 5 files written, 0 removed, 0 unchanged\n"; stdout != want {
		t.Errorf("summary mismatch (-want +got):\n%s", cmp.Diff(want, stdout))
	}
}

package iam

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/accounts"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

func loadSet(t *testing.T, src string) (*accounts.Config, *Set) {
	t.Helper()
	cfg, problems := accounts.Parse("roles/accounts.yaml", []byte(src))
	if problems.HasErrors() {
		t.Fatalf("parse: %v", problems)
	}
	set, problems := Build(cfg)
	if len(problems) > 0 {
		t.Fatalf("build: %v", problems)
	}
	return cfg, set
}

func testdataSet(t *testing.T) (*accounts.Config, *Set) {
	t.Helper()
	src, err := os.ReadFile("testdata/accounts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return loadSet(t, string(src))
}

func TestGolden(t *testing.T) {
	_, set := testdataSet(t)
	files, err := Render(set, Formats())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "golden")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			p := filepath.Join(dir, filepath.FromSlash(f.Path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var onDisk []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			onDisk = append(onDisk, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var rendered []string
	for _, f := range files {
		rendered = append(rendered, f.Path)
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("%s: %v (run go test -update)", f.Path, err)
			continue
		}
		if diff := cmp.Diff(string(want), string(f.Data)); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", f.Path, diff)
		}
	}
	if diff := cmp.Diff(onDisk, rendered); diff != "" {
		t.Errorf("golden file set mismatch (-want +got):\n%s", diff)
	}
}

func TestRenderDeterministic(t *testing.T) {
	_, set := testdataSet(t)
	first, err := Render(set, Formats())
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		_, again := testdataSet(t)
		got, err := Render(again, Formats())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, got); diff != "" {
			t.Fatalf("second render differs (-want +got):\n%s", diff)
		}
	}
}

// TestRolesDatasourcesAgree is the property the design rests on: every
// assume-role account has exactly one trust policy; every trust policy's role
// is named by the task-role policy and used by exactly one expanded datasource
// with the same external id.
func TestRolesDatasourcesAgree(t *testing.T) {
	cfg, set := testdataSet(t)
	files, err := Render(set, []Format{JSON})
	if err != nil {
		t.Fatal(err)
	}
	dss, problems := accounts.Expand(cfg, accounts.DatasourceTemplate{})
	if len(problems) > 0 {
		t.Fatalf("expand: %v", problems)
	}
	if problems := accounts.CheckDatasources(cfg, dss, nil); len(problems) > 0 {
		t.Errorf("generated datasources disagree with roles: %v", problems)
	}
	taskResources := set.TaskRoleAssume.Statement[0].Resource
	for _, a := range cfg.AssumeRoleAccounts() {
		var trusts []File
		for _, f := range files {
			if f.Path == "json/"+a.Name+"-trust.json" {
				trusts = append(trusts, f)
			}
		}
		if len(trusts) != 1 {
			t.Errorf("account %s has %d trust policy files, want 1", a.Name, len(trusts))
			continue
		}
		doc, err := ParseJSON(trusts[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		ext := doc.Statement[0].Condition["StringEquals"]["sts:ExternalId"]
		arn := a.RoleARN(cfg.Grafana.Partition)
		if n := count(taskResources, arn); n != 1 {
			t.Errorf("task-role policy names %s %d times, want 1", arn, n)
		}
		var users []accounts.Datasource
		for _, ds := range dss {
			if ds.JSONData["assumeRoleArn"] == arn {
				users = append(users, ds)
			}
		}
		if len(users) != 1 {
			t.Errorf("role %s is used by %d datasources, want 1", arn, len(users))
			continue
		}
		if got := users[0].JSONData["externalId"]; len(ext) != 1 || got != ext[0] {
			t.Errorf("datasource %s externalId differs from the trust policy of %s", users[0].UID, a.Name)
		}
	}
	if got, want := len(taskResources), len(cfg.AssumeRoleAccounts()); got != want {
		t.Errorf("task-role policy names %d roles, want %d", got, want)
	}
}

func count(l []string, s string) int {
	n := 0
	for _, x := range l {
		if x == s {
			n++
		}
	}
	return n
}

func TestJSONRoundTrip(t *testing.T) {
	_, set := testdataSet(t)
	for _, f := range RenderJSON(set) {
		var generic map[string]any
		if err := json.Unmarshal(f.Data, &generic); err != nil {
			t.Errorf("%s: not JSON: %v", f.Path, err)
			continue
		}
		doc, err := ParseJSON(f.Data)
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		if got := doc.JSON(); string(got) != string(f.Data) {
			t.Errorf("%s does not round-trip (-want +got):\n%s", f.Path, cmp.Diff(string(f.Data), string(got)))
		}
		if !strings.HasSuffix(string(f.Data), "}\n") {
			t.Errorf("%s does not end in a newline", f.Path)
		}
	}
}

func TestTerraformParses(t *testing.T) {
	_, set := testdataSet(t)
	files, err := RenderTerraform(set)
	if err != nil {
		t.Fatal(err)
	}
	p := hclparse.NewParser()
	var got []string
	for _, f := range files {
		if !strings.HasPrefix(string(f.Data), "# Code generated by grafsync roles from roles/accounts.yaml; DO NOT EDIT.\n") {
			t.Errorf("%s has no generated header", f.Path)
		}
		file, diags := p.ParseHCL(f.Data, f.Path)
		if diags.HasErrors() {
			t.Errorf("%s: %v", f.Path, diags)
			continue
		}
		content, _, diags := file.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
			{Type: "resource", LabelNames: []string{"type", "name"}},
			{Type: "terraform"},
		}})
		if diags.HasErrors() {
			t.Errorf("%s: %v", f.Path, diags)
		}
		for _, b := range content.Blocks {
			got = append(got, strings.Join(append([]string{b.Type}, b.Labels...), "."))
		}
	}
	slices.Sort(got)
	want := []string{
		"resource.aws_iam_role.observability", "resource.aws_iam_role.prod", "resource.aws_iam_role.staging",
		"resource.aws_iam_role_policy.grafana_task_role",
		"resource.aws_iam_role_policy.observability", "resource.aws_iam_role_policy.prod", "resource.aws_iam_role_policy.staging",
		"terraform",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("blocks mismatch (-want +got):\n%s", diff)
	}
}

// TestTerraformEscapesInterpolation: a literal "${" (legal in role paths and
// IAM policy variables) must not become a Terraform interpolation.
func TestTerraformEscapesInterpolation(t *testing.T) {
	_, set := loadSet(t, `grafana: {accountId: "999999999999", taskRoleArn: "arn:aws:iam::999999999999:role/grafana-task"}
defaults: {rolePath: "/team-${x}/"}
accounts: [{id: "111111111111", name: prod, regions: [eu-west-1]}]
`)
	files, err := RenderTerraform(set)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path != "terraform/account-prod.tf" {
			continue
		}
		file, diags := hclparse.NewParser().ParseHCL(f.Data, f.Path)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		content, _, _ := file.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "resource", LabelNames: []string{"type", "name"}}}})
		attrs, _ := content.Blocks[0].Body.JustAttributes()
		v, diags := attrs["path"].Expr.Value(nil)
		if diags.HasErrors() {
			t.Fatalf("path is not a literal: %v", diags)
		}
		if got := v.AsString(); got != "/team-${x}/" {
			t.Errorf("path = %q, want %q", got, "/team-${x}/")
		}
		return
	}
	t.Fatal("no terraform/account-prod.tf")
}

func TestCloudFormationParses(t *testing.T) {
	cfg, set := testdataSet(t)
	files, err := RenderCloudFormation(set)
	if err != nil {
		t.Fatal(err)
	}
	type template struct {
		AWSTemplateFormatVersion string                               `yaml:"AWSTemplateFormatVersion"`
		Mappings                 map[string]map[string]map[string]any `yaml:"Mappings"`
		Resources                map[string]struct {
			Type       string         `yaml:"Type"`
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	got := map[string][]string{}
	var member template
	for _, f := range files {
		if !strings.HasPrefix(string(f.Data), "# Code generated by grafsync roles") {
			t.Errorf("%s has no generated header", f.Path)
		}
		var tmpl template
		if err := yaml.Unmarshal(f.Data, &tmpl); err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		if tmpl.AWSTemplateFormatVersion != "2010-09-09" {
			t.Errorf("%s: AWSTemplateFormatVersion %q", f.Path, tmpl.AWSTemplateFormatVersion)
		}
		for name, r := range tmpl.Resources {
			got[f.Path] = append(got[f.Path], name+":"+r.Type)
		}
		if f.Path == "cloudformation/member-roles.yaml" {
			member = tmpl
		}
	}
	want := map[string][]string{
		"cloudformation/grafana-task-role.yaml": {"GrafanaAssumeCloudWatchRoles:AWS::IAM::RolePolicy"},
		"cloudformation/member-roles.yaml":      {"GrafanaCloudWatchRole:AWS::IAM::Role"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resources mismatch (-want +got):\n%s", diff)
	}
	var ids []string
	for id, m := range member.Mappings["Accounts"] {
		ids = append(ids, id)
		a, _ := cfg.Account(m["Name"].(string))
		if m["ExternalId"] != a.ExternalID {
			t.Errorf("mapping for %s has another external id than account %s", id, a.Name)
		}
	}
	slices.Sort(ids)
	if diff := cmp.Diff([]string{"111111111111", "222222222222", "333333333333"}, ids); diff != "" {
		t.Errorf("mapped accounts mismatch (-want +got):\n%s", diff)
	}
}

func TestBuildQuotas(t *testing.T) {
	longPath := "/" + strings.Repeat("p", 510) + "/"
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"trust policy over 2048",
			"grafana: {accountId: \"999999999999\", taskRoleArn: \"arn:aws:iam::999999999999:role" + longPath + strings.Repeat("g", 64) + "\"}\n" +
				"accounts: [{id: \"111111111111\", name: prod, regions: [eu-west-1], externalId: " + strings.Repeat("e", 1224) + "}]\n",
			"roles/accounts.yaml:2:12: trust policy of account \"prod\" is 2083 characters, over the quota of 2048\n" +
				"\thint: shorten the externalId or the task role path, or raise defaults.trustPolicyMaxChars (up to 4096) after raising the IAM quota"},
		{"task role policy over 10240", manyAccounts(160),
			"roles/accounts.yaml:1:10: task role policy naming 160 roles is 10530 characters, over the inline quota of 10240\n" +
				"\thint: use the same roleName and rolePath in every account and attach a wildcard policy on arn:aws:iam::*:role/grafana/grafana-cloudwatch-read instead"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, problems := accounts.Parse("roles/accounts.yaml", []byte(tc.yaml))
			if problems.HasErrors() {
				t.Fatal(problems)
			}
			_, problems = Build(cfg)
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if diff := cmp.Diff([]string{tc.want}, got); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func manyAccounts(n int) string {
	var b strings.Builder
	b.WriteString("grafana: {accountId: \"999999999999\", taskRoleArn: \"arn:aws:iam::999999999999:role/grafana-task\"}\naccounts:\n")
	for i := range n {
		id := 100000000000 + i
		b.WriteString("  - {id: \"" + strconv.Itoa(id) + "\", name: a" + strconv.Itoa(i) + ", regions: [eu-west-1]}\n")
	}
	return b.String()
}

// BenchmarkBuildRender measures parse + build + render of all formats for
// 150 accounts (just under the task-role inline policy quota).
func BenchmarkBuildRender(b *testing.B) {
	src := []byte(manyAccounts(150))
	b.ReportAllocs()
	for b.Loop() {
		cfg, problems := accounts.Parse("roles/accounts.yaml", src)
		if problems.HasErrors() {
			b.Fatal(problems)
		}
		set, problems := Build(cfg)
		if len(problems) > 0 {
			b.Fatal(problems)
		}
		if _, err := Render(set, Formats()); err != nil {
			b.Fatal(err)
		}
	}
}

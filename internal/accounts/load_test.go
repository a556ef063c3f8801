package accounts

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/resource"
)

const goodYAML = `grafana:
  accountId: "999999999999"
  taskRoleArn: arn:aws:iam::999999999999:role/grafana-task
permissions: [metrics, logs]
monitoringAccount: observability
accounts:
  - id: "111111111111"
    name: prod
    regions: [eu-west-1, us-east-1]
  - id: 333333333333
    name: observability
    regions: [eu-west-1]
    roleName: cw-read
    rolePath: /
    externalId: obs-external-id
    permissions: [metrics, xray]
  - id: "444444444444"
    name: batch
    mode: oam-linked
    regions: [eu-west-1]
`

func TestParseGood(t *testing.T) {
	cfg, problems := Parse("roles/accounts.yaml", []byte(goodYAML))
	if len(problems) > 0 {
		t.Fatalf("unexpected problems: %v", problems)
	}
	taskRole := "arn:aws:iam::999999999999:role/grafana-task"
	want := &Config{
		File: "roles/accounts.yaml",
		Grafana: Grafana{
			AccountID: "999999999999", TaskRoleARN: taskRole, TaskRoleName: "grafana-task",
			Partition: "aws", AssumePolicyName: DefaultAssumePolicyName, Pos: Pos{2, 3},
		},
		Defaults: Defaults{
			RoleName: DefaultRoleName, RolePath: DefaultRolePath, MaxSessionDuration: 3600,
			PolicyName: DefaultPolicyName, TrustPolicyMaxChars: 2048,
		},
		Permissions:       []Permission{PermMetrics, PermLogs},
		MonitoringAccount: "observability",
		MonitoringPos:     Pos{5, 20},
		Accounts: []Account{
			{
				ID: "111111111111", Name: "prod", Regions: []string{"eu-west-1", "us-east-1"}, Mode: AssumeRole,
				RoleName: DefaultRoleName, RolePath: "/grafana/", MaxSessionDuration: 3600, PolicyName: DefaultPolicyName,
				ExternalID:  GenerateExternalID("999999999999", taskRole, "111111111111"),
				Permissions: []Permission{PermMetrics, PermLogs}, Pos: Pos{7, 5},
			},
			{
				ID: "333333333333", Name: "observability", Regions: []string{"eu-west-1"}, Mode: AssumeRole,
				RoleName: "cw-read", RolePath: "/", MaxSessionDuration: 3600, PolicyName: DefaultPolicyName,
				ExternalID: "obs-external-id", ExternalIDExplicit: true,
				Permissions: []Permission{PermMetrics, PermXRay, PermOAM}, Monitoring: true, Pos: Pos{10, 5},
			},
			{ID: "444444444444", Name: "batch", Regions: []string{"eu-west-1"}, Mode: OAMLinked, Pos: Pos{17, 5}},
		},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
	if got, want := cfg.Accounts[1].RoleARN("aws"), "arn:aws:iam::333333333333:role/cw-read"; got != want {
		t.Errorf("RoleARN = %q, want %q", got, want)
	}
}

func TestGenerateExternalID(t *testing.T) {
	// A fixed value: changing the derivation would break every deployed trust policy.
	const want = "grafsync-5e648ea6275341b6cfdbfe160c30a36c"
	got := GenerateExternalID("999999999999", "arn:aws:iam::999999999999:role/grafana-task", "111111111111")
	if got != want {
		t.Errorf("GenerateExternalID = %q, want %q", got, want)
	}
	if !ValidExternalID(got) {
		t.Errorf("generated external id %q is not a valid ExternalId", got)
	}
	if other := GenerateExternalID("999999999999", "arn:aws:iam::999999999999:role/grafana-task", "222222222222"); other == got {
		t.Errorf("two accounts got the same external id %q", got)
	}
}

// head is a valid grafana section; bad cases append to it.
const head = `grafana:
  accountId: "999999999999"
  taskRoleArn: arn:aws:iam::999999999999:role/grafana-task
`

func TestParseBad(t *testing.T) {
	long := strings.Repeat("x", 1225)
	tests := []struct {
		name      string
		yaml      string
		line, col int
		msg       string // substring of the message
	}{
		{"short account id", head + "accounts:\n  - id: \"12345\"\n    name: prod\n    regions: [eu-west-1]\n", 5, 9, `account id "12345" is not 12 digits`},
		{"account id with hyphens", head + "accounts:\n  - id: 1111-2222-3333\n    name: prod\n    regions: [eu-west-1]\n", 5, 9, "is not 12 digits"},
		{"duplicate id", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: [eu-west-1]}\n  - {id: \"111111111111\", name: b, regions: [eu-west-1]}\n", 6, 10, "duplicate account id 111111111111"},
		{"duplicate name", head + "accounts:\n  - {id: \"111111111111\", name: prod, regions: [eu-west-1]}\n  - {id: \"222222222222\", name: prod, regions: [eu-west-1]}\n", 6, 32, `duplicate account name "prod"`},
		{"bad name", head + "accounts:\n  - {id: \"111111111111\", name: Prod_EU, regions: [eu-west-1]}\n", 5, 32, `invalid account name "Prod_EU"`},
		{"unknown top-level key", head + "acounts: []\n", 4, 1, `unknown key "acounts" in accounts file`},
		{"unknown account key", head + "accounts:\n  - {id: \"111111111111\", name: a, region: eu-west-1}\n", 5, 35, `unknown key "region" in account`},
		{"missing accounts", head, 1, 1, "accounts file has no accounts"},
		{"task role is root", "grafana:\n  accountId: \"999999999999\"\n  taskRoleArn: arn:aws:iam::999999999999:root\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 3, 16, "is an account principal, not a role"},
		{"task role not iam", "grafana:\n  accountId: \"999999999999\"\n  taskRoleArn: arn:aws:sts::999999999999:assumed-role/x/y\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 3, 16, `is for service "sts", not iam`},
		{"task role in other account", "grafana:\n  accountId: \"999999999999\"\n  taskRoleArn: arn:aws:iam::888888888888:role/grafana-task\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 3, 16, "is in account 888888888888, not grafana.accountId 999999999999"},
		{"mixed partition grafana", "grafana:\n  accountId: \"999999999999\"\n  taskRoleArn: arn:aws-cn:iam::999999999999:role/grafana-task\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 3, 16, `is in partition "aws-cn" but grafana.partition is "aws"`},
		{"member region in other partition", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: [eu-west-1, cn-north-1]}\n", 5, 56, "region cn-north-1 is in partition aws-cn, but Grafana is in aws"},
		{"bad region", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: [europe]}\n", 5, 45, `"europe" is not an AWS region code`},
		{"empty regions", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: []}\n", 5, 44, "regions is empty"},
		{"bad role name", head + "defaults:\n  roleName: grafana cloudwatch\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 5, 13, `invalid role name "grafana cloudwatch"`},
		{"role name too long", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: [eu-west-1], roleName: " + strings.Repeat("r", 65) + "}\n", 5, 67, "invalid role name"},
		{"path without trailing slash", head + "defaults:\n  rolePath: /grafana\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 5, 13, `invalid role path "/grafana"`},
		{"external id with space", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: [eu-west-1], externalId: \"a b\"}\n", 5, 69, "invalid externalId (3 characters)"},
		{"external id too long", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: [eu-west-1], externalId: " + long + "}\n", 5, 69, "invalid externalId (1225 characters)"},
		{"external id too short", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: [eu-west-1], externalId: x}\n", 5, 69, "invalid externalId (1 characters)"},
		{"session too long", head + "defaults:\n  maxSessionDuration: 50000\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 5, 23, "maxSessionDuration 50000 is outside 3600-43200"},
		{"session not a number", head + "defaults:\n  maxSessionDuration: 1h\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 5, 23, `defaults.maxSessionDuration must be an integer, got "1h"`},
		{"unknown permission", head + "permissions: [metrics, traces]\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 4, 24, `unknown permission set "traces"`},
		{"bad policy name", head + "defaults:\n  policyName: read/cloudwatch\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 5, 15, `invalid inline policy name "read/cloudwatch"`},
		{"unknown mode", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: [eu-west-1], mode: oam}\n", 5, 63, `unknown mode "oam"`},
		{"oam-linked without monitoring", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: [eu-west-1], mode: oam-linked}\n", 5, 63, `oam-linked account "a" but no monitoringAccount`},
		{"oam-linked with role", head + "monitoringAccount: m\naccounts:\n  - {id: \"111111111111\", name: m, regions: [eu-west-1]}\n  - {id: \"222222222222\", name: a, regions: [eu-west-1], mode: oam-linked, roleName: x}\n", 7, 85, `role setting on oam-linked account "a"`},
		{"monitoring account unknown", head + "monitoringAccount: obs\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 4, 20, `monitoringAccount "obs" is not a listed account`},
		{"repeated key", head + "accounts: []\naccounts: []\n", 5, 1, `key "accounts" repeated`},
		{"grafana not a mapping", "grafana: central\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 1, 10, "grafana must be a mapping"},
		{"trust quota out of range", head + "defaults:\n  trustPolicyMaxChars: 9000\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 5, 24, "outside 2048-4096"},
		{"missing grafana", "accounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 1, 1, "accounts file has no grafana"},
		{"yaml syntax", "grafana: [\n", 1, 1, "invalid YAML"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, problems := Parse("roles/accounts.yaml", []byte(tc.yaml))
			if cfg != nil {
				t.Errorf("got a config, want nil")
			}
			for _, p := range problems {
				if p.Severity == problem.Error && strings.Contains(p.Message, tc.msg) {
					if want := (resource.Pos{File: "roles/accounts.yaml", Line: tc.line, Col: tc.col}); p.Pos != want {
						t.Errorf("problem %q at %s, want %s", p.Message, p.Pos, want)
					}
					if p.Hint == "" {
						t.Errorf("problem %q has no hint", p.Message)
					}
					return
				}
			}
			t.Errorf("no error containing %q; got %v", tc.msg, problems)
		})
	}
}

func TestParseWarnings(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		line, col int
		msg       string
	}{
		{"long session", head + "defaults:\n  maxSessionDuration: 7200\naccounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n", 5, 23, "maxSessionDuration 7200 above 3600 has no effect"},
		{"shared external id", head + "accounts:\n  - {id: \"111111111111\", name: a, regions: [eu-west-1], externalId: same-id}\n  - {id: \"222222222222\", name: b, regions: [eu-west-1], externalId: same-id}\n", 6, 69, `externalId of account "b" repeats the one of account "a"`},
		{"oam region outside monitoring", head + "monitoringAccount: m\naccounts:\n  - {id: \"111111111111\", name: m, regions: [eu-west-1]}\n  - {id: \"222222222222\", name: a, regions: [us-east-1], mode: oam-linked}\n", 7, 45, "region us-east-1 of oam-linked account \"a\" is not a region of monitoring account \"m\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, problems := Parse("roles/accounts.yaml", []byte(tc.yaml))
			if cfg == nil {
				t.Fatalf("warnings must not reject the config; problems: %v", problems)
			}
			want := []string{fmt.Sprintf("roles/accounts.yaml:%d:%d: warning: %s", tc.line, tc.col, tc.msg)}
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], want[0]) {
				t.Errorf("problems mismatch (-want +got):\n%s", cmp.Diff(want, got))
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, problems := Load(fstest.MapFS{}, DefaultFile)
	want := problem.List{{Pos: resource.Pos{File: DefaultFile, Line: 1, Col: 1}, Severity: problem.Error,
		Message: "cannot read accounts file: open roles/accounts.yaml: file does not exist",
		Hint:    "create it; see docs/roles.md for the format"}}
	if diff := cmp.Diff(want, problems); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

func TestParseRoleARN(t *testing.T) {
	tests := []struct {
		in      string
		want    RoleARN
		wantErr string
	}{
		{"arn:aws:iam::111111111111:role/grafana/grafana-cloudwatch-read", RoleARN{"aws", "111111111111", "/grafana/", "grafana-cloudwatch-read"}, ""},
		{"arn:aws-us-gov:iam::111111111111:role/x", RoleARN{"aws-us-gov", "111111111111", "/", "x"}, ""},
		{"arn:aws:iam::111111111111:root", RoleARN{}, "is an account principal, not a role"},
		{"arn:aws:iam::111111111111:user/bob", RoleARN{}, "is not a role"},
		{"arn:aws:iam:eu-west-1:111111111111:role/x", RoleARN{}, "has a region"},
		{"arn:aws:iam::11111111111:role/x", RoleARN{}, "want 12 digits"},
		{"arn:azure:iam::111111111111:role/x", RoleARN{}, "unknown partition"},
		{"role/x", RoleARN{}, "is not an ARN"},
		{"arn:aws:iam::111111111111:role/", RoleARN{}, "invalid role name"},
	}
	for _, tc := range tests {
		got, err := ParseRoleARN(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseRoleARN(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRoleARN(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseRoleARN(%q) mismatch (-want +got):\n%s", tc.in, diff)
		}
		if got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
}

func TestParseAliases(t *testing.T) {
	cfg, problems := Parse("roles/accounts.yaml", []byte(head+`accounts:
  - id: "111111111111"
    name: prod
    regions: &eu [eu-west-1, eu-central-1]
  - id: "222222222222"
    name: staging
    regions: *eu
`))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if diff := cmp.Diff([]string{"eu-west-1", "eu-central-1"}, cfg.Accounts[1].Regions); diff != "" {
		t.Errorf("aliased regions mismatch (-want +got):\n%s", diff)
	}
}

func TestMissingGrafanaIsOneProblem(t *testing.T) {
	_, problems := Parse("roles/accounts.yaml", []byte("accounts: [{id: \"111111111111\", name: a, regions: [eu-west-1]}]\n"))
	var got []string
	for _, p := range problems {
		got = append(got, brief(p))
	}
	want := []string{"roles/accounts.yaml:1:1: accounts file has no grafana"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
}

func TestValidRegion(t *testing.T) {
	for region, want := range map[string]bool{
		"eu-west-1": true, "ap-southeast-5": true, "us-gov-west-1": true, "cn-north-1": true,
		"us-isob-east-1": true, "eu-isoe-west-1": true, "eusc-de-east-1": true,
		"Ireland": false, "eu-west": false, "euw1": false, "eu-west-123": false, "": false,
	} {
		if got := ValidRegion(region); got != want {
			t.Errorf("ValidRegion(%q) = %v, want %v", region, got, want)
		}
	}
}

// TestSovereignCloudRegion: every partition RegionPartition knows has regions
// the region rule accepts.
func TestSovereignCloudRegion(t *testing.T) {
	_, problems := Parse("roles/accounts.yaml", []byte(`grafana:
  accountId: "999999999999"
  taskRoleArn: arn:aws-eusc:iam::999999999999:role/grafana-task
  partition: aws-eusc
accounts:
  - {id: "111111111111", name: a, regions: [eusc-de-east-1]}
`))
	if len(problems) > 0 {
		t.Errorf("problems: %v", problems)
	}
}

package load

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/accounts"
	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/resource"
)

// accountsYAML lists two assume-role accounts: prod (derived external id) at
// roles/accounts.yaml:5:5 and staging (explicit external id) at 8:5.
const accountsYAML = `grafana:
  accountId: "999999999999"
  taskRoleArn: arn:aws:iam::999999999999:role/grafana-task
accounts:
  - id: "111111111111"
    name: prod
    regions: [eu-west-1, us-east-1]
  - id: "222222222222"
    name: staging
    regions: [us-east-1]
    externalId: staging-external-id
`

const (
	prodARN    = "arn:aws:iam::111111111111:role/grafana/grafana-cloudwatch-read"
	stagingARN = "arn:aws:iam::222222222222:role/grafana/grafana-cloudwatch-read"
)

// cwTemplate is a template at datasources/cw.yaml:3:5 with its uid pattern
// at 5:10.
const cwTemplate = `apiVersion: 1
datasources:
  - name: CloudWatch {{name}}
    type: cloudwatch
    uid: cw-{{name}}
    editable: false
    jsonData:
      grafsyncAccounts: all
      logsTimeout: 30m
`

func TestLoadTemplateState(t *testing.T) {
	files := map[string]string{
		accounts.DefaultFile:   accountsYAML,
		"datasources/cw.yaml":  cwTemplate,
		"datasources/obs.yaml": "apiVersion: 1\ndatasources:\n  - {name: Loki, type: loki, uid: loki}\n",
		"dashboards/alb.json": `{"uid": "alb", "title": "ALB", "panels": [
  {"datasource": {"type": "cloudwatch", "uid": "cw-prod"}},
  {"datasource": "CloudWatch staging"}]}`,
	}
	got, problems := Load(mapFS(files), Options{})
	if len(problems) > 0 {
		t.Fatalf("unexpected problems:\n%v", problems)
	}
	tmpl := resource.Pos{File: "datasources/cw.yaml", Line: 3, Col: 5}
	want := &resource.State{Orgs: []*resource.Org{{
		Name: DefaultOrgName, ID: DefaultOrgID, Dir: ".",
		Dashboards: []*resource.Dashboard{{UID: "alb", Title: "ALB", Path: "alb.json", Source: resource.Pos{File: "dashboards/alb.json"}, SourceHash: gitHashObject(t, files["dashboards/alb.json"]),
			JSON: mustJSON(t, map[string]any{"uid": "alb", "title": "ALB", "panels": []any{
				map[string]any{"datasource": map[string]any{"type": "cloudwatch", "uid": "cw-prod"}},
				map[string]any{"datasource": "CloudWatch staging"},
			}})}},
		Datasources: []*resource.Datasource{
			{Name: "CloudWatch prod", Type: "cloudwatch", UID: "cw-prod", EditableSet: true, Source: tmpl, JSONData: map[string]any{
				"authType":      "default",
				"assumeRoleArn": prodARN,
				"externalId":    accounts.GenerateExternalID("999999999999", "arn:aws:iam::999999999999:role/grafana-task", "111111111111"),
				"defaultRegion": "eu-west-1",
				"logsTimeout":   "30m",
			}},
			{Name: "CloudWatch staging", Type: "cloudwatch", UID: "cw-staging", EditableSet: true, Source: tmpl, JSONData: map[string]any{
				"authType":      "default",
				"assumeRoleArn": stagingARN,
				"externalId":    "staging-external-id",
				"defaultRegion": "us-east-1",
				"logsTimeout":   "30m",
			}},
			{Name: "Loki", Type: "loki", UID: "loki", Source: resource.Pos{File: "datasources/obs.yaml", Line: 3, Col: 5}},
		},
	}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	// Generated datasources share nothing mutable.
	got.Orgs[0].Datasources[0].JSONData["logsTimeout"] = "1m"
	if v := got.Orgs[0].Datasources[1].JSONData["logsTimeout"]; v != "30m" {
		t.Errorf("changing one generated datasource changed another: logsTimeout %v", v)
	}
}

// TestTemplateCoversEveryAccount checks, on a larger list with an oam-linked
// account, that each assume-role account gets exactly one datasource that
// assumes its role with its external id, and nothing else is generated.
func TestTemplateCoversEveryAccount(t *testing.T) {
	accountsFile := `grafana:
  accountId: "999999999999"
  taskRoleArn: arn:aws:iam::999999999999:role/grafana-task
monitoringAccount: observability
accounts:
  - {id: "111111111111", name: prod, regions: [eu-west-1]}
  - {id: "222222222222", name: staging, regions: [eu-west-1], roleName: cw, rolePath: /}
  - {id: "333333333333", name: observability, regions: [eu-west-1]}
  - {id: "444444444444", name: batch, mode: oam-linked, regions: [eu-west-1]}
  - {id: "555555555555", name: sandbox, regions: [eu-central-1], externalId: sandbox-ext}
`
	fsys := mapFS(map[string]string{accounts.DefaultFile: accountsFile, "datasources/cw.yaml": cwTemplate})
	st, problems := Load(fsys, Options{})
	if len(problems) > 0 {
		t.Fatalf("unexpected problems:\n%v", problems)
	}
	cfg, _ := accounts.Load(fsys, accounts.DefaultFile)
	want := map[string]string{} // uid -> role ARN + external id of its account
	for _, a := range cfg.AssumeRoleAccounts() {
		want["cw-"+a.Name] = a.RoleARN("aws") + " " + a.ExternalID
	}
	if len(want) != 4 {
		t.Fatalf("fixture has %d assume-role accounts, want 4", len(want))
	}
	got := map[string]string{}
	for _, ds := range st.Orgs[0].Datasources {
		if _, dup := got[ds.UID]; dup {
			t.Errorf("uid %s generated twice", ds.UID)
		}
		got[ds.UID] = ds.JSONData["assumeRoleArn"].(string) + " " + ds.JSONData["externalId"].(string)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("generated datasources (-want +got):\n%s", diff)
	}
}

func TestAccountsProblems(t *testing.T) {
	// hand is a hand-written CloudWatch datasource at datasources/hand.yaml:3:5.
	hand := func(name, uid, arn, ext string) string {
		s := "apiVersion: 1\ndatasources:\n  - name: " + name + "\n    type: cloudwatch\n    uid: " + uid + "\n    jsonData:\n      assumeRoleArn: " + arn + "\n"
		if ext != "" {
			s += "      externalId: " + ext + "\n"
		}
		return s
	}
	prodOnly := strings.Replace(cwTemplate, "all", "[prod]", 1)
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "template without accounts file",
			files: map[string]string{"datasources/cw.yaml": cwTemplate},
			want:  []string{`datasources/cw.yaml:8:25: datasources[0].jsonData.grafsyncAccounts: a CloudWatch template needs roles/accounts.yaml, which does not exist`},
		},
		{
			name: "dashboard reference to a template's datasource without accounts file",
			files: map[string]string{"datasources/cw.yaml": cwTemplate,
				"dashboards/a.json": `{"uid": "a", "title": "A", "panels": [{"datasource": {"uid": "cw-prod"}}]}`},
			want: []string{
				`dashboards/a.json:1:62: panels[0].datasource.uid: no datasource with uid or name "cw-prod" in org "Main Org."`,
				`datasources/cw.yaml:8:25: datasources[0].jsonData.grafsyncAccounts: a CloudWatch template needs roles/accounts.yaml, which does not exist`,
			},
		},
		{
			name:  "unknown account name in the template",
			files: map[string]string{accounts.DefaultFile: accountsYAML, "datasources/cw.yaml": strings.Replace(cwTemplate, "all", "[prod, prd, staging]", 1)},
			// the template expands to nothing, so no account is reported unused
			want: []string{`datasources/cw.yaml:3:5: CloudWatch template names unknown account "prd"`},
		},
		{
			name:  "template of another type",
			files: map[string]string{accounts.DefaultFile: accountsYAML, "datasources/cw.yaml": strings.Replace(cwTemplate, "type: cloudwatch", "type: prometheus", 1)},
			want:  []string{`datasources/cw.yaml:4:11: datasources[0].type: jsonData.grafsyncAccounts makes a CloudWatch template, but the type is "prometheus"`},
		},
		{
			name: "template sets what the accounts file owns",
			files: map[string]string{accounts.DefaultFile: accountsYAML,
				"datasources/cw.yaml": cwTemplate + "      externalId: mine\n"},
			want: []string{`datasources/cw.yaml:3:5: CloudWatch template sets jsonData.externalId`},
		},
		{
			name: "template checked once, not once per account",
			files: map[string]string{accounts.DefaultFile: accountsYAML,
				"datasources/cw.yaml": strings.Replace(cwTemplate, "30m", "30 minutes", 1) + "      tracingDatasourceUid: xray\n"},
			want: []string{
				`datasources/cw.yaml:9:20: datasources[0].jsonData.logsTimeout: "30 minutes" is not a duration`,
				`datasources/cw.yaml:10:29: datasources[0].jsonData.tracingDatasourceUid: no datasource with uid or name "xray" in org "Main Org."`,
			},
		},
		{
			name: "hand-written role ARN of no account",
			files: map[string]string{accounts.DefaultFile: accountsYAML, "datasources/cw.yaml": prodOnly,
				"datasources/hand.yaml": hand("Old", "old", "arn:aws:iam::333333333333:role/grafana/grafana-cloudwatch-read", "x1") +
					"  - {name: Staging, type: cloudwatch, uid: staging, jsonData: {assumeRoleArn: '" + stagingARN + "', externalId: staging-external-id}}\n"},
			want: []string{`datasources/hand.yaml:3:5: datasource Old: assumeRoleArn arn:aws:iam::333333333333:role/grafana/grafana-cloudwatch-read is not a role generated from roles/accounts.yaml`},
		},
		{
			name: "hand-written datasource with the wrong external id",
			files: map[string]string{accounts.DefaultFile: accountsYAML, "datasources/cw.yaml": prodOnly,
				"datasources/hand.yaml": hand("Staging", "staging", stagingARN, "grafsync-222222222222-cw-staging")},
			want: []string{`datasources/hand.yaml:3:5: datasource Staging: externalId differs from the one account "staging"'s trust policy requires`},
		},
		{
			name: "hand-written datasource without external id",
			files: map[string]string{accounts.DefaultFile: accountsYAML, "datasources/cw.yaml": prodOnly,
				"datasources/hand.yaml": hand("Staging", "staging", stagingARN, "")},
			want: []string{`datasources/hand.yaml:3:5: datasource Staging: no externalId, but the trust policy of account "staging" requires one`},
		},
		{
			name:  "account whose role no datasource uses",
			files: map[string]string{accounts.DefaultFile: accountsYAML, "datasources/cw.yaml": prodOnly},
			want:  []string{`roles/accounts.yaml:8:5: account "staging" has a role but no CloudWatch datasource uses it`},
		},
		{
			name:  "accounts file and no CloudWatch datasource",
			files: map[string]string{accounts.DefaultFile: accountsYAML, "datasources/obs.yaml": dsProm},
			want: []string{
				`roles/accounts.yaml:5:5: account "prod" has a role but no CloudWatch datasource uses it`,
				`roles/accounts.yaml:8:5: account "staging" has a role but no CloudWatch datasource uses it`,
			},
		},
		{
			name: "unset variable in a hand-written ARN: its account may be the unused one",
			files: map[string]string{accounts.DefaultFile: accountsYAML, "datasources/cw.yaml": prodOnly,
				"datasources/hand.yaml": hand("Staging", "staging", "${STAGING_ROLE}", "x1")},
			want: []string{`datasources/hand.yaml:7:22: warning: datasources[0].jsonData.assumeRoleArn: environment variable STAGING_ROLE is not set; the value expands to ""`},
		},
		{
			name: "uid clash between generated and hand-written",
			files: map[string]string{accounts.DefaultFile: accountsYAML, "datasources/cw.yaml": cwTemplate,
				"datasources/prom.yaml": "apiVersion: 1\ndatasources:\n  - name: Staging metrics\n    type: prometheus\n    uid: cw-staging\n"},
			want: []string{
				`datasources/cw.yaml:5:10: datasources[0].uid: datasource uid "cw-staging" is used again at datasources/prom.yaml:3:5`,
				`datasources/prom.yaml:5:10: datasources[0].uid: datasource uid "cw-staging" is already used at datasources/cw.yaml:3:5 (the CloudWatch template, account staging)`,
			},
		},
		{
			name: "name clash, hand-written first",
			files: map[string]string{accounts.DefaultFile: accountsYAML, "datasources/cw.yaml": cwTemplate,
				"datasources/a.yaml": "apiVersion: 1\ndatasources:\n  - name: CloudWatch prod\n    type: prometheus\n"},
			want: []string{
				`datasources/a.yaml:3:11: datasources[0].name: datasource name "CloudWatch prod" is used again at datasources/cw.yaml:3:5 (the CloudWatch template, account prod)`,
				`datasources/cw.yaml:3:11: datasources[0].name: datasource name "CloudWatch prod" is already used at datasources/a.yaml:3:5`,
			},
		},
		{
			name: "two templates for the same accounts",
			files: map[string]string{accounts.DefaultFile: accountsYAML,
				"datasources/cw.yaml": cwTemplate + "  - {type: cloudwatch, jsonData: {grafsyncAccounts: [staging]}}\n"},
			want: []string{
				`datasources/cw.yaml:3:11: datasources[0].name: datasource name "CloudWatch staging" is used again at datasources/cw.yaml:10:5 (the CloudWatch template, account staging)`,
				`datasources/cw.yaml:10:5: datasources[1].name: datasource name "CloudWatch staging" is already used at datasources/cw.yaml:3:5 (the CloudWatch template, account staging)`,
			},
		},
		{
			name:  "problems in the accounts file keep their position",
			files: map[string]string{accounts.DefaultFile: strings.Replace(accountsYAML, `"222222222222"`, `"2222"`, 1), "datasources/cw.yaml": cwTemplate},
			want:  []string{`roles/accounts.yaml:8:9: account id "2222" is not 12 digits`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := Load(mapFS(tt.files), Options{})
			if diff := cmp.Diff(tt.want, shorts(got)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAccountsProblemHints checks that hints and severities survive the
// conversion from package accounts.
func TestAccountsProblemHints(t *testing.T) {
	_, got := Load(mapFS(map[string]string{"datasources/cw.yaml": cwTemplate}), Options{})
	want := Problems{{
		Pos:      resource.Pos{File: "datasources/cw.yaml", Line: 8, Col: 25},
		Severity: problem.Error,
		Message:  "datasources[0].jsonData.grafsyncAccounts: a CloudWatch template needs roles/accounts.yaml, which does not exist",
		Hint:     "create roles/accounts.yaml listing the AWS accounts (see docs/roles.md), or remove grafsyncAccounts and write the datasource out",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	_, got = Load(mapFS(map[string]string{accounts.DefaultFile: accountsYAML,
		"datasources/cw.yaml": strings.Replace(cwTemplate, "all", "[prod, prod, staging]", 1)}), Options{})
	want = Problems{{
		Pos:      resource.Pos{File: "datasources/cw.yaml", Line: 3, Col: 5},
		Severity: problem.Warning,
		Message:  `CloudWatch template names account "prod" twice`,
		Hint:     "remove the repeated name",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	// A reference to a datasource of a template that generated none says so.
	_, got = Load(mapFS(map[string]string{accounts.DefaultFile: strings.Replace(accountsYAML, "prod", "Prod", 1),
		"datasources/cw.yaml": cwTemplate,
		"dashboards/a.json":   `{"uid": "a", "title": "A", "panels": [{"datasource": {"uid": "cw-prod"}}]}`}), Options{})
	var hints []string
	for _, p := range got {
		hints = append(hints, p.Pos.String()+": "+p.Hint)
	}
	wantHints := []string{
		`dashboards/a.json:1:62: the CloudWatch template at datasources/cw.yaml:3:5 generated no datasources; fix the problems reported there or in roles/accounts.yaml first, or define it in datasources/ or, if it exists only in Grafana, declare it in grafsync.yaml externalDatasources`,
		`roles/accounts.yaml:6:11: names are 1-29 characters of a-z, 0-9 and -, starting with a letter and not ending with -; they become datasource uids and file names`,
	}
	if diff := cmp.Diff(wantHints, hints); diff != "" {
		t.Errorf("hints (-want +got):\n%s", diff)
	}
}

// TestAccountsSyntaxError: a syntax error in roles/accounts.yaml reads like
// one in any other YAML file of the repository (the line is in the position,
// not repeated in the message), with a hint.
func TestAccountsSyntaxError(t *testing.T) {
	_, got := Load(mapFS(map[string]string{
		accounts.DefaultFile:   "grafana:\n  accountId: [\n",
		"datasources/bad.yaml": "apiVersion: 1\ndatasources: [\n",
	}), Options{})
	want := []string{
		"datasources/bad.yaml:2:1: invalid YAML: did not find expected node content",
		"roles/accounts.yaml:2:1: invalid YAML: did not find expected node content\n\thint: fix the YAML syntax",
	}
	var gotS []string
	for _, p := range got {
		gotS = append(gotS, p.String())
	}
	if diff := cmp.Diff(want, gotS); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

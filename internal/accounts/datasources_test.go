package accounts

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/problem"
)

// brief renders a problem without its hint, as the tables expect it.
func brief(p problem.Problem) string {
	return p.Pos.String() + ": " + p.Message
}

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	cfg, problems := Parse("roles/accounts.yaml", []byte(src))
	if problems.HasErrors() {
		t.Fatalf("parse: %v", problems)
	}
	return cfg
}

func TestTemplateFromJSONData(t *testing.T) {
	at := Pos{3, 5}
	tests := []struct {
		name     string
		jsonData map[string]any
		wantOK   bool
		want     []string
		wantErr  bool
	}{
		{"no key", map[string]any{"logsTimeout": "30m"}, false, nil, false},
		{"all", map[string]any{TemplateKey: "all", "logsTimeout": "30m"}, true, nil, false},
		{"list", map[string]any{TemplateKey: []any{"prod", "staging"}}, true, []string{"prod", "staging"}, false},
		{"bad string", map[string]any{TemplateKey: "some"}, true, nil, true},
		{"empty list", map[string]any{TemplateKey: []any{}}, true, nil, true},
		{"number", map[string]any{TemplateKey: 3}, true, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, ok, problems := TemplateFromJSONData("datasources/cw.yaml", at, "", "", tc.jsonData)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if got := len(problems) > 0; got != tc.wantErr {
				t.Fatalf("problems = %v, want error %v", problems, tc.wantErr)
			}
			if tc.wantErr {
				if p := problems[0]; p.Pos.String() != "datasources/cw.yaml:3:5" {
					t.Errorf("problem at %s, want datasources/cw.yaml:3:5", p.Pos)
				}
				return
			}
			if diff := cmp.Diff(tc.want, tmpl.Accounts); diff != "" {
				t.Errorf("accounts mismatch (-want +got):\n%s", diff)
			}
			if _, left := tmpl.JSONData[TemplateKey]; left {
				t.Errorf("template jsonData still holds %s", TemplateKey)
			}
			if _, still := tc.jsonData[TemplateKey]; ok && !still {
				t.Errorf("TemplateFromJSONData modified its input")
			}
		})
	}
}

func TestExpand(t *testing.T) {
	cfg := mustParse(t, goodYAML)
	tmpl := DatasourceTemplate{
		File: "datasources/cloudwatch.yaml", Pos: Pos{4, 5},
		JSONData: map[string]any{"logsTimeout": "30m", "logGroups": []any{map[string]any{"name": "/ecs/app"}}},
	}
	got, problems := Expand(cfg, tmpl)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	want := []Datasource{
		{
			UID: "cloudwatch-prod", Name: "CloudWatch prod", Type: "cloudwatch", Account: "prod", AccountID: "111111111111",
			JSONData: map[string]any{
				"authType": "default", "assumeRoleArn": "arn:aws:iam::111111111111:role/grafana/grafana-cloudwatch-read",
				"externalId": cfg.Accounts[0].ExternalID, "defaultRegion": "eu-west-1",
				"logsTimeout": "30m", "logGroups": []any{map[string]any{"name": "/ecs/app"}},
			},
		},
		{
			UID: "cloudwatch-observability", Name: "CloudWatch observability", Type: "cloudwatch", Account: "observability", AccountID: "333333333333",
			JSONData: map[string]any{
				"authType": "default", "assumeRoleArn": "arn:aws:iam::333333333333:role/cw-read",
				"externalId": "obs-external-id", "defaultRegion": "eu-west-1",
				"logsTimeout": "30m", "logGroups": []any{map[string]any{"name": "/ecs/app"}},
			},
			LinkedAccounts: []string{"batch"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Expand mismatch (-want +got):\n%s", diff)
	}
	// Generated datasources share no maps with the template or each other.
	got[0].JSONData["logGroups"].([]any)[0].(map[string]any)["name"] = "changed"
	if tmpl.JSONData["logGroups"].([]any)[0].(map[string]any)["name"] != "/ecs/app" ||
		got[1].JSONData["logGroups"].([]any)[0].(map[string]any)["name"] != "/ecs/app" {
		t.Errorf("expanded jsonData aliases the template")
	}
}

func TestExpandPatternsAndSelection(t *testing.T) {
	cfg := mustParse(t, goodYAML)
	got, problems := Expand(cfg, DatasourceTemplate{Name: "CW {{ id }} ({{name}})", UID: "cw-{{id}}", Accounts: []string{"observability"}})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(got) != 1 || got[0].Name != "CW 333333333333 (observability)" || got[0].UID != "cw-333333333333" {
		t.Errorf("got %+v, want one datasource CW 333333333333 (observability) / cw-333333333333", got)
	}
}

func TestExpandErrors(t *testing.T) {
	cfg := mustParse(t, goodYAML)
	tests := []struct {
		name string
		tmpl DatasourceTemplate
		msg  string
	}{
		{"uid without placeholder", DatasourceTemplate{UID: "cloudwatch"}, `CloudWatch template uid "cloudwatch" has no {{name}} or {{id}}`},
		{"unknown placeholder", DatasourceTemplate{Name: "CW {{name}} {{region}}"}, "unknown placeholder {{region}} in CloudWatch template name"},
		{"owned key", DatasourceTemplate{JSONData: map[string]any{"assumeRoleArn": "arn:aws:iam::1:role/x"}}, "CloudWatch template sets jsonData.assumeRoleArn"},
		{"unknown account", DatasourceTemplate{Accounts: []string{"qa"}}, `CloudWatch template names unknown account "qa"`},
		{"oam-linked account", DatasourceTemplate{Accounts: []string{"batch"}}, `CloudWatch template names oam-linked account "batch"`},
		{"uid too long", DatasourceTemplate{UID: "a-very-long-cloudwatch-prefix-{{name}}"}, `invalid uid "a-very-long-cloudwatch-prefix-observability"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.tmpl.File, tc.tmpl.Pos = "datasources/cw.yaml", Pos{7, 3}
			got, problems := Expand(cfg, tc.tmpl)
			if got != nil {
				t.Errorf("got datasources %v, want none", got)
			}
			for _, p := range problems {
				if strings.Contains(p.Message, tc.msg) {
					if p.Pos.String() != "datasources/cw.yaml:7:3" {
						t.Errorf("problem %q not at datasources/cw.yaml:7:3", p)
					}
					return
				}
			}
			t.Errorf("no problem containing %q; got %v", tc.msg, problems)
		})
	}
}

func TestCheckDatasources(t *testing.T) {
	cfg := mustParse(t, goodYAML)
	prod, obs := cfg.Accounts[0], cfg.Accounts[1]
	prodARN := prod.RoleARN("aws")
	ref := func(line int, arn, ext string) DatasourceRef {
		return DatasourceRef{File: "datasources/hand.yaml", Pos: Pos{line, 5}, Name: "cw-hand", AssumeRoleARN: arn, ExternalID: ext}
	}
	generatedObs := []Datasource{{Account: "observability"}}
	tests := []struct {
		name      string
		generated []Datasource
		hand      []DatasourceRef
		want      []string
	}{
		{"all used and matching", generatedObs, []DatasourceRef{ref(3, prodARN, prod.ExternalID)}, nil},
		{"no role assumed is fine", generatedObs, []DatasourceRef{ref(3, prodARN, prod.ExternalID), ref(9, "", "")}, nil},
		{"unknown role", generatedObs, []DatasourceRef{ref(3, prodARN, prod.ExternalID), ref(9, "arn:aws:iam::555555555555:role/x", "e1")},
			[]string{"datasources/hand.yaml:9:5: datasource cw-hand: assumeRoleArn arn:aws:iam::555555555555:role/x is not a role generated from roles/accounts.yaml"}},
		{"wrong role name for a listed account", generatedObs, []DatasourceRef{ref(3, "arn:aws:iam::111111111111:role/other", "e1")},
			[]string{
				"datasources/hand.yaml:3:5: datasource cw-hand: assumeRoleArn arn:aws:iam::111111111111:role/other is not a role generated from roles/accounts.yaml",
				`roles/accounts.yaml:7:5: account "prod" has a role but no CloudWatch datasource uses it`,
			}},
		{"root as role", generatedObs, []DatasourceRef{ref(3, prodARN, prod.ExternalID), ref(4, "arn:aws:iam::111111111111:root", "e1")},
			[]string{`datasources/hand.yaml:4:5: datasource cw-hand: assumeRoleArn: ARN "arn:aws:iam::111111111111:root" is an account principal, not a role`}},
		{"external id differs", generatedObs, []DatasourceRef{ref(3, prodARN, "guess")},
			[]string{`datasources/hand.yaml:3:5: datasource cw-hand: externalId differs from the one account "prod"'s trust policy requires`}},
		{"external id missing", nil, []DatasourceRef{ref(3, prodARN, ""), ref(4, obs.RoleARN("aws"), obs.ExternalID)},
			[]string{`datasources/hand.yaml:3:5: datasource cw-hand: no externalId, but the trust policy of account "prod" requires one`}},
		{"unused account", generatedObs, nil,
			[]string{`roles/accounts.yaml:7:5: account "prod" has a role but no CloudWatch datasource uses it`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range CheckDatasources(cfg, tc.generated, tc.hand) {
				got = append(got, brief(p))
				if strings.Contains(p.String(), prod.ExternalID) {
					t.Errorf("problem prints an external id: %s", p)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

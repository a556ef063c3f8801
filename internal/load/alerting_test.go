package load

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const alertFolder = "uid: platform\ntitle: Platform\n"

// alertRule is a valid rule group file; cases replace parts of it.
const alertRules = `apiVersion: 1
groups:
  - orgId: 1
    name: api
    folder: Platform
    interval: 1m
    rules:
      - uid: api-errors
        title: API errors
        condition: B
        data:
          - refId: A
            datasourceUid: thanos
            relativeTimeRange: {from: 600, to: 0}
            model: {expr: up}
          - refId: B
            datasourceUid: __expr__
            model: {type: threshold, expression: A}
        for: 5m
`

func TestLoadAlertingProblems(t *testing.T) {
	base := func(alerting string) map[string]string {
		return map[string]string{
			"datasources/ds.yaml":              dsProm,
			"dashboards/platform/_folder.yaml": alertFolder,
			"dashboards/platform/a.json":       okDash,
			"alerting/a.yaml":                  alerting,
		}
	}
	tests := []struct {
		name     string
		alerting string
		env      map[string]string
		want     []string
	}{
		{name: "valid", alerting: alertRules, want: []string{}},
		{
			name:     "condition names no query",
			alerting: replace(alertRules, "condition: B", "condition: C"),
			want:     []string{`alerting/a.yaml:10:20: groups[0].rules[0].condition: condition "C" is not the refId of a query of the rule`},
		},
		{
			name:     "folder title unknown",
			alerting: replace(alertRules, "folder: Platform", "folder: Nope"),
			want:     []string{`alerting/a.yaml:5:13: groups[0].folder: folder "Nope" is not a folder of this repository`},
		},
		{
			name:     "datasource unknown, by name",
			alerting: replace(alertRules, "datasourceUid: thanos", "datasourceUid: Thanos"),
			want:     []string{`alerting/a.yaml:13:28: groups[0].rules[0].data[0].datasourceUid: datasource "Thanos" does not resolve`},
		},
		{
			name:     "duration in days parses, a bad one does not",
			alerting: replace(replace(alertRules, "for: 5m", "for: 1d"), "interval: 1m", "interval: 1x"),
			want:     []string{`alerting/a.yaml:6:15: groups[0].interval: unknown unit "x" in duration "1x"`},
		},
		{
			name:     "a datasource query without a time range",
			alerting: replace(alertRules, "            relativeTimeRange: {from: 600, to: 0}\n", ""),
			want:     []string{`alerting/a.yaml:12:13: groups[0].rules[0].data[0]: a datasource query needs relativeTimeRange with from greater than to`},
		},
		{
			name: "a group without rules",
			alerting: `apiVersion: 1
groups:
  - {name: empty, folder: Platform, interval: 1m, rules: []}
`,
			want: []string{`alerting/a.yaml:3:5: groups[0]: rule group "empty" has no rules; Grafana keeps no empty group`},
		},
		{
			name:     "interval not a multiple of 10s",
			alerting: replace(alertRules, "interval: 1m", "interval: 15s"),
			want:     []string{`alerting/a.yaml:6:15: groups[0].interval: 15s is not a positive multiple of Grafana's base interval 10s`},
		},
		{
			name:     "uid rules",
			alerting: replace(alertRules, "uid: api-errors", "uid: api errors!"),
			want:     []string{`alerting/a.yaml:8:14: groups[0].rules[0].uid: "api errors!" contains illegal characters`},
		},
		{
			name: "template does not parse",
			alerting: `apiVersion: 1
templates:
  - name: t
    template: '{{ define "t" }}{{ .Foo '
`,
			want: []string{`alerting/a.yaml:4:15: templates[0].template: not a valid Go template: line 1: unclosed action`},
		},
		{
			name: "literal secret, env secret, unknown receiver and mute timing",
			alerting: `apiVersion: 1
contactPoints:
  - name: ops
    receivers:
      - uid: ops-hook
        type: webhook
        settings: {url: "https://x", password: hunter2}
      - uid: ops-slack
        type: slack
        settings: {url: "${SLACK_URL}"}
policies:
  - receiver: ops
    routes:
      - receiver: nobody
        mute_time_intervals: [never]
`,
			env: map[string]string{"SLACK_URL": "https://hooks.slack.com/x"},
			want: []string{
				`alerting/a.yaml:7:48: contactPoints[0].receivers[0].settings.password: a literal secret must not be stored in Git`,
				`alerting/a.yaml:14:19: warning: policies[0].routes[0].receiver: contact point "nobody" is not declared in alerting/`,
				`alerting/a.yaml:15:31: warning: policies[0].routes[0].mute_time_intervals[0]: mute timing "never" is not declared in alerting/`,
			},
		},
		{
			name: "orgId of another org",
			alerting: `apiVersion: 1
muteTimes:
  - orgId: 2
    name: weekends
`,
			want: []string{`alerting/a.yaml:3:12: muteTimes[0].orgId: orgId 2 does not match org "Main Org." (id 1) whose directory this file is in`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := Load(mapFS(base(tt.alerting)), Options{Getenv: func(k string) string { return tt.env[k] }})
			if diff := cmp.Diff(tt.want, shorts(problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadAlertingState(t *testing.T) {
	files := map[string]string{
		"datasources/ds.yaml":              dsProm,
		"dashboards/platform/_folder.yaml": alertFolder,
		"alerting/rules.json":              `{"apiVersion": 1, "groups": [{"orgId": 1, "name": "api", "folder": "Platform", "interval": "1m", "rules": [{"uid": "r1", "title": "R1", "condition": "A", "data": [{"refId": "A", "datasourceUid": "thanos", "relativeTimeRange": {"from": 600, "to": 0}, "model": {"expr": "up"}}], "dashboardUid": "ok", "panelId": 2}]}]}`,
		"alerting/cp.yaml": `apiVersion: 1
contactPoints:
  - name: ops
    receivers:
      - uid: ops-hook
        type: webhook
        settings: {url: "https://x", password: "${HOOK_PASSWORD}"}
policies:
  - receiver: ops
    matchers: ['team="a"']
`,
	}
	st, problems := Load(mapFS(files), Options{Getenv: func(k string) string { return map[string]string{"HOOK_PASSWORD": "pw"}[k] }})
	if problems.HasErrors() {
		t.Fatalf("problems: %v", shorts(problems))
	}
	a := st.Orgs[0].Alerting
	if len(a.RuleGroups) != 1 || a.RuleGroups[0].FolderUID != "platform" || a.RuleGroups[0].Interval != 60 {
		t.Fatalf("rule groups: %+v", a.RuleGroups)
	}
	wantRule := map[string]any{
		"uid": "r1", "title": "R1", "condition": "A", "noDataState": "NoData", "execErrState": "Error",
		"annotations": map[string]any{"__dashboardUid__": "ok", "__panelId__": "2"},
		"data": []any{map[string]any{"refId": "A", "datasourceUid": "thanos", "relativeTimeRange": map[string]any{"from": float64(600), "to": float64(0)},
			"model": map[string]any{"expr": "up"}}},
	}
	if diff := cmp.Diff(wantRule, a.RuleGroups[0].Rules[0]); diff != "" {
		t.Errorf("rule (-want +got):\n%s", diff)
	}
	cp := a.ContactPoints[0]
	if diff := cmp.Diff(map[string]any{"url": "https://x"}, cp.Settings); diff != "" {
		t.Errorf("settings keep no secret (-want +got):\n%s", diff)
	}
	if s := cp.Secure["password"]; s.Reveal() != "pw" || s.From() != "env HOOK_PASSWORD" {
		t.Errorf("secret = %q from %q", s.Reveal(), s.From())
	}
	wantTree := map[string]any{"receiver": "ops", "object_matchers": []any{[]any{"team", "=", "a"}}}
	if diff := cmp.Diff(wantTree, a.Policies.Tree); diff != "" {
		t.Errorf("policies (-want +got):\n%s", diff)
	}
}

// replace replaces old, which must occur, once.
func replace(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("replace: " + old + " not found")
	}
	return strings.Replace(s, old, new, 1)
}

// TestContactPointReferencePolicy: a contact point's settings follow the
// datasources' rules for what a reference may read (docs/hostile-repositories.md
// limits 1-3): a refused $__file{} path is an error, never an empty secret,
// and a URL in a setting Grafana stores in clear may not carry credentials.
func TestContactPointReferencePolicy(t *testing.T) {
	const cp = `apiVersion: 1
contactPoints:
  - name: ops
    receivers:
      - uid: ops-hook
        type: webhook
        settings:
          url: %s
          username: %s
          password: %s
`
	files := func(url, user, pass string) map[string]string {
		return map[string]string{"alerting/a.yaml": fmt.Sprintf(cp, url, user, pass), "dashboards/a.json": okDash}
	}
	read := SecretFiles{Dirs: []string{"/"}}.ReadFile
	fileHint := "\n\thint: " + forbiddenFileHint
	const (
		cpUserHint  = "take them from the notifier's secure settings instead (a webhook's username and password: ${VAR}), which Grafana encrypts and never returns"
		cpQueryHint = "send it from the notifier's secure settings instead (a webhook's authorization_credentials: ${VAR}), which Grafana encrypts and never returns"
	)
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "proc files in a setting and a secure setting",
			files: files("https://hooks.example.com/x", "$__file{/proc/self/environ}", "$__file{/proc/self/environ}"),
			want: []string{
				"alerting/a.yaml:9:21: contactPoints[0].receivers[0].settings.username: file /proc/self/environ is refused: grafsync never reads it: nothing under /proc is a secret for Grafana" + fileHint,
				"alerting/a.yaml:10:21: contactPoints[0].receivers[0].settings.password: file /proc/self/environ is refused: grafsync never reads it: nothing under /proc is a secret for Grafana" + fileHint,
			},
		},
		{
			name:  "grafsync's own credentials",
			files: files("https://hooks.example.com/x", "u", "${GITHUB_TOKEN}"),
			want: []string{"alerting/a.yaml:10:21: contactPoints[0].receivers[0].settings.password: environment variable GITHUB_TOKEN holds credentials of the process running grafsync; a contact point must not use it" +
				"\n\thint: " + ownCredentialHint},
		},
		{
			name:  "a user name and password in the webhook url",
			files: files("https://admin:${HOOK_PASS}@hooks.example.com/x", "u", "${HOOK_PASS}"),
			want: []string{"alerting/a.yaml:8:16: contactPoints[0].receivers[0].settings.url: holds a user name and password; Grafana stores this setting in clear and shows it to everyone who can read the contact point" +
				"\n\thint: " + cpUserHint},
		},
		{
			name:  "a token in the webhook url's query",
			files: files("https://hooks.example.com/x?api_key=abc", "u", "${HOOK_PASS}"),
			want: []string{"alerting/a.yaml:8:16: contactPoints[0].receivers[0].settings.url: holds query parameter api_key; Grafana stores this setting in clear and shows it to everyone who can read the contact point" +
				"\n\thint: " + cpQueryHint},
		},
		{
			name:  "a url without credentials",
			files: files("https://hooks.example.com/x?team=ops", "u", "${HOOK_PASS}"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, problems := Load(mapFS(tt.files), Options{ReadFile: read, Getenv: func(k string) string { return map[string]string{"HOOK_PASS": "hunter2"}[k] }})
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			for _, cp := range st.Orgs[0].Alerting.ContactPoints {
				if s := fmt.Sprint(cp.Settings); strings.Contains(s, "hunter2") || strings.Contains(s, "PATH=") {
					t.Errorf("a secret reached the settings Grafana shows: %s", s)
				}
				if sec, ok := cp.Secure["password"]; ok && strings.Contains(sec.From(), "/proc/") {
					t.Errorf("a refused reference became a secret to write (from %s)", sec.From())
				}
			}
		})
	}
}

package load

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/problem"
)

// mapFS builds a repository from path → content pairs.
func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

// short renders a problem without its hint, as the table expects it.
func short(p Problem) string {
	s := p.Pos.String() + ": "
	if p.Severity == problem.Warning {
		s += "warning: "
	}
	return s + p.Message
}

func shorts(ps Problems) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, short(p))
	}
	return out
}

// loadProblems loads the repository files and compares its problems, as
// short renders them, with want (nil: no problem); it returns them for
// the checks a table adds (hints).
func loadProblems(t *testing.T, files map[string]string, want []string) Problems {
	t.Helper()
	_, got := Load(mapFS(files), Options{})
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, shorts(got)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	return got
}

// Fixture parts shared by the cases.
const (
	dsProm = `apiVersion: 1
datasources:
  - name: Thanos
    type: prometheus
    uid: thanos
`
	dsLGTM = `apiVersion: 1
datasources:
  - name: Thanos
    type: prometheus
    uid: thanos
  - name: Loki
    type: loki
    uid: loki
  - name: Tempo
    type: tempo
    uid: tempo
`
	okDash = `{"uid": "ok", "title": "OK", "panels": []}`
)

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		env    map[string]string
		strict bool
		want   []string
	}{
		{
			name:  "json syntax error",
			files: map[string]string{"dashboards/a.json": "{\n  \"title\": \"A\",,\n}"},
			want:  []string{`dashboards/a.json:2:16: invalid JSON: invalid character ',' at start of value`},
		},
		{
			name:  "json not an object",
			files: map[string]string{"dashboards/a.json": "[1, 2]"},
			want:  []string{`dashboards/a.json:1:1: this file holds a list, not a dashboard (a dashboard is one JSON object)`},
		},
		{
			name:  "yaml dashboard syntax error",
			files: map[string]string{"dashboards/a.yaml": "title: A\npanels: [\n  {id: 1\n"},
			want:  []string{`dashboards/a.yaml:2:1: invalid YAML: did not find expected ',' or '}'`},
		},
		{
			name:  "datasource yaml syntax error",
			files: map[string]string{"datasources/a.yaml": "apiVersion: 1\ndatasources:\n  - name: x\n   type: y\n"},
			want:  []string{`datasources/a.yaml:2:1: invalid YAML: did not find expected '-' indicator`},
		},
		{
			// One error per org, at the field: an org whose dir is refused
			// (or missing) is not loaded from the top-level directories,
			// and is not "the dir of" another org.
			name: "org dirs outside the repository, or missing",
			files: map[string]string{
				"dashboards/a.json": okDash,
				"grafsync.yaml":     "orgs:\n  - name: Main Org.\n  - {name: B, dir: ../x}\n  - {name: C, dir: /etc}\n  - {name: D}\n  - {name: E}\n",
			},
			want: []string{
				`grafsync.yaml:3:20: orgs[1].dir: "../x" is not a relative path inside the repository`,
				`grafsync.yaml:4:20: orgs[2].dir: "/etc" is not a relative path inside the repository`,
				`grafsync.yaml:5:5: orgs[3]: org "D" has no dir`,
				`grafsync.yaml:6:5: orgs[4]: org "E" has no dir`,
			},
		},
		{
			name: "duplicate dashboard uid across files",
			files: map[string]string{
				"dashboards/a.json":   "{\n  \"uid\": \"same\",\n  \"title\": \"A\"\n}",
				"dashboards/x/b.json": "{\"title\": \"B\", \"uid\": \"same\"}",
			},
			want: []string{`dashboards/x/b.json:1:23: uid "same" of dashboard x/b.json is already used by dashboard a.json at dashboards/a.json:2:10`},
		},
		{
			name: "derived uids collide",
			files: map[string]string{
				"dashboards/a b.json": `{"title": "A"}`,
				"dashboards/a-b.json": `{"title": "B"}`,
			},
			want: []string{`dashboards/a-b.json: uid "a-b" of dashboard a-b.json is already used by dashboard a b.json at dashboards/a b.json`},
		},
		{
			name: "duplicate folder uids",
			files: map[string]string{
				"dashboards/a/_folder.yaml": "uid: team\n",
				"dashboards/b/_folder.yaml": "title: B\nuid: team\n",
			},
			want: []string{`dashboards/b/_folder.yaml:2:6: uid "team" of folder b is already used by folder a at dashboards/a/_folder.yaml:1:6`},
		},
		{
			// Folders and dashboards share Grafana's uid namespace; the
			// folder's uid is grafsync's choice, so the folder gives way.
			name: "folder and dashboard share a derived uid",
			files: map[string]string{
				"dashboards/ops.json":   `{"title": "Ops"}`,
				"dashboards/ops/x.json": `{"title": "X"}`,
			},
			want: []string{`dashboards/ops/: warning: folder ops: its derived uid "ops" is the uid of dashboard ops.json, so the folder gets uid "ops-folder"`},
		},
		{
			name: "duplicate datasource names across files",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"datasources/b.yaml": "apiVersion: 1\ndatasources:\n  - name: Thanos\n    type: prometheus\n",
			},
			want: []string{`datasources/b.yaml:3:11: datasources[0].name: datasource name "Thanos" is already used at datasources/a.yaml:3:5`},
		},
		{
			name: "duplicate datasource uids",
			files: map[string]string{
				"datasources/a.yaml": dsProm + "  - name: Other\n    type: loki\n    uid: thanos\n",
			},
			want: []string{`datasources/a.yaml:8:10: datasources[1].uid: datasource uid "thanos" is already used at datasources/a.yaml:3:5`},
		},
		{
			name:  "dashboard uid with illegal characters",
			files: map[string]string{"dashboards/a.json": `{"uid": "a/b c", "title": "A"}`},
			want:  []string{`dashboards/a.json:1:9: uid: "a/b c" contains illegal characters`},
		},
		{
			name:  "dashboard uid too long",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "uid": "` + strings.Repeat("x", 41) + `"}`},
			want:  []string{`dashboards/a.json:1:23: uid: "` + strings.Repeat("x", 41) + `" is 41 characters long, max 40`},
		},
		{
			name:  "folder uid general is reserved",
			files: map[string]string{"dashboards/general/x.json": `{"title": "X"}`},
			want: []string{
				`dashboards/general/: folder general: title "general" is reserved by Grafana`,
				`dashboards/general/: folder general: uid "general" is reserved by Grafana`,
			},
		},
		{
			name:  "folder uid sharedwithme is reserved",
			files: map[string]string{"dashboards/s/_folder.yaml": "uid: sharedWithMe\n"},
			want:  []string{`dashboards/s/_folder.yaml:1:6: folder s: uid "sharedWithMe" is reserved by Grafana`},
		},
		{
			name: "grafsync's ledger uid is reserved",
			files: map[string]string{
				"dashboards/a.json":                    `{"uid": "grafsync-ownership", "title": "A"}`,
				"dashboards/grafsync-ownership/x.json": `{"title": "X"}`,
			},
			want: []string{
				`dashboards/a.json:1:9: uid "grafsync-ownership" of dashboard a.json is reserved: grafsync keeps its record of the folders it manages in a dashboard with this uid`,
				`dashboards/grafsync-ownership/: uid "grafsync-ownership" of folder grafsync-ownership is reserved: grafsync keeps its record of the folders it manages in a dashboard with this uid`,
			},
		},
		{
			// grafana-source-audit.md row 40: a root folder plus 4 nested
			// levels is Grafana's default limit, so a 6th level is refused.
			name:  "folders nested six deep",
			files: map[string]string{"dashboards/a/b/c/d/e/f/x.json": `{"title": "X"}`, "dashboards/a/b/c/d/e/y.json": `{"title": "Y"}`},
			want:  []string{`dashboards/a/b/c/d/e/f/: folder a/b/c/d/e/f is nested 6 levels deep, max 5`},
		},
		{
			// grafana-source-audit.md row 43: "General" is refused at any level.
			name:  "nested folder titled General",
			files: map[string]string{"dashboards/a/GENERAL/x.json": `{"title": "X"}`},
			want:  []string{`dashboards/a/GENERAL/: folder a/GENERAL: title "GENERAL" is reserved by Grafana`},
		},
		{
			name:  "missing dashboard title",
			files: map[string]string{"dashboards/a.json": "{\n  \"uid\": \"a\"\n}"},
			want:  []string{`dashboards/a.json:1:1: dashboard title is missing`},
		},
		{
			name:  "blank dashboard title",
			files: map[string]string{"dashboards/a.yaml": "uid: a\ntitle: '  '\n"},
			want:  []string{`dashboards/a.yaml:2:8: title: dashboard title is empty`},
		},
		{
			name:  "dashboard title too long",
			files: map[string]string{"dashboards/a.json": `{"title": "` + strings.Repeat("t", 5001) + `"}`},
			want:  []string{`dashboards/a.json:1:11: title: 5001 characters, max 5000`},
		},
		{
			name:  "datasource without name or type",
			files: map[string]string{"datasources/a.yaml": "apiVersion: 1\ndatasources:\n  - uid: x\n"},
			want: []string{
				`datasources/a.yaml:3:5: datasources[0]: datasource "" has no type`,
				`datasources/a.yaml:3:5: datasources[0]: datasource name is missing`,
			},
		},
		{
			name:  "unknown key in _folder.yaml",
			files: map[string]string{"dashboards/a/_folder.yaml": "tittle: A\n"},
			want:  []string{`dashboards/a/_folder.yaml:1:1: top level: unknown key "tittle"`},
		},
		{
			name:  "unknown keys in grafsync.yaml",
			files: map[string]string{"grafsync.yaml": "orgs:\n  - name: Main Org.\n    preferences:\n      theme: dark\n      timeZone: utc\n    colour: red\n"},
			want: []string{
				`./: warning: org "Main Org.": no dashboards/ or datasources/ directory`,
				`grafsync.yaml:5:7: orgs[0].preferences: unknown key "timeZone"`,
				`grafsync.yaml:6:5: orgs[0]: unknown key "colour"`,
			},
		},
		{
			name:  "unknown key in a datasource",
			files: map[string]string{"datasources/a.yaml": dsProm + "    jsondata: {}\n"},
			want:  []string{`datasources/a.yaml:6:5: warning: datasources[0]: key "jsondata" is ignored`},
		},
		{
			name:  "legacy password field",
			files: map[string]string{"datasources/a.yaml": dsProm + "    password: hunter2\n"},
			want:  []string{`datasources/a.yaml:6:5: datasources[0].password: plain-text password is not supported by Grafana 10+`},
		},
		{
			name: "two default datasources",
			files: map[string]string{
				"datasources/a.yaml": dsProm + "    isDefault: true\n",
				"datasources/b.yaml": "apiVersion: 1\ndatasources:\n  - name: Loki\n    type: loki\n    isDefault: true\n",
			},
			want: []string{`datasources/b.yaml:5:16: datasources[0].isDefault: datasource "Loki" is a second default in org "Main Org." (the first is "Thanos" at datasources/a.yaml:3:5)`},
		},
		{
			name: "panel uid reference not found",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  "{\"title\": \"A\",\n \"panels\": [\n  {\"datasource\": {\"type\": \"prometheus\", \"uid\": \"thanoss\"}}]}",
			},
			want: []string{`dashboards/a.json:3:48: panels[0].datasource.uid: no datasource with uid or name "thanoss" in org "Main Org."`},
		},
		{
			name: "target name reference not found, in a collapsed row",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  `{"title": "A", "panels": [{"type": "row", "panels": [{"targets": [{"datasource": "Thanos"}, {"datasource": "Prometheus"}]}]}]}`,
			},
			want: []string{`dashboards/a.json:1:108: panels[0].panels[0].targets[1].datasource: no datasource with uid or name "Prometheus" in org "Main Org."`},
		},
		{
			name: "variable reference to an undefined variable",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.yaml":  "title: A\npanels:\n  - datasource: {type: prometheus, uid: $ds}\n",
			},
			want: []string{`dashboards/a.yaml:3:41: panels[0].datasource.uid: "$ds" refers to variable ds, which is not defined`},
		},
		{
			name: "variable reference to a query variable",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.yaml":  "title: A\ntemplating:\n  list:\n    - {name: job, type: query, datasource: thanos}\npanels:\n  - datasource: ${job}\n",
			},
			want: []string{`dashboards/a.yaml:6:17: panels[0].datasource: "${job}" refers to variable job of type query, not datasource`},
		},
		{
			name: "annotation and old rows reference unknown datasources; [[var]] resolves",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.yaml": "title: A\ntemplating:\n  list:\n    - {name: ds, type: datasource, query: prometheus}\nannotations:\n  list:\n    - {name: deploys, datasource: Elastic}\n" +
					"rows:\n  - panels:\n      - datasource: '[[ds]]'\n      - datasource: graphite\n",
			},
			want: []string{
				`dashboards/a.yaml:7:35: annotations.list[0].datasource: no datasource with uid or name "Elastic" in org "Main Org."`,
				`dashboards/a.yaml:11:21: rows[0].panels[1].datasource: no datasource with uid or name "graphite" in org "Main Org."`,
			},
		},
		{
			name: "datasource variable of a type the org lacks",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.yaml":  "title: A\ntemplating:\n  list:\n    - {name: ds, type: datasource, query: loki}\n",
			},
			want: []string{`dashboards/a.yaml:4:43: warning: templating.list[0].query: variable ds lists loki datasources, but org "Main Org." has none`},
		},
		{
			name: "DS input without __inputs",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  `{"title": "A", "panels": [{"datasource": {"uid": "${DS_PROM}"}}]}`,
			},
			want: []string{`dashboards/a.json:1:50: panels[0].datasource.uid: "${DS_PROM}" is neither an __inputs entry nor a variable of this dashboard`},
		},
		{
			name: "__inputs with two candidate datasources",
			files: map[string]string{
				"datasources/a.yaml": dsProm + "  - name: Other\n    type: prometheus\n    uid: other\n",
				"dashboards/a.json":  `{"__inputs": [{"name": "DS_PROM", "type": "datasource", "pluginId": "prometheus"}], "title": "A", "panels": [{"datasource": "${DS_PROM}"}]}`,
			},
			want: []string{`dashboards/a.json:1:15: __inputs[0]: DS_PROM could be any of the 2 prometheus datasources (Thanos, Other)`},
		},
		{
			name: "__inputs with no datasource of the type",
			files: map[string]string{
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  `{"__inputs": [{"name": "DS_LOKI", "type": "datasource", "pluginId": "loki"}], "title": "A"}`,
			},
			want: []string{`dashboards/a.json:1:15: __inputs[0]: DS_LOKI needs a datasource of type "loki"; org "Main Org." has none`},
		},
		{
			name: "__inputs mapped in grafsync.yaml to a missing datasource",
			files: map[string]string{
				"grafsync.yaml":      "orgs:\n  - name: Main Org.\n    datasourceInputs:\n      DS_PROM: thanos-eu\n",
				"datasources/a.yaml": dsProm,
				"dashboards/a.json":  `{"__inputs": [{"name": "DS_PROM", "type": "datasource", "pluginId": "prometheus"}], "title": "A"}`,
			},
			want: []string{`dashboards/a.json:1:15: __inputs[0]: DS_PROM is mapped to "thanos-eu" at grafsync.yaml:4:16, which is not a datasource of org "Main Org."`},
		},
		{
			name:  "loki derived field to a missing datasource",
			files: map[string]string{"datasources/a.yaml": dsProm + "  - name: Loki\n    type: loki\n    jsonData:\n      derivedFields:\n        - name: TraceID\n          datasourceUid: tempo\n"},
			want:  []string{`datasources/a.yaml:11:26: datasources[1].jsonData.derivedFields[0].datasourceUid: no datasource with uid or name "tempo" in org "Main Org."`},
		},
		{
			name:  "tempo traces-to-logs pointing at prometheus",
			files: map[string]string{"datasources/a.yaml": dsLGTM + "    jsonData:\n      tracesToLogsV2: {datasourceUid: thanos}\n      serviceMap: {datasourceUid: thanos}\n"},
			want:  []string{`datasources/a.yaml:13:39: warning: datasources[2].jsonData.tracesToLogsV2.datasourceUid: datasource "thanos" is of type prometheus, expected loki or elasticsearch or grafana-opensearch-datasource or cloudwatch or grafana-splunk-datasource or grafana-falconlogscale-datasource`},
		},
		{
			// Grafana's frontend looks a link's datasourceUid up by uid, then by name.
			name:  "exemplar destination by name instead of uid",
			files: map[string]string{"datasources/a.yaml": dsLGTM + "    jsonData: {}\n  - name: Mimir\n    type: prometheus\n    jsonData:\n      exemplarTraceIdDestinations:\n        - {name: traceID, datasourceUid: Tempo}\n"},
			want:  nil,
		},
		{
			name: "cloudwatch role ARN, external id, region, auth type",
			files: map[string]string{"datasources/cw.yaml": `apiVersion: 1
datasources:
  - name: a
    type: cloudwatch
    jsonData:
      assumeRoleArn: arn:aws:iam::111111111111:root
      externalId: has space
      defaultRegion: Ireland
  - name: b
    type: cloudwatch
    jsonData:
      authType: assume_role
      assumeRoleArn: arn:aws:iam::111111111111:user/grafana
  - name: c
    type: cloudwatch
    jsonData:
      assumeRoleArn: arn:aws:iam::1111:role/grafana
      logsTimeout: 30 minutes
`},
			want: []string{
				`datasources/cw.yaml:6:22: datasources[0].jsonData.assumeRoleArn: "arn:aws:iam::111111111111:root" is an account principal (:root), not a role Grafana can assume`,
				`datasources/cw.yaml:7:19: datasources[0].jsonData.externalId: "has space" is not a valid STS external id`,
				`datasources/cw.yaml:8:22: datasources[0].jsonData.defaultRegion: "Ireland" is not an AWS region code`,
				`datasources/cw.yaml:12:17: datasources[1].jsonData.authType: unknown authType "assume_role" (Grafana would silently use default)`,
				`datasources/cw.yaml:13:22: datasources[1].jsonData.assumeRoleArn: "arn:aws:iam::111111111111:user/grafana" is an IAM user, not a role`,
				`datasources/cw.yaml:17:22: datasources[2].jsonData.assumeRoleArn: "arn:aws:iam::1111:role/grafana" has an account id that is not 12 digits`,
				`datasources/cw.yaml:18:20: datasources[2].jsonData.logsTimeout: "30 minutes" is not a duration`,
			},
		},
		{
			name: "cloudwatch role ARN rules shared with roles/accounts.yaml",
			files: map[string]string{"datasources/cw.yaml": "apiVersion: 1\ndatasources:\n" +
				"  - {name: a, type: cloudwatch, jsonData: {assumeRoleArn: 'arn:azure:iam::111111111111:role/x', defaultRegion: us-gov-west-1}}\n" +
				"  - {name: b, type: cloudwatch, jsonData: {assumeRoleArn: 'arn:aws:iam::111111111111:role/" + strings.Repeat("p/", 300) + "x', defaultRegion: eusc-de-east-1}}\n" +
				"  - {name: c, type: cloudwatch, jsonData: {assumeRoleArn: 'arn:aws:iam::111111111111:group/x'}}\n" +
				"  - {name: d, type: cloudwatch, jsonData: {assumeRoleArn: 'arn:aws:iam::111111111111:role/a b'}}\n" +
				"  - {name: e, type: cloudwatch, jsonData: {assumeRoleArn: 'arn:aws:s3:::bucket'}}\n" +
				"  - {name: f, type: cloudwatch, jsonData: {assumeRoleArn: 'arn:aws-cn:iam::111111111111:role/ok/x', defaultRegion: cn-north-1}}\n"},
			want: []string{
				`datasources/cw.yaml:3:59: datasources[0].jsonData.assumeRoleArn: "arn:azure:iam::111111111111:role/x" has an unknown partition "azure"`,
				`datasources/cw.yaml:4:59: datasources[1].jsonData.assumeRoleArn: "arn:aws:iam::111111111111:role/` + strings.Repeat("p/", 300) + `x" has an invalid role path (/ or /path/ of printable ASCII, at most 512 characters)`,
				`datasources/cw.yaml:5:59: datasources[2].jsonData.assumeRoleArn: "arn:aws:iam::111111111111:group/x" is not a role ARN`,
				`datasources/cw.yaml:6:59: datasources[3].jsonData.assumeRoleArn: "arn:aws:iam::111111111111:role/a b" has an invalid role name (1-64 of letters, digits and _ + = , . @ -)`,
				`datasources/cw.yaml:7:59: datasources[4].jsonData.assumeRoleArn: "arn:aws:s3:::bucket" is not an IAM role ARN`,
			},
		},
		{
			name:  "literal secret",
			files: map[string]string{"datasources/a.yaml": dsProm + "    secureJsonData:\n      basicAuthPassword: hunter2\n"},
			want:  []string{`datasources/a.yaml:7:26: datasources[0].secureJsonData.basicAuthPassword: a literal secret must not be stored in Git`},
		},
		{
			name:  "unset secret warns in validate mode",
			files: map[string]string{"datasources/a.yaml": dsProm + "    secureJsonData:\n      basicAuthPassword: $__env{PROM_PASSWORD}\n"},
			want:  []string{`datasources/a.yaml:7:26: warning: datasources[0].secureJsonData.basicAuthPassword: environment variable PROM_PASSWORD is not set; the secret is not available`},
		},
		{
			name:   "unset secret fails in strict mode",
			files:  map[string]string{"datasources/a.yaml": dsProm + "    secureJsonData:\n      basicAuthPassword: $__file{/run/secrets/prom}\n"},
			strict: true,
			want:   []string{`datasources/a.yaml:7:26: datasources[0].secureJsonData.basicAuthPassword: file /run/secrets/prom cannot be read; the secret is not available`},
		},
		{
			name:  "set secret and expanded url are fine",
			files: map[string]string{"datasources/a.yaml": dsProm + "    url: http://${PROM_HOST}:9090/$$x\n    secureJsonData:\n      basicAuthPassword: ${PROM_PASSWORD}\n"},
			env:   map[string]string{"PROM_PASSWORD": "s3cret", "PROM_HOST": "prom"},
			want:  []string{},
		},
		{
			// grafana-source-audit.md row 75: Grafana's theme ids, debug and the 12.x ones included.
			name: "preferences with Grafana's extra themes",
			files: map[string]string{
				"grafsync.yaml":         "orgs:\n  - name: Main Org.\n    preferences:\n      theme: debug\n  - name: Two\n    id: 2\n    dir: two\n    preferences:\n      theme: aubergine\n",
				"dashboards/a.json":     okDash,
				"two/dashboards/b.json": `{"uid": "b", "title": "B"}`,
			},
			want: []string{},
		},
		{
			name: "preferences",
			files: map[string]string{
				"grafsync.yaml":     "orgs:\n  - name: Main Org.\n    preferences:\n      theme: blue\n      timezone: Mars/Olympus\n      weekStart: friday\n      homeDashboardUid: nope\n",
				"dashboards/a.json": okDash,
			},
			want: []string{
				`grafsync.yaml:4:14: orgs[0].preferences.theme: invalid theme "blue"`,
				`grafsync.yaml:5:17: orgs[0].preferences.timezone: unknown timezone "Mars/Olympus"`,
				`grafsync.yaml:6:18: orgs[0].preferences.weekStart: invalid week start "friday"`,
				`grafsync.yaml:7:25: orgs[0].preferences.homeDashboardUid: no dashboard with uid "nope" in org "Main Org."`,
			},
		},
		{
			name: "team members listed twice",
			files: map[string]string{
				"grafsync.yaml":     "orgs:\n  - name: Main Org.\n    teams:\n      - name: sre\n        members: [ana@example.com, bob, Ana@example.com]\n",
				"dashboards/a.json": okDash,
			},
			want: []string{`grafsync.yaml:5:41: orgs[0].teams[0].members[2]: "Ana@example.com" is already listed as members[0]`},
		},
		{
			name: "folder permissions",
			files: map[string]string{
				"grafsync.yaml": "orgs:\n  - name: Main Org.\n    teams: [{name: sre}]\n",
				"dashboards/a/_folder.yaml": `permissions:
  - {role: Viewer, team: sre, permission: View}
  - {team: sre, permission: Owner}
  - {role: Editor, permission: Admin}
  - {role: Admin, permission: View}
  - {user: ana}
  - {team: dba, permission: Edit}
  - {team: sre, permission: Edit}
  - {team: sre, permission: View}
`,
			},
			want: []string{
				`dashboards/a/_folder.yaml:2:5: permissions[0]: set exactly one of role, team or user (found 2)`,
				`dashboards/a/_folder.yaml:3:29: permissions[1].permission: invalid permission "Owner" for a team`,
				`dashboards/a/_folder.yaml:4:32: permissions[2].permission: invalid permission "Admin" for a role`,
				`dashboards/a/_folder.yaml:5:12: permissions[3].role: invalid role "Admin"`,
				`dashboards/a/_folder.yaml:6:5: permissions[4]: permission is missing`,
				`dashboards/a/_folder.yaml:7:12: warning: permissions[5].team: team "dba" is not defined in grafsync.yaml`,
				`dashboards/a/_folder.yaml:9:5: permissions[7]: team "sre" already has an entry, permissions[6]`,
			},
		},
		{
			name:  "provisioning file without apiVersion",
			files: map[string]string{"datasources/a.yaml": "datasources: []\n"},
			want:  []string{`datasources/a.yaml:1:1: top level: missing apiVersion`},
		},
		{
			name:  "dashboard saved from the API",
			files: map[string]string{"dashboards/a.json": "{\"meta\": {},\n \"dashboard\": {\"title\": \"A\"}}"},
			want:  []string{`dashboards/a.json:2:2: this is a Grafana API response, not a dashboard`},
		},
		{
			name:  "datasource orgId does not match the org",
			files: map[string]string{"datasources/a.yaml": dsProm + "    orgId: 2\n"},
			want:  []string{`datasources/a.yaml:6:12: datasources[0].orgId: orgId 2 does not match org "Main Org." (id 1) whose directory this file is in`},
		},
		{
			name:  "_folder.yaml at the top of dashboards",
			files: map[string]string{"dashboards/_folder.yaml": "title: Root\n", "dashboards/a.json": okDash},
			want:  []string{`dashboards/_folder.yaml: _folder.yaml at the top of dashboards/ configures nothing: files here go to the General (root) folder`},
		},
		{
			name: "second org without dir; duplicate org names",
			files: map[string]string{
				"grafsync.yaml":     "orgs:\n  - name: Main Org.\n  - name: Tenant\n  - name: Tenant\n    dir: orgs/t\n",
				"dashboards/a.json": okDash,
			},
			want: []string{
				`grafsync.yaml:3:5: orgs[1]: org "Tenant" has no dir`,
				`grafsync.yaml:4:5: orgs[2].name: org "Tenant" is already defined at grafsync.yaml:3:5`,
				`orgs/t/: warning: org "Tenant": no dashboards/ or datasources/ directory`,
			},
		},
		{
			name:  "datasource both deleted and defined",
			files: map[string]string{"datasources/a.yaml": dsProm + "deleteDatasources:\n  - {name: Thanos, orgId: 1}\n"},
			want:  []string{`datasources/a.yaml:7:5: warning: deleteDatasources: "Thanos" is also defined at datasources/a.yaml:3:5`},
		},
		{
			name:  "uid not a string, after a byte order mark",
			files: map[string]string{"dashboards/a.json": "\xef\xbb\xbf{\"uid\": 12, \"title\": \"A\"}"},
			want:  []string{`dashboards/a.json:1:9: uid: want a string`},
		},
		{
			name:  "unset variable in a checked field skips the format check",
			files: map[string]string{"datasources/a.yaml": "apiVersion: 1\ndatasources:\n  - {name: cw, type: cloudwatch, jsonData: {assumeRoleArn: '${ROLE_ARN}'}}\n"},
			want:  []string{`datasources/a.yaml:3:60: warning: datasources[0].jsonData.assumeRoleArn: environment variable ROLE_ARN is not set; the value expands to ""`},
		},
		{
			name: "duplicate keys inside jsonData and a YAML dashboard",
			files: map[string]string{
				"datasources/a.yaml": dsProm + "    jsonData:\n      timeInterval: 15s\n      httpMethod: POST\n      timeInterval: 30s\n",
				"dashboards/a.yaml":  "title: A\npanels:\n  - {type: graph, type: timeseries}\n",
			},
			want: []string{
				`dashboards/a.yaml:3:19: panels[0].type: duplicate key "type" (first at line 3)`,
				`datasources/a.yaml:9:7: datasources[0].jsonData.timeInterval: duplicate key "timeInterval" (first at line 7)`,
			},
		},
		{
			// The second "uid" used to win silently, making a second dashboard.
			name: "duplicate keys in a JSON dashboard",
			files: map[string]string{
				"dashboards/alb.json":   "{\n  \"uid\": \"alb\",\n  \"title\": \"ALB\",\n  \"uid\": \"alb-dup\"\n}",
				"dashboards/nest.json":  `{"title": "N", "panels": [{"id": 1}, {"id": 2, "fieldConfig": {"defaults": {"unit": "s", "unit": "ms"}}}]}`,
				"dashboards/other.json": `{"title": "O", "templating": {"list": []}, "templating": {"list": []}}`,
			},
			want: []string{
				`dashboards/alb.json:4:3: uid: duplicate key "uid" (first at line 2)`,
				`dashboards/nest.json:1:90: panels[1].fieldConfig.defaults.unit: duplicate key "unit" (first at line 1)`,
				`dashboards/other.json:1:44: templating: duplicate key "templating" (first at line 1)`,
			},
		},
		{
			name:  "unknown file in dashboards",
			files: map[string]string{"dashboards/a.jsn": "{}", "dashboards/README.md": "# docs"},
			want:  []string{`dashboards/a.jsn: warning: ignored: not a dashboard file`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Strict: tt.strict, Getenv: func(k string) string { return tt.env[k] }}
			_, got := Load(mapFS(tt.files), opts)
			if tt.want == nil {
				tt.want = []string{}
			}
			if diff := cmp.Diff(tt.want, shorts(got)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProblemString pins whole problems, hints included.
func TestProblemString(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{
			name: "literal secret",
			file: "apiVersion: 1\ndatasources:\n  - name: Loki\n    type: loki\n    secureJsonData:\n      password: hunter2\n",
			want: "datasources/a.yaml:6:17: datasources[0].secureJsonData.password: a literal secret must not be stored in Git\n" +
				"\thint: secureJsonData.password: use ${LOKI_PASSWORD} and set it in the environment (or $__file{/path/to/secret})",
		},
		{
			// ${__value.raw} in a provisioning value is read as an environment
			// variable (Grafana does the same); the hint says to write $$.
			name: "Grafana variable without $$",
			file: dsLGTM + "    jsonData:\n      derivedFields: [{name: TraceID, datasourceUid: tempo, url: '${__value.raw}'}]\n",
			want: "datasources/a.yaml:13:66: warning: datasources[2].jsonData.derivedFields[0].url: environment variable __value.raw is not set; the value expands to \"\"\n" +
				"\thint: write $$ for a literal $ (provisioning values expand $NAME and ${NAME} from the environment), e.g. $${__value.raw}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := Load(mapFS(map[string]string{"datasources/a.yaml": tt.file}), Options{})
			if len(ps) != 1 {
				t.Fatalf("got %d problems, want 1: %v", len(ps), ps)
			}
			if diff := cmp.Diff(tt.want, ps[0].String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if strings.Contains(fmt.Sprint(ps), "hunter2") {
				t.Errorf("secret leaked into a problem: %v", ps)
			}
		})
	}
	_, ps := Load(mapFS(map[string]string{"datasources/a.yaml": tests[0].file}), Options{})
	if got, want := ps.Summary(), "1 error, 0 warnings"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

// TestExpandedContentIsLiteral: a value read from the environment or a file
// is used as it is. Expanding it again would change a secret that holds "$"
// and put the text after the "$" (a piece of the secret) into a warning.
func TestExpandedContentIsLiteral(t *testing.T) {
	files := map[string]string{"datasources/a.yaml": dsProm + `    url: http://$__env{HOST}/$$x
    jsonData: {httpHeaderName1: '${HEADER}'}
    secureJsonData:
      basicAuthPassword: $__file{/run/secrets/prom}
      httpHeaderValue1: Bearer $__env{TOKEN}
`}
	env := map[string]string{"HOST": "h$ost", "HEADER": "X-$Scope", "TOKEN": "tok$en"}
	opts := Options{
		Strict: true,
		Getenv: func(k string) string { return env[k] },
		ReadFile: func(name string) ([]byte, error) {
			if name != "/run/secrets/prom" {
				return nil, fmt.Errorf("no file %s", name)
			}
			return []byte("pa$word\n"), nil
		},
	}
	st, problems := Load(mapFS(files), opts)
	if len(problems) > 0 {
		t.Fatalf("problems (a piece of a secret must never be read as a variable name):\n%v", problems)
	}
	ds := st.Orgs[0].Datasources[0]
	got := map[string]string{
		"url":                  ds.URL,
		"httpHeaderName1":      fmt.Sprint(ds.JSONData["httpHeaderName1"]),
		"basicAuthPassword":    ds.Secure["basicAuthPassword"].Reveal(),
		"basicAuthPassword at": ds.Secure["basicAuthPassword"].From(),
		"httpHeaderValue1":     ds.Secure["httpHeaderValue1"].Reveal(),
		"httpHeaderValue1 at":  ds.Secure["httpHeaderValue1"].From(),
	}
	want := map[string]string{
		"url":                  "http://h$ost/$x",
		"httpHeaderName1":      "X-$Scope",
		"basicAuthPassword":    "pa$word",
		"basicAuthPassword at": "file /run/secrets/prom",
		"httpHeaderValue1":     "Bearer tok$en",
		"httpHeaderValue1 at":  "env TOKEN",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("expanded values (-want +got):\n%s", diff)
	}
}

// TestExpandedScalars: like Grafana's provisioning, the boolean and integer
// keys of a datasource take environment references too.
func TestExpandedScalars(t *testing.T) {
	files := map[string]string{"datasources/a.yaml": `apiVersion: 1
datasources:
  - {name: a, type: loki, isDefault: '${A_DEFAULT}', orgId: '${ORG_ID}', version: $VERSION}
  - {name: b, type: loki, orgId: '$__env{OTHER_ORG}'}
`}
	env := map[string]string{"A_DEFAULT": "true", "ORG_ID": "1", "VERSION": "3", "OTHER_ORG": "2"}
	st, problems := Load(mapFS(files), Options{Getenv: func(k string) string { return env[k] }})
	want := []string{`datasources/a.yaml:4:34: datasources[1].orgId: orgId 2 does not match org "Main Org." (id 1) whose directory this file is in`}
	if diff := cmp.Diff(want, shorts(problems)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if ds := st.Orgs[0].Datasources[0]; !ds.IsDefault {
		t.Errorf("isDefault: ${A_DEFAULT} with A_DEFAULT=true gave false")
	}
}

// TestOwnCredentialsAreRefused: a datasource that names grafsync's own
// credentials would print them in a plan (a pull-request comment) or send
// them to the datasource's server; the reference is an error and the
// variable is not read.
func TestOwnCredentialsAreRefused(t *testing.T) {
	files := map[string]string{"datasources/a.yaml": dsProm + `    url: https://x.example/?t=${GRAFANA_TOKEN}
    jsonData: {note: '$__env{GRAFSYNC_GIT_TOKEN}', other: '$GRAFANA_TOKEN_TENANT_A'}
    secureJsonData:
      basicAuthPassword: ${GRAFANA_PASSWORD}
      secretKey: ${AWS_SECRET_ACCESS_KEY}
      httpHeaderValue1: Bearer $GITHUB_TOKEN
`}
	var read []string
	getenv := func(k string) string { read = append(read, k); return "hunter2" }
	st, problems := Load(mapFS(files), Options{Getenv: getenv})
	hint := "\n\thint: give the datasource a variable of its own; the credentials grafsync and its CI run with (GRAFANA_TOKEN, GRAFANA_TOKEN_<ORG>, GRAFANA_PASSWORD, GRAFSYNC_*, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN, GITHUB_TOKEN, GH_TOKEN, ACTIONS_*_TOKEN, CI_JOB_TOKEN, CI_JOB_JWT*) never leave it"
	want := []string{
		"datasources/a.yaml:6:10: datasources[0].url: environment variable GRAFANA_TOKEN holds credentials of the process running grafsync; a datasource must not use it" + hint,
		"datasources/a.yaml:7:22: datasources[0].jsonData.note: environment variable GRAFSYNC_GIT_TOKEN holds credentials of the process running grafsync; a datasource must not use it" + hint,
		"datasources/a.yaml:7:59: datasources[0].jsonData.other: environment variable GRAFANA_TOKEN_TENANT_A holds credentials of the process running grafsync; a datasource must not use it" + hint,
		"datasources/a.yaml:9:26: datasources[0].secureJsonData.basicAuthPassword: environment variable GRAFANA_PASSWORD holds credentials of the process running grafsync; a datasource must not use it" + hint,
		"datasources/a.yaml:10:18: datasources[0].secureJsonData.secretKey: environment variable AWS_SECRET_ACCESS_KEY holds credentials of the process running grafsync; a datasource must not use it" + hint,
		"datasources/a.yaml:11:25: datasources[0].secureJsonData.httpHeaderValue1: environment variable GITHUB_TOKEN holds credentials of the process running grafsync; a datasource must not use it" + hint,
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if len(read) > 0 {
		t.Errorf("read %v from the environment", read)
	}
	if ds := st.Orgs[0].Datasources[0]; strings.Contains(fmt.Sprintf("%s %v %v", ds.URL, ds.JSONData, ds.Secure["basicAuthPassword"].Reveal()), "hunter2") {
		t.Errorf("a credential reached the state: %+v", ds)
	}
}

// TestInputsByNameWithoutUID: a provisioning file often gives no uid, and a
// dashboard shared with __inputs still maps to it: the ${DS_X} placeholders
// become the datasource's name, which Grafana resolves as it resolves a uid
// (old-schema string references and {type, uid} objects alike).
func TestInputsByNameWithoutUID(t *testing.T) {
	files := map[string]string{
		"datasources/prom.yaml": "apiVersion: 1\ndatasources:\n  - {name: Prometheus, type: prometheus, url: http://prometheus:9090}\n",
		"dashboards/node.json": `{"__inputs": [{"name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus"}],
  "title": "Node", "uid": "node", "schemaVersion": 14,
  "rows": [{"panels": [{"id": 1, "datasource": "${DS_PROMETHEUS}"}, {"id": 2, "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}}]}]}`,
	}
	st, problems := Load(mapFS(files), Options{})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", shorts(problems))
	}
	model, err := st.Orgs[0].Dashboards[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	panels := model["rows"].([]any)[0].(map[string]any)["panels"].([]any)
	want := []any{"Prometheus", map[string]any{"type": "prometheus", "uid": "Prometheus"}}
	got := []any{panels[0].(map[string]any)["datasource"], panels[1].(map[string]any)["datasource"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("substituted references (-want +got):\n%s", diff)
	}
}

// TestNumbersKeepTheirText: a dashboard's numbers reach the loaded JSON as
// written, not rounded through float64 (Grafana's legacy /api stores the
// JSON text, so 9007199254740993 stays 9007199254740993 there).
func TestNumbersKeepTheirText(t *testing.T) {
	files := map[string]string{"dashboards/a.json": `{"title": "A", "panels": [{"id": 1, "maxDataPoints": 9007199254740993, "fieldConfig": {"defaults": {"min": 1e-400, "max": 1.50, "decimals": -0, "big": 123456789012345678901234567890}}}]}`}
	state, problems := Load(mapFS(files), Options{})
	if problems.HasErrors() {
		t.Fatal(problems)
	}
	got := string(state.Orgs[0].Dashboards[0].JSON)
	for _, want := range []string{`9007199254740993`, `1e-400`, `1.50`, `-0`, `123456789012345678901234567890`} {
		if !strings.Contains(got, ":"+want) {
			t.Errorf("loaded JSON lost the number %s:\n%s", want, got)
		}
	}
}

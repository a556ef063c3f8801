package load

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/resource"
)

func TestLoadGoodRepo(t *testing.T) {
	files := map[string]string{
		"grafsync.yaml": `orgs:
  - name: Main Org.
    preferences: {theme: dark, timezone: Europe/Berlin, weekStart: monday, homeDashboardUid: home}
    teams:
      - {name: sre, email: sre@example.com, members: [ana, bob@example.com]}
    externalDatasources:
      - {uid: legacy-graphite, name: Graphite, type: graphite}
    datasourceInputs:
      DS_METRICS: thanos
  - name: Tenant A
    id: 3
    dir: orgs/tenant-a
`,
		"datasources/all.yaml": `apiVersion: 1
prune: true
deleteDatasources:
  - {name: Old, orgId: 1}
datasources:
  - name: Thanos
    type: prometheus
    uid: thanos
    url: http://${THANOS_HOST}:10902
    isDefault: true
    jsonData:
      timeInterval: 30s
      exemplarTraceIdDestinations: [{name: trace_id, datasourceUid: tempo}]
  - name: Tempo
    type: tempo
    uid: tempo
    jsonData: {serviceMap: {datasourceUid: thanos}}
  - name: Loki
    type: loki
    uid: loki
    basicAuth: true
    basicAuthUser: grafana
    jsonData:
      derivedFields:
        - {name: TraceID, datasourceUid: tempo, url: '$${__value.raw}'}
    secureJsonData:
      basicAuthPassword: ${LOKI_PASSWORD}
      tlsClientKey: $__file{/run/secrets/loki.key}
`,
		"dashboards/home.yaml":        "title: Home\nuid: home\npanels:\n  - {id: 1, datasource: Graphite}\n",
		"dashboards/ops/_folder.yaml": "uid: ops\ntitle: Operations\npermissions:\n  - {role: Viewer, permission: View}\n  - {team: sre, permission: Admin}\n  - {user: ana, permission: Edit}\n",
		"dashboards/ops/ecs/Service Overview.json": `{"id": 42, "title": " Service overview ",
  "templating": {"list": [{"name": "ds", "type": "datasource", "query": "prometheus"}]},
  "panels": [{"datasource": {"type": "prometheus", "uid": "${ds}"}, "targets": [{"datasource": "-- Mixed --"}]}]}`,
		"dashboards/ops/shared.json": `{"__inputs": [{"name": "DS_METRICS", "type": "datasource", "pluginId": "prometheus"},
  {"name": "VAR_ENV", "type": "constant", "value": "prod"}],
  "__requires": [{"type": "grafana", "id": "grafana"}], "__elements": {},
  "uid": "shared", "title": "Shared",
  "panels": [{"datasource": {"type": "prometheus", "uid": "${DS_METRICS}"}, "targets": [{"expr": "up{env=\"${VAR_ENV}\"}"}]}]}`,
		"orgs/tenant-a/dashboards/a.json": `{"title": "A"}`,
	}
	env := map[string]string{"THANOS_HOST": "thanos", "LOKI_PASSWORD": "pw"}
	opts := Options{
		Getenv: func(k string) string { return env[k] },
		ReadFile: func(name string) ([]byte, error) {
			return []byte("KEY\n"), map[bool]error{true: nil, false: os.ErrNotExist}[name == "/run/secrets/loki.key"]
		},
		Revision: "abc123",
	}
	got, problems := Load(mapFS(files), opts)
	if len(problems) > 0 {
		t.Fatalf("unexpected problems:\n%v", problems)
	}
	want := &resource.State{
		Revision: "abc123",
		Orgs: []*resource.Org{
			{
				Name: "Main Org.", ID: 1, Dir: ".",
				Source: resource.Pos{File: "grafsync.yaml", Line: 2, Col: 5},
				Folders: []*resource.Folder{
					{UID: "ops", Title: "Operations", Path: "ops", Source: resource.Pos{File: "dashboards/ops/_folder.yaml", Line: 1, Col: 1},
						Permissions: []resource.Permission{{Role: "Viewer", Permission: "View"}, {Team: "sre", Permission: "Admin"}, {User: "ana", Permission: "Edit"}}},
					{UID: "ops-ecs", Title: "ecs", ParentUID: "ops", Path: "ops/ecs", Source: resource.Pos{File: "dashboards/ops/ecs/"}},
				},
				Dashboards: []*resource.Dashboard{
					{UID: "home", Title: "Home", Path: "home.yaml", Source: resource.Pos{File: "dashboards/home.yaml"}, SourceHash: gitHashObject(t, files["dashboards/home.yaml"]),
						JSON: mustJSON(t, map[string]any{"title": "Home", "uid": "home", "panels": []any{map[string]any{"id": 1.0, "datasource": "Graphite"}}})},
					{UID: "shared", Title: "Shared", FolderUID: "ops", Path: "ops/shared.json", Source: resource.Pos{File: "dashboards/ops/shared.json"}, SourceHash: gitHashObject(t, files["dashboards/ops/shared.json"]),
						JSON: mustJSON(t, map[string]any{"uid": "shared", "title": "Shared", "panels": []any{map[string]any{
							"datasource": map[string]any{"type": "prometheus", "uid": "thanos"},
							"targets":    []any{map[string]any{"expr": `up{env="prod"}`}},
						}}})},
					{UID: "ops-ecs-service-overview", Title: "Service overview", FolderUID: "ops-ecs", Path: "ops/ecs/Service Overview.json",
						Source: resource.Pos{File: "dashboards/ops/ecs/Service Overview.json"}, SourceHash: gitHashObject(t, files["dashboards/ops/ecs/Service Overview.json"]),
						JSON: mustJSON(t, map[string]any{"uid": "ops-ecs-service-overview", "title": "Service overview",
							"templating": map[string]any{"list": []any{map[string]any{"name": "ds", "type": "datasource", "query": "prometheus"}}},
							"panels": []any{map[string]any{"datasource": map[string]any{"type": "prometheus", "uid": "${ds}"},
								"targets": []any{map[string]any{"datasource": "-- Mixed --"}}}}})},
				},
				Datasources: []*resource.Datasource{
					{Name: "Thanos", Type: "prometheus", UID: "thanos", URL: "http://thanos:10902", IsDefault: true,
						JSONData: map[string]any{"timeInterval": "30s", "exemplarTraceIdDestinations": []any{map[string]any{"name": "trace_id", "datasourceUid": "tempo"}}},
						Source:   resource.Pos{File: "datasources/all.yaml", Line: 6, Col: 5}},
					{Name: "Tempo", Type: "tempo", UID: "tempo", JSONData: map[string]any{"serviceMap": map[string]any{"datasourceUid": "thanos"}},
						Source: resource.Pos{File: "datasources/all.yaml", Line: 14, Col: 5}},
					{Name: "Loki", Type: "loki", UID: "loki", BasicAuth: true, BasicAuthUser: "grafana",
						JSONData: map[string]any{"derivedFields": []any{map[string]any{"name": "TraceID", "datasourceUid": "tempo", "url": "${__value.raw}"}}},
						Secure: map[string]resource.Secret{
							"basicAuthPassword": resource.NewSecret("pw", "env LOKI_PASSWORD"),
							"tlsClientKey":      resource.NewSecret("KEY", "file /run/secrets/loki.key"),
						},
						Source: resource.Pos{File: "datasources/all.yaml", Line: 18, Col: 5}},
				},
				DeleteDatasources: []resource.DatasourceRef{{Name: "Old", OrgID: 1, Source: resource.Pos{File: "datasources/all.yaml", Line: 4, Col: 5}}},
				PruneDatasources:  true,
				External:          []resource.ExternalDatasource{{UID: "legacy-graphite", Name: "Graphite", Type: "graphite", Source: resource.Pos{File: "grafsync.yaml", Line: 7, Col: 9}}},
				Teams: []*resource.Team{{Name: "sre", Email: "sre@example.com", Members: []string{"ana", "bob@example.com"}, Source: resource.Pos{File: "grafsync.yaml", Line: 5, Col: 9},
					MemberSources: []resource.Pos{{File: "grafsync.yaml", Line: 5, Col: 55}, {File: "grafsync.yaml", Line: 5, Col: 60}}}},
				Preferences: &resource.Preferences{Theme: "dark", Timezone: "Europe/Berlin", WeekStart: "monday", HomeDashboardUID: "home", Source: resource.Pos{File: "grafsync.yaml", Line: 3, Col: 18}},
			},
			{
				Name: "Tenant A", ID: 3, Dir: "orgs/tenant-a",
				Source: resource.Pos{File: "grafsync.yaml", Line: 10, Col: 5},
				Dashboards: []*resource.Dashboard{{UID: "a", Title: "A", Path: "a.json", Source: resource.Pos{File: "orgs/tenant-a/dashboards/a.json"}, SourceHash: gitHashObject(t, files["orgs/tenant-a/dashboards/a.json"]),
					JSON: mustJSON(t, map[string]any{"uid": "a", "title": "A"})}},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

func TestDerivedUID(t *testing.T) {
	tests := []struct{ path, want string }{
		{"platform/ecs-services", "platform-ecs-services"},
		{"Ops/Service Overview", "ops-service-overview"},
		{"a.b/ü_x", "a-b---_x"},
		{"observability/prometheus/very-long-dashboard-name-here", "observability-prometheus-very-l-20d8462a"},
	}
	for _, tt := range tests {
		got := DerivedUID(tt.path)
		if got != tt.want {
			t.Errorf("DerivedUID(%q) = %q, want %q", tt.path, got, tt.want)
		}
		if len(got) > 40 || !uidRE.MatchString(got) {
			t.Errorf("DerivedUID(%q) = %q is not a valid uid", tt.path, got)
		}
	}
}

// TestExampleRepo loads the project's own example content: it must have no
// errors, and no problem at all once the secrets it references are set.
func TestExampleRepo(t *testing.T) {
	fsys := os.DirFS("../..")
	_, problems := Load(fsys, Options{})
	if problems.HasErrors() {
		t.Errorf("example repository has errors:\n%v", problems)
	}
	_, problems = Load(fsys, Options{Strict: true, Getenv: func(string) string { return "set" }})
	if len(problems) > 0 {
		t.Errorf("example repository with its environment set has problems:\n%v", problems)
	}
	st, _ := Load(fsys, Options{})
	if n := len(st.Orgs[0].Dashboards); n < 6 {
		t.Errorf("example repository has %d dashboards, want at least 6", n)
	}
}

// mustJSON encodes an expected dashboard the way the loader keeps it.
func mustJSON(t *testing.T, v map[string]any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gitHashObject is git's own blob id of content (git hash-object), which a
// dashboard's SourceHash must equal (resource.Dashboard.SourceHash).
func gitHashObject(t *testing.T, content string) string {
	t.Helper()
	cmd := exec.Command("git", "hash-object", "--stdin")
	cmd.Stdin = strings.NewReader(content)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git hash-object: %v", err)
	}
	return strings.TrimSpace(string(out))
}

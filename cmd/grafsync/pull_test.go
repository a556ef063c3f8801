package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/benchrepo"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/view"
)

// seedHandMade fills an emulator the way people fill Grafana by hand:
// nothing carries grafsync's marker. Two orgs; in Main Org. nested
// folders, corpus-shaped dashboards (rows, templating, many panels) in
// every folder and at the root, datasources linked to each other with
// secrets, a provisioned dashboard and datasource, teams with members,
// folder permissions and preferences; in Tenant A a folder, dashboards
// with the same uids as Main Org.'s, a datasource with a secret and a team.
func seedHandMade(t *testing.T, emu *grafanatest.Emulator, dashboards int) {
	t.Helper()
	must := func(_ string, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ana := emu.AddUser(grafanatest.UserSpec{Login: "ana", Email: "ana@example.com", OrgRoles: map[int64]string{1: "Editor"}})
	bob := emu.AddUser(grafanatest.UserSpec{Login: "bob", Email: "bob@example.com", OrgRoles: map[int64]string{1: "Viewer"}})
	tenant := emu.AddOrg("Tenant A")
	carol := emu.AddUser(grafanatest.UserSpec{Login: "carol", Email: "carol@tenant.example.com", OrgRoles: map[int64]string{tenant: "Editor"}})
	if admin, ok := emu.UserIDByLogin("admin"); ok {
		if err := emu.AddOrgMember(tenant, admin, "Admin"); err != nil {
			t.Fatal(err)
		}
	}
	platform := emu.AddTeam(1, "platform", "platform@example.com", ana, bob)
	emu.AddTeam(1, "sre", "", ana)
	emu.AddTeam(tenant, "tenant-sre", "sre@tenant.example.com", carol)

	folders := []grafanatest.FolderSpec{
		{UID: "platform", Title: "Platform"},
		{UID: "platform-ecs", Title: "ECS services", ParentUID: "platform"},
		{UID: "platform-ecs-prod", Title: "Prod / EU", ParentUID: "platform-ecs"},
		{UID: "obs", Title: "Observability"},
		{UID: "obs-dup", Title: "observability!"}, // the same file name as obs: resolved by uid
	}
	for _, f := range folders {
		must(emu.SeedFolder(1, f))
	}
	if err := emu.SetFolderPermissions(1, "platform", []grafanatest.PermissionInfo{
		{Role: "Viewer", Permission: 1}, {TeamID: platform, Permission: 2}, {UserID: ana, Permission: 4},
	}); err != nil {
		t.Fatal(err)
	}
	fs, _ := benchrepo.FS(t, 0) // the datasources of a real stack
	var dsFile struct {
		Datasources []struct {
			Name, Type, UID, URL string
			IsDefault            bool           `yaml:"isDefault"`
			JSONData             map[string]any `yaml:"jsonData"`
		}
	}
	if err := yaml.Unmarshal(fs["datasources/all.yaml"].Data, &dsFile); err != nil {
		t.Fatal(err)
	}
	for _, d := range dsFile.Datasources {
		spec := grafanatest.DatasourceSpec{UID: d.UID, Name: d.Name, Type: d.Type, URL: d.URL, IsDefault: d.IsDefault, JSONData: d.JSONData}
		if d.Type == "loki" {
			spec.BasicAuth, spec.BasicAuthUser = true, "grafana"
			spec.SecureJSONData = map[string]string{"basicAuthPassword": "hunter2-" + d.UID}
		}
		if d.Type == "cloudwatch" {
			spec.SecureJSONData = map[string]string{"accessKey": "AKIA" + d.UID, "secretKey": "s3cr3t-" + d.UID}
		}
		must(emu.SeedDatasource(1, spec))
	}
	must(emu.SeedDatasource(1, grafanatest.DatasourceSpec{UID: "prov", Name: "Provisioned", Type: "prometheus", URL: "http://prov:9090", ReadOnly: true}))
	where := []string{"", "platform", "platform-ecs", "platform-ecs-prod", "obs", "obs-dup"}
	for i := range dashboards {
		must(emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: benchrepo.Dashboard(t, i), FolderUID: where[i%len(where)]}))
	}
	// Two dashboards with one title in one folder: file names by uid.
	for _, uid := range []string{"same-b", "same-a"} {
		must(emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: map[string]any{"uid": uid, "title": "Same title", "panels": []any{},
			"templating": map[string]any{"list": []any{map[string]any{"name": "q", "query": "$__all ${x}", "type": "custom"}}}}, FolderUID: "obs"}))
	}
	must(emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: map[string]any{"uid": "prov-dash", "title": "From files"}, Provisioned: true}))
	// Library panels, in a folder and in General, and a dashboard using both.
	prom := map[string]any{"type": "prometheus", "uid": "prom-0"}
	for _, lp := range []grafanatest.LibraryElementSpec{
		{UID: "lp-cpu", Name: "CPU usage", FolderUID: "platform", Model: map[string]any{"type": "timeseries", "title": "CPU", "datasource": prom,
			"targets": []any{map[string]any{"refId": "A", "expr": `rate(cpu[$__rate_interval])`, "datasource": prom}}, "gridPos": map[string]any{"h": 8, "w": 12.5}}},
		{UID: "lp-text", Name: "Runbook", Model: map[string]any{"type": "text", "title": "Runbook", "options": map[string]any{"content": "# $service"}}},
	} {
		if err := emu.SeedLibraryElement(1, lp); err != nil {
			t.Fatal(err)
		}
	}
	must(emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: map[string]any{"uid": "uses-lib", "title": "Uses library panels", "panels": []any{
		map[string]any{"id": 1, "gridPos": map[string]any{"h": 8, "w": 12, "x": 0, "y": 0}, "libraryPanel": map[string]any{"uid": "lp-cpu", "name": "CPU usage"}},
		map[string]any{"id": 2, "gridPos": map[string]any{"h": 8, "w": 12, "x": 12, "y": 0}, "libraryPanel": map[string]any{"uid": "lp-text", "name": "Runbook"}},
	}}, FolderUID: "platform"}))
	if err := emu.SetPreferences(1, grafanatest.PreferencesInfo{Theme: "dark", Timezone: "utc", WeekStart: "monday", HomeDashboardUID: "svc-0001"}); err != nil {
		t.Fatal(err)
	}

	must(emu.SeedFolder(tenant, grafanatest.FolderSpec{UID: "tenant-apps", Title: "Apps"}))
	must(emu.SeedDatasource(tenant, grafanatest.DatasourceSpec{UID: "loki", Name: "Loki", Type: "loki", URL: "http://loki:3100",
		SecureJSONData: map[string]string{"password": "tenant-secret"}, BasicAuth: true, BasicAuthUser: "t"}))
	for i := range 3 {
		must(emu.SeedDashboard(tenant, grafanatest.DashboardSpec{JSON: map[string]any{"uid": fmt.Sprintf("svc-%04d", i), "title": fmt.Sprintf("Tenant app %d", i),
			"panels": []any{map[string]any{"type": "logs", "id": 1, "datasource": map[string]any{"type": "loki", "uid": "loki"},
				"targets": []any{map[string]any{"refId": "A", "expr": `{app="x"} |= "$search"`, "datasource": map[string]any{"type": "loki", "uid": "loki"}}}}}}, FolderUID: "tenant-apps"}))
	}
}

// runCLI runs grafsync with args and the environment env (the variables
// grafsync reads are all set, to "" when not given).
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for _, k := range []string{"GRAFANA_URL", "GRAFANA_TOKEN", "GRAFANA_USER", "GRAFANA_PASSWORD", "GRAFANA_TOKEN_TENANT_A", "GRAFANA_TOKEN_MAIN_ORG_"} {
		t.Setenv(k, env[k])
	}
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// snapshotDir reads every file under dir, by slash path.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPullRoundTrip: pull a hand-made Grafana of two orgs, and the plan
// shows only adoption (grafsync's marker, the folders recorded, and the
// secrets Grafana never returns); apply adopts; then the plan is empty and
// apply writes nothing. Pull itself sends no write request.
func TestPullRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		v     grafanatest.Version
		token bool // one org, with a service-account token; else both orgs as the server admin
	}{{grafanatest.Version{Major: 11, Minor: 6}, false}, {grafanatest.Version{Major: 12, Minor: 2}, false}, {grafanatest.Version{Major: 11, Minor: 6}, true}} {
		v := tc.v
		t.Run(fmt.Sprintf("%s/token=%v", v, tc.token), func(t *testing.T) {
			emu := grafanatest.New(grafanatest.Options{Version: v})
			defer emu.Close()
			rep, err := emu.StartReplica("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			seedHandMade(t, emu, 60)
			env := map[string]string{"GRAFANA_URL": rep.URL(), "GRAFANA_USER": "admin", "GRAFANA_PASSWORD": "admin"}
			pullArgs := []string{"pull", "--repo", "DIR", "--org", "Main Org.", "--org", "Tenant A"}
			if tc.token {
				token, err := emu.AddServiceAccountToken(1, "grafsync", "Admin")
				if err != nil {
					t.Fatal(err)
				}
				env = map[string]string{"GRAFANA_URL": rep.URL(), "GRAFANA_TOKEN": token}
				pullArgs = pullArgs[:3]
			}
			dir := t.TempDir()
			pullArgs[2] = dir
			emu.ResetCounters()
			code, out, errOut := runCLI(t, env, pullArgs...)
			if code != 0 {
				t.Fatalf("pull exited %d:\n%s\n%s", code, out, errOut)
			}
			if w := emu.Writes(); w != 0 {
				t.Fatalf("pull sent %d write requests to Grafana, want 0", w)
			}
			for _, s := range []string{"hunter2", "s3cr3t", "tenant-secret"} {
				if strings.Contains(out+errOut, s) {
					t.Fatalf("pull printed a secret value %q", s)
				}
			}
			vars := pulledVariables(out)
			files := snapshotDir(t, dir)
			for _, want := range []string{
				"grafsync.yaml", "dashboards/platform/_folder.yaml", "dashboards/platform/ecs-services/prod-eu/_folder.yaml",
				"dashboards/observability/same-title.json", "dashboards/observability/same-title-same-b.json",
				"datasources/loki-0.yaml", "dashboards/platform/cpu-usage.libpanel.json", "dashboards/runbook.libpanel.json",
			} {
				if _, ok := files[want]; !ok {
					t.Errorf("pull did not write %s; wrote %v", want, keysOf(files))
				}
			}
			for p, data := range files {
				for _, s := range []string{"hunter2", "s3cr3t", "tenant-secret", `"grafsync"`, "grafsync-ownership", "prov-dash", "\"version\":", "\"id\": 1,\n  \"links\""} {
					if strings.Contains(data, s) {
						t.Errorf("%s holds %q", p, s)
					}
				}
			}
			if !strings.Contains(files["datasources/loki-0.yaml"], "basicAuthPassword: ${LOKI_0_BASIC_AUTH_PASSWORD}") {
				t.Errorf("datasources/loki-0.yaml: secret not an environment reference:\n%s", files["datasources/loki-0.yaml"])
			}
			if !tc.token {
				for _, want := range []string{"orgs/tenant-a/dashboards/apps/_folder.yaml", "orgs/tenant-a/datasources/loki.yaml"} {
					if _, ok := files[want]; !ok {
						t.Errorf("pull did not write %s", want)
					}
				}
			}
			if !strings.Contains(out, "CLOUD_WATCH_0_SECRET_KEY") || !tc.token && !strings.Contains(out, "TENANT_A_LOKI_PASSWORD") {
				t.Errorf("pull does not list the variables to set:\n%s", out)
			}

			// Plan: adoption only.
			code, out, errOut = runCLI(t, env, "plan", "--repo", dir, "--format", "json")
			if code != 0 {
				t.Fatalf("plan exited %d:\n%s\n%s", code, out, errOut)
			}
			var p view.JSONPlan
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatal(err)
			}
			var notAdoption []string
			adopted := map[string]int{}
			for _, c := range p.Changes {
				if c.Action == "no-op" {
					continue
				}
				if c.Kind == "ownership" && onlyRecordsFolders(c) {
					adopted[c.Kind]++
					continue
				}
				if !c.Adopt {
					notAdoption = append(notAdoption, fmt.Sprintf("%s %s %v", c.Action, c.Subject, c.Fields))
					continue
				}
				adopted[c.Kind]++
			}
			if len(notAdoption) > 0 {
				t.Errorf("plan right after pull shows changes other than adoption:\n%s", strings.Join(notAdoption, "\n"))
			}
			want := map[string]int{"dashboard": 63 + 3, "library-panel": 2, "datasource": 30 + 1, "team": 3, "ownership": 2}
			line := "adopt 66 dashboards, 2 library panels, 31 datasources, 3 teams, 6 folders: only grafsync's ownership marker is added"
			if tc.token {
				want = map[string]int{"dashboard": 63, "library-panel": 2, "datasource": 30, "team": 2, "ownership": 1}
				line = "adopt 63 dashboards, 2 library panels, 30 datasources, 2 teams, 5 folders: only grafsync's ownership marker is added"
			}
			if !cmp.Equal(adopted, want) {
				t.Errorf("adopted (-want +got):\n%s", cmp.Diff(want, adopted))
			}
			_, text, _ := runCLI(t, env, "plan", "--repo", dir)
			if !strings.Contains(text, line) {
				t.Errorf("the text plan does not summarise the adoption in one line:\n%s", text)
			}

			if !strings.Contains(text, "secrets written once") || !strings.Contains(text, "datasource Loki 0") || !strings.Contains(text, ": basicAuthPassword") {
				t.Errorf("the text plan does not name the secrets written once:\n%s", text)
			}

			// Apply adopts, with the secrets set; then nothing is left to do.
			for _, v := range vars {
				t.Setenv(v, "value of "+v)
			}
			code, out, errOut = runCLI(t, env, "apply", "--repo", dir)
			if code != 0 {
				t.Fatalf("apply exited %d:\n%s\n%s", code, out, errOut)
			}
			code, out, errOut = runCLI(t, env, "plan", "--repo", dir, "--detailed-exitcode")
			if code != 0 {
				t.Fatalf("plan after apply exited %d (want 0, no changes):\n%s\n%s", code, out, errOut)
			}
			emu.ResetCounters()
			code, out, errOut = runCLI(t, env, "apply", "--repo", dir)
			if code != 0 || emu.Writes() != 0 {
				t.Fatalf("a second apply exited %d with %d writes (want 0, 0):\n%s\n%s", code, emu.Writes(), out, errOut)
			}

			// A second pull changes no file.
			code, out, errOut = runCLI(t, env, pullArgs...)
			if code != 0 {
				t.Fatalf("second pull exited %d:\n%s\n%s", code, out, errOut)
			}
			if diff := cmp.Diff(files, snapshotDir(t, dir)); diff != "" {
				t.Errorf("a second pull changed files (-first +second):\n%s", diff)
			}
		})
	}
}

// onlyRecordsFolders: an ownership record's change that only adds folders.
func onlyRecordsFolders(c view.JSONChange) bool {
	for _, f := range c.Fields {
		if f.Absent != "before" || !strings.HasPrefix(f.Path, "folders.") {
			return false
		}
	}
	return len(c.Fields) > 0
}

// pulledVariables are the variables pull lists to set.
func pulledVariables(out string) []string {
	_, list, _ := strings.Cut(out, "Set these environment variables")
	var vars []string
	for _, line := range strings.Split(list, "\n")[1:] {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		vars = append(vars, strings.TrimSpace(line))
	}
	return vars
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPullManagedExample: pulling a Grafana that grafsync already manages
// (this repository's example, applied) gives a repository whose plan is
// empty: nothing to adopt, and folders whose permissions name grafsync's
// service account are left unmanaged rather than planned for removal.
func TestPullManagedExample(t *testing.T) {
	emu := grafanatest.New(grafanatest.Options{})
	defer emu.Close()
	rep, err := emu.StartReplica("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	token, err := emu.AddServiceAccountToken(1, "grafsync", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GRAFANA_URL": rep.URL(), "GRAFANA_TOKEN": token}
	t.Setenv("LOKI_PASSWORD", "demo")
	if code, out, errOut := runCLI(t, env, "apply", "--repo", repoRoot, "--log-level", "warn"); code != 0 {
		t.Fatalf("apply of the example exited %d:\n%s\n%s", code, out, errOut)
	}
	dir := t.TempDir()
	code, out, errOut := runCLI(t, env, "pull", "--repo", dir, "--log-level", "warn")
	if code != 0 {
		t.Fatalf("pull exited %d:\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "permissions of 2 folders not written") {
		t.Errorf("pull does not say which folders' permissions it left unmanaged:\n%s", out)
	}
	t.Setenv("LOKI_BASIC_AUTH_PASSWORD", "demo")
	code, out, errOut = runCLI(t, env, "plan", "--repo", dir, "--detailed-exitcode", "--log-level", "warn")
	if code != 0 {
		t.Fatalf("plan of the pulled example exited %d (want 0, no changes):\n%s\n%s", code, out, errOut)
	}
}

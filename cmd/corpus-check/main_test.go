package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeTree writes path → content under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A corpus directory splits into projects by subdirectory name, and a
// project's datasource files whose names or uids clash go to further
// repositories.
func TestDiscoverAndSplit(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"dashboards/app/a.json":            `{"title": "A"}`,
		"dashboards/app/team/b.json":       `{"title": "B"}`,
		"datasources/app/one.yaml":         "apiVersion: 1\ndatasources:\n  - {name: Prometheus, type: prometheus}\n",
		"datasources/app/two.yaml":         "apiVersion: 1\ndatasources:\n  - {name: Prometheus, type: prometheus}\n",
		"datasources/app/three.yml":        "apiVersion: 1\ndatasources:\n  - {name: Loki, type: loki, uid: loki}\n",
		"datasources/solo/x.yaml":          "apiVersion: 1\ndatasources:\n  - {name: X, type: loki, uid: loki}\n",
		"datasources/solo/notes.md":        "# not a datasource file",
		"dashboards/app/.hidden/skip.json": `{}`,
	})
	ps, err := discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, p := range ps {
		for _, r := range p.repos() {
			var files []string
			for rel := range r.dashboards {
				files = append(files, "db:"+rel)
			}
			for _, f := range r.datasources {
				files = append(files, "ds:"+filepath.Base(f))
			}
			slices.Sort(files)
			got[r.name] = files
		}
	}
	want := map[string][]string{
		"app":   {"db:.hidden/skip.json", "db:a.json", "db:team/b.json", "ds:one.yaml", "ds:three.yml"},
		"app#2": {"ds:two.yaml"},
		"solo":  {"ds:x.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
}

// Validate's unresolved references become externalDatasources and
// datasourceInputs; warnings are not taken for missing datasources.
func TestExternals(t *testing.T) {
	out := `dashboards/a.json:3:5: panels[0].datasource.uid: no datasource with uid or name "Metrics" in org "Main Org."
dashboards/a.json:4:5: panels[1].datasource: no datasource with uid or name "InfluxDB (trending)" in org "Main Org."
datasources/a.yaml:9:9: datasources[0].jsonData.serviceMap.datasourceUid: no datasource with uid "mimir" in org "Main Org."
dashboards/b.json:3:5: __inputs[0]: DS_GRAFANA-CLICKHOUSE-DATASOURCE needs a datasource of type "grafana-clickhouse-datasource"; org "Main Org." has none
dashboards/c.json:3:5: __inputs[0]: DS_PROM could be any of the 2 prometheus datasources (Prometheus, Thanos)
dashboards/d.json:1:197: warning: panels[0].targets[0].datasource.uid: no datasource with uid or name "000000001" in org "Main Org." (ignored: the panel's datasource is used)
dashboards/e.json:3:5: panels[0].datasource.uid: no datasource with uid or name "Metrics" in org "Main Org."
`
	got := externals(out)
	want := config{
		External: []map[string]string{
			{"uid": "Metrics"},
			{"name": "InfluxDB (trending)"},
			{"uid": "mimir"},
			{"uid": "corpus-grafana-clickhouse-datasource", "name": "corpus grafana-clickhouse-datasource", "type": "grafana-clickhouse-datasource"},
		},
		Inputs: map[string]string{"DS_PROM": "Prometheus"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Policy-refused secrets are rewritten in place at validate's positions.
func TestRewriteSecrets(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"datasources/a.yaml": "apiVersion: 1\ndatasources:\n  - name: A\n    secureJsonData:\n      password: 'hunter2'\n      token: $GITHUB_TOKEN\n"})
	out := `datasources/a.yaml:5:17: datasources[0].secureJsonData.password: a literal secret must not be stored in Git
datasources/a.yaml:6:14: datasources[0].secureJsonData.token: environment variable GITHUB_TOKEN holds credentials of the process running grafsync; a datasource must not use it
`
	env, err := rewriteSecrets(dir, out)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "datasources/a.yaml"))
	want := "apiVersion: 1\ndatasources:\n  - name: A\n    secureJsonData:\n      password: \"${CORPUS_SECRET_1}\"\n      token: \"${CORPUS_SECRET_2}\"\n"
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CORPUS_SECRET_1=corpus-check-secret-1", "CORPUS_SECRET_2=corpus-check-secret-2"}, env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
}

func TestDummyValue(t *testing.T) {
	for name, want := range map[string]string{
		"AWS_REGION":            "us-east-1",
		"AWS_REGION:-eu-west-1": "us-east-1",
		"CLOUDWATCH_ROLE_PROD":  "arn:aws:iam::123456789012:role/corpus-check",
		"LOKI_URL":              "http://corpus-check.invalid",
		"LOKI_PASSWORD":         "corpus-check-loki_password",
	} {
		if got := dummyValue(name); got != want {
			t.Errorf("dummyValue(%s) = %s, want %s", name, got, want)
		}
	}
}

// The whole check over a small project: a nested folder, a uid-less
// datasource referenced by the uid Grafana gives it, two dashboards with one
// title, a literal secret. 10.x without the toggle refuses the nested tree,
// 11.2 blocks the titles, 11.3 round-trips.
func TestRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds grafsync")
	}
	bin := filepath.Join(t.TempDir(), "grafsync")
	build := exec.Command("go", "build", "-o", bin, "../grafsync")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build grafsync: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "shop")
	writeTree(t, dir, map[string]string{
		"ops/node.json":        `{"uid": "node", "title": "Node", "panels": [{"datasource": {"type": "prometheus", "uid": "PBFA97CFB590B2093"}}]}`,
		"ops/deep/node2.json":  `{"uid": "node2", "title": "Node", "panels": []}`,
		"ops/deep/same.json":   `{"uid": "same", "title": "Node", "panels": []}`,
		"provisioning/ds.yaml": "apiVersion: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    secureJsonData:\n      basicAuthPassword: hunter2\n",
		"docker-compose.yaml":  "services: {}\n",
	})
	var stdout, stderr bytes.Buffer
	err := run([]string{"--grafsync", bin, "--modes", "10,10+nested,11.2,11.3", dir}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	lines := strings.Split(stdout.String(), "\n")
	want := []string{"shop", "3", "1", "1/1", "0", "1", "0/2", "1", "nested", "titles", "titles", "ok", "7"}
	if got := strings.Fields(lines[1]); !cmp.Equal(want, got) {
		t.Errorf("row: want %q, got %q\n%s", want, got, stdout.String())
	}
}

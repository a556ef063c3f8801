package pull

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/resource"
)

// TestFolderFileKeeps: a _folder.yaml pull rewrites keeps what pull did not
// pull (permissions nil: not asked for, or left unmanaged) and keys it does
// not model; pulled permissions replace the old ones.
func TestFolderFileKeeps(t *testing.T) {
	f := grafana.Folder{UID: "db", Title: "Databases"}
	old := "uid: db\ntitle: Old\npermissions:\n  - team: sre\n    permission: Edit\nextra: 1\n"
	for _, tt := range []struct {
		name  string
		perms []permission
		old   string
		want  string
	}{
		{"unmanaged keeps the file's", nil, old, "uid: db\ntitle: Databases\npermissions:\n  - team: sre\n    permission: Edit\nextra: 1\n"},
		{"pulled replace them", []permission{{"role", "Viewer", "View"}}, old, "uid: db\ntitle: Databases\npermissions:\n  - role: Viewer\n    permission: View\nextra: 1\n"},
		{"pulled empty: none managed", []permission{}, old, "uid: db\ntitle: Databases\npermissions: []\nextra: 1\n"},
		{"new file, unmanaged", nil, "", "uid: db\ntitle: Databases\n"},
	} {
		var o []byte
		if tt.old != "" {
			o = []byte(tt.old)
		}
		if diff := cmp.Diff(tt.want, string(folderFile(f, tt.perms, o))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestDatasourceEntryKeeps: an existing entry keeps editable as written (or
// unwritten), access unwritten when proxy, and keys pull does not model.
func TestDatasourceEntryKeeps(t *testing.T) {
	d := grafana.Datasource{UID: "loki", Name: "Loki", Type: "loki", Access: "proxy", URL: "http://loki:3100"}
	for _, tt := range []struct{ name, old, want string }{
		{"new entry", "", "name: Loki\nuid: loki\ntype: loki\naccess: proxy\nurl: http://loki:3100\neditable: true\n"},
		{"editable false kept", "name: Loki\nuid: loki\naccess: proxy\neditable: false\n", "name: Loki\nuid: loki\ntype: loki\naccess: proxy\nurl: http://loki:3100\neditable: false\n"},
		{"no editable, no access", "name: Loki\nuid: loki\nurl: http://old\n", "name: Loki\nuid: loki\ntype: loki\nurl: http://loki:3100\n"},
		{"orgId and version kept", "name: Loki\norgId: 1\nversion: 3\n", "name: Loki\nuid: loki\ntype: loki\nurl: http://loki:3100\norgId: 1\nversion: 3\n"},
	} {
		var old *yaml.Node
		if tt.old != "" {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(tt.old), &doc); err != nil {
				t.Fatal(err)
			}
			old = doc.Content[0]
		}
		got, err := encodeYAML(datasourceEntry(d, old, func(k string) string { return "X" }))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestSamePermissions(t *testing.T) {
	loaded := []resource.Permission{{Role: "Viewer", Permission: "View"}, {Team: "sre", Permission: "Edit"}, {User: "ana", Permission: "Admin"}}
	for _, tt := range []struct {
		name   string
		loaded []resource.Permission
		pulled []permission
		want   bool
	}{
		{"any order", loaded, []permission{{"user", "ana", "Admin"}, {"team", "sre", "Edit"}, {"role", "Viewer", "View"}}, true},
		{"not pulled", loaded, nil, true},
		{"level differs", loaded, []permission{{"user", "ana", "Edit"}, {"team", "sre", "Edit"}, {"role", "Viewer", "View"}}, false},
		{"one more", loaded[:2], []permission{{"team", "sre", "Edit"}, {"role", "Viewer", "View"}, {"user", "ana", "Admin"}}, false},
		{"file sets none", nil, []permission{}, false},
		{"duplicates counted", []resource.Permission{{Team: "sre", Permission: "Edit"}, {Role: "Viewer", Permission: "View"}}, []permission{{"team", "sre", "Edit"}, {"team", "sre", "Edit"}}, false},
	} {
		if got := samePermissions(tt.loaded, tt.pulled); got != tt.want {
			t.Errorf("%s: samePermissions = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSameData(t *testing.T) {
	for _, tt := range []struct {
		path, old, new string
		want           bool
	}{
		{"a.yaml", "# comment\nb: 1\na: [x]\n", "a:\n  - x\nb: 1\n", true},
		{"a.yaml", "a: 1\n", "a: 2\n", false},
		{"a.yaml", "a: 1\n", "a: 1\nb: null\n", false},
		{"a.json", `{"b": 1, "a": {"y": 2, "x": 1}}`, "{\n  \"a\": {\"x\": 1, \"y\": 2},\n  \"b\": 1\n}\n", true},
		{"a.json", `{"a": 1.0}`, `{"a": 1}`, false}, // numbers as written
		{"a.txt", "x", "x ", false},
	} {
		if got := sameData(tt.path, []byte(tt.old), []byte(tt.new)); got != tt.want {
			t.Errorf("sameData(%s, %q, %q) = %v, want %v", tt.path, tt.old, tt.new, got, tt.want)
		}
	}
}

// TestDatasourcesAsLoaded: an existing entry is matched with its live
// datasource as the loader reads it (a uid from an unset ${VAR} reads as
// none: matched by name), and a template's entry is neither a datasource
// gone from Grafana nor rewritten; what it generates gets no file.
func TestDatasourcesAsLoaded(t *testing.T) {
	emu, c := emulator(t)
	for _, d := range []grafanatest.DatasourceSpec{
		{UID: "prom", Name: "Prom", Type: "prometheus", URL: "http://p", Access: "proxy"},
		{UID: "cw-prod", Name: "CloudWatch prod", Type: "cloudwatch", Access: "proxy"},
	} {
		if _, err := emu.SeedDatasource(1, d); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	files := map[string]string{
		"datasources/prom.yaml": "apiVersion: 1\ndatasources:\n  - name: Prom\n    uid: ${PROM_UID_UNSET}\n    type: prometheus\n    url: http://old\n",
		"datasources/cw.yaml":   "apiVersion: 1\ndatasources:\n  - name: CloudWatch {{name}}\n    uid: cw-{{name}}\n    type: cloudwatch\n    jsonData:\n      grafsyncAccounts: all\n      authType: default\n",
		"roles/accounts.yaml": "grafana:\n  accountId: \"999999999999\"\n  taskRoleArn: arn:aws:iam::999999999999:role/grafana-task\n" +
			"defaults:\n  roleName: grafana-cloudwatch-read\npermissions: [metrics]\naccounts:\n  - id: \"111111111111\"\n    name: prod\n    regions: [eu-west-1]\n",
	}
	for p, data := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(data), 0o644)
	}
	res, err := Pull(context.Background(), []Org{{Name: "Main Org.", ID: 1, Dir: ".", Client: c}}, Options{Root: dir, Kinds: []Kind{Datasources}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"datasources/prom.yaml": "update datasources"}
	if diff := cmp.Diff(want, changes(res)); diff != "" {
		t.Errorf("pull (-want +got):\n%s", diff)
	}
	cw, _ := os.ReadFile(filepath.Join(dir, "datasources/cw.yaml"))
	if diff := cmp.Diff(files["datasources/cw.yaml"], string(cw)); diff != "" {
		t.Errorf("the template was rewritten (-want +got):\n%s", diff)
	}
}

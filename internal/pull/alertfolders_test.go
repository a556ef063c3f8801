package pull

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/load"
)

// alertRulesYAML holds a rule group per way of naming a folder: a plain
// title with a comment after it, a single-quoted path of titles, a title
// in a flow mapping after a non-ASCII name (yaml.v3 counts columns in
// characters), a folder the rename does not touch.
const alertRulesYAML = `# Rules of the platform team.
apiVersion: 1
groups:
  - orgId: 1
    name: api
    folder: Platform   # by title
    interval: 1m
    rules:
      - uid: r1
        title: R1
        condition: A
        data:
          - {refId: A, datasourceUid: __expr__, model: {type: math, expression: "1"}}
  - name: ecs
    folder: 'Platform/ECS'
    interval: 1m
    rules:
      - {uid: r2, title: R2, condition: A, data: [{refId: A, datasourceUid: __expr__, model: {type: math, expression: "1"}}]}
  - {name: "überflow", folder: "Platform", interval: 1m, rules: [{uid: r3, title: R3, condition: A, data: [{refId: A, datasourceUid: __expr__, model: {type: math, expression: "1"}}]}]}
  - name: jobs
    folder: ECS
    interval: 1m
    rules:
      - {uid: r4, title: R4, condition: A, data: [{refId: A, datasourceUid: __expr__, model: {type: math, expression: "1"}}]}
  - name: other
    folder: Other
    interval: 1m
    rules:
      - {uid: r5, title: R5, condition: A, data: [{refId: A, datasourceUid: __expr__, model: {type: math, expression: "1"}}]}
`

const alertRulesJSON = `{
  "apiVersion": 1,
  "groups": [
    {
      "orgId": 1,
      "name": "json",
      "folder": "Platform",
      "interval": "1m",
      "rules": [{"uid": "r6", "title": "R6", "condition": "A", "data": [{"refId": "A", "datasourceUid": "__expr__", "model": {"type": "math", "expression": "1"}}]}]
    }
  ]
}
`

// TestPullRenamedFolderAlerting: a folder renamed in Grafana keeps its rule
// groups there (Grafana links a group to its folder by uid); pull rewrites
// the alerting files' folder values that named it by its old title, and
// only those bytes, so the repository still loads with each group in the
// same folder.
func TestPullRenamedFolderAlerting(t *testing.T) {
	tests := []struct {
		name, uid, title string
		// replace: each old text of the files → its text after the pull
		yaml, json map[string]string
	}{
		{
			name: "plain title", uid: "platform", title: "Platform edited",
			yaml: map[string]string{
				"folder: Platform   #":   "folder: Platform edited   #",
				"folder: 'Platform/ECS'": "folder: 'Platform edited/ECS'",
				`folder: "Platform",`:    `folder: "Platform edited",`,
			},
			json: map[string]string{`"folder": "Platform"`: `"folder": "Platform edited"`},
		},
		{
			name: "title that needs quoting", uid: "platform", title: `Platform: it's "new" #1`,
			yaml: map[string]string{
				"folder: Platform   #":   `folder: "Platform: it's \"new\" #1"   #`,
				"folder: 'Platform/ECS'": `folder: 'Platform: it''s "new" #1/ECS'`,
				`folder: "Platform",`:    `folder: "Platform: it's \"new\" #1",`,
			},
			json: map[string]string{`"folder": "Platform"`: `"folder": "Platform: it's \"new\" #1"`},
		},
		{
			name: "nested folder", uid: "ecs", title: "Jobs",
			yaml: map[string]string{
				"folder: 'Platform/ECS'": "folder: 'Platform/Jobs'",
				"folder: ECS\n":          "folder: Jobs\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, c, url := emulatorURL(t)
			ctx := context.Background()
			for _, f := range []grafanatest.FolderSpec{{UID: "platform", Title: "Platform"}, {UID: "ecs", Title: "ECS", ParentUID: "platform"}, {UID: "other", Title: "Other"}} {
				if _, err := emu.SeedFolder(1, f); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			files := map[string]string{
				"dashboards/platform/_folder.yaml":     "uid: platform\ntitle: Platform\n",
				"dashboards/platform/ecs/_folder.yaml": "uid: ecs\ntitle: ECS\n",
				"dashboards/other/_folder.yaml":        "uid: other\ntitle: Other\n",
				"alerting/rules.yaml":                  alertRulesYAML,
				"alerting/more/rules.json":             alertRulesJSON,
			}
			for p, data := range files {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
				if err := os.WriteFile(filepath.Join(dir, p), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			renameFolder(t, url, tt.uid, tt.title)

			orgs := []Org{{Name: "Main Org.", ID: 1, Dir: ".", Client: c}}
			opts := Options{Root: dir, Kinds: []Kind{Dashboards}}
			res, err := Pull(ctx, orgs, opts)
			if err != nil {
				t.Fatal(err)
			}
			for p, repl := range map[string]map[string]string{"alerting/rules.yaml": tt.yaml, "alerting/more/rules.json": tt.json} {
				want := files[p]
				for old, new := range repl {
					if !strings.Contains(want, old) {
						t.Fatalf("%s has no %q", p, old)
					}
					want = strings.Replace(want, old, new, 1)
				}
				got, _ := os.ReadFile(filepath.Join(dir, p))
				if diff := cmp.Diff(want, string(got)); diff != "" {
					t.Errorf("%s after the pull (-want +got):\n%s", p, diff)
				}
				if ch := changes(res)[p]; (len(repl) > 0) != strings.HasPrefix(ch, "update folder ") {
					t.Errorf("%s: pull reports %q, want an update naming the folder when it changes", p, ch)
				}
			}

			st, problems := load.Load(os.DirFS(dir), load.Options{})
			if problems.HasErrors() {
				t.Fatalf("the pulled repository does not load: %v", problems)
			}
			folderOf := map[string]string{}
			for _, g := range st.Orgs[0].Alerting.RuleGroups {
				folderOf[g.Name] = g.FolderUID
			}
			want := map[string]string{"api": "platform", "ecs": "ecs", "überflow": "platform", "jobs": "ecs", "other": "other", "json": "platform"}
			if diff := cmp.Diff(want, folderOf); diff != "" {
				t.Errorf("rule groups' folders after the pull (-want +got):\n%s", diff)
			}

			// The same Grafana pulled again: nothing changes.
			if res, err = Pull(ctx, orgs, opts); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]string{}, changes(res)); diff != "" {
				t.Errorf("second pull changed files:\n%s", diff)
			}
		})
	}
}

// emulatorURL is emulator with the replica's URL, for requests the client
// does not make (a rename in Grafana's UI).
func emulatorURL(t *testing.T) (*grafanatest.Emulator, *grafana.Client, string) {
	t.Helper()
	emu := grafanatest.New(grafanatest.Options{})
	t.Cleanup(emu.Close)
	rep, err := emu.StartReplica("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := grafana.New(grafana.Config{URLs: []string{rep.URL()}, User: "admin", Password: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	return emu, c, rep.URL()
}

// renameFolder renames a folder as Grafana's UI does: PUT /api/folders/:uid
// with the new title and the version read.
func renameFolder(t *testing.T, url, uid, title string) {
	t.Helper()
	do := func(method string, body any) map[string]any {
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, err := http.NewRequest(method, url+"/api/folders/"+uid, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("admin", "admin")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s /api/folders/%s: %d %v", method, uid, resp.StatusCode, out)
		}
		return out
	}
	f := do(http.MethodGet, nil)
	do(http.MethodPut, map[string]any{"title": title, "version": f["version"]})
	if got := do(http.MethodGet, nil)["title"]; got != title {
		t.Fatalf("folder %s is titled %v after the rename, want %q", uid, got, title)
	}

}

// TestPullRenamedFolderByHand: a folder value pull cannot rewrite in place
// (here an alias another group shares) fails the pull with the file, line
// and field, and what to write there; the file is left as it was.
func TestPullRenamedFolderByHand(t *testing.T) {
	emu, c, url := emulatorURL(t)
	if _, err := emu.SeedFolder(1, grafanatest.FolderSpec{UID: "platform", Title: "Platform"}); err != nil {
		t.Fatal(err)
	}
	rule := func(uid string) string {
		return "      - {uid: " + uid + ", title: " + uid + `, condition: A, data: [{refId: A, datasourceUid: __expr__, model: {type: math, expression: "1"}}]}` + "\n"
	}
	alias := "apiVersion: 1\ngroups:\n  - name: a\n    folder: &f Platform\n    interval: 1m\n    rules:\n" + rule("r1") +
		"  - name: b\n    folder: *f\n    interval: 1m\n    rules:\n" + rule("r2")
	dir := t.TempDir()
	for p, data := range map[string]string{"dashboards/platform/_folder.yaml": "uid: platform\ntitle: Platform\n", "alerting/alias.yaml": alias} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(data), 0o644)
	}
	if _, problems := load.Load(os.DirFS(dir), load.Options{}); problems.HasErrors() {
		t.Fatalf("the repository does not load before the rename: %v", problems)
	}
	renameFolder(t, url, "platform", "Platform edited")
	_, err := Pull(context.Background(), []Org{{Name: "Main Org.", ID: 1, Dir: ".", Client: c}}, Options{Root: dir, Kinds: []Kind{Dashboards}})
	if err == nil || !strings.Contains(err.Error(), "alerting/alias.yaml:") || !strings.Contains(err.Error(), `.folder: folder "Platform" is titled "Platform edited" in Grafana now`) ||
		!strings.Contains(err.Error(), "by hand") {
		t.Fatalf("pull: %v, want an error naming alerting/alias.yaml's folder value and to edit it by hand", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "alerting", "alias.yaml")); string(got) != alias {
		t.Errorf("alerting/alias.yaml changed:\n%s", got)
	}
}

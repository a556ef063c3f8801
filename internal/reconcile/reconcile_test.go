package reconcile

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

func inputsFor(t *testing.T, version string, files map[string]string) (Inputs, *grafanatest.Emulator) {
	t.Helper()
	v, err := grafanatest.ParseVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	emu, rep := grafanatest.Start(t, grafanatest.Options{Version: v})
	key, err := emu.AddServiceAccountToken(1, "grafsync", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	c, err := grafana.New(grafana.Config{URLs: []string{rep.URL()}, Token: key})
	if err != nil {
		t.Fatal(err)
	}
	repo := fstest.MapFS{}
	for name, content := range files {
		repo[name] = &fstest.MapFile{Data: []byte(content)}
	}
	return Inputs{Repo: repo, Client: c}, emu
}

// A nested directory on a Grafana with nested folders off (10.x without
// the toggle) is refused while planning, naming the folder and what to do;
// with nested folders on it plans as usual.
func TestNestedFoldersNeedGrafanaSupport(t *testing.T) {
	files := map[string]string{
		"dashboards/platform/aws/_folder.yaml": "uid: aws\ntitle: AWS\n",
		"dashboards/platform/aws/ecs.json":     `{"uid": "ecs", "title": "ECS", "panels": []}`,
	}
	tests := []struct {
		version string
		wantErr string
	}{
		{"10", "folder platform/aws is nested (dashboards/platform/aws/_folder.yaml"},
		{"11", ""},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			in, _ := inputsFor(t, tt.version, files)
			out, err := Plan(t.Context(), in)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("plan: %v", err)
			case tt.wantErr == "":
				if got := out.Plan.Summary(); got != "Plan: 4 to create, 0 to update, 0 to delete." /* 2 folders, a dashboard, the ownership ledger */ {
					t.Errorf("summary %q", got)
				}
			case err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "enable the toggle"):
				t.Errorf("plan error %v, want one containing %q and what to do", err, tt.wantErr)
			}
		})
	}
}

// A repository with errors is reported, and nothing is written to Grafana.
// (Plan reads Grafana while it loads the repository, so some reads may have
// gone out; they are abandoned, and their errors do not hide the problems.)
func TestProblemsStopBeforeGrafana(t *testing.T) {
	in, emu := inputsFor(t, "11", map[string]string{"dashboards/broken.json": `{"uid": "x"`})
	out, err := Plan(t.Context(), in)
	var pe *ProblemsError
	if !errors.As(err, &pe) || len(out.Problems) == 0 {
		t.Fatalf("plan error %v, want a ProblemsError with the problems", err)
	}
	if n := emu.Writes(); n != 0 {
		t.Errorf("%d write requests reached Grafana, want none", n)
	}
}

// The repository's problems win over Grafana being unreachable: they are
// what the user must fix first.
func TestProblemsWinOverUnreachableGrafana(t *testing.T) {
	in, emu := inputsFor(t, "11", map[string]string{"dashboards/broken.json": `{"uid": "x"`})
	for _, r := range emu.Replicas() {
		r.Stop()
	}
	_, err := Plan(t.Context(), in)
	var pe *ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("plan error %v, want the repository's problems", err)
	}
}

// tokenAccess reaches each org with a client of its own.
type tokenAccess map[string]*grafana.Client

func (a tokenAccess) Admin() *grafana.Client { return nil }

func (a tokenAccess) ForOrg(name string, _ int64) (*grafana.Client, error) { return a[name], nil }

func (a tokenAccess) Describe(name string) string { return "the token of " + name }

// Each org of a repository that declares several is checked for nested
// folders as a single org is.
func TestNestedFoldersNeedGrafanaSupportInEveryOrg(t *testing.T) {
	in, emu := inputsFor(t, "10", map[string]string{
		"grafsync.yaml": "orgs:\n  - name: Main Org.\n  - name: Tenant A\n    dir: orgs/tenant-a\n",
		"orgs/tenant-a/dashboards/platform/aws/_folder.yaml": "uid: aws\ntitle: AWS\n",
	})
	tenant := emu.AddOrg("Tenant A")
	key, err := emu.AddServiceAccountToken(tenant, "grafsync", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	c, err := grafana.New(grafana.Config{URLs: in.Client.URLs(), Token: key})
	if err != nil {
		t.Fatal(err)
	}
	in.Access = tokenAccess{"Main Org.": in.Client, "Tenant A": c}
	_, err = Plan(t.Context(), in)
	if err == nil || !strings.Contains(err.Error(), "folder platform/aws is nested") {
		t.Errorf("plan error %v, want the nested folder of Tenant A refused", err)
	}
}

// Without a client a single-org repository is an error, never a nil plan.
func TestNoClientIsAnError(t *testing.T) {
	repo := fstest.MapFS{"dashboards/d.json": {Data: []byte(`{"uid": "d", "title": "D", "panels": []}`)}}
	out, err := Plan(t.Context(), Inputs{Repo: repo})
	if err == nil || out.Plan != nil {
		t.Errorf("plan without a client: %v, error %v; want an error", out.Plan, err)
	}
}

// adminAccess reaches every org as the emulator's server admin.
type adminAccess struct{ admin *grafana.Client }

func (a adminAccess) Admin() *grafana.Client { return a.admin }

func (a adminAccess) ForOrg(_ string, id int64) (*grafana.Client, error) {
	return grafana.New(grafana.Config{URLs: a.admin.URLs(), User: "admin", Password: "admin", OrgID: id})
}

func (a adminAccess) Describe(string) string { return "the admin" }

// An org that apply would create is checked for nested folders too, before
// anything is written.
func TestNestedFoldersNeedGrafanaSupportInANewOrg(t *testing.T) {
	in, emu := inputsFor(t, "10", map[string]string{
		"grafsync.yaml": "orgs:\n  - name: Main Org.\n  - name: Tenant A\n    dir: orgs/tenant-a\n",
		"orgs/tenant-a/dashboards/platform/aws/_folder.yaml": "uid: aws\ntitle: AWS\n",
	})
	admin, err := grafana.New(grafana.Config{URLs: in.Client.URLs(), User: "admin", Password: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	in.Access = adminAccess{admin}
	_, err = Plan(t.Context(), in)
	if err == nil || !strings.Contains(err.Error(), "folder platform/aws is nested") {
		t.Errorf("plan error %v, want the nested folder of the new org refused", err)
	}
	if _, ok := emu.OrgIDByName("Tenant A"); ok {
		t.Error("the org was created while planning")
	}
}

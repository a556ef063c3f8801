package apply_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/apply"
	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/reconcile"
)

// ledgerFolders reads the ownership ledger straight from the emulator.
func ledgerFolders(t *testing.T, emu *grafanatest.Emulator) []string {
	t.Helper()
	data, _, version, ok := emu.GetDashboard(1, normalize.LedgerUID)
	if !ok {
		return nil
	}
	l, err := normalize.ParseLedger(grafana.Dashboard{UID: normalize.LedgerUID, Version: version, JSON: data})
	if err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(func(yield func(string) bool) {
		for uid := range l.Folders {
			if !yield(uid) {
				return
			}
		}
	})
}

// Several runners plan against the same Grafana before any of them
// applies (so each read the ledger absent, or at one version) and then
// apply at once, each with a repository of its own folder plus a shared
// one: the ledger ends holding every runner's folders. Each runner that
// lost the race read the ledger again and added its entries to what was
// there (the dashboard version is the lock); nobody's entry is lost.
func TestLedgerSurvivesConcurrentApplies(t *testing.T) {
	const runners = 6
	// In every version mode: 13.x refuses a stale ledger save with 409
	// "Dashboard already exists. Use overwrite flag to update." (source
	// audit row 3), the others with 412; both are read again and retried.
	for _, version := range emulatedVersions {
		t.Run(version, func(t *testing.T) {
			base := newFixture(t, grafanatest.Options{Version: mustVersion(t, version)}, nil)
			fixtures := make([]*fixture, runners)
			want := []string{"shared"}
			for i := range fixtures {
				f := *base
				f.repo = fstest.MapFS{}
				f.write(map[string]string{
					"dashboards/shared/_folder.yaml":                "uid: shared\ntitle: Shared\n",
					fmt.Sprintf("dashboards/own%d/_folder.yaml", i): fmt.Sprintf("uid: own%d\ntitle: Own %d\n", i, i),
				})
				fixtures[i] = &f
				want = append(want, fmt.Sprintf("own%d", i))
			}
			slices.Sort(want)
			outs := make([]*plan.Plan, runners)
			for i, f := range fixtures {
				out := f.plan(t)
				outs[i] = out.Plan
			}
			var wg sync.WaitGroup
			errs := make([]error, runners)
			for i, f := range fixtures {
				wg.Go(func() {
					_, errs[i] = applyPlan(f, outs[i])
				})
			}
			wg.Wait()
			// The shared folder is created by one runner; the others' creates are
			// refused and read back as what they asked for.
			for i, err := range errs {
				if err != nil {
					t.Errorf("runner %d: %v", i, err)
				}
			}
			if diff := cmp.Diff(want, ledgerFolders(t, base.emu)); diff != "" {
				t.Errorf("ledger folders after %d concurrent applies (-want +got):\n%s", runners, diff)
			}
			// All planned against an absent ledger: one created it, each other
			// was refused, read it again and added its folder: one version each.
			if versions := base.emu.DashboardVersions(1, normalize.LedgerUID); len(versions) != runners {
				t.Errorf("ledger versions %v, want one per runner (%d)", versions, runners)
			}
			// Every runner has converged: without prune (the others' folders are
			// grafsync's and not in its Git), its plan is empty.
			for i, f := range fixtures {
				in := f.inputs()
				in.Plan.Prune = false
				out, err := reconcile.Plan(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				if out.Plan.HasChanges() || len(out.Plan.Orphans) != runners-1 {
					t.Errorf("runner %d re-plan: %s, orphans %v", i, out.Plan.Summary(), out.Plan.Orphans)
				}
			}
			if diff := cmp.Diff(want, ledgerFolders(t, base.emu)); diff != "" {
				t.Errorf("ledger folders after re-applies (-want +got):\n%s", diff)
			}
		})
	}
}

// A ledger write that lands but whose answer is lost is retried by the
// client; Grafana refuses the retry (the ledger moved), apply reads the
// ledger back, finds its entries there and writes nothing more.
func TestLedgerWriteWithLostAnswer(t *testing.T) {
	emu, rep := grafanatest.Start(t, grafanatest.Options{})
	var mu sync.Mutex
	lost := 0
	dropLedgerAnswer := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := http.DefaultTransport.RoundTrip(r)
		mu.Lock()
		defer mu.Unlock()
		if err == nil && r.Method == http.MethodPost && r.URL.Path == "/api/dashboards/db" &&
			bytes.Contains(body, []byte(normalize.LedgerUID)) && lost == 0 {
			lost++
			resp.Body.Close()
			return nil, errors.New("connection reset by peer (the answer was lost)")
		}
		return resp, err
	})
	f := fixtureOn(t, emu, grafana.Config{URLs: []string{rep.URL()}, Transport: dropLedgerAnswer})
	f.write(map[string]string{"dashboards/team/_folder.yaml": folderYAML})
	res, err := f.apply(t, f.plan(t))
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if lost != 1 {
		t.Fatalf("%d ledger answers lost, want 1", lost)
	}
	if diff := cmp.Diff(map[plan.Action]int{plan.Create: 2}, res.Done); diff != "" {
		t.Errorf("done (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"team"}, ledgerFolders(t, emu)); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
	if versions := emu.DashboardVersions(1, normalize.LedgerUID); len(versions) != 1 {
		t.Errorf("ledger versions %v: written more than once", versions)
	}
	if p := f.plan(t).Plan; p.HasChanges() {
		t.Errorf("re-plan after apply: %s", p.Summary())
	}
}

// The ledger deleted by hand proves nothing: every folder is kept, the
// plan says why, and the next apply writes the ledger anew with the
// folders Git declares (they are grafsync's again).
func TestLedgerDeletedByHand(t *testing.T) {
	f := newFixture(t, grafanatest.Options{}, map[string]string{
		"dashboards/team/_folder.yaml": folderYAML,
		"dashboards/gone/_folder.yaml": "uid: gone\ntitle: Gone\n",
	})
	f.converge(t)
	if err := f.emu.DeleteDashboard(1, normalize.LedgerUID); err != nil {
		t.Fatal(err)
	}
	f.write(map[string]string{"dashboards/gone/_folder.yaml": ""})
	out := f.plan(t)
	if n := out.Plan.Counts()[plan.Delete]; n != 0 {
		t.Errorf("plan deletes %d without a ledger: %s", n, out.Plan.Summary())
	}
	if len(out.Plan.Kept) != 1 || !bytes.Contains([]byte(out.Plan.Kept[0]), []byte("folder gone is kept: grafsync cannot prove it made this folder: the ownership ledger (dashboard grafsync-ownership) does not exist")) {
		t.Errorf("kept notes %q", out.Plan.Kept)
	}
	f.converge(t)
	if _, ok := f.emu.GetFolder(1, "gone"); !ok {
		t.Error("folder gone was deleted without proof")
	}
	if diff := cmp.Diff([]string{"team"}, ledgerFolders(t, f.emu)); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
}

// applyPlan applies a plan with f's client.
func applyPlan(f *fixture, p *plan.Plan) (*apply.Result, error) {
	return apply.Apply(context.Background(), f.client, p, apply.Options{Message: "test"})
}

// Upgrading: folders an older grafsync made (no ledger yet) are not proven
// grafsync's, whatever createdBy says ("Anonymous" up to 11.4, the service
// account's name from 11.5): they are kept with a note saying how to adopt
// them. Declared in Git, they are recorded by the next apply (no folder
// write), and from then on pruned when they leave Git.
func TestUpgradeAdoptsDeclaredFolders(t *testing.T) {
	for _, tt := range []struct{ version, createdBy string }{{"11.2", "Anonymous"}, {"11", "grafsync"}} {
		t.Run(tt.version, func(t *testing.T) {
			v, err := grafanatest.ParseVersion(tt.version)
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, grafanatest.Options{Version: v}, map[string]string{"dashboards/c.json": `{"uid": "c", "title": "C", "panels": []}`})
			// What an older grafsync left: a folder made with the token, no ledger.
			if err := f.client.CreateFolder(t.Context(), "old", "Old", ""); err != nil {
				t.Fatal(err)
			}
			if fi, _ := f.emu.GetFolder(1, "old"); fi.CreatedBy != tt.createdBy {
				t.Fatalf("createdBy %q, want %q", fi.CreatedBy, tt.createdBy)
			}
			out := f.plan(t)
			if n := out.Plan.Counts()[plan.Delete]; n != 0 || len(out.Plan.Kept) != 1 ||
				!strings.Contains(out.Plan.Kept[0], "folder old is kept: grafsync cannot prove it made this folder") ||
				!strings.Contains(out.Plan.Kept[0], "declare it in Git") {
				t.Fatalf("plan %s deletes or keeps wrongly: kept %q", out.Plan.Summary(), out.Plan.Kept)
			}
			f.converge(t)

			f.write(map[string]string{"dashboards/old/_folder.yaml": "uid: old\ntitle: Old\n"})
			out = f.plan(t)
			if got := out.Plan.Summary(); got != "Plan: 1 to create, 0 to update, 0 to delete." || countKind(out.Plan, plan.Ownership, plan.Create) != 1 {
				t.Errorf("adoption plan %s, want only the ledger created", got)
			}
			f.converge(t)

			f.write(map[string]string{"dashboards/old/_folder.yaml": ""})
			out = f.plan(t)
			if countKind(out.Plan, plan.Folder, plan.Delete) != 1 || len(out.Plan.Kept) != 0 {
				t.Errorf("plan %s (kept %q), want folder old deleted", out.Plan.Summary(), out.Plan.Kept)
			}
			f.converge(t)
			if _, ok := f.emu.GetFolder(1, "old"); ok {
				t.Error("folder old survived its prune")
			}
		})
	}
}

// A recorded folder deleted by hand (and gone from Git) leaves the ledger
// at the next apply, so a folder someone later makes with the same uid is
// not taken for grafsync's and never pruned.
func TestLedgerForgetsFoldersDeletedByHand(t *testing.T) {
	f := newFixture(t, grafanatest.Options{}, map[string]string{
		"dashboards/team/_folder.yaml": folderYAML,
		"dashboards/gone/_folder.yaml": "uid: gone\ntitle: Gone\n",
	})
	f.converge(t)
	if err := f.client.DeleteFolder(t.Context(), "gone"); err != nil {
		t.Fatal(err)
	}
	f.write(map[string]string{"dashboards/gone/_folder.yaml": ""})
	out := f.plan(t)
	if got := out.Plan.Summary(); got != "Plan: 0 to create, 1 to update, 0 to delete." || countKind(out.Plan, plan.Ownership, plan.Update) != 1 {
		t.Errorf("plan %s, want the ledger forgetting gone", got)
	}
	f.converge(t)
	if diff := cmp.Diff([]string{"team"}, ledgerFolders(t, f.emu)); diff != "" {
		t.Errorf("ledger (-want +got):\n%s", diff)
	}
	if _, err := f.emu.SeedFolder(1, grafanatest.FolderSpec{UID: "gone", Title: "Someone else's"}); err != nil {
		t.Fatal(err)
	}
	out = f.plan(t)
	if out.Plan.HasChanges() || out.Plan.Unmanaged != 1 {
		t.Errorf("plan %s (unmanaged %d), want nothing to do and the new folder unmanaged", out.Plan.Summary(), out.Plan.Unmanaged)
	}
}

package apply_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/grafsync/grafsync/internal/apply"
	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/reconcile"
)

// HA (§13): the replica grafsync talks to stops in the middle of an apply,
// with writes in flight; the apply completes through the other replica, no
// dashboard is lost or doubled, and the re-plan is empty.
func TestReplicaStoppedDuringApply(t *testing.T) {
	emu := grafanatest.New(grafanatest.Options{Faults: grafanatest.Faults{Latency: 20 * time.Millisecond}})
	t.Cleanup(emu.Close)
	var urls []string
	for range 2 {
		rep, err := emu.StartReplica("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, rep.URL())
	}
	// The replica stops as the sixth dashboard save is sent: several saves
	// are then in flight on it (4 at a time, 20 ms each).
	var saves atomic.Int32
	stopAtSixthSave := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/dashboards/db" && saves.Add(1) == 6 {
			go emu.Replicas()[0].Stop()
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	f := fixtureOn(t, emu, grafana.Config{URLs: urls, Transport: stopAtSixthSave})
	const n = 24
	for i := range n {
		f.write(map[string]string{fmt.Sprintf("dashboards/svc/d%02d.json", i): fmt.Sprintf(`{"uid": "d%02d", "title": "D%02d", "panels": []}`, i, i)})
	}
	out := f.plan(t)
	emu.ResetCounters()
	res, err := f.apply(t, out)
	if err != nil {
		t.Fatalf("apply through the surviving replica: %v", err)
	}
	// n dashboards, their folder, and the ownership ledger recording it.
	if got := res.Done[plan.Create]; got != n+2 {
		t.Errorf("%d created, want %d", got, n+2)
	}
	served := map[int]int{}
	for _, rc := range emu.Requests() {
		served[rc.Replica] += rc.Count
	}
	if emu.Replicas()[0].Running() || served[1] == 0 {
		t.Errorf("requests per replica %v: replica 0 did not stop inside the apply", served)
	}
	if p := f.plan(t).Plan; p.HasChanges() {
		t.Errorf("re-plan after apply: %s", p.Summary())
	}
	if uids := emu.DashboardUIDs(1); len(uids) != n+1 {
		t.Errorf("%d dashboards in Grafana, want %d and the ownership ledger", len(uids), n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// loseAnswer is a transport that lets the first write matching route reach
// Grafana, then loses the answer, as a replica dying mid-response or a load
// balancer timing out would. The client retries; the retry conflicts with
// the write that landed.
type loseAnswer struct {
	base  http.RoundTripper
	route string // "METHOD /path-prefix"
	lost  atomic.Bool
}

func (l *loseAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(r)
	method, prefix, _ := strings.Cut(l.route, " ")
	if err == nil && (r.Method == method || method == "*" && r.Method != http.MethodGet) && strings.HasPrefix(r.URL.Path, prefix) && resp.StatusCode < 300 && l.lost.CompareAndSwap(false, true) {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errors.New("connection reset by peer (answer lost)")
	}
	return resp, err
}

// A write that landed but whose answer was lost is verified, not reported
// as a conflict: Grafana holds what was asked, so the change is done.
func TestLostAnswerIsVerified(t *testing.T) {
	base := map[string]string{
		"dashboards/team/_folder.yaml": folderYAML,
		"dashboards/team/d.json":       `{"uid": "d", "title": "D", "panels": []}`,
		"datasources/ds.yaml":          "apiVersion: 1\ndatasources:\n  - {name: Prom, uid: prom, type: prometheus, url: 'http://prom:9090'}\n  - {name: Tempo, type: tempo, url: 'http://tempo:3200'}\n",
	}
	tests := []struct {
		name   string
		route  string
		change map[string]string // applied after the base converged; nil: lose on the first apply
	}{
		{"folder create", "POST /api/folders", nil},
		{"dashboard create", "POST /api/dashboards/db", nil},
		{"datasource create", "POST /api/datasources", nil},
		{"folder retitle", "PUT /api/folders/", map[string]string{"dashboards/team/_folder.yaml": "uid: team\ntitle: Renamed\n"}},
		{"dashboard update", "POST /api/dashboards/db", map[string]string{"dashboards/team/d.json": `{"uid": "d", "title": "D2", "panels": []}`}},
		{"datasource update", "PUT /api/datasources/", map[string]string{
			"datasources/ds.yaml": "apiVersion: 1\ndatasources:\n  - {name: Prom, uid: prom, type: prometheus, url: 'http://prom:9091'}\n  - {name: Tempo, type: tempo, url: 'http://tempo:3200'}\n"}},
		{"dashboard delete", "DELETE /api/dashboards/", map[string]string{"dashboards/team/d.json": ""}},
	}
	// Every version mode: the retry's refusal differs (a folder create gets
	// 412 version-mismatch, grafana-source-audit.md row 41; a 13.x dashboard
	// save gets 409 "Use overwrite flag to update", row 3).
	for _, tt := range tests {
		for _, version := range emulatedVersions {
			t.Run(tt.name+"/"+version, func(t *testing.T) {
				emu, rep := grafanatest.Start(t, grafanatest.Options{Version: mustVersion(t, version)})
				lose := &loseAnswer{base: http.DefaultTransport, route: apisRoute(version, tt.route)}
				f := fixtureOn(t, emu, grafana.Config{URLs: []string{rep.URL()}, Transport: lose, Retry: grafana.RetryPolicy{MinWait: time.Millisecond, MaxWait: time.Millisecond}})
				f.write(base)
				if tt.change != nil {
					lose.lost.Store(true) // nothing lost until the change
					f.converge(t)
					lose.lost.Store(false)
					f.write(tt.change)
				}
				out := f.plan(t)
				res, err := apply.Apply(t.Context(), f.client, out.Plan, apply.Options{Secrets: out.Secrets})
				if !lose.lost.Load() {
					t.Fatalf("no answer on %s was lost: the test did not test anything", tt.route)
				}
				if err != nil {
					t.Fatalf("apply: %v (result %s)", err, res.Summary())
				}
				if p := f.plan(t).Plan; p.HasChanges() {
					t.Errorf("re-plan after apply: %s", p.Summary())
				}
			})
		}
	}
}

// emulatedVersions are the version modes the tests that depend on Grafana's
// answers run in: 10.x, 11.0–11.2, 11.3+, 12.x and 13.x.
var emulatedVersions = []string{"10", "11.2", "11", "12", "13"}

func mustVersion(t *testing.T, s string) grafanatest.Version {
	t.Helper()
	v, err := grafanatest.ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// adminAccess reaches every org as the emulator's server admin.
type adminAccess struct {
	base  grafana.Config
	admin *grafana.Client
}

func (a adminAccess) Admin() *grafana.Client { return a.admin }

func (a adminAccess) ForOrg(_ string, id int64) (*grafana.Client, error) {
	cfg := a.base
	cfg.OrgID = id
	return grafana.New(cfg)
}

func (a adminAccess) Describe(string) string { return "the admin" }

// In a plan of several orgs a refused write is verified in the change's own
// org: a dashboard whose save landed in a new org, with its answer lost, is
// read back there (the admin's default org does not have it).
func TestLostAnswerIsVerifiedInItsOrg(t *testing.T) {
	emu, rep := grafanatest.Start(t, grafanatest.Options{})
	lose := &loseAnswer{base: http.DefaultTransport, route: "POST /api/dashboards/db"}
	cfg := grafana.Config{URLs: []string{rep.URL()}, User: "admin", Password: "admin", Transport: lose,
		Retry: grafana.RetryPolicy{MinWait: time.Millisecond, MaxWait: time.Millisecond}}
	admin, err := grafana.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	repo := fstest.MapFS{
		"grafsync.yaml":                   {Data: []byte("orgs:\n  - name: Main Org.\n    id: 1\n  - name: Tenant A\n    dir: orgs/tenant-a\n")},
		"orgs/tenant-a/dashboards/d.json": {Data: []byte(`{"uid": "d", "title": "D", "panels": []}`)},
	}
	in := reconcile.Inputs{Repo: repo, Client: admin, Strict: true, Access: adminAccess{base: cfg, admin: admin},
		Getenv: func(string) string { return "" }, Plan: plan.Options{MaxDeletions: 10}}
	out, err := reconcile.Plan(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := reconcile.Apply(t.Context(), in, out, apply.Options{})
	if !lose.lost.Load() {
		t.Fatal("no dashboard save answer was lost: the test did not test anything")
	}
	if err != nil {
		t.Fatalf("apply: %v (result %s)", err, res.Summary())
	}
	if uids := emu.DashboardUIDs(2); len(uids) != 1 {
		t.Errorf("dashboards of org 2: %v, want [d]", uids)
	}
}

// A delete Grafana refuses with 412 is an error naming it; there is no
// desired side to verify against.
func TestRefusedDeleteIsAnError(t *testing.T) {
	emu, rep := grafanatest.Start(t, grafanatest.Options{})
	refuseDeletes := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodDelete {
			return &http.Response{StatusCode: http.StatusPreconditionFailed, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(`{"message":"refused"}`)), Request: r}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	f := fixtureOn(t, emu, grafana.Config{URLs: []string{rep.URL()}, Transport: refuseDeletes})
	f.write(map[string]string{"dashboards/d.json": `{"uid": "d", "title": "D", "panels": []}`})
	f.converge(t)
	f.write(map[string]string{"dashboards/d.json": ""})
	_, err := f.apply(t, f.plan(t))
	if err == nil || !strings.Contains(err.Error(), "delete dashboard d") {
		t.Errorf("apply error %v, want the refused delete named", err)
	}
}

// apisRoute is where a legacy write goes on Grafana 12 and 13, whose
// dashboards and folders grafsync writes through /apis (audit §3).
func apisRoute(version, route string) string {
	if v, err := grafanatest.ParseVersion(version); err != nil || !v.APIsServed() {
		return route
	}
	switch route {
	case "POST /api/folders":
		return "POST /apis/folder.grafana.app/"
	case "PUT /api/folders/":
		return "PUT /apis/folder.grafana.app/"
	case "POST /api/dashboards/db":
		return "* /apis/dashboard.grafana.app/" // POST to create, PUT to update
	case "DELETE /api/dashboards/":
		return "DELETE /apis/dashboard.grafana.app/"
	}
	return route
}

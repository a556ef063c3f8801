package check

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/resource"
)

func ds(uid, name, typ string, line int) *resource.Datasource {
	return &resource.Datasource{UID: uid, Name: name, Type: typ, Source: resource.Pos{File: "datasources/a.yaml", Line: line, Col: 5}}
}

// Against the emulator over loopback: a healthy, a failing, a missing, a
// uid-less and an unknown-plugin datasource each get one line, in
// repository order, and nothing is written to Grafana.
func TestRunAgainstEmulator(t *testing.T) {
	emu, rep := grafanatest.Start(t, grafanatest.Options{})
	for _, s := range []grafanatest.DatasourceSpec{
		{UID: "thanos", Name: "Thanos", Type: "prometheus", URL: "http://thanos:10902"},
		{UID: "loki", Name: "Loki", Type: "loki"},
		{UID: "gen-1", Name: "Tempo", Type: "tempo"},
		{UID: "odd", Name: "Odd", Type: "acme-odd-datasource"},
	} {
		if _, err := emu.SeedDatasource(1, s); err != nil {
			t.Fatal(err)
		}
	}
	emu.SetHealthFault("loki", &grafanatest.HealthFault{})
	c, err := grafana.New(grafana.Config{URLs: []string{rep.URL()}, User: "admin", Password: "admin", Retry: grafana.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	emu.ResetCounters()
	got, err := Run(t.Context(), []Target{{OrgID: 1, Org: "Main Org.", Client: c, Datasources: []*resource.Datasource{
		ds("thanos", "Thanos", "prometheus", 3),
		ds("loki", "Loki", "loki", 9),
		ds("", "Tempo", "tempo", 15),
		ds("cw-prod", "CloudWatch prod", "cloudwatch", 20),
		ds("odd", "Odd", "acme-odd-datasource", 30),
	}}}, Options{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{OrgID: 1, Org: "Main Org.", UID: "thanos", Name: "Thanos", Type: "prometheus", Source: "datasources/a.yaml:3:5", OK: true, Message: "Successfully queried the Prometheus API."},
		{OrgID: 1, Org: "Main Org.", UID: "loki", Name: "Loki", Type: "loki", Source: "datasources/a.yaml:9:5", Message: "Unable to connect with Loki. Please check the server logs for more details."},
		{OrgID: 1, Org: "Main Org.", UID: "gen-1", Name: "Tempo", Type: "tempo", Source: "datasources/a.yaml:15:5", OK: true, Message: "Data source is working"},
		{OrgID: 1, Org: "Main Org.", Name: "CloudWatch prod", Type: "cloudwatch", Source: "datasources/a.yaml:20:5", Message: "Grafana has no such datasource (uid cw-prod): apply the repository first (grafsync apply)"},
		{OrgID: 1, Org: "Main Org.", UID: "odd", Name: "Odd", Type: "acme-odd-datasource", Source: "datasources/a.yaml:30:5", Message: "grafana answered 404 Not Found: Plugin not found (Grafana answers 404 when the datasource's plugin is not installed, or has no health check)"},
	}
	if diff := cmp.Diff(want, got.Results, cmpopts.IgnoreFields(Result{}, "Duration")); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if got.Failed() != 3 || got.Summary() != "Check: 2 ok, 3 failed." {
		t.Errorf("Failed() = %d, Summary() = %q", got.Failed(), got.Summary())
	}
	if n := emu.Writes(); n != 0 {
		t.Errorf("a check made %d write requests", n)
	}
}

// fakeClient lists every uid it is asked about and blocks checks as told.
type fakeClient struct {
	uids  []string
	check func(ctx context.Context, uid string) (grafana.DatasourceHealth, error)
}

func (f *fakeClient) ListDatasources(context.Context) ([]grafana.DatasourceRef, error) {
	var out []grafana.DatasourceRef
	for _, u := range f.uids {
		out = append(out, grafana.DatasourceRef{UID: u, Name: u})
	}
	return out, nil
}

func (f *fakeClient) CheckDatasourceHealth(ctx context.Context, uid string) (grafana.DatasourceHealth, error) {
	return f.check(ctx, uid)
}

// At most Concurrency checks run at once, over every org together: the
// first Concurrency checks wait until that many are in flight, so a run
// that allowed more would be seen above the limit.
func TestRunBoundsConcurrency(t *testing.T) {
	const limit = 3
	var inflight, peak atomic.Int64
	release := make(chan struct{})
	var once sync.Once
	check := func(ctx context.Context, uid string) (grafana.DatasourceHealth, error) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if n == limit {
			once.Do(func() { close(release) })
		}
		<-release
		return grafana.DatasourceHealth{OK: true, Message: "fine"}, nil
	}
	var targets []Target
	for org := range 3 {
		f := &fakeClient{check: check}
		tg := Target{OrgID: int64(org + 1), Client: f}
		for i := range 4 {
			uid := string(rune('a'+org)) + string(rune('0'+i))
			f.uids = append(f.uids, uid)
			tg.Datasources = append(tg.Datasources, ds(uid, uid, "loki", i))
		}
		targets = append(targets, tg)
	}
	rep, err := Run(t.Context(), targets, Options{Concurrency: limit})
	if err != nil {
		t.Fatal(err)
	}
	if peak.Load() != limit {
		t.Errorf("peak concurrency %d, want %d", peak.Load(), limit)
	}
	if rep.Failed() != 0 || len(rep.Results) != 12 {
		t.Errorf("report: %s over %d results", rep.Summary(), len(rep.Results))
	}
}

// A check with no answer within Timeout fails, and says so; an org that
// cannot be reached fails every one of its datasources.
func TestRunTimeoutAndUnreachableOrg(t *testing.T) {
	slow := &fakeClient{uids: []string{"slow"}, check: func(ctx context.Context, uid string) (grafana.DatasourceHealth, error) {
		<-ctx.Done()
		return grafana.DatasourceHealth{}, ctx.Err()
	}}
	rep, err := Run(t.Context(), []Target{
		{OrgID: 1, Client: slow, Datasources: []*resource.Datasource{ds("slow", "Slow", "tempo", 1)}},
		{OrgID: -1, Org: "Tenant B", Label: "Tenant B", Err: errors.New("the org does not exist in Grafana"), Datasources: []*resource.Datasource{ds("b", "B", "loki", 2)}},
	}, Options{Timeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m := rep.Results[0].Message; !strings.HasPrefix(m, "no answer within 1ns") {
		t.Errorf("slow: %q", m)
	}
	if r := rep.Results[1]; r.OK || r.Message != "cannot check: the org does not exist in Grafana" || r.Subject() != "datasource B (org Tenant B)" {
		t.Errorf("unreachable org: %+v", r)
	}
}

// A datasource Grafana lacks says what to do: apply, unless the run that
// checks says why its apply did not create it (NotApplied).
func TestMissingDatasourceMessage(t *testing.T) {
	tests := []struct {
		name, notApplied, want string
	}{
		{"not applied yet", "", "Grafana has no such datasource (uid cw): apply the repository first (grafsync apply)"},
		{"apply refused", "not created, because this run's apply was refused: X", "Grafana has no such datasource (uid cw): not created, because this run's apply was refused: X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Run(t.Context(), []Target{{OrgID: 1, Client: &fakeClient{uids: []string{"other"}},
				Datasources: []*resource.Datasource{ds("cw", "CW", "cloudwatch", 3)}}}, Options{NotApplied: tt.notApplied})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.want}, []string{rep.Results[0].Message}); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

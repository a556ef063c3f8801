package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/apply"
	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/logtest"
	"github.com/grafsync/grafsync/internal/reconcile"
	"github.com/grafsync/grafsync/internal/serve/servetest"
)

// testRepo is a small desired state: one folder, two dashboards, one
// datasource.
var testRepo = map[string]string{
	"dashboards/platform/_folder.yaml": "uid: platform\ntitle: Platform\n",
	"dashboards/platform/ecs.json": `{"uid": "ecs", "title": "ECS", "panels": [
  {"id": 1, "type": "timeseries", "title": "Logs", "datasource": {"type": "loki", "uid": "loki"},
   "targets": [{"refId": "A", "expr": "rate({app=\"ecs\"}[5m])"}]}]}`,
	"dashboards/home.json":  `{"uid": "home", "title": "Home", "panels": []}`,
	"datasources/loki.yaml": "apiVersion: 1\ndatasources:\n  - name: Loki\n    uid: loki\n    type: loki\n    url: http://loki:3100\n",
}

// fixture is a Server syncing testRepo into an emulator, serving HTTP on
// loopback.
type fixture struct {
	emu      *grafanatest.Emulator
	rep      *grafanatest.Replica
	srv      *Server
	base     string // http://127.0.0.1:port
	fetchErr error
}

// startServer starts a fixture; opts' Fetch, Inputs and Metrics are filled
// in. fetchErr, when not nil, is what every fetch returns; extra files are
// added to testRepo.
func startServer(t *testing.T, opts Options, fetchErr error, extra ...map[string]string) *fixture {
	t.Helper()
	f := &fixture{fetchErr: fetchErr}
	f.emu, f.rep = grafanatest.Start(t, grafanatest.Options{Seed: 1})
	key, err := f.emu.AddServiceAccountToken(1, "grafsync", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, body := range testRepo {
		writeFile(t, filepath.Join(dir, name), body)
	}
	for _, files := range extra {
		for name, body := range files {
			writeFile(t, filepath.Join(dir, name), body)
		}
	}
	opts.Metrics = NewMetrics()
	client, err := grafana.New(grafana.Config{
		URLs: []string{f.rep.URL()}, Token: key, OnResponse: opts.Metrics.GrafanaResponse,
		Retry: grafana.RetryPolicy{MaxAttempts: 2, MinWait: 10 * time.Millisecond, MaxWait: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	opts.Fetch = func(context.Context) (fs.FS, string, error) {
		if f.fetchErr != nil {
			return nil, "", f.fetchErr
		}
		return os.DirFS(dir), "rev-1", nil
	}
	opts.Inputs = reconcile.Inputs{Client: client, Strict: true, Getenv: func(string) string { return "" }, ReadFile: os.ReadFile}
	if f.srv, err = New(opts); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.base = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve after cancel: %v, want nil", err)
		}
	})
	return f
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fixture) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	return servetest.Scrape(t, f.base+"/metrics")
}

func (f *fixture) metric(t *testing.T, key string) float64 {
	t.Helper()
	return f.scrape(t)[key]
}

func (f *fixture) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(f.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, readAll(resp)
}

func (f *fixture) dashboardTitle(uid string) string {
	data, _, _, ok := f.emu.GetDashboard(1, uid)
	if !ok {
		return ""
	}
	var d struct{ Title string }
	json.Unmarshal(data, &d)
	return d.Title
}

const (
	runsOK     = `grafsync_runs_total{result="success"}`
	runsFailed = `grafsync_runs_total{result="failure"}`
)

// TestMetricsMatchWhatHappened: after the first run created everything, the
// scraped metrics say so, and the Grafana request counts by status are the
// emulator's own counts.
func TestMetricsMatchWhatHappened(t *testing.T) {
	f := startServer(t, Options{Interval: time.Hour}, nil)
	waitFor(t, "the first run", func() bool { return f.metric(t, runsOK) == 1 })

	got := f.scrape(t)
	want := map[string]float64{
		runsOK:                                1,
		runsFailed:                            0,
		`grafsync_run_duration_seconds_count`: 1,
		`grafsync_changes_applied_total{action="create",kind="folder"}`:     1,
		`grafsync_changes_applied_total{action="create",kind="dashboard"}`:  2,
		`grafsync_changes_applied_total{action="create",kind="datasource"}`: 1,
		`grafsync_drift_resources{kind="folder"}`:                           0,
		`grafsync_drift_resources{kind="dashboard"}`:                        0,
		`grafsync_drift_resources{kind="datasource"}`:                       0,
		`grafsync_last_applied_revision_info{revision="rev-1"}`:             1,
	}
	if diff := cmp.Diff(want, servetest.Pick(got, want)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	if ts := got["grafsync_last_success_timestamp_seconds"]; ts < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last success timestamp %v: want about now", ts)
	}
	if _, ok := got["grafsync_lock_held"]; ok {
		t.Error("grafsync_lock_held is exported without a lock")
	}

	// Every request the emulator answered was counted, by status code.
	emu := map[string]float64{}
	for _, rc := range f.emu.Requests() {
		emu[fmt.Sprintf("grafsync_grafana_requests_total{code=%q}", strconv.Itoa(rc.Status))] += float64(rc.Count)
	}
	requests := map[string]float64{}
	for k, v := range got {
		if strings.HasPrefix(k, "grafsync_grafana_requests_total") {
			requests[k] = v
		}
	}
	if len(emu) == 0 {
		t.Fatal("the emulator saw no requests")
	}
	if diff := cmp.Diff(emu, requests); diff != "" {
		t.Errorf("grafana requests by status (-emulator +metrics):\n%s", diff)
	}
}

// TestHandEditIsReverted: a dashboard edited in Grafana is put back by the
// next interval, once; later runs write nothing.
func TestHandEditIsReverted(t *testing.T) {
	f := startServer(t, Options{Interval: 50 * time.Millisecond}, nil)
	waitFor(t, "dashboard ecs", func() bool { return f.dashboardTitle("ecs") == "ECS" })

	if err := f.emu.EditDashboard(1, "ecs", func(m map[string]any) { m["title"] = "Edited by hand" }); err != nil {
		t.Fatal(err)
	}
	const updates = `grafsync_changes_applied_total{action="update",kind="dashboard"}`
	waitFor(t, "the edit to be reverted", func() bool { return f.dashboardTitle("ecs") == "ECS" })
	waitFor(t, "the update to be counted", func() bool { return f.metric(t, updates) == 1 })

	f.emu.ResetCounters()
	runs := f.metric(t, runsOK)
	waitFor(t, "two more runs", func() bool { return f.metric(t, runsOK) >= runs+2 })
	if n := f.emu.Writes(); n != 0 {
		t.Errorf("runs after convergence made %d writes, want 0", n)
	}
	if n := f.metric(t, updates); n != 1 {
		t.Errorf("dashboard updates = %v, want 1", n)
	}
	if v := f.emu.DashboardVersions(1, "ecs"); len(v) != 3 {
		t.Errorf("dashboard ecs versions %v: want 3 (create, hand edit, revert)", v)
	}
}

// TestWebhookTriggersRun: with a long interval, only a signed push makes the
// hand edit go away.
func TestWebhookTriggersRun(t *testing.T) {
	f := startServer(t, Options{Interval: time.Hour, WebhookSecret: "webhook-s3cret", Ref: "main"}, nil)
	waitFor(t, "the first run", func() bool { return f.metric(t, runsOK) == 1 })
	if err := f.emu.EditDashboard(1, "ecs", func(m map[string]any) { m["title"] = "Edited by hand" }); err != nil {
		t.Fatal(err)
	}
	body := `{"ref": "refs/heads/main", "after": "abc"}`
	code, _ := f.post(t, "/webhook/github", body, map[string]string{
		"X-GitHub-Event": "push", "X-Hub-Signature-256": sign("webhook-s3cret", body)})
	if code != http.StatusAccepted {
		t.Fatalf("signed push: status %d, want 202", code)
	}
	waitFor(t, "the edit to be reverted", func() bool { return f.dashboardTitle("ecs") == "ECS" })
	waitFor(t, "the second run", func() bool { return f.metric(t, runsOK) == 2 })
	if n := f.metric(t, `grafsync_triggers_total{result="accepted",source="webhook"}`); n != 1 {
		t.Errorf("accepted webhooks = %v, want 1", n)
	}
}

func (f *fixture) post(t *testing.T, path, body string, header map[string]string) (int, string) {
	t.Helper()
	return post(t, f.base+path, body, header)
}

func post(t *testing.T, url, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, readAll(resp)
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestReadyz: ready after a good run; unready while Grafana is down, though
// no run failed (the interval is long); ready again once it is back.
func TestReadyz(t *testing.T) {
	f := startServer(t, Options{Interval: time.Hour, ReadyTimeout: time.Second}, nil)
	ready := func() bool { code, _ := f.get(t, "/readyz"); return code == http.StatusOK }
	waitFor(t, "ready", ready)

	f.rep.Stop()
	code, body := f.get(t, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "grafana does not answer") {
		t.Errorf("/readyz with Grafana stopped = %d %q, want 503 saying Grafana does not answer", code, body)
	}
	if err := f.rep.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ready with Grafana back", ready)
	if code, _ := f.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d, want 200", code)
	}
	if n := f.metric(t, runsOK); n != 1 {
		t.Errorf("successful runs = %v, want 1 (readiness needs no run)", n)
	}
}

// TestFailedRunIsUnready: a failed fetch is a failed run; /readyz says so
// without the error's details.
func TestFailedRunIsUnready(t *testing.T) {
	f := startServer(t, Options{Interval: time.Hour}, errors.New("fetch failed: token ghp_secretvalue rejected"))
	waitFor(t, "a failed run", func() bool { return f.metric(t, runsFailed) == 1 })
	code, body := f.get(t, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "the last run failed") {
		t.Errorf("/readyz = %d %q, want 503 saying the last run failed", code, body)
	}
	if strings.Contains(body, "ghp_secretvalue") {
		t.Errorf("/readyz shows the error's details: %q", body)
	}
	if n := f.metric(t, runsOK); n != 0 {
		t.Errorf("successful runs = %v, want 0", n)
	}
}

// TestPlanModeReportsDrift: plan mode writes nothing and reports drift by
// kind; no revision is reported as applied.
func TestPlanModeReportsDrift(t *testing.T) {
	f := startServer(t, Options{Interval: time.Hour, Mode: ModePlan}, nil)
	waitFor(t, "the first run", func() bool { return f.metric(t, runsOK) == 1 })
	got := f.scrape(t)
	want := map[string]float64{
		`grafsync_drift_resources{kind="folder"}`:                          1,
		`grafsync_drift_resources{kind="dashboard"}`:                       2,
		`grafsync_drift_resources{kind="datasource"}`:                      1,
		`grafsync_changes_applied_total{action="create",kind="dashboard"}`: -1,
		`grafsync_last_applied_revision_info{revision="rev-1"}`:            -1,
	}
	if diff := cmp.Diff(want, servetest.Pick(got, want)); diff != "" {
		t.Errorf("metrics (-want +got; -1: absent):\n%s", diff)
	}
	if n := f.emu.Writes(); n != 0 {
		t.Errorf("plan mode made %d writes, want 0", n)
	}
}

// Without shared credentials serve says which ones it needs, as plan and
// apply do.
func TestNewWithoutCredentials(t *testing.T) {
	_, err := New(Options{
		Fetch:  func(context.Context) (fs.FS, string, error) { return nil, "", nil },
		Inputs: reconcile.Inputs{ClientErr: grafana.ErrNoCredentials},
	})
	if !errors.Is(err, grafana.ErrNoCredentials) || !strings.Contains(err.Error(), "GRAFANA_TOKEN_<ORG>") {
		t.Errorf("New error %v, want the missing credentials named", err)
	}
}

// TestDatasourceHealthMetrics: after each run the declared datasources are
// health-checked; grafsync_datasource_up says which work (a failure
// rehearsed with the emulator shows 0, healing shows 1 at the next run),
// and the checks write nothing.
func TestDatasourceHealthMetrics(t *testing.T) {
	const token = "trigger-t0ken"
	f := startServer(t, Options{Interval: time.Hour, CheckDatasources: true, TriggerToken: token}, nil)
	up := `grafsync_datasource_up{name="Loki",org="Main Org.",type="loki",uid="loki"}`
	took := `grafsync_datasource_check_duration_seconds{name="Loki",org="Main Org.",type="loki",uid="loki"}`
	trigger := func(runs float64) {
		t.Helper()
		req, _ := http.NewRequest("POST", f.base+"/trigger", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		waitFor(t, "the next run", func() bool { return f.metric(t, runsOK) == runs })
	}
	waitFor(t, "the first run", func() bool { return f.metric(t, runsOK) == 1 })
	got := f.scrape(t)
	if v, ok := got[up]; !ok || v != 1 {
		t.Errorf("%s = %v (present %v), want 1", up, v, ok)
	}
	if _, ok := got[took]; !ok {
		t.Errorf("%s is missing", took)
	}

	f.emu.SetHealthFault("loki", &grafanatest.HealthFault{Message: "no org id"})
	f.emu.ResetCounters()
	trigger(2)
	if v := f.metric(t, up); v != 0 {
		t.Errorf("%s = %v with the check failing, want 0", up, v)
	}
	if n := f.emu.Writes(); n != 0 {
		t.Errorf("a converged run with a failing check made %d writes", n)
	}
	f.emu.SetHealthFault("loki", nil)
	trigger(3)
	if v := f.metric(t, up); v != 1 {
		t.Errorf("%s = %v after healing, want 1", up, v)
	}
}

// A run whose apply is refused (a schema v2 dashboard on Grafana 11 is
// blocked) still reports the drift it planned, blocked change included,
// and its datasource check says why the datasource is missing instead of
// "apply the repository first", which would be refused again.
func TestBlockedRunReportsDriftAndWhy(t *testing.T) {
	var logs logtest.Buffer
	v2 := `{"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard", "metadata": {"name": "v2"},
 "spec": {"title": "V2", "elements": {}, "layout": {"kind": "GridLayout", "spec": {"items": []}}}}`
	f := startServer(t, Options{Interval: time.Hour, CheckDatasources: true, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}, nil,
		map[string]string{"dashboards/v2.json": v2})
	waitFor(t, "a failed run", func() bool { return f.metric(t, runsFailed) == 1 })
	want := map[string]float64{
		`grafsync_drift_resources{kind="folder"}`:                                1,
		`grafsync_drift_resources{kind="dashboard"}`:                             3,
		`grafsync_drift_resources{kind="datasource"}`:                            1,
		`grafsync_datasource_up{name="Loki",org="Main Org.",type="loki",uid=""}`: 0,
	}
	if diff := cmp.Diff(want, servetest.Pick(f.scrape(t), want)); diff != "" {
		t.Errorf("metrics (-want +got; -1: absent):\n%s", diff)
	}
	waitFor(t, "the check's log line", func() bool { return strings.Contains(logs.String(), `"msg":"datasource check failed"`) })
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, `"msg":"datasource check failed"`) {
			continue
		}
		var rec struct{ Message string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		wantMsg := "Grafana has no such datasource (uid loki): " + NotApplied(&apply.Blocked{Subjects: []string{"dashboard v2"}}, "grafsync plan")
		if diff := cmp.Diff(wantMsg, rec.Message); diff != "" {
			t.Errorf("check message (-want +got):\n%s", diff)
		}
	}
}

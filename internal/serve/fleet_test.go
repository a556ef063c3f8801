package serve

import (
	"context"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/serve/servetest"
)

// ranBy records which replica ran which instance.
type ranBy struct {
	mu  sync.Mutex
	by  map[string]string // instance -> replica of its last run
	err map[string]bool   // instances whose run fails
}

func (r *ranBy) snapshot(replica string, names []string) func(context.Context) (FleetSnapshot, error) {
	return func(context.Context) (FleetSnapshot, error) {
		return FleetSnapshot{Revision: "r1", Instances: names, Run: func(_ context.Context, n string) InstanceResult {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.by[n] = replica
			if r.err[n] {
				return InstanceResult{Err: errors.New("grafana is down")}
			}
			return InstanceResult{Drift: 0}
		}}, nil
	}
}

func (r *ranBy) owners() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for k, v := range r.by {
		out[k] = v
	}
	return out
}

// startFleet serves a FleetServer; stopped closes when Serve returned.
func startFleet(t *testing.T, opts FleetOptions) (string, context.CancelFunc, chan struct{}) {
	t.Helper()
	srv, err := NewFleet(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, ln); err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String(), cancel, done
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitWithin(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two replicas split a fleet through per-instance advisory locks; when one
// stops, the other takes its instances over within the lock retry.
func TestFleetReplicasSplitAndTakeOver(t *testing.T) {
	dsn := servetest.Postgres(t)
	names := []string{"a", "b", "c", "d", "e", "f"}
	ran := &ranBy{by: map[string]string{}}
	const retry = 300 * time.Millisecond
	replica := func(name string) (string, context.CancelFunc, chan struct{}) {
		locks, err := NewPGLockSet(dsn, "fleet-test")
		if err != nil {
			t.Fatal(err)
		}
		return startFleet(t, FleetOptions{Fetch: ran.snapshot(name, names), Interval: 200 * time.Millisecond, Jitter: -1,
			Locks: locks, LockRetry: retry})
	}
	urlA, stopA, doneA := replica("A")
	waitWithin(t, "replica A takes and runs every instance", 5*time.Second, func() bool { return len(ran.owners()) == len(names) })
	urlB, _, _ := replica("B")
	time.Sleep(3 * retry)
	for n, by := range ran.owners() {
		if by != "A" {
			t.Errorf("instance %s ran on %s while A holds every lock", n, by)
		}
	}
	code, body := get(t, urlB+"/readyz?instance=a")
	if code != 200 || !strings.Contains(body, "standby") {
		t.Errorf("B /readyz?instance=a = %d %q, want 200 standby", code, body)
	}
	code, body = get(t, urlA+"/metrics")
	if code != 200 || !strings.Contains(body, `grafsync_lock_held{instance="a"} 1`) || !strings.Contains(body, `grafsync_runs_total{instance="c",result="success"}`) {
		t.Errorf("A /metrics lacks per-instance series:\n%s", body)
	}

	stopA()
	<-doneA
	stopped := time.Now()
	waitWithin(t, "replica B takes over every instance", 2*retry+time.Second, func() bool {
		for _, by := range ran.owners() {
			if by != "B" {
				return false
			}
		}
		return true
	})
	if took := time.Since(stopped); took > 2*retry+500*time.Millisecond {
		t.Errorf("takeover took %v, want within about --lock-retry %v", took, retry)
	}
	code, body = get(t, urlB+"/readyz")
	if code != 200 || !strings.Contains(body, "a: ready") {
		t.Errorf("B /readyz = %d %q", code, body)
	}
}

// One instance failing leaves the others running and the replica ready;
// its own readiness and metrics say it failed.
func TestFleetInstanceFailureIsIsolated(t *testing.T) {
	ran := &ranBy{by: map[string]string{}, err: map[string]bool{"bad": true}}
	url, _, _ := startFleet(t, FleetOptions{Fetch: ran.snapshot("A", []string{"good", "bad"}), Interval: time.Hour})
	waitWithin(t, "both instances run", 5*time.Second, func() bool { return len(ran.owners()) == 2 })
	waitWithin(t, "readiness recorded", 2*time.Second, func() bool {
		code, _ := get(t, url+"/readyz?instance=good")
		return code == 200
	})
	for _, tc := range []struct {
		path string
		code int
		body string
	}{
		{"/readyz?instance=good", 200, "ready: ready"},
		{"/readyz?instance=bad", 503, "not ready: the last run failed"},
		{"/readyz?instance=nope", 404, "no such instance"},
		{"/readyz", 200, "bad: the last run failed"},
	} {
		code, body := get(t, url+tc.path)
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s = %d %q, want %d %q", tc.path, code, body, tc.code, tc.body)
		}
	}
	_, metrics := get(t, url+"/metrics")
	for _, want := range []string{`grafsync_instance_up{instance="bad"} 0`, `grafsync_instance_up{instance="good"} 1`, `grafsync_runs_total{instance="bad",result="failure"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

}

// A verified GitHub push makes every instance the replica holds run at
// once, never more than InFlight at a time; a push with a bad signature or
// to another ref runs nothing. The interval (an hour) cannot be what ran
// them.
func TestFleetWebhookRunsEveryHeldInstance(t *testing.T) {
	const secret = "webhook-s3cret"
	names := []string{"a", "b", "c", "d", "e", "f"}
	var mu sync.Mutex
	runs, inFlight, peak := map[string]int{}, 0, 0
	fetch := func(context.Context) (FleetSnapshot, error) {
		return FleetSnapshot{Revision: "r1", Instances: names, Run: func(_ context.Context, n string) InstanceResult {
			mu.Lock()
			inFlight++
			peak = max(peak, inFlight)
			mu.Unlock()
			time.Sleep(30 * time.Millisecond) // long enough for runs to overlap if the bound let them
			mu.Lock()
			defer mu.Unlock()
			inFlight--
			runs[n]++
			return InstanceResult{}
		}}, nil
	}
	count := func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(runs)
	}
	url, _, _ := startFleet(t, FleetOptions{Fetch: fetch, Interval: time.Hour, InFlight: 2, WebhookSecret: secret, Ref: "main"})
	waitWithin(t, "the start-up run of every instance", 5*time.Second, func() bool { return len(count()) == len(names) })

	post := func(body, signature string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, url+"/webhook/github", strings.NewReader(body))
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-Hub-Signature-256", signature)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	push, other := `{"ref": "refs/heads/main"}`, `{"ref": "refs/heads/feature"}`
	if code, body := post(push, sign("guess", push)); code != 401 {
		t.Errorf("bad signature: %d %q, want 401", code, body)
	}
	if code, body := post(other, sign(secret, other)); code != 202 || !strings.Contains(body, "ignored: push to refs/heads/feature, not to main") {
		t.Errorf("push to another ref: %d %q", code, body)
	}
	time.Sleep(200 * time.Millisecond)
	for _, n := range names {
		if got := count()[n]; got != 1 {
			t.Fatalf("instance %s ran %d times before a verified push, want 1 (the start-up run)", n, got)
		}
	}
	if code, body := post(push, sign(secret, push)); code != 202 || !strings.Contains(body, "accepted; all 6 instances run now") {
		t.Errorf("verified push: %d %q", code, body)
	}
	waitWithin(t, "every instance runs again", 5*time.Second, func() bool {
		for _, n := range names {
			if count()[n] != 2 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	if peak > 2 {
		t.Errorf("%d instances ran at once, want at most InFlight 2", peak)
	}
	mu.Unlock()
	_, metrics := get(t, url+"/metrics")
	for _, want := range []string{`grafsync_triggers_total{result="accepted",source="webhook"} 1`, `grafsync_triggers_total{result="rejected",source="webhook"} 1`,
		`grafsync_triggers_total{result="ignored",source="webhook"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// Each instance's datasource checks have series of their own: a check
// failing on one instance leaves the others' series and never fails the run.
func TestFleetDatasourceHealthPerInstance(t *testing.T) {
	fetch := func(context.Context) (FleetSnapshot, error) {
		return FleetSnapshot{Revision: "r1", Instances: []string{"one", "two"}, Run: func(_ context.Context, n string) InstanceResult {
			res := check.Result{Org: "Main Org.", UID: "prom", Name: "Prom", Type: "prometheus", OK: n == "one", Message: "x"}
			return InstanceResult{Checked: &check.Report{Results: []check.Result{res}}}
		}}, nil
	}
	url, _, _ := startFleet(t, FleetOptions{Fetch: fetch, Interval: time.Hour})
	var metrics string
	waitWithin(t, "both instances checked", 5*time.Second, func() bool {
		_, metrics = get(t, url+"/metrics")
		return strings.Contains(metrics, `grafsync_datasource_up{instance="two"`)
	})
	for _, want := range []string{
		`grafsync_datasource_up{instance="one",name="Prom",org="Main Org.",type="prometheus",uid="prom"} 1`,
		`grafsync_datasource_up{instance="two",name="Prom",org="Main Org.",type="prometheus",uid="prom"} 0`,
		`grafsync_instance_up{instance="two"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}
}

// With the PostgreSQL locks, a push the load balancer hands to a replica
// that holds no instance runs them on the replica that holds them, at
// once (the interval is an hour), through NOTIFY.
func TestFleetWebhookReachesEveryReplica(t *testing.T) {
	dsn := servetest.Postgres(t)
	const secret = "webhook-s3cret"
	names := []string{"a", "b", "c"}
	var mu sync.Mutex
	runs := map[string]int{} // replica/instance -> runs
	count := func(key string) int {
		mu.Lock()
		defer mu.Unlock()
		return runs[key]
	}
	replica := func(name string) string {
		locks, err := NewPGLockSet(dsn, "fleet-notify-test")
		if err != nil {
			t.Fatal(err)
		}
		fetch := func(context.Context) (FleetSnapshot, error) {
			return FleetSnapshot{Revision: "r1", Instances: names, Run: func(_ context.Context, n string) InstanceResult {
				mu.Lock()
				defer mu.Unlock()
				runs[name+"/"+n]++
				return InstanceResult{}
			}}, nil
		}
		url, _, _ := startFleet(t, FleetOptions{Fetch: fetch, Interval: time.Hour, Locks: locks, LockRetry: 200 * time.Millisecond, WebhookSecret: secret})
		return url
	}
	replica("A")
	waitWithin(t, "replica A takes and runs every instance", 10*time.Second, func() bool {
		return count("A/a") == 1 && count("A/b") == 1 && count("A/c") == 1
	})
	urlB := replica("B")
	time.Sleep(600 * time.Millisecond) // B tries the locks and subscribes
	push := `{"ref": "refs/heads/main"}`
	req, _ := http.NewRequest(http.MethodPost, urlB+"/webhook/github", strings.NewReader(push))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", sign(secret, push))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 || !strings.Contains(string(body), "accepted; every replica runs the instances it holds now (0 of 3 here)") {
		t.Errorf("push to B: %d %q", resp.StatusCode, body)
	}
	waitWithin(t, "replica A runs its instances for the push B received", 5*time.Second, func() bool {
		return count("A/a") == 2 && count("A/b") == 2 && count("A/c") == 2
	})
	if n := count("B/a") + count("B/b") + count("B/c"); n != 0 {
		t.Errorf("replica B ran %d instances it does not hold", n)
	}
}

package serve

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

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

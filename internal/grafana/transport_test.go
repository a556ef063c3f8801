package grafana

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// fastRetry keeps retry tests quick: tiny waits, few attempts.
var fastRetry = RetryPolicy{MaxAttempts: 4, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	if cfg.User == "" && cfg.Token == "" {
		cfg.User, cfg.Password = "admin", "admin"
	}
	if cfg.Retry == (RetryPolicy{}) {
		cfg.Retry = fastRetry
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no url", Config{Token: "x"}, "set GRAFANA_URL"},
		{"bad scheme", Config{URLs: []string{"ftp://g"}, Token: "x"}, "want http(s)://"},
		{"credentials in url", Config{URLs: []string{"https://u:secretpw@g"}, Token: "x"}, "not in the URL"},
		{"mixed paths", Config{URLs: []string{"https://a/grafana", "https://b/"}, Token: "x"}, "scheme and path"},
		{"no credentials", Config{URLs: []string{"https://g"}}, "GRAFANA_TOKEN"},
		{"both credentials", Config{URLs: []string{"https://g"}, Token: "x", User: "u"}, "use one form"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%s: error leaks the password: %v", tt.name, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, 10*time.Second
	withRetryAfter := func(status int, v string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {v}}}
	}
	if got := backoff(lo, hi, 3, withRetryAfter(429, "7")); got != 7*time.Second {
		t.Errorf("429 Retry-After 7: waited %v", got)
	}
	if got := backoff(lo, hi, 0, withRetryAfter(503, "600")); got != hi {
		t.Errorf("Retry-After beyond the cap: waited %v, want the cap %v", got, hi)
	}
	if got := backoff(lo, hi, 0, nil); got != lo {
		t.Errorf("refused connection: waited %v, want %v", got, lo)
	}
	for attempt := range 8 {
		ceiling := min(lo<<(attempt+1), hi)
		for range 50 {
			got := backoff(lo, hi, attempt, &http.Response{StatusCode: 502, Header: http.Header{}})
			if got < lo || got > ceiling {
				t.Fatalf("attempt %d: waited %v, want within [%v, %v]", attempt, got, lo, ceiling)
			}
		}
	}
}

// 5xx, 429 and dropped connections are retried, up to MaxAttempts.
func TestRetriesTransientFaults(t *testing.T) {
	for _, f := range []grafanatest.Faults{{ErrorRate: 1}, {TooManyRate: 1}, {DropRate: 1}} {
		emu, rep := grafanatest.Start(t, grafanatest.Options{})
		var faulted atomic.Int32
		f.Only = func(*http.Request) bool { return faulted.Add(1) <= 2 } // the first two attempts fail
		emu.SetFaults(f)
		c := newTestClient(t, Config{URLs: []string{rep.URL()}})
		id, err := c.Whoami(context.Background())
		if err != nil || id.Login != "admin" {
			t.Fatalf("faults %+v: %v, %v", f, id, err)
		}
		if n := emu.RouteCounts()["GET /api/user"]; n != 3 {
			t.Errorf("faults %+v: %d attempts, want 3 (two faults, one success)", f, n)
		}
	}
}

// A persistent fault gives up after MaxAttempts with the last status.
func TestRetriesAreBounded(t *testing.T) {
	emu, rep := grafanatest.Start(t, grafanatest.Options{Faults: grafanatest.Faults{TooManyRate: 1, RetryAfter: time.Millisecond}})
	c := newTestClient(t, Config{URLs: []string{rep.URL()}})
	_, err := c.Whoami(context.Background())
	if !IsStatus(err, 429) {
		t.Fatalf("error %v, want a 429 APIError", err)
	}
	if n := emu.RouteCounts()["GET /api/user"]; n != fastRetry.MaxAttempts {
		t.Errorf("%d attempts, want %d", n, fastRetry.MaxAttempts)
	}
}

// 4xx other than 429 is never retried, and says what to do.
func TestNoRetryOnClientErrors(t *testing.T) {
	emu, rep := grafanatest.Start(t, grafanatest.Options{})
	c := newTestClient(t, Config{URLs: []string{rep.URL()}, Token: "glsa_wrong"})
	_, err := c.Whoami(context.Background())
	if !IsStatus(err, 401) || !strings.Contains(err.Error(), "check GRAFANA_TOKEN") {
		t.Fatalf("error %v, want 401 with a hint", err)
	}
	if strings.Contains(err.Error(), "glsa_wrong") {
		t.Errorf("error leaks the token: %v", err)
	}
	if n := emu.RouteCounts()["GET /api/user"]; n != 1 {
		t.Errorf("%d attempts for a 401, want 1", n)
	}
}

// §13 HA: a stopped replica is skipped, and stays skipped for a cool-down.
func TestFailoverToLiveReplica(t *testing.T) {
	emu := grafanatest.New(grafanatest.Options{})
	t.Cleanup(emu.Close)
	a, _ := emu.StartReplica("127.0.0.1:0")
	b, _ := emu.StartReplica("127.0.0.1:0")
	c := newTestClient(t, Config{URLs: []string{a.URL(), b.URL()}})
	if _, err := c.Whoami(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.Stop()
	for range 3 {
		if _, err := c.Whoami(context.Background()); err != nil {
			t.Fatalf("with replica 0 stopped: %v", err)
		}
	}
	if got := c.reps.pick(0); got != 1 {
		t.Errorf("after a refused dial, first choice is replica %d, want 1", got)
	}
	per := map[int]int{}
	for _, rc := range emu.Requests() {
		per[rc.Replica] += rc.Count
	}
	if per[0] != 1 || per[1] != 3 {
		t.Errorf("requests per replica %v, want 1 before the stop on 0 and 3 on 1", per)
	}
}

// With every replica down the error is clear and comes after MaxAttempts.
func TestAllReplicasDown(t *testing.T) {
	emu, rep := grafanatest.Start(t, grafanatest.Options{})
	rep.Stop()
	_ = emu
	c := newTestClient(t, Config{URLs: []string{rep.URL()}})
	_, err := c.Whoami(context.Background())
	// "cannot reach" comes first: "check credentials: cannot reach ..." read
	// as advice to check the token of a Grafana that is down.
	if want := "cannot reach grafana at " + strings.TrimPrefix(rep.URL(), "http://") + " to check credentials: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %v, want it to start with %q", err, want)
	}
}

// A cancelled context stops a retry wait at once.
func TestCancelStopsRetries(t *testing.T) {
	_, rep := grafanatest.Start(t, grafanatest.Options{Faults: grafanatest.Faults{TooManyRate: 1, RetryAfter: time.Hour}})
	c := newTestClient(t, Config{URLs: []string{rep.URL()}, Retry: RetryPolicy{MaxAttempts: 3, MinWait: time.Millisecond, MaxWait: time.Hour}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.Whoami(ctx); done <- err }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled request kept waiting for Retry-After")
	}
}

func TestHealth(t *testing.T) {
	_, rep := grafanatest.Start(t, grafanatest.Options{Version: grafanatest.Version{Major: 12, Minor: 0, Patch: 1}})
	c := newTestClient(t, Config{URLs: []string{rep.URL()}})
	h, err := c.Health(context.Background())
	if err != nil || h.Version != "12.0.1" || h.Database != "ok" {
		t.Fatalf("health %+v, %v", h, err)
	}
}

package grafana

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/logtest"
)

// silentListener accepts connections on loopback and never answers: a hung
// replica (a process stuck in GC, a firewall that keeps the connection). It
// holds each connection until the test ends.
func silentListener(t *testing.T) (url string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = &atomic.Int32{}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String(), accepted
}

// A replica that accepts connections and never answers is failed over on the
// per-attempt timeout, skipped afterwards, and the log says so once, at a
// level an info logger shows: which replica, why, what next.
func TestFailoverOnSilentReplica(t *testing.T) {
	hung, accepted := silentListener(t)
	_, live := grafanatest.Start(t, grafanatest.Options{})
	var logs logtest.Buffer
	c := newTestClient(t, Config{
		URLs: []string{hung, live.URL()}, Timeout: 200 * time.Millisecond, Concurrency: 4,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	// Bounds the test; without a per-attempt timeout every request would
	// hang here until this ends.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.Whoami(ctx)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("with a silent first replica: %v", err)
		}
	}
	for range 3 {
		if _, err := c.Whoami(ctx); err != nil {
			t.Fatalf("after failover: %v", err)
		}
	}
	if n := accepted.Load(); n > 4 {
		t.Errorf("the silent replica got %d connections, want at most one per request in flight before it was skipped (4)", n)
	}
	out := logs.String()
	if n := strings.Count(out, "did not answer"); n != 1 {
		t.Errorf("%d log lines about the silent replica, want exactly 1:\n%s", n, out)
	}
	for _, want := range []string{"level=WARN", strings.TrimPrefix(hung, "http://"), "no response within 200ms", "skip_for=30s", "next=" + live.URL()} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// The per-attempt timeout bounds the wait for the response headers, not the
// body: a large dashboard read slowly over a slow link is not cut off.
func TestTimeoutIsOnHeadersNotBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		w.Write([]byte(`{"login":`))
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond) // longer than the timeout below
		w.Write([]byte(`"slow","orgId":1}`))
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, Config{URLs: []string{srv.URL}, Timeout: 100 * time.Millisecond, Retry: RetryPolicy{MaxAttempts: 1}})
	id, err := c.Whoami(context.Background())
	if err != nil || id.Login != "slow" {
		t.Fatalf("slow body: %+v, %v", id, err)
	}
}

// A health probe waits HealthTimeout for an answer, however long Timeout is
// (and Timeout when that is shorter), and says what it waited for.
func TestHealthProbeTimeout(t *testing.T) {
	hung, _ := silentListener(t)
	c := newTestClient(t, Config{URLs: []string{hung}, Timeout: time.Hour, HealthTimeout: 100 * time.Millisecond, Retry: RetryPolicy{MaxAttempts: 1}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.Health(ctx)
	if err == nil || !strings.Contains(err.Error(), "no response within 100ms") {
		t.Fatalf("health of a silent replica: %v, want a timeout naming 100ms", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the health probe waited for the test's bound, not HealthTimeout")
	}
	c = newTestClient(t, Config{URLs: []string{hung}, Timeout: 100 * time.Millisecond, HealthTimeout: time.Hour, Retry: RetryPolicy{MaxAttempts: 1}})
	if _, err := c.Health(ctx); err == nil || !strings.Contains(err.Error(), "no response within 100ms") {
		t.Fatalf("health of a silent replica with a short Timeout: %v, want a timeout naming 100ms", err)
	}
}

// A refused port is logged once with a duration a person reads, however
// many requests and retries run into it.
func TestRefusedReplicaLoggedOnce(t *testing.T) {
	emu, dead := grafanatest.Start(t, grafanatest.Options{})
	dead.Stop()
	live, err := emu.StartReplica("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	c := newTestClient(t, Config{
		URLs: []string{dead.URL(), live.URL()}, Concurrency: 4,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, err := c.Whoami(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	out := logs.String()
	if n := strings.Count(out, "refused the connection"); n != 1 {
		t.Errorf("%d log lines about the refused replica, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, `"skip_for":"30s"`) || strings.Contains(out, "30000000000") {
		t.Errorf("the skip is not a human duration:\n%s", out)
	}
}

// No call carries a deadline of the generated client's own (its New*Params
// put runtime.DefaultTimeout, 30 s, on a whole call, retries and body
// included; the *WithContext constructors used here put none): only the
// caller's context bounds a call, so a slow body or a failover is not cut.
func TestNoWholeCallDeadline(t *testing.T) {
	_, rep := grafanatest.Start(t, grafanatest.Options{})
	var withDeadline atomic.Int32
	base := http.DefaultTransport.(*http.Transport).Clone()
	spy := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if _, ok := r.Context().Deadline(); ok {
			withDeadline.Add(1)
		}
		return base.RoundTrip(r)
	})
	c := newTestClient(t, Config{URLs: []string{rep.URL()}, Transport: spy})
	if _, err := c.Whoami(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := withDeadline.Load(); n != 0 {
		t.Errorf("%d requests carried a deadline the caller did not set", n)
	}
}

// A request cancelled while Grafana's answer arrives returns the
// cancellation alone: net/http would otherwise print the unstructured
// "RoundTripper returned a response & error" line on stderr (through the
// standard logger, captured here).
func TestNoStrayRoundTripperLog(t *testing.T) {
	var std logtest.Buffer
	log.SetOutput(&std)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	// The run ends (SIGTERM, --timeout) as the answer comes in.
	c := newTestClient(t, Config{URLs: []string{srv.URL}, OnResponse: func(int) { cancel() }})
	if _, err := c.Whoami(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if out := std.String(); out != "" {
		t.Errorf("unstructured log output: %q", out)
	}
}

// A replica that keeps failing after each skip is skipped for longer (so a
// hung one costs a timeout now and then, not every 30 s); failures during a
// skip do not extend it; an answer resets it.
func TestReplicaSkipGrows(t *testing.T) {
	u1, _ := url.Parse("http://a:3000")
	u2, _ := url.Parse("http://b:3000")
	now := time.Unix(0, 0)
	r := newReplicas([]*url.URL{u1, u2}, slog.New(slog.DiscardHandler))
	r.now = func() time.Time { return now }
	var got []time.Duration
	for range 5 {
		r.markDown(0, "refused the connection")
		r.markDown(0, "refused the connection") // a retry during the skip
		got = append(got, r.downUntil[0].Sub(now))
		now = r.downUntil[0]
	}
	r.markUp(0)
	r.markDown(0, "refused the connection")
	got = append(got, r.downUntil[0].Sub(now))
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute, 30 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("skips (-want +got):\n%s", diff)
	}
}

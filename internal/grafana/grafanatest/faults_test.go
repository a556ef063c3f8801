package grafanatest

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rawStatus sends one GET and returns its status, or -1 when the connection
// was dropped without a response.
func rawStatus(t *testing.T, url, auth string) (int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", auth)
	// A fresh transport per request: a dropped connection must not poison the next.
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isConnReset(err) {
			return -1, nil
		}
		t.Fatalf("GET %s: %v", url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// isConnReset recognises a connection the server closed without answering.
func isConnReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "EOF")
}

// The fault injector: each kind of fault on its own, as the design's fault
// injection asks (not a Grafana behaviour: Grafana OSS never answers 429, §12,
// but proxies and Grafana Cloud do, and replicas do die).
func TestFaultKinds(t *testing.T) {
	tests := []struct {
		name   string
		faults Faults
		want   int
	}{
		{"5xx", Faults{ErrorRate: 1}, 500}, // 500, 502 or 503; checked as >= 500 below
		{"429", Faults{TooManyRate: 1, RetryAfter: 1500 * time.Millisecond}, 429},
		{"drop", Faults{DropRate: 1}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rep := Start(t, Options{Faults: tt.faults})
			status, h := rawStatus(t, rep.URL()+"/api/user", basicAuth("admin", "admin"))
			switch {
			case tt.want == 500 && status >= 500 && status <= 503:
			case status == tt.want:
			default:
				t.Fatalf("status %d, want %d", status, tt.want)
			}
			if tt.want == 429 && h.Get("Retry-After") != "2" {
				t.Errorf("Retry-After = %q, want 2 (1.5s rounded up)", h.Get("Retry-After"))
			}
			// Health checks are exempt, so a load balancer can still see the replica.
			if status, _ := rawStatus(t, rep.URL()+"/api/health", ""); status != 200 {
				t.Errorf("/api/health under faults: %d", status)
			}
			if got := e.RouteCounts()["GET /api/user"]; got != 1 {
				t.Errorf("faulted request counted %d times, want 1", got)
			}
		})
	}
}

// Faults are deterministic for a seed: the same sequential requests meet the
// same faults, and another seed gives another sequence.
func TestFaultsDeterministic(t *testing.T) {
	sequence := func(seed uint64) []int {
		_, rep := Start(t, Options{Seed: seed, Faults: Faults{ErrorRate: 0.3, TooManyRate: 0.2, DropRate: 0.1}})
		var out []int
		for range 40 {
			s, _ := rawStatus(t, rep.URL()+"/api/user", basicAuth("admin", "admin"))
			out = append(out, s)
		}
		return out
	}
	a, b, c := sequence(7), sequence(7), sequence(8)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different faults (-first +second):\n%s", diff)
	}
	if cmp.Equal(a, c) {
		t.Errorf("seeds 7 and 8 gave the same 40 outcomes: %v", a)
	}
	kinds := map[string]bool{}
	for _, s := range a {
		switch {
		case s == 200:
			kinds["ok"] = true
		case s == 429:
			kinds["429"] = true
		case s >= 500:
			kinds["5xx"] = true
		case s == -1:
			kinds["drop"] = true
		}
	}
	if len(kinds) != 4 {
		t.Errorf("40 requests at 60%% faults met only %v", kinds)
	}
}

// Latency is added to every request, faulted or not, and Only narrows faults.
func TestFaultLatencyAndOnly(t *testing.T) {
	e, rep := Start(t, Options{})
	e.SetFaults(Faults{Latency: 30 * time.Millisecond, ErrorRate: 1, Only: func(r *http.Request) bool { return r.Method != "GET" }})
	start := time.Now()
	status, _ := rawStatus(t, rep.URL()+"/api/user", basicAuth("admin", "admin"))
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("request took %v, want at least the injected 30ms", took)
	}
	if status != 200 {
		t.Errorf("GET excluded by Only got %d", status)
	}
	req, _ := http.NewRequest("DELETE", rep.URL()+"/api/user", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 500 {
		t.Errorf("DELETE matched by Only got %d, want a 5xx", resp.StatusCode)
	}
}

// The counters record replica, route pattern and status for every request.
func TestCounters(t *testing.T) {
	e, admin := newClient(t, Options{})
	admin.do("GET", "/api/user", nil)
	admin.do("GET", "/api/user", nil)
	admin.as("").do("GET", "/api/user", nil)
	admin.do("GET", "/api/nope", nil)
	want := []RequestCount{
		{Replica: 0, Route: "/", Status: 404, Count: 1},
		{Replica: 0, Route: "GET /api/user", Status: 200, Count: 2},
		{Replica: 0, Route: "GET /api/user", Status: 401, Count: 1},
	}
	if diff := cmp.Diff(want, e.Requests()); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
	if e.Writes() != 0 {
		t.Errorf("Writes() = %d after reads only", e.Writes())
	}
	e.ResetCounters()
	if len(e.Requests()) != 0 {
		t.Errorf("counters after reset: %v", e.Requests())
	}
}

func TestRetryAfterIsWholeSeconds(t *testing.T) {
	_, rep := Start(t, Options{Faults: Faults{TooManyRate: 1}})
	_, h := rawStatus(t, rep.URL()+"/api/user", basicAuth("admin", "admin"))
	if n, err := strconv.Atoi(h.Get("Retry-After")); err != nil || n != 1 {
		t.Errorf("default Retry-After = %q, want 1", h.Get("Retry-After"))
	}
}

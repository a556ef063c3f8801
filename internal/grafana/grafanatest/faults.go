package grafanatest

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Faults describe misbehaviour injected before requests reach their handlers.
// Rates are probabilities in [0, 1] per request, drawn in that order: drop,
// then 429, then 5xx. Decisions come from one PRNG seeded by Options.Seed, so
// a sequential client sees the same faults on every run.
type Faults struct {
	Latency     time.Duration // added to every request, before anything else
	DropRate    float64       // the connection is closed with no response
	TooManyRate float64       // 429 with a Retry-After header
	ErrorRate   float64       // 500, 502 or 503 with Grafana's plain error body
	RetryAfter  time.Duration // the Retry-After a 429 carries; default 1s
	// Only limits faults (not latency) to requests it returns true for; nil: all.
	Only func(*http.Request) bool
}

type faultInjector struct {
	mu  sync.Mutex
	rng *rand.Rand
	f   Faults
}

func newFaultInjector(seed uint64, f Faults) *faultInjector {
	return &faultInjector{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), f: f}
}

// SetFaults replaces the faults in force, e.g. to break a replica mid-test.
func (e *Emulator) SetFaults(f Faults) {
	e.faults.mu.Lock()
	defer e.faults.mu.Unlock()
	e.faults.f = f
}

// inject applies latency and maybe a fault; it reports whether the request
// was answered (or dropped) and must not reach its handler. /api/health is
// exempt from faults but not from latency, like a load balancer's probe.
// beforeDrop runs just before a connection is dropped.
func (fi *faultInjector) inject(w http.ResponseWriter, r *http.Request, beforeDrop func()) bool {
	fi.mu.Lock()
	f := fi.f
	var p float64
	faulty := f.DropRate+f.TooManyRate+f.ErrorRate > 0 && (f.Only == nil || f.Only(r)) && r.URL.Path != "/api/health"
	if faulty {
		p = fi.rng.Float64()
	}
	kind := fi.rng.IntN(3)
	fi.mu.Unlock()

	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	if !faulty {
		return false
	}
	switch {
	case p < f.DropRate:
		beforeDrop()
		dropConnection(w)
	case p < f.DropRate+f.TooManyRate:
		ra := f.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
		errMessage(w, http.StatusTooManyRequests, "Too many requests")
	case p < f.DropRate+f.TooManyRate+f.ErrorRate:
		status := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[kind]
		errMessage(w, status, http.StatusText(status))
	default:
		return false
	}
	return true
}

// dropConnection closes the client's connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): the closest is an aborted handler.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

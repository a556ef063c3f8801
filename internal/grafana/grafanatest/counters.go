package grafanatest

import (
	"net/http"
	"sort"
	"strings"
	"sync"
)

// RequestCount is how many requests one replica answered on one route with
// one status (0: the connection was dropped with no answer). Route is the
// registered pattern, e.g.
// "GET /api/dashboards/uid/{uid}"; unknown routes count under "/".
type RequestCount struct {
	Replica int
	Route   string
	Status  int
	Count   int
}

type counterKey struct {
	replica int
	route   string
	status  int
}

type counters struct {
	mu sync.Mutex
	n  map[counterKey]int
}

func newCounters() *counters { return &counters{n: map[counterKey]int{}} }

func (c *counters) add(replica int, route string, status int) {
	c.mu.Lock()
	c.n[counterKey{replica, route, status}]++
	c.mu.Unlock()
}

// Requests lists every count, sorted by replica, route and status.
func (e *Emulator) Requests() []RequestCount {
	c := e.counters
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]RequestCount, 0, len(c.n))
	for k, v := range c.n {
		out = append(out, RequestCount{Replica: k.replica, Route: k.route, Status: k.status, Count: v})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Replica != b.Replica {
			return a.Replica < b.Replica
		}
		if a.Route != b.Route {
			return a.Route < b.Route
		}
		return a.Status < b.Status
	})
	return out
}

// RouteCounts sums requests per route over all replicas and statuses.
func (e *Emulator) RouteCounts() map[string]int {
	out := map[string]int{}
	for _, rc := range e.Requests() {
		out[rc.Route] += rc.Count
	}
	return out
}

// Writes counts requests on routes that can change state (any method but
// GET and HEAD), whatever their outcome.
func (e *Emulator) Writes() int {
	n := 0
	for _, rc := range e.Requests() {
		method, _, _ := strings.Cut(rc.Route, " ")
		if method != http.MethodGet && method != http.MethodHead && rc.Route != "/" {
			n += rc.Count
		}
	}
	return n
}

// ResetCounters forgets every count.
func (e *Emulator) ResetCounters() {
	e.counters.mu.Lock()
	e.counters.n = map[counterKey]int{}
	e.counters.mu.Unlock()
}

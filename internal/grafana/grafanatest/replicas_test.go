package grafanatest

import (
	"net/http"
	"testing"
)

// §13: replicas share one database. Several listeners over one store; each
// can be stopped (connections refused) and restarted on the same address.
func TestReplicas(t *testing.T) {
	e := New(Options{})
	t.Cleanup(e.Close)
	var reps []*Replica
	for range 3 {
		r, err := e.StartReplica("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, r)
	}
	admin := func(r *Replica) *client { return &client{t: t, base: r.URL(), auth: basicAuth("admin", "admin")} }

	// A user created through the shared store is visible on every replica.
	e.AddUser(UserSpec{Login: "viewer", Password: "pw"})
	for _, r := range reps {
		admin(r).as(basicAuth("viewer", "pw")).expect("GET", "/api/user", nil, 200, map[string]any{"login": "viewer"})
	}

	addr := reps[1].Addr()
	reps[1].Stop()
	if reps[1].Running() {
		t.Fatal("stopped replica still running")
	}
	if _, err := http.Get(reps[1].URL() + "/api/health"); err == nil {
		t.Fatal("a stopped replica still answers")
	}
	admin(reps[0]).expect("GET", "/api/user", nil, 200, nil)
	admin(reps[2]).expect("GET", "/api/user", nil, 200, nil)

	if err := reps[1].Start(); err != nil {
		t.Fatal(err)
	}
	if reps[1].Addr() != addr {
		t.Errorf("restarted on %s, want the same address %s", reps[1].Addr(), addr)
	}
	admin(reps[1]).expect("GET", "/api/user", nil, 200, nil)

	per := map[int]int{}
	for _, rc := range e.Requests() {
		if rc.Route == "GET /api/user" {
			per[rc.Replica] += rc.Count
		}
	}
	if per[0] != 2 || per[1] != 2 || per[2] != 2 {
		t.Errorf("requests per replica = %v, want 2 each", per)
	}
}

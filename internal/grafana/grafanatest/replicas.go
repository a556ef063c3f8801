package grafanatest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Replica is one Grafana instance of an HA setup: a listener serving the
// emulator's shared store. Stopping it closes its listener and every open
// connection, as a crashed or drained instance would; Start brings it back on
// the same address.
type Replica struct {
	index int
	addr  string
	h     http.Handler

	mu  sync.Mutex
	srv *http.Server // nil while stopped
}

type replicaKey struct{}

// replicaOf is the index of the replica that received r; -1 for requests that
// came through Handler directly.
func replicaOf(r *http.Request) int {
	if i, ok := r.Context().Value(replicaKey{}).(int); ok {
		return i
	}
	return -1
}

// StartReplica starts a new replica listening on addr ("127.0.0.1:0" picks a
// free port). Replicas are numbered from 0 in the order they were started.
func (e *Emulator) StartReplica(addr string) (*Replica, error) {
	e.replicasMu.Lock()
	rep := &Replica{index: len(e.replicas), addr: addr}
	e.replicasMu.Unlock()
	rep.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), replicaKey{}, rep.index)))
	})
	if err := rep.Start(); err != nil {
		return nil, err
	}
	e.replicasMu.Lock()
	e.replicas = append(e.replicas, rep)
	e.replicasMu.Unlock()
	return rep, nil
}

// Replicas lists the replicas in start order.
func (e *Emulator) Replicas() []*Replica {
	e.replicasMu.Lock()
	defer e.replicasMu.Unlock()
	return append([]*Replica(nil), e.replicas...)
}

// Close stops every replica.
func (e *Emulator) Close() {
	for _, r := range e.Replicas() {
		r.Stop()
	}
}

// Index is the replica's number, from 0.
func (r *Replica) Index() int { return r.index }

// URL is the replica's base URL, e.g. http://127.0.0.1:3000.
func (r *Replica) URL() string { return "http://" + r.addr }

// Addr is the replica's listen address.
func (r *Replica) Addr() string { return r.addr }

// Running reports whether the replica is serving.
func (r *Replica) Running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.srv != nil
}

// Start (re)starts a stopped replica on its address. Starting a running
// replica is a no-op.
func (r *Replica) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv != nil {
		return nil
	}
	var ln net.Listener
	var err error
	// A restarted replica's port may linger briefly in the kernel; retry a little.
	for attempt := 0; attempt < 50; attempt++ {
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("replica %d: listen on %s: %w", r.index, r.addr, err)
	}
	r.addr = ln.Addr().String()
	srv := &http.Server{Handler: r.h, ReadHeaderTimeout: 10 * time.Second}
	r.srv = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener died with the replica; Stop reports nothing either
		}
	}()
	return nil
}

// Stop closes the listener and drops every connection at once.
func (r *Replica) Stop() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

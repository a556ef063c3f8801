package serve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/serve/servetest"
)

// TestPGLock: one holder at a time; a second name is a second lock; closing
// the holder's session frees the lock for the next.
func TestPGLock(t *testing.T) {
	dsn := servetest.Postgres(t)
	ctx := context.Background()
	newLock := func(name string) *PGLock {
		l, err := NewPGLock(dsn, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Release(ctx) })
		return l
	}
	a, b, other := newLock("grafsync"), newLock("grafsync"), newLock("another-grafana")

	steps := []struct {
		name string
		lock *PGLock
		want bool
	}{
		{"first replica takes it", a, true},
		{"second replica waits", b, false},
		{"holder asks again and still holds it", a, true},
		{"another name is another lock", other, true},
	}
	for _, s := range steps {
		got, err := s.lock.TryAcquire(ctx)
		if err != nil || got != s.want {
			t.Fatalf("%s: TryAcquire = %v, %v; want %v, nil", s.name, got, err, s.want)
		}
	}
	if err := a.Check(ctx); err != nil {
		t.Fatalf("holder's Check: %v", err)
	}
	if err := b.Check(ctx); err == nil {
		t.Fatal("Check on a lock not held: want an error")
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := b.TryAcquire(ctx); err != nil || !got {
		t.Fatalf("after the holder released: TryAcquire = %v, %v; want true, nil", got, err)
	}
	if err := a.Check(ctx); err == nil {
		t.Fatal("Check after Release: want an error")
	}
}

func TestNewPGLockHidesPassword(t *testing.T) {
	_, err := NewPGLock("postgres://grafsync:hunter2@db:notaport/grafsync", "grafsync")
	if err == nil {
		t.Fatal("want an error for a bad port")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the error shows the password: %v", err)
	}
	l, err := NewPGLock("postgres://grafsync:hunter2@db.example:5432/grafsync?sslmode=require", "grafsync")
	if err != nil {
		t.Fatal(err)
	}
	if s := l.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "db.example:5432/grafsync") {
		t.Fatalf("String() = %q: want host, port and database, no password", s)
	}
}

func TestPGLockUnreachable(t *testing.T) {
	l, err := NewPGLock("postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2", "grafsync")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := l.TryAcquire(context.Background())
	if ok || err == nil {
		t.Fatalf("TryAcquire on a closed port = %v, %v; want false and an error", ok, err)
	}
}

// fakeLock is a Lock the test opens and closes.
type fakeLock struct {
	mu   sync.Mutex
	free bool  // nobody holds it
	held bool  // this replica holds it
	err  error // the database cannot be reached
}

func (l *fakeLock) set(f func(*fakeLock)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l)
}

func (l *fakeLock) TryAcquire(context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return false, l.err
	}
	if l.free {
		l.free, l.held = false, true
	}
	return l.held, nil
}

func (l *fakeLock) Check(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held {
		return errors.New("session gone")
	}
	return nil
}

func (l *fakeLock) Release(context.Context) error {
	l.set(func(l *fakeLock) { l.held = false })
	return nil
}

func (l *fakeLock) String() string { return "fake lock" }

// TestStandby: while another replica holds the lock this one runs nothing
// and is ready (standby); it syncs as soon as it takes the lock, and stops
// when it loses it. An unreachable lock database makes it unready.
func TestStandby(t *testing.T) {
	lock := &fakeLock{}
	f := startServer(t, Options{Interval: 50 * time.Millisecond, Lock: lock, LockRetry: 20 * time.Millisecond}, nil)
	const held = "grafsync_lock_held"
	readyz := func() string { code, body := f.get(t, "/readyz"); return fmt.Sprint(code, " ", body) }

	waitFor(t, "standby", func() bool { return strings.Contains(readyz(), "200 ready: standby") })
	before := f.metric(t, runsOK)
	tries := f.emu.Writes()
	if before != 0 || f.metric(t, held) != 0 || tries != 0 {
		t.Fatalf("on standby: %v runs, lock held %v, %d writes; want 0, 0, 0", before, f.metric(t, held), tries)
	}

	lock.set(func(l *fakeLock) { l.free = true })
	waitFor(t, "the lock taken and a run", func() bool { return f.metric(t, held) == 1 && f.metric(t, runsOK) >= 1 })
	if f.dashboardTitle("ecs") != "ECS" {
		t.Error("the lock holder did not sync")
	}

	lock.set(func(l *fakeLock) { l.held = false })
	waitFor(t, "standby after losing the lock", func() bool { return f.metric(t, held) == 0 })
	runs := f.metric(t, runsOK)
	waitFor(t, "ready on standby", func() bool { return strings.Contains(readyz(), "200 ready: standby") })
	if n := f.metric(t, runsOK); n != runs {
		t.Errorf("runs went from %v to %v on standby", runs, n)
	}

	lock.set(func(l *fakeLock) { l.err = errors.New("connection refused") })
	waitFor(t, "unready without the lock database", func() bool {
		return strings.Contains(readyz(), "503 not ready: the lock's database cannot be reached")
	})
}

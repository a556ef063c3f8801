package serve

import (
	"context"
	"strings"
	"testing"

	"github.com/grafsync/grafsync/internal/serve/pgtest"
)

// TestPGLock: one holder at a time; a second name is a second lock; closing
// the holder's session frees the lock for the next.
func TestPGLock(t *testing.T) {
	dsn := pgtest.Start(t)
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

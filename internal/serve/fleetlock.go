package serve

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// LockSet is one lock per fleet instance: a replica syncs exactly the
// instances whose locks it holds, so replicas split the fleet between them.
type LockSet interface {
	// TryAcquire takes an instance's lock if it is free and reports whether
	// this replica holds it. It does not wait for another holder.
	TryAcquire(ctx context.Context, instance string) (bool, error)
	// Check returns an error when the locks may have been lost (the session
	// holding them is gone); the caller must then stop syncing every one.
	Check(ctx context.Context) error
	// Release gives every lock up and closes the session.
	Release(ctx context.Context) error
	String() string
}

// PGLockSet holds PostgreSQL session-level advisory locks, one per
// instance, all on one connection: a replica that dies releases all of
// them as soon as the server sees the connection close, and the other
// replicas take them at their next try (every --lock-retry).
type PGLockSet struct {
	name string

	mu sync.Mutex
	pgSession
	held map[string]bool
}

// NewPGLockSet checks the DSN; it does not connect. Each instance's key is
// derived from name and the instance's name.
func NewPGLockSet(dsn, name string) (*PGLockSet, error) {
	one, err := NewPGLock(dsn, name) // the same checks and messages
	if err != nil {
		return nil, err
	}
	return &PGLockSet{pgSession: pgSession{cfg: one.cfg}, name: name, held: map[string]bool{}}, nil
}

// InstanceLockKey is the advisory lock key of one instance.
func InstanceLockKey(name, instance string) int64 {
	return lockKey(name + "\x00instance\x00" + instance)
}

func (l *PGLockSet) String() string {
	return fmt.Sprintf("postgres advisory locks %q per instance on %s/%s", l.name, hostPort(l.cfg), l.cfg.Database)
}

// TryAcquire connects if needed and tries the instance's lock once.
func (l *PGLockSet) TryAcquire(ctx context.Context, instance string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[instance] {
		return true, nil
	}
	ok, err := l.tryLock(ctx, InstanceLockKey(l.name, instance))
	if err != nil {
		l.closeLocked(ctx)
		return false, fmt.Errorf("%s: %w", l, err)
	}
	if ok {
		l.held[instance] = true
	}
	return ok, nil
}

// Check pings the session that holds the locks.
func (l *PGLockSet) Check(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return errors.New(l.String() + ": not connected")
	}
	if err := l.conn.Ping(ctx); err != nil {
		l.closeLocked(ctx)
		return fmt.Errorf("%s: the session holding them is gone, so they may be lost: %w", l, err)
	}
	return nil
}

// Release unlocks every lock and closes the session.
func (l *PGLockSet) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil && len(l.held) > 0 {
		if _, err := l.conn.Exec(ctx, "SELECT pg_advisory_unlock_all()"); err != nil {
			l.closeLocked(ctx)
			return fmt.Errorf("%s: unlock: %w", l, err)
		}
	}
	return l.closeLocked(ctx)
}

func (l *PGLockSet) closeLocked(ctx context.Context) error {
	l.held = map[string]bool{}
	if l.conn == nil {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := l.conn.Close(cctx)
	l.conn = nil
	return err
}

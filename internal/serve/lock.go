package serve

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Lock is held by at most one replica at a time; only its holder syncs.
type Lock interface {
	// TryAcquire takes the lock if it is free and reports whether this
	// replica now holds it. It does not wait for another holder.
	TryAcquire(ctx context.Context) (bool, error)
	// Check returns an error when the lock may have been lost (the session
	// holding it is gone); the caller must then stop syncing.
	Check(ctx context.Context) error
	// Release gives the lock up, if held, and closes its connection.
	Release(ctx context.Context) error
	// String names the lock for logs, without secrets.
	String() string
}

// PGLock is a PostgreSQL session-level advisory lock
// (pg_try_advisory_lock). It is held as long as the connection that took it
// is open: a replica that dies releases it as soon as the server sees the
// connection close.
type PGLock struct {
	name string
	key  int64

	mu sync.Mutex
	pgSession
	held bool
}

// pgSession is the one connection whose session holds a replica's advisory
// locks (PGLock's, PGLockSet's). The owner's mutex guards it. Invariant: the
// owner holds no lock while conn is nil.
type pgSession struct {
	cfg  *pgx.ConnConfig
	conn *pgx.Conn // nil when not connected
}

// tryLock connects if needed and tries advisory lock key once. After an
// error the session may be broken: the owner closes it.
func (s *pgSession) tryLock(ctx context.Context, key int64) (bool, error) {
	if s.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, s.cfg)
		if err != nil {
			return false, fmt.Errorf("connect: %w", err)
		}
		s.conn = conn
	}
	var ok bool
	err := s.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok)
	return ok, err
}

// NewPGLock checks the DSN and names the lock; it does not connect. The lock
// key is derived from name, so deployments that share a database but not a
// Grafana choose different names.
func NewPGLock(dsn, name string) (*PGLock, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message quotes the DSN, password redaction is best effort:
		// say nothing of it.
		return nil, errors.New("the lock DSN (--lock-dsn or GRAFSYNC_LOCK_DSN) is not a PostgreSQL connection string; " +
			"want postgres://USER:PASSWORD@HOST:5432/DB?sslmode=require or the key=value form (host=HOST user=USER dbname=DB)")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if name == "" {
		return nil, errors.New("the lock name is empty: give --lock-name a name shared by the replicas that must not sync together")
	}
	return &PGLock{pgSession: pgSession{cfg: cfg}, name: name, key: lockKey(name)}, nil
}

// lockKey maps a lock name to an advisory lock key (FNV-1a, 64 bits).
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("grafsync lock\x00" + name))
	return int64(h.Sum64())
}

func (l *PGLock) String() string {
	return fmt.Sprintf("postgres advisory lock %q (key %d) on %s/%s", l.name, l.key, hostPort(l.cfg), l.cfg.Database)
}

func hostPort(cfg *pgx.ConnConfig) string {
	if cfg.Port == 0 {
		return cfg.Host
	}
	return cfg.Host + ":" + strconv.Itoa(int(cfg.Port))
}

// TryAcquire connects if needed and tries the lock once.
func (l *PGLock) TryAcquire(ctx context.Context) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held {
		return true, nil
	}
	ok, err := l.tryLock(ctx, l.key)
	if err != nil {
		l.closeLocked(ctx)
		return false, fmt.Errorf("%s: %w", l, err)
	}
	l.held = ok
	return ok, nil
}

// Check pings the session that holds the lock.
func (l *PGLock) Check(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held || l.conn == nil {
		return fmt.Errorf("%s is not held", l)
	}
	if err := l.conn.Ping(ctx); err != nil {
		l.closeLocked(ctx)
		return fmt.Errorf("%s: the session holding it is gone, so the lock may be lost: %w", l, err)
	}
	return nil
}

// Release unlocks and closes the session. The unlock is explicit, so the
// lock is free when Release returns (closing alone frees it only once the
// server has noticed).
func (l *PGLock) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held && l.conn != nil {
		if _, err := l.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", l.key); err != nil {
			l.closeLocked(ctx)
			return fmt.Errorf("%s: unlock: %w", l, err)
		}
	}
	return l.closeLocked(ctx)
}

func (l *PGLock) closeLocked(ctx context.Context) error {
	l.held = false
	if l.conn == nil {
		return nil
	}
	err := l.conn.Close(ctx)
	l.conn = nil
	if err != nil {
		return fmt.Errorf("%s: close: %w", l, err)
	}
	return nil
}

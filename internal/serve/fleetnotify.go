package serve

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Broadcaster passes a trigger to every replica of a fleet: the load
// balancer hands a GitHub push to one replica, and each replica runs the
// instances it holds. A LockSet may implement it (PGLockSet does).
type Broadcaster interface {
	// Broadcast tells every listening replica, this one too, to run now.
	Broadcast(ctx context.Context) error
	// Listen subscribes to broadcasts: it calls ready once subscribed and
	// notified for each broadcast, until ctx ends or the connection fails
	// (its error). A broadcast sent while no connection listens is lost;
	// the interval still runs every instance.
	Listen(ctx context.Context, ready, notified func()) error
}

// channel is the PostgreSQL NOTIFY channel of the fleet's replicas: one
// per --lock-name, so two fleets in one database do not trigger each other.
func (l *PGLockSet) channel() string {
	return fmt.Sprintf("grafsync_trigger_%016x", uint64(lockKey(l.name)))
}

// Broadcast sends NOTIFY on a connection of its own (the lock session is
// left alone; a trigger is rare).
func (l *PGLockSet) Broadcast(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return fmt.Errorf("%s: connect to notify the replicas: %w", l, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "SELECT pg_notify($1, '')", l.channel()); err != nil {
		return fmt.Errorf("%s: notify the replicas: %w", l, err)
	}
	return nil
}

// Listen holds a connection of its own in LISTEN.
func (l *PGLockSet) Listen(ctx context.Context, ready, notified func()) error {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return fmt.Errorf("%s: connect to listen for triggers: %w", l, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel()}.Sanitize()); err != nil {
		return fmt.Errorf("%s: listen for triggers: %w", l, err)
	}
	ready()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("%s: wait for triggers: %w", l, err)
		}
		notified()
	}
}

package serve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/reconcile"
)

// Mode says what a run does with the plan.
type Mode string

const (
	ModeApply Mode = "apply" // apply the changes: Grafana is kept converged
	ModePlan  Mode = "plan"  // only report drift (logs, metrics); write nothing
)

// FetchFunc returns the repository snapshot a run reads and its revision
// ("" for a plain directory). It is called once per run and should be cheap
// when nothing changed (an incremental fetch, never a fresh clone).
type FetchFunc func(ctx context.Context) (fs.FS, string, error)

// Options configure a Server. Zero durations take the defaults given.
type Options struct {
	Fetch FetchFunc
	// Inputs are the pipeline inputs but Repo and Revision, which each run
	// fills from Fetch. Inputs.Client is also asked for /readyz.
	Inputs reconcile.Inputs
	Mode   Mode

	Interval   time.Duration // between runs; default 5m
	Jitter     float64       // up to this share of the wait is added at random; default 0.1, <0 for none
	MaxBackoff time.Duration // cap on the wait after failures (Interval doubles per failure); default 15m
	RunTimeout time.Duration // bound on one run; default 10m
	// ApplyGrace is how long writes in flight may finish once the server is
	// stopping; default 4s.
	ApplyGrace time.Duration

	// Ref, when set, is the branch or tag watched: a GitHub push to another
	// ref is acknowledged but runs nothing.
	Ref string
	// WebhookSecret verifies GitHub's X-Hub-Signature-256; "" disables
	// POST /webhook/github. Never logged.
	WebhookSecret string
	// TriggerToken is the bearer token of POST /trigger; "" disables it.
	// Never logged.
	TriggerToken string

	// Lock, when set, is taken before syncing; while another replica holds
	// it this one waits on standby and polls it every LockRetry (default 15s).
	Lock      Lock
	LockRetry time.Duration

	// ReadyTimeout bounds the Grafana health check of /readyz; default 3s.
	ReadyTimeout time.Duration
	// ShutdownTimeout bounds waiting for HTTP requests in flight when
	// stopping; default 3s.
	ShutdownTimeout time.Duration

	// CheckDatasources health-checks the repository's datasources after
	// each run that loaded it (grafsync_datasource_up); Check bounds it.
	CheckDatasources bool
	Check            check.Options

	Metrics *Metrics // default: NewMetrics()
	Logger  *slog.Logger
}

func (o Options) withDefaults() Options {
	defaultSchedule(&o.Interval, &o.MaxBackoff, &o.RunTimeout, &o.LockRetry, &o.Jitter)
	defaultDuration(&o.ApplyGrace, 4*time.Second)
	defaultDuration(&o.ReadyTimeout, 3*time.Second)
	defaultDuration(&o.ShutdownTimeout, 3*time.Second)
	if o.Mode == "" {
		o.Mode = ModeApply
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// defaultSchedule fills the loop settings the single-instance daemon and
// the fleet daemon share, with the same defaults: interval 5m, backoff cap
// 15m (never below the interval), run timeout 10m, lock retry 15s, jitter
// 0.1 (a negative jitter stays: none).
func defaultSchedule(interval, maxBackoff, runTimeout, lockRetry *time.Duration, jitter *float64) {
	defaultDuration(interval, 5*time.Minute)
	defaultDuration(maxBackoff, 15*time.Minute)
	defaultDuration(runTimeout, 10*time.Minute)
	defaultDuration(lockRetry, 15*time.Second)
	if *maxBackoff < *interval {
		*maxBackoff = *interval
	}
	if *jitter == 0 {
		*jitter = 0.1
	}
}

// defaultDuration sets *d to v when it is unset (zero or less).
func defaultDuration(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Server is the daemon: one run loop and its HTTP endpoints.
type Server struct {
	opts     Options
	log      *slog.Logger
	pipeLog  *slog.Logger
	m        *Metrics
	triggers chan string // capacity 1: triggers during a run coalesce

	// Owned by the run loop.
	failures int  // consecutive failed runs
	locked   bool // this replica holds the lock

	mu     sync.Mutex
	status status
}

// status is what /readyz reports on.
type status struct {
	ran     bool // a run finished (since the lock was taken, with a lock)
	lastOK  bool // and it succeeded
	standby bool // another replica holds the lock; this one waits
	lockErr bool // the lock's database cannot be reached
}

// New checks opts and builds a Server. It starts nothing.
func New(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	switch {
	case opts.Fetch == nil:
		return nil, errors.New("serve: no repository fetch function")
	case opts.Inputs.Client == nil && opts.Inputs.ClientErr != nil:
		// The readiness check needs a client of its own: per-org tokens
		// alone, enough for plan and apply, are not.
		return nil, fmt.Errorf("%w; grafsync serve needs them even when every org has a GRAFANA_TOKEN_<ORG>", opts.Inputs.ClientErr)
	case opts.Inputs.Client == nil:
		return nil, errors.New("serve: no Grafana client")
	case opts.Mode != ModeApply && opts.Mode != ModePlan:
		return nil, fmt.Errorf("--mode %q: choose apply (keep Grafana converged) or plan (only report drift)", opts.Mode)
	}
	if opts.Lock != nil {
		opts.Metrics.Registry.MustRegister(opts.Metrics.lockHeld)
	}
	return &Server{
		opts:     opts,
		log:      opts.Logger,
		pipeLog:  pipelineLogger(opts.Logger),
		m:        opts.Metrics,
		triggers: make(chan string, 1),
	}, nil
}

// Trigger asks for a run as soon as the one in flight (if any) ends. It
// never blocks; triggers that arrive before that run starts are one run.
func (s *Server) Trigger(source string) {
	select {
	case s.triggers <- source:
	default:
	}
}

// Serve answers HTTP on ln and runs the loop until ctx is cancelled, then
// stops: no new run starts, the run in flight finishes its writes (bounded
// by ApplyGrace), HTTP requests in flight finish (bounded by
// ShutdownTimeout), and the lock is released. It returns nil after a stop
// asked for by ctx, or the error that ended serving HTTP.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	looped := make(chan struct{})
	go func() {
		defer close(looped)
		s.loop(ctx)
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("serve HTTP on %s: %w", ln.Addr(), err)
		cancel()
	}
	s.log.Info("stopping", "reason", stopReason(ctx, err))
	// Stop taking requests while the run in flight ends; both are bounded.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer scancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		srv.Close()
	}
	<-looped
	if s.opts.Lock != nil {
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer rcancel()
		if lerr := s.opts.Lock.Release(rctx); lerr != nil {
			s.log.Warn("could not release the lock cleanly; it is released when the connection closes", "error", lerr)
		}
	}
	s.log.Info("stopped")
	return err
}

func stopReason(ctx context.Context, err error) string {
	if err != nil {
		return err.Error()
	}
	if c := context.Cause(ctx); c != nil {
		return c.Error()
	}
	return "cancelled"
}

// loop runs the pipeline on the interval and on triggers until ctx ends.
func (s *Server) loop(ctx context.Context) {
	trigger := "startup"
	for ctx.Err() == nil {
		if s.opts.Lock != nil && !s.holdLock(ctx) {
			if _, ok := s.wait(ctx, s.opts.LockRetry); !ok {
				return
			}
			trigger = "lock acquired"
			continue
		}
		next := s.runOnce(ctx, trigger)
		var ok bool
		if trigger, ok = s.wait(ctx, next); !ok {
			return
		}
	}
}

// wait sleeps for d or until a trigger arrives, and says what woke it; false
// when ctx ended.
func (s *Server) wait(ctx context.Context, d time.Duration) (string, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return "", false
	case <-t.C:
		return "interval", true
	case src := <-s.triggers:
		return src, true
	}
}

// nextDelay is the wait before the next run: Interval, doubled per
// consecutive failure up to MaxBackoff, plus jitter.
func (s *Server) nextDelay() time.Duration {
	return delay(s.opts.Interval, s.opts.MaxBackoff, s.failures, s.opts.Jitter, rand.Float64())
}

// delay is nextDelay's arithmetic; r is a random number in [0, 1).
func delay(interval, maxBackoff time.Duration, failures int, jitter, r float64) time.Duration {
	d := interval
	for range min(failures, 30) {
		if d >= maxBackoff/2 {
			d = maxBackoff
			break
		}
		d *= 2
	}
	d = min(d, maxBackoff)
	if jitter > 0 {
		d += time.Duration(float64(d) * jitter * r)
	}
	return d
}

// lockTimeout bounds one lock operation (connect and query), so a database
// that stopped answering cannot hang the loop.
const lockTimeout = 10 * time.Second

// holdLock makes sure this replica holds the lock, taking it if free. It
// reports false while another replica holds it (standby) or the lock's
// database cannot be reached.
func (s *Server) holdLock(ctx context.Context) bool {
	lock := s.opts.Lock
	lctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	if s.locked {
		err := lock.Check(lctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		s.log.Warn("lost the lock; syncing stops until it is taken again", "lock", lock.String(), "error", err)
		s.locked = false
	}
	ok, err := lock.TryAcquire(lctx)
	if ctx.Err() != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil:
		s.log.Error("cannot take the lock, so not syncing: check --lock-dsn (GRAFSYNC_LOCK_DSN) and that the database is reachable",
			"lock", lock.String(), "error", err, "retry_in", s.opts.LockRetry.String())
		s.status = status{lockErr: true}
	case !ok:
		if !s.status.standby {
			s.log.Info("another replica holds the lock; waiting on standby", "lock", lock.String(), "retry_every", s.opts.LockRetry.String())
		}
		s.status = status{standby: true}
	default:
		s.log.Info("took the lock; this replica syncs", "lock", lock.String())
		s.status = status{}
		s.locked = true
	}
	s.m.lockHeld.Set(map[bool]float64{true: 1}[s.locked])
	return s.locked
}

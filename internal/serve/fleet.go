package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/grafsync/grafsync/internal/check"
)

// FleetSnapshot is one fetch of a fleet repository: its revision, the
// instances it declares, and how to run one of them.
type FleetSnapshot struct {
	Revision  string
	Instances []string
	// Run plans (and in apply mode applies) one instance.
	Run func(ctx context.Context, instance string) InstanceResult
}

// InstanceResult is what one instance's run found and did.
type InstanceResult struct {
	// Planned: the plan ran, so Drift is its count even when Err is set
	// (an apply refused for blocked changes, or failed part-way).
	Planned bool
	Drift   int // changes the plan found, less what the apply made
	Applied int
	Err     error
	// Checked is the health check of the instance's declared datasources
	// after the run (nil when they were not checked). A failed check is
	// reported in metrics and logs, never a failed run.
	Checked *check.Report
}

// FleetOptions configure a FleetServer. Zero durations take Options'
// defaults.
type FleetOptions struct {
	// Fetch reads the repository; it is called when an instance is due.
	Fetch    func(ctx context.Context) (FleetSnapshot, error)
	Interval time.Duration // between an instance's runs; default 5m
	Jitter   float64       // default 0.1
	// MaxBackoff caps an instance's wait after failures; default 15m.
	MaxBackoff time.Duration
	RunTimeout time.Duration // bound on one instance's run; default 10m
	// Locks, when set, split the fleet between replicas: this replica
	// syncs the instances whose locks it holds and tries the others every
	// LockRetry (default 15s), so a dead replica's instances are taken
	// over within LockRetry.
	Locks     LockSet
	LockRetry time.Duration
	// InFlight bounds the instances run at once; default 8.
	InFlight     int
	TriggerToken string // bearer token of POST /trigger; "" disables it
	// WebhookSecret verifies GitHub's X-Hub-Signature-256 of POST
	// /webhook/github; "" disables it. Ref, when set, is the branch or tag
	// watched: a push to another ref runs nothing. Never logged.
	WebhookSecret string
	Ref           string
	Metrics       *FleetMetrics
	Logger        *slog.Logger
}

// FleetServer keeps a fleet converged: each instance on its own interval,
// its own failures and backoff, its own metrics and readiness.
type FleetServer struct {
	opts     FleetOptions
	log      *slog.Logger
	m        *FleetMetrics
	triggers chan struct{}

	mu        sync.Mutex
	instances map[string]*instanceState
	lockErr   bool
	// listening: the Broadcaster subscription is up, so a broadcast
	// reaches this replica too.
	listening atomic.Bool
}

type instanceState struct {
	held     bool // this replica syncs it (always, without locks)
	next     time.Time
	failures int
	ran, ok  bool
	lastErr  string
}

// FleetMetrics are the fleet daemon's metrics: every series carries the
// instance label.
type FleetMetrics struct {
	Registry        *prometheus.Registry
	runs            *prometheus.CounterVec // instance, result
	duration        *prometheus.GaugeVec   // instance
	drift           *prometheus.GaugeVec   // instance
	applied         *prometheus.CounterVec // instance
	lastSuccess     *prometheus.GaugeVec   // instance
	up              *prometheus.GaugeVec   // instance: last run succeeded
	lockHeld        *prometheus.GaugeVec   // instance
	grafanaRequests *prometheus.CounterVec // instance, code
	triggers        *prometheus.CounterVec // source, result (a trigger is the replica's, not an instance's)
	datasourceUp    *prometheus.GaugeVec   // instance, org, uid, name, type
	checkDuration   *prometheus.GaugeVec   // instance, org, uid, name, type
}

// NewFleetMetrics creates the metrics on a registry of their own.
func NewFleetMetrics() *FleetMetrics {
	in := []string{"instance"}
	m := &FleetMetrics{
		Registry: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "grafsync_runs_total",
			Help: "Reconcile runs, by instance and result (success or failure)."}, []string{"instance", "result"}),
		duration: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "grafsync_last_run_duration_seconds",
			Help: "Duration of the instance's last run: plan and apply."}, in),
		drift: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "grafsync_drift_resources",
			Help: "Resources that differ between Git and the instance, as of its last plan, less what the apply after it fixed."}, in),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "grafsync_changes_applied_total",
			Help: "Changes applied to the instance."}, in),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "grafsync_last_success_timestamp_seconds",
			Help: "Unix time of the end of the instance's last successful run."}, in),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "grafsync_instance_up",
			Help: "1 when the instance's last run succeeded, 0 when it failed."}, in),
		lockHeld: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "grafsync_lock_held",
			Help: "1 when this replica holds the instance's lock and syncs it, 0 when another replica does."}, in),
		grafanaRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "grafsync_grafana_requests_total",
			Help: "HTTP requests to the instance's Grafana (each retry counts), by status code; code 0: no response."}, []string{"instance", "code"}),
		triggers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "grafsync_triggers_total",
			Help: "Trigger requests to this replica by source (webhook, api) and result (accepted, rejected: bad signature or token, ignored: not the watched ref)."}, []string{"source", "result"}),
		datasourceUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "grafsync_datasource_up",
			Help: "1 when the datasource's health check, run by the instance's Grafana after its last run, passed; 0 when it failed. One series per instance and declared datasource."}, fleetDatasourceLabels()),
		checkDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "grafsync_datasource_check_duration_seconds",
			Help: "How long the datasource's last health check on the instance took."}, fleetDatasourceLabels()),
	}
	m.Registry.MustRegister(m.runs, m.duration, m.drift, m.applied, m.lastSuccess, m.up, m.lockHeld, m.grafanaRequests,
		m.triggers, m.datasourceUp, m.checkDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// fleetDatasourceLabels are datasourceLabels with the instance first.
func fleetDatasourceLabels() []string { return append([]string{"instance"}, datasourceLabels()...) }

// setDatasourceHealth replaces one instance's datasource series with its
// last check's: a datasource that left the repository loses its series,
// other instances' series stay.
func (m *FleetMetrics) setDatasourceHealth(instance string, r *check.Report) {
	m.datasourceUp.DeletePartialMatch(prometheus.Labels{"instance": instance})
	m.checkDuration.DeletePartialMatch(prometheus.Labels{"instance": instance})
	for _, res := range r.Results {
		labels := prometheus.Labels{"instance": instance, "org": res.Org, "uid": res.UID, "name": res.Name, "type": res.Type}
		m.datasourceUp.With(labels).Set(map[bool]float64{true: 1}[res.OK])
		m.checkDuration.With(labels).Set(res.Duration.Seconds())
	}
}

// GrafanaResponse returns the counter hook of one instance's client.
func (m *FleetMetrics) GrafanaResponse(instance string) func(int) {
	return func(status int) { m.grafanaRequests.WithLabelValues(instance, fmt.Sprint(status)).Inc() }
}

// NewFleet checks opts and builds a FleetServer. It starts nothing.
func NewFleet(opts FleetOptions) (*FleetServer, error) {
	if opts.Fetch == nil {
		return nil, errors.New("serve: no repository fetch function")
	}
	defaultSchedule(&opts.Interval, &opts.MaxBackoff, &opts.RunTimeout, &opts.LockRetry, &opts.Jitter)
	if opts.InFlight <= 0 {
		opts.InFlight = 8
	}
	if opts.Metrics == nil {
		opts.Metrics = NewFleetMetrics()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &FleetServer{opts: opts, log: opts.Logger, m: opts.Metrics, triggers: make(chan struct{}, 1), instances: map[string]*instanceState{}}, nil
}

// Serve answers HTTP on ln and runs the loop until ctx ends, then releases
// the locks.
func (s *FleetServer) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	looped := make(chan struct{})
	go func() { defer close(looped); s.loop(ctx) }()
	listened := make(chan struct{})
	if b, ok := s.opts.Locks.(Broadcaster); ok {
		go func() { defer close(listened); s.listen(ctx, b) }()
	} else {
		close(listened)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("serve HTTP on %s: %w", ln.Addr(), err)
		cancel()
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer scancel()
	if srv.Shutdown(sctx) != nil {
		srv.Close()
	}
	<-looped
	<-listened
	if s.opts.Locks != nil {
		if lerr := s.opts.Locks.Release(sctx); lerr != nil {
			s.log.Warn("could not release the locks cleanly; they are released when the connection closes", "error", lerr)
		}
	}
	s.log.Info("stopped")
	return err
}

// loop takes free locks, runs the instances that are due, and sleeps until
// the next is due or the next lock try, whichever comes first.
func (s *FleetServer) loop(ctx context.Context) {
	var names []string
	snap, err := s.fetch(ctx)
	if err == nil {
		names = snap.Instances
	}
	for ctx.Err() == nil {
		s.takeLocks(ctx, names)
		if due := s.due(time.Now()); len(due) > 0 {
			snap, err = s.fetch(ctx)
			if err == nil {
				names = snap.Instances
				s.runAll(ctx, snap, due)
			} else {
				s.failAll(due, err)
			}
		}
		wait := s.nextWake(time.Now())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.triggers:
			t.Stop()
			s.mu.Lock()
			for _, st := range s.instances {
				st.next = time.Time{}
			}
			s.mu.Unlock()
		}
	}
}

func (s *FleetServer) fetch(ctx context.Context) (FleetSnapshot, error) {
	fctx, cancel := context.WithTimeout(ctx, s.opts.RunTimeout)
	defer cancel()
	snap, err := s.opts.Fetch(fctx)
	if err != nil {
		s.log.Error("fetch the repository", "error", err.Error())
		return snap, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range snap.Instances {
		if s.instances[n] == nil {
			s.instances[n] = &instanceState{held: s.opts.Locks == nil}
		}
	}
	for n := range s.instances { // an instance that left the repository
		if !slices.Contains(snap.Instances, n) {
			delete(s.instances, n)
		}
	}
	return snap, nil
}

// takeLocks checks the session and tries every lock not held.
func (s *FleetServer) takeLocks(ctx context.Context, names []string) {
	locks := s.opts.Locks
	if locks == nil {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	s.mu.Lock()
	anyHeld := false
	for _, st := range s.instances {
		anyHeld = anyHeld || st.held
	}
	s.mu.Unlock()
	if anyHeld {
		if err := locks.Check(lctx); err != nil && ctx.Err() == nil {
			s.log.Warn("lost the instance locks; syncing stops until they are taken again", "error", err)
			s.mu.Lock()
			for n, st := range s.instances {
				st.held = false
				s.m.lockHeld.WithLabelValues(n).Set(0)
			}
			s.mu.Unlock()
		}
	}
	for _, n := range names {
		s.mu.Lock()
		st := s.instances[n]
		s.mu.Unlock()
		if st == nil || st.held {
			continue
		}
		ok, err := locks.TryAcquire(lctx, n)
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		s.lockErr = err != nil
		if err != nil {
			s.mu.Unlock()
			s.log.Error("cannot take the instance locks, so not syncing: check --lock-dsn (GRAFSYNC_LOCK_DSN) and that the database is reachable", "error", err)
			return
		}
		if ok {
			st.held, st.next = true, time.Time{}
			s.log.Info("took the instance's lock; this replica syncs it", "instance", n)
		}
		s.m.lockHeld.WithLabelValues(n).Set(map[bool]float64{true: 1}[ok])
		s.mu.Unlock()
	}
}

// due lists the held instances whose next run has come.
func (s *FleetServer) due(now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n, st := range s.instances {
		if st.held && !st.next.After(now) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// nextWake is the time until the next due instance, bounded by the lock
// retry when locks are used.
func (s *FleetServer) nextWake(now time.Time) time.Duration {
	wake := s.opts.Interval
	if s.opts.Locks != nil {
		wake = min(wake, s.opts.LockRetry)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.instances {
		if st.held {
			wake = min(wake, max(st.next.Sub(now), 0))
		}
	}
	return max(wake, 10*time.Millisecond)
}

func (s *FleetServer) runAll(ctx context.Context, snap FleetSnapshot, due []string) {
	sem := make(chan struct{}, s.opts.InFlight)
	var wg sync.WaitGroup
	for _, n := range due {
		if !slices.Contains(snap.Instances, n) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			start := time.Now()
			rctx, cancel := context.WithTimeout(ctx, s.opts.RunTimeout)
			r := snap.Run(rctx, n)
			cancel()
			if ctx.Err() != nil {
				return // stopping: not a failure
			}
			s.record(n, snap.Revision, r, time.Since(start))
		})
	}
	wg.Wait()
}

func (s *FleetServer) failAll(due []string, err error) {
	for _, n := range due {
		s.record(n, "", InstanceResult{Err: fmt.Errorf("fetch the repository: %w", err)}, 0)
	}
}

// record updates an instance's status, metrics and schedule.
func (s *FleetServer) record(n, rev string, r InstanceResult, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.instances[n]
	if st == nil {
		return
	}
	st.ran, st.ok = true, r.Err == nil
	if r.Checked != nil {
		s.m.setDatasourceHealth(n, r.Checked)
		for _, res := range r.Checked.Results {
			if !res.OK {
				s.log.Warn("datasource check failed", "instance", n, "subject", res.Subject(), "source", res.Source, "message", res.Message)
			}
		}
	}
	s.m.duration.WithLabelValues(n).Set(took.Seconds())
	s.m.applied.WithLabelValues(n).Add(float64(r.Applied))
	// As single-Grafana serve: a run that planned sets the drift gauge
	// whether or not its apply worked; one that did not plan leaves it.
	if r.Planned {
		s.m.drift.WithLabelValues(n).Set(float64(r.Drift))
	}
	if r.Err != nil {
		st.failures++
		st.lastErr = r.Err.Error()
		s.m.runs.WithLabelValues(n, resultFailure).Inc()
		s.m.up.WithLabelValues(n).Set(0)
		next := delay(s.opts.Interval, s.opts.MaxBackoff, st.failures, s.opts.Jitter, rand.Float64())
		st.next = time.Now().Add(next)
		s.log.Error("run", "instance", n, "revision", rev, "result", resultFailure, "error", st.lastErr,
			"consecutive_failures", st.failures, "next_run_in", next.Round(time.Millisecond).String())
		return
	}
	st.failures, st.lastErr = 0, ""
	s.m.runs.WithLabelValues(n, resultSuccess).Inc()
	s.m.up.WithLabelValues(n).Set(1)
	s.m.lastSuccess.WithLabelValues(n).Set(float64(time.Now().UnixNano()) / 1e9)
	st.next = time.Now().Add(delay(s.opts.Interval, s.opts.MaxBackoff, 0, s.opts.Jitter, rand.Float64()))
	s.log.Info("run", "instance", n, "revision", rev, "result", resultSuccess, "drift", r.Drift, "applied", r.Applied, "duration_seconds", took.Seconds())
}

// Handler serves /healthz, /readyz, /readyz?instance=NAME, /metrics,
// POST /webhook/github and POST /trigger (the single-Grafana Server's
// endpoints: same signature, token and ref rules).
func (s *FleetServer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.m.Registry, promhttp.HandlerOpts{Registry: s.m.Registry}))
	mux.HandleFunc("POST /webhook/github", githubWebhook(s.opts.WebhookSecret, s.opts.Ref, s))
	mux.HandleFunc("POST /trigger", apiTrigger(s.opts.TriggerToken, s))
	return mux
}

// listen keeps the Broadcaster subscription up until ctx ends, trying
// again every LockRetry after a failure: each broadcast queues a run here.
func (s *FleetServer) listen(ctx context.Context, b Broadcaster) {
	for ctx.Err() == nil {
		err := b.Listen(ctx, func() {
			s.listening.Store(true)
			s.log.Debug("listening for triggers from the other replicas")
		}, s.queue)
		s.listening.Store(false)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("not listening for triggers from the other replicas; a push they receive runs this replica's instances at their next interval", "error", err, "retry_in", s.opts.LockRetry.String())
		t := time.NewTimer(s.opts.LockRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// queue asks the loop to run every held instance now (triggers during a
// run coalesce into one run after it).
func (s *FleetServer) queue() {
	select {
	case s.triggers <- struct{}{}:
	default:
	}
}

// accept makes every instance this replica holds due now: the loop runs
// them at once, at most InFlight at a time (the fleet's request bound
// holds as on an interval). A trigger arriving during a run is one more
// run after it. With a Broadcaster (the PostgreSQL locks) every replica
// is told, so the instances other replicas hold run now too; this replica
// hears its own broadcast, and runs at once only when it is not listening
// or the broadcast failed.
func (s *FleetServer) accept(w http.ResponseWriter, r *http.Request, source string) {
	s.m.triggers.WithLabelValues(source, triggerAccepted).Inc()
	everywhere := false
	if b, ok := s.opts.Locks.(Broadcaster); ok {
		bctx, cancel := context.WithTimeout(r.Context(), 5*time.Second) // GitHub gives a webhook 10 s
		err := b.Broadcast(bctx)
		cancel()
		if err != nil {
			s.log.Warn("could not tell the other replicas; they run their instances at their next interval", "error", err)
		}
		everywhere = err == nil
	}
	if !everywhere || !s.listening.Load() {
		s.queue()
	}
	s.mu.Lock()
	held := 0
	for _, st := range s.instances {
		if st.held {
			held++
		}
	}
	total := len(s.instances)
	s.mu.Unlock()
	s.log.Debug("trigger accepted", "source", source, "remote", r.RemoteAddr, "instances_held", held)
	w.WriteHeader(http.StatusAccepted)
	switch {
	case everywhere:
		fmt.Fprintf(w, "accepted; every replica runs the instances it holds now (%d of %d here)\n", held, total)
	case held < total:
		fmt.Fprintf(w, "accepted; the %d of %d instances this replica holds run now; the replicas holding the others run them at their next interval\n", held, total)
	default:
		fmt.Fprintf(w, "accepted; all %d instances run now\n", held)
	}
}

func (s *FleetServer) refuse(w http.ResponseWriter, r *http.Request, source, why string) {
	refuseTrigger(w, r, s.m.triggers, s.log, source, why)
}

func (s *FleetServer) ignore(w http.ResponseWriter, r *http.Request, source, why string) {
	ignoreTrigger(w, r, s.m.triggers, s.log, source, why)
}

// readyz: with ?instance=NAME, 200 when that instance's last run here
// succeeded or another replica holds it, 503 when it failed or has not run,
// 404 when the repository declares no such instance. Without it, 503 only
// when the replica cannot work at all (the lock database is unreachable,
// or the repository has not been read): one customer's Grafana being down
// must not make an orchestrator restart the replica serving the others.
// The body lists every instance's state.
func (s *FleetServer) readyz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	state := func(st *instanceState) (bool, string) {
		switch {
		case !st.held:
			return true, "standby: another replica holds it"
		case !st.ran:
			return false, "no run has finished yet"
		case !st.ok:
			return false, "the last run failed"
		}
		return true, "ready"
	}
	if name := r.URL.Query().Get("instance"); name != "" {
		st := s.instances[name]
		if st == nil {
			http.Error(w, "no such instance", http.StatusNotFound)
			return
		}
		ok, why := state(st)
		if !ok {
			http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready:", why)
		return
	}
	names := make([]string, 0, len(s.instances))
	for n := range s.instances {
		names = append(names, n)
	}
	sort.Strings(names)
	code, head := http.StatusOK, "ready"
	switch {
	case s.lockErr:
		code, head = http.StatusServiceUnavailable, "not ready: the lock's database cannot be reached"
	case len(names) == 0:
		code, head = http.StatusServiceUnavailable, "not ready: the repository has not been read"
	}
	var b strings.Builder
	fmt.Fprintln(&b, head)
	for _, n := range names {
		_, why := state(s.instances[n])
		fmt.Fprintf(&b, "%s: %s\n", n, why)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprint(w, b.String())
}

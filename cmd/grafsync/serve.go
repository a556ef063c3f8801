package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/reconcile"
	"github.com/grafsync/grafsync/internal/serve"
	"github.com/grafsync/grafsync/internal/source"
)

// serveOptions are the flags of grafsync serve. The repository, Grafana and
// prune flags are plan's.
type serveOptions struct {
	planOptions
	listen     string
	mode       string
	interval   time.Duration
	maxBackoff time.Duration
	lockDSN    string
	lockName   string
	lockRetry  time.Duration
}

// Environment variables of grafsync serve; their values are secrets.
const (
	envWebhookSecret = "GRAFSYNC_WEBHOOK_SECRET"
	envTriggerToken  = "GRAFSYNC_TRIGGER_TOKEN"
	envLockDSN       = "GRAFSYNC_LOCK_DSN"
)

func newServeCmd(e env) *cobra.Command {
	var opts serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Keep Grafana converged: reconcile on an interval and on webhooks, with health and metrics endpoints",
		Long: `serve runs the plan/apply pipeline again and again: every --interval (with
jitter, backing off after failures), on a GitHub push webhook
(POST /webhook/github, signed with $GRAFSYNC_WEBHOOK_SECRET) and on
POST /trigger (Authorization: Bearer $GRAFSYNC_TRIGGER_TOKEN). Hand edits in
Grafana are reverted at the next run; --mode plan only reports drift.

Endpoints: /healthz (alive), /readyz (last run succeeded and Grafana answers),
/metrics (Prometheus). After each run every declared datasource is
health-checked by Grafana (grafsync_datasource_up; --check-datasources=false
turns it off). With --lock-dsn (or $GRAFSYNC_LOCK_DSN), replicas share a
PostgreSQL advisory lock and only its holder syncs. SIGTERM or SIGINT stops it
within a few seconds, with exit status 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), opts, e, cmd.ErrOrStderr())
		},
	}
	opts.repo.addFlags(cmd)
	opts.grafana.addFlags(cmd)
	opts.addPruneFlags(cmd)
	opts.fleet.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&opts.listen, "listen", ":8080", "address for /healthz, /readyz, /metrics and the triggers")
	f.StringVar(&opts.mode, "mode", string(serve.ModeApply), "apply (keep Grafana converged) or plan (only report drift)")
	f.DurationVar(&opts.interval, "interval", 5*time.Minute, "time between runs (up to 10% jitter is added)")
	f.DurationVar(&opts.maxBackoff, "max-backoff", 15*time.Minute, "after failures the interval doubles per failure, up to this")
	f.StringVar(&opts.lockDSN, "lock-dsn", "", "PostgreSQL connection string for a lock between replicas (default $"+envLockDSN+"; prefer the variable: it holds a password)")
	f.StringVar(&opts.lockName, "lock-name", "grafsync", "name of the lock; replicas syncing the same Grafana share it")
	f.DurationVar(&opts.lockRetry, "lock-retry", 15*time.Second, "how often a replica on standby tries the lock")
	f.BoolVar(&opts.checkDatasources, "check-datasources", true, "after each run, ask Grafana to health-check every declared datasource (metric grafsync_datasource_up)")
	return cmd
}

func runServe(ctx context.Context, opts serveOptions, e env, stderr io.Writer) error {
	if err := opts.validate(); err != nil {
		return err
	}
	if err := positive(map[string]time.Duration{"--interval": opts.interval, "--max-backoff": opts.maxBackoff, "--lock-retry": opts.lockRetry}); err != nil {
		return err
	}
	log, err := newLogger(stderr, opts.grafana.logLevel)
	if err != nil {
		return err
	}
	mode := serve.Mode(opts.mode)
	fl, fleetProblems, err := openFleet(ctx, &opts.repo, e, log)
	if err != nil {
		return err
	}
	if fl != nil || fleetProblems.HasErrors() {
		return runServeFleet(ctx, opts, e, log)
	}
	opts.repo.opened = nil // every run fetches
	metrics := serve.NewMetrics()
	in, closeInputs, err := pipelineInputs(opts.grafana, e, log, mode == serve.ModeApply,
		plan.Options{Prune: opts.prune, MaxDeletions: opts.maxDeletions, AllowEmpty: opts.allowEmpty}, metrics.GrafanaResponse)
	if err != nil {
		return err
	}
	defer closeInputs()
	in.ReadFile = opts.repo.secretFiles(e).ReadFile
	var lock serve.Lock
	dsn := opts.lockDSN
	if dsn == "" {
		dsn = e.getenv(envLockDSN)
	}
	if dsn != "" {
		if lock, err = serve.NewPGLock(dsn, opts.lockName); err != nil {
			return err
		}
	}
	ref := opts.repo.ref
	srv, err := serve.New(serve.Options{
		// Each run fetches: a remote repository is fetched incrementally
		// into its cache, never cloned again.
		Fetch: func(ctx context.Context) (fs.FS, string, error) {
			snap, err := openRepo(ctx, opts.repo, e, log)
			if err != nil {
				return nil, "", err
			}
			return snap.FS, snap.Revision, nil
		},
		Inputs:        in,
		Mode:          mode,
		Interval:      opts.interval,
		MaxBackoff:    opts.maxBackoff,
		RunTimeout:    opts.grafana.timeout,
		Ref:           ref,
		WebhookSecret: e.getenv(envWebhookSecret),
		TriggerToken:  e.getenv(envTriggerToken),
		Lock:          lock,
		LockRetry:     opts.lockRetry,
		Metrics:       metrics,
		Logger:        log,

		CheckDatasources: opts.checkDatasources,
		Check:            check.Options{Concurrency: opts.grafana.concurrency},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w; choose another address", opts.listen, err)
	}
	lockName := "none (every replica syncs)"
	if lock != nil {
		lockName = lock.String()
	}
	log.Info("serving", "addr", ln.Addr().String(), "mode", string(mode), "interval", opts.interval.String(),
		"repo", source.Redact(opts.repo.repo), "ref", ref, "grafana", grafanaName(in), "lock", lockName,
		"webhook", e.getenv(envWebhookSecret) != "", "trigger", e.getenv(envTriggerToken) != "")
	if err := srv.Serve(ctx, ln); err != nil && ctx.Err() == nil {
		return err
	}
	return errStopped
}

// grafanaName names the Grafana a serve talks to, for its start-up line.
func grafanaName(in reconcile.Inputs) string {
	if in.Client == nil {
		return "per-org credentials"
	}
	return in.Client.String()
}

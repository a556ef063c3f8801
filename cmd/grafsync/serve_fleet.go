package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/grafsync/grafsync/internal/apply"
	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/fleet"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/reconcile"
	"github.com/grafsync/grafsync/internal/serve"
	"github.com/grafsync/grafsync/internal/source"
	"github.com/grafsync/grafsync/internal/view"
)

// runServeFleet keeps every instance of a fleet repository converged. With
// a lock DSN, each instance has its own advisory lock, so replicas split
// the fleet and take over a dead replica's instances.
func runServeFleet(ctx context.Context, opts serveOptions, e env, log *slog.Logger) error {
	if opts.grafana.sandbox || len(opts.grafana.urls) > 0 {
		return errors.New("--sandbox and --grafana-url do not apply to a fleet (instances: in grafsync.yaml names each Grafana)")
	}
	mode := serve.Mode(opts.mode)
	if mode != serve.ModeApply && mode != serve.ModePlan {
		return fmt.Errorf("--mode %q: choose apply (keep Grafana converged) or plan (only report drift)", opts.mode)
	}
	metrics := serve.NewFleetMetrics()
	var checks *check.Options // nil: --check-datasources=false
	if opts.checkDatasources {
		checks = &check.Options{Concurrency: opts.grafana.concurrency}
	}
	po := plan.Options{Prune: opts.prune, MaxDeletions: opts.maxDeletions, AllowEmpty: opts.allowEmpty}
	ro := opts.repo
	ro.opened = nil // every fetch reads the repository again
	fetch := func(ctx context.Context) (serve.FleetSnapshot, error) {
		snap, err := openRepo(ctx, ro, e, log)
		if err != nil {
			return serve.FleetSnapshot{}, err
		}
		fl, problems := fleet.ParseContext(ctx, snap.FS)
		if problems.HasErrors() || fl == nil {
			for _, p := range problems {
				log.Error("repository problem", "revision", snap.Revision, "problem", p.String())
			}
			return serve.FleetSnapshot{}, fmt.Errorf("grafsync.yaml: the fleet has errors (%s) or is gone; nothing was synced", problems.Summary())
		}
		r := ro
		r.opened = snap
		fr, err := newFleetRun(fl, r, opts.grafana, opts.fleet, e, log, po)
		if err != nil {
			return serve.FleetSnapshot{}, err
		}
		fr.onResponse = metrics.GrafanaResponse
		selected, err := fl.Select(opts.fleet.instances, opts.fleet.selectors)
		if err != nil {
			return serve.FleetSnapshot{}, err
		}
		byName := map[string]fleet.Instance{}
		var names []string
		for _, in := range selected {
			byName[in.Name] = in
			names = append(names, in.Name)
		}
		return serve.FleetSnapshot{Revision: snap.Revision, Instances: names, Run: func(ctx context.Context, name string) serve.InstanceResult {
			return serveInstance(ctx, fr, byName[name], mode, checks)
		}}, nil
	}
	var locks serve.LockSet
	dsn := opts.lockDSN
	if dsn == "" {
		dsn = e.getenv(envLockDSN)
	}
	if dsn != "" {
		var err error
		if locks, err = serve.NewPGLockSet(dsn, opts.lockName); err != nil {
			return err
		}
	}
	srv, err := serve.NewFleet(serve.FleetOptions{
		Fetch: fetch, Interval: opts.interval, MaxBackoff: opts.maxBackoff, RunTimeout: opts.grafana.timeout,
		Locks: locks, LockRetry: opts.lockRetry, InFlight: opts.fleet.inFlight(opts.grafana.concurrency),
		TriggerToken: e.getenv(envTriggerToken), WebhookSecret: e.getenv(envWebhookSecret), Ref: opts.repo.ref,
		Metrics: metrics, Logger: log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w; choose another address", opts.listen, err)
	}
	lockName := "none (this replica syncs every instance)"
	if locks != nil {
		lockName = locks.String()
	}
	log.Info("serving", "fleet", true, "addr", ln.Addr().String(), "mode", string(mode), "interval", opts.interval.String(),
		"repo", source.Redact(opts.repo.repo), "ref", opts.repo.ref, "lock", lockName,
		"webhook", e.getenv(envWebhookSecret) != "", "trigger", e.getenv(envTriggerToken) != "", "check_datasources", opts.checkDatasources)
	if err := srv.Serve(ctx, ln); err != nil && ctx.Err() == nil {
		return err
	}
	return errStopped
}

// serveInstance runs one instance: validate its view of the repository,
// plan, and in apply mode apply; then, when checks is set and the
// repository loaded, its Grafana health-checks the declared datasources
// whatever planning or applying did (as single-Grafana serve does).
func serveInstance(ctx context.Context, fr *fleetRun, in fleet.Instance, mode serve.Mode, checks *check.Options) (r serve.InstanceResult) {
	if ps := fr.fl.Check(fr.snap.FS, in); ps.HasErrors() {
		for _, p := range ps {
			fr.log.Error("repository problem", "instance", in.Name, "problem", p.String())
		}
		return serve.InstanceResult{Err: fmt.Errorf("instance %s: %s", in.Name, ps.Summary())}
	}
	ri, closeIn, err := fr.inputs(in, mode == serve.ModeApply)
	if err != nil {
		return serve.InstanceResult{Err: err}
	}
	defer closeIn()
	out, err := reconcile.Plan(ctx, ri)
	var pe *reconcile.ProblemsError
	var copts check.Options // checks, with why this run did not apply (set below)
	if checks != nil && out != nil && out.State != nil && !errors.As(err, &pe) {
		copts = *checks
		defer func() {
			if ctx.Err() != nil {
				return
			}
			rep, cerr := reconcile.CheckState(ctx, ri, out.State, copts)
			if cerr != nil {
				fr.log.Warn("datasource check did not run", "instance", in.Name, "error", cerr.Error())
				return
			}
			r.Checked = rep
		}()
	}
	if err != nil {
		return serve.InstanceResult{Err: err}
	}
	drift := 0
	for _, c := range out.Plan.Changes {
		if c.Action != plan.NoOp {
			drift++
		}
	}
	if mode == serve.ModePlan || drift == 0 {
		return serve.InstanceResult{Planned: true, Drift: drift}
	}
	res, err := reconcile.Apply(ctx, ri, out, apply.Options{Message: "grafsync serve " + view.RevisionLabel(out.Plan.Revision), Logger: fr.log})
	r = serve.InstanceResult{Planned: true, Drift: drift, Err: err}
	if res != nil {
		n := res.Done[plan.Create] + res.Done[plan.Update] + res.Done[plan.Delete]
		r.Applied = n
		r.Drift = max(0, drift-n)
	}
	copts.NotApplied = serve.NotApplied(err, "grafsync plan --instance "+in.Name)
	return r
}

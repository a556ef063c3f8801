package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/grafsync/grafsync/internal/apply"
	"github.com/grafsync/grafsync/internal/fleet"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/planfile"
	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/reconcile"
	"github.com/grafsync/grafsync/internal/resource"
	"github.com/grafsync/grafsync/internal/source"
	"github.com/grafsync/grafsync/internal/view"
)

// fleetOptions narrow and bound a run over the instances of grafsync.yaml.
type fleetOptions struct {
	instances []string
	selectors []string
	// requests bounds the requests in flight over the whole fleet; each
	// instance's own bound is --concurrency.
	requests int
	canary   int
}

// defaultFleetConcurrency is --fleet-concurrency's default.
const defaultFleetConcurrency = 64

func (o *fleetOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVar(&o.instances, "instance", nil, "fleet: only these instances (repeatable, comma-separated); default all")
	f.StringSliceVar(&o.selectors, "selector", nil, "fleet: only instances whose labels match label=value (repeatable: all must match)")
	f.IntVar(&o.requests, "fleet-concurrency", defaultFleetConcurrency, "fleet: requests in flight over all instances at once (--concurrency bounds each instance)")
}

// inFlight is how many instances run at once: enough to keep the fleet's
// request bound full, so memory follows the instances in flight and not
// the fleet. An instance rarely has its own bound's worth of requests in
// flight — its run waits on a few requests in a row (health, search, the
// reads by uid) — so filling the fleet's bound takes inFlightFill times
// the instances whose own bounds add up to it; the fleet's Limiter keeps
// the requests within it.
func (o fleetOptions) inFlight(perInstance int) int {
	return max(1, inFlightFill*((o.requests+perInstance-1)/max(perInstance, 1)))
}

// inFlightFill: see inFlight. Measured with BenchmarkFleetPlan.
const inFlightFill = 2

// openFleet reads the repository once and parses its fleet; fl is nil for
// a repository without instances (the single-Grafana path, unchanged).
// The snapshot is kept in ro, so the single path does not read it again.
func openFleet(ctx context.Context, ro *repoOptions, e env, log *slog.Logger) (*fleet.Fleet, load.Problems, error) {
	snap, err := openRepo(ctx, *ro, e, log)
	if err != nil {
		return nil, nil, err
	}
	ro.opened = snap
	fl, problems := fleet.Parse(snap.FS)
	return fl, problems, nil
}

// instanceEnv is the environment an instance's pipeline sees: Grafana's
// credentials are the variables its entry names and nothing else (no
// GRAFANA_TOKEN, GRAFANA_URL, GRAFANA_TOKEN_<ORG> of the process); every
// other variable (a datasource's secret) is the process's.
func instanceEnv(getenv func(string) string, in fleet.Instance) func(string) string {
	return func(name string) string {
		switch name {
		case "GRAFANA_TOKEN":
			return lookup(getenv, in.TokenEnv)
		case "GRAFANA_USER":
			return lookup(getenv, in.UserEnv)
		case "GRAFANA_PASSWORD":
			return lookup(getenv, in.PasswordEnv)
		case "GRAFANA_URL":
			return ""
		}
		if strings.HasPrefix(name, "GRAFANA_TOKEN_") {
			return ""
		}
		return getenv(name)
	}
}

func lookup(getenv func(string) string, name string) string {
	if name == "" {
		return ""
	}
	return getenv(name)
}

// fleetRun holds what every instance of one command shares.
type fleetRun struct {
	fl      *fleet.Fleet
	snap    *source.Snapshot
	g       grafanaOptions
	ro      repoOptions
	e       env
	log     *slog.Logger
	po      plan.Options
	limiter http.RoundTripper
	// files and shared share one snapshot between the instances: files
	// reads each content file once (fleet.Share), shared decodes and
	// normalises each distinct expanded dashboard once (reconcile.Shared).
	files  fs.FS
	shared *reconcile.Shared
	// onResponse, when set, gives each instance's client its response
	// counter (serve's metrics).
	onResponse func(instance string) func(int)
}

func newFleetRun(fl *fleet.Fleet, ro repoOptions, g grafanaOptions, fo fleetOptions, e env, log *slog.Logger, po plan.Options) (*fleetRun, error) {
	if g.sandbox {
		return nil, errors.New("--sandbox: the repository declares a fleet (instances: in grafsync.yaml); start emulators with grafsync sandbox --instances N and point the instances at them")
	}
	if len(g.urls) > 0 {
		return nil, errors.New("--grafana-url: the repository declares a fleet (instances: in grafsync.yaml), whose entries name each Grafana; narrow with --instance NAME")
	}
	if fo.requests < 1 {
		return nil, fmt.Errorf("--fleet-concurrency %d: give at least 1", fo.requests)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = g.concurrency
	return &fleetRun{fl: fl, snap: ro.opened, g: g, ro: ro, e: e, log: log, po: po, limiter: fleet.NewLimiter(fo.requests, base), files: fleet.Share(ro.opened.FS, 0), shared: reconcile.NewShared()}, nil
}

// inputs connects to one instance.
func (fr *fleetRun) inputs(in fleet.Instance, strict bool) (reconcile.Inputs, func(), error) {
	for _, v := range []string{in.TokenEnv, in.UserEnv, in.PasswordEnv} {
		if v != "" && fr.e.getenv(v) == "" {
			return reconcile.Inputs{}, nil, fmt.Errorf("%s is not set: instance %s (%s) takes its credentials from it", v, in.Name, in.Source)
		}
	}
	urls, err := in.ResolveURLs(fr.e.getenv)
	if err != nil {
		return reconcile.Inputs{}, nil, err
	}
	g := fr.g
	g.urls, g.transport = urls, fr.limiter
	ie := env{getenv: instanceEnv(fr.e.getenv, in)}
	var hook func(int)
	if fr.onResponse != nil {
		hook = fr.onResponse(in.Name)
	}
	ri, closeIn, err := pipelineInputs(g, ie, fr.log.With("instance", in.Name), strict, fr.po, hook)
	if err != nil {
		return reconcile.Inputs{}, nil, err
	}
	ri.Repo, ri.Revision, ri.ReadFile = fr.fl.FS(fr.files, in), fr.snap.Revision, fr.ro.secretFiles(fr.e).ReadFile
	ri.Shared = fr.shared
	return ri, closeIn, nil
}

// validate loads the repository as every instance sees it, offline: each
// instance's ${fleet.KEY} values, then (full) its whole load, several
// instances at once on the CPUs. A problem several instances share is
// reported once. Without full only the values are checked: plan loads
// each instance anyway and fails the instances whose load fails.
func (fr *fleetRun) validate(ctx context.Context, instances []fleet.Instance, strict, full bool) load.Problems {
	per := fleet.Run(ctx, instances, runtime.GOMAXPROCS(0), func(ctx context.Context, in fleet.Instance) load.Problems {
		ps := fr.fl.Check(fr.files, in)
		if full {
			_, lps := load.Load(fr.fl.FS(fr.files, in), load.Options{Strict: strict, Getenv: instanceEnv(fr.e.getenv, in), ReadFile: fr.ro.secretFiles(fr.e).ReadFile, Revision: fr.snap.Revision, Context: ctx, Cache: fr.shared.LoadCache()})
			ps = append(ps, lps...)
		}
		return ps
	}, func(_ fleet.Instance, err error) load.Problems {
		return load.Problems{problem.Errorf(resource.Pos{File: fleet.ConfigFile}, "", "%v", err)}
	})
	var all load.Problems
	seen := map[string]bool{}
	for _, ps := range per {
		for _, p := range ps {
			if k := p.String(); !seen[k] {
				seen[k] = true
				all = append(all, p)
			}
		}
	}
	return all
}

// planInstance plans one instance; the returned outcome and inputs serve
// apply (close them after).
func (fr *fleetRun) planInstance(ctx context.Context, in fleet.Instance, strict bool) (view.FleetRow, *reconcile.Outcome, reconcile.Inputs, func()) {
	ri, closeIn, err := fr.inputs(in, strict)
	if err != nil {
		return view.FleetRow{Instance: in.Name, Error: err.Error()}, nil, ri, func() {}
	}
	out, err := reconcile.Plan(ctx, ri)
	if err != nil {
		closeIn()
		return view.FleetRow{Instance: in.Name, Error: err.Error()}, nil, ri, func() {}
	}
	return view.NewFleetRow(in.Name, out.Plan), out, ri, closeIn
}

func failedRow(in fleet.Instance, err error) view.FleetRow {
	return view.FleetRow{Instance: in.Name, Error: err.Error()}
}

// fleetExit is the exit status over the fleet: an error when any
// instance failed (even when others have changes), else errChanges when
// asked and any has changes.
func fleetExit(rows []view.FleetRow, detailed bool) error {
	t := view.Totals(rows)
	if t.Failed > 0 || t.Skipped > 0 {
		return silentError{fmt.Errorf("%d of %d instances failed", t.Failed, t.Instances)}
	}
	if detailed && t.Drifted > 0 {
		return errChanges
	}
	return nil
}

func writeFleet(w io.Writer, rows []view.FleetRow, format, title string) error {
	switch format {
	case "markdown":
		return view.FleetMarkdown(w, rows, title)
	case "json":
		return view.FleetJSONOut(w, rows)
	}
	return view.FleetText(w, rows, true)
}

// runFleetValidate validates every selected instance's expansion.
func runFleetValidate(ctx context.Context, fr *fleetRun, fo fleetOptions, stdout io.Writer) error {
	instances, err := fr.fl.Select(fo.instances, fo.selectors)
	if err != nil {
		return err
	}
	problems := fr.validate(ctx, instances, false, true)
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintf(stdout, "%s (fleet: %d instances)\n", problems.Summary(), len(instances))
	if problems.HasErrors() {
		return silentError{errors.New("validation failed: " + problems.Summary())}
	}
	return nil
}

// runFleetPlan plans every selected instance.
func runFleetPlan(ctx context.Context, fr *fleetRun, opts planOptions, fo fleetOptions, stdout, stderr io.Writer) error {
	instances, err := fr.fl.Select(fo.instances, fo.selectors)
	if err != nil {
		return err
	}
	problemsTo := stdout
	if opts.format != "text" {
		problemsTo = stderr
	}
	if problems := fr.validate(ctx, instances, false, false); problems.HasErrors() {
		for _, p := range problems {
			fmt.Fprintln(problemsTo, p)
		}
		fmt.Fprintln(problemsTo, problems.Summary())
		return silentError{errors.New("the repository has errors; nothing was read from Grafana")}
	}
	saved := &planfile.Fleet{}
	rows := fleet.Run(ctx, instances, fo.inFlight(fr.g.concurrency), func(ctx context.Context, in fleet.Instance) view.FleetRow {
		row, out, _, closeIn := fr.planInstance(ctx, in, false)
		defer closeIn()
		if out != nil && opts.out != "" {
			f := planfile.New(out.Plan, opts.grafana.orgID, opts.prune, opts.maxDeletions)
			f.AllowEmpty = opts.allowEmpty
			saved.Set(in.Name, f)
		}
		return row
	}, failedRow)
	if err := writeFleet(stdout, rows, opts.format, "grafsync fleet plan"); err != nil {
		return err
	}
	if opts.out != "" {
		if t := view.Totals(rows); t.Failed > 0 {
			return silentError{fmt.Errorf("%d of %d instances failed; the plan was not saved", t.Failed, t.Instances)}
		}
		if err := planfile.WriteFleet(opts.out, saved); err != nil {
			return err
		}
		fr.log.Info("fleet plan saved", "file", opts.out)
	}
	return fleetExit(rows, opts.detailedExitCode)
}

// runFleetApply applies to every selected instance; with --canary N to N
// of them first, and to the rest only when each canary applied and its
// re-plan is empty.
func runFleetApply(ctx context.Context, fr *fleetRun, opts planOptions, fo fleetOptions, file string, stdout io.Writer) error {
	instances, err := fr.fl.Select(fo.instances, fo.selectors)
	if err != nil {
		return err
	}
	if fo.canary < 0 {
		return fmt.Errorf("--canary %d: give the number of instances to apply to first", fo.canary)
	}
	var saved *planfile.Fleet
	if file != "" {
		if saved, err = planfile.ReadFleet(file); err != nil {
			return err
		}
		for _, in := range instances {
			f, ok := saved.Get(in.Name)
			if !ok {
				return fmt.Errorf("%s: the saved plan does not cover instance %s; make and review a new plan: grafsync plan --out %s", file, in.Name, file)
			}
			if err := checkSavedPrune(file, &f, opts); err != nil {
				return err
			}
			// The saved plan's choices are the ones its reviewer saw.
			fr.po = plan.Options{Prune: f.Prune, MaxDeletions: f.MaxDeletions, AllowEmpty: f.AllowEmpty}
		}
	}
	if problems := fr.validate(ctx, instances, true, true); problems.HasErrors() {
		for _, p := range problems {
			fmt.Fprintln(stdout, p)
		}
		fmt.Fprintln(stdout, problems.Summary())
		return silentError{errors.New("the repository has errors; nothing was written to Grafana")}
	}
	one := func(canary bool) func(context.Context, fleet.Instance) view.FleetRow {
		return func(ctx context.Context, in fleet.Instance) view.FleetRow {
			return fr.applyInstance(ctx, in, saved, file, canary)
		}
	}
	n := min(fo.canary, len(instances))
	var rows []view.FleetRow
	if n > 0 {
		rows = fleet.Run(ctx, instances[:n], fo.inFlight(fr.g.concurrency), one(true), failedRow)
		stop := ""
		for _, r := range rows {
			if r.Error != "" {
				stop = "canary " + r.Instance + " failed"
				break
			}
		}
		if stop != "" {
			for _, in := range instances[n:] {
				rows = append(rows, view.FleetRow{Instance: in.Name, Skipped: stop})
			}
			if err := view.FleetText(stdout, rows, true); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Stopped after the canaries: %s; %d instances were not touched.\n", stop, len(instances)-n)
			return silentError{errors.New(stop)}
		}
	}
	rows = append(rows, fleet.Run(ctx, instances[n:], fo.inFlight(fr.g.concurrency), one(false), failedRow)...)
	if err := view.FleetText(stdout, rows, true); err != nil {
		return err
	}
	return fleetExit(rows, false)
}

// applyInstance plans, checks the saved plan, applies and, for a canary,
// plans again: a canary whose re-plan is not empty has failed.
func (fr *fleetRun) applyInstance(ctx context.Context, in fleet.Instance, saved *planfile.Fleet, file string, canary bool) view.FleetRow {
	row, out, ri, closeIn := fr.planInstance(ctx, in, true)
	defer closeIn()
	if out == nil {
		return row
	}
	if saved != nil {
		f, _ := saved.Get(in.Name)
		if err := planfile.Check(&f, planfile.New(out.Plan, fr.g.orgID, fr.po.Prune, fr.po.MaxDeletions)); err != nil {
			row.Error = fmt.Sprintf("%s: %v", file, err)
			return row
		}
	}
	if !out.Plan.HasChanges() {
		row.Applied = (&apply.Result{}).Summary()
		return row
	}
	res, err := reconcile.Apply(ctx, ri, out, apply.Options{Message: "grafsync apply " + view.RevisionLabel(out.Plan.Revision)})
	if res != nil {
		row.Applied = res.Summary()
	}
	if err != nil {
		row.Error = err.Error()
		return row
	}
	if canary {
		again, err := reconcile.Plan(ctx, ri)
		switch {
		case err != nil:
			row.Error = "re-plan after apply: " + err.Error()
		case again.Plan.HasChanges():
			row.Error = "re-plan after apply is not empty: " + again.Plan.Summary()
		}
	}
	return row
}

// maybeFleet reads the repository and, when it declares a fleet, runs fn
// over it (done is true); otherwise the snapshot is kept in opts.repo for
// the single-Grafana path, which runs exactly as without a fleet.
func maybeFleet(ctx context.Context, opts *planOptions, e env, stderr io.Writer, fn func(context.Context, *fleetRun) error) (bool, error) {
	log, err := newLogger(stderr, opts.grafana.logLevel)
	if err != nil {
		return true, err
	}
	ctx, cancel := opts.grafana.withTimeout(ctx)
	defer cancel()
	fl, problems, err := openFleet(ctx, &opts.repo, e, log)
	if err != nil {
		return true, err
	}
	if fl == nil && !problems.HasErrors() {
		return false, nil
	}
	if problems.HasErrors() {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return true, silentError{errors.New("grafsync.yaml: the fleet has errors (" + problems.Summary() + "); nothing was read from or written to Grafana")}
	}
	po := plan.Options{Prune: opts.prune, MaxDeletions: opts.maxDeletions, AllowEmpty: opts.allowEmpty}
	fr, err := newFleetRun(fl, opts.repo, opts.grafana, opts.fleet, e, log, po)
	if err != nil {
		return true, err
	}
	return true, fn(ctx, fr)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/grafsync/grafsync/internal/apply"
	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/fleet"
	"github.com/grafsync/grafsync/internal/grafana"
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
	// allowedHosts may receive instances' credentials (default
	// $GRAFSYNC_ALLOWED_HOSTS; neither: loopback only).
	allowedHosts []string
}

// defaultFleetConcurrency is --fleet-concurrency's default.
const defaultFleetConcurrency = 64

func (o *fleetOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Var((*instanceList)(&o.instances), "instance", "fleet: only these instances (repeatable, comma-separated); default all")
	f.StringSliceVar(&o.selectors, "selector", nil, "fleet: only instances whose labels match label=value (repeatable: all must match)")
	f.IntVar(&o.requests, "fleet-concurrency", defaultFleetConcurrency, "fleet: requests in flight over all instances at once (--concurrency bounds each instance)")
	addAllowedHostsFlag(cmd, &o.allowedHosts)
}

// addAllowedHostsFlag is --allowed-hosts of every command that may connect
// to a fleet's instances.
func addAllowedHostsFlag(cmd *cobra.Command, hosts *[]string) {
	cmd.Flags().StringSliceVar(hosts, "allowed-hosts", nil, "fleet: hosts that may receive instances' credentials: host, host:port, *.domain, comma-separated (default $"+fleet.EnvAllowedHosts+"; neither: loopback only)")
}

// hostPolicy is the runner's list of hosts that may receive an instance's
// credentials: --allowed-hosts, else GRAFSYNC_ALLOWED_HOSTS, else loopback
// only. It never comes from the repository.
func (o fleetOptions) hostPolicy(e env) (fleet.HostPolicy, error) {
	if len(o.allowedHosts) > 0 {
		return fleet.ParseAllowedHosts(o.allowedHosts, "--allowed-hosts")
	}
	return fleet.ParseAllowedHosts([]string{e.getenv(fleet.EnvAllowedHosts)}, fleet.EnvAllowedHosts)
}

// single refuses the fleet flags on a repository without a fleet: ignored,
// --canary 1 would apply everything at once while its user expects one
// instance first, and --instance would act on the one Grafana it does not
// name.
func (o fleetOptions) single() error {
	const why = "the repository declares no fleet (no instances: or instancesFrom: in grafsync.yaml), so grafsync works on the one Grafana of GRAFANA_URL"
	switch {
	case o.canary != 0:
		return fmt.Errorf("--canary %d: %s; drop --canary (run plan first to review what apply will do), or declare instances: (docs/fleet.md)", o.canary, why)
	case len(o.instances) > 0:
		return fmt.Errorf("--instance %s: %s; drop --instance", strings.Join(o.instances, ","), why)
	case len(o.selectors) > 0:
		return fmt.Errorf("--selector %s: %s; drop --selector", strings.Join(o.selectors, ","), why)
	}
	return nil
}

// instanceList is --instance: names, repeatable and comma-separated. An
// empty name is refused: --instance "$NAME" with NAME unset must not
// widen the run to the whole fleet.
type instanceList []string

func (n *instanceList) String() string { return strings.Join(*n, ",") }
func (n *instanceList) Type() string   { return "names" }

func (n *instanceList) Set(v string) error {
	for name := range strings.SplitSeq(v, ",") {
		if name = strings.TrimSpace(name); name == "" {
			return fmt.Errorf("empty instance name in %q: give names from grafsync.yaml (grafsync validate lists them), or drop --instance for every instance", v)
		}
		*n = append(*n, name)
	}
	return nil
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
	fl, problems := fleet.ParseContext(ctx, snap.FS)
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

// repoDirFS is the files under dir for a fleet's list files and content:
// like a directory's snapshot, it follows symbolic links only while they
// stay inside dir (os.Root; os.DirFS would follow them anywhere).
func repoDirFS(dir string) (fs.FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("--repo %s: %w", dir, err)
	}
	return root.FS(), nil // root is closed by its finalizer once unused
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
	hosts   fleet.HostPolicy // where credentials may go
	// files and shared share one snapshot between the instances: files
	// reads each content file once (fleet.Share), shared decodes and
	// normalises each distinct expanded dashboard once (reconcile.Shared).
	files  fs.FS
	shared *reconcile.Shared
	// onResponse, when set, gives each instance's client its response
	// counter (serve's metrics).
	onResponse func(instance string) func(int)
	// checks, when set, health-checks each instance's datasources after
	// apply (--check-datasources).
	checks *check.Options
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
	hosts, err := fo.hostPolicy(e)
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = g.concurrency
	return &fleetRun{fl: fl, snap: ro.opened, g: g, ro: ro, e: e, log: log, po: po, limiter: fleet.NewLimiter(fo.requests, base), hosts: hosts, files: fleet.Share(ro.opened.FS, 0), shared: reconcile.NewShared()}, nil
}

// inputs connects to one instance.
func (fr *fleetRun) inputs(in fleet.Instance, strict bool) (reconcile.Inputs, func(), error) {
	for _, v := range []string{in.TokenEnv, in.UserEnv, in.PasswordEnv} {
		if v != "" && fr.e.getenv(v) == "" {
			return reconcile.Inputs{}, nil, fmt.Errorf("%s is not set: instance %s (%s) takes its credentials from it", v, in.Name, in.Source)
		}
	}
	urls, err := in.TrustedURLs(fr.e.getenv, fr.hosts)
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

// refuseHosts checks, before any request, that every selected instance's
// URLs go to hosts the runner allows; when one does not, the whole run is
// refused (a pull request that points an instance elsewhere gets no plan
// at all). An instance whose URL variable is unset fails alone later.
// problemsWriter is where a fleet command writes the repository's
// problems: stdout in text, stderr when stdout is a markdown or JSON view.
func problemsWriter(format string, stdout, stderr io.Writer) io.Writer {
	if format != "text" {
		return stderr
	}
	return stdout
}

// selectValid is selectTrusted with each selected instance's values
// checked (fleet.Check): their problems go to w and stop the command,
// whose outcome nothing says.
func (fr *fleetRun) selectValid(ctx context.Context, fo fleetOptions, w io.Writer, nothing string) ([]fleet.Instance, error) {
	instances, err := fr.selectTrusted(fo, w)
	if err != nil {
		return nil, err
	}
	if problems := fr.validate(ctx, instances, false, false); problems.HasErrors() {
		for _, p := range problems {
			fmt.Fprintln(w, p)
		}
		fmt.Fprintln(w, problems.Summary())
		return nil, silentError{errors.New("the repository has errors; " + nothing)}
	}
	return instances, nil
}

// selectTrusted is the instances fo selects, each pointing only at hosts
// this runner allows (refuseHosts writes the refusals to w).
func (fr *fleetRun) selectTrusted(fo fleetOptions, w io.Writer) ([]fleet.Instance, error) {
	instances, err := fr.fl.Select(fo.instances, fo.selectors)
	if err != nil {
		return nil, err
	}
	return instances, fr.refuseHosts(instances, w)
}

func (fr *fleetRun) refuseHosts(instances []fleet.Instance, w io.Writer) error {
	n := 0
	for _, in := range instances {
		var he *fleet.HostRefusedError
		if _, err := in.TrustedURLs(fr.e.getenv, fr.hosts); errors.As(err, &he) {
			fmt.Fprintln(w, err)
			n++
		}
	}
	switch {
	case n == 1:
		return fmt.Errorf("1 instance points at a host this runner does not allow (%s); nothing was read from or written to any Grafana", fr.hosts)
	case n > 1:
		return fmt.Errorf("%d instances point at hosts this runner does not allow (%s); nothing was read from or written to any Grafana", n, fr.hosts)
	}
	return nil
}

// validate loads the repository as every instance sees it, offline: each
// instance's ${fleet.KEY} values, then (full) its whole load, several
// instances at once on the CPUs. A problem several instances share is
// reported once, naming them (fleet.Merge). Without full only the values
// are checked: plan loads each instance anyway and fails the instances
// whose load fails.
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
	return fleet.Merge(instances, per)
}

// planInstance plans one instance; the returned outcome and inputs serve
// apply (close them after).
func (fr *fleetRun) planInstance(ctx context.Context, in fleet.Instance, strict bool) (view.FleetRow, *reconcile.Outcome, reconcile.Inputs, func()) {
	ri, closeIn, err := fr.inputs(in, strict)
	if err != nil {
		return failedRow(in, err), nil, ri, func() {}
	}
	out, err := reconcile.Plan(ctx, ri)
	if err != nil {
		closeIn()
		row := failedRow(in, err)
		if out != nil {
			row.Problems = out.Problems
		}
		return row, nil, ri, func() {}
	}
	row := view.NewFleetRow(in.Name, out.Plan)
	row.Problems = out.Problems
	return row, out, ri, closeIn
}

// nameCredentials makes a 401 in err name the variables instance in takes
// its credentials from, not the single Grafana's GRAFANA_TOKEN.
func nameCredentials(in fleet.Instance, err error) {
	var ae *grafana.APIError
	if errors.As(err, &ae) {
		ae.Credentials = credentialsOf(in)
	}
}

// failedRow is the row of an instance that failed with err, said for that
// instance: a 401's hint names the variables its entry takes credentials
// from (not GRAFANA_TOKEN), and a repository error for it names the first
// problem (all are printed above the table).
func failedRow(in fleet.Instance, err error) view.FleetRow {
	nameCredentials(in, err)
	msg := err.Error()
	var pe *reconcile.ProblemsError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			if p.Severity == problem.Error {
				n, _ := pe.Problems.Count()
				msg = fmt.Sprintf("%s: %s (%s for this instance, listed above); nothing was written to it", p.Pos, p.Message, fleetCount(n, "error"))
				break
			}
		}
	}
	return view.FleetRow{Instance: in.Name, Error: msg}
}

// credentialsOf names the variables in's entry takes its credentials from.
func credentialsOf(in fleet.Instance) string {
	if in.TokenEnv != "" {
		return fmt.Sprintf("%s (the token of instance %s)", in.TokenEnv, in.Name)
	}
	return fmt.Sprintf("%s and %s (the user and password of instance %s)", in.UserEnv, in.PasswordEnv, in.Name)
}

// printFleetProblems prints the problems the instances' runs found, each
// shared problem once naming its instances.
func printFleetProblems(w io.Writer, instances []fleet.Instance, rows []view.FleetRow) {
	per := make([]load.Problems, len(rows))
	for i, r := range rows {
		per[i] = r.Problems
	}
	for _, p := range fleet.Merge(instances, per) {
		fmt.Fprintln(w, p)
	}
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

func writeFleet(w io.Writer, rows []view.FleetRow, format, title, revision string) error {
	switch format {
	case "markdown":
		return view.FleetMarkdown(w, rows, title, revision)
	case "json":
		return view.FleetJSONOut(w, rows, revision)
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
	fmt.Fprintf(stdout, "%s (fleet: %s)\n", problems.Summary(), fleetCount(len(instances), "instance"))
	fmt.Fprintf(stdout, "Instances: %s\n", instanceNames(instances))
	if problems.HasErrors() {
		return silentError{errors.New("validation failed: " + problems.Summary())}
	}
	return nil
}

// runFleetPlan plans every selected instance.
func runFleetPlan(ctx context.Context, fr *fleetRun, opts planOptions, fo fleetOptions, stdout, stderr io.Writer) error {
	problemsTo := problemsWriter(opts.format, stdout, stderr)
	instances, err := fr.selectValid(ctx, fo, problemsTo, "nothing was read from Grafana")
	if err != nil {
		return err
	}
	saved := &planfile.Fleet{Selection: &planfile.Selection{Instances: fo.instances, Selectors: fo.selectors}}
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
	printFleetProblems(problemsTo, instances, rows)
	if err := writeFleet(stdout, rows, opts.format, "grafsync fleet plan", fr.snap.Revision); err != nil {
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
	if fo.canary < 0 {
		return fmt.Errorf("--canary %d: give the number of instances to apply to first", fo.canary)
	}
	var saved *planfile.Fleet
	var instances []fleet.Instance
	var err error
	if file != "" {
		if saved, err = planfile.ReadFleet(file); err != nil {
			return err
		}
		if instances, err = fr.selectSaved(saved, fo, file, stdout); err != nil {
			return err
		}
		for _, in := range instances {
			f, _ := saved.Get(in.Name)
			if err := checkSavedPrune(file, &f, opts); err != nil {
				return err
			}
			// The saved plan's choices are the ones its reviewer saw.
			fr.po = plan.Options{Prune: f.Prune, MaxDeletions: f.MaxDeletions, AllowEmpty: f.AllowEmpty}
		}
	} else if instances, err = fr.selectTrusted(fo, stdout); err != nil {
		return err
	}
	// The gate loads every instance as plan does: an error in the
	// repository stops the whole fleet before anything is written. A
	// secret an instance's environment lacks (strict, below) fails that
	// instance alone.
	if problems := fr.validate(ctx, instances, false, true); problems.HasErrors() {
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
		fmt.Fprintf(stdout, "Canary: applying to %s first (%s), then planning %s again.\n", fleetCount(n, "instance"), instanceNames(instances[:n]), itOrThem(n))
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
			printFleetProblems(stdout, instances[:n], rows[:n])
			if err := view.FleetApplyText(stdout, rows); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Stopped after the canaries: %s; %s not touched.\n", stop, fleetCount(len(instances)-n, "instance was", "instances were"))
			return silentError{errors.New(stop)}
		}
		if rest := len(instances) - n; rest > 0 {
			fmt.Fprintf(stdout, "Canary passed: %s applied and planned empty; applying to the rest (%s).\n", instanceNames(instances[:n]), fleetCount(rest, "instance"))
		} else {
			fmt.Fprintf(stdout, "Canary passed: %s applied and planned empty; no other instances are selected.\n", instanceNames(instances[:n]))
		}
	}
	rows = append(rows, fleet.Run(ctx, instances[n:], fo.inFlight(fr.g.concurrency), one(false), failedRow)...)
	printFleetProblems(stdout, instances, rows)
	if err := view.FleetApplyText(stdout, rows); err != nil {
		return err
	}
	return fleetExit(rows, false)
}

// selectSaved is the instances apply FILE works on: without --instance
// and --selector exactly those the saved plan covers (the selection it was
// made with); with them, those they select, each of which the plan must
// cover. An instance the plan covers that grafsync.yaml no longer declares
// refuses the whole run, as does one pointing at a host this runner does
// not allow. Nothing is read from any Grafana before.
func (fr *fleetRun) selectSaved(saved *planfile.Fleet, fo fleetOptions, file string, w io.Writer) ([]fleet.Instance, error) {
	covered := saved.Names()
	made := saved.Selection.Flags()
	again := strings.TrimSpace("grafsync plan " + made + " --out " + file)
	if made == "" {
		made = "every instance"
	}
	if len(covered) == 0 {
		return nil, fmt.Errorf("%s: the saved plan covers no instance; make and review a new plan: %s", file, again)
	}
	if len(fo.instances) == 0 && len(fo.selectors) == 0 {
		declared := map[string]bool{}
		for _, in := range fr.fl.Instances {
			declared[in.Name] = true
		}
		for _, n := range covered {
			if !declared[n] {
				return nil, fmt.Errorf("%s: the saved plan covers instance %s, which %s no longer declares; make and review a new plan: %s", file, n, fleet.ConfigFile, again)
			}
		}
		instances, err := fr.fl.Select(covered, nil)
		if err != nil {
			return nil, err
		}
		return instances, fr.refuseHosts(instances, w)
	}
	instances, err := fr.fl.Select(fo.instances, fo.selectors)
	if err != nil {
		return nil, err
	}
	for _, in := range instances {
		if _, ok := saved.Get(in.Name); !ok {
			var inOrder []string // the covered instances in declaration order
			for _, d := range fr.fl.Instances {
				if _, ok := saved.Get(d.Name); ok {
					inOrder = append(inOrder, d.Name)
				}
			}
			given := planfile.Selection{Instances: fo.instances, Selectors: fo.selectors}
			return nil, fmt.Errorf("%s: the saved plan does not cover instance %s: it covers %s (made with %s); apply it without --instance and --selector to apply exactly those, or make and review a new plan: grafsync plan %s --out %s",
				file, in.Name, fleet.Names(inOrder), made, given.Flags(), file)
		}
	}
	return instances, fr.refuseHosts(instances, w)
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
			var stale *planfile.StaleError
			if errors.As(err, &stale) { // the new plan covers the same instances
				stale.Again = strings.Join(strings.Fields("grafsync plan "+saved.Selection.Flags()+" --out "+file), " ")
			}
			row.Error = fmt.Sprintf("%s: %v", file, err)
			return row
		}
	}
	if !out.Plan.HasChanges() {
		row.Applied, row.Done = (&apply.Result{}).Summary(), &view.FleetDone{}
		fr.checkInstance(ctx, ri, out, &row)
		return row
	}
	res, err := reconcile.Apply(ctx, ri, out, apply.Options{Message: "grafsync apply " + view.RevisionLabel(out.Plan.Revision)})
	// A refused plan (blocked changes) wrote nothing: it gets no apply
	// summary, as if it had applied nothing, only its error.
	var blocked *apply.Blocked
	if res != nil && !errors.As(err, &blocked) {
		row.Applied = res.Summary()
		row.Done = &view.FleetDone{Created: res.Done[plan.Create], Updated: res.Done[plan.Update], Deleted: res.Done[plan.Delete], Failed: len(res.Failed)}
	}
	if err != nil {
		row.Error = failedRow(in, err).Error
		return row
	}
	if fr.checks != nil && !fr.checkInstance(ctx, ri, out, &row) {
		return row
	}
	if canary {
		again, err := reconcile.Plan(ctx, ri)
		switch {
		case err != nil:
			row.Error = "re-plan after apply: " + err.Error()
		case again.Plan.HasChanges():
			row.Error = "re-plan after apply is not empty (" + changedSubjects(again.Plan, 5) + "; changed in Grafana meanwhile, or not kept as written): " + again.Plan.Summary()
		}
	}
	return row
}

// changedSubjects names a plan's changes, "update dashboard d", at most
// n of them.
func changedSubjects(p *plan.Plan, n int) string {
	var out []string
	more := 0
	for _, c := range p.Changes {
		switch {
		case c.Action == plan.NoOp:
		case len(out) < n:
			out = append(out, string(c.Action)+" "+c.Subject)
		default:
			more++
		}
	}
	if more > 0 {
		out = append(out, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(out, ", ")
}

// checkInstance health-checks an instance's datasources once its apply
// succeeded, when asked (fr.checks); a failed check fails the row, as
// grafsync apply --check-datasources exits 1 for one Grafana, and stops a
// canary rollout. It reports whether every check passed.
func (fr *fleetRun) checkInstance(ctx context.Context, ri reconcile.Inputs, out *reconcile.Outcome, row *view.FleetRow) bool {
	if fr.checks == nil {
		return true
	}
	rep, err := reconcile.CheckState(ctx, ri, out.State, *fr.checks)
	switch {
	case err != nil:
		row.Error = "datasource check: " + err.Error()
		return false
	case rep.Failed() > 0:
		row.Checks = view.CheckTextString(rep)
		row.Error = fmt.Sprintf("%d of %d datasource checks failed", rep.Failed(), len(rep.Results))
		return false
	}
	return true
}

// runFleetCheck asks every selected instance's Grafana to health-check the
// datasources the repository declares for it (grafsync check per
// instance), at most --fleet-concurrency requests in flight over the
// fleet. It exits 1 when any instance could not be checked or any check
// failed.
func runFleetCheck(ctx context.Context, fr *fleetRun, fo fleetOptions, format string, stdout, stderr io.Writer) error {
	problemsTo := problemsWriter(format, stdout, stderr)
	instances, err := fr.selectValid(ctx, fo, problemsTo, "nothing was checked")
	if err != nil {
		return err
	}
	opts := check.Options{Concurrency: fr.g.concurrency}
	rows := fleet.Run(ctx, instances, fo.inFlight(fr.g.concurrency), func(ctx context.Context, in fleet.Instance) view.FleetCheckRow {
		ri, closeIn, err := fr.inputs(in, false)
		if err != nil {
			return view.FleetCheckRow{Instance: in.Name, Error: failedRow(in, err).Error}
		}
		defer closeIn()
		out, rep, err := reconcile.Check(ctx, ri, opts)
		var pe *reconcile.ProblemsError
		if errors.As(err, &pe) {
			for _, p := range out.Problems {
				fr.log.Error("repository problem", "instance", in.Name, "problem", p.String())
			}
			return view.FleetCheckRow{Instance: in.Name, Error: "the repository has errors for this instance (" + pe.Problems.Summary() + "): grafsync validate --instance " + in.Name}
		}
		row := view.FleetCheckRow{Instance: in.Name, Report: rep}
		if err != nil {
			row.Error = failedRow(in, err).Error // the instance's own credential variables in a 401's hint
		}
		return row
	}, func(in fleet.Instance, err error) view.FleetCheckRow {
		return view.FleetCheckRow{Instance: in.Name, Error: err.Error()}
	})
	if format == "json" {
		err = view.FleetCheckJSON(stdout, rows)
	} else {
		err = view.FleetCheckText(stdout, rows)
	}
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range rows {
		if r.Failed() {
			failed++
		}
	}
	if failed > 0 {
		return silentError{fmt.Errorf("%d of %d instances failed their datasource checks or could not be checked", failed, len(rows))}
	}
	return nil
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

// fleetCount is "1 instance" or "N instances" (many: the plural, when not
// word+"s").
func fleetCount(n int, word string, many ...string) string {
	if n == 1 {
		return "1 " + word
	}
	if len(many) > 0 {
		return fmt.Sprintf("%d %s", n, many[0])
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// itOrThem is "it" or "them".
func itOrThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// instanceNames lists the instances' names, bounded (fleet.Names).
func instanceNames(instances []fleet.Instance) string {
	names := make([]string, len(instances))
	for i, in := range instances {
		names[i] = in.Name
	}
	return fleet.Names(names)
}

package reconcile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/grafsync/grafsync/internal/apply"
	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// Inputs are everything one run needs.
type Inputs struct {
	Repo     fs.FS  // the repository snapshot
	Revision string // its commit, "" for a plain directory
	Client   *grafana.Client
	// ClientErr says why Client is nil (no shared credentials); only a
	// repository of several orgs, reached through Access, can run then.
	ClientErr error
	OrgID     int64 // the org the client works in; 0 = the identity's default

	// Strict: unset secrets are errors (apply), not warnings (validate, plan).
	Strict   bool
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)

	// Access reaches each org of a repository that declares several (nil:
	// such a repository is refused). Client and OrgID serve a single org.
	Access Access

	Plan plan.Options
	// AlertingEditable writes alerting with provenance none (editable in
	// Grafana's UI) instead of api (locked); docs/alerting.md.
	AlertingEditable bool
	Fingerprinter    *normalize.Fingerprinter // nil: a fresh one
	// Shared is what the runs of a fleet's instances share (NewShared);
	// nil: this run makes its own.
	Shared *Shared
	Logger *slog.Logger
}

// Outcome is what a planning run found.
type Outcome struct {
	State    *resource.State
	Problems load.Problems // warnings only when err is nil
	Plan     *plan.Plan
	// Secrets are the desired secret values by datasource identity, for apply.
	Secrets map[string]map[string]resource.Secret
	// orgs routes apply's changes when the plan spans several orgs.
	orgs *apply.Orgs
}

// ProblemsError is returned when the repository has errors: nothing was
// planned or written (reads of Grafana started while the repository loaded
// are abandoned).
type ProblemsError struct{ Problems load.Problems }

func (e *ProblemsError) Error() string {
	return "the repository has errors (" + e.Problems.Summary() + "); nothing was written to Grafana"
}

// Plan loads the desired state, reads the live state and plans.
func Plan(ctx context.Context, in Inputs) (*Outcome, error) {
	if in.Fingerprinter == nil {
		in.Fingerprinter = normalize.NewFingerprinter()
	}
	if in.Logger == nil {
		in.Logger = slog.New(slog.DiscardHandler)
	}
	// Reading Grafana waits on the network and loading Git on the CPU: do
	// both at once.
	r := startReading(ctx, in)
	defer r.stop()
	state, problems := load.Load(in.Repo, load.Options{Strict: in.Strict, Getenv: in.Getenv, ReadFile: in.ReadFile, Revision: in.Revision, Context: ctx, Cache: in.Shared.LoadCache()})
	out := &Outcome{State: state, Problems: problems}
	switch {
	case ctx.Err() != nil:
		// Loading stopped part-way (a signal, --timeout): the problems say
		// so, but the run was interrupted, not the repository wrong.
		r.stop()
		return out, fmt.Errorf("load the repository: %w", ctx.Err())
	case problems.HasErrors():
		// Nothing is planned: stop reading Grafana, report the repository.
		r.stop()
		return out, &ProblemsError{Problems: problems}
	case len(state.Orgs) > 1:
		// Each org is read with its own client: the default one is not needed.
		r.stop()
		return withProblems(planOrgs(ctx, in, out))
	case in.Client == nil && in.ClientErr != nil:
		return out, in.ClientErr
	case in.Client == nil:
		return out, errors.New("no Grafana client: set GRAFANA_URL and GRAFANA_TOKEN (or GRAFANA_USER and GRAFANA_PASSWORD)")
	}
	return withProblems(planOrg(ctx, in, out, r))
}

// withProblems adds the problems found once Grafana was read (library
// panel references) to the repository's, so that they are reported together.
func withProblems(out *Outcome, err error) (*Outcome, error) {
	var pe *ProblemsError
	if out != nil && errors.As(err, &pe) {
		out.Problems = append(out.Problems, pe.Problems...)
		out.Problems.Sort()
		pe.Problems = out.Problems
	}
	return out, err
}

// planOrg plans a repository of one org, whose live state r is reading.
func planOrg(ctx context.Context, in Inputs, out *Outcome, r *reading) (*Outcome, error) {
	org := out.State.Orgs[0]
	r.expect(dashboardUIDs(org))
	desiredDash, outlines, err := in.Shared.desiredDashboards(org, in.OrgID)
	if err != nil {
		return out, err
	}
	r.dashboards.share(desiredDash, outlines)
	if err := r.wait(); err != nil {
		return out, err
	}
	orgID := in.OrgID
	if orgID == 0 {
		orgID = r.me.OrgID
	}
	if err := checkPinnedOrg(org, orgID); err != nil {
		return out, err
	}
	setOrg(desiredDash, orgID)
	setOrg(r.dashboards.out, orgID)
	part, err := normalizeOrg(ctx, in, in.Client, org, orgID, r.me, r.live, r.dashboards.ledger, desiredDash, r.dashboards.out)
	if err != nil {
		return out, err
	}
	out.Secrets = part.secrets
	p, err := plan.Make(in.Revision, part.desired, part.live, in.Plan)
	if err != nil {
		return out, err
	}
	p.Kept = append(p.Kept, part.notes...)
	out.Plan = p
	// folders, dashboards and datasources count what the repository
	// declares for this Grafana (an instance of a fleet sees its own
	// content); live_* count what Grafana holds, 0 on an empty one.
	in.Logger.Info("planned", "revision", in.Revision, "summary", p.Summary(),
		"folders", len(org.Folders), "dashboards", len(org.Dashboards), "datasources", len(org.Datasources),
		"live_folders", len(r.live.Folders), "live_dashboards", len(r.dashboards.out), "live_datasources", len(r.live.Datasources))
	return out, nil
}

// reading is the live state of the client's org, read while the
// repository loads. Its fields are set once wait has returned nil.
type reading struct {
	cancel     context.CancelFunc
	group      *errgroup.Group
	loaded     chan struct{} // closed by expect
	uids       []string      // the repository's dashboards, once loaded is closed
	live       *grafana.State
	me         grafana.Identity
	meErr      error // Whoami's: wait chooses which error a run reports
	dashboards liveDashboards
}

// startReading starts reading the client's org (nothing when there is no
// client). Live dashboards are normalised as they arrive, so only their
// encoded documents are kept.
func startReading(ctx context.Context, in Inputs) *reading {
	ctx, cancel := context.WithCancel(ctx)
	whoamiCtx := ctx // not the group's: a failed state read must not cancel it (see wait)
	group, ctx := errgroup.WithContext(ctx)
	r := &reading{cancel: cancel, group: group, loaded: make(chan struct{}), dashboards: liveDashboards{orgID: in.OrgID}}
	if in.Client == nil {
		return r
	}
	// On 12.x, whose search lags writes, the repository's dashboards are
	// read by uid even when search misses them: ReadState waits for them.
	expected := func() []string {
		select {
		case <-r.loaded:
			return r.uids
		case <-ctx.Done():
			return nil
		}
	}
	group.Go(func() (err error) {
		r.live, err = in.Client.ReadState(ctx, r.dashboards.add, expected)
		return err
	})
	group.Go(func() error {
		r.me, r.meErr = in.Client.Whoami(whoamiCtx)
		return nil
	})
	return r
}

// expect hands the reading the uids of the repository's dashboards.
func (r *reading) expect(uids []string) {
	r.uids = uids
	close(r.loaded)
}

// wait waits for the reading to end and returns its error.
//
// A Grafana that is down or refuses the credentials fails both reads at
// once; the error reported is chosen the same way every run: Grafana's
// answer to the credentials (its hint names them), else the state read's
// (a down Grafana: "cannot reach … to check health"), else Whoami's.
func (r *reading) wait() error {
	err := r.group.Wait()
	var refused *grafana.APIError
	if errors.As(r.meErr, &refused) {
		return r.meErr
	}
	if err != nil {
		return err
	}
	if r.meErr != nil {
		return r.meErr
	}
	return r.dashboards.err
}

// stop abandons the reading and waits for its requests to end. It may be
// called more than once, and after wait.
func (r *reading) stop() {
	r.cancel()
	r.group.Wait()
}

// liveDashboards is a ReadState callback: it normalises each live dashboard
// as it is read (concurrently: ReadState calls it from every reader), and
// keeps only its canonical bytes. The ownership ledger is a dashboard only
// to Grafana: it is kept apart, never a dashboard of the plan.
type liveDashboards struct {
	orgID  int64
	mu     sync.Mutex
	out    []plan.Resource
	ledger normalize.Ledger
	err    error // the first dashboard that could not be normalised
	// desired are the repository's normalised dashboards by uid, once
	// share has been called; outlines, when the run shares them
	// (Shared), outline them for LiveDashboardAs.
	desired  map[string][]byte
	outlines map[string]*normalize.Outline
}

func (l *liveDashboards) add(d grafana.Dashboard) {
	if d.UID == normalize.LedgerUID {
		ledger, err := normalize.ParseLedger(d)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.ledger = ledger
		if err != nil && l.err == nil {
			l.err = err
		}
		return
	}
	l.mu.Lock()
	o := l.outlines[d.UID]
	l.mu.Unlock()
	r, err := normalize.LiveDashboardAs(d, l.orgID, o)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil && l.err == nil {
		l.err = err
	}
	l.dedupe(&r)
	l.out = append(l.out, r)
}

// share hands over the desired dashboards: a live dashboard whose bytes
// equal its desired one's keeps the desired bytes instead of its own copy,
// so that a plan where nothing differs holds each document once.
func (l *liveDashboards) share(desired []plan.Resource, outlines map[string]*normalize.Outline) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outlines = outlines
	l.desired = make(map[string][]byte, len(desired))
	for _, d := range desired {
		l.desired[d.ID] = d.Raw
	}
	for i := range l.out {
		l.dedupe(&l.out[i])
	}
}

func (l *liveDashboards) dedupe(r *plan.Resource) {
	if d, ok := l.desired[r.ID]; ok && bytes.Equal(d, r.Raw) {
		r.Raw = d
	}
}

// desiredDashboards normalises an org's dashboards from Git
// (normalize.DesiredDashboard) and releases each loaded JSON as soon as its
// normalised bytes exist: the run holds each document once, not twice.
// org.Dashboards[i].JSON is nil afterwards.
func desiredDashboards(org *resource.Org, orgID int64) ([]plan.Resource, error) {
	out := make([]plan.Resource, 0, len(org.Dashboards))
	for _, d := range org.Dashboards {
		r, err := normalize.DesiredDashboard(d, orgID)
		if err != nil {
			return nil, err
		}
		d.JSON = nil
		out = append(out, r)
	}
	return out, nil
}

// dashboardUIDs are the uids of an org's dashboards in the repository, and
// the ownership ledger's: what a read must find even when 12.x search does
// not list it yet.
func dashboardUIDs(o *resource.Org) []string {
	uids := make([]string, len(o.Dashboards), len(o.Dashboards)+1)
	for i, d := range o.Dashboards {
		uids[i] = d.UID
	}
	return append(uids, normalize.LedgerUID)
}

// setOrg stamps resources normalised before the org id was known.
func setOrg(rs []plan.Resource, orgID int64) {
	for i := range rs {
		rs[i].OrgID = orgID
	}
}

// Apply applies a planning run's plan.
func Apply(ctx context.Context, in Inputs, o *Outcome, opts apply.Options) (*apply.Result, error) {
	if o.Plan == nil {
		return nil, errors.New("nothing to apply: planning failed")
	}
	opts.Secrets = o.Secrets
	opts.Orgs = o.orgs
	opts.AlertingEditable = in.AlertingEditable
	if opts.Logger == nil {
		opts.Logger = in.Logger
	}
	c := in.Client
	if o.orgs != nil {
		c = o.orgs.AnyClient()
	}
	return apply.Apply(ctx, c, o.Plan, opts)
}

package reconcile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

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

	Plan          plan.Options
	Fingerprinter *normalize.Fingerprinter // nil: a fresh one
	Logger        *slog.Logger
}

// Outcome is what a planning run found.
type Outcome struct {
	State    *resource.State
	Problems load.Problems // warnings only when err is nil
	Live     *grafana.State
	Plan     *plan.Plan
	// Secrets are the desired secret values by datasource identity, for apply.
	Secrets map[string]map[string]resource.Secret
	// orgs routes apply's changes when the plan spans several orgs.
	orgs *apply.Orgs
}

// ProblemsError is returned when the repository has errors: nothing was
// read from or written to Grafana.
type ProblemsError struct{ Problems load.Problems }

func (e *ProblemsError) Error() string {
	return "the repository has errors (" + e.Problems.Summary() + "); nothing was sent to Grafana"
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
	// both at once. Live dashboards are normalised as they arrive, so only
	// their encoded documents are kept.
	var (
		live        *grafana.State
		me          grafana.Identity
		liveDash    []plan.Resource
		liveDashErr error
	)
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	reading, readCtx := errgroup.WithContext(readCtx)
	// The dashboards the repository holds, once loaded: on 12.x, whose search
	// lags writes, they are read by uid even when search misses them.
	loaded := make(chan struct{})
	var expectedUIDs []string
	expected := func() []string {
		select {
		case <-loaded:
			return expectedUIDs
		case <-readCtx.Done():
			return nil
		}
	}
	reading.Go(func() (err error) {
		if in.Client == nil {
			return nil
		}
		live, err = in.Client.ReadState(readCtx, func(d grafana.Dashboard) {
			r, err := normalize.LiveDashboard(d, in.OrgID)
			if err != nil && liveDashErr == nil {
				liveDashErr = err
			}
			liveDash = append(liveDash, r)
		}, expected)
		return err
	})
	reading.Go(func() (err error) {
		if in.Client == nil {
			return nil
		}
		me, err = in.Client.Whoami(readCtx)
		return err
	})

	state, problems := load.Load(in.Repo, load.Options{Strict: in.Strict, Getenv: in.Getenv, ReadFile: in.ReadFile, Revision: in.Revision})
	out := &Outcome{State: state, Problems: problems}
	var loadErr error
	switch {
	case problems.HasErrors():
		loadErr = &ProblemsError{Problems: problems}
	}
	if loadErr != nil {
		// Nothing is planned: stop reading Grafana, report the repository.
		stopReading()
		reading.Wait()
		return out, loadErr
	}
	if len(state.Orgs) > 1 {
		// Each org is read with its own client: the default one is not needed.
		stopReading()
		reading.Wait()
		return planOrgs(ctx, in, out)
	}
	if in.Client == nil {
		reading.Wait()
		return out, in.ClientErr
	}
	org := state.Orgs[0]
	for _, d := range org.Dashboards {
		expectedUIDs = append(expectedUIDs, d.UID)
	}
	close(loaded)
	desiredDash, err := normalize.DesiredDashboards(org, in.OrgID)
	if err != nil {
		return out, err
	}
	if err := reading.Wait(); err != nil {
		return out, err
	}
	if liveDashErr != nil {
		return out, liveDashErr
	}
	if f := firstNested(org); f != nil {
		nested, err := in.Client.NestedFolders(ctx)
		if err != nil {
			return out, err
		}
		if !nested {
			return out, fmt.Errorf("folder %s is nested (%s), but this Grafana has nested folders off (Grafana 10.x without the nestedFolders feature toggle); nothing was written: enable the toggle, upgrade to Grafana 11, or move the directory to the top of dashboards/", f.Path, f.Source)
		}
	}
	out.Live = live
	orgID := in.OrgID
	if orgID == 0 {
		orgID = me.OrgID
	}
	if err := checkPinnedOrg(org, orgID); err != nil {
		return out, err
	}
	setOrg(desiredDash, orgID)
	setOrg(liveDash, orgID)

	var desired, current []plan.Resource
	desired = append(desired, normalize.DesiredFolders(org, orgID)...)
	desired = append(desired, normalize.DesiredDatasources(org, orgID, live.Datasources, in.Fingerprinter)...)
	desired = append(desired, desiredDash...)
	current = append(current, normalize.LiveFolders(live.Folders, orgID, me.Login)...)
	current = append(current, normalize.LiveDatasources(live.Datasources, orgID)...)
	current = append(current, liveDash...)
	out.Secrets = normalize.DatasourceSecrets(org, live.Datasources)
	cfgDesired, cfgLive, notes, err := orgConfig(ctx, in.Client, org, orgID, me, live)
	if err != nil {
		return out, err
	}
	desired = append(desired, cfgDesired...)
	current = append(current, cfgLive...)

	p, err := plan.Make(in.Revision, desired, current, in.Plan)
	if err != nil {
		return out, err
	}
	p.Kept = append(p.Kept, notes...)
	out.Plan = p
	in.Logger.Info("planned", "revision", in.Revision, "summary", p.Summary(),
		"folders", len(live.Folders), "dashboards", len(live.Dashboards), "datasources", len(live.Datasources))
	return out, nil
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
	if opts.Logger == nil {
		opts.Logger = in.Logger
	}
	c := in.Client
	if o.orgs != nil {
		c = o.orgs.AnyClient()
	}
	return apply.Apply(ctx, c, o.Plan, opts)
}

// firstNested is the first folder below another, or nil.
func firstNested(org *resource.Org) *resource.Folder {
	for _, f := range org.Folders {
		if f.ParentUID != "" {
			return f
		}
	}
	return nil
}

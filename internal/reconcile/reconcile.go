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
	OrgID    int64 // the org the client works in; 0 = the identity's default

	// Strict: unset secrets are errors (apply), not warnings (validate, plan).
	Strict   bool
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)

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
	state, problems := load.Load(in.Repo, load.Options{Strict: in.Strict, Getenv: in.Getenv, ReadFile: in.ReadFile, Revision: in.Revision})
	out := &Outcome{State: state, Problems: problems}
	if problems.HasErrors() {
		return out, &ProblemsError{Problems: problems}
	}
	if len(state.Orgs) != 1 {
		return out, fmt.Errorf("the repository declares %d orgs in grafsync.yaml; this version of grafsync plans one org at a time: keep one org there, or run once per org with --org-id", len(state.Orgs))
	}
	org := state.Orgs[0]

	var live *grafana.State
	var me grafana.Identity
	nested := true
	g, gctx := errgroup.WithContext(ctx)
	expected := make([]string, 0, len(org.Dashboards))
	for _, d := range org.Dashboards {
		expected = append(expected, d.UID)
	}
	g.Go(func() (err error) { live, err = in.Client.ReadState(gctx, expected...); return err })
	g.Go(func() (err error) { me, err = in.Client.Whoami(gctx); return err })
	if f := firstNested(org); f != nil {
		g.Go(func() (err error) { nested, err = in.Client.NestedFolders(gctx); return err })
	}
	if err := g.Wait(); err != nil {
		return out, err
	}
	if f := firstNested(org); f != nil && !nested {
		return out, fmt.Errorf("folder %s is nested (%s), but this Grafana has nested folders off (Grafana 10.x without the nestedFolders feature toggle); nothing was written: enable the toggle, upgrade to Grafana 11, or move the directory to the top of dashboards/", f.Path, f.Source)
	}
	out.Live = live
	orgID := in.OrgID
	if orgID == 0 {
		orgID = me.OrgID
	}

	var desired, current []plan.Resource
	desired = append(desired, normalize.DesiredFolders(org, orgID)...)
	desired = append(desired, normalize.DesiredDatasources(org, orgID, live.Datasources, in.Fingerprinter)...)
	desired = append(desired, normalize.DesiredDashboards(org, orgID)...)
	current = append(current, normalize.LiveFolders(live.Folders, orgID, me.Login)...)
	current = append(current, normalize.LiveDatasources(live.Datasources, orgID)...)
	current = append(current, normalize.LiveDashboards(live.Dashboards, orgID)...)
	out.Secrets = normalize.DatasourceSecrets(org, live.Datasources)

	p, err := plan.Make(in.Revision, desired, current, in.Plan)
	if err != nil {
		return out, err
	}
	out.Plan = p
	in.Logger.Info("planned", "revision", in.Revision, "summary", p.Summary(),
		"folders", len(live.Folders), "dashboards", len(live.Dashboards), "datasources", len(live.Datasources))
	return out, nil
}

// Apply applies a planning run's plan.
func Apply(ctx context.Context, in Inputs, o *Outcome, opts apply.Options) (*apply.Result, error) {
	if o.Plan == nil {
		return nil, errors.New("nothing to apply: planning failed")
	}
	opts.Secrets = o.Secrets
	if opts.Logger == nil {
		opts.Logger = in.Logger
	}
	return apply.Apply(ctx, in.Client, o.Plan, opts)
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

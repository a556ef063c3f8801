package reconcile

import (
	"context"
	"errors"
	"fmt"

	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/resource"
)

// Check loads the repository and health-checks every datasource it
// declares (grafsync check). Unset secrets are warnings: Grafana holds the
// secrets it checks with. A repository with errors is not checked.
func Check(ctx context.Context, in Inputs, opts check.Options) (*Outcome, *check.Report, error) {
	state, problems := load.Load(in.Repo, load.Options{Getenv: in.Getenv, ReadFile: in.ReadFile, Revision: in.Revision})
	out := &Outcome{State: state, Problems: problems}
	if problems.HasErrors() {
		return out, nil, &ProblemsError{Problems: problems}
	}
	rep, err := CheckState(ctx, in, state, opts)
	return out, rep, err
}

// CheckState health-checks the datasources of a loaded state, each org
// through its own client (after an apply, or a serve run). An org that
// does not exist in Grafana fails its datasources' checks; credentials
// that do not work are an error.
func CheckState(ctx context.Context, in Inputs, state *resource.State, opts check.Options) (*check.Report, error) {
	targets, err := checkTargets(ctx, in, state)
	if err != nil {
		return nil, err
	}
	rep, err := check.Run(ctx, targets, opts)
	if in.Logger != nil && rep != nil {
		in.Logger.Info("checked datasources", "summary", rep.Summary())
	}
	return rep, err
}

func checkTargets(ctx context.Context, in Inputs, state *resource.State) ([]check.Target, error) {
	if len(state.Orgs) > 1 {
		if in.Access == nil {
			return nil, fmt.Errorf("the repository declares %d orgs in grafsync.yaml, and no per-org credentials were set up", len(state.Orgs))
		}
		if in.OrgID != 0 {
			return nil, fmt.Errorf("--org-id %d: grafsync.yaml declares %d orgs, each checked in its own org; remove --org-id", in.OrgID, len(state.Orgs))
		}
		resolved, err := resolveOrgs(ctx, in, state.Orgs)
		if err != nil {
			return nil, err
		}
		var targets []check.Target
		for _, t := range resolved {
			ct := check.Target{OrgID: t.id, Org: t.org.Name, Label: t.org.Name, Datasources: t.org.Datasources}
			if t.client == nil {
				ct.Err = fmt.Errorf("org %q does not exist in Grafana: apply the repository first (grafsync apply)", t.org.Name)
			} else {
				ct.Client = t.client
			}
			targets = append(targets, ct)
		}
		return targets, nil
	}
	switch {
	case in.Client == nil && in.ClientErr != nil:
		return nil, in.ClientErr
	case in.Client == nil:
		return nil, errors.New("no Grafana client: set GRAFANA_URL and GRAFANA_TOKEN (or GRAFANA_USER and GRAFANA_PASSWORD)")
	}
	cur, err := in.Client.CurrentOrg(ctx)
	if err != nil {
		return nil, err
	}
	var org *resource.Org
	if len(state.Orgs) == 1 {
		org = state.Orgs[0]
	} else {
		org = &resource.Org{}
	}
	return []check.Target{{OrgID: cur.ID, Org: cur.Name, Datasources: org.Datasources, Client: in.Client}}, nil
}

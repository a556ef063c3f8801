package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/reconcile"
)

// pipelineRun is one plan or apply: its context, logger, Grafana client and
// the pipeline inputs, and what must be closed afterwards.
type pipelineRun struct {
	ctx   context.Context
	log   *slog.Logger
	in    reconcile.Inputs
	close func()
}

// startRun opens the repository and connects to Grafana. --timeout bounds
// the whole run from here, fetching the repository included.
func startRun(ctx context.Context, ro repoOptions, g grafanaOptions, e env, stderr io.Writer, strict bool, po plan.Options) (*pipelineRun, error) {
	log, err := newLogger(stderr, g.logLevel)
	if err != nil {
		return nil, err
	}
	ctx, cancel := g.withTimeout(ctx)
	snap, err := openRepo(ctx, ro, e, log)
	if err != nil {
		cancel()
		return nil, err
	}
	in, closeInputs, err := pipelineInputs(g, e, log, strict, po, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	in.Repo, in.Revision = snap.FS, snap.Revision
	return &pipelineRun{ctx: ctx, log: log, in: in, close: func() { cancel(); closeInputs() }}, nil
}

// pipelineInputs connects to Grafana, and to every org a repository may
// declare, and returns the pipeline's inputs without a repository (the
// caller sets Repo and Revision for each run). onResponse, when not nil,
// sees every Grafana response status.
func pipelineInputs(g grafanaOptions, e env, log *slog.Logger, strict bool, po plan.Options, onResponse func(int)) (reconcile.Inputs, func(), error) {
	client, cfg, closeClient, err := g.connect(e, log, onResponse)
	var clientErr error
	if errors.Is(err, grafana.ErrNoCredentials) {
		// Per-org tokens alone are enough for a repository of several orgs.
		clientErr, err, closeClient = err, nil, func() {}
	}
	if err != nil {
		return reconcile.Inputs{}, nil, err
	}
	access, err := newOrgAccess(cfg, e.getenv)
	if err != nil {
		closeClient()
		return reconcile.Inputs{}, nil, err
	}
	return reconcile.Inputs{
		Client: client, ClientErr: clientErr, OrgID: g.orgID, Strict: strict,
		Getenv: e.getenv, ReadFile: e.readFile, Access: access, Plan: po, Fingerprinter: normalize.NewFingerprinter(), Logger: log,
	}, closeClient, nil
}

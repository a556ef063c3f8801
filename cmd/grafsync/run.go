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
	in.Repo, in.Revision, in.ReadFile = snap.FS, snap.Revision, ro.secretFiles(e).ReadFile
	return &pipelineRun{ctx: ctx, log: log, in: in, close: func() { cancel(); closeInputs() }}, nil
}

// pipelineInputs connects to Grafana, and to every org a repository may
// declare, and returns the pipeline's inputs without a repository (the
// caller sets Repo and Revision for each run) and what closes them.
// onResponse, when not nil, sees every Grafana response status.
func pipelineInputs(g grafanaOptions, e env, log *slog.Logger, strict bool, po plan.Options, onResponse func(int)) (reconcile.Inputs, func(), error) {
	cfg, closeSandbox, err := g.config(e, log)
	if err != nil {
		return reconcile.Inputs{}, nil, err
	}
	cfg.OnResponse = onResponse
	// Per-org tokens alone are enough for a repository of several orgs:
	// missing shared credentials are an error only where the client is needed.
	client, clientErr := grafana.New(cfg)
	if clientErr != nil && !errors.Is(clientErr, grafana.ErrNoCredentials) {
		closeSandbox()
		return reconcile.Inputs{}, nil, clientErr
	}
	access, err := newOrgAccess(cfg, e.getenv)
	if err != nil {
		closeSandbox()
		return reconcile.Inputs{}, nil, err
	}
	return reconcile.Inputs{
		Client: client, ClientErr: clientErr, OrgID: g.orgID, Strict: strict,
		Getenv: e.getenv, Access: access, Plan: po, Fingerprinter: normalize.NewFingerprinter(), Logger: log,
		AlertingEditable: g.alertingProvenance == "none",
	}, closeSandbox, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/reconcile"
	"github.com/grafsync/grafsync/internal/view"
)

// checkOptions are the flags of grafsync check.
type checkOptions struct {
	repo    repoOptions
	grafana grafanaOptions
	format  string
	fleet   fleetOptions
}

func newCheckCmd(e env) *cobra.Command {
	var opts checkOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Ask Grafana to health-check every datasource the repository declares",
		Long: `check loads the repository and, for every datasource it declares (in every
org), asks Grafana to run the datasource's own health check
(GET /api/datasources/uid/:uid/health) — for CloudWatch this assumes the
configured role. It prints one line per datasource: ok, or Grafana's own
message, and exits 1 if any check fails. At most --concurrency checks run at
once. It only reads: a failing check never changes Grafana.

Over a fleet (instances: in grafsync.yaml) every selected instance's Grafana
checks the datasources the repository declares for it: the failed checks,
then one table of instances, exit 1 if any check failed or any instance
could not be checked (docs/fleet.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd.Context(), opts, e, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.repo.addFlags(cmd)
	opts.grafana.addFlags(cmd)
	opts.fleet.addFlags(cmd)
	cmd.Flags().StringVar(&opts.format, "format", "text", "output: text or json")
	return cmd
}

func runCheck(ctx context.Context, opts checkOptions, e env, stdout, stderr io.Writer) error {
	if opts.format != "text" && opts.format != "json" {
		return fmt.Errorf("--format %q: choose text or json", opts.format)
	}
	if err := opts.grafana.validate(); err != nil {
		return err
	}
	po := planOptions{repo: opts.repo, grafana: opts.grafana, fleet: opts.fleet}
	if done, err := maybeFleet(ctx, &po, e, stderr, func(ctx context.Context, fr *fleetRun) error {
		return runFleetCheck(ctx, fr, opts.fleet, opts.format, stdout, stderr)
	}); done {
		return err
	}
	if err := opts.fleet.single(); err != nil {
		return err
	}
	opts.repo = po.repo // the snapshot maybeFleet read
	run, err := startRun(ctx, opts.repo, opts.grafana, e, stderr, false, plan.Options{})
	if err != nil {
		return err
	}
	defer run.close()
	out, rep, err := reconcile.Check(run.ctx, run.in, check.Options{Concurrency: opts.grafana.concurrency})
	problemsTo := stdout
	if opts.format != "text" {
		problemsTo = stderr
	}
	var pe *reconcile.ProblemsError
	if rep == nil || errors.As(err, &pe) {
		return reportProblems(problemsTo, out, err)
	}
	if err := reportProblems(problemsTo, out, nil); err != nil {
		return err
	}
	if err := writeCheck(stdout, rep, opts.format); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	return checkFailed(rep)
}

// writeCheck prints a check report in a format (text or json).
func writeCheck(w io.Writer, rep *check.Report, format string) error {
	if format == "json" {
		return view.CheckJSON(w, rep)
	}
	return view.CheckText(w, rep)
}

// checkFailed is the error of a report with failed checks (printed already).
func checkFailed(rep *check.Report) error {
	if n := rep.Failed(); n > 0 {
		return silentError{fmt.Errorf("%d of %d datasource checks failed", n, len(rep.Results))}
	}
	return nil
}

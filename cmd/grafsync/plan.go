package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/planfile"
	"github.com/grafsync/grafsync/internal/reconcile"
	"github.com/grafsync/grafsync/internal/view"
)

// planOptions are the flags of grafsync plan.
type planOptions struct {
	repo             repoOptions
	grafana          grafanaOptions
	detailedExitCode bool
	out              string
	format           string
	prune            bool
	allowEmpty       bool
	maxDeletions     int
	checkDatasources bool // apply and serve: health-check the datasources after each run
	fleet            fleetOptions
	// pruneSet, maxDeletionsSet and provenanceSet record that the flags
	// were given, for apply PLANFILE to refuse ones the saved plan
	// contradicts.
	pruneSet, maxDeletionsSet, provenanceSet, lockSet bool
}

// validate refuses flag values that cannot work, before anything runs.
func (o *planOptions) validate() error {
	if o.maxDeletions < 0 {
		return fmt.Errorf("--max-deletions %d: give 0 (no deletions) or more", o.maxDeletions)
	}
	return o.grafana.validate()
}

// defaultMaxDeletions caps a prune unless raised on purpose.
const defaultMaxDeletions = 10

func (o *planOptions) addPruneFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.prune, "prune", false, "delete managed resources that are no longer in the repository")
	cmd.Flags().IntVar(&o.maxDeletions, "max-deletions", defaultMaxDeletions, "refuse a prune that would delete more resources than this (nothing is deleted)")
	cmd.Flags().BoolVar(&o.allowEmpty, "allow-empty", false, "let a prune delete every managed dashboard/folder/library panel, datasource or alerting resource of an org whose repository declares none of that group (refused otherwise)")
}

func newPlanCmd(e env) *cobra.Command {
	var opts planOptions
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would change in Grafana",
		Long: `plan validates the repository, reads Grafana, and prints the changes that
apply would make. With --detailed-exitcode it exits 0 when Grafana matches the
repository, 2 when there are changes (drift), 1 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPlan(cmd.Context(), opts, e, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.repo.addFlags(cmd)
	opts.grafana.addFlags(cmd)
	opts.addPruneFlags(cmd)
	opts.fleet.addFlags(cmd)
	cmd.Flags().BoolVar(&opts.detailedExitCode, "detailed-exitcode", false, "exit 2 when there are changes, 0 when none")
	cmd.Flags().StringVar(&opts.out, "out", "", "save the plan to this file, for grafsync apply FILE")
	cmd.Flags().StringVar(&opts.format, "format", "text", "output: text, markdown (for a pull-request comment) or json")
	return cmd
}

func runPlan(ctx context.Context, opts planOptions, e env, stdout, stderr io.Writer) error {
	if err := opts.validate(); err != nil {
		return err
	}
	if opts.format != "text" && opts.format != "markdown" && opts.format != "json" {
		return fmt.Errorf("--format %q: choose text, markdown or json", opts.format)
	}
	if done, err := maybeFleet(ctx, &opts, e, stderr, func(ctx context.Context, fr *fleetRun) error {
		return runFleetPlan(ctx, fr, opts, opts.fleet, stdout, stderr)
	}); done {
		return err
	}
	if err := opts.fleet.single(); err != nil {
		return err
	}
	run, err := startRun(ctx, opts.repo, opts.grafana, e, stderr, false, plan.Options{Prune: opts.prune, MaxDeletions: opts.maxDeletions, AllowEmpty: opts.allowEmpty})
	if err != nil {
		return err
	}
	defer run.close()
	out, err := reconcile.Plan(run.ctx, run.in)
	// Text output carries the problems; machine formats keep stdout pure
	// (the markdown marker first, JSON parseable) and report them on stderr.
	problemsTo := stdout
	if opts.format != "text" {
		problemsTo = stderr
	}
	if err := reportProblems(problemsTo, out, err); err != nil {
		return err
	}
	p := out.Plan
	switch opts.format {
	case "markdown":
		err = view.Markdown(stdout, p, view.MarkdownOptions{Title: "grafsync plan", Marker: "grafsync-plan"})
	case "json":
		err = view.JSON(stdout, p)
	default:
		err = view.Text(stdout, p, view.TextOptions{Color: isTerminal(stdout)})
	}
	if err != nil {
		return err
	}
	if opts.out != "" {
		f := planfile.New(p, opts.grafana.orgID, opts.prune, opts.maxDeletions)
		f.AllowEmpty = opts.allowEmpty
		f.AlertingProvenance = opts.grafana.alertingProvenance
		f.LockDashboards = opts.grafana.lock
		if err := planfile.Write(opts.out, f); err != nil {
			return err
		}
		run.log.Info("plan saved", "file", opts.out)
	}
	if opts.detailedExitCode && p.HasChanges() {
		return errChanges
	}
	return nil
}

// reportProblems prints the repository's problems (warnings too) to w and
// turns a planning error into the command's error.
func reportProblems(w io.Writer, out *reconcile.Outcome, err error) error {
	if out != nil {
		for _, p := range out.Problems {
			fmt.Fprintln(w, p)
		}
	}
	var pe *reconcile.ProblemsError
	if errors.As(err, &pe) {
		fmt.Fprintln(w, pe.Problems.Summary())
		return silentError{err}
	}
	return err
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/grafsync/grafsync/internal/apply"
	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/planfile"
	"github.com/grafsync/grafsync/internal/reconcile"
	"github.com/grafsync/grafsync/internal/view"
)

func newApplyCmd(e env) *cobra.Command {
	var opts planOptions
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Change Grafana to match the repository",
		Long: `apply plans (reading Grafana again) and makes exactly the planned changes.
Given a PLANFILE saved by plan --out, it refuses to run when Grafana or the
repository moved since, and says what moved. Secrets must be set in the
environment. --prune deletes managed resources that left the repository,
at most --max-deletions of them.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ""
			if len(args) == 1 {
				file = args[0]
			}
			opts.pruneSet, opts.maxDeletionsSet = cmd.Flags().Changed("prune"), cmd.Flags().Changed("max-deletions")
			opts.provenanceSet = cmd.Flags().Changed("alerting-provenance")
			opts.lockSet = cmd.Flags().Changed("lock-dashboards")
			return runApply(cmd.Context(), opts, file, e, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.repo.addFlags(cmd)
	opts.grafana.addFlags(cmd)
	opts.addPruneFlags(cmd)
	opts.fleet.addFlags(cmd)
	cmd.Flags().IntVar(&opts.fleet.canary, "canary", 0, "fleet: apply to this many instances first, and to the rest only when each applied and plans empty after")
	cmd.Flags().BoolVar(&opts.checkDatasources, "check-datasources", false, "after applying, ask Grafana to health-check every declared datasource (as grafsync check); exit 1 if any fails")
	return cmd
}

func runApply(ctx context.Context, opts planOptions, file string, e env, stdout, stderr io.Writer) error {
	if err := opts.validate(); err != nil {
		return err
	}
	if done, err := maybeFleet(ctx, &opts, e, stderr, func(ctx context.Context, fr *fleetRun) error {
		if opts.checkDatasources {
			fr.checks = &check.Options{Concurrency: opts.grafana.concurrency}
		}
		return runFleetApply(ctx, fr, opts, opts.fleet, file, stdout)
	}); done {
		return err
	}
	if err := opts.fleet.single(); err != nil {
		return err
	}
	var saved *planfile.File
	if file != "" {
		var err error
		if saved, err = planfile.Read(file); err != nil {
			return err
		}
		if err := checkSavedPrune(file, saved, opts); err != nil {
			return err
		}
		// The saved plan's choices are the ones its reviewer saw.
		opts.prune, opts.maxDeletions, opts.allowEmpty = saved.Prune, saved.MaxDeletions, saved.AllowEmpty
		opts.grafana.alertingProvenance = savedProvenance(saved)
		opts.grafana.lock = saved.LockDashboards
	}
	run, err := startRun(ctx, opts.repo, opts.grafana, e, stderr, true, plan.Options{Prune: opts.prune, MaxDeletions: opts.maxDeletions, AllowEmpty: opts.allowEmpty})
	if err != nil {
		return err
	}
	defer run.close()
	out, err := reconcile.Plan(run.ctx, run.in)
	if err := reportProblems(stdout, out, err); err != nil {
		return err
	}
	if saved != nil {
		if err := planfile.Check(saved, planfile.New(out.Plan, opts.grafana.orgID, opts.prune, opts.maxDeletions)); err != nil {
			return err
		}
	}
	if err := view.Text(stdout, out.Plan, view.TextOptions{Color: isTerminal(stdout)}); err != nil {
		return err
	}
	if !out.Plan.HasChanges() {
		fmt.Fprintln(stdout, (&apply.Result{}).Summary())
		return checkAfterApply(run, opts, out, stdout)
	}
	opt := apply.Options{Message: "grafsync apply " + view.RevisionLabel(out.Plan.Revision)}
	if isTerminal(stderr) {
		bar := progressbar.NewOptions(0, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("applying"),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		opt.Progress = func(done, total int) {
			bar.ChangeMax(total)
			bar.Set(done)
		}
	}
	res, err := reconcile.Apply(run.ctx, run.in, out, opt)
	// A refused plan (a blocked change) wrote nothing: its error says so,
	// and no Apply summary or "applied" log pretends otherwise.
	var blocked *apply.Blocked
	if res != nil && !errors.As(err, &blocked) {
		fmt.Fprintln(stdout, res.Summary())
		for _, f := range res.Failed {
			fmt.Fprintln(stdout, "  failed:", f)
		}
		run.log.Info("applied", "summary", res.Summary())
	}
	if err != nil {
		return err
	}
	return checkAfterApply(run, opts, out, stdout)
}

// checkAfterApply health-checks the repository's datasources once apply
// has succeeded, when --check-datasources asks for it.
func checkAfterApply(run *pipelineRun, opts planOptions, out *reconcile.Outcome, stdout io.Writer) error {
	if !opts.checkDatasources {
		return nil
	}
	fmt.Fprintln(stdout)
	rep, err := reconcile.CheckState(run.ctx, run.in, out.State, check.Options{Concurrency: opts.grafana.concurrency})
	if rep != nil {
		if werr := view.CheckText(stdout, rep); werr != nil {
			return werr
		}
	}
	if err != nil {
		return err
	}
	return checkFailed(rep)
}

// checkSavedPrune refuses --prune or --max-deletions that contradict the
// saved plan: the plan's reviewer saw its choice, so apply cannot change it,
// and ignoring the flag would silently do something else than asked.
func checkSavedPrune(file string, saved *planfile.File, opts planOptions) error {
	if opts.pruneSet && opts.prune != saved.Prune {
		made, redo := "without --prune", "grafsync plan --prune --out "+file
		if saved.Prune {
			made, redo = "with --prune", "grafsync plan --out "+file
		}
		return fmt.Errorf("%s: the saved plan was made %s, and apply runs a saved plan as it was reviewed; drop --prune here, or make and review a new plan: %s", file, made, redo)
	}
	if opts.maxDeletionsSet && opts.maxDeletions != saved.MaxDeletions {
		return fmt.Errorf("%s: the saved plan was made with --max-deletions %d, and apply runs a saved plan as it was reviewed; drop --max-deletions here, or make and review a new plan with --max-deletions %d", file, saved.MaxDeletions, opts.maxDeletions)
	}
	if opts.lockSet && opts.grafana.lock != saved.LockDashboards {
		made := map[bool]string{true: "with", false: "without"}[saved.LockDashboards]
		return fmt.Errorf("%s: the saved plan was made %s --lock-dashboards, and apply runs a saved plan as it was reviewed; drop --lock-dashboards here, or make and review a new plan", file, made)
	}
	if p := savedProvenance(saved); opts.provenanceSet && opts.grafana.alertingProvenance != p {
		return fmt.Errorf("%s: the saved plan was made with --alerting-provenance %s, and apply runs a saved plan as it was reviewed; drop --alerting-provenance here, or make and review a new plan with --alerting-provenance %s", file, p, opts.grafana.alertingProvenance)
	}
	return nil
}

// savedProvenance is the --alerting-provenance a saved plan was made with
// (api when the file does not say: the default, and all older files knew).
func savedProvenance(saved *planfile.File) string {
	if saved.AlertingProvenance == "" {
		return "api"
	}
	return saved.AlertingProvenance
}

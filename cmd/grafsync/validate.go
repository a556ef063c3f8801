package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/grafsync/grafsync/internal/fleet"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/reconcile"
	"github.com/grafsync/grafsync/internal/view"
)

// validateOptions are the flags of grafsync validate.
type validateOptions struct {
	repo     repoOptions
	logLevel string
	fleet    fleetOptions
}

func newValidateCmd(e env) *cobra.Command {
	opts := validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the repository offline and print every problem",
		Long: `Validate loads dashboards/, datasources/, grafsync.yaml and roles/accounts.yaml
and checks them offline: syntax, uids, folder depth, datasource references,
secrets, CloudWatch datasources against roles/accounts.yaml, and AWS settings.
It prints every problem as path:line:col: message and exits 1 if any is an
error. It makes no network call to Grafana (a remote --repo is fetched).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runValidate(cmd.Context(), opts, e, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.repo.addFlags(cmd)
	cmd.Flags().StringVar(&opts.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	cmd.Flags().Var((*instanceList)(&opts.fleet.instances), "instance", "fleet: validate only these instances' expansion (repeatable, comma-separated; default all)")
	cmd.Flags().StringSliceVar(&opts.fleet.selectors, "selector", nil, "fleet: validate only instances whose labels match label=value")
	return cmd
}

func runValidate(ctx context.Context, opts validateOptions, e env, stdout, stderr io.Writer) error {
	log, err := newLogger(stderr, opts.logLevel)
	if err != nil {
		return err
	}
	fl, fleetProblems, err := openFleet(ctx, &opts.repo, e, log)
	if err != nil {
		return err
	}
	snap := opts.repo.opened
	if fl != nil || fleetProblems.HasErrors() {
		for _, p := range fleetProblems {
			fmt.Fprintln(stdout, p)
		}
		if fleetProblems.HasErrors() {
			fmt.Fprintln(stdout, fleetProblems.Summary())
			return silentError{errors.New("validation failed: " + fleetProblems.Summary())}
		}
		fr := &fleetRun{fl: fl, snap: snap, ro: opts.repo, e: e, log: log, files: fleet.Share(snap.FS, 0), shared: reconcile.NewShared()}
		return runFleetValidate(ctx, fr, opts.fleet, stdout)
	}
	if err := opts.fleet.single(); err != nil {
		return err
	}
	st, problems := load.Load(snap.FS, load.Options{Getenv: e.getenv, ReadFile: opts.repo.secretFiles(e).ReadFile, Revision: snap.Revision, Context: ctx})
	if err := ctx.Err(); err != nil {
		return err // a signal: exitCode says which
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	for _, n := range view.DatasourceNotes(st) {
		fmt.Fprintln(stdout, n)
	}
	summary := problems.Summary()
	if snap.Revision != "" {
		summary += " (revision " + view.ShortRevision(snap.Revision) + ")"
	}
	fmt.Fprintln(stdout, summary)
	if problems.HasErrors() {
		return silentError{errors.New("validation failed: " + problems.Summary())}
	}
	return nil
}

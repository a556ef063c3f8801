package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/grafsync/grafsync/internal/load"
)

// validateOptions are the flags of grafsync validate.
type validateOptions struct {
	Repo string
}

func (o *validateOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Repo, "repo", ".", "repository directory to validate")
}

func newValidateCmd() *cobra.Command {
	opts := validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the repository offline and print every problem",
		Long: `Validate loads dashboards/, datasources/, grafsync.yaml and roles/accounts.yaml
and checks them offline: syntax, uids, folder depth, datasource references,
secrets, AWS settings, and that CloudWatch datasources and the accounts list
agree. It prints every problem as path:line:col: message and exits 1 if any
is an error. It makes no network call.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runValidate(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	opts.AddFlags(cmd)
	return cmd
}

// openRepo returns the repository snapshot to load.
// TODO(lead): swap in internal/source (Git URLs, --ref).
func openRepo(_ context.Context, repo, _ string) (fs.FS, string, error) {
	fi, err := os.Stat(repo)
	if err != nil {
		return nil, "", fmt.Errorf("repository %s: %w", repo, err)
	}
	if !fi.IsDir() {
		return nil, "", fmt.Errorf("repository %s is not a directory; pass the repository root with --repo", repo)
	}
	return os.DirFS(repo), "", nil
}

func runValidate(ctx context.Context, opts validateOptions, stdout io.Writer) error {
	fsys, rev, err := openRepo(ctx, opts.Repo, "")
	if err != nil {
		return err
	}
	_, problems := load.Load(fsys, load.Options{
		Getenv:   os.Getenv,
		ReadFile: os.ReadFile,
		Revision: rev,
	})
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintln(stdout, problems.Summary())
	if problems.HasErrors() {
		return silentError{errors.New("validation failed: " + problems.Summary())}
	}
	return nil
}

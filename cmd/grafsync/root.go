package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree. Every subcommand gets its streams from
// here; none of them touches os.Stdout or os.Stderr directly.
func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "grafsync",
		Short:         "Keep Grafana in step with a Git repository",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newVersionCmd(),
		newSandboxCmd(),
		newValidateCmd(osEnv()),
		newRolesCmd(),
		newPlanCmd(osEnv()),
		newPullCmd(osEnv()),
		newApplyCmd(osEnv()),
		newCheckCmd(osEnv()),
		newServeCmd(osEnv()),
		newHealthcheckCmd(),
	)
	return root
}

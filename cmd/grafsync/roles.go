package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/grafsync/grafsync/internal/accounts"
	"github.com/grafsync/grafsync/internal/iam"
	"github.com/grafsync/grafsync/internal/problem"
)

// rolesOptions are the flags of grafsync roles.
type rolesOptions struct {
	Repo    string
	Check   bool
	Formats []string
}

func (o *rolesOptions) AddFlags(flags *pflag.FlagSet) {
	flags.StringVar(&o.Repo, "repo", ".", "repository directory holding "+accounts.DefaultFile)
	flags.BoolVar(&o.Check, "check", false, "write nothing; exit 1 if any generated file is stale, missing or extra")
	flags.StringSliceVar(&o.Formats, "format", formatNames(), "formats to generate or check: "+strings.Join(formatNames(), ", "))
}

func newRolesCmd() *cobra.Command {
	var opts rolesOptions
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "Write the IAM roles and policies for the accounts in " + accounts.DefaultFile,
		Long: "roles reads " + accounts.DefaultFile + " and writes, under " + iam.GeneratedDir + "/, the trust and\n" +
			"permission policies of a CloudWatch read role per account and the Grafana task role's\n" +
			"assume policy, as JSON, Terraform and CloudFormation. With --check it writes nothing\n" +
			"and fails when the committed files are not what it would write.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRoles(opts, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runRoles(opts rolesOptions, stdout, stderr io.Writer) error {
	formats, err := parseFormats(opts.Formats)
	if err != nil {
		return err
	}
	fsys := os.DirFS(opts.Repo)
	cfg, problems := accounts.Load(fsys, accounts.DefaultFile)
	if cfg != nil {
		set, more := iam.Build(cfg)
		problems = append(problems, more...)
		if !problems.HasErrors() {
			printProblems(stderr, problems)
			return writeRoles(opts, fsys, set, cfg, formats, stdout, stderr)
		}
	}
	printProblems(stderr, problems)
	return silentError{fmt.Errorf("%s is invalid", accounts.DefaultFile)}
}

func writeRoles(opts rolesOptions, fsys fs.FS, set *iam.Set, cfg *accounts.Config, formats []iam.Format, stdout, stderr io.Writer) error {
	files, err := iam.Render(set, formats)
	if err != nil {
		return err
	}
	onDisk, err := readGenerated(fsys, formats)
	if err != nil {
		return err
	}
	changes := iam.Compare(files, onDisk)
	if opts.Check {
		if changes.Empty() {
			fmt.Fprintf(stdout, "roles: %d generated files are current\n", len(files))
			return nil
		}
		for _, l := range []struct {
			what  string
			paths []string
		}{{"missing", changes.Missing}, {"stale", changes.Stale}, {"extra", changes.Extra}} {
			for _, p := range l.paths {
				fmt.Fprintf(stderr, "%s: %s\n", path.Join(iam.GeneratedDir, p), l.what)
			}
		}
		fmt.Fprintf(stderr, "run grafsync roles and commit %s/\n", iam.GeneratedDir)
		return silentError{errors.New("generated roles are not current")}
	}

	root := filepath.Join(opts.Repo, filepath.FromSlash(iam.GeneratedDir))
	byPath := map[string][]byte{}
	for _, f := range files {
		byPath[f.Path] = f.Data
	}
	for _, p := range append(changes.Missing, changes.Stale...) {
		if err := writeFileAtomic(filepath.Join(root, filepath.FromSlash(p)), byPath[p]); err != nil {
			return err
		}
	}
	for _, p := range changes.Extra {
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(p))); err != nil {
			return fmt.Errorf("remove generated file %s: %w", p, err)
		}
	}
	fmt.Fprintf(stdout, "roles: %d roles for %d accounts; %d files written, %d removed, %d unchanged\n",
		len(set.Roles), len(cfg.Accounts), len(changes.Missing)+len(changes.Stale), len(changes.Extra), len(changes.Unchanged))
	return nil
}

// formatNames are the --format values, in output order (iam.Formats).
func formatNames() []string {
	var names []string
	for _, f := range iam.Formats() {
		names = append(names, string(f))
	}
	return names
}

func parseFormats(names []string) ([]iam.Format, error) {
	var out []iam.Format
	seen := map[iam.Format]bool{}
	for _, n := range names {
		f := iam.Format(n)
		if !slices.Contains(iam.Formats(), f) {
			names := formatNames()
			return nil, fmt.Errorf("unknown --format %q; use %s or %s", n, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
		}
		if !seen[f] {
			out = append(out, f)
		}
		seen[f] = true
	}
	return out, nil
}

// readGenerated returns the owned files under roles/generated/ for formats.
func readGenerated(fsys fs.FS, formats []iam.Format) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, f := range formats {
		dir := path.Join(iam.GeneratedDir, string(f))
		entries, err := fs.ReadDir(fsys, dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
		for _, e := range entries {
			rel := string(f) + "/" + e.Name()
			if !e.Type().IsRegular() || !iam.Owned(rel, formats) {
				continue
			}
			data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", path.Join(dir, e.Name()), err)
			}
			out[rel] = data
		}
	}
	return out, nil
}

// writeFileAtomic replaces name with data so that readers see the old or the
// new content, never a part.
func writeFileAtomic(name string, data []byte) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := renameio.WriteFile(name, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// printProblems writes each problem as validate does: file:line:col:
// message (warnings say so), then its hint.
func printProblems(w io.Writer, ps problem.List) {
	for _, p := range ps {
		fmt.Fprintln(w, p)
	}
}

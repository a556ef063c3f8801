package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/fleet"
	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/pull"
	"github.com/grafsync/grafsync/internal/resource"
)

// pullOptions are the flags of grafsync pull.
type pullOptions struct {
	dir         string
	grafana     grafanaOptions
	kinds       []string
	folder      string
	orgs        []string
	permissions bool
	prune       bool
	instance    string // a fleet's instance to pull from
	// declared is the repository as the loader reads it (stagedPull loads
	// it before the pull); nil: pull loads it.
	declared *resource.State
	// allowedHosts may receive the instance's credentials (fleetOptions).
	allowedHosts []string
}

func newPullCmd(e env) *cobra.Command {
	var opts pullOptions
	cmd := &cobra.Command{
		Use:   "pull",
		Short: "Write what Grafana holds into the repository (adopt an existing Grafana)",
		Long: `pull reads Grafana (read requests only: it never writes to Grafana) and
writes the repository layout grafsync reads: folders as directories with
_folder.yaml, one dashboard per file, datasources in Grafana's provisioning
format with every secret as an environment reference, and org config
(preferences, teams, folder permissions) in grafsync.yaml. Right after a
pull, grafsync plan shows only adoption: grafsync's ownership marker.
A second pull changes no file; existing files are updated in place;
files are deleted only with --prune. See docs/pull.md.

In a fleet repository (instances: in grafsync.yaml) pull reads the one
Grafana --instance NAME names and compares it with the repository as that
instance sees it: files that match are left as they are, a file it rewrites
keeps its ${fleet.KEY} where the file used them, and paths instanceContent
gives to other instances are never written (docs/fleet.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPull(cmd.Context(), opts, e, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&opts.dir, "repo", ".", "the repository's working directory to write into")
	opts.grafana.addFlags(cmd)
	cmd.Flags().StringSliceVar(&opts.kinds, "kind", nil, "pull only these kinds, repeatable: dashboards (with folders), datasources, org (preferences, teams, folder permissions); default: all")
	addAllowedHostsFlag(cmd, &opts.allowedHosts)
	cmd.Flags().StringVar(&opts.folder, "folder", "", "pull only the folder with this uid and everything under it")
	cmd.Flags().StringSliceVar(&opts.orgs, "org", nil, "pull only these orgs (by name), repeatable; default: the orgs grafsync.yaml lists, else the credentials' org")
	cmd.Flags().BoolVar(&opts.permissions, "permissions", true, "write folder permissions into _folder.yaml (--permissions=false leaves them unmanaged)")
	cmd.Flags().BoolVar(&opts.prune, "prune", false, "delete the files of resources that are gone from Grafana (default: report them)")
	cmd.Flags().StringVar(&opts.instance, "instance", "", "fleet: the instance to pull from (required when grafsync.yaml declares instances:); ${fleet.KEY} in the files it rewrites are kept")
	return cmd
}

func runPull(ctx context.Context, opts pullOptions, e env, stdout, stderr io.Writer) error {
	if err := opts.grafana.validate(); err != nil {
		return err
	}
	var kinds []pull.Kind
	for _, k := range opts.kinds {
		if !slices.Contains(pull.Kinds, pull.Kind(k)) {
			return fmt.Errorf("--kind %q: choose dashboards, datasources or org", k)
		}
		kinds = append(kinds, pull.Kind(k))
	}
	if fi, err := os.Stat(opts.dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("--repo %s: not a directory; pull writes into a working directory (create it first)", opts.dir)
	}
	log, err := newLogger(stderr, opts.grafana.logLevel)
	if err != nil {
		return err
	}
	ctx, cancel := opts.grafana.withTimeout(ctx)
	defer cancel()
	repo, err := repoDirFS(opts.dir)
	if err != nil {
		return err
	}
	if fl, problems := fleet.ParseContext(ctx, repo); fl != nil || problems.HasErrors() {
		return runFleetPull(ctx, opts, kinds, fl, problems, e, log, stdout, stderr)
	}
	if opts.instance != "" {
		return fmt.Errorf("--instance %s: %s declares no fleet (instances:); pull reads the Grafana of --grafana-url or GRAFANA_URL", opts.instance, load.ConfigFile)
	}
	return stagedPull(ctx, opts, kinds, repo, func(string) bool { return false }, fleet.Instance{}, e, log, stdout, stderr)
}

// stagedPull pulls into a staging copy of view (the repository as the
// Grafana pulled sees it) and carries back into opts.dir only the files the
// pull changed there (carryBack; hidden paths are never written). Nothing
// reaches opts.dir when the pull fails, or when the pulled repository has
// an error the repository did not have before: a pull never leaves a
// repository worse than it found it.
func stagedPull(ctx context.Context, opts pullOptions, kinds []pull.Kind, view fs.FS, hidden func(string) bool, in fleet.Instance, e env, log *slog.Logger, stdout, stderr io.Writer) error {
	stage, err := os.MkdirTemp("", "grafsync-pull-")
	if err != nil {
		return fmt.Errorf("create a staging directory: %w", err)
	}
	defer os.RemoveAll(stage)
	if err := stageView(ctx, view, stage); err != nil {
		return err
	}
	from := "Grafana"
	if in.Name != "" {
		from = "instance " + in.Name
	}
	// The repository as it is: what pull compares files with, and the
	// errors it already has.
	declared, was := load.Load(view, load.Options{Context: ctx})
	sopts := opts
	sopts.dir, sopts.declared = stage, declared
	res, err := pullInto(ctx, sopts, kinds, e, log, stderr)
	if err != nil {
		if in.Name != "" {
			nameCredentials(in, err)
		}
		fmt.Fprintf(stderr, "Nothing was written to %s: the pull from %s failed.\n", opts.dir, from)
		return err
	}
	// What was pulled must load: an error it would add stops it here.
	before := map[string]bool{}
	for _, p := range was {
		if p.Severity == problem.Error {
			before[p.Pos.File+"\x00"+p.Message] = true
		}
	}
	_, now := load.Load(os.DirFS(stage), load.Options{Context: ctx})
	var added, kept problem.List
	for _, p := range now {
		switch {
		case p.Severity != problem.Error:
		case before[p.Pos.File+"\x00"+p.Message]:
			kept = append(kept, p)
		default:
			added = append(added, p)
		}
	}
	if len(added) > 0 {
		for _, p := range added {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintln(stderr, "The pull would have changed (not written):")
		printPulled(stderr, res.Files)
		return fmt.Errorf("nothing was written to %s: the files pulled from %s would have %d errors (above) that the repository does not have; fix what %s holds there (or the repository's files named), then pull again", opts.dir, from, len(added), from)
	}
	files, notes, err := carryBack(opts.dir, stage, hidden, in, res.Files)
	res.Files, res.Notes = files, append(res.Notes, notes...)
	if in.Name != "" {
		for _, p := range res.NowV2 {
			// The file reaches every instance that sees its path, not only
			// the one pulled from.
			res.Notes = append(res.Notes, fmt.Sprintf("%s is schema v2 now and reaches every instance that sees this path: a Grafana before 12 cannot take it (plan blocks it there); keep a classic copy for those instances with instanceContent, or restore the classic file before merging", p))
		}
	}
	printPulled(stdout, files)
	if err != nil {
		return err
	}
	for _, p := range kept {
		fmt.Fprintln(stderr, p)
	}
	return pullReport(stdout, res, len(kept))
}

// pullInto pulls the Grafana of opts.grafana into opts.dir.
func pullInto(ctx context.Context, opts pullOptions, kinds []pull.Kind, e env, log *slog.Logger, stderr io.Writer) (*pull.Result, error) {
	in, closeInputs, err := pipelineInputs(opts.grafana, e, log, false, plan.Options{}, nil)
	if err != nil {
		return nil, err
	}
	defer closeInputs()
	access := in.Access.(*orgAccess)
	orgs, err := pullTargets(ctx, opts, in.Client, in.ClientErr, access)
	if err != nil {
		return nil, err
	}
	var progress func(string, int)
	if isTerminal(stderr) {
		var mu sync.Mutex
		progress = func(org string, n int) {
			mu.Lock()
			defer mu.Unlock()
			if n%25 == 0 {
				fmt.Fprintf(stderr, "\rpulling org %s: %d dashboards read", org, n)
			}
		}
	}
	res, err := pull.Pull(ctx, orgs, pull.Options{
		Root: opts.dir, Kinds: kinds, Folder: opts.folder, NoPermissions: !opts.permissions, Prune: opts.prune,
		Progress: progress, Refused: load.OwnCredential, Declared: opts.declared,
	})
	if progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	return res, err
}

// printPulled prints one line per file pull changed.
func printPulled(stdout io.Writer, files []pull.FileChange) {
	for _, f := range files {
		if f.Action == pull.Unchanged {
			continue
		}
		line := fmt.Sprintf("  %s %s", pullSymbol(f.Action), f.Path)
		if f.Detail != "" {
			line += " (" + f.Detail + ")"
		}
		fmt.Fprintln(stdout, line)
	}
}

// pullReport ends a pull: its notes, the secrets' variables, the
// summary. kept counts the errors the repository had before the pull and
// still has (stagedPull printed them): the pull fails with them.
func pullReport(stdout io.Writer, res *pull.Result, kept int) error {
	for _, n := range res.Notes {
		fmt.Fprintln(stdout, "note: "+n)
	}
	if len(res.Env) > 0 {
		fmt.Fprintln(stdout, "Set these environment variables to the datasources' secrets before apply (Grafana never returns secrets; apply writes each once):")
		for _, v := range res.Env {
			fmt.Fprintln(stdout, "  "+v)
		}
	}
	fmt.Fprintln(stdout, res.Summary())
	if kept > 0 {
		return fmt.Errorf("the repository has %d errors (above) it had before the pull: fix them before plan (grafsync validate)", kept)
	}
	return nil
}

func pullSymbol(a pull.Action) string {
	switch a {
	case pull.Created:
		return "+"
	case pull.Updated:
		return "~"
	case pull.Deleted, pull.Moved:
		return "-"
	case pull.Gone:
		return "?"
	}
	return " "
}

// configOrg is an org entry of an existing grafsync.yaml.
type configOrg struct {
	Name string `yaml:"name"`
	ID   int64  `yaml:"id"`
	Dir  string `yaml:"dir"`
}

// pullTargets are the orgs to pull and a client for each: the orgs of an
// existing grafsync.yaml (filtered by --org), the orgs --org names, or the
// credentials' own org. A new org other than the first goes to
// orgs/<name>/.
func pullTargets(ctx context.Context, opts pullOptions, shared *grafana.Client, sharedErr error, access *orgAccess) ([]pull.Org, error) {
	var declared []configOrg
	if data, err := os.ReadFile(filepath.Join(opts.dir, load.ConfigFile)); err == nil {
		var cfg struct {
			Orgs []configOrg `yaml:"orgs"`
		}
		if err := yaml.Unmarshal(data, &cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", load.ConfigFile, err)
		}
		declared = cfg.Orgs
	}
	if len(declared) == 0 && len(opts.orgs) <= 1 {
		c := shared
		if c == nil {
			return nil, sharedErr
		}
		if len(opts.orgs) == 1 {
			var err error
			if c, err = clientByName(ctx, opts.orgs[0], 0, access); err != nil {
				return nil, err
			}
		}
		info, err := c.CurrentOrg(ctx)
		if err != nil {
			return nil, err
		}
		return []pull.Org{{Name: info.Name, ID: info.ID, Dir: ".", Client: c}}, nil
	}
	var out []pull.Org
	add := func(co configOrg, first bool) error {
		if co.Dir == "" {
			co.Dir = "."
			if !first {
				co.Dir = "orgs/" + dirName(co.Name)
			}
		}
		c, err := clientByName(ctx, co.Name, co.ID, access)
		if err != nil {
			return err
		}
		info, err := c.CurrentOrg(ctx)
		if err != nil {
			return fmt.Errorf("org %q: %w", co.Name, err)
		}
		if info.Name != co.Name {
			return fmt.Errorf("org %q: %s works in org %q (id %d): set %s to a token of that org, or GRAFANA_USER and GRAFANA_PASSWORD of a server admin", co.Name, access.Describe(co.Name), info.Name, info.ID, "GRAFANA_TOKEN_<ORG>")
		}
		out = append(out, pull.Org{Name: info.Name, ID: info.ID, Dir: co.Dir, Client: c})
		return nil
	}
	for i, co := range declared {
		if len(opts.orgs) > 0 && !slices.Contains(opts.orgs, co.Name) {
			continue
		}
		if err := add(co, i == 0); err != nil {
			return nil, err
		}
	}
	for _, name := range opts.orgs {
		if slices.ContainsFunc(declared, func(c configOrg) bool { return c.Name == name }) {
			continue
		}
		if err := add(configOrg{Name: name}, len(declared) == 0 && len(out) == 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// clientByName is a client working in the named org: pinned by id, or
// looked up by name with the server admin's login.
func clientByName(ctx context.Context, name string, id int64, access *orgAccess) (*grafana.Client, error) {
	if id == 0 && access.Admin() != nil {
		info, found, err := access.Admin().OrgByName(ctx, name)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("org %q: Grafana has no org of that name", name)
		}
		id = info.ID
	}
	return access.ForOrg(name, id)
}

// dirName is an org's directory name: lower case, "-" between words.
func dirName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return "org"
	}
	return b.String()
}

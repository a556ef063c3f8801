package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/grafsync/grafsync/internal/fleet"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/pull"
)

// runFleetPull pulls one instance of a fleet into the repository. Its
// Grafana is compared with the repository as that instance sees it
// (${fleet.KEY} expanded, instanceContent applied): pull runs in a staging
// copy of that view, and only the files it created, updated or deleted
// there are carried back. A rewritten file gets its ${fleet.KEY} back
// (fleet.Retemplate); a file the instance does not see is never touched.
// Nothing reaches the repository when the pull fails.
func runFleetPull(ctx context.Context, opts pullOptions, kinds []pull.Kind, fl *fleet.Fleet, problems problem.List, e env, log *slog.Logger, stdout, stderr io.Writer) error {
	if problems.HasErrors() {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		return silentError{errors.New(fleet.ConfigFile + ": the fleet has errors (" + problems.Summary() + "); nothing was pulled")}
	}
	if opts.instance == "" {
		var names []string
		for i, in := range fl.Instances {
			if i == 5 {
				names = append(names, "…")
				break
			}
			names = append(names, in.Name)
		}
		return fmt.Errorf("--instance: %s declares a fleet of %d instances, and pull writes one Grafana into the repository; give --instance NAME (%s)", fleet.ConfigFile, len(fl.Instances), strings.Join(names, ", "))
	}
	if opts.grafana.sandbox || len(opts.grafana.urls) > 0 {
		return errors.New("--sandbox and --grafana-url do not apply to a fleet: the instance's entry in " + fleet.ConfigFile + " names its Grafana")
	}
	selected, err := fl.Select([]string{opts.instance}, nil)
	if err != nil {
		return err
	}
	in := selected[0]
	repo, err := repoDirFS(opts.dir)
	if err != nil {
		return err
	}
	if ps := fl.Check(repo, in); ps.HasErrors() {
		for _, p := range ps {
			fmt.Fprintln(stdout, p)
		}
		return silentError{fmt.Errorf("the repository does not expand for instance %s (%s); nothing was pulled", in.Name, ps.Summary())}
	}
	for _, v := range []string{in.TokenEnv, in.UserEnv, in.PasswordEnv} {
		if v != "" && e.getenv(v) == "" {
			return fmt.Errorf("%s is not set: instance %s (%s) takes its credentials from it", v, in.Name, in.Source)
		}
	}
	hosts, err := fleetOptions{allowedHosts: opts.allowedHosts}.hostPolicy(e)
	if err != nil {
		return err
	}
	urls, err := in.TrustedURLs(e.getenv, hosts)
	if err != nil {
		return err
	}
	sopts := opts
	sopts.grafana.urls = urls
	return stagedPull(ctx, sopts, kinds, fl.FS(repo, in), func(p string) bool { return fl.Hidden(in, p) }, in,
		env{getenv: instanceEnv(e.getenv, in)}, log.With("instance", in.Name), stdout, stderr)
}

// stageView copies the files grafsync reads (readsPath) from a view of the
// repository (a fleet instance's, or the repository as it is) into dir.
func stageView(ctx context.Context, seen fs.FS, dir string) error {
	var total int64
	return fs.WalkDir(seen, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stage the repository: %w", context.Cause(ctx))
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !readsPath(p) {
			return nil
		}
		// The loader's bounds, so a repository pull cannot read whole a file
		// or a tree that validate and plan would refuse.
		data, err := readStaged(seen, p)
		if err != nil {
			return fmt.Errorf("stage %s: %w", p, err)
		}
		if total += int64(len(data)); total > load.MaxRepositoryBytes {
			return fmt.Errorf("stage %s: the repository's files add up to more than the %d bytes grafsync reads; remove what it does not need", p, load.MaxRepositoryBytes)
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		return os.WriteFile(full, data, 0o644)
	})
}

// readStaged reads p, refusing more than load.MaxFileBytes.
func readStaged(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, load.MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > load.MaxFileBytes {
		return nil, fmt.Errorf("more than the %d bytes grafsync reads from a file; remove it or make it smaller", load.MaxFileBytes)
	}
	return data, nil
}

// carryBack writes what pull changed in the staging directory into the
// repository: a rewritten file with its ${fleet.KEY} put back, a new file
// as pulled (with a note naming the instance's values in it), a deleted
// file deleted. A path the instance does not see (instanceContent gives it
// to other instances) is neither written nor deleted. It returns the
// changes as made.
func carryBack(root, stage string, hidden func(string) bool, in fleet.Instance, changes []pull.FileChange) ([]pull.FileChange, []string, error) {
	var out []pull.FileChange
	var notes []string
	for _, c := range changes {
		full := filepath.Join(root, filepath.FromSlash(c.Path))
		old, readErr := os.ReadFile(full)
		exists := readErr == nil
		if readErr != nil && !errors.Is(readErr, fs.ErrNotExist) {
			return out, notes, fmt.Errorf("read %s: %w", c.Path, readErr)
		}
		visible := !hidden(c.Path)
		switch c.Action {
		case pull.Unchanged, pull.Gone:
			out = append(out, c)
			continue
		case pull.Deleted, pull.Moved:
			if visible && exists {
				if err := os.Remove(full); err != nil {
					return out, notes, fmt.Errorf("delete %s: %w", c.Path, err)
				}
				os.Remove(filepath.Dir(full)) // only when empty
			}
			out = append(out, c)
			continue
		}
		if !visible {
			notes = append(notes, fmt.Sprintf("%s: not written: instanceContent gives this path to other instances than %s (move the resource in %s's Grafana, or write the file by hand)", c.Path, in.Name, in.Name))
			continue
		}
		if !exists && len(in.Vars) == 0 {
			// a new file as pulled, nothing to note: moved from the stage
			// when it can be (the same file system), else copied below
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return out, notes, fmt.Errorf("create the directory of %s: %w", c.Path, err)
			}
			if os.Rename(filepath.Join(stage, filepath.FromSlash(c.Path)), full) == nil {
				out = append(out, c)
				continue
			}
		}
		data, err := os.ReadFile(filepath.Join(stage, filepath.FromSlash(c.Path)))
		if err != nil {
			return out, notes, fmt.Errorf("read the pulled %s: %w", c.Path, err)
		}
		switch {
		case exists && c.Path != load.ConfigFile:
			var ambiguous []string
			data, ambiguous = fleet.Retemplate(c.Path, old, data, in.Vars)
			for _, k := range ambiguous {
				notes = append(notes, fmt.Sprintf("%s: instance %s's value of %s written as is, not as ${fleet.%s}: the file also holds it elsewhere (or another key has the same value); review the change", c.Path, in.Name, k, k))
			}
			if bytes.Equal(old, data) {
				c.Action, c.Detail = pull.Unchanged, ""
			}
		case !exists:
			if keys := fleet.Mentions(c.Path, data, in.Vars); len(keys) > 0 && c.Path != load.ConfigFile {
				notes = append(notes, fmt.Sprintf("%s is new and reaches every instance as written; it holds instance %s's value of %s: write ${fleet.KEY} where it stands for the instance", c.Path, in.Name, strings.Join(keys, ", ")))
			}
		}
		if c.Action != pull.Unchanged {
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return out, notes, fmt.Errorf("create the directory of %s: %w", c.Path, err)
			}
			if err := os.WriteFile(full, data, 0o644); err != nil {
				return out, notes, fmt.Errorf("write %s: %w", c.Path, err)
			}
		}
		out = append(out, c)
	}
	return out, notes, nil
}

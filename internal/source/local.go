package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-billy/v5/util"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// openLocal reads a directory in place: its files as they are on disk when
// no ref is given, otherwise the Git tree at the ref (of the repository that
// contains the directory, rooted at the directory).
func openLocal(opts Options) (*Snapshot, error) {
	origin := opts.Repo
	dir, err := filepath.Abs(opts.Repo)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", origin, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w; give an existing directory or a Git URL", origin, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("repository %s is not a directory; give a directory or a Git URL", origin)
	}
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{EnableDotGitCommonDir: true}) // a top or a bare repository
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	}
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if opts.Ref != "" {
			return nil, fmt.Errorf("repository %s is not a Git repository, so --ref %s cannot be read; drop --ref to read the directory as it is", origin, opts.Ref)
		}
		fsys, err := dirFS(dir)
		if err != nil {
			return nil, fmt.Errorf("repository %s: %w", origin, err)
		}
		opts.Logger.Debug("reading plain directory", "repo", origin)
		return &Snapshot{Origin: origin, FS: fsys}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open Git repository %s: %w", origin, err)
	}
	wt, err := repo.Worktree()
	bare := errors.Is(err, git.ErrIsBareRepository)
	if err != nil && !bare {
		return nil, fmt.Errorf("open Git repository %s: %w", origin, err)
	}
	sub := "."
	if !bare {
		if sub, err = relativeTo(wt.Filesystem.Root(), dir); err != nil {
			return nil, fmt.Errorf("repository %s: %w", origin, err)
		}
	}

	if opts.Ref == "" && !bare {
		fsys, err := dirFS(dir)
		if err != nil {
			return nil, fmt.Errorf("repository %s: %w", origin, err)
		}
		snap := &Snapshot{Origin: origin, FS: fsys}
		head, err := repo.Head()
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			opts.Logger.Debug("Git repository has no commit yet", "repo", origin)
			return snap, nil // unborn branch: nothing to name
		}
		if err != nil {
			return nil, fmt.Errorf("read HEAD of %s: %w", origin, err)
		}
		if head.Name().IsBranch() {
			snap.Ref = head.Name().Short()
		}
		snap.Revision = head.Hash().String()
		wt.Excludes = append(wt.Excludes, excludes(repo)...)
		status, err := wt.Status()
		if err != nil {
			return nil, fmt.Errorf("check for uncommitted changes in %s: %w", origin, err)
		}
		if path, dirty := firstChange(status, sub, opts.Reads); dirty {
			snap.Revision += "-dirty"
			opts.Logger.Debug("working tree differs from HEAD", "repo", origin, "file", path)
		}
		opts.Logger.Debug("reading working tree", "repo", origin, "revision", snap.Revision)
		return snap, nil
	}

	var commit *object.Commit
	ref := opts.Ref
	if ref == "" { // a bare repository: read its HEAD
		head, err := repo.Head()
		if err != nil {
			return nil, fmt.Errorf("read HEAD of %s: %w; give --ref", origin, err)
		}
		ref = head.Name().Short()
		if commit, err = peel(repo, head.Hash()); err != nil {
			return nil, fmt.Errorf("read HEAD of %s: %w", origin, err)
		}
	} else if commit, err = resolveRef(repo, origin, ref); err != nil {
		return nil, err
	}
	fsys, err := commitFS(repo, commit, sub)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", origin, ref, err)
	}
	opts.Logger.Debug("reading Git tree", "repo", origin, "ref", ref, "revision", commit.Hash.String())
	return &Snapshot{Origin: origin, Ref: ref, Revision: commit.Hash.String(), FS: fsys}, nil
}

// firstChange returns a changed file (by its path relative to sub) that
// reads accepts (nil: any), if there is one. Files outside sub are not read.
func firstChange(status git.Status, sub string, reads func(string) bool) (string, bool) {
	prefix := ""
	if sub != "." {
		prefix = filepath.ToSlash(sub) + "/"
	}
	var changed []string
	for name, st := range status {
		if st.Worktree == git.Unmodified && st.Staging == git.Unmodified {
			continue
		}
		rel, ok := strings.CutPrefix(name, prefix)
		if !ok || (reads != nil && !reads(rel)) {
			continue
		}
		changed = append(changed, rel)
	}
	if len(changed) == 0 {
		return "", false
	}
	return slices.Min(changed), true // the same one on every run
}

// dirFS is the files under dir. Like the tree FS, it follows symbolic links
// only while they stay inside dir (os.DirFS would follow them anywhere).
func dirFS(dir string) (fs.FS, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return root.FS(), nil // root is closed by its finalizer once unused
}

// commitFS returns the tree of commit at sub ("." for its root).
func commitFS(repo *git.Repository, commit *object.Commit, sub string) (*treeFS, error) {
	tree, err := commit.Tree()
	if err != nil {
		return nil, err
	}
	if sub != "." {
		if tree, err = tree.Tree(filepath.ToSlash(sub)); err != nil {
			return nil, fmt.Errorf("directory %s is not in commit %s: %w", sub, commit.Hash, err)
		}
	}
	return newTreeFS(repo.Storer, tree, commit.Committer.When), nil
}

// relativeTo returns dir relative to root, resolving symbolic links in both.
func relativeTo(root, dir string) (string, error) {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	return filepath.Rel(r, d)
}

// excludes returns the ignore patterns git status honours beyond .gitignore
// files: the repository's info/exclude (go-git's worktree cannot read inside
// .git, so it misses them) and the user's and system's excludes files.
func excludes(repo *git.Repository) []gitignore.Pattern {
	var ps []gitignore.Pattern
	if st, ok := repo.Storer.(*filesystem.Storage); ok {
		if data, err := util.ReadFile(st.Filesystem(), "info/exclude"); err == nil {
			for line := range strings.SplitSeq(string(data), "\n") {
				line = strings.TrimRight(line, "\r")
				if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#") {
					ps = append(ps, gitignore.ParsePattern(line, nil))
				}
			}
		}
	}
	root := osfs.New("/")
	if global, err := gitignore.LoadGlobalPatterns(root); err == nil {
		ps = append(ps, global...)
	}
	if system, err := gitignore.LoadSystemPatterns(root); err == nil {
		ps = append(ps, system...)
	}
	return ps
}

package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"strings"
)

// Options says which repository and revision to read.
type Options struct {
	// Repo is a local directory, or a file://, https://, http://, ssh:// or
	// scp-style (git@host:org/repo.git) URL. It may carry credentials
	// (https://user:token@host/...); they are used, never shown.
	Repo string
	// Ref is a branch, tag, full or abbreviated commit hash, or a full ref
	// name (refs/...). "" means the remote's default branch, or for a local
	// directory its files as they are on disk.
	Ref string
	// CacheDir holds the clones of remote repositories, one directory per
	// repository URL, reused by later runs. "" means DefaultCacheDir().
	CacheDir string
	// Auth is the credentials for remote repositories. Never logged.
	Auth Auth
	// Reads reports whether the caller reads a file, by its slash-separated
	// path relative to the directory read (Repo). Only a change to such a
	// file makes a local working tree's revision "-dirty", so a file the
	// caller writes there (a saved plan) or never reads (a README) does not
	// change the revision. nil: every file counts.
	Reads func(path string) bool
	// Logger receives a clone at Info, a damaged cache or credentials sent
	// over plain http at Warn, fetches and resolved revisions at Debug;
	// nil discards it.
	Logger *slog.Logger
}

// Snapshot is a read-only view of a repository at one revision. It does not
// change after Open returns.
type Snapshot struct {
	// Origin is Options.Repo with credentials redacted.
	Origin string
	// Ref is the ref that was read: Options.Ref, or when that is empty the
	// branch that was used (a remote's default branch, a local repository's
	// checked-out branch; "" when detached or not a Git repository).
	Ref string
	// Revision is the full hash of the commit read. For a local directory
	// read without a ref it is HEAD's hash, with "-dirty" appended when a
	// file of the directory that Options.Reads accepts differs from HEAD
	// (modified, staged, deleted or untracked, not ignored); "" when the
	// directory is not a Git repository or has no commit.
	Revision string
	// FS holds the files, rooted at the repository's top (for a local
	// directory: at the directory given). It is safe for concurrent use.
	FS fs.FS
}

// Open reads the repository that opts names. Remote repositories are cloned
// into the cache on first use and fetched incrementally afterwards; the
// context bounds all network operations.
func Open(ctx context.Context, opts Options) (*Snapshot, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Repo == "" {
		return nil, errors.New("no repository given: set --repo to a directory or a Git URL")
	}
	secrets := opts.Auth.secrets()
	if isURL(opts.Repo) {
		r, err := parseRemote(opts.Repo)
		if err != nil {
			return nil, err
		}
		secrets = append(secrets, r.password, r.user) // an https user name may be a token
		snap, err := openRemote(ctx, opts, r)
		return snap, secrets.wrap(err)
	}
	if _, err := os.Stat(opts.Repo); err == nil || !scpLike.MatchString(opts.Repo) {
		snap, err := openLocal(opts)
		return snap, secrets.wrap(err)
	}
	r, err := parseRemote(opts.Repo)
	if err != nil {
		return nil, err
	}
	snap, err := openRemote(ctx, opts, r)
	return snap, secrets.wrap(err)
}

// scpLike matches git's scp-style remote syntax, [user@]host:path, where the
// host has no slash (so ./a:b and /x/y:z stay local paths).
var scpLike = regexp.MustCompile(`^(?:[^@/:]+@)?[^@/:]+:[^/]`)

func isURL(repo string) bool {
	i := strings.Index(repo, "://")
	if i <= 0 {
		return false
	}
	for _, c := range repo[:i] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// withRepo prefixes err with the repository it concerns, unless it already
// names it.
func withRepo(origin string, err error) error {
	if err == nil || strings.Contains(err.Error(), origin) {
		return err
	}
	return fmt.Errorf("repository %s: %w", origin, err)
}

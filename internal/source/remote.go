package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/objfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// fetchSpecs make each cache a mirror of the remote's branches and tags:
// refs/heads/* and refs/tags/* in the cache are the remote's own, pruned when
// the remote deletes them and forced when it rewrites them.
var fetchSpecs = []config.RefSpec{
	"+refs/heads/*:refs/heads/*",
	"+refs/tags/*:refs/tags/*",
}

// remote is a parsed remote repository address.
type remote struct {
	origin   string // redacted, for messages
	url      string // without credentials: the only form go-git sees
	endpoint *transport.Endpoint
	key      string // normalised URL: one cache directory per key
	// Credentials that were in the URL; secrets.
	user, password string
}

func parseRemote(repo string) (*remote, error) {
	r := &remote{origin: Redact(repo), url: repo}
	if isURL(repo) {
		u, err := url.Parse(repo)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // url.Error quotes the URL, credentials and all
			}
			return nil, fmt.Errorf("repository %s is not a valid URL: %w", r.origin, err)
		}
		switch strings.ToLower(u.Scheme) {
		case "http", "https":
			if u.User != nil {
				r.user = u.User.Username()
				r.password, _ = u.User.Password()
				u.User = nil
			}
		case "ssh", "git+ssh", "ssh+git":
			if u.User != nil {
				if _, ok := u.User.Password(); ok {
					return nil, fmt.Errorf("repository %s: ssh passwords are not supported; use a key (%s)", r.origin, EnvSSHKey)
				}
			}
		case "file", "git":
		default:
			return nil, fmt.Errorf("repository %s: unsupported URL scheme %q; use https://, ssh://, file:// or a directory", r.origin, u.Scheme)
		}
		r.url = u.String()
	}
	ep, err := transport.NewEndpoint(r.url)
	if err != nil {
		return nil, fmt.Errorf("repository %s is not a valid Git URL: %w", r.origin, err)
	}
	r.endpoint = ep
	p := strings.TrimSuffix(strings.Trim(ep.Path, "/"), ".git")
	if ep.Protocol == "file" {
		p = filepath.Clean(ep.Path)
	}
	port := ep.Port
	if port == 0 {
		port = map[string]int{"http": 80, "https": 443, "ssh": 22, "git": 9418}[ep.Protocol]
	}
	r.key = fmt.Sprintf("%s://%s:%d/%s", ep.Protocol, strings.ToLower(ep.Host), port, p)
	return r, nil
}

// cacheName is the cache directory name for r: readable and unique.
func (r *remote) cacheName() string {
	sum := sha256.Sum256([]byte(r.key))
	base := strings.TrimSuffix(path.Base(filepath.ToSlash(strings.TrimRight(r.endpoint.Path, "/"))), ".git")
	clean := strings.Map(func(c rune) rune {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' {
			return c
		}
		return '_'
	}, base)
	if clean == "" || clean == "." || clean == ".." {
		clean = "repo"
	}
	return clean + "-" + hex.EncodeToString(sum[:8])
}

// DefaultCacheDir is where remote clones are kept when Options.CacheDir is
// empty: os.UserCacheDir()/grafsync/repos.
// Without a user cache directory (no $HOME, as in some containers) it is
// under os.TempDir().
func DefaultCacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "grafsync", "repos")
}

func openRemote(ctx context.Context, opts Options, r *remote) (*Snapshot, error) {
	log := opts.Logger.With("repo", r.origin)
	cacheRoot := opts.CacheDir
	if cacheRoot == "" {
		cacheRoot = DefaultCacheDir()
	}
	if err := os.MkdirAll(cacheRoot, 0o700); err != nil {
		return nil, fmt.Errorf("create Git cache directory: %w", err)
	}
	dir := filepath.Join(cacheRoot, r.cacheName())
	unlock, err := lockFile(ctx, dir+".lock")
	if err != nil {
		return nil, fmt.Errorf("lock the cache of %s: %w", r.origin, err)
	}
	defer unlock()

	auth, err := opts.Auth.transportAuth(r.endpoint, r.user, r.password)
	if err != nil {
		return nil, withRepo(r.origin, err)
	}
	if auth != nil && r.endpoint.Protocol == "http" && !isLoopback(r.endpoint.Host) {
		log.Warn("sending Git credentials over plain http; use https")
	}
	rem := git.NewRemote(nil, &config.RemoteConfig{Name: "origin", URLs: []string{r.url}})

	ref := opts.Ref
	if ref == "" {
		err = bounded(ctx, func() (err error) {
			ref, err = defaultBranch(ctx, rem, auth)
			return err
		})
		if err != nil {
			return nil, explain(ctx, r, opts.Auth, "list the branches of", err)
		}
		log.Debug("using the remote's default branch", "ref", ref)
	}

	repo, err := openCache(dir)
	if err != nil {
		log.Warn("Git cache is unusable; cloning again", "dir", dir, "error", err)
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("remove broken cache of %s at %s: %w", r.origin, dir, err)
		}
	}
	fresh := repo == nil
	if repo != nil {
		log.Debug("fetching", "dir", dir)
		if err := bounded(ctx, func() error { return fetch(ctx, repo, r, auth, fetchSpecs, true) }); err != nil {
			if !isStorageError(err) {
				return nil, explain(ctx, r, opts.Auth, "fetch", err)
			}
			log.Warn("Git cache is corrupt; cloning again", "dir", dir, "error", err)
			if repo, err = reclone(ctx, log, cacheRoot, dir, r, auth); err != nil {
				return nil, explain(ctx, r, opts.Auth, "clone", err)
			}
			fresh = true
		}
	} else {
		if repo, err = reclone(ctx, log, cacheRoot, dir, r, auth); err != nil {
			return nil, explain(ctx, r, opts.Auth, "clone", err)
		}
	}

	snap, err := remoteSnapshot(ctx, repo, r, auth, ref)
	if err != nil && !fresh && isStorageError(err) {
		log.Warn("Git cache is corrupt; cloning again", "dir", dir, "error", err)
		if repo, err = reclone(ctx, log, cacheRoot, dir, r, auth); err != nil {
			return nil, explain(ctx, r, opts.Auth, "clone", err)
		}
		snap, err = remoteSnapshot(ctx, repo, r, auth, ref)
	}
	if err != nil {
		return nil, explain(ctx, r, opts.Auth, "fetch", err)
	}
	log.Debug("resolved", "ref", ref, "revision", snap.Revision)
	return snap, nil
}

// remoteSnapshot resolves ref in the up-to-date cache. Refs the mirror does
// not hold are fetched on demand: a full ref name outside refs/heads and
// refs/tags (refs/pull/7/merge) every time, since it may have moved; a full
// commit hash that is on no branch or tag once (where the server allows it),
// kept under refs/grafsync/commits/.
func remoteSnapshot(ctx context.Context, repo *git.Repository, r *remote, auth transport.AuthMethod, ref string) (*Snapshot, error) {
	if strings.HasPrefix(ref, "refs/") && !strings.HasPrefix(ref, "refs/heads/") && !strings.HasPrefix(ref, "refs/tags/") {
		spec := config.RefSpec("+" + ref + ":" + ref)
		err := bounded(ctx, func() error { return fetch(ctx, repo, r, auth, []config.RefSpec{spec}, false) })
		if errors.Is(err, git.NoMatchingRefSpecError{}) {
			if rerr := repo.Storer.RemoveReference(plumbing.ReferenceName(ref)); rerr != nil {
				return nil, rerr
			}
			return nil, notFound(repo, r.origin, ref)
		}
		if err != nil {
			return nil, err
		}
	}
	snap, err := snapshotAt(repo, r.origin, ref)
	var nf *RefNotFoundError
	if errors.As(err, &nf) && len(ref) == 2*len(plumbing.ZeroHash) && isHex(ref) {
		spec := config.RefSpec(strings.ToLower(ref) + ":refs/grafsync/commits/" + strings.ToLower(ref))
		ferr := bounded(ctx, func() error { return fetch(ctx, repo, r, auth, []config.RefSpec{spec}, false) })
		if ferr == nil {
			return snapshotAt(repo, r.origin, ref)
		}
		if ctx.Err() != nil {
			return nil, ferr
		}
		nf.Hint = "the commit is on no branch or tag of the remote, and the server does not let it be fetched by hash"
	}
	return snap, err
}

func snapshotAt(repo *git.Repository, origin, ref string) (*Snapshot, error) {
	commit, err := resolveRef(repo, origin, ref)
	if err != nil {
		return nil, err
	}
	fsys, err := commitFS(repo, commit, ".")
	if err == nil {
		err = checkComplete(repo, fsys.root)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s at %s (%s): %w", origin, ref, commit.Hash, err)
	}
	return &Snapshot{Origin: origin, Ref: ref, Revision: commit.Hash.String(), FS: fsys}, nil
}

// checkComplete verifies that every object under tree is in the cache, so
// that a damaged cache is found (and cloned again) during Open rather than
// when a later stage reads a file.
func checkComplete(repo *git.Repository, tree *object.Tree) error {
	w := object.NewTreeWalker(tree, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if e.Mode.IsFile() {
			if err := repo.Storer.HasEncodedObject(e.Hash); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
}

// defaultBranch asks the remote which branch its HEAD points to.
func defaultBranch(ctx context.Context, rem *git.Remote, auth transport.AuthMethod) (string, error) {
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return "", err
	}
	branches := map[string]bool{}
	var head string
	for _, r := range refs {
		switch {
		case r.Name() == plumbing.HEAD && r.Type() == plumbing.SymbolicReference:
			head = r.Target().Short()
		case r.Name().IsBranch():
			branches[r.Name().Short()] = true
		}
	}
	switch {
	case head != "":
		return head, nil
	case len(branches) == 0:
		return "", transport.ErrEmptyRemoteRepository
	case branches["main"]:
		return "main", nil
	case branches["master"]:
		return "master", nil
	}
	return "", errors.New("the remote does not say which branch is its default; give --ref")
}

// openCache opens the clone at dir and checks that every ref it holds points
// to an object it has. It returns nil, nil when there is no clone yet.
func openCache(dir string) (*git.Repository, error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	repo, err := openBare(dir)
	if err != nil {
		return nil, err
	}
	iter, err := repo.References()
	if err != nil {
		return nil, err
	}
	err = iter.ForEach(func(r *plumbing.Reference) error {
		if r.Type() != plumbing.HashReference {
			return nil
		}
		if _, err := peel(repo, r.Hash()); err != nil {
			return fmt.Errorf("%s: %w", r.Name(), err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return repo, nil
}

// reclone clones r into a temporary directory and moves it to dir, so that
// dir is either absent or a complete clone, even if the process is killed.
func reclone(ctx context.Context, log interface{ Info(string, ...any) }, cacheRoot, dir string, r *remote, auth transport.AuthMethod) (*git.Repository, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	// Left by a process killed while cloning; we hold the lock, so no
	// other process is cloning this repository now.
	prefix := ".clone-" + filepath.Base(dir) + "-"
	if stale, err := filepath.Glob(filepath.Join(cacheRoot, prefix+"*")); err == nil {
		for _, s := range stale {
			_ = os.RemoveAll(s)
		}
	}
	tmp, err := os.MkdirTemp(cacheRoot, prefix)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // a no-op after the rename
	log.Info("cloning", "dir", dir)
	repo, err := git.PlainInit(tmp, true)
	if err != nil {
		return nil, err
	}
	if err := bounded(ctx, func() error { return fetch(ctx, repo, r, auth, fetchSpecs, true) }); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return openBare(dir)
}

// objectCacheSize bounds the decoded objects a cache repository (and so a
// Snapshot read from it) keeps in memory; go-git's default is 96 MiB.
// 32 MiB holds 1,000 dashboards of 20 KiB, so reading them resolves each
// delta base once (BenchmarkReadTree: 85 ms with 16 MiB, 30 ms with 32).
const objectCacheSize = 32 * cache.MiByte

// openBare opens the bare clone at dir.
func openBare(dir string) (*git.Repository, error) {
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		return nil, fmt.Errorf("%s is not a bare repository: %w", dir, err)
	}
	st := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(objectCacheSize))
	return git.Open(st, nil)
}

// fetch brings the refs of repo that specs name up to date with the
// remote, deleting those the remote no longer has when prune is set.
func fetch(ctx context.Context, repo *git.Repository, r *remote, auth transport.AuthMethod, specs []config.RefSpec, prune bool) error {
	rem := git.NewRemote(repo.Storer, &config.RemoteConfig{Name: "origin", URLs: []string{r.url}})
	err := rem.FetchContext(ctx, &git.FetchOptions{
		RefSpecs: specs,
		Auth:     auth,
		Tags:     git.NoTags, // tags come from the refspecs
		Prune:    prune,
		Force:    true,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

// bounded runs op, a network operation, and returns its error, or the
// context's cause as soon as the context ends even if op has not noticed:
// go-git watches the context everywhere except during an ssh handshake, so a
// server that accepts the connection and then says nothing would otherwise
// hang Open. An abandoned op finishes (or fails) in the background.
func bounded(ctx context.Context, op func() error) error {
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isStorageError reports whether err comes from broken local Git storage
// rather than from the network or the server.
func isStorageError(err error) bool {
	for _, target := range []error{
		plumbing.ErrObjectNotFound, plumbing.ErrInvalidType,
		packfile.ErrMalformedPackFile, packfile.ErrInvalidDelta, packfile.ErrReferenceDeltaNotFound,
		packfile.ErrInflatedSizeMismatch, idxfile.ErrMalformedIdxFile, idxfile.ErrUnsupportedVersion,
		objfile.ErrHeader, objfile.ErrNegativeSize,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// explain turns a transport error into one that names the repository and
// says what to do.
func explain(ctx context.Context, r *remote, a Auth, op string, err error) error {
	var (
		hostKey   *HostKeyError
		notFound  *RefNotFoundError
		ambiguous *AmbiguousRefError
	)
	if errors.As(err, &notFound) || errors.As(err, &ambiguous) {
		return err // already names the repository and says what to do
	}
	haveHTTPCreds := a.Token != "" || a.Username != "" || a.Password != "" || r.user != "" || r.password != ""
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s %s: stopped before it finished: %w", op, r.origin, context.Cause(ctx))
	case errors.As(err, &hostKey):
		return fmt.Errorf("connect to %s: %w", r.origin, hostKey)
	case isAuthFailure(err) && !haveHTTPCreds:
		return fmt.Errorf("authentication required for %s: set %s (or %s and %s): %w",
			r.origin, EnvToken, EnvUsername, EnvPassword, err)
	case isAuthFailure(err):
		return fmt.Errorf("authentication failed for %s: check %s/%s or %s, and that they may read the repository: %w",
			r.origin, EnvUsername, EnvPassword, EnvToken, err)
	case r.endpoint.Protocol == "ssh" && strings.Contains(err.Error(), "unable to authenticate"):
		return fmt.Errorf("ssh authentication failed for %s: check %s (and %s), and that its public key may read the repository: %w",
			r.origin, EnvSSHKey, EnvSSHKeyPassphrase, err)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("repository %s not found: check the URL, and that the credentials may read it: %w", r.origin, err)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("repository %s is empty: push a commit to it first: %w", r.origin, err)
	}
	if strings.Contains(err.Error(), r.origin) {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, r.origin, err)
}

package source_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/source"
	"github.com/grafsync/grafsync/internal/source/sourcetest"
)

// served is a bare repository behind git http-backend with basic auth.
type served struct {
	bare string
	srv  *sourcetest.HTTPServer
	url  string // of the repository, without credentials
}

func serve(t *testing.T, user, pass string) served {
	t.Helper()
	bare := sourcetest.NewBareRepo(t, map[string]string{"dashboards/a.json": `{"title":"A"}`})
	srv := sourcetest.ServeHTTP(t, filepath.Dir(bare), user, pass)
	return served{bare: bare, srv: srv, url: srv.URL + "/" + filepath.Base(bare)}
}

func withUserInfo(raw, user, pass string) string {
	u, _ := url.Parse(raw)
	u.User = url.UserPassword(user, pass)
	return u.String()
}

func TestHTTPAuth(t *testing.T) {
	const user, pass = "alice", "s3cret-pass"
	s := serve(t, user, pass)
	tok := serve(t, "x-access-token", "ghp_s3cret-token")

	tests := []struct {
		name    string
		repo    string
		auth    source.Auth
		wantErr []string // parts of the error; none means success
	}{
		{name: "username and password", repo: s.url, auth: source.Auth{Username: user, Password: pass}},
		{name: "token", repo: tok.url, auth: source.Auth{Token: "ghp_s3cret-token"}},
		{name: "token with user name", repo: s.url, auth: source.Auth{Username: user, Token: pass}},
		{name: "credentials in the URL", repo: withUserInfo(s.url, user, pass)},
		{
			name: "wrong password", repo: s.url, auth: source.Auth{Username: user, Password: "wrong-s3cret"},
			wantErr: []string{"authentication failed for " + s.url, "GRAFSYNC_GIT_USERNAME/GRAFSYNC_GIT_PASSWORD or GRAFSYNC_GIT_TOKEN"},
		},
		{
			name: "wrong token", repo: tok.url, auth: source.Auth{Token: "ghp_wrong-s3cret"},
			wantErr: []string{"authentication failed for " + tok.url},
		},
		{
			name: "wrong password in the URL", repo: withUserInfo(s.url, user, "wrong-s3cret"),
			wantErr: []string{"authentication failed for " + strings.Replace(s.url, "://", "://***@", 1)},
		},
		{
			name: "no credentials", repo: s.url,
			wantErr: []string{"authentication required for " + s.url, "set GRAFSYNC_GIT_TOKEN"},
		},
		{
			name: "no such repository", repo: s.srv.URL + "/nope.git", auth: source.Auth{Username: user, Password: pass},
			wantErr: []string{"repository " + s.srv.URL + "/nope.git not found", "check the URL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cache := t.TempDir()
			defer assertNoSecretInFiles(t, cache, "s3cret")
			snap, err := source.Open(ctx, source.Options{
				Repo: tt.repo, Auth: tt.auth, CacheDir: cache,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			})
			for _, secret := range []string{"s3cret"} {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a secret: %v", err)
				}
				if strings.Contains(logs.String(), secret) {
					t.Errorf("logs show a secret:\n%s", logs.String())
				}
				if snap != nil && strings.Contains(snap.Origin, secret) {
					t.Errorf("Origin shows a secret: %s", snap.Origin)
				}
			}
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				want := s.revision(t)
				if strings.HasPrefix(tt.repo, tok.url) {
					want = tok.revision(t)
				}
				if snap.Revision != want {
					t.Errorf("Revision = %s, want %s", snap.Revision, want)
				}
				return
			}
			if err == nil {
				t.Fatal("Open succeeded, want an error")
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Open hung until the deadline: %v", err)
			}
			for _, part := range tt.wantErr {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
}

// assertNoSecretInFiles fails t if any file under dir contains secret.
func assertNoSecretInFiles(t *testing.T, dir, secret string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds a secret", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (s served) revision(t *testing.T) string {
	return sourcetest.Git(t, s.bare, "rev-parse", "main")
}

// requestsSince returns the requests made after the first n.
func requestsSince(srv *sourcetest.HTTPServer, n int) []string {
	return srv.Requests()[n:]
}

func hasPost(reqs []string) bool {
	return slices.ContainsFunc(reqs, func(r string) bool { return strings.HasPrefix(r, "POST ") })
}

func TestSecondOpenFetches(t *testing.T) {
	s := serve(t, "u", "p")
	cache := t.TempDir()
	var logs bytes.Buffer
	opts := source.Options{Repo: s.url, Ref: "main", CacheDir: cache, Auth: source.Auth{Username: "u", Password: "p"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	open := func() *source.Snapshot {
		t.Helper()
		snap, err := source.Open(t.Context(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}

	first := open()
	if !hasPost(s.srv.Requests()) {
		t.Fatalf("first Open made no upload-pack POST, so it did not clone: %v", s.srv.Requests())
	}
	n := len(s.srv.Requests())
	second := open()
	if reqs := requestsSince(s.srv, n); hasPost(reqs) || len(reqs) == 0 {
		t.Errorf("second Open of an unchanged remote: requests %v, want only ref advertisement (no POST)", reqs)
	}
	if second.Revision != first.Revision {
		t.Errorf("second Open: Revision %s, want %s", second.Revision, first.Revision)
	}

	next := sourcetest.Commit(t, s.bare, "main", "next", map[string]string{"dashboards/b.json": `{"title":"B"}`})
	n = len(s.srv.Requests())
	third := open()
	if reqs := requestsSince(s.srv, n); !hasPost(reqs) {
		t.Errorf("third Open after a push: requests %v, want an upload-pack POST", reqs)
	}
	if third.Revision != next {
		t.Errorf("third Open: Revision %s, want the pushed commit %s", third.Revision, next)
	}
	if got, err := readFile(third, "dashboards/b.json"); err != nil || got != `{"title":"B"}` {
		t.Errorf("third Open: dashboards/b.json = %q, %v", got, err)
	}
	// The earlier snapshot still reads its own revision.
	if _, err := readFile(first, "dashboards/b.json"); err == nil {
		t.Errorf("first snapshot sees a file pushed after it was taken")
	}
	if got := strings.Count(logs.String(), "msg=cloning"); got != 1 {
		t.Errorf("logs show %d clones, want 1:\n%s", got, logs.String())
	}
	if got := cacheEntries(t, cache); len(got) != 1 {
		t.Errorf("cache holds %v, want one clone", got)
	}

	// A branch deleted on the remote is gone from the cache too.
	sourcetest.Commit(t, s.bare, "topic", "topic", map[string]string{"t": "t"})
	opts.Ref = "topic"
	open()
	sourcetest.Git(t, s.bare, "branch", "-D", "topic")
	var nf *source.RefNotFoundError
	if _, err := source.Open(t.Context(), opts); !errors.As(err, &nf) {
		t.Errorf("Open of a deleted branch: error %v, want RefNotFoundError", err)
	}

	// A rewritten (force-pushed) branch is followed.
	rewritten := sourcetest.Commit(t, s.bare, "rewrite", "r", map[string]string{"x": "1"})
	opts.Ref = "main"
	sourcetest.Git(t, s.bare, "update-ref", "refs/heads/main", rewritten)
	if got := open().Revision; got != rewritten {
		t.Errorf("after a force push: Revision %s, want %s", got, rewritten)
	}
}

func readFile(s *source.Snapshot, name string) (string, error) {
	f, err := s.FS.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(f)
	return b.String(), err
}

// cacheEntries lists the clones in a cache directory.
func cacheEntries(t *testing.T, cache string) []string {
	t.Helper()
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestCorruptCacheIsRecloned(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, clone string)
	}{
		{"objects deleted", func(t *testing.T, clone string) {
			if err := os.RemoveAll(filepath.Join(clone, "objects")); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(clone, "objects"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"pack truncated", func(t *testing.T, clone string) {
			packs, _ := filepath.Glob(filepath.Join(clone, "objects/pack/*.pack"))
			if len(packs) == 0 {
				t.Fatal("clone has no pack")
			}
			for _, p := range packs {
				if err := os.Truncate(p, 40); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"not a repository", func(t *testing.T, clone string) {
			if err := os.RemoveAll(clone); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(clone, "junk"), "junk")
		}},
		{"tree missing", func(t *testing.T, clone string) {
			removeObject(t, clone, "main^{tree}")
		}},
		{"blob missing", func(t *testing.T, clone string) {
			removeObject(t, clone, "main:dashboards/a.json")
		}},
		{"killed while cloning", func(t *testing.T, clone string) {
			partial := filepath.Join(filepath.Dir(clone), ".clone-"+filepath.Base(clone)+"-123")
			if err := os.Rename(clone, partial); err != nil {
				t.Fatal(err)
			}
		}},
		{"HEAD garbage", func(t *testing.T, clone string) {
			write(t, filepath.Join(clone, "refs/heads/main"), "not a hash\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serve(t, "", "")
			cache := t.TempDir()
			var logs bytes.Buffer
			opts := source.Options{Repo: s.url, CacheDir: cache, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			if _, err := source.Open(t.Context(), opts); err != nil {
				t.Fatal(err)
			}
			clones := cacheEntries(t, cache)
			if len(clones) != 1 {
				t.Fatalf("cache holds %v, want one clone", clones)
			}
			tt.corrupt(t, filepath.Join(cache, clones[0]))

			snap, err := source.Open(t.Context(), opts)
			if err != nil {
				t.Fatalf("Open with a corrupt cache: %v", err)
			}
			if got, want := snap.Revision, s.revision(t); got != want {
				t.Errorf("Revision = %s, want %s", got, want)
			}
			if got, err := readFile(snap, "dashboards/a.json"); err != nil || got != `{"title":"A"}` {
				t.Errorf("dashboards/a.json = %q, %v", got, err)
			}
			if got := strings.Count(logs.String(), "msg=cloning"); got != 2 {
				t.Errorf("logs show %d clones, want 2 (first and re-clone):\n%s", got, logs.String())
			}
			if got := cacheEntries(t, cache); !cmp.Equal(got, clones) {
				t.Errorf("cache holds %v, want %v", got, clones)
			}
		})
	}
}

// removeObject deletes the object that rev names from a clone, leaving the
// refs and every other object in place.
func removeObject(t *testing.T, clone, rev string) {
	t.Helper()
	hash := sourcetest.Git(t, clone, "rev-parse", rev)
	packs, _ := filepath.Glob(filepath.Join(clone, "objects/pack/*.pack"))
	for _, p := range packs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{p, strings.TrimSuffix(p, ".pack") + ".idx"} {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("git", "unpack-objects", "-q")
		cmd.Dir, cmd.Stdin = clone, bytes.NewReader(data)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git unpack-objects: %v: %s", err, out)
		}
	}
	if err := os.Remove(filepath.Join(clone, "objects", hash[:2], hash[2:])); err != nil {
		t.Fatal(err)
	}
}

func TestOpenHonoursDeadline(t *testing.T) {
	// A server that accepts the request and never answers.
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(stop) })

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := source.Open(ctx, source.Options{Repo: hang.URL + "/x.git", Ref: "main", CacheDir: t.TempDir()})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open against a silent server: error %v, want the context's deadline", err)
	}
	if !strings.Contains(err.Error(), hang.URL+"/x.git") {
		t.Errorf("error %q does not name the repository", err)
	}
}

func TestOpenEmptyRemote(t *testing.T) {
	root := t.TempDir()
	sourcetest.Git(t, "", "init", "--quiet", "--bare", filepath.Join(root, "empty.git"))
	srv := sourcetest.ServeHTTP(t, root, "", "")
	for _, ref := range []string{"", "main"} {
		_, err := source.Open(t.Context(), source.Options{Repo: srv.URL + "/empty.git", Ref: ref, CacheDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "is empty: push a commit") {
			t.Errorf("Open(ref %q) of an empty repository: error %v, want it to say the repository is empty", ref, err)
		}
	}
}

func TestFetchRefsOutsideTheMirror(t *testing.T) {
	s := serve(t, "", "")
	cache := t.TempDir()
	open := func(ref string) (*source.Snapshot, error) {
		return source.Open(t.Context(), source.Options{Repo: s.url, Ref: ref, CacheDir: cache})
	}
	// hiddenCommit makes a commit that only ref points to.
	hiddenCommit := func(ref, content string) string {
		h := sourcetest.Commit(t, s.bare, "tmp", "hidden", map[string]string{"pr.json": content})
		sourcetest.Git(t, s.bare, "update-ref", ref, h)
		sourcetest.Git(t, s.bare, "branch", "-D", "tmp")
		return h
	}

	t.Run("pull request ref, followed when it moves", func(t *testing.T) {
		for _, content := range []string{"1", "2"} {
			want := hiddenCommit("refs/pull/1/merge", content)
			snap, err := open("refs/pull/1/merge")
			if err != nil {
				t.Fatal(err)
			}
			if snap.Revision != want {
				t.Errorf("Revision = %s, want %s", snap.Revision, want)
			}
		}
		sourcetest.Git(t, s.bare, "update-ref", "-d", "refs/pull/1/merge")
		var nf *source.RefNotFoundError
		if _, err := open("refs/pull/1/merge"); !errors.As(err, &nf) {
			t.Errorf("Open of a deleted pull request ref: error %v, want RefNotFoundError", err)
		}
	})

	t.Run("commit on no branch", func(t *testing.T) {
		hidden := hiddenCommit("refs/keep/x", "hidden")
		_, err := open(hidden)
		var nf *source.RefNotFoundError
		if !errors.As(err, &nf) || nf.Hint == "" {
			t.Fatalf("Open(%s) from a server that refuses fetching by hash: error %v, want RefNotFoundError with a hint", hidden, err)
		}
		sourcetest.Git(t, s.bare, "config", "uploadpack.allowReachableSHA1InWant", "true")
		snap, err := open(hidden)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Revision != hidden {
			t.Errorf("Revision = %s, want %s", snap.Revision, hidden)
		}
	})
}

func TestConcurrentOpensShareOneClone(t *testing.T) {
	s := serve(t, "", "")
	cache := t.TempDir()
	var logs lockedBuffer
	opts := source.Options{Repo: s.url, Ref: "main", CacheDir: cache, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	const n = 4
	want := s.revision(t)
	errs := make(chan error, n)
	for range n {
		go func() {
			snap, err := source.Open(t.Context(), opts)
			if err == nil && snap.Revision != want {
				err = errors.New("wrong revision " + snap.Revision)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := strings.Count(logs.String(), "msg=cloning"); got != 1 {
		t.Errorf("%d concurrent Opens cloned %d times, want once:\n%s", n, got, logs.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Package sourcetest builds real Git repositories and serves them over real
// protocols on loopback, for the tests of internal/source and of the stages
// and commands that read a repository (serve polling, the CLI).
//
// It runs the git binary (git, git-http-backend, git-upload-pack), which
// production code never does. Every repository it makes is deterministic:
// the same files and messages give the same commit hashes.
package sourcetest

import (
	"bytes"
	"crypto/subtle"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Deleted, as a file's content in Commit, removes the file.
const Deleted = "\x00deleted\x00"

// symlinkPrefix marks a file's content in Commit as a symbolic link.
const symlinkPrefix = "\x00symlink\x00"

// Symlink, as a file's content in Commit, makes the file a symbolic link to
// target.
func Symlink(target string) string { return symlinkPrefix + target }

// Git runs git with args in dir, with a configuration isolated from the
// machine's and a fixed author, committer and date. It fails t on error and
// returns the trimmed standard output.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := git(dir, nil, "", args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func git(dir string, env []string, stdin string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=grafsync test", "GIT_AUTHOR_EMAIL=test@grafsync.invalid",
		"GIT_COMMITTER_NAME=grafsync test", "GIT_COMMITTER_EMAIL=test@grafsync.invalid",
		"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
	)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", &gitError{err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return strings.TrimSpace(stdout.String()), nil
}

type gitError struct {
	err    error
	stderr string
}

func (e *gitError) Error() string { return e.err.Error() + ": " + e.stderr }

// NewBareRepo creates a bare repository in a temporary directory whose
// branch main (also its HEAD) has one commit holding files, and returns the
// repository's directory.
func NewBareRepo(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo.git")
	Git(t, "", "init", "--quiet", "--bare", "--initial-branch=main", dir)
	Commit(t, dir, "main", "initial", files)
	return dir
}

// Commit adds a commit with message to branch of the bare repository and
// returns its hash. The commit holds the branch's previous files (or, for a
// new branch, HEAD's) with files written over them; a file whose content is
// Deleted is removed.
func Commit(t testing.TB, bare, branch, message string, files map[string]string) string {
	t.Helper()
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(t.TempDir(), "index")}
	run := func(stdin string, args ...string) string {
		t.Helper()
		out, err := git(bare, env, stdin, args...)
		if err != nil {
			t.Fatalf("commit to %s: git %s: %v", branch, strings.Join(args, " "), err)
		}
		return out
	}
	var parent string
	for _, rev := range []string{"refs/heads/" + branch, "HEAD"} {
		if out, err := git(bare, nil, "", "rev-parse", "--verify", "--quiet", rev+"^{commit}"); err == nil {
			parent = out
			break
		}
	}
	if parent != "" {
		run("", "read-tree", parent)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if files[name] == Deleted {
			run("0 "+strings.Repeat("0", 40)+"\t"+name+"\n", "update-index", "--index-info")
			continue
		}
		content, mode := files[name], "100644"
		if target, ok := strings.CutPrefix(content, symlinkPrefix); ok {
			content, mode = target, "120000"
		}
		blob := run(content, "hash-object", "-w", "--stdin")
		run("", "update-index", "--add", "--cacheinfo", mode+","+blob+","+name)
	}
	tree := run("", "write-tree")
	args := []string{"commit-tree", tree, "-m", message}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	commit := run("", args...)
	run("", "update-ref", "refs/heads/"+branch, commit)
	return commit
}

// Tag creates an annotated tag name on rev in the bare repository.
func Tag(t testing.TB, bare, name, rev string) {
	t.Helper()
	Git(t, bare, "tag", "--annotate", "--message", "tag "+name, name, rev)
}

// HTTPServer is a Git smart-HTTP server (git http-backend) on loopback.
type HTTPServer struct {
	// URL is the server's base URL; a repository at ROOT/x.git is at URL/x.git.
	URL string

	mu       sync.Mutex
	requests []string
}

// Requests returns the requests served so far, as "METHOD /path" with the
// query's service parameter appended ("GET /x.git/info/refs?service=git-upload-pack"),
// including those refused for bad credentials.
func (s *HTTPServer) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ServeHTTP serves the bare repositories under root over smart HTTP until
// the test ends. When user is not empty, every request must carry basic auth
// user:pass; others get 401.
func ServeHTTP(t testing.TB, root, user, pass string) *HTTPServer {
	t.Helper()
	execPath := Git(t, "", "--exec-path")
	backend := &cgi.Handler{
		Path:   filepath.Join(execPath, "git-http-backend"),
		Root:   "/",
		Stderr: io.Discard, // "not found" and the like; the client reports them
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=" + os.DevNull,
			"HOME=" + t.TempDir(),
		},
	}
	s := &HTTPServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		line := r.Method + " " + r.URL.Path
		if svc := r.URL.Query().Get("service"); svc != "" {
			line += "?service=" + svc
		}
		s.mu.Lock()
		s.requests = append(s.requests, line)
		s.mu.Unlock()
		if user != "" {
			u, p, ok := r.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
				subtle.ConstantTimeCompare([]byte(p), []byte(pass)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

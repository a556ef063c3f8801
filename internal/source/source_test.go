package source_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/grafsync/grafsync/internal/source"
	"github.com/grafsync/grafsync/internal/source/sourcetest"
)

// history is a bare repository with several commits, branches and tags.
type history struct {
	bare             string
	first, second    string // commits on main
	main             string // main's tip
	dev              string // dev's tip (branched from second)
	lightweightTagAt string
}

func newHistory(t *testing.T) history {
	t.Helper()
	var h history
	h.bare = sourcetest.NewBareRepo(t, map[string]string{
		"dashboards/a.json": `{"title":"A v1"}`,
		"README.md":         "example",
	})
	h.first = sourcetest.Git(t, h.bare, "rev-parse", "main")
	sourcetest.Tag(t, h.bare, "v1.0.0", h.first)
	h.second = sourcetest.Commit(t, h.bare, "main", "second", map[string]string{"dashboards/a.json": `{"title":"A v2"}`})
	h.dev = sourcetest.Commit(t, h.bare, "dev", "on dev", map[string]string{"dashboards/dev.json": `{"title":"Dev"}`})
	h.main = sourcetest.Commit(t, h.bare, "main", "third", map[string]string{"dashboards/a.json": `{"title":"A v3"}`, "README.md": sourcetest.Deleted})
	sourcetest.Git(t, h.bare, "tag", "light", h.second)
	h.lightweightTagAt = h.second
	return h
}

// dashboardsOnly stands for a reader of dashboards/ alone.
func dashboardsOnly(p string) bool { return strings.HasPrefix(p, "dashboards/") }

func readAll(t *testing.T, fsys fs.FS) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if d.Type() == fs.ModeSymlink && strings.HasPrefix(p, "link") {
			got[p] = "(link)"
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		got[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatalf("walk snapshot: %v", err)
	}
	return got
}

func TestOpenRemoteRefs(t *testing.T) {
	h := newHistory(t)
	cache := t.TempDir()
	url := "file://" + h.bare
	v1 := map[string]string{"dashboards/a.json": `{"title":"A v1"}`, "README.md": "example"}
	v2 := map[string]string{"dashboards/a.json": `{"title":"A v2"}`, "README.md": "example"}
	v3 := map[string]string{"dashboards/a.json": `{"title":"A v3"}`}
	dev := map[string]string{"dashboards/a.json": `{"title":"A v2"}`, "README.md": "example", "dashboards/dev.json": `{"title":"Dev"}`}

	tests := []struct {
		ref, wantRef, wantRev string
		wantFiles             map[string]string
	}{
		{"", "main", h.main, v3},
		{"main", "main", h.main, v3},
		{"dev", "dev", h.dev, dev},
		{"refs/heads/dev", "refs/heads/dev", h.dev, dev},
		{"v1.0.0", "v1.0.0", h.first, v1},
		{"light", "light", h.second, v2},
		{h.second, h.second, h.second, v2},
		{h.second[:7], h.second[:7], h.second, v2},
		{strings.ToUpper(h.first[:10]), strings.ToUpper(h.first[:10]), h.first, v1},
		{"main~2", "main~2", h.first, v1},
	}
	for _, tt := range tests {
		t.Run("ref="+tt.ref, func(t *testing.T) {
			snap, err := source.Open(t.Context(), source.Options{Repo: url, Ref: tt.ref, CacheDir: cache})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantRef, snap.Ref); diff != "" {
				t.Errorf("Ref (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRev, snap.Revision); diff != "" {
				t.Errorf("Revision (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(url, snap.Origin); diff != "" {
				t.Errorf("Origin (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFiles, readAll(t, snap.FS)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenMissingRef(t *testing.T) {
	h := newHistory(t)
	for _, ref := range []string{"nope", "0000000", strings.Repeat("0", 40), "refs/heads/nope"} {
		t.Run(ref, func(t *testing.T) {
			_, err := source.Open(t.Context(), source.Options{Repo: "file://" + h.bare, Ref: ref, CacheDir: t.TempDir()})
			var nf *source.RefNotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("Open: got error %v, want a RefNotFoundError", err)
			}
			want := &source.RefNotFoundError{Repo: "file://" + h.bare, Ref: ref, Branches: []string{"dev", "main"}, Tags: []string{"light", "v1.0.0"}}
			if len(ref) == 40 {
				want.Hint = "the commit is on no branch or tag of the remote, and the server does not let it be fetched by hash"
			}
			if diff := cmp.Diff(want, nf); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			for _, part := range []string{`ref "` + ref + `" not found in file://`, "branches: dev, main", "tags: light, v1.0.0", "git ls-remote"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
}

func TestOpenAmbiguousAbbreviation(t *testing.T) {
	// A thousand commits in one fast-import run all but guarantee two that
	// share their first four hex digits (and, being deterministic, do).
	bare := filepath.Join(t.TempDir(), "many.git")
	sourcetest.Git(t, "", "init", "--quiet", "--bare", "--initial-branch=main", bare)
	var stream strings.Builder
	for i := 1; i <= 1000; i++ {
		msg, content := fmt.Sprintf("commit %d\n", i), fmt.Sprintf("%d\n", i)
		fmt.Fprintf(&stream, "commit refs/heads/main\nmark :%d\ncommitter t <t@example.com> 1767225600 +0000\ndata %d\n%s", i, len(msg), msg)
		if i > 1 {
			fmt.Fprintf(&stream, "from :%d\n", i-1)
		}
		fmt.Fprintf(&stream, "M 644 inline f\ndata %d\n%s\n", len(content), content)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Stdin = bare, strings.NewReader(stream.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v: %s", err, out)
	}
	byPrefix := map[string][]string{}
	var prefix string
	for _, h := range strings.Fields(sourcetest.Git(t, bare, "rev-list", "main")) {
		byPrefix[h[:4]] = append(byPrefix[h[:4]], h)
		if len(byPrefix[h[:4]]) == 2 {
			prefix = h[:4]
		}
	}
	if prefix == "" {
		t.Fatal("no two commits share a 4-digit prefix; make more commits")
	}

	for _, repo := range []string{bare, "file://" + bare} {
		_, err := source.Open(t.Context(), source.Options{Repo: repo, Ref: prefix, CacheDir: t.TempDir()})
		var amb *source.AmbiguousRefError
		if !errors.As(err, &amb) {
			t.Fatalf("Open(%s, %s): got error %v, want an AmbiguousRefError", repo, prefix, err)
		}
		if diff := cmp.Diff(byPrefix[prefix], amb.Candidates, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("candidates (-want +got):\n%s", diff)
		}
		// One more digit, or a full hash, settles it.
		want := byPrefix[prefix][0]
		for _, ref := range []string{want, want[:12]} {
			snap, err := source.Open(t.Context(), source.Options{Repo: repo, Ref: ref, CacheDir: t.TempDir()})
			if err != nil {
				t.Fatalf("Open(%s, %s): %v", repo, ref, err)
			}
			if snap.Revision != want {
				t.Errorf("Open(%s, %s): Revision %s, want %s", repo, ref, snap.Revision, want)
			}
		}
	}
}

func TestOpenLocalDirectory(t *testing.T) {
	h := newHistory(t)
	work := filepath.Join(t.TempDir(), "work")
	sourcetest.Git(t, "", "clone", "--quiet", h.bare, work)

	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "x.yaml"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	type result struct {
		Ref, Revision string
		Files         map[string]string
	}
	v3 := map[string]string{"dashboards/a.json": `{"title":"A v3"}`}
	tests := []struct {
		name   string
		repo   string
		ref    string
		reads  func(string) bool
		change func(t *testing.T)
		want   result
	}{
		{name: "plain directory", repo: plain, want: result{Files: map[string]string{"x.yaml": "x"}}},
		{name: "clean working tree", repo: work, want: result{Ref: "main", Revision: h.main, Files: v3}},
		{name: "ref in working tree", repo: work, ref: "v1.0.0", want: result{Ref: "v1.0.0", Revision: h.first,
			Files: map[string]string{"dashboards/a.json": `{"title":"A v1"}`, "README.md": "example"}}},
		{name: "remote-tracking ref", repo: work, ref: "origin/dev", want: result{Ref: "origin/dev", Revision: h.dev,
			Files: map[string]string{"dashboards/a.json": `{"title":"A v2"}`, "README.md": "example", "dashboards/dev.json": `{"title":"Dev"}`}}},
		{name: "subdirectory with ref", repo: filepath.Join(work, "dashboards"), ref: "main",
			want: result{Ref: "main", Revision: h.main, Files: map[string]string{"a.json": `{"title":"A v3"}`}}},
		{name: "bare repository", repo: h.bare, want: result{Ref: "main", Revision: h.main, Files: v3}},
		{
			name: "modified file", repo: work,
			change: func(t *testing.T) { write(t, filepath.Join(work, "dashboards/a.json"), "changed") },
			want:   result{Ref: "main", Revision: h.main + "-dirty", Files: map[string]string{"dashboards/a.json": "changed"}},
		},
		{
			name: "untracked file", repo: work,
			change: func(t *testing.T) { write(t, filepath.Join(work, "new.json"), "{}") },
			want:   result{Ref: "main", Revision: h.main + "-dirty", Files: map[string]string{"dashboards/a.json": `{"title":"A v3"}`, "new.json": "{}"}},
		},
		{
			name: "link out of the directory", repo: work,
			change: func(t *testing.T) {
				write(t, filepath.Join(work, ".git/info/exclude"), "link\n")
				if err := os.Symlink(plain, filepath.Join(work, "link")); err != nil {
					t.Fatal(err)
				}
			},
			// WalkDir does not follow links; reading through it is refused below.
			want: result{Ref: "main", Revision: h.main, Files: map[string]string{"dashboards/a.json": `{"title":"A v3"}`, "link": "(link)"}},
		},
		{
			// A saved plan next to the repository's files (plan --out
			// plan.json) is not a file grafsync reads: the revision stays clean.
			name: "untracked file grafsync does not read", repo: work, reads: dashboardsOnly,
			change: func(t *testing.T) { write(t, filepath.Join(work, "plan.json"), "{}") },
			want:   result{Ref: "main", Revision: h.main, Files: map[string]string{"dashboards/a.json": `{"title":"A v3"}`, "plan.json": "{}"}},
		},
		{
			name: "untracked file grafsync reads", repo: work, reads: dashboardsOnly,
			change: func(t *testing.T) { write(t, filepath.Join(work, "dashboards/b.json"), "{}") },
			want:   result{Ref: "main", Revision: h.main + "-dirty", Files: map[string]string{"dashboards/a.json": `{"title":"A v3"}`, "dashboards/b.json": "{}"}},
		},
		{
			name: "deleted file grafsync reads", repo: work, reads: dashboardsOnly,
			change: func(t *testing.T) { sourcetest.Git(t, work, "rm", "--quiet", "dashboards/a.json") },
			want:   result{Ref: "main", Revision: h.main + "-dirty", Files: map[string]string{}},
		},
		{
			// Paths are matched relative to the directory given, and a
			// change outside it is not in what grafsync reads.
			name: "subdirectory: change outside it", repo: filepath.Join(work, "dashboards"), reads: func(p string) bool { return p == "a.json" },
			change: func(t *testing.T) { write(t, filepath.Join(work, "a.json"), "{}") },
			want:   result{Ref: "main", Revision: h.main, Files: map[string]string{"a.json": `{"title":"A v3"}`}},
		},
		{
			name: "subdirectory: change inside it", repo: filepath.Join(work, "dashboards"), reads: func(p string) bool { return p == "a.json" },
			change: func(t *testing.T) { write(t, filepath.Join(work, "dashboards/a.json"), "{}") },
			want:   result{Ref: "main", Revision: h.main + "-dirty", Files: map[string]string{"a.json": "{}"}},
		},
		{
			name: "ignored file is not dirt", repo: work,
			change: func(t *testing.T) {
				write(t, filepath.Join(work, ".git/info/exclude"), "*.tmp\n")
				write(t, filepath.Join(work, "scratch.tmp"), "x")
			},
			want: result{Ref: "main", Revision: h.main, Files: map[string]string{"dashboards/a.json": `{"title":"A v3"}`, "scratch.tmp": "x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sourcetest.Git(t, work, "reset", "--quiet", "--hard", "main")
			sourcetest.Git(t, work, "clean", "--quiet", "-fdx")
			if err := os.Remove(filepath.Join(work, ".git/info/exclude")); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if tt.change != nil {
				tt.change(t)
			}
			snap, err := source.Open(t.Context(), source.Options{Repo: tt.repo, Ref: tt.ref, CacheDir: t.TempDir(), Reads: tt.reads})
			if err != nil {
				t.Fatal(err)
			}
			got := result{Ref: snap.Ref, Revision: snap.Revision, Files: readAll(t, snap.FS)}
			delete(got.Files, ".git") // a worktree's .git is a directory, skipped below
			for name := range got.Files {
				if strings.HasPrefix(name, ".git/") {
					delete(got.Files, name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("snapshot (-want +got):\n%s", diff)
			}
			if _, err := fs.ReadFile(snap.FS, "link/x.yaml"); err == nil {
				t.Errorf("read link/x.yaml through a link that leaves the directory")
			}
			if snap.Origin != tt.repo {
				t.Errorf("Origin = %q, want %q", snap.Origin, tt.repo)
			}
		})
	}
}

func TestOpenLocalErrors(t *testing.T) {
	plain := t.TempDir()
	file := filepath.Join(plain, "f")
	write(t, file, "x")
	tests := []struct {
		name, repo, ref string
		want            []string
	}{
		{"missing directory", filepath.Join(plain, "nope"), "", []string{"nope", "no such file", "give an existing directory or a Git URL"}},
		{"a file", file, "", []string{file, "is not a directory"}},
		{"ref in a plain directory", plain, "main", []string{plain, "is not a Git repository", "drop --ref"}},
		{"no repository", "", "", []string{"no repository given"}},
		{"unsupported scheme", "ftp://example.com/x.git", "", []string{"unsupported URL scheme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := source.Open(t.Context(), source.Options{Repo: tt.repo, Ref: tt.ref, CacheDir: t.TempDir()})
			if err == nil {
				t.Fatal("Open succeeded, want an error")
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTreeFS(t *testing.T) {
	files := map[string]string{
		"a.txt":           "a",
		"dir/b.txt":       "bb",
		"dir/sub/c.txt":   "ccc",
		"dir.d/x":         "sorts after dir in git, before it by name",
		"link-to-a":       sourcetest.Symlink("a.txt"),
		"dir/up":          sourcetest.Symlink("../a.txt"),
		"link-to-dir":     sourcetest.Symlink("dir"),
		"dir/sub/to-root": sourcetest.Symlink("../.."),
	}
	bare := sourcetest.NewBareRepo(t, files)
	snap, err := source.Open(t.Context(), source.Options{Repo: bare, Ref: "main", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	fsys := snap.FS
	// Broken links are on their own branch: fstest.TestFS rejects them (as
	// it would with os.DirFS).
	sourcetest.Commit(t, bare, "broken", "broken links", map[string]string{
		"escape":   sourcetest.Symlink("../../etc/passwd"),
		"absolute": sourcetest.Symlink("/etc/passwd"),
		"loop":     sourcetest.Symlink("loop"),
	})
	broken, err := source.Open(t.Context(), source.Options{Repo: bare, Ref: "broken", CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}

	// fstest.TestFS checks Open, ReadFile, ReadDir, Stat, Sub and WalkDir
	// against each other.
	if err := fstest.TestFS(fsys, "a.txt", "dir/b.txt", "dir/sub/c.txt", "dir.d/x", "link-to-a", "dir/up"); err != nil {
		t.Fatal(err)
	}

	t.Run("read through links", func(t *testing.T) {
		for name, want := range map[string]string{
			"a.txt": "a", "link-to-a": "a", "dir/up": "a", "link-to-dir/b.txt": "bb",
			"link-to-dir/sub/c.txt": "ccc", "dir/sub/to-root/a.txt": "a",
		} {
			got, err := fs.ReadFile(fsys, name)
			if err != nil || string(got) != want {
				t.Errorf("ReadFile(%s) = %q, %v; want %q", name, got, err, want)
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		for name, want := range map[string]error{
			"nope": fs.ErrNotExist, "dir/nope": fs.ErrNotExist, "a.txt/x": fs.ErrNotExist,
			"escape": fs.ErrNotExist, "absolute": fs.ErrNotExist, "/a.txt": fs.ErrInvalid, "dir/../a.txt": fs.ErrInvalid,
		} {
			if _, err := fs.ReadFile(broken.FS, name); !errors.Is(err, want) {
				t.Errorf("ReadFile(%s): error %v, want %v", name, err, want)
			}
		}
		if _, err := fs.ReadFile(broken.FS, "loop"); err == nil || !strings.Contains(err.Error(), "too many levels") {
			t.Errorf("ReadFile(loop): error %v, want too many levels of symbolic links", err)
		}
		if _, err := fs.ReadFile(fsys, "dir"); err == nil {
			t.Errorf("ReadFile(dir) succeeded, want an error")
		}
	})
	t.Run("walk sees links as links", func(t *testing.T) {
		got := map[string]fs.FileMode{}
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			got[p] = d.Type()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]fs.FileMode{".": fs.ModeDir, "dir": fs.ModeDir, "dir/sub": fs.ModeDir, "dir.d": fs.ModeDir}
		for name, content := range files {
			if strings.HasPrefix(content, "\x00symlink") {
				want[name] = fs.ModeSymlink
			} else {
				want[name] = 0
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("walk (-want +got):\n%s", diff)
		}
	})
	t.Run("concurrent reads", func(t *testing.T) {
		names := slices.Sorted(maps.Keys(map[string]bool{"a.txt": true, "dir/b.txt": true, "dir/sub/c.txt": true}))
		errs := make(chan error, 8*len(names))
		for range 8 {
			for _, n := range names {
				go func() {
					_, err := fs.ReadFile(fsys, n)
					errs <- err
				}()
			}
		}
		for range 8 * len(names) {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://github.com/org/repo.git", "https://github.com/org/repo.git"},
		{"https://user:s3cret@github.com/org/repo.git", "https://***@github.com/org/repo.git"},
		{"https://ghp_token@github.com/org/repo.git", "https://***@github.com/org/repo.git"},
		{"HTTP://u:p@host:8080/x", "HTTP://***@host:8080/x"},
		{"https://host/path@with-at", "https://host/path@with-at"},
		{"ssh://git@host:2222/org/repo.git", "ssh://git@host:2222/org/repo.git"},
		{"ssh://git:pw@host/org/repo.git", "ssh://git:***@host/org/repo.git"},
		{"git@github.com:org/repo.git", "git@github.com:org/repo.git"},
		{"/srv/repo", "/srv/repo"},
		{"https://a:b@c@host/x", "https://***@host/x"},
	}
	for _, tt := range tests {
		if got := source.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAuthFromEnv(t *testing.T) {
	env := map[string]string{
		"GRAFSYNC_GIT_TOKEN": "t", "GRAFSYNC_GIT_USERNAME": "u", "GRAFSYNC_GIT_PASSWORD": "p",
		"GRAFSYNC_GIT_SSH_KEY": "k", "GRAFSYNC_GIT_SSH_KEY_PASSPHRASE": "kp", "GRAFSYNC_GIT_KNOWN_HOSTS": "kh",
	}
	got := source.AuthFromEnv(func(k string) string { return env[k] })
	want := source.Auth{Token: "t", Username: "u", Password: "p", SSHKeyFile: "k", SSHKeyPassphrase: "kp", KnownHostsFile: "kh"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AuthFromEnv (-want +got):\n%s", diff)
	}
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "auth", got)
	if s := b.String(); strings.Contains(s, "kp") || strings.Contains(s, "=p") {
		t.Errorf("logged Auth shows secrets: %s", s)
	}
}

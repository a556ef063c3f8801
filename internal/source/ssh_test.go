package source_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/source"
	"github.com/grafsync/grafsync/internal/source/sourcetest"
)

func TestSSH(t *testing.T) {
	bare := sourcetest.NewBareRepo(t, map[string]string{"dashboards/a.json": `{"title":"A"}`})
	head := sourcetest.Git(t, bare, "rev-parse", "main")
	plainKey, pub := sourcetest.NewSSHKey(t, "")
	srv := sourcetest.ServeSSH(t, filepath.Dir(bare), pub)
	other := sourcetest.ServeSSH(t, t.TempDir(), pub) // a different host key
	_, port, _ := strings.Cut(srv.Addr, ":")

	// An encrypted copy of the authorized key is not possible to make from
	// outside, so the passphrase cases use a server of their own.
	lockedKey, lockedPub := sourcetest.NewSSHKey(t, "key-s3cret")
	locked := sourcetest.ServeSSH(t, filepath.Dir(bare), lockedPub)
	strangerKey, _ := sourcetest.NewSSHKey(t, "")

	dir := t.TempDir()
	knownHosts := func(name string, lines ...string) string {
		f := filepath.Join(dir, name)
		write(t, f, strings.Join(lines, "\n")+"\n")
		return f
	}
	trusted := knownHosts("trusted", other.KnownHostsLine(), srv.KnownHostsLine(), locked.KnownHostsLine())
	unknown := knownHosts("unknown", other.KnownHostsLine())
	// other's key recorded under srv's address: a changed host key.
	changed := knownHosts("changed", strings.Replace(other.KnownHostsLine(), other.Addr[strings.Index(other.Addr, ":")+1:], port, 1))

	tests := []struct {
		name    string
		repo    string
		auth    source.Auth
		wantErr []string
		hostErr *source.HostKeyError
	}{
		{name: "known host", repo: srv.URL("repo.git"), auth: source.Auth{SSHKeyFile: plainKey, KnownHostsFile: trusted}},
		{name: "key with passphrase", repo: locked.URL("repo.git"), auth: source.Auth{SSHKeyFile: lockedKey, SSHKeyPassphrase: "key-s3cret", KnownHostsFile: trusted}},
		{
			name: "wrong passphrase", repo: locked.URL("repo.git"),
			auth:    source.Auth{SSHKeyFile: lockedKey, SSHKeyPassphrase: "wrong-s3cret", KnownHostsFile: trusted},
			wantErr: []string{"read ssh key " + lockedKey, "GRAFSYNC_GIT_SSH_KEY_PASSPHRASE"},
		},
		{
			name: "unknown host", repo: srv.URL("repo.git"), auth: source.Auth{SSHKeyFile: plainKey, KnownHostsFile: unknown},
			wantErr: []string{"connect to " + srv.URL("repo.git"), "is not in " + unknown, "ssh-keyscan -p " + port + " 127.0.0.1 >> " + unknown},
			hostErr: &source.HostKeyError{Host: srv.Addr, File: unknown},
		},
		{
			name: "changed host key", repo: srv.URL("repo.git"), auth: source.Auth{SSHKeyFile: plainKey, KnownHostsFile: changed},
			wantErr: []string{"does not match " + changed, "may be an attack"},
			hostErr: &source.HostKeyError{Host: srv.Addr, File: changed, Changed: true},
		},
		{
			name: "no known_hosts file", repo: srv.URL("repo.git"), auth: source.Auth{SSHKeyFile: plainKey, KnownHostsFile: filepath.Join(dir, "nope")},
			wantErr: []string{"known_hosts file " + filepath.Join(dir, "nope"), "create it with `ssh-keyscan"},
		},
		{
			name: "key not authorized", repo: srv.URL("repo.git"), auth: source.Auth{SSHKeyFile: strangerKey, KnownHostsFile: trusted},
			wantErr: []string{"ssh authentication failed for " + srv.URL("repo.git"), "GRAFSYNC_GIT_SSH_KEY"},
		},
		{
			name: "no such repository", repo: srv.URL("nope.git"), auth: source.Auth{SSHKeyFile: plainKey, KnownHostsFile: trusted},
			wantErr: []string{srv.URL("nope.git")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SSH_AUTH_SOCK", "")
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cache := t.TempDir()
			snap, err := source.Open(ctx, source.Options{Repo: tt.repo, Ref: "main", Auth: tt.auth, CacheDir: cache})
			assertNoSecretInFiles(t, cache, "s3cret")
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if snap.Revision != head {
					t.Errorf("Revision = %s, want %s", snap.Revision, head)
				}
				if got, err := readFile(snap, "dashboards/a.json"); err != nil || got != `{"title":"A"}` {
					t.Errorf("dashboards/a.json = %q, %v", got, err)
				}
				return
			}
			if err == nil {
				t.Fatal("Open succeeded, want an error")
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Open hung until the deadline: %v", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows a secret: %v", err)
			}
			for _, part := range tt.wantErr {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
			if tt.hostErr != nil {
				var he *source.HostKeyError
				if !errors.As(err, &he) {
					t.Fatalf("error %v is not a HostKeyError", err)
				}
				if he.Host != tt.hostErr.Host || he.File != tt.hostErr.File || he.Changed != tt.hostErr.Changed {
					t.Errorf("HostKeyError = %+v, want %+v", he, tt.hostErr)
				}
			}
		})
	}
}

func TestSSHWithoutCredentials(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := source.Open(t.Context(), source.Options{Repo: "ssh://git@127.0.0.1:1/x.git", CacheDir: t.TempDir(), Auth: source.Auth{KnownHostsFile: kh}})
	if err == nil || !strings.Contains(err.Error(), "set GRAFSYNC_GIT_SSH_KEY") {
		t.Errorf("Open over ssh without a key: error %v, want it to ask for GRAFSYNC_GIT_SSH_KEY", err)
	}
}

func TestSSHHonoursDeadline(t *testing.T) {
	// A server that accepts connections and never speaks: go-git's ssh
	// handshake does not watch the context, so this proves Open does.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	key, _ := sourcetest.NewSSHKey(t, "")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	write(t, kh, "")

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	repo := "ssh://git@" + ln.Addr().String() + "/x.git"
	for _, ref := range []string{"", "main"} {
		_, err = source.Open(ctx, source.Options{Repo: repo, Ref: ref, CacheDir: t.TempDir(),
			Auth: source.Auth{SSHKeyFile: key, KnownHostsFile: kh}})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Open(ref %q) against a silent ssh server: error %v, want the context's deadline", ref, err)
		}
		if !strings.Contains(err.Error(), repo) {
			t.Errorf("error %q does not name the repository", err)
		}
	}
}

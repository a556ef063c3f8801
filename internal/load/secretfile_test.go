package load

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSecretFiles: $__file{} reads a regular file inside a secrets directory
// and nothing else; the rules that protect the runner (/proc, /sys, /dev,
// .git, service-account tokens, grafsync's cache) hold whatever the secrets
// directories are, after symbolic links are resolved.
func TestSecretFiles(t *testing.T) {
	tmp := t.TempDir()
	secrets := filepath.Join(tmp, "secrets")
	outside := filepath.Join(tmp, "outside")
	cache := filepath.Join(tmp, "cache")
	for _, d := range []string{secrets, outside, cache, filepath.Join(secrets, "..2026_01"), filepath.Join(secrets, "repo", ".git"),
		filepath.Join(secrets, "kubernetes.io", "serviceaccount")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, name); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(secrets, "loki"), "pw-loki\n")
	write(filepath.Join(outside, "aws-credentials"), "aws")
	write(filepath.Join(cache, "token"), "cache")
	write(filepath.Join(secrets, "repo", ".git", "config"), "extraheader = AUTHORIZATION: basic x")
	write(filepath.Join(secrets, "kubernetes.io", "serviceaccount", "token"), "sa")
	write(filepath.Join(secrets, "big"), strings.Repeat("x", MaxSecretFileBytes+1))
	// A Kubernetes secret volume: key -> ..data/key, ..data -> ..2026_01.
	write(filepath.Join(secrets, "..2026_01", "tempo"), "pw-tempo")
	link("..2026_01", filepath.Join(secrets, "..data"))
	link("..data/tempo", filepath.Join(secrets, "tempo"))
	link("/proc/self/environ", filepath.Join(secrets, "environ"))
	link(filepath.Join(outside, "aws-credentials"), filepath.Join(secrets, "escape"))
	link(filepath.Join(secrets, "loki"), filepath.Join(outside, "into-secrets"))
	if err := syscall.Mkfifo(filepath.Join(secrets, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}

	sf := SecretFiles{Dirs: []string{secrets}, Refused: []string{cache}}
	tests := []struct {
		name string
		sf   SecretFiles
		path string
		want string // content, or "refused" / "outside" / "error"
	}{
		{"inside", sf, filepath.Join(secrets, "loki"), "pw-loki\n"},
		{"kubernetes secret volume links", sf, filepath.Join(secrets, "tempo"), "pw-tempo"},
		{"a link from outside into the secrets", sf, filepath.Join(outside, "into-secrets"), "pw-loki\n"},
		{"outside", sf, filepath.Join(outside, "aws-credentials"), "outside"},
		{"no secrets dir", SecretFiles{}, filepath.Join(secrets, "loki"), "outside"},
		{"proc even with / allowed", SecretFiles{Dirs: []string{"/"}}, "/proc/self/environ", "refused"},
		{"proc of another process", SecretFiles{Dirs: []string{"/"}}, "/proc/1/environ", "refused"},
		{"proc through dot-dot", sf, secrets + "/../../../../proc/self/environ", "refused"},
		{"sys", SecretFiles{Dirs: []string{"/"}}, "/sys/kernel/mm/transparent_hugepage/enabled", "refused"},
		{"dev", SecretFiles{Dirs: []string{"/"}}, "/dev/zero", "refused"},
		{"link to proc", sf, filepath.Join(secrets, "environ"), "refused"},
		{"link out of the secrets dir", sf, filepath.Join(secrets, "escape"), "error"},
		{"git directory", sf, filepath.Join(secrets, "repo", ".git", "config"), "refused"},
		{"service-account token", sf, filepath.Join(secrets, "kubernetes.io", "serviceaccount", "token"), "refused"},
		{"grafsync's cache", SecretFiles{Dirs: []string{tmp}, Refused: []string{cache}}, filepath.Join(cache, "token"), "refused"},
		{"fifo", sf, filepath.Join(secrets, "fifo"), "refused"},
		{"directory", sf, secrets, "refused"},
		{"too big", sf, filepath.Join(secrets, "big"), "refused"},
		{"relative", sf, "secrets/loki", "refused"},
		{"missing", sf, filepath.Join(secrets, "nope"), "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := tt.sf.ReadFile(tt.path)
			got := string(data)
			switch {
			case errors.Is(err, ErrRefusedFile):
				got = "refused"
			case errors.Is(err, errOutsideSecretsDirs):
				got = "outside"
			case err != nil:
				got = "error"
			}
			if got != tt.want {
				t.Errorf("ReadFile(%s) = %q, %v; want %s", tt.path, data, err, tt.want)
			}
		})
	}
}

// TestFileReferencesAreRefused: a $__file{} reference to the runner's
// process state is an error naming file, line, column and field, whether
// validating or applying, in every field; nothing of the file reaches the
// state. An unreadable file outside the secrets directories is, like an
// unset variable, a warning for validate and an error for apply.
func TestFileReferencesAreRefused(t *testing.T) {
	files := map[string]string{"datasources/a.yaml": dsProm + `    basicAuthUser: $__file{/proc/self/environ}
    url: http://x/$__file{/proc/1/cmdline}
    jsonData: {note: '$__file{/sys/class/net/lo/address}'}
    secureJsonData:
      basicAuthPassword: $__file{/proc/self/environ}
      httpHeaderValue1: $__file{/etc/hostname}
`}
	hint := "\n\thint: " + forbiddenFileHint
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprint("strict=", strict), func(t *testing.T) {
			st, problems := Load(mapFS(files), Options{Strict: strict, ReadFile: SecretFiles{Dirs: []string{"/"}, Refused: []string{"/etc"}}.ReadFile})
			want := []string{
				"datasources/a.yaml:6:20: datasources[0].basicAuthUser: file /proc/self/environ is refused: grafsync never reads it: nothing under /proc is a secret for Grafana" + hint,
				"datasources/a.yaml:7:10: datasources[0].url: file /proc/1/cmdline is refused: grafsync never reads it: nothing under /proc is a secret for Grafana" + hint,
				"datasources/a.yaml:8:22: datasources[0].jsonData.note: file /sys/class/net/lo/address is refused: grafsync never reads it: nothing under /sys is a secret for Grafana" + hint,
				"datasources/a.yaml:10:26: datasources[0].secureJsonData.basicAuthPassword: file /proc/self/environ is refused: grafsync never reads it: nothing under /proc is a secret for Grafana" + hint,
				"datasources/a.yaml:11:25: datasources[0].secureJsonData.httpHeaderValue1: file /etc/hostname is refused: grafsync never reads it: it is grafsync's own (/etc)" + hint,
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			ds := st.Orgs[0].Datasources[0]
			if ds.BasicAuthUser != "" || ds.URL != "http://x/" {
				t.Errorf("a refused file was read: basicAuthUser %q, url %q", ds.BasicAuthUser, ds.URL)
			}
		})
	}

	outside := map[string]string{"datasources/a.yaml": dsProm + "    secureJsonData:\n      basicAuthPassword: $__file{/run/secrets/loki}\n"}
	for _, strict := range []bool{false, true} {
		_, problems := Load(mapFS(outside), Options{Strict: strict, ReadFile: SecretFiles{}.ReadFile})
		warn := "warning: "
		if strict {
			warn = ""
		}
		want := []string{"datasources/a.yaml:7:26: " + warn + "datasources[0].secureJsonData.basicAuthPassword: file /run/secrets/loki is not read: it is not inside a --secrets-dir (none is set; pass --secrets-dir or set GRAFSYNC_SECRETS_DIR to the directory secrets are mounted in); the secret is not available"}
		if diff := cmp.Diff(want, shorts(problems)); diff != "" {
			t.Errorf("strict=%v problems (-want +got):\n%s", strict, diff)
		}
		if problems.HasErrors() != strict {
			t.Errorf("strict=%v: HasErrors() = %v", strict, problems.HasErrors())
		}
	}
}

// TestOwnCredentialEverySyntax: each of the runner's credentials is refused
// whichever syntax names it, and is never looked up.
func TestOwnCredentialEverySyntax(t *testing.T) {
	names := []string{"GRAFANA_TOKEN", "GRAFANA_TOKEN_TENANT", "GRAFANA_PASSWORD", "GRAFSYNC_GIT_PASSWORD", "GRAFSYNC_SECRETS_DIR",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "GITHUB_TOKEN", "GH_TOKEN",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_CACHE_TOKEN", "CI_JOB_TOKEN", "CI_JOB_JWT_V2"}
	for _, name := range names {
		for _, ref := range []string{"$" + name, "${" + name + "}", "$__env{" + name + "}", "x$$${" + name + "}"} {
			t.Run(ref, func(t *testing.T) {
				files := map[string]string{"datasources/a.yaml": dsProm + "    jsonData: {note: '" + ref + "'}\n"}
				var read []string
				st, problems := Load(mapFS(files), Options{Getenv: func(k string) string { read = append(read, k); return "hunter2" }})
				if len(problems) != 1 || !strings.Contains(problems[0].String(), "environment variable "+name+" holds credentials") {
					t.Errorf("problems: %v", problems)
				}
				if len(read) > 0 || strings.Contains(fmt.Sprint(st.Orgs[0].Datasources[0].JSONData), "hunter2") {
					t.Errorf("read %v", read)
				}
			})
		}
	}
	for _, name := range []string{"LOKI_PASSWORD", "GRAFANA_USER", "AWS_REGION", "ACTIONS_STEP_DEBUG", "CI_JOB_ID"} {
		if ownCredential(name) {
			t.Errorf("ownCredential(%s) = true, want false", name)
		}
	}
}

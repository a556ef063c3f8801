package source

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRemote(t *testing.T) {
	type parsed struct {
		Protocol, Host, Path, URL, Origin, User, Password string
	}
	tests := []struct {
		in   string
		want parsed
	}{
		{"https://github.com/org/repo.git", parsed{Protocol: "https", Host: "github.com", Path: "/org/repo.git",
			URL: "https://github.com/org/repo.git", Origin: "https://github.com/org/repo.git"}},
		{"https://bob:tok@git.example.com:8443/org/repo", parsed{Protocol: "https", Host: "git.example.com", Path: "/org/repo",
			URL: "https://git.example.com:8443/org/repo", Origin: "https://***@git.example.com:8443/org/repo", User: "bob", Password: "tok"}},
		{"git@github.com:org/repo.git", parsed{Protocol: "ssh", Host: "github.com", Path: "org/repo.git",
			URL: "git@github.com:org/repo.git", Origin: "git@github.com:org/repo.git"}},
		{"ssh://git@github.com:2222/org/repo.git", parsed{Protocol: "ssh", Host: "github.com", Path: "/org/repo.git",
			URL: "ssh://git@github.com:2222/org/repo.git", Origin: "ssh://git@github.com:2222/org/repo.git"}},
		{"file:///srv/git/repo.git", parsed{Protocol: "file", Path: "/srv/git/repo.git",
			URL: "file:///srv/git/repo.git", Origin: "file:///srv/git/repo.git"}},
	}
	for _, tt := range tests {
		r, err := parseRemote(tt.in)
		if err != nil {
			t.Errorf("parseRemote(%q): %v", tt.in, err)
			continue
		}
		got := parsed{Protocol: r.endpoint.Protocol, Host: r.endpoint.Host, Path: r.endpoint.Path,
			URL: r.url, Origin: r.origin, User: r.user, Password: r.password}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseRemote(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCacheName(t *testing.T) {
	name := func(repo string) string {
		t.Helper()
		r, err := parseRemote(repo)
		if err != nil {
			t.Fatal(err)
		}
		return r.cacheName()
	}
	same := [][]string{
		{"git@github.com:org/repo.git", "ssh://git@github.com/org/repo.git", "ssh://github.com/org/repo", "ssh://other@GitHub.com/org/repo.git/"},
		{"https://github.com/org/repo.git", "https://tok@github.com/org/repo", "https://u:p@github.com/org/repo.git"},
	}
	for _, group := range same {
		for _, repo := range group[1:] {
			if a, b := name(group[0]), name(repo); a != b {
				t.Errorf("cache of %s is %s, of %s is %s; want one cache", group[0], a, repo, b)
			}
		}
	}
	different := []string{"https://github.com/org/repo.git", "ssh://github.com/org/repo.git", "https://github.com/org/other.git", "https://github.com:8443/org/repo.git", "https://gitlab.com/org/repo.git"}
	seen := map[string]string{}
	for _, repo := range different {
		n := name(repo)
		if prev, ok := seen[n]; ok {
			t.Errorf("%s and %s share the cache %s", prev, repo, n)
		}
		seen[n] = repo
	}
	if got := name("https://github.com/org/repo.git"); got[:5] != "repo-" {
		t.Errorf("cache name %s does not start with the repository's name", got)
	}
}

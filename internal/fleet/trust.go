package fleet

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/grafsync/grafsync/internal/load"
)

// A fleet repository names both where each Grafana is and which environment
// variable holds its credentials, so a pull request could otherwise make a
// plan in CI send a token to a server of its choosing. Three rules hold
// (docs/hostile-repositories.md, limit 10):
//   - the runner's environment, never the repository, says which hosts may
//     receive credentials (HostPolicy; by default loopback only);
//   - an instance never takes its credentials (or its URL) from the runner's
//     own credentials (refusedVar);
//   - what Parse reads is bounded (the limits below) and stays inside the
//     repository (the snapshot's file system refuses links out of it).

// Limits on what Parse reads, far above a real fleet (hundreds of
// instances, a list file of a few hundred KB) and far below what exhausts
// a CI runner.
const (
	// MaxInstances is how many instances a fleet may declare.
	MaxInstances = 10_000
	// MaxListBytes is what the instancesFrom files may add up to (a file
	// named twice counts twice).
	MaxListBytes = 10 << 20
	// MaxValueBytes is the longest string of an instance (a url, a label,
	// a vars value) once ${item.FIELD} is substituted: vars hold tenant
	// ids, regions, names, and each ${fleet.KEY} is a copy of one.
	MaxValueBytes = 4 << 10
	// MaxFleetBytes is what the strings of all instances may add up to.
	MaxFleetBytes = 32 << 20
	// MaxParseValues is how many YAML values Parse may visit: an alias
	// counts as a copy of its anchor each time it is used, so a few
	// hundred bytes of nested aliases cannot make billions.
	MaxParseValues = 1_000_000
)

// refusedVar says why an instance may not read the environment variable
// name for its credentials or its URL, or returns "". The runner's own
// credentials are refused by the loader's list (load.OwnCredential), with
// one exception for credentials: GRAFANA_TOKEN_<X>, the documented name of
// an instance's token. Every AWS_* variable (the runner's cloud identity)
// and the single-Grafana settings GRAFANA_URL and GRAFANA_USER are refused
// too. The host allowlist is what keeps a token on the runner's hosts; this
// keeps the runner's own credentials off every instance.
func refusedVar(name string, credential bool) string {
	switch {
	case credential && strings.HasPrefix(name, "GRAFANA_TOKEN_") && len(name) > len("GRAFANA_TOKEN_"):
		return ""
	case load.OwnCredential(name):
		return "it holds grafsync's or the CI runner's own credentials"
	case strings.HasPrefix(name, "AWS_"):
		return "AWS_* variables hold the runner's cloud identity"
	case name == "GRAFANA_URL" || name == "GRAFANA_USER":
		return "it configures a single Grafana, never a fleet's instance"
	}
	return ""
}

// refusedVarHint says what to name instead.
const refusedVarHint = "give each instance variables of its own, e.g. token: ${GRAFANA_TOKEN_ACME} or user: ${ACME_USER} and password: ${ACME_PASSWORD}; GRAFANA_TOKEN, GRAFANA_PASSWORD, GRAFANA_USER, GRAFANA_URL, GRAFSYNC_*, AWS_*, GITHUB_TOKEN, GH_TOKEN, ACTIONS_*_TOKEN, CI_JOB_TOKEN and CI_JOB_JWT* are refused (docs/hostile-repositories.md)"

// EnvAllowedHosts names the variable holding the hosts that may receive an
// instance's credentials; --allowed-hosts overrides it.
const EnvAllowedHosts = "GRAFSYNC_ALLOWED_HOSTS"

// HostPolicy is the set of hosts the runner lets receive an instance's
// credentials. The zero value allows loopback only ("localhost" and
// literal loopback addresses), so `grafsync sandbox --instances N` works
// with nothing set and a repository cannot reach any other host.
type HostPolicy struct {
	patterns []hostPattern
	// from names where the list came from, for messages.
	from string
}

type hostPattern struct {
	host     string // lower case; an IP address in its canonical form
	wildcard bool   // "*.host": one more label in front of host
	port     string // "" for any port
}

var hostLabelRe = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$`)

// ParseAllowedHosts reads a list of host patterns, each
// "grafana.example.com" (any port), "grafana.example.com:3000",
// "*.grafana.example.com" (exactly one label in front; not the host
// itself), an IP address, "[::1]:3000". Entries are separated by commas or
// white space; from names the setting in messages. An empty list is the
// loopback-only default.
func ParseAllowedHosts(list []string, from string) (HostPolicy, error) {
	pol := HostPolicy{from: from}
	for _, item := range list {
		for _, e := range strings.FieldsFunc(item, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
			p, err := parseHostPattern(strings.ToLower(e))
			if err != nil {
				return HostPolicy{}, fmt.Errorf("%s: %q: %w", from, e, err)
			}
			pol.patterns = append(pol.patterns, p)
		}
	}
	return pol, nil
}

func parseHostPattern(e string) (hostPattern, error) {
	if strings.Contains(e, "/") || strings.Contains(e, "@") {
		return hostPattern{}, errors.New("write a host, a host:port or *.domain, e.g. grafana.example.com or *.grafana.example.com, without a scheme or path")
	}
	var p hostPattern
	host := e
	switch {
	case strings.HasPrefix(e, "["):
		h, port, err := net.SplitHostPort(e)
		if err != nil {
			h, port = strings.TrimSuffix(strings.TrimPrefix(e, "["), "]"), ""
		}
		host, p.port = h, port
	case strings.Count(e, ":") == 1:
		h, port, err := net.SplitHostPort(e)
		if err != nil {
			return hostPattern{}, err
		}
		host, p.port = h, port
	}
	if p.port != "" {
		if n, err := strconv.Atoi(p.port); err != nil || n < 1 || n > 65535 {
			return hostPattern{}, fmt.Errorf("port %q: want 1 to 65535", p.port)
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		p.host = ip.String()
		return p, nil
	}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		if !strings.Contains(rest, ".") {
			return hostPattern{}, errors.New("a wildcard needs a domain of at least two labels (*.grafana.example.com, not *.com)")
		}
		p.wildcard, host = true, rest
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if !hostLabelRe.MatchString(l) {
			return hostPattern{}, errors.New("not a host name: use letters, digits, '-' and '.', and '*' only as the whole first label (*.grafana.example.com)")
		}
	}
	p.host = host
	return p, nil
}

// Allows reports whether u's host may receive credentials. Host names are
// compared as written (lower case): "localhost." is not "localhost", and a
// name is never resolved to decide (DNS could answer differently when the
// request is made).
func (pol HostPolicy) Allows(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	if ip := net.ParseIP(host); ip != nil {
		host = ip.String()
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if len(pol.patterns) == 0 {
		ip := net.ParseIP(host)
		return host == "localhost" || ip != nil && ip.IsLoopback()
	}
	for _, p := range pol.patterns {
		if p.port != "" && p.port != port {
			continue
		}
		if !p.wildcard && host == p.host {
			return true
		}
		if sub, ok := strings.CutSuffix(host, "."+p.host); p.wildcard && ok && sub != "" && !strings.Contains(sub, ".") {
			return true
		}
	}
	return false
}

// String says what is allowed, for messages.
func (pol HostPolicy) String() string {
	if len(pol.patterns) == 0 {
		return "loopback only (" + EnvAllowedHosts + " is not set)"
	}
	var out []string
	for _, p := range pol.patterns {
		h := p.host
		if p.wildcard {
			h = "*." + h
		}
		if p.port != "" {
			h = net.JoinHostPort(h, p.port)
		}
		out = append(out, h)
	}
	return strings.Join(out, ", ") + " (" + pol.from + ")"
}

// HostRefusedError is an instance URL whose host the runner does not let
// receive credentials. It names the URL as the repository wrote it, never
// its expansion, and the host only when the repository wrote it: a host
// made from ${NAME} could otherwise print any variable's value into a pull
// request's CI log.
type HostRefusedError struct {
	Instance Instance
	Raw      string // the url as written in the repository
	Host     string // the host it expands to; "" when it comes from the environment
	Policy   HostPolicy
}

func (e *HostRefusedError) Error() string {
	host := e.Host
	if host == "" {
		host = "the host its ${NAME} references give (not shown: it comes from the environment)"
	}
	return fmt.Sprintf("instance %s (%s): url %s sends the instance's credentials to %s, which this runner does not allow; allowed: %s. If that host is yours, add it to %s (or --allowed-hosts) in the environment grafsync runs in, never in the repository",
		e.Instance.Name, e.Instance.Source, e.Raw, host, e.Policy, EnvAllowedHosts)
}

// hostFromEnv reports whether the scheme://host[:port] part of a URL as
// written holds a ${NAME} reference.
func hostFromEnv(raw string) bool {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return strings.Contains(raw, "${") // the whole URL from a variable
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return strings.Contains(scheme, "${") || strings.Contains(rest, "${")
}

// TrustedURLs resolves the instance's URLs (ResolveURLs) and refuses any
// whose host pol does not allow, with a *HostRefusedError: nothing is sent
// to an instance until this returned its URLs.
func (in Instance) TrustedURLs(getenv func(string) string, pol HostPolicy) ([]string, error) {
	urls, err := in.ResolveURLs(getenv)
	if err != nil {
		return nil, err
	}
	for i, s := range urls {
		u, err := url.Parse(s)
		if err != nil { // ResolveURLs parsed it already
			return nil, err
		}
		if !pol.Allows(u) {
			e := &HostRefusedError{Instance: in, Raw: in.URLs[i], Host: u.Host, Policy: pol}
			if hostFromEnv(in.URLs[i]) {
				e.Host = ""
			}
			return nil, e
		}
	}
	return urls, nil
}

// readBounded reads a repository file that Parse needs, refusing what is
// not a regular file (a named pipe would block) or larger than limit. The
// snapshot's file system refuses symbolic links out of the repository
// (os.Root for a directory, the tree itself for a Git ref).
func readBounded(fsys fs.FS, name string, limit int64) ([]byte, error) {
	fi, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s, not a regular file", load.DescribeMode(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%d bytes, more than the %d grafsync reads from it", fi.Size(), limit)
	}
	return readAtMost(fsys, name, limit)
}

// readAtMost reads a file known to be regular, refusing one that grew past
// limit since it was stat'ed.
func readAtMost(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than the %d bytes grafsync reads from it", limit)
	}
	return data, nil
}

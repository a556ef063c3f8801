package grafana

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config says how to reach Grafana. Exactly one form of credentials is used:
// a service-account token, or a user and password (basic auth).
type Config struct {
	URLs     []string // one base URL per replica, e.g. https://grafana.example.com
	Token    string   // service-account token (GRAFANA_TOKEN); never logged
	User     string   // basic auth (GRAFANA_USER)
	Password string   // basic auth (GRAFANA_PASSWORD); never logged
	OrgID    int64    // sent as X-Grafana-Org-Id when > 0

	Concurrency int // requests in flight at once; default 4
	// Timeout bounds one attempt's wait for Grafana's response headers
	// (connecting included); default DefaultTimeout. A replica that does not
	// answer in time is skipped like one that refuses connections, and the
	// attempt moves to the next replica. The body is not bounded by it (a
	// large dashboard may arrive slowly); the caller's context bounds it.
	Timeout time.Duration
	// HealthTimeout bounds a health probe's (/api/health) attempt when
	// shorter than Timeout: Grafana answers it at once when it is up;
	// default DefaultHealthTimeout.
	HealthTimeout time.Duration
	Retry         RetryPolicy

	Logger *slog.Logger // default: discard
	// Transport is the base round tripper (tests may inject faults); default
	// a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// OnResponse, when set, is called with every response status (0 for a
	// failed attempt), e.g. to count Grafana requests by status code.
	OnResponse func(status int)

	// API chooses the path for dashboards and folders: APIAuto (detect),
	// APILegacy (/api) or APIK8s (/apis). See apis.go.
	API string
	// LockDashboards writes managerAllowsEdits=false on /apis: Grafana then
	// refuses edits by people in the UI (Terraform's allow_ui_updates=false).
	LockDashboards bool
}

// RetryPolicy bounds retries of one request.
type RetryPolicy struct {
	MaxAttempts int           // including the first; default 6
	MinWait     time.Duration // first backoff; default 100ms
	MaxWait     time.Duration // cap on one wait, also on Retry-After; default 15s
}

// DefaultConcurrency is gentle enough for a small Grafana on one SQLite file.
const DefaultConcurrency = 4

// DefaultTimeout is how long an attempt waits for response headers: well
// beyond any API call of a healthy Grafana (a large dashboard save or a
// 5000-hit search page takes seconds; the body's transfer is not counted),
// short enough to leave a hung replica quickly.
const DefaultTimeout = 15 * time.Second

// DefaultHealthTimeout bounds a health probe's attempt.
const DefaultHealthTimeout = 5 * time.Second

func (c Config) withDefaults() Config {
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.HealthTimeout <= 0 {
		c.HealthTimeout = DefaultHealthTimeout
	}
	if c.Retry.MaxAttempts <= 0 {
		c.Retry.MaxAttempts = 6
	}
	if c.Retry.MinWait <= 0 {
		c.Retry.MinWait = 100 * time.Millisecond
	}
	if c.Retry.MaxWait <= 0 {
		c.Retry.MaxWait = 15 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Keep a connection per request in flight: with Go's default of 2
		// idle connections per host, every request beyond the second
		// opens a new connection and closes it after.
		t.MaxIdleConnsPerHost = max(c.Concurrency, http.DefaultMaxIdleConnsPerHost)
		c.Transport = t
	}
	return c
}

// ErrNoURL is returned when no Grafana URL was given. grafsync never falls
// back to a default Grafana: an explicit URL (or --sandbox) is required.
var ErrNoURL = errors.New("no Grafana URL: set GRAFANA_URL or pass --grafana-url (several replicas: comma-separated); to try grafsync without a Grafana, use --sandbox")

// ErrNoCredentials is returned when neither a token nor a user is given.
var ErrNoCredentials = errors.New("no Grafana credentials: set GRAFANA_TOKEN to a service-account token with the Admin role (or GRAFANA_USER and GRAFANA_PASSWORD)")

// parseURLs checks every replica URL and strips trailing slashes and a
// trailing /api (the API's address, where Grafana's is meant; grafsync adds
// /api itself), reporting the latter in apiSuffix. All replicas must share
// one scheme and base path (they sit behind one load balancer path in a
// real deployment).
func parseURLs(raw []string) (urls []*url.URL, apiSuffix bool, err error) {
	var out []*url.URL
	for _, r := range raw {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, false, fmt.Errorf("grafana url %q: want http(s)://host[:port][/path]", redact(r))
		}
		if u.User != nil {
			return nil, false, fmt.Errorf("grafana url %q: put credentials in GRAFANA_TOKEN or GRAFANA_USER/GRAFANA_PASSWORD, not in the URL", redact(r))
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		if p, ok := strings.CutSuffix(u.Path, "/api"); ok {
			u.Path, u.RawPath, apiSuffix = p, "", true
		}
		if len(out) > 0 && (u.Scheme != out[0].Scheme || u.Path != out[0].Path) {
			return nil, false, fmt.Errorf("grafana url %q: every replica must use the scheme and path of %s", u, out[0])
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, false, ErrNoURL
	}
	return out, apiSuffix, nil
}

// redact removes userinfo from a URL string for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = url.User("REDACTED")
	return u.String()
}

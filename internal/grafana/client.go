package grafana

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-openapi/runtime"
	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	goapi "github.com/grafana/grafana-openapi-client-go/client"
	"github.com/grafana/grafana-openapi-client-go/client/health"
	"github.com/grafana/grafana-openapi-client-go/client/signed_in_user"
)

// Client is a Grafana API client bound to one org and one set of credentials.
// It is safe for concurrent use; Concurrency bounds how many of its requests
// are in flight at once.
type Client struct {
	api  *goapi.GrafanaHTTPAPI
	reps *replicas
	sem  chan struct{}
	cfg  Config
	k8s  *apisState // the /apis detection (apis.go)
}

// New checks cfg and builds a client. It makes no request.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	urls, apiSuffix, err := parseURLs(cfg.URLs)
	if err != nil {
		return nil, err
	}
	if apiSuffix {
		cfg.Logger.Warn("the Grafana URL ends in /api; grafsync adds /api itself, so it uses the URL without it (set GRAFANA_URL to Grafana's address, as in a browser)", "url", urls[0].String())
	}
	if cfg.Token == "" && cfg.User == "" {
		return nil, ErrNoCredentials
	}
	if cfg.Token != "" && cfg.User != "" {
		return nil, fmt.Errorf("both GRAFANA_TOKEN and GRAFANA_USER are set: use one form of credentials")
	}
	reps := newReplicas(urls, cfg.Logger)
	httpClient := &http.Client{Transport: newTransport(cfg, reps), CheckRedirect: checkRedirect}
	base := urls[0]
	rt := httptransport.NewWithClient(base.Host, base.Path+goapi.DefaultBasePath, []string{base.Scheme}, httpClient)
	// The generated default consumer decodes numbers as json.Number; plain
	// float64 keeps dashboard JSON comparable with what Git holds.
	rt.Consumers[runtime.JSONMime] = runtime.ConsumerFunc(func(r io.Reader, v any) error {
		return json.NewDecoder(r).Decode(v)
	})
	auth := []runtime.ClientAuthInfoWriter{}
	if cfg.Token != "" {
		auth = append(auth, httptransport.BearerToken(cfg.Token))
	} else {
		auth = append(auth, httptransport.BasicAuth(cfg.User, cfg.Password))
	}
	if cfg.OrgID > 0 {
		org := strconv.FormatInt(cfg.OrgID, 10)
		auth = append(auth, runtime.ClientAuthInfoWriterFunc(func(r runtime.ClientRequest, _ strfmt.Registry) error {
			return r.SetHeaderParam(goapi.OrgIDHeader, org)
		}))
	}
	rt.DefaultAuthentication = httptransport.Compose(auth...)
	tc := goapi.DefaultTransportConfig().WithHost(base.Host).WithBasePath(base.Path + goapi.DefaultBasePath).WithSchemes([]string{base.Scheme})
	tc.OrgID = cfg.OrgID
	return &Client{
		api:  goapi.New(rt, tc, strfmt.Default),
		reps: reps,
		sem:  make(chan struct{}, cfg.Concurrency),
		cfg:  cfg,
		k8s:  &apisState{},
	}, nil
}

// Concurrency is how many requests the client runs at once.
func (c *Client) Concurrency() int { return cap(c.sem) }

// acquire takes one of the Concurrency slots, or fails when ctx ends first.
func (c *Client) acquire(ctx context.Context) (func(), error) {
	select {
	case c.sem <- struct{}{}:
		return func() { <-c.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Health is what /api/health reports.
type Health struct {
	Version  string
	Commit   string
	Database string
}

// Health asks the first live replica for /api/health. It needs no
// credentials; each attempt waits HealthTimeout for an answer.
func (c *Client) Health(ctx context.Context) (Health, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return Health{}, err
	}
	defer release()
	ok, err := c.api.Health.GetHealthWithParams(health.NewGetHealthParamsWithContext(withAttemptTimeout(ctx, c.cfg.HealthTimeout)))
	if err != nil {
		return Health{}, c.wrap(err, "check health")
	}
	p := ok.GetPayload()
	return Health{Version: p.Version, Commit: p.Commit, Database: p.Database}, nil
}

// URLs lists the replica URLs in the order they are tried.
func (c *Client) URLs() []string {
	out := make([]string, len(c.reps.urls))
	for i, u := range c.reps.urls {
		out[i] = (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	}
	return out
}

func (c *Client) String() string { return "grafana " + strings.Join(c.URLs(), ",") }

// Identity is who the credentials are, in which org.
type Identity struct {
	ID          int64 // the user's or service account's id
	Login       string
	Name        string // display name; a service account's is what 11.5+ shows as createdBy
	OrgID       int64
	ServerAdmin bool
	UID         string // on /apis, createdBy shows "user:<uid>" or "service-account:<uid>"
}

// Whoami asks Grafana who the credentials belong to (/api/user).
func (c *Client) Whoami(ctx context.Context) (Identity, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return Identity{}, err
	}
	defer release()
	ok, err := c.api.SignedInUser.GetSignedInUserWithParams(signed_in_user.NewGetSignedInUserParamsWithContext(ctx))
	if err != nil {
		return Identity{}, c.wrap(err, "check credentials")
	}
	p := ok.GetPayload()
	return Identity{ID: p.ID, Login: p.Login, Name: p.Name, OrgID: p.OrgID, ServerAdmin: p.IsGrafanaAdmin, UID: p.UID}, nil
}

package grafana

import (
	"context"
	"errors"
	"time"

	"github.com/grafana/grafana-openapi-client-go/client/datasources"
)

// DatasourceRef is a datasource as Grafana's list names it.
type DatasourceRef struct {
	UID, Name, Type string
}

// ListDatasources lists the datasources of the client's org (one request;
// §6.1): enough to find a datasource by uid or name, without reading each.
func (c *Client) ListDatasources(ctx context.Context) ([]DatasourceRef, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ok, err := c.api.Datasources.GetDataSourcesWithParams(datasources.NewGetDataSourcesParamsWithContext(ctx))
	if err != nil {
		return nil, c.wrap(err, "list datasources")
	}
	var out []DatasourceRef
	for _, d := range ok.GetPayload() {
		out = append(out, DatasourceRef{UID: d.UID, Name: d.Name, Type: d.Type})
	}
	return out, nil
}

// HealthCheckAttemptTimeout bounds one attempt of a datasource health
// check, which waits on the plugin's own query (Grafana's datasource HTTP
// timeout is 30 s by default, and CloudWatch makes two AWS calls): longer
// than Config.Timeout, which a healthy API call never needs.
const HealthCheckAttemptTimeout = 60 * time.Second

// DatasourceHealth is the result of a datasource's own health check, as
// its plugin reported it through Grafana (§6.6).
type DatasourceHealth struct {
	OK bool
	// Message is the plugin's own message, e.g. "Successfully queried the
	// Prometheus API." or why the datasource does not work.
	Message string
}

// CheckDatasourceHealth asks Grafana to run the health check of the
// datasource uid (GET /api/datasources/uid/:uid/health). Grafana answers a
// check that ran with 200 (status OK) or 400 (status ERROR, the plugin's
// message): both are a DatasourceHealth, not an error. Anything else — the
// datasource or its plugin not found, no permission, Grafana unreachable —
// is an error (an *APIError when Grafana answered). The request only reads;
// an attempt may wait HealthCheckAttemptTimeout for Grafana's answer.
func (c *Client) CheckDatasourceHealth(ctx context.Context, uid string) (DatasourceHealth, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return DatasourceHealth{}, err
	}
	defer release()
	ok, err := c.api.Datasources.CheckDatasourceHealthWithUIDWithParams(
		datasources.NewCheckDatasourceHealthWithUIDParamsWithContext(withSlowAttempt(ctx, HealthCheckAttemptTimeout)).WithUID(uid))
	if err == nil {
		return DatasourceHealth{OK: true, Message: ok.GetPayload().Message}, nil
	}
	var bad *datasources.CheckDatasourceHealthWithUIDBadRequest
	if errors.As(err, &bad) && bad.GetPayload() != nil && bad.GetPayload().Status != "" {
		// The plugin's own verdict: {"status":"ERROR","message":...}. A
		// 400 without status is Grafana refusing the request (bad uid).
		h := DatasourceHealth{}
		if m := bad.GetPayload().Message; m != nil {
			h.Message = *m
		}
		return h, nil
	}
	return DatasourceHealth{}, c.wrap(err, "check datasource "+uid)
}

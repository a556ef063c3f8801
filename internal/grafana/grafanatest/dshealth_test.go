package grafanatest

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/iam"
)

const (
	cloudwatchOK = "1. Successfully queried the CloudWatch metrics API.\n2. Successfully queried the CloudWatch logs API."
	prodRole     = "arn:aws:iam::111111111111:role/grafana/grafana-cloudwatch-read"
	prodExtID    = "grafsync-5e648ea6275341b6cfdbfe160c30a36c" // roles/generated of this repository
)

// §6.6 and dshealth.go's reading of pkg/api/datasources.go
// (checkDatasourceHealth) and each plugin's CheckHealth: 200 with status OK
// and the plugin's own message; an invalid uid 400; an unknown uid 500 (the
// datasource cache does not tell not-found apart); a type without an
// installed plugin 404 plugin.notRegistered; any org role may check
// (datasources:query).
func TestDatasourceHealthAnswers(t *testing.T) {
	e, admin := newClient(t, Options{})
	mustSeed(t, e, 1, DatasourceSpec{UID: "thanos", Name: "Thanos", Type: "prometheus", URL: "http://thanos:10902"})
	mustSeed(t, e, 1, DatasourceSpec{UID: "loki", Name: "Loki", Type: "loki"})
	mustSeed(t, e, 1, DatasourceSpec{UID: "tempo", Name: "Tempo", Type: "tempo"})
	mustSeed(t, e, 1, DatasourceSpec{UID: "cw", Name: "CW", Type: "cloudwatch"})
	mustSeed(t, e, 1, DatasourceSpec{UID: "odd", Name: "Odd", Type: "acme-odd-datasource"})
	viewer := admin.token(e, 1, "Viewer")
	tests := []struct {
		uid    string
		status int
		want   map[string]any
	}{
		{"thanos", 200, map[string]any{"status": "OK", "message": "Successfully queried the Prometheus API."}},
		{"loki", 200, map[string]any{"status": "OK", "message": "Data source successfully connected."}},
		{"tempo", 200, map[string]any{"status": "OK", "message": "Data source is working"}},
		{"cw", 200, map[string]any{"status": "OK", "message": cloudwatchOK}},
		{"odd", 404, map[string]any{"message": "Plugin not found", "messageId": "plugin.notRegistered", "statusCode": 404.0}},
		{"nope", 500, map[string]any{"message": "Unable to load datasource metadata"}},
		{url.PathEscape("bad uid"), 400, map[string]any{"message": "UID is invalid"}},
	}
	for _, tt := range tests {
		viewer.expect("GET", "/api/datasources/uid/"+tt.uid+"/health", nil, tt.status, tt.want)
	}
	admin.as("").expect("GET", "/api/datasources/uid/thanos/health", nil, http.StatusUnauthorized, nil)
	if n := e.Writes(); n != 0 {
		t.Errorf("health checks made %d writes", n)
	}
}

// A failing check is the plugin's answer: 400 {"status":"ERROR"} in the
// plugin's wording (dshealth.go cites each CheckHealth); healing it, and a
// fault set before the datasource exists, behave as expected.
func TestDatasourceHealthFault(t *testing.T) {
	e, admin := newClient(t, Options{})
	e.SetHealthFault("thanos", &HealthFault{})
	mustSeed(t, e, 1, DatasourceSpec{UID: "thanos", Name: "Thanos", Type: "prometheus", URL: "http://thanos:10902/", JSONData: map[string]any{"httpMethod": "GET"}})
	mustSeed(t, e, 1, DatasourceSpec{UID: "prom-pw", Name: "Prom", Type: "prometheus", URL: "https://grafana:s3cret@prom.example.com"})
	mustSeed(t, e, 1, DatasourceSpec{UID: "loki", Name: "Loki", Type: "loki", URL: "http://loki:3100"})
	mustSeed(t, e, 1, DatasourceSpec{UID: "tempo", Name: "Tempo", Type: "tempo", URL: "http://tempo:3200"})
	mustSeed(t, e, 1, DatasourceSpec{UID: "tempo2", Name: "Tempo 2", Type: "tempo", URL: "http://tempo:3200"})
	mustSeed(t, e, 1, DatasourceSpec{UID: "cw", Name: "CW", Type: "cloudwatch", JSONData: map[string]any{"defaultRegion": "eu-west-1"}})
	e.SetHealthFault("prom-pw", &HealthFault{})
	e.SetHealthFault("loki", &HealthFault{Message: "401 Unauthorized: no org id"})
	e.SetHealthFault("tempo", &HealthFault{Message: "404 Not Found"})
	e.SetHealthFault("tempo2", &HealthFault{})
	e.SetHealthFault("cw", &HealthFault{})
	tests := []struct{ uid, message string }{
		{"thanos", `Get "http://thanos:10902/api/v1/query": dial tcp thanos:10902: connect: connection refused - There was an error returned querying the Prometheus API.`},
		// net/http redacts a URL's password in its errors.
		{"prom-pw", `Post "https://grafana:***@prom.example.com/api/v1/query": dial tcp prom.example.com:443: connect: connection refused - There was an error returned querying the Prometheus API.`},
		{"loki", "Unable to connect with Loki. Please check the server logs for more details."},
		{"tempo", "404 Not Found"},
		{"tempo2", "dial tcp tempo:3200: connect: connection refused"},
		{"cw", "1. CloudWatch metrics query failed: dial tcp: lookup monitoring.eu-west-1.amazonaws.com: no such host\n2. CloudWatch logs query failed: dial tcp: lookup logs.eu-west-1.amazonaws.com: no such host"},
	}
	for _, tt := range tests {
		admin.expect("GET", "/api/datasources/uid/"+tt.uid+"/health", nil, 400, map[string]any{"status": "ERROR", "message": tt.message})
	}
	e.SetHealthFault("thanos", nil)
	admin.expect("GET", "/api/datasources/uid/thanos/health", nil, 200, map[string]any{"status": "OK"})
}

// A slow check holds back only its own answer: the emulator's lock is not
// held while it waits, and the client giving up ends it.
func TestDatasourceHealthDelay(t *testing.T) {
	e, admin := newClient(t, Options{})
	mustSeed(t, e, 1, DatasourceSpec{UID: "loki", Name: "Loki", Type: "loki"})
	e.SetHealthFault("loki", &HealthFault{Delay: time.Hour})
	rep, err := e.StartReplica("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", rep.URL()+"/api/datasources/uid/loki/health", nil)
		req.SetBasicAuth("admin", "admin")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// Wait until the slow check is in the handler, then write: a lock
	// held by the check would block this for the test's whole timeout.
	for e.healthWaits.Load() == 0 {
		select {
		case err := <-done:
			t.Fatalf("the delayed check ended before it waited: %v", err)
		default:
			runtime.Gosched()
		}
	}
	admin.expect("POST", "/api/datasources", lokiBody("Loki 2", "loki2"), 200, nil)
	cancel()
	if err := <-done; err == nil {
		t.Error("the delayed check answered before its client gave up")
	}
}

// The CloudWatch rehearsal: with the repository's own roles/generated,
// sts:AssumeRole succeeds only for the role and external id the trust
// policy names (reference §2.1, §2.2); otherwise both calls of the health
// check fail with STS's AccessDenied as aws-sdk-go-v2 reports it.
func TestDatasourceHealthCloudWatchAssumeRole(t *testing.T) {
	d, err := iam.ReadDeployed(os.DirFS("../../../roles/generated"))
	if err != nil {
		t.Fatal(err)
	}
	task, err := d.TrustedPrincipal()
	if err != nil {
		t.Fatal(err)
	}
	e, admin := newClient(t, Options{AWS: &AWSRoles{Deployed: d, TaskRoleARN: task}})
	cw := func(uid string, jd map[string]any) {
		jd["authType"] = "default"
		mustSeed(t, e, 1, DatasourceSpec{UID: uid, Name: uid, Type: "cloudwatch", JSONData: jd})
	}
	cw("ok", map[string]any{"assumeRoleArn": prodRole, "externalId": prodExtID})
	cw("ok-arn-case", map[string]any{"assumeRoleARN": prodRole, "externalId": prodExtID})
	cw("no-role", map[string]any{})
	cw("bad-ext", map[string]any{"assumeRoleArn": prodRole, "externalId": "grafsync-wrong"})
	cw("no-ext", map[string]any{"assumeRoleArn": prodRole})
	cw("bad-role", map[string]any{"assumeRoleArn": "arn:aws:iam::111111111111:role/grafana/renamed", "externalId": prodExtID})
	for _, uid := range []string{"ok", "ok-arn-case", "no-role"} {
		admin.expect("GET", "/api/datasources/uid/"+uid+"/health", nil, 200, map[string]any{"status": "OK", "message": cloudwatchOK})
	}
	denied := func(role, requestID string) string {
		cause := "get identity: get credentials: failed to refresh cached credentials, operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: " + requestID +
			", api error AccessDenied: User: arn:aws:sts::999999999999:assumed-role/grafana-task/grafsync-sandbox is not authorized to perform: sts:AssumeRole on resource: " + role
		return "1. CloudWatch metrics query failed: operation error CloudWatch: ListMetrics, " + cause +
			"\n2. CloudWatch logs query failed: operation error CloudWatch Logs: DescribeLogGroups, " + cause
	}
	for _, tt := range []struct{ uid, role string }{
		{"bad-ext", prodRole}, {"no-ext", prodRole}, {"bad-role", "arn:aws:iam::111111111111:role/grafana/renamed"},
	} {
		got := admin.expect("GET", "/api/datasources/uid/"+tt.uid+"/health", nil, 400, map[string]any{"status": "ERROR"})
		msg, _ := got["message"].(string)
		id := requestIDOf(msg)
		if want := denied(tt.role, id); msg != want || len(id) != 36 {
			t.Errorf("%s: message\n%s\nwant\n%s", tt.uid, msg, want)
		}
	}
}

// requestIDOf cuts the STS request id out of a message.
func requestIDOf(msg string) string {
	const k = "RequestID: "
	for i := 0; i+len(k) <= len(msg); i++ {
		if msg[i:i+len(k)] == k {
			rest := msg[i+len(k):]
			for j := range rest {
				if rest[j] == ',' {
					return rest[:j]
				}
			}
		}
	}
	return ""
}

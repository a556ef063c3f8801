package grafanatest

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/grafsync/grafsync/internal/iam"
)

// Reference §6.6: GET /api/datasources/uid/:uid/health runs the
// datasource plugin's own health check. The handler, as read in Grafana's
// source (pkg/api/datasources.go: CheckDatasourceHealthWithUID, then
// checkDatasourceHealth):
//
//   - a uid that is not a valid short uid: 400 {"message":"UID is invalid"};
//   - the datasource is loaded through the datasource cache, whose
//     not-found error is not told apart: 500 {"message":"Unable to load
//     datasource metadata"};
//   - a type with no installed plugin: pluginContextProvider.GetWithDataSource
//     fails with plugins.ErrPluginNotRegistered, an errutil NotFound whose
//     public message is "Plugin not found", answered through
//     response.ErrOrFallback (pkg/plugins/errors.go; 11.x/12.x): 404
//     {"message":"Plugin not found","messageId":"plugin.notRegistered",...};
//   - otherwise the plugin's CheckHealth runs, and its result is answered as
//     {"status":"OK"|"ERROR","message":...,"details"?}: 200 when the status
//     is OK, 400 otherwise (never 5xx: a failing check is the plugin's
//     answer, not Grafana's error).
//
// Per plugin (the CheckHealth functions read in Grafana's source):
//
//   - prometheus (pkg/promlib healthcheck.go: an instant query 1+1): OK
//     "Successfully queried the Prometheus API."; on error "<error> - There
//     was an error returned querying the Prometheus API.";
//   - loki (pkg/tsdb/loki healthcheck.go: an instant query vector(1)+vector(1)):
//     OK "Data source successfully connected."; on error only "Unable to
//     connect with Loki. Please check the server logs for more details."
//     (the cause is logged, never answered);
//   - cloudwatch (pkg/tsdb/cloudwatch CheckHealth: ListMetrics, then
//     DescribeLogGroups, each reported on its own line): "1. Successfully
//     queried the CloudWatch metrics API.\n2. Successfully queried the
//     CloudWatch logs API.", a failing call's line reads "CloudWatch metrics
//     query failed: <error>" / "CloudWatch logs query failed: <error>";
//   - tempo and the other core plugins: OK "Data source is working" (what
//     Grafana answers for Tempo); their error wording was not located, so a
//     fault's message is answered as given.
//
// The emulator has no datasources behind it: every check succeeds unless
// SetHealthFault made it fail (or, for CloudWatch, AWSRoles denies the
// role). A fault's Delay holds the answer back without holding the
// emulator's lock, as a slow datasource holds up only its own check.
func (e *Emulator) datasourceHealthRoutes() {
	e.handle("GET /api/datasources/uid/{uid}/health", func(w http.ResponseWriter, r *http.Request) {
		e.mu.RLock()
		var ans *healthAnswer
		if id := e.authenticate(w, r); id != nil {
			ans = e.datasourceHealth(&call{w: w, r: r, id: id})
		}
		e.mu.RUnlock()
		if ans == nil {
			return
		}
		if ans.delay > 0 {
			e.healthWaits.Add(1)
			defer e.healthWaits.Add(-1)
			t := time.NewTimer(ans.delay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
		}
		body := map[string]any{"status": ans.status, "message": ans.message}
		code := http.StatusOK
		if ans.status != healthOK {
			code = http.StatusBadRequest
		}
		writeJSON(w, code, body)
	})
}

// Health statuses of a plugin's CheckHealthResult (backend.HealthStatus).
const (
	healthOK    = "OK"
	healthError = "ERROR"
)

// healthAnswer is a plugin's health check result, written once the
// emulator's lock is released.
type healthAnswer struct {
	status, message string
	delay           time.Duration
}

// HealthFault makes a datasource's health check fail, as its plugin does
// when the datasource is down or misconfigured.
type HealthFault struct {
	// Message is the error the plugin runs into; "" is a refused connection
	// to the datasource's URL. The plugin wraps it in its own wording (Loki
	// hides it).
	Message string
	// Delay holds the answer back (a slow datasource); the client giving
	// up cancels it.
	Delay time.Duration
}

// SetHealthFault makes the health check of the datasource with this uid,
// in every org, fail (now, or once it is created); nil heals it.
func (e *Emulator) SetHealthFault(uid string, f *HealthFault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.healthFaults == nil {
		e.healthFaults = map[string]HealthFault{}
	}
	if f == nil {
		delete(e.healthFaults, uid)
		return
	}
	e.healthFaults[uid] = *f
}

// AWSRoles is the AWS side CloudWatch health checks run against, so a
// mismatch between roles/ and datasources/ fails as it would in AWS.
type AWSRoles struct {
	// Deployed are the roles as `grafsync roles` generated them.
	Deployed *iam.Deployed
	// TaskRoleARN is the role Grafana runs as (its ECS task role): the
	// caller of sts:AssumeRole.
	TaskRoleARN string
}

// datasourceHealth decides the answer; it runs under the read lock and
// writes refusals itself (nil answer then).
func (e *Emulator) datasourceHealth(c *call) *healthAnswer {
	if !c.requireRole("Viewer", "datasources:query") {
		return nil
	}
	uid := c.r.PathValue("uid")
	if !uidPattern.MatchString(uid) || len(uid) > maxUIDLength {
		errMessage(c.w, http.StatusBadRequest, "UID is invalid")
		return nil
	}
	ds := c.org().datasources[uid]
	if ds == nil {
		errMessage(c.w, http.StatusInternalServerError, "Unable to load datasource metadata")
		return nil
	}
	if _, _, installed := pluginInfo(ds.typ); !installed {
		errUtil(c.w, http.StatusNotFound, "plugin.notRegistered", "Plugin not found")
		return nil
	}
	fault, faulty := e.healthFaults[uid]
	ans := &healthAnswer{status: healthOK, delay: fault.Delay}
	switch ds.typ {
	case "prometheus":
		ans.message = "Successfully queried the Prometheus API."
		if faulty {
			ans.status, ans.message = healthError, cmp.Or(fault.Message, refused(prometheusQuery(ds)))+" - There was an error returned querying the Prometheus API."
		}
	case "loki":
		ans.message = "Data source successfully connected."
		if faulty {
			ans.status, ans.message = healthError, "Unable to connect with Loki. Please check the server logs for more details."
		}
	case "cloudwatch":
		metrics, logs := "", ""
		switch {
		case faulty:
			metrics, logs = cmp.Or(fault.Message, awsUnreachable(ds, "monitoring")), cmp.Or(fault.Message, awsUnreachable(ds, "logs"))
		case e.aws != nil:
			if denied := e.aws.assumeRole(ds); denied != "" {
				metrics, logs = awsOperationError("CloudWatch", "ListMetrics", denied), awsOperationError("CloudWatch Logs", "DescribeLogGroups", denied)
			}
		}
		ans.message = "1. " + cmpIf(metrics == "", "Successfully queried the CloudWatch metrics API.", "CloudWatch metrics query failed: "+metrics) +
			"\n2. " + cmpIf(logs == "", "Successfully queried the CloudWatch logs API.", "CloudWatch logs query failed: "+logs)
		if metrics != "" || logs != "" {
			ans.status = healthError
		}
	default:
		ans.message = "Data source is working"
		if faulty {
			ans.status, ans.message = healthError, cmp.Or(fault.Message, refused("", ds.url))
		}
	}
	return ans
}

// assumeRole answers sts:AssumeRole for a CloudWatch datasource's
// assumeRoleArn and externalId as STS would (reference §1.2, §2): "" when
// it succeeds or nothing is assumed, else STS's AccessDenied error as
// aws-sdk-go-v2 formats it (STS answers AccessDenied whether the role is
// missing or its trust refuses the caller, and never says which).
func (a *AWSRoles) assumeRole(ds *datasource) string {
	roleARN, externalID := jsonDataString(ds.jsonData, "assumeRoleArn"), jsonDataString(ds.jsonData, "externalId")
	if roleARN == "" || a.Deployed.CanAssume(a.TaskRoleARN, roleARN, externalID) {
		return ""
	}
	sum := sha256.Sum256([]byte(a.TaskRoleARN + "\x00" + roleARN + "\x00" + externalID))
	h := hex.EncodeToString(sum[:])
	requestID := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	return fmt.Sprintf("get identity: get credentials: failed to refresh cached credentials, operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: %s, api error AccessDenied: User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
		requestID, sessionARN(a.TaskRoleARN), roleARN)
}

// sessionARN is the caller as STS names it in errors: the task role's
// assumed-role session (an ECS task role's session is named after the
// task; the sandbox's is "grafsync-sandbox").
func sessionARN(roleARN string) string {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 {
		return roleARN
	}
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/grafsync-sandbox", parts[1], parts[4], name)
}

// awsOperationError is an aws-sdk-go-v2 operation error (smithy-go
// OperationError: "operation error <service>: <operation>, <cause>").
func awsOperationError(service, op, cause string) string {
	return fmt.Sprintf("operation error %s: %s, %s", service, op, cause)
}

// awsUnreachable is the error of a CloudWatch call whose endpoint cannot
// be reached, in the datasource's default region.
func awsUnreachable(ds *datasource, endpoint string) string {
	region := cmp.Or(jsonDataString(ds.jsonData, "defaultRegion"), "us-east-1")
	host := endpoint + "." + region + ".amazonaws.com"
	return fmt.Sprintf("dial tcp: lookup %s: no such host", host)
}

// prometheusQuery is the instant-query request promlib's health check
// sends: POST unless jsonData.httpMethod says GET.
func prometheusQuery(ds *datasource) (method, rawURL string) {
	method = "Post"
	if strings.EqualFold(jsonDataString(ds.jsonData, "httpMethod"), "GET") {
		method = "Get"
	}
	return method, strings.TrimSuffix(ds.url, "/") + "/api/v1/query"
}

// redactURL hides a password in a URL as Go's HTTP client does in its
// errors (net/http stripPassword): user:***@host.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, set := u.User.Password(); !set {
		return raw
	}
	return strings.Replace(u.String(), u.User.String()+"@", u.User.Username()+":***@", 1)
}

// refused is Go's error for a request to rawURL that nobody answers: with
// method ("Post", "Get"), as net/http's client reports it, else the dial
// error alone. A password in the URL is redacted, as net/http does.
func refused(method, rawURL string) string {
	if rawURL == "" {
		return "no URL is set"
	}
	host := rawURL
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		host = u.Host
		if u.Port() == "" {
			host += map[bool]string{true: ":443", false: ":80"}[u.Scheme == "https"]
		}
	}
	dial := "dial tcp " + host + ": connect: connection refused"
	if method == "" {
		return dial
	}
	return fmt.Sprintf("%s %q: %s", method, redactURL(rawURL), dial)
}

// jsonDataString is a string jsonData value; keys match case-insensitively, as
// Go's encoding/json matches them when a plugin decodes its settings
// (reference §1.1: assumeRoleArn and assumeRoleARN both work).
func jsonDataString(m map[string]any, key string) string {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

func cmpIf(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

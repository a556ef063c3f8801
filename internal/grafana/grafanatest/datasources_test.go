package grafanatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Realistic bodies from reference/aws-and-datasources.md §1, §4–§6.

const (
	cwAssumeRole  = "arn:aws:iam::222222222222:role/grafana/grafana-cloudwatch-read"
	lokiPassword  = "loki-basic-auth-Zq81xv"
	lokiTenant    = "tenant-platform-7f3a"
	cwExternalID  = "ext-3f9c2b71d4e8"
	promSigV4Sec  = "sigv4-secret-W1mZ0pQ"
	rotatedSecret = "loki-rotated-K2c9Lp"
)

func cloudwatchBody(name, uid string) map[string]any {
	return map[string]any{
		"name": name, "uid": uid, "type": "cloudwatch", "access": "proxy",
		"jsonData": map[string]any{
			"authType": "default", "assumeRoleArn": cwAssumeRole, "externalId": cwExternalID,
			"defaultRegion": "eu-west-1", "customMetricsNamespaces": "CWAgent,ECS/ContainerInsights",
			"logsTimeout": "30m",
		},
	}
}

func lokiBody(name, uid string) map[string]any {
	return map[string]any{
		"name": name, "uid": uid, "type": "loki", "access": "proxy", "url": "http://loki.monitoring:3100",
		"basicAuth": true, "basicAuthUser": "grafana",
		"jsonData": map[string]any{
			"maxLines": 1000, "timeout": 60, "httpHeaderName1": "X-Scope-OrgID",
			"derivedFields": []any{map[string]any{
				"name": "TraceID", "matcherRegex": `traceID=(\w+)`, "datasourceUid": "tempo-prod", "url": "${__value.raw}",
			}},
		},
		"secureJsonData": map[string]any{"basicAuthPassword": lokiPassword, "httpHeaderValue1": lokiTenant},
	}
}

func tempoBody(name, uid string) map[string]any {
	return map[string]any{
		"name": name, "uid": uid, "type": "tempo", "access": "proxy", "url": "http://tempo.monitoring:3200",
		"jsonData": map[string]any{
			"tracesToLogsV2":   map[string]any{"datasourceUid": "loki-prod", "spanStartTimeShift": "-2s", "spanEndTimeShift": "2s", "filterByTraceID": true},
			"serviceMap":       map[string]any{"datasourceUid": "thanos-prod"},
			"nodeGraph":        map[string]any{"enabled": true},
			"streamingEnabled": map[string]any{"search": true},
		},
	}
}

func promBody(name, uid string) map[string]any {
	return map[string]any{
		"name": name, "uid": uid, "type": "prometheus", "access": "proxy", "url": "http://thanos-query.monitoring:9090",
		"jsonData": map[string]any{
			"httpMethod": "POST", "prometheusType": "Thanos", "timeInterval": "30s",
			"sigV4Auth": true, "sigV4AuthType": "keys", "sigV4Region": "eu-west-1",
		},
		"secureJsonData": map[string]any{"sigV4AccessKey": "AKIAEXAMPLEKEY", "sigV4SecretKey": promSigV4Sec},
	}
}

// with returns a copy of body with the given fields replaced (nil deletes).
func with(body map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// newVersionClient is newClient for a table row's version; "" is the default.
func newVersionClient(t *testing.T, version string) (*Emulator, *client) {
	t.Helper()
	opts := Options{}
	if version != "" {
		opts.Version = mustVersion(t, version)
	}
	return newClient(t, opts)
}

func mustSeed(t *testing.T, e *Emulator, orgID int64, spec DatasourceSpec) string {
	t.Helper()
	uid, err := e.SeedDatasource(orgID, spec)
	if err != nil {
		t.Fatal(err)
	}
	return uid
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// §6.1: sorted by name case-insensitively; items carry exactly the listed
// fields — no secrets, no secureJsonFields, no version.
func TestDatasourceList(t *testing.T) {
	e, admin := newClient(t, Options{})
	for _, b := range []map[string]any{
		lokiBody("loki-prod", "loki-prod"), cloudwatchBody("CloudWatch 222222222222", "cw-222222222222"),
		promBody("b-thanos", "thanos-prod"), with(tempoBody("Tempo", "tempo-prod"), "type", "x-custom-traces"),
	} {
		admin.expect("POST", "/api/datasources", b, 200, nil)
	}
	status, got := admin.call("GET", "/api/datasources", nil)
	if status != 200 {
		t.Fatalf("status %d: %v", status, got)
	}
	items, _ := got.([]any)
	var names []string
	for _, it := range items {
		names = append(names, it.(map[string]any)["name"].(string))
	}
	if diff := cmp.Diff([]string{"b-thanos", "CloudWatch 222222222222", "loki-prod", "Tempo"}, names); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	wantKeys := []string{"access", "basicAuth", "database", "id", "isDefault", "jsonData", "name", "orgId", "readOnly", "type", "typeLogoUrl", "typeName", "uid", "url", "user"}
	for _, it := range items {
		if diff := cmp.Diff(wantKeys, keys(it.(map[string]any))); diff != "" {
			t.Errorf("item keys (-want +got):\n%s", diff)
		}
	}
	loki := items[2].(map[string]any)
	want := map[string]any{
		"id": loki["id"], "uid": "loki-prod", "orgId": float64(1), "name": "loki-prod", "type": "loki",
		"typeName": "Loki", "typeLogoUrl": "public/app/plugins/datasource/loki/img/loki_icon.svg",
		"access": "proxy", "url": "http://loki.monitoring:3100", "user": "", "database": "", "basicAuth": true,
		"isDefault": true, "readOnly": false,
		"jsonData": map[string]any{
			"maxLines": float64(1000), "timeout": float64(60), "httpHeaderName1": "X-Scope-OrgID",
			"derivedFields": []any{map[string]any{"name": "TraceID", "matcherRegex": `traceID=(\w+)`, "datasourceUid": "tempo-prod", "url": "${__value.raw}"}},
		},
	}
	if diff := cmp.Diff(want, loki); diff != "" {
		t.Errorf("loki item (-want +got):\n%s", diff)
	}
	// §6.3 unknown type: accepted; the list names it by its type with the generic icon.
	custom := items[3].(map[string]any)
	if custom["typeName"] != "x-custom-traces" || custom["typeLogoUrl"] != "public/img/icn-datasource.svg" {
		t.Errorf("unknown type item: typeName %v, typeLogoUrl %v", custom["typeName"], custom["typeLogoUrl"])
	}
	_ = e
}

// §6.1: an org without datasources lists [] (not null).
func TestDatasourceListEmpty(t *testing.T) {
	_, admin := newClient(t, Options{})
	status, raw := admin.do("GET", "/api/datasources", nil)
	if status != 200 || string(raw) != "[]" {
		t.Errorf("got %d %s, want 200 []", status, raw)
	}
}

// §6.2: the DTO's fields, per version: apiVersion "" from 11.x, absent in
// 10.x; jsonData {} never null; secureJsonFields only for non-empty secrets.
func TestDatasourceDTO(t *testing.T) {
	base := []string{"access", "basicAuth", "basicAuthUser", "database", "id", "isDefault", "jsonData", "name", "orgId", "readOnly", "secureJsonFields", "type", "typeLogoUrl", "uid", "url", "user", "version", "withCredentials"}
	for _, tt := range []struct {
		version    string
		apiVersion bool
	}{{"10", false}, {"11.2", true}, {"11", true}, {"12", true}, {"13", true}} {
		t.Run(tt.version, func(t *testing.T) {
			e, admin := newClient(t, Options{Version: mustVersion(t, tt.version)})
			admin.t = t
			body := map[string]any{
				"name": "cw-prod", "uid": "cw-prod", "type": "cloudwatch", "access": "proxy", "jsonData": nil,
				"secureJsonData": map[string]any{"accessKey": "AKIAEXAMPLE", "secretKey": "s3cr3t-cw", "sessionToken": ""},
			}
			admin.expect("POST", "/api/datasources", body, 200, nil)
			got := admin.expect("GET", "/api/datasources/uid/cw-prod", nil, 200, nil)
			wantKeys := append([]string(nil), base...)
			if tt.apiVersion {
				wantKeys = append(wantKeys, "apiVersion")
				sort.Strings(wantKeys)
			}
			if diff := cmp.Diff(wantKeys, keys(got)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			want := map[string]any{
				"id": got["id"], "uid": "cw-prod", "orgId": float64(1), "name": "cw-prod", "type": "cloudwatch",
				"typeLogoUrl": "public/app/plugins/datasource/cloudwatch/img/amazon-web-services.png",
				"access":      "proxy", "url": "", "user": "", "database": "", "basicAuth": false, "basicAuthUser": "",
				"withCredentials": false, "isDefault": true, "jsonData": map[string]any{},
				"secureJsonFields": map[string]any{"accessKey": true, "secretKey": true},
				"version":          float64(1), "readOnly": false,
			}
			if tt.apiVersion {
				want["apiVersion"] = ""
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DTO (-want +got):\n%s", diff)
			}
			_ = e
		})
	}
}

// §6.2: every get route, their 404 body, and the id/:name shape.
func TestDatasourceGetRoutes(t *testing.T) {
	e, admin := newClient(t, Options{})
	name := "Loki / prod eu-west-1"
	uid := mustSeed(t, e, 1, DatasourceSpec{Name: name, UID: "loki-prod", Type: "loki", URL: "http://loki:3100"})
	info, _ := e.GetDatasource(1, uid)
	id := fmt.Sprint(info.ID)
	notFound := map[string]any{"message": "Data source not found"}
	escaped := url.PathEscape(name)
	tests := []struct {
		name       string
		path       string
		wantStatus int
		want       map[string]any
	}{
		{"by uid", "/api/datasources/uid/loki-prod", 200, map[string]any{"name": name, "uid": "loki-prod"}},
		{"by url-encoded name", "/api/datasources/name/" + escaped, 200, map[string]any{"name": name, "uid": "loki-prod"}},
		{"by id (deprecated)", "/api/datasources/" + id, 200, map[string]any{"name": name, "uid": "loki-prod"}},
		{"id by name", "/api/datasources/id/" + escaped, 200, map[string]any{"id": float64(info.ID)}},
		{"unknown uid", "/api/datasources/uid/nope", 404, notFound},
		{"unknown name", "/api/datasources/name/nope", 404, notFound},
		{"name is case-sensitive", "/api/datasources/name/" + url.PathEscape(strings.ToLower(name)), 404, notFound},
		{"unknown id", "/api/datasources/999", 404, notFound},
		{"id by unknown name", "/api/datasources/id/nope", 404, notFound},
		{"non-numeric id", "/api/datasources/abc", 400, map[string]any{"message": "id is invalid"}},
		{"id 0", "/api/datasources/0", 400, map[string]any{"message": "Datasource id is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *admin
			c.t = t
			got := c.expect("GET", tt.path, nil, tt.wantStatus, tt.want)
			if tt.wantStatus == 404 {
				if diff := cmp.Diff(notFound, got); diff != "" {
					t.Errorf("404 body (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// §6.2: accessControl appears only with ?accesscontrol=true.
func TestDatasourceAccessControlMetadata(t *testing.T) {
	e, admin := newClient(t, Options{})
	mustSeed(t, e, 1, DatasourceSpec{UID: "thanos", Name: "thanos", Type: "prometheus"})
	if got := admin.expect("GET", "/api/datasources/uid/thanos", nil, 200, nil); got["accessControl"] != nil {
		t.Errorf("accessControl without the query parameter: %v", got["accessControl"])
	}
	got := admin.expect("GET", "/api/datasources/uid/thanos?accesscontrol=true", nil, 200, nil)
	want := map[string]any{"datasources:read": true, "datasources:query": true, "datasources.id:read": true, "datasources:write": true, "datasources:delete": true}
	if diff := cmp.Diff(want, got["accessControl"]); diff != "" {
		t.Errorf("admin accessControl (-want +got):\n%s", diff)
	}
	viewer := admin.token(e, 1, "Viewer")
	got = viewer.expect("GET", "/api/datasources/uid/thanos?accesscontrol=true", nil, 200, nil)
	want = map[string]any{"datasources:read": true, "datasources:query": true, "datasources.id:read": true}
	if diff := cmp.Diff(want, got["accessControl"]); diff != "" {
		t.Errorf("viewer accessControl (-want +got):\n%s", diff)
	}
}

// §6.3: create — one row per rule.
func TestDatasourceCreate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name       string
		version    string
		seed       []DatasourceSpec
		body       any
		wantStatus int
		want       map[string]any // top-level fields of the answer
		wantDS     map[string]any // fields of answer.datasource
	}{
		{name: "success", body: lokiBody("loki-prod", "loki-prod"), wantStatus: 200,
			want:   map[string]any{"message": "Datasource added", "name": "loki-prod"},
			wantDS: map[string]any{"uid": "loki-prod", "version": float64(1), "secureJsonFields": map[string]any{"basicAuthPassword": true, "httpHeaderValue1": true}}},
		{name: "empty name is the type", body: with(promBody("", "p1"), "name", ""), wantStatus: 200,
			want: map[string]any{"name": "prometheus"}},
		{name: "auto name skips taken, case-insensitively",
			seed: []DatasourceSpec{{Name: "Prometheus", Type: "prometheus"}, {Name: "prometheus-1", Type: "prometheus"}},
			body: with(promBody("", ""), "name", nil), wantStatus: 200, want: map[string]any{"name": "prometheus-2"}},
		{name: "empty name before 10.3 is a binding error", version: "10.2",
			body: with(promBody("", ""), "name", nil), wantStatus: 400, want: map[string]any{"message": "bad request data"}},
		{name: "name taken (11.x)", seed: []DatasourceSpec{{Name: "thanos", Type: "prometheus"}},
			body: promBody("thanos", ""), wantStatus: 409, want: map[string]any{"message": "data source with the same name already exists"}},
		{name: "name taken (12.x)", version: "12", seed: []DatasourceSpec{{Name: "thanos", Type: "prometheus"}},
			body: promBody("thanos", ""), wantStatus: 409, want: map[string]any{"message": "data source with the same name already exists"}},
		{name: "name taken (10.x wording)", version: "10", seed: []DatasourceSpec{{Name: "thanos", Type: "prometheus"}},
			body: promBody("thanos", ""), wantStatus: 409, want: map[string]any{"message": "Data source with the same name already exists"}},
		{name: "names are case-sensitive for uniqueness", seed: []DatasourceSpec{{Name: "thanos", Type: "prometheus"}},
			body: promBody("Thanos", ""), wantStatus: 200},
		{name: "uid taken", seed: []DatasourceSpec{{Name: "a", UID: "thanos-prod", Type: "prometheus"}},
			body: promBody("b", "thanos-prod"), wantStatus: 409, want: map[string]any{"message": "data source with the same uid already exists"}},
		{name: "invalid uid is only logged", body: promBody("p", "bad uid!"+long(50)), wantStatus: 200,
			wantDS: map[string]any{"uid": "bad uid!" + long(50)}},
		{name: "name of 190 bytes", body: promBody(long(190), ""), wantStatus: 200},
		{name: "name over 190 bytes", body: promBody(long(191), ""), wantStatus: 400,
			want: map[string]any{"message": "Invalid datasource name.", "messageId": "datasource.nameInvalid", "statusCode": float64(400)}},
		{name: "url over 255 bytes", body: with(promBody("p", ""), "url", "http://h/"+long(247)), wantStatus: 400,
			want: map[string]any{"message": "Invalid datasource url.", "messageId": "datasource.urlInvalid", "statusCode": float64(400)}},
		{name: "unparsable url", body: with(promBody("p", ""), "url", "http://thanos query:9090"), wantStatus: 400,
			want: map[string]any{"message": "Validation error, invalid URL"}},
		{name: "url without scheme is fine", body: with(promBody("p", ""), "url", "thanos-query:9090"), wantStatus: 200,
			wantDS: map[string]any{"url": "thanos-query:9090"}},
		{name: "unknown type accepted", body: with(promBody("p", ""), "type", "acme-unreleased-datasource"), wantStatus: 200,
			wantDS: map[string]any{"type": "acme-unreleased-datasource", "typeLogoUrl": "public/img/icn-datasource.svg"}},
		{name: "missing type", body: with(promBody("p", ""), "type", nil), wantStatus: 400, want: map[string]any{"message": "bad request data"}},
		{name: "missing access", body: with(promBody("p", ""), "access", nil), wantStatus: 400, want: map[string]any{"message": "bad request data"}},
		{name: "readOnly in the body is ignored", body: with(promBody("p", ""), "readOnly", true), wantStatus: 200,
			wantDS: map[string]any{"readOnly": false}},
		{name: "jsonData null is {}", body: with(promBody("p", ""), "jsonData", nil), wantStatus: 200,
			wantDS: map[string]any{"jsonData": map[string]any{}}},
		{name: "malformed json", body: `{"name": "p",`, wantStatus: 400, want: map[string]any{"message": "bad request data"}},
		{name: "wrongly typed field", body: with(promBody("p", ""), "basicAuth", "yes"), wantStatus: 400, want: map[string]any{"message": "bad request data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, admin := newVersionClient(t, tt.version)
			for _, s := range tt.seed {
				mustSeed(t, e, 1, s)
			}
			got := admin.expect("POST", "/api/datasources", tt.body, tt.wantStatus, tt.want)
			if tt.wantDS != nil {
				ds, _ := got["datasource"].(map[string]any)
				picked := map[string]any{}
				for k := range tt.wantDS {
					if v, ok := ds[k]; ok {
						picked[k] = v
					}
				}
				if diff := cmp.Diff(tt.wantDS, picked); diff != "" {
					t.Errorf("datasource (-want +got):\n%s", diff)
				}
			}
			if tt.wantStatus == 200 {
				ds := got["datasource"].(map[string]any)
				if got["id"] != ds["id"] || got["name"] != ds["name"] {
					t.Errorf("answer id/name %v/%v differ from the datasource's %v/%v", got["id"], got["name"], ds["id"], ds["name"])
				}
			} else if n := len(e.DatasourceUIDs(1)); n != len(tt.seed) {
				t.Errorf("a refused create left %d datasources, want %d", n, len(tt.seed))
			}
		})
	}
}

// §6.3: a uid is generated when empty, unique and valid.
func TestDatasourceCreateGeneratesUID(t *testing.T) {
	e, admin := newClient(t, Options{})
	seen := map[string]bool{}
	for i := range 5 {
		got := admin.expect("POST", "/api/datasources", promBody(fmt.Sprintf("p%d", i), ""), 200, nil)
		uid, _ := got["datasource"].(map[string]any)["uid"].(string)
		if uid == "" || !uidPattern.MatchString(uid) || len(uid) > maxUIDLength || seen[uid] {
			t.Errorf("generated uid %q: empty, invalid or repeated", uid)
		}
		seen[uid] = true
	}
	if n := len(e.DatasourceUIDs(1)); n != 5 {
		t.Errorf("%d datasources, want 5", n)
	}
}

// §6.3, §1.3: creating needs Admin; others get the RBAC 403.
func TestDatasourceWritePermissions(t *testing.T) {
	e, admin := newClient(t, Options{})
	mustSeed(t, e, 1, DatasourceSpec{UID: "thanos", Name: "thanos", Type: "prometheus"})
	deny := func(action string) map[string]any {
		return map[string]any{"title": "Access denied", "message": "You'll need additional permissions to perform this action. Permissions needed: " + action}
	}
	for _, role := range []string{"Viewer", "Editor"} {
		c := admin.token(e, 1, role)
		c.expect("POST", "/api/datasources", promBody("p", ""), 403, deny("datasources:create"))
		c.expect("PUT", "/api/datasources/uid/thanos", promBody("thanos", ""), 403, deny("datasources:write"))
		c.expect("DELETE", "/api/datasources/uid/thanos", nil, 403, deny("datasources:delete"))
		// §6.1, §6.2: in OSS every role reads and queries.
		c.expect("GET", "/api/datasources/uid/thanos", nil, 200, nil)
		c.expect("GET", "/api/datasources/uid/thanos/health", nil, 200, nil)
	}
	admin.token(e, 1, "Admin").expect("POST", "/api/datasources", promBody("p", ""), 200, nil)
	none := admin.token(e, 1, "None")
	none.expect("GET", "/api/datasources", nil, 403, deny("datasources:read"))
	none.expect("GET", "/api/datasources/id/thanos", nil, 403, deny("datasources.id:read"))
}

// §6.3: the first datasource of an org is default whatever isDefault says;
// isDefault true on a later one takes the flag from all others.
func TestDatasourceCreateDefault(t *testing.T) {
	e, admin := newClient(t, Options{})
	admin.expect("POST", "/api/datasources", with(promBody("first", "first"), "isDefault", false), 200, nil)
	admin.expect("POST", "/api/datasources", with(lokiBody("second", "second"), "isDefault", false), 200, nil)
	assertDefaults(t, e, 1, "first")
	admin.expect("POST", "/api/datasources", with(tempoBody("third", "third"), "isDefault", true), 200, nil)
	assertDefaults(t, e, 1, "third")

	// Per org (§1.2): org 2's first datasource is its own default.
	org2 := e.AddOrg("Tenant B")
	mustSeed(t, e, org2, DatasourceSpec{UID: "first", Name: "first", Type: "prometheus"})
	assertDefaults(t, e, org2, "first")
	assertDefaults(t, e, 1, "third")
}

// assertDefaults checks which datasources of an org carry isDefault.
func assertDefaults(t *testing.T, e *Emulator, orgID int64, want ...string) {
	t.Helper()
	got := []string{}
	for _, uid := range e.DatasourceUIDs(orgID) {
		if ds, _ := e.GetDatasource(orgID, uid); ds.IsDefault {
			got = append(got, uid)
		}
	}
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("org %d defaults (-want +got):\n%s", orgID, diff)
	}
}

// §6.4: the version rule — stored <= request passes, 0 or omitted skips the
// check, and the new version is request + 1.
func TestDatasourceUpdateVersion(t *testing.T) {
	tests := []struct {
		name        string
		stored      int
		request     any // nil: omitted
		wantStatus  int
		wantVersion int
	}{
		{"equal", 3, 3, 200, 4},
		{"request ahead", 3, 10, 200, 11},
		{"request behind", 3, 2, 409, 3},
		{"omitted resets to 1", 3, nil, 200, 1},
		{"zero resets to 1", 5, 0, 200, 1},
		{"negative is behind", 1, -1, 409, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, admin := newClient(t, Options{})
			admin.t = t
			uid := mustSeed(t, e, 1, DatasourceSpec{UID: "thanos", Name: "thanos", Type: "prometheus"})
			for range tt.stored - 1 {
				if err := e.EditDatasource(1, uid, func(*DatasourceInfo) {}); err != nil {
					t.Fatal(err)
				}
			}
			body := with(promBody("thanos", ""), "version", tt.request)
			var want map[string]any
			if tt.wantStatus == 409 {
				want = map[string]any{"message": "Datasource has already been updated by someone else. Please reload and try again"}
			}
			admin.expect("PUT", "/api/datasources/uid/thanos", body, tt.wantStatus, want)
			if ds, _ := e.GetDatasource(1, uid); ds.Version != tt.wantVersion {
				t.Errorf("stored version %d, want %d", ds.Version, tt.wantVersion)
			}
		})
	}
}

// §6.4: field semantics of an update, one row per rule.
func TestDatasourceUpdateFields(t *testing.T) {
	stored := DatasourceSpec{
		UID: "loki-prod", Name: "loki-prod", Type: "loki", Access: "proxy", URL: "http://loki:3100",
		User: "reader", Database: "logs", BasicAuth: true, BasicAuthUser: "grafana", WithCredentials: true,
		JSONData: map[string]any{"maxLines": 1000, "timeout": 60},
	}
	full := map[string]any{
		"name": "loki-prod", "type": "loki", "access": "proxy", "url": "http://loki:3100", "user": "reader",
		"database": "logs", "basicAuth": true, "basicAuthUser": "grafana", "withCredentials": true,
		"jsonData": map[string]any{"maxLines": 1000, "timeout": 60},
	}
	tests := []struct {
		name string
		body map[string]any
		want map[string]any // fields of the stored DTO after the update
	}{
		{"jsonData replaced whole", with(full, "jsonData", map[string]any{"timeout": 30}),
			map[string]any{"jsonData": map[string]any{"timeout": float64(30)}}},
		{"jsonData null is {}", with(full, "jsonData", nil), map[string]any{"jsonData": map[string]any{}}},
		{"empty url keeps the stored one", with(full, "url", ""), map[string]any{"url": "http://loki:3100"}},
		{"empty uid keeps the uid", with(full, "uid", ""), map[string]any{"uid": "loki-prod"}},
		{"empty basicAuthUser keeps the stored one", with(full, "basicAuthUser", ""), map[string]any{"basicAuthUser": "grafana"}},
		{"basicAuthUser written", with(full, "basicAuthUser", "svc-grafana"), map[string]any{"basicAuthUser": "svc-grafana"}},
		{"user and database always written", with(full, "user", nil, "database", ""), map[string]any{"user": "", "database": ""}},
		{"omitted booleans are false", with(full, "basicAuth", nil, "withCredentials", nil),
			map[string]any{"basicAuth": false, "withCredentials": false}},
		{"name, type, access, url changed", with(full, "name", "loki-eu", "type", "x-loki", "access", "direct", "url", "https://loki.eu:443"),
			map[string]any{"name": "loki-eu", "type": "x-loki", "access": "direct", "url": "https://loki.eu:443"}},
		{"readOnly in the body is ignored", with(full, "readOnly", true), map[string]any{"readOnly": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, admin := newClient(t, Options{})
			admin.t = t
			mustSeed(t, e, 1, stored)
			got := admin.expect("PUT", "/api/datasources/uid/loki-prod", tt.body, 200, map[string]any{"message": "Datasource updated"})
			ds, _ := got["datasource"].(map[string]any)
			picked := map[string]any{}
			for k := range tt.want {
				picked[k] = ds[k]
			}
			if diff := cmp.Diff(tt.want, picked); diff != "" {
				t.Errorf("answer datasource (-want +got):\n%s", diff)
			}
			// The answer is what is stored.
			uid, _ := ds["uid"].(string)
			again := admin.expect("GET", "/api/datasources/uid/"+uid, nil, 200, nil)
			if diff := cmp.Diff(ds, again); diff != "" {
				t.Errorf("GET after PUT differs from the PUT answer (-put +get):\n%s", diff)
			}
		})
	}
}

// §6.4: a non-empty uid in the body moves the datasource to that uid; the
// answer's id and name are the request's.
func TestDatasourceUpdateChangesUID(t *testing.T) {
	e, admin := newClient(t, Options{})
	mustSeed(t, e, 1, DatasourceSpec{UID: "thanos", Name: "thanos", Type: "prometheus"})
	info, _ := e.GetDatasource(1, "thanos")
	got := admin.expect("PUT", "/api/datasources/uid/thanos", promBody("thanos-eu", "thanos-eu"), 200,
		map[string]any{"message": "Datasource updated", "id": float64(info.ID), "name": "thanos-eu"})
	if uid := got["datasource"].(map[string]any)["uid"]; uid != "thanos-eu" {
		t.Errorf("answer uid %v, want thanos-eu", uid)
	}
	admin.expect("GET", "/api/datasources/uid/thanos", nil, 404, nil)
	admin.expect("GET", "/api/datasources/uid/thanos-eu", nil, 200, map[string]any{"id": float64(info.ID)})
	if diff := cmp.Diff([]string{"thanos-eu"}, e.DatasourceUIDs(1)); diff != "" {
		t.Errorf("uids (-want +got):\n%s", diff)
	}
}

// §6.4: secureJsonData is merged: omitted keys keep their value, a new value
// replaces (rotation), "" clears the key from secureJsonFields.
func TestDatasourceUpdateSecrets(t *testing.T) {
	e, admin := newClient(t, Options{})
	admin.expect("POST", "/api/datasources", lokiBody("loki-prod", "loki-prod"), 200, nil)
	fields := func() any {
		return admin.expect("GET", "/api/datasources/uid/loki-prod", nil, 200, nil)["secureJsonFields"]
	}
	both := map[string]any{"basicAuthPassword": true, "httpHeaderValue1": true}

	admin.expect("PUT", "/api/datasources/uid/loki-prod", with(lokiBody("loki-prod", ""), "secureJsonData", nil), 200, nil)
	if diff := cmp.Diff(both, fields()); diff != "" {
		t.Errorf("omitted secureJsonData (-want +got):\n%s", diff)
	}
	if v, _ := e.SecretValue(1, "loki-prod", "basicAuthPassword"); v != lokiPassword {
		t.Errorf("omitted secret changed its value")
	}

	admin.expect("PUT", "/api/datasources/uid/loki-prod", with(lokiBody("loki-prod", ""), "secureJsonData", map[string]any{"basicAuthPassword": rotatedSecret}), 200, nil)
	if v, ok := e.SecretValue(1, "loki-prod", "basicAuthPassword"); v != rotatedSecret || !ok {
		t.Errorf("rotated secret: got %q %v", v, ok)
	}
	if v, _ := e.SecretValue(1, "loki-prod", "httpHeaderValue1"); v != lokiTenant {
		t.Errorf("secret left out of a rotation changed its value")
	}

	admin.expect("PUT", "/api/datasources/uid/loki-prod", with(lokiBody("loki-prod", ""), "secureJsonData", map[string]any{"httpHeaderValue1": ""}), 200, nil)
	if diff := cmp.Diff(map[string]any{"basicAuthPassword": true}, fields()); diff != "" {
		t.Errorf("after clearing httpHeaderValue1 (-want +got):\n%s", diff)
	}
	if _, ok := e.SecretValue(1, "loki-prod", "httpHeaderValue1"); ok {
		t.Errorf("cleared secret still readable")
	}
	// Sent at create, rotated once, left out twice; cleared once after create.
	if got := e.SecretWrites(1, "loki-prod", "basicAuthPassword"); got != 2 {
		t.Errorf("basicAuthPassword written %d times, want 2", got)
	}
	if got := e.SecretWrites(1, "loki-prod", "httpHeaderValue1"); got != 2 {
		t.Errorf("httpHeaderValue1 written %d times, want 2", got)
	}
	admin.expect("PUT", "/api/datasources/uid/loki-prod", with(lokiBody("loki-prod", ""), "url", "http://a b"), 400, nil)
	if got := e.SecretWrites(1, "loki-prod", "basicAuthPassword"); got != 2 {
		t.Errorf("a refused update counted as a secret write: %d", got)
	}
}

// §6.4: refusals of an update, in Grafana's order.
func TestDatasourceUpdateErrors(t *testing.T) {
	tests := []struct {
		name       string
		version    string
		path       string
		body       any
		wantStatus int
		want       map[string]any
	}{
		{name: "unknown uid", path: "/api/datasources/uid/nope", body: promBody("x", ""), wantStatus: 404,
			want: map[string]any{"message": "Data source not found"}},
		{name: "unknown id", path: "/api/datasources/999", body: promBody("x", ""), wantStatus: 404,
			want: map[string]any{"message": "Data source not found"}},
		{name: "non-numeric id", path: "/api/datasources/abc", body: promBody("x", ""), wantStatus: 400,
			want: map[string]any{"message": "id is invalid"}},
		{name: "read-only", path: "/api/datasources/uid/provisioned", body: promBody("provisioned", ""), wantStatus: 403,
			want: map[string]any{"message": "Cannot update read-only data source"}},
		{name: "name of another datasource", path: "/api/datasources/uid/thanos", body: promBody("loki", ""), wantStatus: 409,
			want: map[string]any{"message": "Failed to update datasource: data source with the same name already exists"}},
		{name: "name of another datasource (12.x)", version: "12", path: "/api/datasources/uid/thanos", body: promBody("loki", ""), wantStatus: 409,
			want: map[string]any{"message": "Failed to update datasource: data source with the same name already exists"}},
		{name: "name of another datasource (10.x wording)", version: "10", path: "/api/datasources/uid/thanos", body: promBody("loki", ""), wantStatus: 409,
			want: map[string]any{"message": "Failed to update datasource: Data source with the same name already exists"}},
		{name: "uid of another datasource", path: "/api/datasources/uid/thanos", body: promBody("thanos", "loki"), wantStatus: 500,
			want: map[string]any{"message": "Failed to update datasource"}},
		{name: "invalid url before the lookup", path: "/api/datasources/uid/nope", body: with(promBody("x", ""), "url", "http://a b"), wantStatus: 400,
			want: map[string]any{"message": "Validation error, invalid URL"}},
		{name: "name over 190 bytes", path: "/api/datasources/uid/thanos", body: promBody(strings.Repeat("n", 191), ""), wantStatus: 400,
			want: map[string]any{"messageId": "datasource.nameInvalid"}},
		{name: "empty name is a binding error", path: "/api/datasources/uid/thanos", body: with(promBody("", ""), "name", ""), wantStatus: 400,
			want: map[string]any{"message": "bad request data"}},
		{name: "missing type", path: "/api/datasources/uid/thanos", body: with(promBody("thanos", ""), "type", nil), wantStatus: 400,
			want: map[string]any{"message": "bad request data"}},
		{name: "missing access", path: "/api/datasources/uid/thanos", body: with(promBody("thanos", ""), "access", ""), wantStatus: 400,
			want: map[string]any{"message": "bad request data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, admin := newVersionClient(t, tt.version)
			admin.t = t
			mustSeed(t, e, 1, DatasourceSpec{UID: "thanos", Name: "thanos", Type: "prometheus", URL: "http://thanos:9090"})
			mustSeed(t, e, 1, DatasourceSpec{UID: "loki", Name: "loki", Type: "loki"})
			mustSeed(t, e, 1, DatasourceSpec{UID: "provisioned", Name: "provisioned", Type: "prometheus", ReadOnly: true})
			before := map[string]DatasourceInfo{}
			for _, uid := range e.DatasourceUIDs(1) {
				before[uid], _ = e.GetDatasource(1, uid)
			}
			admin.expect("PUT", tt.path, tt.body, tt.wantStatus, tt.want)
			after := map[string]DatasourceInfo{}
			for _, uid := range e.DatasourceUIDs(1) {
				after[uid], _ = e.GetDatasource(1, uid)
			}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("a refused update changed the store (-before +after):\n%s", diff)
			}
		})
	}
}

// §6.4: PUT /api/datasources/:id behaves as the uid route.
func TestDatasourceUpdateByID(t *testing.T) {
	e, admin := newClient(t, Options{})
	mustSeed(t, e, 1, DatasourceSpec{UID: "thanos", Name: "thanos", Type: "prometheus"})
	info, _ := e.GetDatasource(1, "thanos")
	path := fmt.Sprintf("/api/datasources/%d", info.ID)
	got := admin.expect("PUT", path, with(promBody("thanos", ""), "version", 1), 200,
		map[string]any{"message": "Datasource updated", "id": float64(info.ID), "name": "thanos"})
	if v := got["datasource"].(map[string]any)["version"]; v != float64(2) {
		t.Errorf("version %v, want 2", v)
	}
	admin.expect("PUT", path, with(promBody("thanos", ""), "version", 1), 409, nil)
}

// §6.4: booleans are always written — omitting isDefault on the default
// leaves the org with no default; isDefault true takes it from the others.
func TestDatasourceUpdateDefault(t *testing.T) {
	e, admin := newClient(t, Options{})
	mustSeed(t, e, 1, DatasourceSpec{UID: "thanos", Name: "thanos", Type: "prometheus"})
	mustSeed(t, e, 1, DatasourceSpec{UID: "loki", Name: "loki", Type: "loki"})
	assertDefaults(t, e, 1, "thanos")
	admin.expect("PUT", "/api/datasources/uid/thanos", promBody("thanos", ""), 200, nil)
	assertDefaults(t, e, 1)
	admin.expect("PUT", "/api/datasources/uid/loki", with(lokiBody("loki", ""), "isDefault", true), 200, nil)
	assertDefaults(t, e, 1, "loki")
	admin.expect("PUT", "/api/datasources/uid/thanos", with(promBody("thanos", ""), "isDefault", true), 200, nil)
	assertDefaults(t, e, 1, "thanos")
}

// §6.5: the three delete routes and their bodies; 404; read-only 403.
func TestDatasourceDelete(t *testing.T) {
	e, admin := newClient(t, Options{})
	for _, n := range []string{"by-uid", "by name", "by-id"} {
		mustSeed(t, e, 1, DatasourceSpec{UID: strings.ReplaceAll(n, " ", "-"), Name: n, Type: "prometheus"})
	}
	mustSeed(t, e, 1, DatasourceSpec{UID: "provisioned", Name: "provisioned", Type: "prometheus", ReadOnly: true})
	id := func(uid string) int64 { info, _ := e.GetDatasource(1, uid); return info.ID }
	byUID, byName, byID := id("by-uid"), id("by-name"), id("by-id")
	provisioned := id("provisioned")
	notFound := map[string]any{"message": "Data source not found"}
	readOnly := map[string]any{"message": "Cannot delete read-only data source"}
	tests := []struct {
		name       string
		path       string
		wantStatus int
		want       map[string]any // the whole answer
	}{
		{"by uid", "/api/datasources/uid/by-uid", 200, map[string]any{"message": "Data source deleted", "id": float64(byUID)}},
		{"by name", "/api/datasources/name/" + url.PathEscape("by name"), 200, map[string]any{"message": "Data source deleted", "id": float64(byName)}},
		{"by id has no id", fmt.Sprintf("/api/datasources/%d", byID), 200, map[string]any{"message": "Data source deleted"}},
		{"uid again", "/api/datasources/uid/by-uid", 404, notFound},
		{"unknown name", "/api/datasources/name/nope", 404, notFound},
		{"unknown id", "/api/datasources/999", 404, notFound},
		{"id 0", "/api/datasources/0", 400, map[string]any{"message": "Missing valid datasource id"}},
		{"non-numeric id", "/api/datasources/abc", 400, map[string]any{"message": "id is invalid"}},
		{"read-only by uid", "/api/datasources/uid/provisioned", 403, readOnly},
		{"read-only by name", "/api/datasources/name/provisioned", 403, readOnly},
		{"read-only by id", fmt.Sprintf("/api/datasources/%d", provisioned), 403, readOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *admin
			c.t = t
			status, got := c.obj("DELETE", tt.path, nil)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d", status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff([]string{"provisioned"}, e.DatasourceUIDs(1)); diff != "" {
		t.Errorf("left (-want +got):\n%s", diff)
	}
}

// §6.5: deleting the default does not promote another datasource.
func TestDatasourceDeleteDefault(t *testing.T) {
	e, admin := newClient(t, Options{})
	mustSeed(t, e, 1, DatasourceSpec{UID: "thanos", Name: "thanos", Type: "prometheus"})
	mustSeed(t, e, 1, DatasourceSpec{UID: "loki", Name: "loki", Type: "loki"})
	admin.expect("DELETE", "/api/datasources/uid/thanos", nil, 200, nil)
	assertDefaults(t, e, 1)
	// §6.3: only an org's very first datasource is forced default.
	admin.expect("POST", "/api/datasources", tempoBody("tempo", "tempo"), 200, map[string]any{})
	assertDefaults(t, e, 1)
}

// §1.2: datasources are per org — the same uid and name may exist in two
// orgs, and each org sees only its own.
func TestDatasourceOrgScoped(t *testing.T) {
	e, admin := newClient(t, Options{})
	org2 := e.AddOrg("Tenant B")
	tok2 := mustToken(t, e, org2, "ci", "Admin")
	c2 := admin.as("Bearer " + tok2)
	admin.expect("POST", "/api/datasources", promBody("thanos", "thanos"), 200, nil)
	c2.expect("POST", "/api/datasources", with(promBody("thanos", "thanos"), "url", "http://thanos-b:9090"), 200, nil)
	c2.expect("GET", "/api/datasources/uid/thanos", nil, 200, map[string]any{"orgId": float64(org2), "url": "http://thanos-b:9090"})
	admin.expect("GET", "/api/datasources/uid/thanos", nil, 200, map[string]any{"orgId": float64(1), "url": "http://thanos-query.monitoring:9090"})
	// Ids come from one table but are looked up within the caller's org.
	id2 := c2.expect("GET", "/api/datasources/id/thanos", nil, 200, nil)["id"]
	admin.expect("GET", fmt.Sprintf("/api/datasources/%v", id2), nil, 404, nil)
	admin.expect("DELETE", fmt.Sprintf("/api/datasources/%v", id2), nil, 404, nil)
	c2.expect("DELETE", "/api/datasources/uid/thanos", nil, 200, nil)
	admin.expect("GET", "/api/datasources/uid/thanos", nil, 200, nil)
}

// §6.2: no secret value appears in any answer of a full CRUD sequence, on
// any route, in any error.
func TestDatasourceSecretsNeverInResponses(t *testing.T) {
	e, admin := newClient(t, Options{})
	mustSeed(t, e, 1, DatasourceSpec{UID: "provisioned", Name: "provisioned", Type: "loki", ReadOnly: true,
		SecureJSONData: map[string]string{"basicAuthPassword": "provisioned-secret-Hh7"}})
	secrets := []string{lokiPassword, lokiTenant, promSigV4Sec, rotatedSecret, "provisioned-secret-Hh7", "AKIAEXAMPLEKEY"}
	steps := []struct {
		method, path string
		body         any
		wantStatus   int
	}{
		{"POST", "/api/datasources", lokiBody("loki-prod", "loki-prod"), 200},
		{"POST", "/api/datasources", promBody("thanos", "thanos"), 200},
		{"POST", "/api/datasources", lokiBody("loki-prod", "other"), 409},
		{"POST", "/api/datasources", with(lokiBody("x", ""), "url", "http://a b"), 400},
		{"GET", "/api/datasources", nil, 200},
		{"GET", "/api/datasources/uid/loki-prod", nil, 200},
		{"GET", "/api/datasources/uid/loki-prod?accesscontrol=true", nil, 200},
		{"GET", "/api/datasources/name/thanos", nil, 200},
		{"GET", "/api/datasources/1", nil, 200},
		{"GET", "/api/datasources/id/thanos", nil, 200},
		{"GET", "/api/datasources/uid/provisioned", nil, 200},
		{"GET", "/api/datasources/uid/loki-prod/health", nil, 200},
		{"PUT", "/api/datasources/uid/loki-prod", with(lokiBody("loki-prod", ""), "secureJsonData", map[string]any{"basicAuthPassword": rotatedSecret}), 200},
		{"PUT", "/api/datasources/uid/loki-prod", with(lokiBody("thanos", ""), "secureJsonData", map[string]any{"basicAuthPassword": rotatedSecret}), 409},
		{"PUT", "/api/datasources/uid/loki-prod", with(lokiBody("loki-prod", ""), "version", 5), 200},
		{"PUT", "/api/datasources/uid/loki-prod", with(lokiBody("loki-prod", ""), "version", 1), 409},
		{"PUT", "/api/datasources/uid/provisioned", lokiBody("provisioned", ""), 403},
		{"PUT", "/api/datasources/uid/thanos", with(promBody("thanos", ""), "secureJsonData", nil), 200},
		{"GET", "/api/datasources/uid/thanos", nil, 200},
		{"DELETE", "/api/datasources/uid/provisioned", nil, 403},
		{"DELETE", "/api/datasources/uid/loki-prod", nil, 200},
		{"DELETE", "/api/datasources/name/thanos", nil, 200},
	}
	for _, s := range steps {
		status, raw := admin.do(s.method, s.path, s.body)
		if status != s.wantStatus {
			t.Errorf("%s %s: status %d, want %d: %s", s.method, s.path, status, s.wantStatus, raw)
		}
		for _, secret := range secrets {
			if strings.Contains(string(raw), secret) {
				t.Errorf("%s %s: answer contains a secret value: %s", s.method, s.path, raw)
			}
		}
		if strings.Contains(string(raw), "secureJsonData") {
			t.Errorf("%s %s: answer has a secureJsonData field: %s", s.method, s.path, raw)
		}
	}
	if v, _ := e.SecretValue(1, "provisioned", "basicAuthPassword"); v != "provisioned-secret-Hh7" {
		t.Errorf("refused requests changed a provisioned secret")
	}
}

// The test-facing API: seed follows §6.3, GetDatasource copies, EditDatasource
// bumps the version like a UI save.
func TestDatasourceTestAPI(t *testing.T) {
	e, admin := newClient(t, Options{})
	uid := mustSeed(t, e, 1, DatasourceSpec{Type: "prometheus", URL: "http://thanos:9090",
		JSONData: map[string]any{"httpMethod": "POST"}, SecureJSONData: map[string]string{"sigV4SecretKey": promSigV4Sec, "empty": ""}})
	got, ok := e.GetDatasource(1, uid)
	if !ok {
		t.Fatal("seeded datasource not found")
	}
	want := DatasourceInfo{ID: got.ID, UID: uid, Name: "prometheus", Type: "prometheus", Access: "proxy", URL: "http://thanos:9090",
		IsDefault: true, JSONData: map[string]any{"httpMethod": "POST"}, SecureJSONFields: []string{"sigV4SecretKey"}, Version: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seeded (-want +got):\n%s", diff)
	}
	got.JSONData["httpMethod"] = "GET" // a copy: the store must not change
	if again, _ := e.GetDatasource(1, uid); again.JSONData["httpMethod"] != "POST" {
		t.Errorf("GetDatasource returned the stored map, not a copy")
	}

	if _, err := e.SeedDatasource(1, DatasourceSpec{Name: "prometheus", Type: "prometheus"}); err == nil {
		t.Errorf("seeding a taken name: no error")
	}
	if _, err := e.SeedDatasource(9, DatasourceSpec{Name: "p", Type: "prometheus"}); err == nil {
		t.Errorf("seeding into a missing org: no error")
	}
	if _, err := e.SeedDatasource(1, DatasourceSpec{Name: "p"}); err == nil {
		t.Errorf("seeding without a type: no error")
	}

	if err := e.EditDatasource(1, uid, func(d *DatasourceInfo) {
		d.URL = "http://thanos-v2:9090"
		d.JSONData["timeInterval"] = "15s"
	}); err != nil {
		t.Fatal(err)
	}
	admin.expect("GET", "/api/datasources/uid/"+uid, nil, 200, map[string]any{
		"version": float64(2), "url": "http://thanos-v2:9090", "jsonData": map[string]any{"httpMethod": "POST", "timeInterval": "15s"},
		"secureJsonFields": map[string]any{"sigV4SecretKey": true},
	})
	// §6.4: a client holding version 1 now loses to the UI edit.
	admin.expect("PUT", "/api/datasources/uid/"+uid, with(promBody("prometheus", ""), "version", 1), 409, nil)
	if err := e.EditDatasource(1, "nope", func(*DatasourceInfo) {}); err == nil {
		t.Errorf("editing a missing datasource: no error")
	}
	if v, ok := e.SecretValue(1, uid, "empty"); ok {
		t.Errorf("an empty secret reads as set: %q", v)
	}
	if diff := cmp.Diff([]string{}, e.DatasourceUIDs(42)); diff != "" {
		t.Errorf("uids of a missing org (-want +got):\n%s", diff)
	}
}

// §6.2: numbers in jsonData keep their exact text (no float rounding).
func TestDatasourceJSONDataNumbers(t *testing.T) {
	_, admin := newClient(t, Options{})
	body := `{"name":"cw","type":"cloudwatch","access":"proxy","jsonData":{"accountId":222222222222222222,"ratio":0.1}}`
	admin.expect("POST", "/api/datasources", body, http.StatusOK, nil)
	_, raw := admin.do("GET", "/api/datasources/name/cw", nil)
	if !strings.Contains(string(raw), `"accountId":222222222222222222`) || !strings.Contains(string(raw), `"ratio":0.1`) {
		t.Errorf("jsonData numbers changed: %s", raw)
	}
}

// BenchmarkDatasourceList lists an org of 500 datasources through the handler.
func BenchmarkDatasourceList(b *testing.B) {
	e := New(Options{})
	for i := range 500 {
		if _, err := e.SeedDatasource(1, DatasourceSpec{Name: fmt.Sprintf("cw-%012d", i), Type: "cloudwatch",
			JSONData: map[string]any{"authType": "default", "assumeRoleArn": cwAssumeRole, "defaultRegion": "eu-west-1"}}); err != nil {
			b.Fatal(err)
		}
	}
	req := httptest.NewRequest("GET", "/api/datasources", nil)
	req.Header.Set("Authorization", basicAuth("admin", "admin"))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkDatasourceUpdate updates one datasource through the handler.
func BenchmarkDatasourceUpdate(b *testing.B) {
	e := New(Options{})
	if _, err := e.SeedDatasource(1, DatasourceSpec{UID: "loki-prod", Name: "loki-prod", Type: "loki"}); err != nil {
		b.Fatal(err)
	}
	body, err := json.Marshal(lokiBody("loki-prod", ""))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("PUT", "/api/datasources/uid/loki-prod", bytes.NewReader(body))
		req.Header.Set("Authorization", basicAuth("admin", "admin"))
		rec := httptest.NewRecorder()
		e.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}

// §6.1, §12: the list is capped at datasource_limit (5000), applied in the
// SQL query's byte order of names before the case-insensitive sort.
func TestDatasourceListLimit(t *testing.T) {
	e, admin := newClient(t, Options{})
	for i := range 5000 {
		mustSeed(t, e, 1, DatasourceSpec{Name: fmt.Sprintf("ds-%05d", i), UID: fmt.Sprintf("ds-%05d", i), Type: "prometheus"})
	}
	mustSeed(t, e, 1, DatasourceSpec{Name: "Zeta", UID: "zeta", Type: "prometheus"}) // 'Z' < 'd' in byte order
	_, got := admin.call("GET", "/api/datasources", nil)
	items, _ := got.([]any)
	if len(items) != 5000 {
		t.Fatalf("%d items, want 5000", len(items))
	}
	first, last := items[0].(map[string]any)["name"], items[len(items)-1].(map[string]any)["name"]
	if first != "ds-00000" || last != "Zeta" {
		t.Errorf("first %v, last %v; want ds-00000 and Zeta (ds-04999 cut by the limit)", first, last)
	}
}

package grafanatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Conformance tests of the /apis area against audit §3 (paths, versions,
// namespaces, LIST paging, resourceVersion/generation, annotations, errors,
// coexistence with /api) and §4 (v2 dashboards answer the legacy GET 406).

type k8sList struct {
	Metadata struct {
		Continue string `json:"continue"`
	} `json:"metadata"`
	Items []k8sItem `json:"items"`
}

type k8sItem struct {
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		Name            string            `json:"name"`
		Namespace       string            `json:"namespace"`
		ResourceVersion string            `json:"resourceVersion"`
		Generation      int               `json:"generation"`
		Annotations     map[string]string `json:"annotations"`
		Labels          map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec   map[string]any `json:"spec"`
	Status struct {
		Conversion *struct {
			Failed        bool   `json:"failed"`
			StoredVersion string `json:"storedVersion"`
		} `json:"conversion"`
	} `json:"status"`
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

const dashV1 = "/apis/dashboard.grafana.app/v1beta1/namespaces/default/dashboards"

// §3 "Paths, groups and versions": discovery lists the versions of each
// release; 10.x and 11.x have no /apis.
func TestAPIsDiscovery(t *testing.T) {
	tests := []struct {
		version        Version
		dash, folder   []string
		preferredDash  string
		servesAPIsPath bool
	}{
		{Version{11, 6, 0}, nil, nil, "", false},
		{Version{12, 2, 0}, []string{"v1beta1", "v0alpha1", "v2beta1"}, []string{"v1beta1"}, "v1beta1", true},
		{Version{13, 2, 0}, []string{"v1", "v0alpha1", "v1beta1", "v2beta1", "v2"}, []string{"v1", "v1beta1"}, "v1", true},
	}
	for _, tt := range tests {
		t.Run(tt.version.String(), func(t *testing.T) {
			_, c := newClient(t, Options{Version: tt.version})
			status, body := c.do("GET", "/apis", nil)
			if !tt.servesAPIsPath {
				if status != http.StatusNotFound {
					t.Fatalf("GET /apis on %s = %d, want 404", tt.version, status)
				}
				return
			}
			type gv struct{ Version string }
			list := decode[struct {
				Groups []struct {
					Name             string
					Versions         []gv
					PreferredVersion gv
				}
			}](t, body)
			got := map[string][]string{}
			for _, g := range list.Groups {
				for _, v := range g.Versions {
					got[g.Name] = append(got[g.Name], v.Version)
				}
				if g.Name == dashboardGroup && g.PreferredVersion.Version != tt.preferredDash {
					t.Errorf("preferred dashboard version = %s, want %s", g.PreferredVersion.Version, tt.preferredDash)
				}
			}
			want := map[string][]string{dashboardGroup: tt.dash, folderGroup: tt.folder}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("discovery (-want +got):\n%s", d)
			}
			if status, _ := c.do("GET", "/apis/"+dashboardGroup, nil); status != http.StatusOK {
				t.Errorf("GET /apis/<group> = %d", status)
			}
			if status, _ := c.do("GET", "/apis/dashboard.grafana.app/v9/namespaces/default/dashboards", nil); status != http.StatusNotFound {
				t.Errorf("unknown version = %d, want 404", status)
			}
		})
	}
}

// §3 "Namespaces": default is org 1, org-N another org, org-1 refused; a
// token only reaches its own org.
func TestAPIsNamespaces(t *testing.T) {
	e, c := newClient(t, Options{Version: Version{13, 2, 0}})
	org2 := addOrgWithServerAdmin(e, "two", "Admin")
	if _, err := e.SeedDashboard(org2, DashboardSpec{JSON: map[string]any{"uid": "in-two", "title": "Two"}}); err != nil {
		t.Fatal(err)
	}
	tok := c.token(e, 1, "Admin")
	tests := []struct {
		name   string
		c      *client
		ns     string
		status int
		items  int
	}{
		{"admin default", c, "default", 200, 0},
		{"admin org-2", c, fmt.Sprintf("org-%d", org2), 200, 1},
		{"org-1 is not a namespace", c, "org-1", 400, 0},
		{"garbage namespace", c, "stacks", 400, 0},
		{"token in its org", tok, "default", 200, 0},
		{"token in another org", tok, fmt.Sprintf("org-%d", org2), 403, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := tt.c.do("GET", "/apis/dashboard.grafana.app/v1/namespaces/"+tt.ns+"/dashboards", nil)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if status == 200 {
				if n := len(decode[k8sList](t, body).Items); n != tt.items {
					t.Errorf("%d items, want %d", n, tt.items)
				}
			} else if st := decode[map[string]any](t, body); st["kind"] != "Status" || st["status"] != "Failure" {
				t.Errorf("error body is not a k8s Status: %s", body)
			}
		})
	}
}

// §3 "LIST and paging": pages hold at most limit items (50 without one) and
// about 2 MiB; the last page has no continue; every item is a full object.
func TestAPIsListPaging(t *testing.T) {
	e, c := newClient(t, Options{Version: Version{12, 2, 0}})
	big := strings.Repeat("x", 300<<10) // 300 KiB: 7 fit in 2 MiB
	for i := range 60 {
		if _, err := e.SeedDashboard(1, DashboardSpec{JSON: map[string]any{"uid": fmt.Sprintf("d%02d", i), "title": fmt.Sprint("D ", i), "description": big}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		limit string
		pages []int
	}{
		{"byte cut below limit", "?limit=20", []int{6, 6, 6, 6, 6, 6, 6, 6, 6, 6}},
		{"limit smaller than the byte cut", "?limit=4", []int{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pages []int
			seen := map[string]bool{}
			cont := ""
			for {
				path := dashV1 + tt.limit
				if cont != "" {
					path += "&continue=" + cont
				}
				status, body := c.do("GET", path, nil)
				if status != 200 {
					t.Fatalf("LIST %s = %d: %.200s", path, status, body)
				}
				if len(body) > maxPageBytes+64<<10 {
					t.Errorf("page of %d bytes exceeds the ~2 MiB cut", len(body))
				}
				l := decode[k8sList](t, body)
				pages = append(pages, len(l.Items))
				for _, it := range l.Items {
					if seen[it.Metadata.Name] {
						t.Errorf("%s served twice", it.Metadata.Name)
					}
					seen[it.Metadata.Name] = true
					if it.Spec["description"] != big {
						t.Fatalf("%s: LIST item is not the full spec", it.Metadata.Name)
					}
				}
				if cont = l.Metadata.Continue; cont == "" {
					break
				}
			}
			if d := cmp.Diff(tt.pages, pages); d != "" {
				t.Errorf("page sizes (-want +got):\n%s", d)
			}
			if len(seen) != 60 {
				t.Errorf("read %d dashboards, want 60", len(seen))
			}
		})
	}
	status, body := c.do("GET", "/apis/dashboard.grafana.app/v1beta1/namespaces/default/dashboards?limit=0", nil)
	if status != 200 || len(decode[k8sList](t, body).Items) != 6 {
		t.Errorf("LIST without a limit: %d, want the byte cut's 6 (default limit 50)", status)
	}
	if status, _ := c.do("GET", dashV1+"?continue=bogus!", nil); status != 400 {
		t.Errorf("bad continue token = %d, want 400", status)
	}
}

// §3 "How /api and /apis coexist", "resourceVersion and generation",
// "Annotations", "Errors": writes through either API are seen by both;
// generation = resourceVersion = the legacy version; a stale
// resourceVersion is 409 Conflict; AlreadyExists; NotFound; DELETE Success.
func TestAPIsDashboardRoundTrip(t *testing.T) {
	e, c := newClient(t, Options{Version: Version{13, 2, 0}})
	sa := c.token(e, 1, "Editor")
	if status, body := c.do("POST", "/api/folders", map[string]any{"uid": "fold", "title": "Fold"}); status != 200 {
		t.Fatalf("create folder: %d %s", status, body)
	}
	// Created through /api, read through /apis.
	if status, body := c.do("POST", "/api/dashboards/db", map[string]any{"dashboard": map[string]any{"uid": "legacy", "title": "Legacy"}, "folderUid": "fold"}); status != 200 {
		t.Fatalf("legacy save: %d %s", status, body)
	}
	status, body := c.do("GET", "/apis/dashboard.grafana.app/v1/namespaces/default/dashboards/legacy", nil)
	it := decode[k8sItem](t, body)
	if status != 200 || it.Metadata.Generation != 1 || it.Metadata.ResourceVersion != "1" || it.Metadata.Annotations[annoFolder] != "fold" {
		t.Fatalf("GET legacy via /apis = %d %+v", status, it.Metadata)
	}
	if _, ok := it.Spec["id"]; ok || it.Spec["uid"] != nil || it.Spec["version"] != nil {
		t.Errorf("spec keeps id/uid/version: %v", it.Spec)
	}
	if got := it.Metadata.Annotations[annoCreatedBy]; !strings.HasPrefix(got, "user:") {
		t.Errorf("createdBy = %q, want user:<uid>", got)
	}

	// Created through /apis by a service account, read through /api.
	obj := map[string]any{"metadata": map[string]any{"name": "k8s", "annotations": map[string]string{
		annoFolder: "fold", annoManagedBy: "kubectl", annoManagerID: "grafsync", annoManagerEdits: "true", annoSourcePath: "dash/k8s.json", annoSourceHash: "abc"}},
		"spec": map[string]any{"title": "K8s", "panels": []any{}}}
	status, body = sa.do("POST", "/apis/dashboard.grafana.app/v1/namespaces/default/dashboards", obj)
	if status != http.StatusCreated {
		t.Fatalf("create via /apis = %d %s", status, body)
	}
	it = decode[k8sItem](t, body)
	if !strings.HasPrefix(it.Metadata.Annotations[annoCreatedBy], "service-account:") || it.Metadata.Annotations[annoSourceHash] != "abc" || it.Metadata.Annotations[annoManagedBy] != "kubectl" {
		t.Errorf("annotations after create: %v", it.Metadata.Annotations)
	}
	status, body = c.do("GET", "/api/dashboards/uid/k8s", nil)
	if status != 200 || !strings.Contains(string(body), `"folderUid":"fold"`) || !strings.Contains(string(body), `"version":1`) {
		t.Fatalf("GET /api of an /apis dashboard = %d %s", status, body)
	}
	if status, body = sa.do("POST", "/apis/dashboard.grafana.app/v1/namespaces/default/dashboards", obj); status != http.StatusConflict || decode[map[string]any](t, body)["reason"] != "AlreadyExists" {
		t.Errorf("create twice = %d %s, want 409 AlreadyExists", status, body)
	}

	// Update with the current resourceVersion, then with the stale one.
	obj["metadata"].(map[string]any)["resourceVersion"] = "1"
	obj["spec"].(map[string]any)["title"] = "K8s 2"
	if status, body = sa.do("PUT", "/apis/dashboard.grafana.app/v1/namespaces/default/dashboards/k8s", obj); status != 200 || decode[k8sItem](t, body).Metadata.Generation != 2 {
		t.Fatalf("update = %d %s", status, body)
	}
	status, body = sa.do("PUT", "/apis/dashboard.grafana.app/v1/namespaces/default/dashboards/k8s", obj)
	if st := decode[map[string]any](t, body); status != http.StatusConflict || st["reason"] != "Conflict" || st["kind"] != "Status" {
		t.Errorf("stale resourceVersion = %d %s, want 409 Conflict Status", status, body)
	}
	// A legacy save bumps the generation seen by /apis; annotations stay.
	if status, body = c.do("POST", "/api/dashboards/db", map[string]any{"dashboard": map[string]any{"uid": "k8s", "title": "K8s 3", "version": 2}, "folderUid": "fold"}); status != 200 {
		t.Fatalf("legacy save over /apis dashboard: %d %s", status, body)
	}
	_, body = c.do("GET", "/apis/dashboard.grafana.app/v1beta1/namespaces/default/dashboards/k8s", nil)
	if it = decode[k8sItem](t, body); it.Metadata.Generation != 3 || it.Metadata.Annotations[annoManagerID] != "grafsync" {
		t.Errorf("after legacy save: %+v", it.Metadata)
	}
	if status, body = c.do("DELETE", "/apis/dashboard.grafana.app/v1/namespaces/default/dashboards/k8s", nil); status != 200 || decode[map[string]any](t, body)["status"] != "Success" {
		t.Errorf("DELETE = %d %s", status, body)
	}
	if status, body = c.do("GET", "/apis/dashboard.grafana.app/v1/namespaces/default/dashboards/k8s", nil); status != 404 || decode[map[string]any](t, body)["reason"] != "NotFound" {
		t.Errorf("GET deleted = %d %s", status, body)
	}
	if status, _ = c.do("GET", "/api/dashboards/uid/k8s", nil); status != 404 {
		t.Errorf("legacy GET of a dashboard deleted via /apis = %d", status)
	}
}

// Manager protection: apistore checkManagerPropertiesOnCreate/OnUpdate
// (pkg/storage/unified/apistore, audit §3 "Annotations"): repo is refused
// to anyone but the provisioning identity; managerAllowsEdits not "true"
// refuses users and lets service accounts through; the legacy save over a
// locked dashboard is 400 ErrDashboardCannotSaveProvisionedDashboard.
func TestAPIsManagerProtection(t *testing.T) {
	e, admin := newClient(t, Options{Version: Version{13, 2, 0}})
	sa := admin.token(e, 1, "Admin")
	mk := func(name, kind, edits string) map[string]any {
		a := map[string]string{annoManagedBy: kind, annoManagerID: "grafsync"}
		if edits != "" {
			a[annoManagerEdits] = edits
		}
		return map[string]any{"metadata": map[string]any{"name": name, "annotations": a}, "spec": map[string]any{"title": name}}
	}
	tests := []struct {
		name   string
		c      *client
		obj    map[string]any
		status int
	}{
		{"repo by a token", sa, mk("r1", "repo", "true"), 403},
		{"repo by a user", admin, mk("r2", "repo", "true"), 403},
		{"locked kubectl by a user", admin, mk("k1", "kubectl", ""), 403},
		{"locked kubectl by a token", sa, mk("k2", "kubectl", "false"), 201},
		{"editable terraform by a user", admin, mk("t1", "terraform", "true"), 201},
		{"plugin by a user", admin, mk("p1", "plugin", ""), 201},
		{"no managerId is unmanaged", admin, map[string]any{"metadata": map[string]any{"name": "u1", "annotations": map[string]string{annoManagedBy: "kubectl"}}, "spec": map[string]any{"title": "u1"}}, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := tt.c.do("POST", "/apis/dashboard.grafana.app/v1/namespaces/default/dashboards", tt.obj)
			if status != tt.status {
				t.Errorf("status %d, want %d: %s", status, tt.status, body)
			}
		})
	}
	if status, body := admin.do("POST", "/api/dashboards/db", map[string]any{"dashboard": map[string]any{"uid": "k2", "title": "hand"}, "overwrite": true}); status != 400 || !strings.Contains(string(body), "Cannot save provisioned dashboard") {
		t.Errorf("legacy save over a locked dashboard = %d %s", status, body)
	}
	if err := e.EditDashboard(1, "k2", func(m map[string]any) { m["title"] = "x" }); err == nil {
		t.Error("a UI edit of a locked dashboard succeeded")
	}
	if err := e.EditDashboard(1, "t1", func(m map[string]any) { m["title"] = "hand" }); err != nil {
		t.Errorf("a UI edit of an editable managed dashboard: %v", err)
	}
}

// §4: a dashboard stored as v2 answers the legacy GET 406 naming the /apis
// URL (pkg/api/dashboard.go GetDashboard); /apis v2 serves its spec, v1
// reports the conversion failed and the stored version.
func TestAPIsV2Dashboards(t *testing.T) {
	e, c := newClient(t, Options{Version: Version{13, 2, 0}})
	if _, err := e.SeedDashboard(1, DashboardSpec{JSON: map[string]any{"uid": "dyn", "title": "Dyn", "panels": []any{
		map[string]any{"id": 1, "type": "timeseries", "title": "CPU", "gridPos": map[string]any{"x": 0, "y": 0, "w": 12, "h": 8}}}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.ConvertDashboardToV2(1, "dyn", 0); err != nil {
		t.Fatal(err)
	}
	status, body := c.do("GET", "/api/dashboards/uid/dyn", nil)
	want := `{"message":"dashboard api version not supported, use /apis/dashboard.grafana.app/v2beta1/namespaces/default/dashboards/dyn instead"}`
	if status != http.StatusNotAcceptable || string(body) != want {
		t.Errorf("legacy GET of v2 = %d %s", status, body)
	}
	_, body = c.do("GET", "/apis/dashboard.grafana.app/v2beta1/namespaces/default/dashboards/dyn", nil)
	it := decode[k8sItem](t, body)
	if it.Metadata.Generation != 2 || it.Spec["elements"] == nil || it.Spec["layout"] == nil {
		t.Errorf("v2 GET: %+v", it)
	}
	_, body = c.do("GET", "/apis/dashboard.grafana.app/v1/namespaces/default/dashboards/dyn", nil)
	if it = decode[k8sItem](t, body); it.Status.Conversion == nil || !it.Status.Conversion.Failed || it.Status.Conversion.StoredVersion != "v2beta1" {
		t.Errorf("v1 GET of a v2 dashboard: %s", body)
	}
	// A legacy save (overwrite) stores v1 again: the legacy GET works.
	if status, body := c.do("POST", "/api/dashboards/db", map[string]any{"dashboard": map[string]any{"uid": "dyn", "title": "Dyn"}, "overwrite": true}); status != 200 {
		t.Fatalf("legacy overwrite: %d %s", status, body)
	}
	if status, _ := c.do("GET", "/api/dashboards/uid/dyn", nil); status != 200 {
		t.Errorf("legacy GET after a v1 save = %d", status)
	}
}

// Folders through /apis: parent annotation, Conflict, and both APIs agree.
func TestAPIsFolders(t *testing.T) {
	e, c := newClient(t, Options{Version: Version{12, 2, 0}})
	base := "/apis/folder.grafana.app/v1beta1/namespaces/default/folders"
	if status, body := c.do("POST", base, map[string]any{"metadata": map[string]any{"name": "top", "annotations": map[string]string{annoManagedBy: "kubectl", annoManagerID: "grafsync", annoManagerEdits: "true"}}, "spec": map[string]any{"title": "Top"}}); status != 201 {
		t.Fatalf("create: %d %s", status, body)
	}
	if status, body := c.do("POST", base, map[string]any{"metadata": map[string]any{"name": "kid", "annotations": map[string]string{annoFolder: "top"}}, "spec": map[string]any{"title": "Kid"}}); status != 201 {
		t.Fatalf("create child: %d %s", status, body)
	}
	if info, ok := e.GetFolder(1, "kid"); !ok || info.ParentUID != "top" {
		t.Errorf("child via store: %+v", info)
	}
	if got := e.FolderAnnotations(1, "top")[annoManagerID]; got != "grafsync" {
		t.Errorf("managerId = %q", got)
	}
	status, body := c.do("PUT", base+"/top", map[string]any{"metadata": map[string]any{"name": "top", "resourceVersion": "7"}, "spec": map[string]any{"title": "Top 2"}})
	if status != 409 {
		t.Errorf("stale folder update = %d %s", status, body)
	}
	if status, body := c.do("PUT", base+"/top", map[string]any{"metadata": map[string]any{"name": "top", "resourceVersion": "1"}, "spec": map[string]any{"title": "Top 2"}}); status != 200 {
		t.Errorf("folder update = %d %s", status, body)
	}
	_, body = c.do("GET", "/api/folders/top", nil)
	if !strings.Contains(string(body), `"title":"Top 2"`) || !strings.Contains(string(body), `"version":2`) {
		t.Errorf("legacy view after /apis update: %s", body)
	}
	_, body = c.do("GET", base+"?limit=1", nil)
	if l := decode[k8sList](t, body); len(l.Items) != 1 || l.Metadata.Continue == "" {
		t.Errorf("folder LIST limit=1: %s", body)
	}
	if status, _ := c.do("DELETE", base+"/top", nil); status != 200 {
		t.Errorf("DELETE folder = %d", status)
	}
	if _, ok := e.GetFolder(1, "kid"); ok {
		t.Error("child survived its parent's delete")
	}
}

// The sandbox control (not Grafana's) turns a dashboard into v2 as a UI save
// would; without SandboxControls the route does not exist.
func TestSandboxSaveAsV2(t *testing.T) {
	for _, on := range []bool{false, true} {
		e, c := newClient(t, Options{Version: Version{13, 2, 0}, SandboxControls: on})
		if _, err := e.SeedDashboard(1, DashboardSpec{JSON: map[string]any{"uid": "u", "title": "U"}}); err != nil {
			t.Fatal(err)
		}
		status, body := c.do("POST", "/sandbox/dashboards/u/save-as-v2", nil)
		want, stored := 404, ""
		if on {
			want, stored = 200, "v2beta1"
		}
		if status != want || e.DashboardStoredVersion(1, "u") != stored {
			t.Errorf("controls %v: %d %s, stored %q", on, status, body, e.DashboardStoredVersion(1, "u"))
		}
	}
}

// A dashboard saved as v2 in the UI is Grafana's own v1→v2 conversion of
// it (apps/dashboard/pkg/migration/conversion/v1beta1_to_v2alpha1.go:
// convertDashboardSpec_V1beta1_to_V2alpha1 keeps editable (default true),
// transformTimeSettings maps time, timezone, refresh → autoRefresh and
// timepicker over NewDashboardTimeSettingsSpec's defaults,
// transformAnnotations keeps every annotation, the built-in one too, with
// builtIn as a bool and type in legacyOptions; v2beta1 moves a query's
// datasource uid to datasource.name and its type to group): nothing a
// person did not change differs from the v1 dashboard.
func TestConvertDashboardToV2FollowsGrafana(t *testing.T) {
	builtIn := map[string]any{"builtIn": 1, "datasource": map[string]any{"type": "grafana", "uid": "-- Grafana --"},
		"enable": true, "hide": true, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}
	tests := []struct {
		name string
		v1   map[string]any
		want map[string]any // top-level spec fields
	}{{
		name: "settings kept",
		v1: map[string]any{"title": "Home", "editable": false, "timezone": "utc", "refresh": "5m", "graphTooltip": 1,
			"time": map[string]any{"from": "now-1h", "to": "now"}, "timepicker": map[string]any{"refresh_intervals": []any{"1m", "5m"}},
			"annotations": map[string]any{"list": []any{builtIn}}},
		want: map[string]any{
			"editable": false, "cursorSync": "Crosshair",
			"timeSettings": map[string]any{"from": "now-1h", "to": "now", "timezone": "utc", "autoRefresh": "5m",
				"autoRefreshIntervals": []any{"1m", "5m"}, "fiscalYearStartMonth": float64(0), "hideTimepicker": false},
			"annotations": []any{map[string]any{"kind": "AnnotationQuery", "spec": map[string]any{
				"name": "Annotations & Alerts", "builtIn": true, "enable": true, "hide": true, "iconColor": "rgba(0, 211, 255, 1)",
				"query":         map[string]any{"kind": "DataQuery", "group": "grafana", "version": "v0", "datasource": map[string]any{"name": "-- Grafana --"}, "spec": map[string]any{}},
				"legacyOptions": map[string]any{"type": "dashboard"}}}},
		},
	}, {
		name: "defaults where v1 says nothing",
		v1:   map[string]any{"title": "Bare"},
		want: map[string]any{
			"editable": true, "cursorSync": "Off", "annotations": []any{},
			"timeSettings": map[string]any{"from": "now-6h", "to": "now", "timezone": "browser", "autoRefresh": "",
				"autoRefreshIntervals": []any{"5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"}, "fiscalYearStartMonth": float64(0), "hideTimepicker": false},
		},
	}, {
		name: "a query takes the panel's datasource",
		v1: map[string]any{"title": "Q", "panels": []any{map[string]any{"id": 3, "type": "timeseries", "title": "CPU",
			"datasource": map[string]any{"type": "prometheus", "uid": "prom"}, "gridPos": map[string]any{"x": 0, "y": 0, "w": 12, "h": 8},
			"targets": []any{map[string]any{"refId": "A", "expr": "up"}}}}},
		want: map[string]any{"elements": map[string]any{"panel-3": map[string]any{"kind": "Panel", "spec": map[string]any{
			"id": float64(3), "title": "CPU", "description": "", "links": []any{},
			"data": map[string]any{"kind": "QueryGroup", "spec": map[string]any{"queries": []any{map[string]any{"kind": "PanelQuery", "spec": map[string]any{
				"refId": "A", "hidden": false,
				"query": map[string]any{"kind": "DataQuery", "group": "prometheus", "version": "v0", "datasource": map[string]any{"name": "prom"}, "spec": map[string]any{"expr": "up"}}}}},
				"transformations": []any{}, "queryOptions": map[string]any{}}},
			"vizConfig": map[string]any{"kind": "VizConfig", "group": "timeseries", "spec": map[string]any{"options": nil, "fieldConfig": nil}},
		}}}},
	}, {
		// transformVariables: buildDatasourceVariable (pluginId from query),
		// buildQueryVariable (its query a DataQuery, v2beta1's shape),
		// buildCustomVariable, buildConstantVariable; hide, refresh and sort
		// as enums (transformVariable*ToEnum); adhoc left out here.
		name: "template variables",
		v1: map[string]any{"title": "V", "templating": map[string]any{"list": []any{
			map[string]any{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Source", "hide": 0,
				"current": map[string]any{"text": "Prom", "value": "prom"}, "refresh": 1},
			map[string]any{"name": "job", "type": "query", "datasource": map[string]any{"type": "prometheus", "uid": "${datasource}"},
				"query": map[string]any{"query": "label_values(job)", "refId": "A"}, "refresh": 2, "sort": 1, "multi": true, "includeAll": true, "allValue": ".*",
				"options": []any{map[string]any{"text": "All", "value": "$__all", "selected": true}}},
			map[string]any{"name": "env", "type": "custom", "query": "prod,staging", "hide": 2,
				"current": map[string]any{"text": []any{"prod"}, "value": []any{"prod"}}},
			map[string]any{"name": "region", "type": "constant", "query": "eu-west-1", "skipUrlSync": true},
			map[string]any{"name": "filters", "type": "adhoc"},
		}}},
		want: map[string]any{"variables": []any{
			map[string]any{"kind": "DatasourceVariable", "spec": map[string]any{"name": "datasource", "label": "Source", "hide": "dontHide", "skipUrlSync": false,
				"pluginId": "prometheus", "current": map[string]any{"text": "Prom", "value": "prom"}, "options": []any{}, "multi": false, "includeAll": false,
				"refresh": "onDashboardLoad", "regex": "", "allowCustomValue": true}},
			map[string]any{"kind": "QueryVariable", "spec": map[string]any{"name": "job", "hide": "dontHide", "skipUrlSync": false,
				"query":   map[string]any{"kind": "DataQuery", "group": "prometheus", "version": "v0", "datasource": map[string]any{"name": "${datasource}"}, "spec": map[string]any{"query": "label_values(job)", "refId": "A"}},
				"current": map[string]any{"text": "", "value": ""}, "options": []any{map[string]any{"text": "All", "value": "$__all", "selected": true}},
				"multi": true, "includeAll": true, "allValue": ".*", "refresh": "onTimeRangeChanged", "sort": "alphabeticalAsc", "regex": "", "allowCustomValue": true}},
			map[string]any{"kind": "CustomVariable", "spec": map[string]any{"name": "env", "hide": "hideVariable", "skipUrlSync": false, "query": "prod,staging",
				"current": map[string]any{"text": []any{"prod"}, "value": []any{"prod"}}, "options": []any{}, "multi": false, "includeAll": false, "allowCustomValue": true}},
			map[string]any{"kind": "ConstantVariable", "spec": map[string]any{"name": "region", "hide": "dontHide", "skipUrlSync": true, "query": "eu-west-1",
				"current": map[string]any{"text": "", "value": ""}}},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, c := newClient(t, Options{Version: Version{13, 2, 0}})
			tt.v1["uid"] = "d"
			if _, err := e.SeedDashboard(1, DashboardSpec{JSON: tt.v1}); err != nil {
				t.Fatal(err)
			}
			if err := e.ConvertDashboardToV2(1, "d", 0); err != nil {
				t.Fatal(err)
			}
			_, body := c.do("GET", "/apis/dashboard.grafana.app/v2beta1/namespaces/default/dashboards/d", nil)
			it := decode[k8sItem](t, body)
			got := map[string]any{}
			for k := range tt.want {
				got[k] = it.Spec[k]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("v2 spec (-want +got):\n%s", diff)
			}
		})
	}
}

// A person's UI save is a PUT through /apis carrying the metadata the UI
// read, so the sandbox's save-as-v2 refuses exactly when that PUT would:
// apistore checkManagerPropertiesOnUpdate (pkg/storage/unified/apistore/
// managed.go; audit §3 "Annotations and labels") refuses a user when the
// manager is repo, or is not plugin/classic-file-provisioning and
// managerAllowsEdits is not "true"; a service account passes the latter.
func TestSandboxSaveAsV2FollowsManager(t *testing.T) {
	const base = "/apis/dashboard.grafana.app/v1/namespaces/default/dashboards/"
	tests := []struct {
		name, kind, edits string
		sa                bool // saved by a service account token, not a person
		status            int
	}{
		{"locked by grafsync, a person", "kubectl", "false", false, 403},
		{"locked, no allowsEdits, a person", "terraform", "", false, 403},
		{"locked, a service account", "kubectl", "false", true, 200},
		{"editable, a person", "kubectl", "true", false, 200},
		{"plugin, a person", "plugin", "", false, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, admin := newClient(t, Options{Version: Version{13, 2, 0}, SandboxControls: true})
			sa := admin.token(e, 1, "Admin")
			a := map[string]string{annoManagedBy: tt.kind, annoManagerID: "grafsync"}
			if tt.edits != "" {
				a[annoManagerEdits] = tt.edits
			}
			obj := map[string]any{"metadata": map[string]any{"name": "d", "annotations": a}, "spec": map[string]any{"title": "D"}}
			if status, body := sa.do("POST", strings.TrimSuffix(base, "/"), obj); status != 201 {
				t.Fatalf("create: %d %s", status, body)
			}
			saver := admin
			if tt.sa {
				saver = sa
			}
			// The PUT a UI save makes: the object as read, its title changed.
			_, got := saver.do("GET", base+"d", nil)
			read := decode[map[string]any](t, got)
			read["spec"].(map[string]any)["title"] = "Edited"
			putStatus, putBody := saver.do("PUT", base+"d", read)

			status, body := saver.do("POST", "/sandbox/dashboards/d/save-as-v2", nil)
			if status != tt.status {
				t.Fatalf("save-as-v2 = %d %s, want %d", status, body, tt.status)
			}
			if tt.status != 403 {
				if e.DashboardStoredVersion(1, "d") != "v2beta1" {
					t.Errorf("stored %q after an allowed save", e.DashboardStoredVersion(1, "d"))
				}
				return
			}
			if putStatus != 403 {
				t.Fatalf("the /apis PUT was not refused (%d %s): the test's premise is wrong", putStatus, putBody)
			}
			if diff := cmp.Diff(decode[map[string]any](t, putBody), decode[map[string]any](t, body)); diff != "" {
				t.Errorf("save-as-v2 refusal differs from the /apis PUT's (-put +save):\n%s", diff)
			}
			if e.DashboardStoredVersion(1, "d") != "" {
				t.Errorf("a refused save stored %q", e.DashboardStoredVersion(1, "d"))
			}
		})
	}
}

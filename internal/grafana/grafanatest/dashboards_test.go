package grafanatest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// dashTestClock is a settable clock safe to read from server goroutines.
type dashTestClock struct{ unix atomic.Int64 }

func newDashTestClock() *dashTestClock {
	c := &dashTestClock{}
	c.unix.Store(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Unix())
	return c
}

func (c *dashTestClock) now() time.Time          { return time.Unix(c.unix.Load(), 0).UTC() }
func (c *dashTestClock) advance(d time.Duration) { c.unix.Add(int64(d / time.Second)) }
func (c *dashTestClock) stamp() string           { return c.now().Format(time.RFC3339) }

func (c *dashTestClock) options(v string) Options {
	return Options{Version: dashVersion(v), Now: c.now}
}

func dashVersion(s string) Version {
	v, err := ParseVersion(s)
	dashMust(err)
	return v
}

func dashOpts(v string) Options { return Options{Version: dashVersion(v)} }

func dashMust(err error) {
	if err != nil {
		panic(err)
	}
}

// inT returns a copy of c that reports to t (a subtest).
func (c *client) inT(t *testing.T) *client {
	cp := *c
	cp.t = t
	return &cp
}

// jobj builds a map from alternating keys and values.
func jobj(fields ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	return m
}

// dashTestFolder puts a folder straight into the store: folder routes belong
// to another area, dashboards only read folders.
func dashTestFolder(e *Emulator, orgID int64, uid, title, parentUID string) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.nextDashboardID++
	now := e.now()
	e.st.orgs[orgID].folders[uid] = &folder{
		id: e.st.nextDashboardID, uid: uid, title: title, parentUID: parentUID, version: 1,
		created: now, updated: now, createdBy: 1, updatedBy: 1,
	}
	return e.st.nextDashboardID
}

// dashTestUser adds a user with role in org 1 and returns its client.
func dashTestUser(e *Emulator, c *client, login, role string) *client {
	e.AddUser(UserSpec{Login: login, Password: "pw", OrgRoles: map[int64]string{1: role}})
	return c.as(basicAuth(login, "pw"))
}

// save posts a dashboard and fails the test unless it is accepted.
func save(c *client, body map[string]any) map[string]any {
	c.t.Helper()
	status, got := c.obj("POST", "/api/dashboards/db", body)
	if status != http.StatusOK {
		c.t.Fatalf("save %v: status %d: %v", body, status, got)
	}
	return got
}

// getDash fetches a dashboard and returns its dashboard JSON and meta.
func getDash(c *client, uid string) (dash, meta map[string]any) {
	c.t.Helper()
	status, got := c.obj("GET", "/api/dashboards/uid/"+uid, nil)
	if status != http.StatusOK {
		c.t.Fatalf("get %s: status %d: %v", uid, status, got)
	}
	dash, _ = got["dashboard"].(map[string]any)
	meta, _ = got["meta"].(map[string]any)
	return dash, meta
}

// §3.1: the validation rows, each alone, with the status and body Grafana gives.
func TestDashboardSaveValidation(t *testing.T) {
	tests := []struct {
		name    string
		version string
		setup   func(e *Emulator, c *client)
		viewer  bool
		body    any
		status  int
		want    map[string]any
	}{
		// §1/§3.1: saving needs the Editor role; the RBAC middleware answers before any check.
		{name: "viewer is denied", viewer: true, body: jobj("dashboard", jobj()), status: 403,
			want: jobj("title", "Access denied", "message", "You'll need additional permissions to perform this action. Permissions needed: dashboards:create")},
		// §0.2: malformed JSON.
		{name: "malformed body", body: `{"dashboard":`, status: 400, want: jobj("message", "bad request data")},
		// §3.1 isFolder: true.
		{name: "isFolder", body: jobj("dashboard", jobj("title", "x"), "isFolder", true), status: 400,
			want: jobj("message", "Use folders endpoint for saving folders.")},
		// §3.1: empty title, after trimming.
		{name: "no title", body: jobj("dashboard", jobj()), status: 400,
			want: jobj("message", "Dashboard title cannot be empty", "status", "empty-name")},
		{name: "blank title", body: jobj("dashboard", jobj("title", "   ")), status: 400,
			want: jobj("message", "Dashboard title cannot be empty", "status", "empty-name")},
		// §3.1: title over 5000 characters.
		{name: "title too long", body: jobj("dashboard", jobj("title", strings.Repeat("t", 5001))), status: 400,
			want: jobj("message", "Dashboard title cannot contain more than 5 000 characters", "status", "title-too-long")},
		// §3.1: message over 500 characters.
		{name: "message too long", body: jobj("dashboard", jobj("title", "x"), "message", strings.Repeat("m", 501)), status: 400,
			want: jobj("message", "message too long, max 500 characters")},
		// §3.1: uid characters and length.
		{name: "uid illegal characters", body: jobj("dashboard", jobj("title", "x", "uid", "a/b")), status: 400,
			want: jobj("message", "uid contains illegal characters")},
		{name: "uid too long", body: jobj("dashboard", jobj("title", "x", "uid", strings.Repeat("u", 41))), status: 400,
			want: jobj("message", "uid too long, max 40 characters")},
		// §3.1: an id that names no dashboard.
		{name: "unknown id", body: jobj("dashboard", jobj("title", "x", "id", 999)), status: 404,
			want: jobj("message", "Dashboard not found", "status", "not-found")},
		// §3.1: id and uid naming two different dashboards.
		{name: "id and uid disagree", setup: seedTwo, body: jobj("dashboard", jobj("title", "x", "id", 1, "uid", "two", "version", 1)), status: 400,
			want: jobj("message", "A dashboard with the same uid already exists")},
		// §3.1, §17.2: a missing version counts as 0 and mismatches.
		{name: "version missing", setup: seedTwo, body: jobj("dashboard", jobj("title", "x", "uid", "one")), status: 412,
			want: jobj("message", "The dashboard has been changed by someone else", "status", "version-mismatch")},
		{name: "version stale", setup: seedTwo, body: jobj("dashboard", jobj("title", "x", "uid", "one", "version", 7)), status: 412,
			want: jobj("message", "The dashboard has been changed by someone else", "status", "version-mismatch")},
		{name: "version stale by id", setup: seedTwo, body: jobj("dashboard", jobj("title", "x", "id", 1, "version", 2)), status: 412,
			want: jobj("message", "The dashboard has been changed by someone else", "status", "version-mismatch")},
		// §3.1: a plugin's dashboard needs overwrite.
		{name: "plugin dashboard", setup: seedSpecial, body: jobj("dashboard", jobj("title", "x", "uid", "plug", "version", 1)), status: 412,
			want: jobj("message", "The dashboard belongs to plugin grafana-piechart.", "status", "plugin-dashboard")},
		// §3.1, §14: same title in the same folder is refused up to 11.2 ...
		{name: "name exists 10.x", version: "10", setup: seedTwo, body: jobj("dashboard", jobj("title", "One")), status: 412,
			want: jobj("message", "A dashboard with the same name in the folder already exists", "status", "name-exists")},
		{name: "name exists 11.2", version: "11.2", setup: seedTwo, body: jobj("dashboard", jobj("title", "One")), status: 412,
			want: jobj("message", "A dashboard with the same name in the folder already exists", "status", "name-exists")},
		// ... and allowed from 11.3.
		{name: "name exists allowed 11.x", version: "11", setup: seedTwo, body: jobj("dashboard", jobj("title", "One")), status: 200},
		{name: "name exists allowed 12.x", version: "12", setup: seedTwo, body: jobj("dashboard", jobj("title", "One")), status: 200},
		// §3.1: the same title in another folder is fine even in 11.2.
		{name: "same title other folder 11.2", version: "11.2", setup: seedTwo, body: jobj("dashboard", jobj("title", "One"), "folderUid", "ops"), status: 200},
		// §3.1, §17.6: provisioned dashboards cannot be saved, even with overwrite.
		{name: "provisioned", setup: seedSpecial, body: jobj("dashboard", jobj("title", "x", "uid", "prov"), "overwrite", true), status: 400,
			want: jobj("message", "Cannot save provisioned dashboard")},
		// §3.1: a uid (or id) that belongs to a folder.
		{name: "uid of a folder", setup: seedTwo, body: jobj("dashboard", jobj("title", "x", "uid", "ops")), status: 400,
			want: jobj("message", "Dashboard cannot be changed to a folder")},
		// §3.1: unknown folder, with the casing of the version.
		{name: "folder not found 10.x", version: "10", body: jobj("dashboard", jobj("title", "x"), "folderUid", "nope"), status: 400,
			want: jobj("message", "Folder not found")},
		{name: "folder not found 11.x", version: "11", body: jobj("dashboard", jobj("title", "x"), "folderUid", "nope"), status: 400,
			want: jobj("message", "folder not found")},
		{name: "folder not found 12.x", version: "12", body: jobj("dashboard", jobj("title", "x"), "folderUid", "nope"), status: 400,
			want: jobj("message", "folder not found")},
		{name: "folderId not found", body: jobj("dashboard", jobj("title", "x"), "folderId", 4242), status: 400,
			want: jobj("message", "folder not found")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.version
			if v == "" {
				v = "11"
			}
			e, admin := newClient(t, dashOpts(v))
			admin = admin.inT(t)
			if tt.setup != nil {
				tt.setup(e, admin)
			}
			c := admin
			if tt.viewer {
				c = dashTestUser(e, admin, "viewer", "Viewer")
			}
			status, got := c.obj("POST", "/api/dashboards/db", tt.body)
			if status != tt.status {
				t.Errorf("status %d, want %d; body %v", status, tt.status, got)
			}
			if tt.want == nil {
				return
			}
			if tt.viewer {
				delete(got, "accessErrorId")
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// seedTwo: folder "ops" (id 1 is taken by dashboard "one", so the folder is
// created after), dashboards "one" (id 1, title One) and "two" at the root.
func seedTwo(e *Emulator, c *client) {
	save(c, jobj("dashboard", jobj("title", "One", "uid", "one")))
	save(c, jobj("dashboard", jobj("title", "Two", "uid", "two")))
	dashTestFolder(e, 1, "ops", "Ops", "")
}

func seedSpecial(e *Emulator, c *client) {
	for _, spec := range []DashboardSpec{
		{JSON: jobj("title", "Plug", "uid", "plug"), PluginID: "grafana-piechart"},
		{JSON: jobj("title", "Prov", "uid", "prov"), Provisioned: true, ProvisionedExternalID: "dash/prov.json"},
	} {
		if _, err := e.SeedDashboard(1, spec); err != nil {
			c.t.Fatal(err)
		}
	}
}

// §3.1: a plugin dashboard is saved with overwrite.
func TestDashboardSavePluginOverwrite(t *testing.T) {
	e, admin := newClient(t, Options{})
	seedSpecial(e, admin)
	admin.expect("POST", "/api/dashboards/db", jobj("dashboard", jobj("title", "Plug", "uid", "plug"), "overwrite", true), 200, jobj("version", float64(2)))
}

// §3.1: an id in the uid space of folders is refused like a folder uid.
func TestDashboardSaveFolderID(t *testing.T) {
	e, admin := newClient(t, Options{})
	id := dashTestFolder(e, 1, "ops", "Ops", "")
	admin.expect("POST", "/api/dashboards/db", jobj("dashboard", jobj("title", "x", "id", id)), 400, jobj("message", "Dashboard cannot be changed to a folder"))
}

// §3.1: refresh below min_refresh_interval (5s) is silently raised; longer,
// empty and "auto" values are kept.
func TestDashboardSaveRefresh(t *testing.T) {
	tests := []struct{ refresh, want any }{
		{"1s", "5s"},
		{"500ms", "5s"},
		{"4s", "5s"},
		{"5s", "5s"},
		{"1m", "1m"},
		{"1d", "1d"},
		{"", ""},
		{"auto", "auto"},
		{"soon", "5s"},
	}
	_, admin := newClient(t, Options{})
	for i, tt := range tests {
		t.Run(fmt.Sprint(tt.refresh), func(t *testing.T) {
			c := admin.inT(t)
			uid := fmt.Sprintf("r%d", i)
			save(c, jobj("dashboard", jobj("title", uid, "uid", uid, "refresh", tt.refresh)))
			dash, _ := getDash(c, uid)
			if diff := cmp.Diff(tt.want, dash["refresh"]); diff != "" {
				t.Errorf("refresh (-want +got):\n%s", diff)
			}
		})
	}
}

// §3.1, §17.2, §17.4: create is version 1; an update becomes stored+1 whatever
// the request said; overwrite adopts the stored version; identical content
// still bumps the version.
func TestDashboardSaveVersioning(t *testing.T) {
	_, admin := newClient(t, Options{})
	steps := []struct {
		name string
		body map[string]any
		want float64
	}{
		{"create", jobj("dashboard", jobj("title", "V", "uid", "v", "version", 41)), 1},
		{"update with stored version", jobj("dashboard", jobj("title", "V", "uid", "v", "version", 1)), 2},
		{"identical save bumps", jobj("dashboard", jobj("title", "V", "uid", "v", "version", 2)), 3},
		{"overwrite with stale version", jobj("dashboard", jobj("title", "V", "uid", "v", "version", 1), "overwrite", true), 4},
		{"overwrite with no version", jobj("dashboard", jobj("title", "V", "uid", "v"), "overwrite", true), 5},
	}
	for _, s := range steps {
		got := save(admin, s.body)
		if got["version"] != s.want {
			t.Errorf("%s: version %v, want %v", s.name, got["version"], s.want)
		}
	}
	dash, meta := getDash(admin, "v")
	if dash["version"] != float64(5) || meta["version"] != float64(5) {
		t.Errorf("GET: dashboard.version %v, meta.version %v, want 5", dash["version"], meta["version"])
	}
}

// §3.1: the stored JSON has id, uid, version and a trimmed title written by
// the server; every other key is kept verbatim, numbers exactly.
func TestDashboardSaveRewritesJSON(t *testing.T) {
	e, admin := newClient(t, Options{})
	save(admin, jobj("dashboard", jobj("title", "Old", "uid", "keep")))
	got := save(admin, jobj("dashboard", map[string]any{
		"id": nil, "uid": "keep", "version": 1, "title": "  Spaced  ",
		"custom": map[string]any{"nested": []any{1, "two"}}, "big": json.Number("12345678901234567890"),
	}))
	raw, _, _, ok := e.GetDashboard(1, "keep")
	if !ok {
		t.Fatal("dashboard keep not stored")
	}
	var stored map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	dashMust(dec.Decode(&stored))
	want := map[string]any{
		"id": json.Number(fmt.Sprint(got["id"])), "uid": "keep", "version": json.Number("2"), "title": "Spaced",
		"custom": map[string]any{"nested": []any{json.Number("1"), "two"}}, "big": json.Number("12345678901234567890"),
	}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("stored JSON (-want +got):\n%s", diff)
	}
}

// §3.1: an empty uid gets a generated one; the dashboard is then saved by it.
func TestDashboardSaveGeneratesUID(t *testing.T) {
	_, admin := newClient(t, Options{})
	got := save(admin, jobj("dashboard", jobj("title", "No UID", "uid", "")))
	uid, _ := got["uid"].(string)
	if !uidPattern.MatchString(uid) || uid == "" || len(uid) > maxUIDLength {
		t.Fatalf("generated uid %q is not a valid uid", uid)
	}
	dash, _ := getDash(admin, uid)
	if dash["uid"] != uid {
		t.Errorf("stored uid %v, want %s", dash["uid"], uid)
	}
}

// §3.1: an id alone addresses a dashboard; a new uid with it renames the uid.
func TestDashboardSaveByID(t *testing.T) {
	_, admin := newClient(t, Options{})
	created := save(admin, jobj("dashboard", jobj("title", "ById", "uid", "old")))
	admin.expect("POST", "/api/dashboards/db", jobj("dashboard", jobj("title", "ById", "id", created["id"], "version", 1)), 200, jobj("uid", "old", "version", float64(2)))
	admin.expect("POST", "/api/dashboards/db", jobj("dashboard", jobj("title", "ById", "id", created["id"], "uid", "new", "version", 2)), 200, jobj("uid", "new", "version", float64(3)))
	admin.expect("GET", "/api/dashboards/uid/old", nil, 404, nil)
	admin.expect("GET", "/api/dashboards/uid/new", nil, 200, nil)
}

// §3.1: with overwrite, a duplicate title up to 11.2 replaces the other
// dashboard: the save lands on its uid and version.
func TestDashboardSaveNameExistsOverwrite(t *testing.T) {
	e, admin := newClient(t, dashOpts("11.2"))
	save(admin, jobj("dashboard", jobj("title", "Same", "uid", "first")))
	admin.expect("POST", "/api/dashboards/db", jobj("dashboard", jobj("title", "Same", "uid", "second", "marker", "new"), "overwrite", true), 200,
		jobj("uid", "first", "version", float64(2)))
	if diff := cmp.Diff([]string{"first"}, e.DashboardUIDs(1)); diff != "" {
		t.Errorf("dashboards (-want +got):\n%s", diff)
	}
	dash, _ := getDash(admin, "first")
	if dash["marker"] != "new" {
		t.Errorf("first was not replaced: %v", dash)
	}
}

// §3.1, §17.3: folderUid places the dashboard; omitting it on update moves the
// dashboard to the root; folderId is honoured when folderUid is empty and
// ignored when folderUid is set.
func TestDashboardSaveFolder(t *testing.T) {
	e, admin := newClient(t, Options{})
	opsID := dashTestFolder(e, 1, "ops", "Ops", "")
	dashTestFolder(e, 1, "dev", "Dev", "")
	steps := []struct {
		name string
		body map[string]any
		want string
	}{
		{"create in folder", jobj("dashboard", jobj("title", "F", "uid", "f"), "folderUid", "ops"), "ops"},
		{"omitted folderUid moves to root", jobj("dashboard", jobj("title", "F", "uid", "f", "version", 1)), ""},
		{"folderId honoured", jobj("dashboard", jobj("title", "F", "uid", "f", "version", 2), "folderId", opsID), "ops"},
		{"folderUid wins over folderId", jobj("dashboard", jobj("title", "F", "uid", "f", "version", 3), "folderUid", "dev", "folderId", opsID), "dev"},
		{"empty folderUid is root", jobj("dashboard", jobj("title", "F", "uid", "f", "version", 4), "folderUid", ""), ""},
		{"folderId 0 is root", jobj("dashboard", jobj("title", "F", "uid", "f", "version", 5), "folderUid", "dev"), "dev"},
		{"folderId 0 explicit", jobj("dashboard", jobj("title", "F", "uid", "f", "version", 6), "folderId", 0), ""},
	}
	for _, s := range steps {
		got := save(admin, s.body)
		_, folderUID, _, _ := e.GetDashboard(1, "f")
		if folderUID != s.want || got["folderUid"] != s.want {
			t.Errorf("%s: stored folder %q, response folderUid %v, want %q", s.name, folderUID, got["folderUid"], s.want)
		}
	}
}

// §3.1, §14: the save response; folderUid only from 11.0.
func TestDashboardSaveResponse(t *testing.T) {
	for _, v := range []string{"10", "11.2", "11", "12"} {
		t.Run(v, func(t *testing.T) {
			e, admin := newClient(t, dashOpts(v))
			admin = admin.inT(t)
			dashTestFolder(e, 1, "ops", "Ops", "")
			_, got := admin.obj("POST", "/api/dashboards/db", jobj("dashboard", jobj("title", "Production Overview!", "uid", "prod"), "folderUid", "ops"))
			want := jobj("id", got["id"], "uid", "prod", "url", "/d/prod/production-overview", "status", "success", "version", float64(1), "slug", "production-overview")
			if v != "10" {
				want["folderUid"] = "ops"
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

// §3.4: every save appends a version row with parentVersion and message;
// only the newest 20 are kept.
func TestDashboardVersionHistory(t *testing.T) {
	e, admin := newClient(t, Options{})
	save(admin, jobj("dashboard", jobj("title", "H", "uid", "h"), "message", "initial"))
	save(admin, jobj("dashboard", jobj("title", "H", "uid", "h", "version", 1), "message", "second"))
	_, got := admin.call("GET", "/api/dashboards/uid/h/versions", nil)
	versions := got.(map[string]any)["versions"].([]any)
	var rows []string
	for _, v := range versions {
		m := v.(map[string]any)
		rows = append(rows, fmt.Sprintf("v%v parent %v %q by %v", m["version"], m["parentVersion"], m["message"], m["createdBy"]))
	}
	want := []string{`v2 parent 1 "second" by admin`, `v1 parent 0 "initial" by admin`}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}

	for v := 2; v < 25; v++ {
		save(admin, jobj("dashboard", jobj("title", "H", "uid", "h", "version", v)))
	}
	kept := e.DashboardVersions(1, "h")
	if len(kept) != 20 || kept[0] != 6 || kept[19] != 25 {
		t.Errorf("kept versions %v, want 6..25", kept)
	}
}

// §3.2: GET wraps {dashboard, meta}; meta at the root says General, in a
// folder names it; capabilities follow the role; apiVersion only in 12.x.
func TestDashboardGetMeta(t *testing.T) {
	clock := newDashTestClock()
	for _, v := range []string{"10", "11", "12"} {
		t.Run(v, func(t *testing.T) {
			e, admin := newClient(t, clock.options(v))
			admin = admin.inT(t)
			opsID := dashTestFolder(e, 1, "ops", "Ops Team", "")
			created := clock.stamp()
			save(admin, jobj("dashboard", jobj("title", "Root Dash", "uid", "root")))
			save(admin, jobj("dashboard", jobj("title", "In Folder", "uid", "infolder"), "folderUid", "ops"))
			clock.advance(time.Minute)
			editor := dashTestUser(e, admin, "ed", "Editor")
			save(editor, jobj("dashboard", jobj("title", "In Folder", "uid", "infolder", "version", 1), "folderUid", "ops"))
			updated := clock.stamp()
			viewer := dashTestUser(e, admin, "vi", "Viewer")

			base := func(edit, adm bool) map[string]any {
				perm := jobj("canAdd", edit, "canEdit", edit, "canDelete", edit)
				m := jobj("type", "db", "canSave", edit, "canEdit", edit, "canAdmin", adm, "canDelete", edit,
					"canStar", true, "isStarred", false, "expires", "0001-01-01T00:00:00Z",
					"hasAcl", false, "isFolder", false, "provisioned", false, "provisionedExternalId", "",
					"annotationsPermissions", jobj("dashboard", perm, "organization", perm), "publicDashboardEnabled", false)
				if v == "12" {
					m["apiVersion"] = "v1"
				}
				return m
			}
			root := base(true, true)
			for k, val := range jobj("slug", "root-dash", "url", "/d/root/root-dash", "created", created, "updated", created,
				"createdBy", "admin", "updatedBy", "admin", "version", float64(1),
				"folderId", float64(0), "folderUid", "", "folderTitle", "General", "folderUrl", "") {
				root[k] = val
			}
			_, meta := getDash(admin, "root")
			if diff := cmp.Diff(root, meta); diff != "" {
				t.Errorf("root meta (-want +got):\n%s", diff)
			}

			inFolder := base(false, false)
			for k, val := range jobj("slug", "in-folder", "url", "/d/infolder/in-folder", "created", created, "updated", updated,
				"createdBy", "admin", "updatedBy", "ed", "version", float64(2),
				"folderId", float64(opsID), "folderUid", "ops", "folderTitle", "Ops Team", "folderUrl", "/dashboards/f/ops/ops-team") {
				inFolder[k] = val
			}
			dash, meta := getDash(viewer, "infolder")
			if diff := cmp.Diff(inFolder, meta); diff != "" {
				t.Errorf("folder meta as viewer (-want +got):\n%s", diff)
			}
			if dash["uid"] != "infolder" || dash["version"] != float64(2) || dash["id"] == nil {
				t.Errorf("dashboard JSON lacks server fields: %v", dash)
			}
			_, meta = getDash(editor, "infolder")
			if meta["canSave"] != true || meta["canAdmin"] != false {
				t.Errorf("editor capabilities: canSave %v canAdmin %v, want true false", meta["canSave"], meta["canAdmin"])
			}
		})
	}
}

// §3.2: a provisioned dashboard says so in meta.
func TestDashboardGetProvisioned(t *testing.T) {
	e, admin := newClient(t, Options{})
	seedSpecial(e, admin)
	_, meta := getDash(admin, "prov")
	if diff := cmp.Diff(jobj("provisioned", true, "provisionedExternalId", "dash/prov.json", "createdBy", "Anonymous"),
		jobj("provisioned", meta["provisioned"], "provisionedExternalId", meta["provisionedExternalId"], "createdBy", meta["createdBy"])); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
}

// §3.2: a missing dashboard is 404; "status" joins the body from 11.0. Role
// None cannot read dashboards.
func TestDashboardGetNotFound(t *testing.T) {
	for _, tt := range []struct {
		version string
		want    map[string]any
	}{
		{"10", jobj("message", "Dashboard not found")},
		{"11.2", jobj("message", "Dashboard not found", "status", "not-found")},
		{"11", jobj("message", "Dashboard not found", "status", "not-found")},
		{"12", jobj("message", "Dashboard not found", "status", "not-found")},
	} {
		t.Run(tt.version, func(t *testing.T) {
			_, admin := newClient(t, dashOpts(tt.version))
			admin = admin.inT(t)
			status, got := admin.obj("GET", "/api/dashboards/uid/nope", nil)
			if status != 404 {
				t.Errorf("status %d, want 404", status)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
	e, admin := newClient(t, Options{})
	save(admin, jobj("dashboard", jobj("title", "x", "uid", "x")))
	dashTestUser(e, admin, "nobody", "None").expect("GET", "/api/dashboards/uid/x", nil, 403, nil)
}

// §3.3: delete answers, by version; the history goes with the dashboard.
func TestDashboardDelete(t *testing.T) {
	for _, tt := range []struct {
		version     string
		provisioned string
		withID      bool
	}{
		{"10", "Dashboard cannot be deleted because it was provisioned", true},
		{"11.2", "provisioned dashboard cannot be deleted", false},
		{"11", "provisioned dashboard cannot be deleted", false},
		{"12", "provisioned dashboard cannot be deleted", false},
	} {
		t.Run(tt.version, func(t *testing.T) {
			e, admin := newClient(t, dashOpts(tt.version))
			admin = admin.inT(t)
			seedSpecial(e, admin)
			dashTestFolder(e, 1, "ops", "Ops", "")
			got := save(admin, jobj("dashboard", jobj("title", "Gone Soon", "uid", "gone")))

			want := jobj("title", "Gone Soon", "message", "Dashboard Gone Soon deleted", "uid", "gone")
			if tt.withID {
				want["id"] = got["id"]
			}
			dashTestUser(e, admin, "vi", "Viewer").expect("DELETE", "/api/dashboards/uid/gone", nil, 403, nil)
			status, body := admin.obj("DELETE", "/api/dashboards/uid/gone", nil)
			if diff := cmp.Diff(want, body); status != 200 || diff != "" {
				t.Errorf("delete: status %d, body (-want +got):\n%s", status, diff)
			}
			admin.expect("GET", "/api/dashboards/uid/gone", nil, 404, nil)
			admin.expect("GET", "/api/dashboards/uid/gone/versions", nil, 404, nil)
			admin.expect("DELETE", "/api/dashboards/uid/gone", nil, 404, jobj("message", "Dashboard not found"))
			admin.expect("DELETE", "/api/dashboards/uid/prov", nil, 400, jobj("message", tt.provisioned))
			admin.expect("DELETE", "/api/dashboards/uid/ops", nil, 400, jobj("message", "Use folders endpoint for deleting folders."))
		})
	}
}

// §3.4, §14: the versions list is newest first, paged by limit and start; a
// bare array in 10.x, {versions, continueToken} from 11.
func TestDashboardVersionsList(t *testing.T) {
	for _, v := range []string{"10", "11.2", "11", "12"} {
		t.Run(v, func(t *testing.T) {
			_, admin := newClient(t, dashOpts(v))
			admin = admin.inT(t)
			for i := 0; i < 5; i++ {
				body := jobj("dashboard", jobj("title", "L", "uid", "l", "version", i))
				save(admin, body)
			}
			list := func(query string) (versions []float64, token any) {
				_, got := admin.call("GET", "/api/dashboards/uid/l/versions"+query, nil)
				items, ok := got.([]any)
				if v != "10" {
					obj := got.(map[string]any)
					items, token = obj["versions"].([]any), obj["continueToken"]
				} else if !ok {
					t.Fatalf("10.x versions list is not an array: %v", got)
				}
				for _, it := range items {
					versions = append(versions, it.(map[string]any)["version"].(float64))
				}
				return versions, token
			}
			tests := []struct {
				query     string
				want      []float64
				wantToken any
			}{
				{"", []float64{5, 4, 3, 2, 1}, ""},
				{"?limit=2", []float64{5, 4}, "2"},
				{"?limit=2&start=2", []float64{3, 2}, "4"},
				{"?limit=2&start=4", []float64{1}, ""},
				{"?limit=2&continueToken=2", []float64{3, 2}, "4"},
				{"?start=9", nil, ""},
			}
			for _, tt := range tests {
				got, token := list(tt.query)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s: versions (-want +got):\n%s", tt.query, diff)
				}
				if v != "10" && token != tt.wantToken {
					t.Errorf("%s: continueToken %v, want %v", tt.query, token, tt.wantToken)
				}
			}
		})
	}
}

// §3.4: a single version carries data; unknown versions are 404; restore
// saves the old data as a new version with restoredFrom.
func TestDashboardVersionGetAndRestore(t *testing.T) {
	clock := newDashTestClock()
	e, admin := newClient(t, clock.options("11"))
	created := save(admin, jobj("dashboard", jobj("title", "First", "uid", "r"), "message", "hello"))
	save(admin, jobj("dashboard", jobj("title", "Second", "uid", "r", "version", 1)))

	status, got := admin.obj("GET", "/api/dashboards/uid/r/versions/1", nil)
	want := jobj("id", got["id"], "dashboardId", created["id"], "uid", "r", "parentVersion", float64(0), "restoredFrom", float64(0),
		"version", float64(1), "created", clock.stamp(), "createdBy", "admin", "message", "hello",
		"data", jobj("id", created["id"], "uid", "r", "title", "First", "version", float64(1)))
	if diff := cmp.Diff(want, got); status != 200 || diff != "" {
		t.Errorf("version 1: status %d (-want +got):\n%s", status, diff)
	}
	// §3.4: the versions routes need dashboards:write (Editor).
	viewer := dashTestUser(e, admin, "vi", "Viewer")
	for _, path := range []string{"/api/dashboards/uid/r/versions", "/api/dashboards/uid/r/versions/1"} {
		viewer.expect("GET", path, nil, 403, jobj("message", "You'll need additional permissions to perform this action. Permissions needed: dashboards:write"))
	}
	viewer.expect("POST", "/api/dashboards/uid/r/restore", jobj("version", 1), 403, nil)
	admin.expect("GET", "/api/dashboards/uid/r/versions/9", nil, 404, jobj("message", "Dashboard version not found"))
	admin.expect("GET", "/api/dashboards/uid/nope/versions/1", nil, 404, jobj("message", "Dashboard not found"))
	admin.expect("POST", "/api/dashboards/uid/r/restore", jobj("version", 9), 404, jobj("message", "Dashboard version not found"))

	admin.expect("POST", "/api/dashboards/uid/r/restore", jobj("version", 1), 200,
		jobj("uid", "r", "version", float64(3), "status", "success", "slug", "first", "url", "/d/r/first", "folderUid", ""))
	_, got = admin.obj("GET", "/api/dashboards/uid/r/versions/3", nil)
	if diff := cmp.Diff(jobj("restoredFrom", float64(1), "parentVersion", float64(2), "message", "Restored from version 1"),
		jobj("restoredFrom", got["restoredFrom"], "parentVersion", got["parentVersion"], "message", got["message"])); diff != "" {
		t.Errorf("restored version (-want +got):\n%s", diff)
	}
	dash, _ := getDash(admin, "r")
	if dash["title"] != "First" || dash["version"] != float64(3) {
		t.Errorf("after restore: title %v version %v, want First 3", dash["title"], dash["version"])
	}
}

// §3.5: tags with the number of dashboards carrying each, sorted by term.
func TestDashboardTags(t *testing.T) {
	_, admin := newClient(t, Options{})
	_, got := admin.call("GET", "/api/dashboards/tags", nil)
	if diff := cmp.Diff([]any{}, got); diff != "" {
		t.Errorf("no dashboards (-want +got):\n%s", diff)
	}
	save(admin, jobj("dashboard", jobj("title", "A", "tags", []string{"prod", "aws", "prod"})))
	save(admin, jobj("dashboard", jobj("title", "B", "tags", []string{"prod"})))
	save(admin, jobj("dashboard", jobj("title", "C")))
	_, got = admin.call("GET", "/api/dashboards/tags", nil)
	want := []any{jobj("term", "aws", "count", float64(1)), jobj("term", "prod", "count", float64(2))}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

// The test-facing API: seed, read back, edit as a UI user, list, delete.
func TestDashboardSeedAPI(t *testing.T) {
	e, admin := newClient(t, Options{})
	dashTestFolder(e, 1, "ops", "Ops", "")
	uid, err := e.SeedDashboard(1, DashboardSpec{JSON: []byte(`{"title":"Seeded","panels":[]}`), FolderUID: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.SeedDashboard(1, DashboardSpec{JSON: jobj("title", "Other", "uid", "other")}); err != nil {
		t.Fatal(err)
	}
	wantUIDs := []string{"other", uid}
	slices.Sort(wantUIDs)
	if diff := cmp.Diff(wantUIDs, e.DashboardUIDs(1)); diff != "" {
		t.Errorf("uids (-want +got):\n%s", diff)
	}
	dashMust(e.EditDashboard(1, uid, func(m map[string]any) { m["title"] = "Edited in UI"; m["version"] = 99 }))
	raw, folderUID, version, ok := e.GetDashboard(1, uid)
	var data map[string]any
	dashMust(json.Unmarshal(raw, &data))
	if !ok || folderUID != "ops" || version != 2 || data["title"] != "Edited in UI" || data["version"] != float64(2) {
		t.Errorf("after edit: ok %v folder %q version %d data %v", ok, folderUID, version, data)
	}
	// A client that read version 1 now gets 412, as after a real UI edit.
	admin.expect("POST", "/api/dashboards/db", jobj("dashboard", jobj("title", "Seeded", "uid", uid, "version", 1), "folderUid", "ops"), 412, jobj("status", "version-mismatch"))

	for _, tt := range []struct {
		name string
		org  int64
		spec DashboardSpec
	}{
		{"unknown org", 9, DashboardSpec{JSON: jobj("title", "x")}},
		{"no title", 1, DashboardSpec{JSON: jobj("uid", "x")}},
		{"bad uid", 1, DashboardSpec{JSON: jobj("title", "x", "uid", "a b")}},
		{"folder uid", 1, DashboardSpec{JSON: jobj("title", "x", "uid", "ops")}},
		{"unknown folder", 1, DashboardSpec{JSON: jobj("title", "x"), FolderUID: "nope"}},
		{"not an object", 1, DashboardSpec{JSON: []byte(`[1]`)}},
	} {
		if _, err := e.SeedDashboard(tt.org, tt.spec); err == nil {
			t.Errorf("%s: SeedDashboard succeeded, want an error", tt.name)
		}
	}
	dashMust(e.DeleteDashboard(1, "other"))
	if _, _, _, ok := e.GetDashboard(1, "other"); ok {
		t.Error("other still exists after DeleteDashboard")
	}
	if err := e.EditDashboard(1, "other", func(map[string]any) {}); err == nil {
		t.Error("EditDashboard of a deleted dashboard succeeded")
	}
}

// benchDashboard is a realistic dashboard of about 7 KB: rows of timeseries
// panels with Prometheus targets, templating and annotations.
func benchDashboard(i int) map[string]any {
	var panels []any
	for p := 0; p < 12; p++ {
		panels = append(panels, map[string]any{
			"id": p + 1, "type": "timeseries", "title": fmt.Sprintf("Panel %d of service %d", p, i),
			"gridPos":    map[string]any{"h": 8, "w": 12, "x": (p % 2) * 12, "y": (p / 2) * 8},
			"datasource": map[string]any{"type": "prometheus", "uid": "prom-prod"},
			"fieldConfig": map[string]any{"defaults": map[string]any{"unit": "reqps", "thresholds": map[string]any{
				"mode": "absolute", "steps": []any{map[string]any{"color": "green", "value": nil}, map[string]any{"color": "red", "value": 80}}}}},
			"targets": []any{map[string]any{
				"refId": "A", "datasource": map[string]any{"type": "prometheus", "uid": "prom-prod"},
				"expr":         fmt.Sprintf(`sum(rate(http_requests_total{service="svc-%d",code=~"5.."}[$__rate_interval])) by (route)`, i),
				"legendFormat": "{{route}}",
			}},
		})
	}
	return map[string]any{
		"title": fmt.Sprintf("Service %04d", i), "uid": fmt.Sprintf("svc-%04d", i), "tags": []string{"bench", "prod"},
		"schemaVersion": 39, "refresh": "30s", "time": map[string]any{"from": "now-6h", "to": "now"},
		"templating": map[string]any{"list": []any{map[string]any{"name": "env", "type": "custom", "query": "prod,staging"}}},
		"panels":     panels,
	}
}

// BenchmarkDashboardGet: GET /api/dashboards/uid/{uid} over loopback against
// 1,000 seeded dashboards, 8 concurrent clients.
func BenchmarkDashboardGet(b *testing.B) {
	e, rep := Start(b, Options{})
	uids := make([]string, 1000)
	for i := range uids {
		uid, err := e.SeedDashboard(1, DashboardSpec{JSON: benchDashboard(i)})
		if err != nil {
			b.Fatal(err)
		}
		uids[i] = uid
	}
	raw, _, _, _ := e.GetDashboard(1, uids[0])
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	auth := basicAuth("admin", "admin")
	var next atomic.Int64
	b.SetParallelism(4) // 4 × GOMAXPROCS(2) = 8 concurrent clients
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			uid := uids[next.Add(1)%int64(len(uids))]
			req, _ := http.NewRequest("GET", rep.URL()+"/api/dashboards/uid/"+uid, nil)
			req.Header.Set("Authorization", auth)
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				b.Errorf("GET %s: status %d, %v", uid, resp.StatusCode, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(len(raw)), "dashboard-bytes")
}

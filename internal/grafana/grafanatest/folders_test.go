package grafanatest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var frozen = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const frozenJSON = "2026-05-01T12:00:00Z"

func on() *bool  { b := true; return &b }
func off() *bool { b := false; return &b }

// folderEmulator starts an emulator of version with a frozen clock; nested
// nil keeps the version's default.
func folderEmulator(t *testing.T, version string, nested *bool) (*Emulator, *client) {
	t.Helper()
	v, err := ParseVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, Options{Version: v, NestedFolders: nested, Now: func() time.Time { return frozen }})
}

// roleClient adds a basic-auth user with role in org 1, login = lowercase
// role (orgadmin for Admin).
func roleClient(e *Emulator, admin *client, role string) (*client, int64) {
	login := strings.ToLower(role)
	if role == "Admin" {
		login = "orgadmin" // "admin" is the server admin
	}
	id := e.AddUser(UserSpec{Login: login, Email: login + "@example.com", Password: "pw", OrgRoles: map[int64]string{1: role}})
	return admin.as(basicAuth(login, "pw")), id
}

func seedFolder(t *testing.T, e *Emulator, uid, title, parent string) {
	t.Helper()
	if _, err := e.SeedFolder(1, FolderSpec{UID: uid, Title: title, ParentUID: parent}); err != nil {
		t.Fatal(err)
	}
}

// seedChain seeds a chain of folders l1 ⊃ l2 ⊃ ... ⊃ l<n>.
func seedChain(t *testing.T, e *Emulator, n int) {
	t.Helper()
	parent := ""
	for i := 1; i <= n; i++ {
		uid := "l" + string(rune('0'+i))
		seedFolder(t, e, uid, "Level "+uid, parent)
		parent = uid
	}
}

// seedDashboard writes a dashboard row directly, as the dashboards area would.
func seedDashboard(e *Emulator, uid, title, folderUID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.nextDashboardID++
	e.st.orgs[1].dashboards[uid] = &dashboard{id: e.st.nextDashboardID, uid: uid, title: title, folderUID: folderUID, version: 1}
}

func has(e *Emulator, uid string) bool { _, ok := e.GetFolder(1, uid); return ok }

// §5.3: every row of the create table, in each version mode where it differs.
func TestFolderCreate(t *testing.T) {
	dupUID409 := map[string]any{"message": "a folder/dashboard with the same uid already exists"}
	dupUID412 := map[string]any{"message": "the folder has been changed by someone else", "status": "version-mismatch"}
	atRoot := map[string]any{"message": "a folder or dashboard in the general folder with the same name already exists"}
	inFolder := map[string]any{"message": "a folder with the same name already exists in the current location"}
	tests := []struct {
		name       string
		version    string
		nested     *bool
		role       string // "" = server admin
		body       any
		wantStatus int
		want       map[string]any
	}{
		// §5.3 success: version 1, the given uid and trimmed title.
		{"success", "11", nil, "", map[string]any{"uid": "new", "title": "  New  "}, 200, map[string]any{"uid": "new", "title": "New", "version": float64(1), "url": "/dashboards/f/new/new"}},
		// §5.3: an Editor may create.
		{"editor creates", "11", nil, "Editor", map[string]any{"uid": "new", "title": "New"}, 200, map[string]any{"createdBy": "editor"}},
		// §5.3: a nested create names its parent.
		{"nested create", "11", nil, "", map[string]any{"uid": "new", "title": "New", "parentUid": "infra"}, 200, map[string]any{"parentUid": "infra"}},
		// §5: without nested folders parentUid is ignored and the folder lands at the root.
		{"10.x parentUid ignored", "10", nil, "", map[string]any{"uid": "new", "title": "New", "parentUid": "infra"}, 200, map[string]any{"uid": "new"}},
		{"empty title", "11", nil, "", map[string]any{"title": ""}, 400, map[string]any{"message": "folder title cannot be empty"}},
		{"whitespace title", "11", nil, "", map[string]any{"title": "  \t"}, 400, map[string]any{"message": "folder title cannot be empty"}},
		{"illegal uid", "11", nil, "", map[string]any{"uid": "a/b", "title": "X"}, 400, map[string]any{"message": "uid contains illegal characters"}},
		{"uid too long", "11", nil, "", map[string]any{"uid": strings.Repeat("a", 41), "title": "X"}, 400, map[string]any{"message": "uid too long, max 40 characters"}},
		{"uid of 40 is fine", "11", nil, "", map[string]any{"uid": strings.Repeat("a", 40), "title": "X"}, 200, nil},
		{"uid general reserved", "11", nil, "", map[string]any{"uid": "general", "title": "X"}, 400, nil},
		{"uid sharedwithme reserved", "11", nil, "", map[string]any{"uid": "sharedwithme", "title": "X"}, 400, nil},
		// §5.3: a used uid is 409 on the SQL path (10.x, 11.x) and 412 on the 12.x k8s path.
		{"dup folder uid 10.x", "10", nil, "", map[string]any{"uid": "infra", "title": "X"}, 409, dupUID409},
		{"dup folder uid 11.2", "11.2", nil, "", map[string]any{"uid": "infra", "title": "X"}, 409, dupUID409},
		{"dup folder uid 11.x", "11", nil, "", map[string]any{"uid": "infra", "title": "X"}, 409, dupUID409},
		{"dup folder uid 12.x", "12", nil, "", map[string]any{"uid": "infra", "title": "X"}, 412, dupUID412},
		// §5.3: dashboards share the uid space.
		{"dashboard uid 11.x", "11", nil, "", map[string]any{"uid": "dash", "title": "X"}, 409, dupUID409},
		{"dashboard uid 12.x", "12", nil, "", map[string]any{"uid": "dash", "title": "X"}, 412, dupUID412},
		// §5.3, §14: same title at the same level: 409 up to 11.2, allowed from 11.3.
		{"same title root 10.x", "10", nil, "", map[string]any{"title": "Infra"}, 409, atRoot},
		{"same title root 10.x nested", "10", on(), "", map[string]any{"title": "Infra"}, 409, atRoot},
		{"same title root 11.2", "11.2", nil, "", map[string]any{"title": "Infra"}, 409, atRoot},
		{"same title as root dashboard 11.2", "11.2", nil, "", map[string]any{"title": "Dash"}, 409, atRoot},
		{"same title sub-folder 11.2", "11.2", nil, "", map[string]any{"title": "Team A", "parentUid": "infra"}, 409, inFolder},
		{"same title other level 11.2", "11.2", nil, "", map[string]any{"title": "Infra", "parentUid": "infra"}, 200, nil},
		{"same title root 11.x", "11", nil, "", map[string]any{"title": "Infra"}, 200, map[string]any{"title": "Infra"}},
		{"same title sub-folder 12.x", "12", nil, "", map[string]any{"title": "Team A", "parentUid": "infra"}, 200, nil},
		// The dashboard service reserves "General" as a root folder title.
		{"title General at root", "11", nil, "", map[string]any{"title": "general"}, 400, map[string]any{"message": "A folder with that name already exists"}},
		{"unknown parent", "11", nil, "", map[string]any{"title": "X", "parentUid": "nope"}, 404, map[string]any{"message": "folder not found", "status": "not-found"}},
		// §5, §12: at most 4 levels; the 5th is refused.
		{"level 4 allowed", "11", nil, "", map[string]any{"title": "X", "parentUid": "l3"}, 200, nil},
		{"level 5 refused", "11", nil, "", map[string]any{"title": "X", "parentUid": "l4"}, 400, map[string]any{"message": "Maximum nested folder depth reached", "messageId": "folder.maximum-depth-reached"}},
		// §5.3: creating needs Editor.
		{"viewer denied", "11", nil, "Viewer", map[string]any{"title": "X"}, 403, map[string]any{"title": "Access denied"}},
		// §5.3, §0.1: the role check comes before the body is read.
		{"viewer denied before body", "11", nil, "Viewer", "{", 403, map[string]any{"title": "Access denied"}},
		// §0.2: a malformed body.
		{"malformed body", "11", nil, "", "{", 400, map[string]any{"message": "bad request data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, admin := folderEmulator(t, tt.version, tt.nested)
			admin.t = t
			seedFolder(t, e, "infra", "Infra", "")
			if e.nested {
				seedFolder(t, e, "team-a", "Team A", "infra")
				seedChain(t, e, 4)
			}
			seedDashboard(e, "dash", "Dash", "")
			c := admin
			if tt.role != "" {
				c, _ = roleClient(e, admin, tt.role)
			}
			got := c.expect("POST", "/api/folders", tt.body, tt.wantStatus, tt.want)
			if tt.wantStatus == 200 {
				uid, _ := got["uid"].(string)
				if !has(e, uid) {
					t.Errorf("created folder %q is not stored", uid)
				}
			}
		})
	}
}

// §5.3: an empty uid is generated by the server; §5: with nested folders off
// the created folder is at the root even when a parent was named.
func TestFolderCreateGeneratedUIDAndRoot(t *testing.T) {
	e, admin := folderEmulator(t, "10", nil)
	seedFolder(t, e, "infra", "Infra", "")
	got := admin.expect("POST", "/api/folders", map[string]any{"title": "X", "parentUid": "infra"}, 200, nil)
	uid, _ := got["uid"].(string)
	info, ok := e.GetFolder(1, uid)
	if !ok || len(uid) == 0 || !uidPattern.MatchString(uid) {
		t.Fatalf("generated uid %q not stored or not legal", uid)
	}
	if info.ParentUID != "" {
		t.Errorf("10.x without nested folders: parent %q, want root", info.ParentUID)
	}
	if _, ok := got["parentUid"]; ok {
		t.Errorf("10.x without nested folders: answer has parentUid: %v", got)
	}
}

// §5.3: default permissions. The creator (a user or a service account) gets
// Admin; a root folder also gets Editor→Edit and Viewer→View; a sub-folder
// inherits instead.
func TestFolderDefaultPermissions(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	editor, editorID := roleClient(e, admin, "Editor")
	sa := admin.token(e, 1, "Editor")
	saID := func() int64 {
		e.mu.RLock()
		defer e.mu.RUnlock()
		for _, u := range e.st.users {
			if u.serviceAccount {
				return u.id
			}
		}
		return 0
	}()
	roleEntries := []PermissionInfo{{Role: "Editor", Permission: 2}, {Role: "Viewer", Permission: 1}}
	tests := []struct {
		name string
		c    *client
		body map[string]any
		want []PermissionInfo
	}{
		{"root, by editor", editor, map[string]any{"uid": "a", "title": "A"}, append([]PermissionInfo{{UserID: editorID, Permission: 4}}, roleEntries...)},
		{"root, by service account", sa, map[string]any{"uid": "b", "title": "B"}, append([]PermissionInfo{{UserID: saID, Permission: 4}}, roleEntries...)},
		{"sub-folder, by editor", editor, map[string]any{"uid": "c", "title": "C", "parentUid": "a"}, []PermissionInfo{{UserID: editorID, Permission: 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.t = t
			tt.c.expect("POST", "/api/folders", tt.body, 200, nil)
			got := e.FolderPermissions(1, tt.body["uid"].(string))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("permissions (-want +got):\n%s", diff)
			}
		})
	}
}

// §5.2: the full folder body; parentUid and parents (root-first) only with
// nested folders; 404 shape; the virtual "general" root.
func TestFolderGet(t *testing.T) {
	folder := func(id float64, uid, title string) map[string]any {
		return map[string]any{
			"id": id, "uid": uid, "orgId": float64(1), "title": title, "url": "/dashboards/f/" + uid + "/" + slugify(title),
			"hasAcl": false, "canSave": true, "canEdit": true, "canAdmin": true, "canDelete": true,
			"createdBy": "admin", "created": frozenJSON, "updatedBy": "admin", "updated": frozenJSON, "version": float64(1),
		}
	}
	t.Run("nested, with parents", func(t *testing.T) {
		e, admin := folderEmulator(t, "11", nil)
		seedChain(t, e, 3)
		want := folder(3, "l3", "Level l3")
		want["parentUid"] = "l2"
		l2 := folder(2, "l2", "Level l2")
		l2["parentUid"] = "l1"
		want["parents"] = []any{folder(1, "l1", "Level l1"), l2}
		status, got := admin.obj("GET", "/api/folders/l3", nil)
		if diff := cmp.Diff(want, got); status != 200 || diff != "" {
			t.Errorf("status %d, body (-want +got):\n%s", status, diff)
		}
	})
	t.Run("root folder has neither parentUid nor parents", func(t *testing.T) {
		e, admin := folderEmulator(t, "12", nil)
		seedFolder(t, e, "infra", "Infra", "")
		status, got := admin.obj("GET", "/api/folders/infra", nil)
		if diff := cmp.Diff(folder(1, "infra", "Infra"), got); status != 200 || diff != "" {
			t.Errorf("status %d, body (-want +got):\n%s", status, diff)
		}
	})
	t.Run("10.x without nested folders", func(t *testing.T) {
		e, admin := folderEmulator(t, "10", nil)
		seedFolder(t, e, "infra", "Infra", "")
		status, got := admin.obj("GET", "/api/folders/infra", nil)
		if diff := cmp.Diff(folder(1, "infra", "Infra"), got); status != 200 || diff != "" {
			t.Errorf("status %d, body (-want +got):\n%s", status, diff)
		}
	})
	t.Run("10.x with the toggle", func(t *testing.T) {
		e, admin := folderEmulator(t, "10", on())
		seedChain(t, e, 2)
		admin.expect("GET", "/api/folders/l2", nil, 200, map[string]any{"parentUid": "l1"})
	})
	t.Run("11.x with nested folders turned off", func(t *testing.T) {
		_, admin := folderEmulator(t, "11", off())
		admin.expect("POST", "/api/folders", map[string]any{"uid": "x", "title": "X", "parentUid": "whatever"}, 200, nil)
		got := admin.expect("GET", "/api/folders/x", nil, 200, nil)
		if _, ok := got["parents"]; ok {
			t.Errorf("parents listed with nested folders off: %v", got)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, admin := folderEmulator(t, "11", nil)
		status, got := admin.obj("GET", "/api/folders/nope", nil)
		if diff := cmp.Diff(map[string]any{"message": "folder not found", "status": "not-found"}, got); status != 404 || diff != "" {
			t.Errorf("status %d, body (-want +got):\n%s", status, diff)
		}
	})
	t.Run("general is the virtual root", func(t *testing.T) {
		_, admin := folderEmulator(t, "11", nil)
		admin.expect("GET", "/api/folders/general", nil, 200, map[string]any{"id": float64(0), "title": "General"})
	})
	t.Run("viewer reads but cannot save", func(t *testing.T) {
		e, admin := folderEmulator(t, "11", nil)
		seedFolder(t, e, "infra", "Infra", "")
		viewer, _ := roleClient(e, admin, "Viewer")
		viewer.expect("GET", "/api/folders/infra", nil, 200, map[string]any{"canSave": false, "canEdit": false, "canAdmin": false, "canDelete": false})
	})
	t.Run("role None cannot read", func(t *testing.T) {
		e, admin := folderEmulator(t, "11", nil)
		seedFolder(t, e, "infra", "Infra", "")
		none, _ := roleClient(e, admin, "None")
		none.expect("GET", "/api/folders/infra", nil, 403, map[string]any{"title": "Access denied"})
	})
}

// §5.1: direct children only, sorted by title, paged, parentUid.
func TestFolderList(t *testing.T) {
	type item = map[string]any
	e, admin := folderEmulator(t, "11", nil)
	seedFolder(t, e, "b", "beta", "")
	seedFolder(t, e, "a", "Alpha", "")
	seedFolder(t, e, "c", "Gamma", "")
	seedFolder(t, e, "a1", "Zulu", "a")
	seedFolder(t, e, "a2", "Kilo", "a")
	seedFolder(t, e, "a21", "Deep", "a2")
	tests := []struct {
		name       string
		path       string
		wantStatus int
		want       any
	}{
		{"root: direct children sorted by title", "/api/folders", 200, []any{
			item{"id": float64(2), "uid": "a", "title": "Alpha"}, item{"id": float64(1), "uid": "b", "title": "beta"}, item{"id": float64(3), "uid": "c", "title": "Gamma"}}},
		{"children of a, with parentUid", "/api/folders?parentUid=a", 200, []any{
			item{"id": float64(5), "uid": "a2", "title": "Kilo", "parentUid": "a"}, item{"id": float64(4), "uid": "a1", "title": "Zulu", "parentUid": "a"}}},
		{"limit", "/api/folders?limit=2", 200, []any{item{"id": float64(2), "uid": "a", "title": "Alpha"}, item{"id": float64(1), "uid": "b", "title": "beta"}}},
		{"page is 1-based", "/api/folders?limit=2&page=2", 200, []any{item{"id": float64(3), "uid": "c", "title": "Gamma"}}},
		{"page past the end", "/api/folders?limit=2&page=3", 200, []any{}},
		{"huge page and limit", "/api/folders?limit=9223372036854775807&page=9223372036854775807", 200, []any{}},
		{"malformed paging falls back to defaults", "/api/folders?limit=x&page=-1", 200, []any{
			item{"id": float64(2), "uid": "a", "title": "Alpha"}, item{"id": float64(1), "uid": "b", "title": "beta"}, item{"id": float64(3), "uid": "c", "title": "Gamma"}}},
		{"leaf has no children", "/api/folders?parentUid=a21", 200, []any{}},
		{"unknown parentUid", "/api/folders?parentUid=nope", 404, map[string]any{"message": "folder not found", "status": "not-found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			admin.t = t
			status, got := admin.call("GET", tt.path, nil)
			if diff := cmp.Diff(tt.want, got); status != tt.wantStatus || diff != "" {
				t.Errorf("status %d, want %d; body (-want +got):\n%s", status, tt.wantStatus, diff)
			}
		})
	}
}

// §5.1: the default limit is 1000.
func TestFolderListDefaultLimit(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	for i := range 1001 {
		seedFolder(t, e, "", "F"+strings.Repeat("x", i%7)+string(rune('a'+i%26)), "")
	}
	_, got := admin.call("GET", "/api/folders", nil)
	if n := len(got.([]any)); n != 1000 {
		t.Errorf("listed %d folders, want 1000", n)
	}
	_, got = admin.call("GET", "/api/folders?page=2", nil)
	if n := len(got.([]any)); n != 1 {
		t.Errorf("page 2 has %d folders, want 1", n)
	}
}

// §5, §5.1: without nested folders every folder is at the root and listed
// without parentUid; parentUid is ignored.
func TestFolderListNestedOff(t *testing.T) {
	e, admin := folderEmulator(t, "10", nil)
	seedFolder(t, e, "b", "B", "")
	seedFolder(t, e, "a", "A", "")
	want := []any{map[string]any{"id": float64(2), "uid": "a", "title": "A"}, map[string]any{"id": float64(1), "uid": "b", "title": "B"}}
	for _, path := range []string{"/api/folders", "/api/folders?parentUid=a"} {
		status, got := admin.call("GET", path, nil)
		if diff := cmp.Diff(want, got); status != 200 || diff != "" {
			t.Errorf("GET %s: status %d, body (-want +got):\n%s", path, status, diff)
		}
	}
}

// §5.1: permission=Edit lists only folders the caller can edit.
func TestFolderListPermissionEdit(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	seedFolder(t, e, "a", "A", "")
	seedFolder(t, e, "b", "B", "")
	viewer, viewerID := roleClient(e, admin, "Viewer")
	if err := e.SetFolderPermissions(1, "b", []PermissionInfo{{UserID: viewerID, Permission: 2}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want []string
	}{
		{"/api/folders", []string{"a", "b"}},
		{"/api/folders?permission=View", []string{"a", "b"}},
		{"/api/folders?permission=Edit", []string{"b"}},
	}
	for _, tt := range tests {
		_, got := viewer.call("GET", tt.path, nil)
		var uids []string
		for _, it := range got.([]any) {
			uids = append(uids, it.(map[string]any)["uid"].(string))
		}
		if diff := cmp.Diff(tt.want, uids); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", tt.path, diff)
		}
	}
}

// §5.4: version compare-and-set, title rules, 404, role.
func TestFolderUpdate(t *testing.T) {
	mismatch := map[string]any{"message": "the folder has been changed by someone else", "status": "version-mismatch"}
	tests := []struct {
		name        string
		version     string
		role        string
		uid         string
		body        any
		wantStatus  int
		want        map[string]any
		wantVersion int // stored version after the request
	}{
		{"current version", "11", "", "infra", map[string]any{"title": "Infra 2", "version": 1}, 200, map[string]any{"title": "Infra 2", "version": float64(2), "url": "/dashboards/f/infra/infra-2"}, 2},
		{"description only keeps title", "11", "", "infra", map[string]any{"description": "d", "version": 1}, 200, map[string]any{"title": "Infra", "version": float64(2)}, 2},
		{"version omitted is 0", "11", "", "infra", map[string]any{"title": "X"}, 412, mismatch, 1},
		{"stale version", "11", "", "infra", map[string]any{"title": "X", "version": 7}, 412, mismatch, 1},
		{"stale version 12.x", "12", "", "infra", map[string]any{"title": "X", "version": 0}, 412, mismatch, 1},
		{"overwrite skips the check", "11", "", "infra", map[string]any{"title": "X", "overwrite": true}, 200, map[string]any{"version": float64(2)}, 2},
		{"empty title", "11", "", "infra", map[string]any{"title": " ", "version": 1}, 400, map[string]any{"message": "folder title cannot be empty"}, 1},
		{"General at root", "11", "", "infra", map[string]any{"title": "GENERAL", "version": 1}, 400, nil, 1},
		{"General below the root is a title", "11", "", "sub", map[string]any{"title": "General", "version": 1}, 200, nil, 2},
		{"same title at level 11.2", "11.2", "", "infra", map[string]any{"title": "Other", "version": 1}, 409, map[string]any{"message": "a folder or dashboard in the general folder with the same name already exists"}, 1},
		{"same title at level 11.x", "11", "", "infra", map[string]any{"title": "Other", "version": 1}, 200, nil, 2},
		{"own title again 11.2", "11.2", "", "infra", map[string]any{"title": "Infra", "version": 1}, 200, nil, 2},
		{"not found", "11", "", "nope", map[string]any{"title": "X", "version": 1}, 404, map[string]any{"message": "folder not found", "status": "not-found"}, 0},
		{"viewer denied", "11", "Viewer", "infra", map[string]any{"title": "X", "version": 1}, 403, map[string]any{"title": "Access denied"}, 1},
		{"editor allowed", "11", "Editor", "infra", map[string]any{"title": "X", "version": 1}, 200, map[string]any{"updatedBy": "editor", "createdBy": "admin"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, admin := folderEmulator(t, tt.version, nil)
			admin.t = t
			seedFolder(t, e, "infra", "Infra", "")
			seedFolder(t, e, "other", "Other", "")
			seedFolder(t, e, "sub", "Sub", "infra")
			c := admin
			if tt.role != "" {
				c, _ = roleClient(e, admin, tt.role)
			}
			c.expect("PUT", "/api/folders/"+tt.uid, tt.body, tt.wantStatus, tt.want)
			if info, _ := e.GetFolder(1, tt.uid); info.Version != tt.wantVersion {
				t.Errorf("stored version %d, want %d", info.Version, tt.wantVersion)
			}
		})
	}
}

// §5.4: PUT never moves a folder.
func TestFolderUpdateIgnoresParent(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	seedFolder(t, e, "a", "A", "")
	seedFolder(t, e, "b", "B", "")
	admin.expect("PUT", "/api/folders/b", map[string]any{"title": "B", "version": 1, "parentUid": "a", "uid": "c"}, 200, map[string]any{"uid": "b"})
	if info, _ := e.GetFolder(1, "b"); info.ParentUID != "" {
		t.Errorf("PUT moved the folder under %q", info.ParentUID)
	}
}

// §5.5: move to a parent or the root; no cycles; depth counts the moved subtree.
func TestFolderMove(t *testing.T) {
	tests := []struct {
		name       string
		version    string
		nested     *bool
		uid        string
		parent     string
		wantStatus int
		want       map[string]any
		wantParent string // stored parent of uid afterwards
	}{
		{"under a folder", "11", nil, "x", "l2", 200, map[string]any{"parentUid": "l2", "version": float64(2)}, "l2"},
		{"to the root", "11", nil, "l3", "", 200, map[string]any{"version": float64(2)}, ""},
		{"12.x", "12", nil, "x", "l1", 200, map[string]any{"parentUid": "l1"}, "l1"},
		{"10.x with the toggle", "10", on(), "x", "l2", 200, map[string]any{"parentUid": "l2"}, "l2"},
		{"under itself", "11", nil, "l2", "l2", 400, map[string]any{"messageId": "folder.circular-reference"}, "l1"},
		{"under its descendant", "11", nil, "l1", "l3", 400, map[string]any{"messageId": "folder.circular-reference"}, ""},
		{"leaf to level 4", "11", nil, "x", "l3", 200, nil, "l3"},
		{"leaf to level 5", "11", nil, "x", "l4", 400, map[string]any{"message": "Maximum nested folder depth reached"}, ""},
		// y has a child: under l2 it would reach level 4, under l3 level 5.
		{"subtree fits", "11", nil, "y", "l2", 200, nil, "l2"},
		{"subtree too deep", "11", nil, "y", "l3", 400, map[string]any{"message": "Maximum nested folder depth reached"}, ""},
		{"unknown parent", "11", nil, "x", "nope", 404, map[string]any{"message": "folder not found", "status": "not-found"}, ""},
		{"unknown folder", "11", nil, "nope", "l1", 404, map[string]any{"message": "folder not found", "status": "not-found"}, ""},
		{"same title at target 11.2", "11.2", nil, "x", "l1", 409, map[string]any{"message": "a folder with the same name already exists in the current location"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, admin := folderEmulator(t, tt.version, tt.nested)
			admin.t = t
			seedChain(t, e, 4)
			seedFolder(t, e, "x", "X", "")
			seedFolder(t, e, "x-twin", "X", "l1")
			seedFolder(t, e, "y", "Y", "")
			seedFolder(t, e, "y1", "Y1", "y")
			admin.expect("POST", "/api/folders/"+tt.uid+"/move", map[string]any{"parentUid": tt.parent}, tt.wantStatus, tt.want)
			if info, ok := e.GetFolder(1, tt.uid); ok && info.ParentUID != tt.wantParent {
				t.Errorf("stored parent %q, want %q", info.ParentUID, tt.wantParent)
			}
		})
	}
}

// §5.5: without nested folders, move is 404 with the feature message.
func TestFolderMoveNestedOff(t *testing.T) {
	for _, tt := range []struct {
		version string
		nested  *bool
	}{{"10", nil}, {"11", off()}} {
		e, admin := folderEmulator(t, tt.version, tt.nested)
		seedFolder(t, e, "a", "A", "")
		seedFolder(t, e, "b", "B", "")
		status, got := admin.obj("POST", "/api/folders/b/move", map[string]any{"parentUid": "a"})
		want := map[string]any{"message": "To use this service, you need to activate nested folder feature."}
		if diff := cmp.Diff(want, got); status != 404 || diff != "" {
			t.Errorf("%s: status %d, body (-want +got):\n%s", tt.version, status, diff)
		}
	}
}

// §5.6: delete cascades to sub-folders and their dashboards, recursively.
func TestFolderDelete(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	seedChain(t, e, 3)
	seedFolder(t, e, "keep", "Keep", "")
	seedDashboard(e, "d1", "D1", "l1")
	seedDashboard(e, "d3", "D3", "l3")
	seedDashboard(e, "d-keep", "Keep", "keep")
	seedDashboard(e, "d-root", "Root", "")

	status, got := admin.obj("DELETE", "/api/folders/l1", nil)
	if diff := cmp.Diff(map[string]any{"message": "Folder deleted", "title": "Level l1", "id": float64(1)}, got); status != 200 || diff != "" {
		t.Errorf("status %d, body (-want +got):\n%s", status, diff)
	}
	if diff := cmp.Diff([]string{"keep"}, e.FolderUIDs(1)); diff != "" {
		t.Errorf("folders left (-want +got):\n%s", diff)
	}
	e.mu.RLock()
	var dashboards []string
	for uid := range e.st.orgs[1].dashboards {
		dashboards = append(dashboards, uid)
	}
	e.mu.RUnlock()
	slices.Sort(dashboards)
	if diff := cmp.Diff([]string{"d-keep", "d-root"}, dashboards); diff != "" {
		t.Errorf("dashboards left (-want +got):\n%s", diff)
	}
	admin.expect("DELETE", "/api/folders/l1", nil, 404, map[string]any{"message": "folder not found", "status": "not-found"})
	admin.expect("GET", "/api/folders/l2", nil, 404, nil)
}

// §5.6: deleting needs Editor.
func TestFolderDeleteDenied(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	seedFolder(t, e, "a", "A", "")
	viewer, _ := roleClient(e, admin, "Viewer")
	viewer.expect("DELETE", "/api/folders/a", nil, 403, map[string]any{"title": "Access denied"})
	if !has(e, "a") {
		t.Error("a viewer deleted the folder")
	}
}

// §5.7: descendant counts.
func TestFolderCounts(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	seedChain(t, e, 3)
	seedFolder(t, e, "l1b", "Side", "l1")
	seedDashboard(e, "d1", "D1", "l1")
	seedDashboard(e, "d3", "D3", "l3")
	seedDashboard(e, "root", "Root", "")
	tests := []struct {
		uid        string
		wantStatus int
		want       map[string]any
	}{
		{"l1", 200, map[string]any{"folder": float64(3), "dashboard": float64(2), "librarypanel": float64(0), "alertrule": float64(0)}},
		{"l3", 200, map[string]any{"folder": float64(0), "dashboard": float64(1), "librarypanel": float64(0), "alertrule": float64(0)}},
		{"nope", 404, map[string]any{"message": "folder not found", "status": "not-found"}},
	}
	for _, tt := range tests {
		status, got := admin.obj("GET", "/api/folders/"+tt.uid+"/counts", nil)
		if diff := cmp.Diff(tt.want, got); status != tt.wantStatus || diff != "" {
			t.Errorf("%s: status %d, body (-want +got):\n%s", tt.uid, status, diff)
		}
	}
}

// §1.2: folders are per org; the same uid may exist in two orgs.
func TestFolderPerOrg(t *testing.T) {
	e, admin := folderEmulator(t, "11", nil)
	addOrgWithServerAdmin(e, "Two", "Admin")
	seedFolder(t, e, "same", "Org one", "")
	admin.withHeader("X-Grafana-Org-Id", "2").expect("POST", "/api/folders", map[string]any{"uid": "same", "title": "Org two"}, 200, nil)
	admin.withHeader("X-Grafana-Org-Id", "2").expect("GET", "/api/folders/same", nil, 200, map[string]any{"title": "Org two", "orgId": float64(2)})
	admin.expect("GET", "/api/folders/same", nil, 200, map[string]any{"title": "Org one"})
}

// The test-facing API refuses what the API would.
func TestSeedFolderErrors(t *testing.T) {
	e, _ := folderEmulator(t, "11", nil)
	seedChain(t, e, 4)
	tests := []struct {
		name  string
		org   int64
		spec  FolderSpec
		fails bool
	}{
		{"fine", 1, FolderSpec{UID: "ok", Title: "OK", ParentUID: "l3"}, false},
		{"unknown org", 9, FolderSpec{Title: "X"}, true},
		{"empty title", 1, FolderSpec{UID: "x"}, true},
		{"unknown parent", 1, FolderSpec{Title: "X", ParentUID: "nope"}, true},
		{"too deep", 1, FolderSpec{Title: "X", ParentUID: "l4"}, true},
		{"used uid", 1, FolderSpec{UID: "l1", Title: "X"}, true},
		{"bad uid", 1, FolderSpec{UID: "a b", Title: "X"}, true},
	}
	for _, tt := range tests {
		_, err := e.SeedFolder(tt.org, tt.spec)
		if (err != nil) != tt.fails {
			t.Errorf("%s: error %v, want failure %v", tt.name, err, tt.fails)
		}
	}
	e10, _ := folderEmulator(t, "10", nil)
	seedFolder(t, e10, "a", "A", "")
	if _, err := e10.SeedFolder(1, FolderSpec{Title: "B", ParentUID: "a"}); err == nil {
		t.Error("10.x without nested folders seeded a sub-folder")
	}
	if _, ok := e.GetFolder(1, "nope"); ok {
		t.Error("GetFolder found a folder that does not exist")
	}
	if info, _ := e.GetFolder(1, "l2"); info != (FolderInfo{ID: 2, UID: "l2", Title: "Level l2", ParentUID: "l1", Version: 1, CreatedBy: "admin"}) {
		t.Errorf("GetFolder(l2) = %+v", info)
	}
}

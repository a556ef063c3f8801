package grafanatest

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Conformance tests of /api/library-elements against
// grafana-source-audit.md §4 and row 55, and grafana-api.md §10.

func panelModel(title string) map[string]any {
	return map[string]any{"title": title, "type": "timeseries", "targets": []any{}}
}

func createElement(t *testing.T, c *client, uid, name, folder string) map[string]any {
	t.Helper()
	got := c.expect("POST", "/api/library-elements", map[string]any{"uid": uid, "name": name, "folderUid": folder, "kind": 1, "model": panelModel(name)}, http.StatusOK, nil)
	res, _ := got["result"].(map[string]any)
	return res
}

func dashWithLibrary(uid string, libs ...string) map[string]any {
	var panels []any
	for i, l := range libs {
		panels = append(panels, map[string]any{"id": i + 1, "gridPos": map[string]any{"x": 0, "y": i}, "libraryPanel": map[string]any{"uid": l, "name": l}})
	}
	return map[string]any{"dashboard": map[string]any{"uid": uid, "title": "D " + uid, "panels": panels}}
}

// Audit §4: POST answers the element with version 1; type and description
// are synced from the model (syncFieldsWithModel); a name or uid taken → 400;
// bad uids → 400; an unknown folder → 404.
func TestLibraryElementCreate(t *testing.T) {
	e, c := folderEmulator(t, "11.3.0", nil)
	seedFolder(t, e, "team", "Team", "")
	res := createElement(t, c, "cpu", "CPU", "team")
	want := map[string]any{"uid": "cpu", "name": "CPU", "folderUid": "team", "kind": float64(1), "type": "timeseries", "description": "", "version": float64(1)}
	for k, v := range want {
		if res[k] != v {
			t.Errorf("create answer %s = %v, want %v", k, res[k], v)
		}
	}
	if m, _ := res["model"].(map[string]any); m["description"] != "" || m["type"] != "timeseries" {
		t.Errorf("model not synced: %v", m)
	}
	for _, tt := range []struct {
		name   string
		body   map[string]any
		status int
		msg    string
	}{
		{"uid taken", map[string]any{"uid": "cpu", "name": "Other", "kind": 1, "model": panelModel("x")}, 400, msgLibraryExists},
		{"name taken in folder", map[string]any{"uid": "cpu2", "name": "CPU", "folderUid": "team", "kind": 1, "model": panelModel("x")}, 400, msgLibraryExists},
		{"illegal uid", map[string]any{"uid": "a b", "name": "A", "kind": 1, "model": panelModel("x")}, 400, "uid contains illegal characters"},
		{"long uid", map[string]any{"uid": "a1234567890123456789012345678901234567890", "name": "A", "kind": 1, "model": panelModel("x")}, 400, "uid too long, max 40 characters"},
		{"unknown folder", map[string]any{"uid": "z", "name": "Z", "folderUid": "nope", "kind": 1, "model": panelModel("x")}, 404, "folder not found"},
	} {
		c.expect("POST", "/api/library-elements", tt.body, tt.status, map[string]any{"message": tt.msg})
	}
	// The same name in another folder is fine; by name, both are found.
	createElement(t, c, "cpu-root", "CPU", "")
	_, got := c.obj("GET", "/api/library-elements/name/CPU", nil)
	if els, _ := got["result"].([]any); len(els) != 2 {
		t.Errorf("by name: %v, want 2 elements", got)
	}
	c.expect("GET", "/api/library-elements/name/Nope", nil, 404, map[string]any{"message": msgLibraryNotFound})
}

// Audit §4: PATCH requires version; a stale one → 412; an unknown uid →
// 404; a good one bumps the version by one.
func TestLibraryElementPatchVersionRule(t *testing.T) {
	e, c := folderEmulator(t, "11.3.0", nil)
	seedFolder(t, e, "team", "Team", "")
	createElement(t, c, "cpu", "CPU", "")
	c.expect("PATCH", "/api/library-elements/cpu", map[string]any{"name": "CPU", "kind": 1, "model": panelModel("CPU")}, 400, map[string]any{"message": "bad request data"})
	c.expect("PATCH", "/api/library-elements/cpu", map[string]any{"name": "CPU", "kind": 1, "version": 7, "model": panelModel("CPU")}, 412, map[string]any{"message": msgLibraryVersion})
	c.expect("PATCH", "/api/library-elements/nope", map[string]any{"kind": 1, "version": 1}, 404, map[string]any{"message": msgLibraryNotFound})
	got := c.expect("PATCH", "/api/library-elements/cpu", map[string]any{"name": "CPU v2", "folderUid": "team", "kind": 1, "version": 1, "model": panelModel("CPU v2")}, 200, nil)
	res, _ := got["result"].(map[string]any)
	if res["version"] != float64(2) || res["name"] != "CPU v2" {
		t.Errorf("patch answer: %v", res)
	}
	info, _ := e.GetLibraryElement(1, "cpu")
	if info.FolderUID != "team" || info.Version != 2 {
		t.Errorf("stored %+v, want folder team, version 2", info)
	}
	// The version the last write left is the one to state next.
	c.expect("PATCH", "/api/library-elements/cpu", map[string]any{"kind": 1, "version": 1}, 412, nil)
}

// grafana-api.md §10: the list is {"result": {totalCount, page, perPage,
// elements}}, filtered by searchString and folderFilterUIDs, paged by
// perPage/page, sorted by name.
func TestLibraryElementList(t *testing.T) {
	e, c := folderEmulator(t, "11.3.0", nil)
	seedFolder(t, e, "team", "Team", "")
	createElement(t, c, "a", "Alpha", "team")
	createElement(t, c, "b", "Beta", "")
	createElement(t, c, "g", "Gamma", "team")
	names := func(q string) (int, []string) {
		_, got := c.obj("GET", "/api/library-elements"+q, nil)
		res, _ := got["result"].(map[string]any)
		var out []string
		els, _ := res["elements"].([]any)
		for _, el := range els {
			out = append(out, el.(map[string]any)["name"].(string))
		}
		n, _ := res["totalCount"].(float64)
		return int(n), out
	}
	for _, tt := range []struct {
		q     string
		total int
		want  []string
	}{
		{"", 3, []string{"Alpha", "Beta", "Gamma"}},
		{"?searchString=alp", 1, []string{"Alpha"}},
		{"?folderFilterUIDs=team", 2, []string{"Alpha", "Gamma"}},
		{"?folderFilterUIDs=general", 1, []string{"Beta"}},
		{"?perPage=2&page=2", 3, []string{"Gamma"}},
	} {
		total, got := names(tt.q)
		if total != tt.total || !cmp.Equal(tt.want, got) {
			t.Errorf("GET %s: total %d %v, want %d %v", tt.q, total, got, tt.total, tt.want)
		}
	}
}

// ConnectLibraryPanelsForDashboard (pkg/services/librarypanels, called by
// pkg/api/dashboard.go after the save): connections follow what the saved
// dashboard references, rows' panels included; an unknown uid leaves the
// dashboard saved and answers 500. DELETE of a connected element → 403
// "the library element has connections" (audit §4); once the dashboard
// drops it or is deleted, the delete goes through.
func TestLibraryElementConnections(t *testing.T) {
	e, c := folderEmulator(t, "11.3.0", nil)
	createElement(t, c, "cpu", "CPU", "")
	createElement(t, c, "mem", "Memory", "")
	c.expect("POST", "/api/dashboards/db", dashWithLibrary("d1", "cpu"), 200, nil)
	row := map[string]any{"dashboard": map[string]any{"uid": "d2", "title": "D2", "panels": []any{
		map[string]any{"type": "row", "panels": []any{map[string]any{"libraryPanel": map[string]any{"uid": "cpu", "name": "CPU"}}}},
	}}}
	c.expect("POST", "/api/dashboards/db", row, 200, nil)
	if info, _ := e.GetLibraryElement(1, "cpu"); !cmp.Equal(info.Connected, []string{"d1", "d2"}) {
		t.Errorf("cpu connected to %v, want [d1 d2]", info.Connected)
	}
	_, got := c.call("GET", "/api/library-elements/cpu/connections", nil)
	conns, _ := got.(map[string]any)["result"].([]any)
	if len(conns) != 2 || conns[0].(map[string]any)["connectionUid"] != "d1" || conns[0].(map[string]any)["kind"] != float64(1) {
		t.Errorf("connections: %v", conns)
	}
	c.expect("DELETE", "/api/library-elements/cpu", nil, 403, map[string]any{"message": msgLibraryConnections})

	// An unknown uid: saved, not connected, 500.
	c.expect("POST", "/api/dashboards/db", dashWithLibrary("d3", "ghost"), 500, map[string]any{"message": "Error while connecting library panels"})
	if _, _, _, ok := e.GetDashboard(1, "d3"); !ok {
		t.Error("the dashboard was not saved before connecting failed")
	}
	// A libraryPanel without a uid: errLibraryPanelHeaderUIDMissing → 500.
	c.expect("POST", "/api/dashboards/db", map[string]any{"dashboard": map[string]any{"uid": "d4", "title": "D4",
		"panels": []any{map[string]any{"libraryPanel": map[string]any{"name": "x"}}}}}, 500, nil)

	// d1 switches to mem; d2 is deleted: cpu is free.
	d1 := dashWithLibrary("d1", "mem")
	d1["overwrite"] = true
	c.expect("POST", "/api/dashboards/db", d1, 200, nil)
	c.expect("DELETE", "/api/dashboards/uid/d2", nil, 200, nil)
	if info, _ := e.GetLibraryElement(1, "cpu"); len(info.Connected) != 0 {
		t.Errorf("cpu still connected to %v", info.Connected)
	}
	c.expect("DELETE", "/api/library-elements/cpu", nil, 200, map[string]any{"message": "Library element deleted"})
	c.expect("GET", "/api/library-elements/cpu", nil, 404, map[string]any{"message": msgLibraryNotFound})
}

// Audit row 55 and §4 (pkg/api/folder.go DeleteFolder): a folder holding a
// connected library element is refused with 403, before anything in it is
// deleted, even when the connected dashboard is in the folder too; one
// holding only unconnected elements is deleted with them. §5.7 counts them.
func TestFolderDeleteWithLibraryElements(t *testing.T) {
	e, c := folderEmulator(t, "11.3.0", nil)
	seedFolder(t, e, "team", "Team", "")
	seedFolder(t, e, "sub", "Sub", "team")
	createElement(t, c, "cpu", "CPU", "sub")
	createElement(t, c, "loose", "Loose", "team")
	c.expect("POST", "/api/dashboards/db", map[string]any{"dashboard": dashWithLibrary("d1", "cpu")["dashboard"], "folderUid": "team"}, 200, nil)
	c.expect("GET", "/api/folders/team/counts", nil, 200, map[string]any{"librarypanel": float64(2), "dashboard": float64(1)})
	c.expect("DELETE", "/api/folders/team", nil, 403, map[string]any{"message": msgLibraryFolderInUse})
	if _, _, _, ok := e.GetDashboard(1, "d1"); !ok {
		t.Error("a refused folder delete deleted the dashboard")
	}
	c.expect("DELETE", "/api/dashboards/uid/d1", nil, 200, nil)
	c.expect("DELETE", "/api/folders/team", nil, 200, nil)
	for _, uid := range []string{"cpu", "loose"} {
		if _, ok := e.GetLibraryElement(1, uid); ok {
			t.Errorf("library element %s survived its folder", uid)
		}
	}
}

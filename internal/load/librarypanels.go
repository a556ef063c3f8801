package load

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/grafsync/grafsync/internal/jsonc"
	"github.com/grafsync/grafsync/internal/resource"
)

// LibraryPanelSuffix ends the name of a library panel file under
// dashboards/: <name>.libpanel.json, in the directory of the folder it
// belongs to (the top of dashboards/ is the General folder).
const LibraryPanelSuffix = ".libpanel.json"

// libraryPanelKeys are the keys of Grafana's library element, as
// GET /api/library-elements/:uid's "result" gives it (grafana-api.md §10).
// grafsync reads uid, name, kind and model; the directory sets the folder;
// the others are Grafana's own and ignored.
var (
	libraryPanelRead    = []string{"uid", "name", "kind", "model"}
	libraryPanelIgnored = []string{"id", "orgId", "folderId", "folderUid", "type", "description", "version", "meta", "schemaVersion"}
)

// libState is what loading one org's library panels collects.
type libState struct {
	uids  map[string]string // uid → file
	names map[string]string // folderUID + "\x00" + name → file
	// exported: dashboard file + "\x00" + uid for each library panel a
	// dashboard exported "for sharing" carries in __elements.
	exported map[string]bool
}

// loadLibraryPanel reads one <name>.libpanel.json.
func (l *loader) loadLibraryPanel(o *orgState, s *dbState, file, rel, folderUID string) {
	data, ok := l.readFile(file)
	if !ok {
		return
	}
	d := doc{file: file, data: bytes.TrimPrefix(data, utf8BOM)}
	l.checkJSONText(file, d.data)
	// Strictly, as dashboards: a repeated key is an error, not "the last
	// wins".
	v, err := jsonc.Decode(d.data)
	if err != nil {
		l.jsonError(d, err)
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		l.errorf(d.pos(nil, false), "", "a library panel must be a JSON object")
		return
	}
	if r, ok := m["result"].(map[string]any); ok && r["model"] != nil {
		l.errorf(d.pos(path{"result"}, true), "keep only the value of \"result\" in the file (jq .result)",
			"this is a Grafana API response, not a library panel")
		return
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		if !slices.Contains(libraryPanelRead, k) && !slices.Contains(libraryPanelIgnored, k) {
			l.warnf(d.pos(path{k}, true), "a library panel file holds uid, name, kind and model", "%s: unknown key, ignored", k)
		}
	}
	lp := &resource.LibraryPanel{FolderUID: folderUID, Path: rel, Source: resource.Pos{File: file}}
	base := strings.TrimSuffix(rel, LibraryPanelSuffix)
	switch uid := m["uid"].(type) {
	case nil:
		lp.UID = DerivedUID(base)
	case string:
		lp.UID = uid
		if uid == "" {
			lp.UID = DerivedUID(base)
		} else {
			l.checkUID(func() resource.Pos { return d.pos(path{"uid"}, false) }, path{"uid"}, uid)
		}
	default:
		lp.UID = DerivedUID(base)
		l.errorf(d.pos(path{"uid"}, false), "", "uid: want a string")
	}
	switch name := m["name"].(type) {
	case string:
		lp.Name = name
		if strings.TrimSpace(name) == "" {
			l.errorf(d.pos(path{"name"}, false), "", "name: library panel name is empty")
		}
	case nil:
		l.errorf(d.pos(nil, false), "add a \"name\" (the library panel's name in Grafana)", "library panel name is missing")
	default:
		l.errorf(d.pos(path{"name"}, false), "", "name: want a string")
	}
	switch kind := m["kind"].(type) {
	case nil:
	case float64:
		if kind == 2 {
			l.errorf(d.pos(path{"kind"}, false), "grafsync manages library panels only", "kind: 2 is a library variable, not a panel")
		} else if kind != 1 {
			l.errorf(d.pos(path{"kind"}, false), "library panels are kind 1", "kind: %v is not a library element kind", kind)
		}
	default:
		l.errorf(d.pos(path{"kind"}, false), "library panels are kind 1", "kind: want the number 1")
	}
	switch model := m["model"].(type) {
	case map[string]any:
		lp.Model = model
		for _, k := range []string{"type", "description"} {
			// Grafana's syncFieldsWithModel asserts these are strings.
			if val, ok := model[k]; ok && val != nil {
				if _, ok := val.(string); !ok {
					l.errorf(d.pos(path{"model", k}, false), "", "model.%s: want a string (Grafana fails with 500 otherwise)", k)
				}
			}
		}
	case nil:
		l.errorf(d.pos(nil, false), "add the panel as \"model\"", "library panel model is missing")
	default:
		l.errorf(d.pos(path{"model"}, false), "", "model: want a JSON object (the panel)")
	}
	if f, ok := m["folderUid"].(string); ok && f != folderUID && !(f == "general" && folderUID == "") {
		where := "the General folder"
		if folderUID != "" {
			where = "folder " + folderUID
		}
		l.warnf(d.pos(path{"folderUid"}, false), "the directory sets the folder; remove folderUid or move the file",
			"folderUid: %q is ignored: the file's directory puts it in %s", f, where)
	}
	if prev, dup := s.lib.uids[lp.UID]; dup {
		l.errorf(d.pos(path{"uid"}, false), "library panel uids must be unique in an org", "uid %q is also the uid of library panel %s", lp.UID, prev)
		return
	}
	s.lib.uids[lp.UID] = file
	if lp.Name != "" {
		key := folderUID + "\x00" + lp.Name
		if prev, dup := s.lib.names[key]; dup {
			l.errorf(d.pos(path{"name"}, false), "Grafana refuses two library panels of one name in a folder", "name %q is also the name of library panel %s in the same folder", lp.Name, prev)
			return
		}
		s.lib.names[key] = file
	}
	o.org.LibraryPanels = append(o.org.LibraryPanels, lp)
}

// libraryRefs collects a dashboard's libraryPanel references, in panels
// and in rows' panels, as Grafana's ConnectLibraryPanelsForDashboard does
// (it reads only "panels"); a reference without a uid is an error, because
// Grafana saves the dashboard and then fails to connect it (500).
func (l *loader) libraryRefs(d doc, model map[string]any) []resource.LibraryPanelRef {
	var refs []resource.LibraryPanelRef
	var walk func(at path, v any)
	walk = func(at path, v any) {
		panels, _ := v.([]any)
		for i, p := range panels {
			panel, _ := p.(map[string]any)
			if panel == nil {
				continue
			}
			if panel["type"] == "row" {
				walk(at.with(i, "panels"), panel["panels"])
				continue
			}
			raw, has := panel["libraryPanel"]
			if !has || raw == nil {
				continue
			}
			lp, _ := raw.(map[string]any)
			uid, _ := lp["uid"].(string)
			if uid == "" {
				l.errorf(d.pos(at.with(i, "libraryPanel"), false), "set the uid of the library panel it uses; Grafana saves the dashboard, then fails with 500 \"Error while connecting library panels\"",
					"%s: libraryPanel has no uid", at.with(i, "libraryPanel"))
				continue
			}
			refs = append(refs, resource.LibraryPanelRef{UID: uid, Source: d.pos(at.with(i, "libraryPanel", "uid"), false)})
		}
	}
	walk(path{"panels"}, model["panels"])
	return refs
}

// checkLibraryRefs warns about dashboard references to library panels the
// repository does not hold: they may exist in Grafana, which validate
// cannot see; plan checks there and refuses a reference Grafana lacks too.
func (l *loader) checkLibraryRefs(o *orgState, s *dbState) {
	have := map[string]bool{}
	for _, lp := range o.org.LibraryPanels {
		have[lp.UID] = true
	}
	for _, d := range o.org.Dashboards {
		for _, r := range d.LibraryPanels {
			if have[r.UID] {
				continue
			}
			hint := fmt.Sprintf("add it as a %s file, or make sure Grafana has it; plan refuses it when Grafana does not", LibraryPanelSuffix)
			if s.lib.exported[d.Source.File+"\x00"+r.UID] {
				// Only Grafana's import API creates library panels from
				// __elements; /api/dashboards/db, which grafsync uses, ignores it.
				hint = fmt.Sprintf("the dashboard's __elements holds it: save __elements[%q] as a %s file (Grafana creates library panels from __elements only on import)", r.UID, LibraryPanelSuffix)
			}
			l.warnf(r.Source, hint, "library panel %q is not in the repository", r.UID)
		}
	}
}

func isLibraryPanelFile(name string) bool { return strings.HasSuffix(name, LibraryPanelSuffix) }

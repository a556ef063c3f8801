package load

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	pathpkg "path"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/jsonc"
	"github.com/grafsync/grafsync/internal/resource"
)

var (
	folderKeys     = []string{"uid", "title", "permissions"}
	permissionKeys = []string{"role", "team", "user", "permission"}
)

// FolderFile is the optional per-directory folder config.
const FolderFile = "_folder.yaml"

// doc is a dashboard file being checked; positions are computed from it
// only when a problem must be reported.
type doc struct {
	file string
	data []byte     // JSON source
	node *yaml.Node // YAML source
	hash string     // the file's git blob id (resource.Dashboard.SourceHash); set while loading it
}

func (d doc) pos(p path, key bool) resource.Pos {
	pos := resource.Pos{File: d.file}
	if d.node != nil {
		n := yamlLocate(d.node, p, key)
		pos.Line, pos.Col = n.Line, n.Column
	} else if d.data != nil {
		pos.Line, pos.Col = lineCol(d.data, jsonLocate(d.data, p, key))
	}
	return pos
}

// reopen re-reads a dashboard or _folder.yaml file that loaded, to find a
// position in it. It reads no more than the file limit and parses as
// loading does (a file may have changed since): only a position is lost
// when it fails.
func (l *loader) reopen(file string) doc {
	d := doc{file: file}
	f, err := l.fsys.Open(file)
	if err != nil {
		return d
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, l.limits.FileBytes))
	if err != nil {
		return d
	}
	if isJSON(file) {
		d.data = bytes.TrimPrefix(data, utf8BOM)
	} else if n, err := l.parseNode(file, data); err == nil && n != nil {
		d.node = n
	}
	return d
}

func isJSON(name string) bool { return strings.HasSuffix(name, ".json") }

var utf8BOM = []byte("\xef\xbb\xbf")

// DerivedUID is the uid of a dashboard or folder that does not set one: its
// path relative to the org's dashboards/ directory (without the file
// extension), lowercased, with every character other than a-z, 0-9, - and _
// replaced by "-". Longer than 40 characters, it is the first 31 characters,
// "-" and the first 8 hex digits of the SHA-256 of the path. It depends only
// on the path, so it never changes between runs.
func DerivedUID(rel string) string {
	b := []byte(strings.ToLower(rel))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) <= 40 {
		return string(b)
	}
	sum := sha256.Sum256([]byte(rel))
	return string(b[:31]) + "-" + hex.EncodeToString(sum[:4])
}

// uidUse records who holds a folder or dashboard uid (one namespace in Grafana).
type uidUse struct {
	what string // "folder platform" or "dashboard platform/ecs.json"
	file string
	pos  resource.Pos // zero: compute from file when needed
	// explicit is true when the file sets the uid (otherwise it is derived).
	explicit bool
	// folder is the folder claiming a derived uid: it gives the uid up to a
	// dashboard (see claimUID).
	folder *resource.Folder
}

func (l *loader) usePos(u uidUse) resource.Pos {
	if u.pos.File != "" {
		return u.pos
	}
	if u.explicit {
		return l.reopen(u.file).pos(path{"uid"}, false)
	}
	return resource.Pos{File: u.file}
}

// dbState is the state of walking one org's dashboards/.
type dbState struct {
	root   string // org's dashboards/ directory
	uids   map[string]uidUse
	titles map[string]string // folderUID + "\x00" + title → file
	// folderTitles: parent folderUID + "\x00" + lowercased title → folder path.
	folderTitles map[string]string
	// rootTitles: exact title → file of the top-level dashboards.
	rootTitles map[string]string
	// yielded are folders whose derived uid a dashboard claimed after the
	// folder's contents were loaded with it: they are renamed at the end.
	yielded []*resource.Folder
	lib     libState
	// sel is what the checks of a JSON dashboard read (dashboardSelection);
	// nil: dashboards are decoded in full.
	sel *jsonc.Selection
}

// FolderUIDSuffix is added to a folder's derived uid (DerivedUID) when a
// dashboard has that uid: folders and dashboards share one uid namespace in
// Grafana, and the dashboard's uid is the one its links and exports use.
const FolderUIDSuffix = "-folder"

func (l *loader) claimUID(s *dbState, uid string, u uidUse, pos func() resource.Pos) {
	if uid == resource.ReservedUID {
		l.errorf(pos(), "set another uid", "uid %q of %s is reserved: grafsync keeps its record of the folders it manages in a dashboard with this uid", uid, u.what)
		return
	}
	prev, dup := s.uids[uid]
	switch {
	case dup && u.folder != nil && prev.folder == nil:
		// A derived folder uid meets a dashboard that already holds it: the
		// folder, not yet walked into, takes another.
		l.yieldFolderUID(s, u.folder, prev)
		u.folder.UID = DerivedUID(u.folder.Path) + FolderUIDSuffix
		l.claimUID(s, u.folder.UID, uidUse{what: u.what, pos: u.pos}, pos)
		return
	case dup && prev.folder != nil && u.folder == nil:
		// A dashboard claims a derived folder uid: the dashboard keeps it and
		// the folder is renamed once the walk is over (its contents already
		// point at it).
		l.yieldFolderUID(s, prev.folder, u)
		s.yielded = append(s.yielded, prev.folder)
		s.uids[uid] = u
		return
	}
	if dup {
		hint := "uids must be unique across folders and dashboards in an org"
		if !u.explicit {
			hint = "set a uid in one of them"
		}
		l.errorf(pos(), hint, "uid %q of %s is already used by %s at %s", uid, u.what, prev.what, l.usePos(prev))
		return
	}
	s.uids[uid] = u
}

// yieldFolderUID says that folder f gives its derived uid up to dashboard u.
func (l *loader) yieldFolderUID(s *dbState, f *resource.Folder, u uidUse) {
	l.warnf(f.Source, "set a uid in "+pathpkg.Join(s.root, f.Path, FolderFile)+" to choose the folder's uid",
		"folder %s: its derived uid %q is the uid of %s, so the folder gets uid %q",
		f.Path, f.UID, u.what, DerivedUID(f.Path)+FolderUIDSuffix)
}

func (l *loader) loadDashboards(o *orgState, dir string) {
	s := &dbState{root: dir, uids: map[string]uidUse{}, titles: map[string]string{}, folderTitles: map[string]string{}, rootTitles: map[string]string{},
		lib: libState{uids: map[string]string{}, names: map[string]string{}, exported: map[string]bool{}}}
	if !l.opts.fullDecode {
		s.sel = dashboardSelection()
	}
	l.walkFolder(o, s, "", "", 0)
	for _, f := range s.yielded {
		old := f.UID
		f.UID = DerivedUID(f.Path) + FolderUIDSuffix
		l.claimUID(s, f.UID, uidUse{what: "folder " + f.Path, pos: f.Source}, func() resource.Pos { return f.Source })
		for _, sub := range o.org.Folders {
			if sub.ParentUID == old {
				sub.ParentUID = f.UID
			}
		}
		for _, d := range o.org.Dashboards {
			if d.FolderUID == old {
				d.FolderUID = f.UID
			}
		}
		for _, lp := range o.org.LibraryPanels {
			if lp.FolderUID == old {
				lp.FolderUID = f.UID
			}
		}
	}
	l.checkLibraryRefs(o, s)
}

// walkFolder loads the dashboards in root/rel and its subdirectories.
func (l *loader) walkFolder(o *orgState, s *dbState, rel, folderUID string, depth int) {
	dir := pathpkg.Join(s.root, rel)
	entries, err := fs.ReadDir(l.fsys, dir)
	if err != nil {
		l.errorf(resource.Pos{File: dir}, "", "cannot read directory: %v", err)
		return
	}
	// The files are sorted out first, then loaded in directory order; the
	// dashboards among them are read ahead, the JSON ones decoded on other
	// goroutines (see decodeAhead).
	type item struct {
		file, rel string
		library   bool
	}
	var items []item
	for _, de := range entries {
		name := de.Name()
		file := pathpkg.Join(dir, name)
		ext := pathpkg.Ext(name)
		if strings.HasPrefix(name, ".") || ext == ".md" || ext == ".txt" {
			continue
		}
		if !l.isFile(file, de) {
			continue
		}
		switch {
		case name == FolderFile:
			if depth == 0 {
				l.errorf(resource.Pos{File: file}, "move it into a subdirectory; the General folder cannot be configured",
					"%s at the top of dashboards/ configures nothing: files here go to the General (root) folder", FolderFile)
			}
		case isLibraryPanelFile(name):
			items = append(items, item{file: file, rel: pathpkg.Join(rel, name), library: true})
		case ext == ".json" || ext == ".yaml" || ext == ".yml":
			items = append(items, item{file: file, rel: pathpkg.Join(rel, name)})
		default:
			l.warnf(resource.Pos{File: file}, "dashboards end in .json, .yaml or .yml", "ignored: not a dashboard file")
		}
	}
	ahead := decodeAhead{l: l, sel: s.sel, want: make([]string, len(items)), rels: make([]string, len(items))}
	for i, it := range items {
		if !it.library {
			ahead.want[i], ahead.rels[i] = it.file, it.rel
		}
	}
	for i, it := range items {
		if it.library {
			l.loadLibraryPanel(o, s, it.file, it.rel, folderUID)
			continue
		}
		l.loadDashboard(o, s, it.file, it.rel, folderUID, ahead.get(i))
	}
	for _, de := range entries {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		sub := pathpkg.Join(rel, de.Name())
		if depth+1 > maxFolderLevels {
			l.errorf(resource.Pos{File: pathpkg.Join(s.root, sub) + "/"},
				"Grafana allows a root folder plus 4 nested levels by default; move it up",
				"folder %s is nested %d levels deep, max %d", sub, depth+1, maxFolderLevels)
			continue
		}
		f := l.loadFolder(o, s, sub, folderUID)
		o.org.Folders = append(o.org.Folders, f)
		l.walkFolder(o, s, sub, f.UID, depth+1)
	}
}

func (l *loader) loadFolder(o *orgState, s *dbState, rel, parentUID string) *resource.Folder {
	dir := pathpkg.Join(s.root, rel)
	f := &resource.Folder{UID: DerivedUID(rel), Title: pathpkg.Base(rel), ParentUID: parentUID, Path: rel, Source: resource.Pos{File: dir + "/"}}
	u := uidUse{what: "folder " + rel, pos: f.Source}
	uidPos := f.Source
	file := pathpkg.Join(dir, FolderFile)
	if _, err := fs.Stat(l.fsys, file); err == nil {
		l.folderFile(o, f, file, &u, &uidPos)
	}
	if strings.TrimSpace(f.Title) == "" {
		l.errorf(f.Source, "", "folder %s: title is empty", rel)
	} else if strings.EqualFold(strings.TrimSpace(f.Title), "General") {
		// Grafana refuses the title at every level, not only at the root
		// (grafana-source-audit.md row 43: "A folder with that name already exists").
		l.errorf(f.Source, "choose another title; Grafana reserves General for the root folder", "folder %s: title %q is reserved by Grafana", rel, f.Title)
	}
	if t := strings.TrimSpace(f.Title); t != "" {
		// Case-insensitively: MySQL compares titles so.
		key := parentUID + "\x00" + strings.ToLower(t)
		if prev, dup := s.folderTitles[key]; dup {
			pos := f.Source
			if f.Source.File == file {
				pos = l.reopen(file).pos(path{"title"}, false)
			}
			l.warnf(pos, "Grafana 11.2 and older refuse two folders with one title under one parent; plan and apply block it there (11.3 and later allow it)",
				"folder %s: title %q is also the title of folder %s, under the same parent", rel, f.Title, prev)
		} else {
			s.folderTitles[key] = rel
		}
		// At the top level folders and dashboards share titles up to 11.2;
		// the top-level dashboards are loaded before the folders.
		if prev, dup := s.rootTitles[t]; dup && parentUID == "" {
			pos := f.Source
			if f.Source.File == file {
				pos = l.reopen(file).pos(path{"title"}, false)
			}
			l.warnf(pos, "Grafana 11.2 and older refuse a top-level folder and a top-level dashboard with one title; plan and apply block it there (11.3 and later allow it)",
				"folder %s: title %q is also the title of %s, at the top level", rel, f.Title, prev)
		}
	}
	at := func() resource.Pos { return uidPos }
	if l.checkUID(at, path{"uid"}, f.UID) {
		switch strings.ToLower(f.UID) {
		case "general", "sharedwithme":
			l.errorf(uidPos, "set another uid in "+file, "folder %s: uid %q is reserved by Grafana", rel, f.UID)
		}
	}
	if !u.explicit {
		u.folder = f
	}
	l.claimUID(s, f.UID, u, at)
	return f
}

func (l *loader) folderFile(o *orgState, f *resource.Folder, file string, u *uidUse, uidPos *resource.Pos) {
	f.Source = resource.Pos{File: file, Line: 1, Col: 1}
	u.pos = f.Source
	data, ok := l.readFile(file)
	if !ok {
		return
	}
	yf, ok := l.parseYAML(file, data)
	if !ok || yf.root == nil {
		return
	}
	m, ok := l.mapping(yf, yf.root, nil, folderKeys...)
	if !ok {
		return
	}
	if fl, ok := m["uid"]; ok {
		if v, ok := l.str(yf, fl, path{"uid"}); ok && v != "" {
			f.UID = v
			*uidPos = yf.pos(fl.val)
			u.pos, u.explicit = *uidPos, true
		}
	}
	if fl, ok := m["title"]; ok {
		f.Title, _ = l.str(yf, fl, path{"title"})
	}
	if fl, ok := m["permissions"]; ok {
		f.Permissions = []resource.Permission{}
		seen := map[string]int{}
		for i, n := range l.list(yf, fl.val, path{"permissions"}) {
			at := path{"permissions", i}
			pm, ok := l.mapping(yf, n, at, permissionKeys...)
			if !ok {
				continue
			}
			var p resource.Permission
			var who []string
			for _, k := range []string{"role", "team", "user"} {
				if fl, ok := pm[k]; ok {
					v, _ := l.str(yf, fl, at.with(k))
					switch k {
					case "role":
						p.Role = v
					case "team":
						p.Team = v
					case "user":
						p.User = v
					}
					who = append(who, k)
				}
			}
			if len(who) != 1 {
				l.errorf(yf.pos(n), "write one entry per role, team or user", "%s: set exactly one of role, team or user (found %d)", at, len(who))
				continue
			}
			if fl, ok := pm["permission"]; ok {
				p.Permission, _ = l.str(yf, fl, at.with("permission"))
				valid := []string{"View", "Edit", "Admin"}
				if p.Role != "" {
					valid = valid[:2]
				}
				if !slices.Contains(valid, p.Permission) {
					l.errorf(yf.pos(fl.val), "use "+strings.Join(valid, ", "), "%s.permission: invalid permission %q for a %s", at, p.Permission, who[0])
					continue
				}
			} else {
				l.errorf(yf.pos(n), "add permission: View, Edit or Admin", "%s: permission is missing", at)
				continue
			}
			switch {
			case who[0] == "role" && p.Role != "Viewer" && p.Role != "Editor":
				hint := "use Viewer or Editor"
				if p.Role == "Admin" {
					hint = "org Admins always have access; remove this entry"
				}
				l.errorf(yf.pos(pm["role"].val), hint, "%s.role: invalid role %q", at, p.Role)
				continue
			case who[0] != "role" && strings.TrimSpace(p.Team+p.User) == "":
				l.errorf(yf.pos(pm[who[0]].val), "", "%s.%s: empty %s", at, who[0], who[0])
				continue
			case p.Team != "" && o.teams != nil && !o.teams[p.Team]:
				l.warnf(yf.pos(pm["team"].val), "add it to the org's teams in grafsync.yaml, or make sure it exists in Grafana",
					"%s.team: team %q is not defined in grafsync.yaml", at, p.Team)
			}
			key := who[0] + "\x00" + p.Role + p.Team + p.User
			if prev, dup := seen[key]; dup {
				l.errorf(yf.pos(n), "keep one entry per role, team or user", "%s: %s %q already has an entry, permissions[%d]", at, who[0], p.Role+p.Team+p.User, prev)
				continue
			}
			seen[key] = i
			f.Permissions = append(f.Permissions, p)
		}
	}
}

func quoteJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// encodeJSONDashboard is a JSON dashboard file's bytes as the dashboard
// keeps them: canonical, without id and what an export adds, with uid and
// (when hasTitle) title set.
func encodeJSONDashboard(data []byte, uid, title string, hasTitle bool) ([]byte, error) {
	set := map[string][]byte{"uid": quoteJSON(uid)}
	if hasTitle {
		set["title"] = quoteJSON(title)
	}
	enc, err := jsonc.Rewrite(data, editedMembers, set)
	if err != nil {
		return nil, err
	}
	// Rewrite read each member with jsontext, so enc is valid JSON, as
	// CanonicalCompact needs; files sorted as encoding/json and Grafana's
	// export write them take its cheap path.
	if c, ok := jsonc.CanonicalCompact(enc); ok {
		return bytes.Clone(c), nil
	}
	enc, err = jsonc.Canonical(enc)
	return bytes.Clone(enc), err // kept: its own size, not the source's capacity
}

// jsonError reports a dashboard file that is not valid JSON, or repeats a
// key in an object, at its line and column.
func (l *loader) jsonError(d doc, err error) {
	pos := resource.Pos{File: d.file}
	se, ok := err.(*jsonc.SyntaxError)
	if !ok {
		l.errorf(pos, "", "invalid JSON: %v", err)
		return
	}
	pos.Line, pos.Col = lineCol(d.data, se.Offset)
	if se.Duplicate == "" {
		l.errorf(pos, "", "invalid JSON: %s", se.Msg)
		return
	}
	at := make(path, len(se.Path))
	for i, t := range se.Path {
		at[i] = t
		if n, err := strconv.Atoi(t); err == nil && i < len(se.Path)-1 && jsonLocate(d.data, path(at[:i]).with(n), false) > 0 {
			at[i] = n // an array index
		}
	}
	first, _ := lineCol(d.data, jsonLocate(d.data, at, true))
	l.errorf(pos, "keep one: Grafana would silently keep the last", "%s: duplicate key %q (first at line %d)", at, se.Duplicate, first)
}

// loadDashboard reads one dashboard file. Its bytes are dropped when it
// returns; later problems re-read the file (reopen).
//
// pre is the file as decodeAhead read it (and decoded it when it is JSON).
func (l *loader) loadDashboard(o *orgState, s *dbState, file, rel, folderUID string, pre *decoded) {
	data, ok := pre.data, pre.ok
	if !ok {
		return
	}
	hash := pre.hash
	if hash == "" {
		hash = blobID(data)
	}
	d := doc{file: file, hash: hash}
	var v any
	if isJSON(file) {
		d.data = bytes.TrimPrefix(data, utf8BOM) // Windows editors add one; Grafana's export does not
		l.checkJSONText(file, d.data)
		// Strictly: a repeated key is an error, not "the last wins". The
		// map is for inspecting and holds what the checks read
		// (dashboardSelection); the dashboard is encoded from its own
		// bytes below, so numbers keep their text.
		v = pre.v
		if err := pre.err; err != nil {
			l.jsonError(d, err)
			return
		}
	} else {
		yf, ok := l.parseYAML(file, data)
		if !ok {
			return
		}
		if yf.root == nil {
			l.errorf(resource.Pos{File: file}, "", "empty dashboard file")
			return
		}
		d.node = yf.root
		v = l.toJSON(yf, yf.root, nil, nil)
	}
	model, ok := v.(map[string]any)
	if !ok {
		what := "a dashboard must be a JSON object"
		if _, list := v.([]any); list {
			what = "this file holds a list, not a dashboard (a dashboard is one JSON object)"
		}
		l.errorf(d.pos(nil, false), "move it out of dashboards/, or keep one dashboard object per file", "%s", what)
		return
	}
	if _, ok := model["dashboard"].(map[string]any); ok && model["meta"] != nil {
		l.errorf(d.pos(path{"dashboard"}, true), "keep only the value of \"dashboard\" in the file (jq .dashboard)",
			"this is a Grafana API response, not a dashboard")
		return
	}
	if isV2Dashboard(model) {
		l.loadV2Dashboard(o, s, d, model, file, rel, folderUID)
		return
	}
	if what, hint := notADashboard(model); what != "" {
		l.errorf(d.pos(nil, false), hint, "%s", what)
		return
	}
	// A dashboard exported for sharing has its ${inputs} replaced in the
	// map, which is then encoded: decode it again with exact numbers.
	exact := false
	if ins, _ := model["__inputs"].([]any); len(ins) > 0 && d.data != nil {
		if m, err := jsonc.Unmarshal(d.data); err == nil {
			model, exact = m, true
		}
	}
	if pre.shared && !exact {
		// The map is a Cache's, which other loads read: below, the top
		// level is edited, and only an __inputs list has its members (and
		// the strings it substitutes into) changed.
		if ins, _ := model["__inputs"].([]any); len(ins) > 0 {
			model = cloneJSON(model).(map[string]any)
		} else {
			model = maps.Clone(model)
		}
	}
	delete(model, "id")
	// A wrong shape is reported once, at the field; the reference checks
	// read the same fields and would only add knock-on problems.
	shapeOK := l.checkShape(d, model)
	exported, _ := model["__elements"].(map[string]any) // dropped below; library panels it carries are named in hints
	var inputs map[string]bool
	if shapeOK {
		inputs = l.resolveInputs(o, d, model)
	} else {
		delete(model, "__inputs")
		delete(model, "__requires")
		delete(model, "__elements")
	}

	db := &resource.Dashboard{FolderUID: folderUID, Path: rel, Source: resource.Pos{File: file}, SourceHash: d.hash}
	u := uidUse{what: "dashboard " + rel, file: file}
	uidPos := func() resource.Pos { return resource.Pos{File: file} }
	switch uid := model["uid"].(type) {
	case nil:
		db.UID = DerivedUID(strings.TrimSuffix(rel, pathpkg.Ext(rel)))
	case string:
		if uid == "" {
			db.UID = DerivedUID(strings.TrimSuffix(rel, pathpkg.Ext(rel)))
			break
		}
		db.UID, u.explicit = uid, true
		uidPos = func() resource.Pos { return d.pos(path{"uid"}, false) }
		l.checkUID(uidPos, path{"uid"}, uid)
	default:
		db.UID = DerivedUID(strings.TrimSuffix(rel, pathpkg.Ext(rel)))
		l.errorf(d.pos(path{"uid"}, false), "", "uid: want a string")
	}
	model["uid"] = db.UID
	l.claimUID(s, db.UID, u, uidPos)

	switch title := model["title"].(type) {
	case string:
		db.Title = strings.TrimSpace(title)
		model["title"] = db.Title
		if db.Title == "" {
			l.errorf(d.pos(path{"title"}, false), "", "title: dashboard title is empty")
		} else if n := len([]rune(db.Title)); n > 5000 {
			l.errorf(d.pos(path{"title"}, false), "", "title: %d characters, max 5000", n)
		}
	case nil:
		l.errorf(d.pos(nil, false), "add a \"title\"", "dashboard title is missing")
	default:
		l.errorf(d.pos(path{"title"}, false), "", "title: want a string")
	}
	if db.Title != "" {
		key := folderUID + "\x00" + strings.ToLower(db.Title)
		if prev, dup := s.titles[key]; dup {
			l.warnf(d.pos(path{"title"}, false), "Grafana 11.2 and older refuse two dashboards with one title in a folder; plan and apply block it there (11.3 and later allow it)",
				"title: %q is also the title of %s in the same folder", db.Title, prev)
		} else {
			s.titles[key] = file
		}
		if folderUID == "" {
			s.rootTitles[db.Title] = file
		}
	}
	if shapeOK {
		l.checkRefsOnce(o, d, model, inputs, pre)
		db.LibraryPanels = l.libraryRefs(d, model)
		for uid := range exported {
			s.lib.exported[file+"\x00"+uid] = true
		}
	}
	// Keep the dashboard encoded: the map is garbage once this returns, so
	// loading holds one dashboard's map at a time, not all of them. A JSON
	// file is re-encoded from its own bytes with the top-level edits above
	// (numbers keep their text); one whose inputs were replaced, or a YAML
	// file, from the map.
	var enc []byte
	var err error
	if d.data != nil && !exact {
		_, hasTitle := model["title"].(string)
		if pre.encoded && pre.encUID == db.UID && pre.hasTitle == hasTitle && pre.encTitle == db.Title {
			enc, err = pre.enc, pre.encErr // encoded ahead, with the same uid and title
		} else {
			enc, err = encodeJSONDashboard(d.data, db.UID, db.Title, hasTitle)
		}
	} else {
		enc, err = encodeModel(model)
	}
	l.keepDashboard(o, d, db, enc, err)
}

// encodeModel encodes a dashboard's map as the dashboard keeps it:
// canonical JSON.
func encodeModel(model map[string]any) ([]byte, error) {
	enc, err := json.Marshal(model)
	if err != nil {
		return nil, err
	}
	return jsonc.Canonical(enc)
}

// keepDashboard adds dashboard db of file d to the org, encoded as enc;
// err is the encoding's, reported instead.
func (l *loader) keepDashboard(o *orgState, d doc, db *resource.Dashboard, enc []byte, err error) {
	if err != nil {
		l.errorf(d.pos(nil, false), "", "cannot encode the dashboard: %v", err)
		return
	}
	db.JSON = enc
	o.org.Dashboards = append(o.org.Dashboards, db)
}

// cloneJSON copies a decoded JSON value: its maps and lists, not its
// scalars, which are never changed in place.
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = cloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSON(e)
		}
		return out
	}
	return v
}

// notADashboard recognises the files that end up in a dashboards folder but
// are something else, so that they are reported as what they are rather than
// as a dashboard without a title. A map with a title is taken for a dashboard.
func notADashboard(m map[string]any) (what, hint string) {
	if _, ok := m["title"]; ok {
		return "", ""
	}
	_, groups := m["groups"].([]any)
	_, providers := m["providers"]
	_, dss := m["datasources"]
	_, dels := m["deleteDatasources"]
	kind, _ := m["kind"].(string)
	apiVersion, _ := m["apiVersion"].(string)
	_, spec := m["spec"].(map[string]any)
	switch {
	case groups:
		return "this is a file of Prometheus-style alerting or recording rules (top-level \"groups\"), not a dashboard",
			"move it out of dashboards/: rules belong to Prometheus, Loki, Mimir or Grafana alerting"
	case providers:
		return "this is a Grafana dashboard provisioning file (\"providers\"), not a dashboard",
			"remove it: grafsync reads dashboards/ itself and needs no provider"
	case dss || dels:
		return "this is a Grafana datasource provisioning file, not a dashboard",
			"move it to datasources/"
	case kind == "Dashboard" && spec && strings.Contains(apiVersion, "/v2"):
		return "this is a Grafana 12 dashboard resource in the v2 schema (" + apiVersion + "), which grafsync does not read",
			"export the dashboard from Grafana as classic JSON (the model of /api/dashboards), or move it out of dashboards/"
	case kind == "Dashboard" && spec:
		return "this is a Grafana dashboard resource (" + apiVersion + ", kind Dashboard), not the dashboard itself",
			"keep only its spec in the file (jq .spec), with the uid of metadata.name"
	}
	dashboardKeys := []string{"uid", "panels", "rows", "templating", "annotations", "schemaVersion", "time", "__inputs"}
	if !slices.ContainsFunc(dashboardKeys, func(k string) bool { _, ok := m[k]; return ok }) {
		keys := slices.Sorted(maps.Keys(m))
		if len(keys) > 5 {
			keys = append(keys[:5], "...")
		}
		return "not a dashboard: no title, uid, panels or rows (top-level keys: " + strings.Join(keys, ", ") + ")",
			"move it out of dashboards/, or add a \"title\" if it is a dashboard"
	}
	return "", ""
}

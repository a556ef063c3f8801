package pull

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	pathpkg "path"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/sync/errgroup"
	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/jsonc"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/resource"
)

// Kind is what a pull may be limited to.
type Kind string

const (
	Dashboards  Kind = "dashboards"  // folders and dashboards
	Datasources Kind = "datasources" // datasources/
	OrgConfig   Kind = "org"         // preferences, teams, folder permissions
)

// Kinds are the kinds in the order pull writes them.
var Kinds = []Kind{Dashboards, Datasources, OrgConfig}

// Org is one org to pull, with a client that works in it.
type Org struct {
	Name string
	ID   int64
	// Dir is the org's directory in the repository ("." for the first org).
	Dir    string
	Client *grafana.Client
}

// Options shape a pull.
type Options struct {
	// Root is the repository's working directory.
	Root string
	// Kinds limits what is pulled; empty: everything.
	Kinds []Kind
	// Folder limits dashboards and folders to the subtree of the folder
	// with this uid (its ancestors' _folder.yaml are written too, so the
	// subtree keeps its uids); "": every folder.
	Folder string
	// NoPermissions leaves folder permissions out of _folder.yaml (they are
	// then not managed).
	NoPermissions bool
	// Prune deletes files of resources that are gone from Grafana.
	Prune bool
	// Progress, when not nil, is told how many dashboards of an org were
	// read so far (from several goroutines, serialised by pull).
	Progress func(org string, dashboards int)
	// Refused reports an environment variable name the loader refuses to
	// read (load.OwnCredential): a secret's variable is never one.
	Refused func(string) bool
	// Declared is the repository under Root as the loader reads it, when
	// the caller loaded it already; nil: Pull loads it.
	Declared *resource.State
}

func (o Options) wants(k Kind) bool {
	if len(o.Kinds) == 0 {
		return true
	}
	for _, x := range o.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Action is what a pull did to one file.
type Action string

const (
	Created   Action = "create"
	Updated   Action = "update"
	Moved     Action = "move" // the resource moved to another folder: the old file is removed
	Deleted   Action = "delete"
	Unchanged Action = "unchanged"
	Gone      Action = "gone" // its resource is gone from Grafana; kept without Prune
)

// FileChange is one file a pull looked at.
type FileChange struct {
	Path   string // slash-separated, relative to Root
	Action Action
	// Detail says what changed ("panels, title"), or where a file moved.
	Detail string
}

// Counts are what a pull read and wrote for one org.
type Counts struct {
	Org                                 string
	Folders, Dashboards, Datasources    int
	LibraryPanels                       int
	Teams                               int
	SkippedProvisioned, SkippedReadOnly int
}

// Result is what a pull did.
type Result struct {
	Files []FileChange
	// Env are the environment variables the pulled datasources' secrets
	// are read from: names only, sorted.
	Env    []string
	Counts []Counts
	// Notes say what was left out and why.
	Notes []string
	// NowV2 are the files of dashboards the repository held in classic
	// JSON that Grafana now holds in schema v2 (rewritten as v2).
	NowV2 []string
}

// Summary is the one line a pull ends with.
func (r *Result) Summary() string {
	n := map[Action]int{}
	for _, f := range r.Files {
		n[f.Action]++
	}
	var dash, ds, folders int
	for _, c := range r.Counts {
		dash += c.Dashboards
		ds += c.Datasources
		folders += c.Folders
	}
	s := fmt.Sprintf("Pull: %d folders, %d dashboards, %d datasources from %d org(s); files: %d created, %d updated, %d deleted, %d unchanged.",
		folders, dash, ds, len(r.Counts), n[Created], n[Updated], n[Deleted]+n[Moved], n[Unchanged])
	if n[Gone] > 0 {
		s += fmt.Sprintf(" %d gone from Grafana, kept (--prune deletes them).", n[Gone])
	}
	return s
}

// Pull reads each org and writes its files under opts.Root. It only reads
// from Grafana. Orgs are pulled one after another; grafsync.yaml is written
// last, once every org is known.
func Pull(ctx context.Context, orgs []Org, opts Options) (*Result, error) {
	if opts.Refused == nil {
		opts.Refused = func(string) bool { return false }
	}
	res := &Result{}
	w := &writer{root: opts.Root, res: res}
	envUsed := map[string]string{} // variable → "org\x00uid\x00key"
	// The repository as the loader reads it: what it generates from
	// templates is declared there although no file writes it out.
	declared := opts.Declared
	if declared == nil {
		declared, _ = load.Load(os.DirFS(opts.Root), load.Options{Context: ctx})
	}
	var cfgs []orgConfig
	for i, o := range orgs {
		var org *resource.Org
		for _, d := range declared.Orgs {
			if pathpkg.Clean(d.Dir) == pathpkg.Clean(o.Dir) {
				org = d
			}
		}
		cfg, err := pullOrg(ctx, o, i == 0, opts, w, envUsed, org)
		if err != nil {
			return res, fmt.Errorf("org %q: %w", o.Name, err)
		}
		cfgs = append(cfgs, cfg)
	}
	if err := writeConfig(w, cfgs, opts); err != nil {
		return res, err
	}
	for v := range envUsed {
		res.Env = append(res.Env, v)
	}
	sort.Strings(res.Env)
	sort.SliceStable(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	return res, nil
}

// liveDashboard is a dashboard read for pulling: its file's bytes,
// rendered as it was read in the format of the file it has now (.json for
// a new one). The model is kept only for YAML; a JSON file's model is its
// bytes made canonical again, when an update or a move needs it.
type liveDashboard struct {
	uid, folderUID, title string
	data                  []byte
	yaml                  bool
	model                 []byte // YAML only
	// schema is Grafana's schema v2 version of a v2 dashboard ("" for
	// classic JSON), whose data is its v2 export document (schemav2.go).
	schema string
}

// render sets data from model in the file format yaml says.
func (d *liveDashboard) render(model []byte, yaml bool) (err error) {
	d.yaml, d.model = yaml, nil
	if yaml {
		d.model = model
		d.data, err = dashboardYAML(model)
		return err
	}
	d.data, err = dashboardJSON(model)
	return err
}

// fileModel is the dashboard's compact model (dashboardModel's).
func (d *liveDashboard) fileModel() ([]byte, error) {
	if d.yaml {
		return d.model, nil
	}
	return jsonc.Canonical(bytes.Clone(d.data))
}

// pullOrg pulls one org's folders, dashboards and datasources, and returns
// its org config for grafsync.yaml.
//
// declared is the org as the loader reads the repository (nil: not there).
func pullOrg(ctx context.Context, o Org, first bool, opts Options, w *writer, envUsed map[string]string, declared *resource.Org) (orgConfig, error) {
	cfg := orgConfig{name: o.Name, id: o.ID, dir: o.Dir}
	counts := Counts{Org: o.Name}
	ex, err := readExisting(opts.Root, o.Dir, declared)
	if err != nil {
		return cfg, err
	}
	var (
		mu     sync.Mutex
		dashes []liveDashboard
		bad    error
		read   int
		// unreadV2 are the v2 dashboards the legacy /api answered with
		// 406: left out, their files untouched (never "gone").
		unreadV2 []string
	)
	each := func(d grafana.Dashboard) {
		if d.UID == normalize.LedgerUID {
			return // grafsync's own record, never a dashboard of the repository
		}
		// The file is rendered outside the lock, while other dashboards
		// are still being read: ReadState calls from every reader at once,
		// and a lock held over the work would serialise them.
		var ld liveDashboard
		var err error
		unread := false // a v2 dashboard the legacy /api cannot read
		if !d.Provisioned && opts.wants(Dashboards) {
			var model []byte
			if isLiveV2(d.Schema) {
				var ok bool
				model, ok, err = v2Document(d.JSON, d.UID, d.FolderUID)
				unread = !ok
			} else {
				model, err = dashboardModel(d.JSON, d.UID)
			}
			if err == nil && !unread {
				title, _ := topString(d.JSON, "title")
				ld = liveDashboard{uid: d.UID, folderUID: d.FolderUID, title: strings.TrimSpace(title)}
				if isLiveV2(d.Schema) {
					ld.schema = d.Schema
				}
				old, kept := ex.dashboards[d.UID]
				// A file keeps its format, except that a v2 dashboard is
				// written as JSON unless its file is a v2 YAML one.
				err = ld.render(model, kept && !strings.HasSuffix(old, ".json") && (ld.schema == "" || ex.v2[d.UID]))
			}
		}
		mu.Lock()
		defer mu.Unlock()
		read++
		if opts.Progress != nil {
			opts.Progress(o.Name, read)
		}
		switch {
		case d.Provisioned:
			counts.SkippedProvisioned++
		case unread:
			unreadV2 = append(unreadV2, d.UID)
		case err != nil:
			if bad == nil {
				bad = fmt.Errorf("dashboard %s: %w", d.UID, err)
			}
		case ld.uid != "":
			dashes = append(dashes, ld)
		}
	}
	orgRead := make(chan error, 1)
	if opts.wants(OrgConfig) {
		go func() { orgRead <- readOrgConfig(ctx, o.Client, &cfg) }()
	} else {
		orgRead <- nil
	}
	st, err := o.Client.ReadState(ctx, each, nil)
	if orgErr := <-orgRead; err == nil {
		err = orgErr
	}
	if err != nil {
		return cfg, err
	}
	if bad != nil {
		return cfg, bad
	}
	if len(unreadV2) > 0 {
		sort.Strings(unreadV2)
		w.res.Notes = append(w.res.Notes, fmt.Sprintf("org %s: %d schema v2 dashboards left out, their files untouched: Grafana's legacy /api cannot read them (it answers 406); pull with --grafana-api apis to pull them: %s",
			o.Name, len(unreadV2), strings.Join(unreadV2, ", ")))
	}
	if counts.SkippedProvisioned > 0 {
		w.res.Notes = append(w.res.Notes, fmt.Sprintf("org %s: %d provisioned dashboards left out: Grafana's file provisioning owns them", o.Name, counts.SkippedProvisioned))
	}
	root := pathpkg.Join(o.Dir, "dashboards")

	// Folders: a directory each, parents first.
	var folderDirs map[string]string
	if opts.wants(Dashboards) {
		var folders []grafana.Folder
		folders, folderDirs, err = placeFolders(st.Folders, opts.Folder, ex, root)
		if err != nil {
			return cfg, err
		}
		var perms map[string][]permission
		if opts.wants(OrgConfig) && !opts.NoPermissions {
			var unmanaged []string
			if perms, unmanaged, err = readPermissions(ctx, o.Client, folders); err != nil {
				return cfg, err
			}
			if len(unmanaged) > 0 {
				sort.Strings(unmanaged)
				w.res.Notes = append(w.res.Notes, fmt.Sprintf("org %s: permissions of %d folders not written (left unmanaged): they give a service account access, which _folder.yaml cannot name: %s",
					o.Name, len(unmanaged), strings.Join(unmanaged, ", ")))
			}
		}
		for _, f := range folders {
			p := pathpkg.Join(folderDirs[f.UID], load.FolderFile)
			if lf, ok := ex.loadedFolders[folderDirs[f.UID]]; ok && lf.UID == f.UID && lf.Title == f.Title && samePermissions(lf.Permissions, perms[f.UID]) {
				// the directory (its _folder.yaml, or none: uid and title
				// derived from the path) already says what Grafana holds
				w.record(FileChange{Path: p, Action: Unchanged})
				continue
			}
			old, err := os.ReadFile(native(opts.Root, p))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return cfg, fmt.Errorf("read %s: %w", p, err)
			}
			if err := w.put(p, folderFile(f, perms[f.UID], old), ""); err != nil {
				return cfg, err
			}
		}
		counts.Folders = len(folders)
		if err := renameAlertFolders(w, declared, folders); err != nil {
			return cfg, err
		}
		if opts.Folder != "" {
			dashes = slicesFilter(dashes, func(d liveDashboard) bool { _, in := folderDirs[d.folderUID]; return in && d.folderUID != "" })
		}
		if err := placeDashboards(w, dashes, folderDirs, ex, root); err != nil {
			return cfg, err
		}
		counts.Dashboards = len(dashes)
		if err := pruneDashboards(w, dashes, unreadV2, ex, opts, folderDirs, root); err != nil {
			return cfg, err
		}
		n, err := writeLibraryPanels(w, st.LibraryPanels, folderDirs, ex, opts, root)
		if err != nil {
			return cfg, err
		}
		counts.LibraryPanels = n
	}

	// Datasources.
	inRepo := map[string]bool{} // uids with a file after the pull
	for key := range ex.datasources {
		inRepo[key] = true
	}
	for key := range ex.generated {
		inRepo[key] = true
	}
	var pulled []grafana.Datasource
	for _, d := range st.Datasources {
		if d.ReadOnly {
			counts.SkippedReadOnly++
			continue
		}
		pulled = append(pulled, d)
	}
	if counts.SkippedReadOnly > 0 {
		w.res.Notes = append(w.res.Notes, fmt.Sprintf("org %s: %d provisioned (read-only) datasources left out and declared in externalDatasources", o.Name, counts.SkippedReadOnly))
	}
	if opts.wants(Datasources) {
		prefix := ""
		if !first {
			prefix = o.Name + "_"
		}
		if err := writeDatasources(w, pulled, ex, o.Dir, prefix, opts, envUsed); err != nil {
			return cfg, err
		}
		counts.Datasources = len(pulled)
		for _, d := range pulled {
			inRepo[d.UID], inRepo["name:"+d.Name] = true, true
		}
	}
	for _, d := range st.Datasources {
		if !inRepo[d.UID] && !inRepo["name:"+d.Name] {
			cfg.external = append(cfg.external, externalDS{uid: d.UID, name: d.Name, typ: d.Type})
		}
	}

	if opts.wants(OrgConfig) {
		homeDashboard(&cfg, ex, dashes)
		counts.Teams = len(cfg.teams)
		cfg.managed = true
	}
	w.res.Counts = append(w.res.Counts, counts)
	return cfg, nil
}

// placeFolders decides each folder's directory: an existing directory of
// that uid stays where it is while its parent is the same; a new one is
// named from its title, unique among its siblings. With subtree set, only
// that folder, its descendants and its ancestors are placed.
func placeFolders(all []grafana.Folder, subtree string, ex *existing, root string) ([]grafana.Folder, map[string]string, error) {
	byUID := map[string]grafana.Folder{}
	children := map[string][]grafana.Folder{}
	for _, f := range all {
		byUID[f.UID] = f
		children[f.ParentUID] = append(children[f.ParentUID], f)
	}
	keep := func(string) bool { return true }
	if subtree != "" {
		if _, ok := byUID[subtree]; !ok {
			return nil, nil, fmt.Errorf("--folder %s: Grafana has no folder with that uid", subtree)
		}
		keep = func(uid string) bool {
			// in the subtree, or an ancestor of it
			for u := uid; u != ""; u = byUID[u].ParentUID {
				if u == subtree {
					return true
				}
			}
			for u := subtree; u != ""; u = byUID[u].ParentUID {
				if u == uid {
					return true
				}
			}
			return false
		}
	}
	dirs := map[string]string{"": root}
	var out []grafana.Folder
	level := []string{""}
	for len(level) > 0 {
		var next []string
		for _, parent := range level {
			kids := children[parent]
			parentDir := dirs[parent]
			taken := map[string]bool{}
			var fresh []named
			for _, f := range kids {
				if !keep(f.UID) {
					continue
				}
				if p, ok := ex.folders[f.UID]; ok && pathpkg.Dir(p) == parentDir {
					dirs[f.UID] = p
					taken[pathpkg.Base(p)] = true
					continue
				}
				fresh = append(fresh, named{uid: f.UID, title: f.Title})
			}
			// Directories of other folders already there are taken too.
			for uid, p := range ex.folders {
				if pathpkg.Dir(p) == parentDir {
					if _, live := byUID[uid]; live {
						taken[pathpkg.Base(p)] = true
					}
				}
			}
			names := uniqueNames(fresh, taken, "folder")
			for _, f := range kids {
				if !keep(f.UID) {
					continue
				}
				if _, ok := dirs[f.UID]; !ok {
					dirs[f.UID] = pathpkg.Join(parentDir, names[f.UID])
				}
				out = append(out, f)
				next = append(next, f.UID)
			}
		}
		level = next
	}
	delete(dirs, "")
	dirs[""] = root
	return out, dirs, nil
}

// placeDashboards writes each dashboard: at its existing path and in its
// format while it stays in its folder, else at a new name from its title.
//
// Each file's bytes are released (set to nil) once written, so a pull
// holds the dashboards' bytes once.
func placeDashboards(w *writer, dashes []liveDashboard, dirs map[string]string, ex *existing, root string) error {
	byDir := map[string][]*liveDashboard{}
	for i := range dashes {
		d := &dashes[i]
		dir, ok := dirs[d.folderUID]
		if !ok {
			dir = root // a folder Grafana did not list (deleted meanwhile): the root
			if d.schema != "" && d.folderUID != "" {
				// its folder annotation must name the root then (the loader checks it)
				if err := d.toRoot(); err != nil {
					return fmt.Errorf("dashboard %s: %w", d.uid, err)
				}
			}
		}
		byDir[dir] = append(byDir[dir], d)
	}
	type job struct {
		d    *liveDashboard
		path string
	}
	var jobs []job
	for _, dir := range sortedDirKeys(byDir) {
		ds := byDir[dir]
		taken := map[string]bool{}
		var fresh []named
		target := map[string]string{}
		for _, d := range ds {
			if p, ok := ex.dashboards[d.uid]; ok && pathpkg.Dir(p) == dir {
				if d.schema != "" && !d.yaml && !strings.HasSuffix(p, ".json") {
					// a classic YAML file of a dashboard now v2: its .json
					// sibling, unless another file holds that name
					if j := strings.TrimSuffix(p, pathpkg.Ext(p)) + ".json"; !ex.files[j] {
						p = j
					} else {
						fresh = append(fresh, named{uid: d.uid, title: d.title})
						continue
					}
				}
				target[d.uid] = p
				taken[strings.TrimSuffix(pathpkg.Base(p), pathpkg.Ext(p))] = true
				continue
			}
			fresh = append(fresh, named{uid: d.uid, title: d.title})
		}
		for uid, p := range ex.dashboards {
			if pathpkg.Dir(p) == dir && target[uid] == "" {
				taken[strings.TrimSuffix(pathpkg.Base(p), pathpkg.Ext(p))] = true
			}
		}
		names := uniqueNames(fresh, taken, "dashboard")
		for _, d := range ds {
			p := target[d.uid]
			if p == "" {
				p = pathpkg.Join(dir, names[d.uid]+".json")
			}
			jobs = append(jobs, job{d, p})
		}
	}
	// Writing is independent per file: files are written by a few
	// goroutines, more than the cores since each waits on the disk, and
	// taken from the directories in turn (one file of each, then the
	// next): files created at once in one directory wait on its lock.
	var g errgroup.Group
	g.SetLimit(2 * runtime.GOMAXPROCS(0))
	for _, j := range roundRobin(jobs, func(j job) string { return pathpkg.Dir(j.path) }) {
		g.Go(func() error {
			d, p := j.d, j.path
			if yaml := !strings.HasSuffix(p, ".json"); yaml != d.yaml {
				// moved out of its YAML file's folder: a new .json file
				model, err := d.fileModel()
				if err == nil {
					err = d.render(model, yaml)
				}
				if err != nil {
					return fmt.Errorf("dashboard %s: %w", d.uid, err)
				}
			}
			if ld, ok := ex.loadedDashboards[p]; ok && sameDashboard(ld, d) {
				w.record(FileChange{Path: p, Action: Unchanged})
				d.data, d.model = nil, nil
				return nil
			}
			if err := w.putDashboard(p, d.data, d.fileModel); err != nil {
				return err
			}
			d.data, d.model = nil, nil
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, j := range jobs {
		if old, ok := ex.dashboards[j.d.uid]; ok && ex.v2[j.d.uid] != (j.d.schema != "") {
			w.note(schemaNote(j.d.uid, j.d.schema, old, j.path))
			if isLiveV2(j.d.schema) {
				w.mu.Lock()
				w.res.NowV2 = append(w.res.NowV2, j.path)
				w.mu.Unlock()
			}
		}
		if old, ok := ex.dashboards[j.d.uid]; ok && old != j.path {
			if err := w.remove(old, Moved, "to "+j.path); err != nil {
				return err
			}
		}
	}
	return nil
}

// pruneDashboards reports (and with Prune deletes) the files of dashboards
// that are gone from Grafana, within what was pulled.
func pruneDashboards(w *writer, dashes []liveDashboard, unread []string, ex *existing, opts Options, dirs map[string]string, root string) error {
	live := map[string]bool{}
	for _, uid := range unread {
		live[uid] = true // in Grafana, only not readable on this path
	}
	for _, d := range dashes {
		live[d.uid] = true
	}
	return pruneGone(w, "dashboard", ex.dashboards, live, pruneScope(opts, dirs, root), opts.Prune)
}

// pruneScope is the directory a pull covers: the folder asked for, or the
// whole dashboards/ root.
func pruneScope(opts Options, dirs map[string]string, root string) string {
	if opts.Folder != "" {
		return dirs[opts.Folder]
	}
	return root
}

// pruneGone reports (and with prune deletes) the existing files, by uid, of
// resources of one kind (what) inside scope that are not live in Grafana.
func pruneGone(w *writer, what string, files map[string]string, live map[string]bool, scope string, prune bool) error {
	for _, uid := range sortedStringKeys(files) {
		p := files[uid]
		if live[uid] || !strings.HasPrefix(p, scope+"/") {
			continue
		}
		if !prune {
			w.record(FileChange{Path: p, Action: Gone, Detail: what + " " + uid})
			continue
		}
		if err := w.remove(p, Deleted, what+" "+uid+" is gone from Grafana"); err != nil {
			return err
		}
	}
	return nil
}

// topString reads a top-level string member of a JSON object.
func topString(src []byte, key string) (string, bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(src), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return "", false
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return "", false
		}
		name := tok.String()
		if name != key {
			if err := dec.SkipValue(); err != nil {
				return "", false
			}
			continue
		}
		tok, err = dec.ReadToken()
		if err != nil || tok.Kind() != '"' {
			return "", false
		}
		return tok.String(), true
	}
	return "", false
}

// writer writes files under root and records what it did.
type writer struct {
	root string
	mu   sync.Mutex // guards res.Files
	res  *Result
}

// note adds a note to the result (from any goroutine).
func (w *writer) note(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.res.Notes = append(w.res.Notes, s)
}

// record notes what was done to a file (from any goroutine).
func (w *writer) record(f FileChange) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.res.Files = append(w.res.Files, f)
}

// put writes data to p unless the file holds it already.
func (w *writer) put(p string, data []byte, detail string) error {
	full := native(w.root, p)
	old, err := os.ReadFile(full)
	switch {
	case err == nil && (bytes.Equal(old, data) || sameData(p, old, data)):
		w.record(FileChange{Path: p, Action: Unchanged})
		return nil
	case err == nil:
		w.record(FileChange{Path: p, Action: Updated, Detail: detail})
	case errors.Is(err, os.ErrNotExist):
		w.record(FileChange{Path: p, Action: Created})
	default:
		return fmt.Errorf("read %s: %w", p, err)
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return fmt.Errorf("create the directory of %s: %w", p, err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// sameDashboard reports whether the loader reads the model of the live
// dashboard d from its file as it is (ld): the loader's JSON (${DS_X}
// inputs resolved, __inputs, __requires and __elements dropped) with the
// keys Grafana owns removed, as dashboardModel removes them from the live
// one.
func sameDashboard(ld *resource.Dashboard, d *liveDashboard) bool {
	if ld.UID != d.uid || ld.FolderUID != d.folderUID {
		return false
	}
	have, err := dashboardModel(ld.JSON, ld.UID)
	if err != nil {
		return false
	}
	want, err := d.fileModel()
	return err == nil && bytes.Equal(have, want)
}

// samePermissions reports whether a folder's permissions as loaded equal
// the pulled ones, in any order; pulled nil (not pulled, or unmanaged)
// leaves the file's as they are.
func samePermissions(loaded []resource.Permission, pulled []permission) bool {
	if pulled == nil {
		return true
	}
	if loaded == nil || len(loaded) != len(pulled) {
		return false
	}
	have := map[permission]int{}
	for _, p := range loaded {
		switch {
		case p.Role != "":
			have[permission{"role", p.Role, p.Permission}]++
		case p.Team != "":
			have[permission{"team", p.Team, p.Permission}]++
		default:
			have[permission{"user", p.User, p.Permission}]++
		}
	}
	for _, p := range pulled {
		if have[p] == 0 {
			return false
		}
		have[p]--
	}
	return true
}

// sameData reports whether a file's old and new bytes hold the same data:
// the same YAML values, or JSON the same once canonical (keys sorted,
// numbers as written). Such a file is not rewritten: its key order,
// comments and layout are its author's, and the loader reads the same from
// both. A dashboard file is compared by model (putDashboard), which also
// ignores the keys Grafana owns.
func sameData(p string, old, data []byte) bool {
	switch pathpkg.Ext(p) {
	case ".yaml", ".yml":
		var a, b any
		if yaml.Unmarshal(old, &a) != nil || yaml.Unmarshal(data, &b) != nil {
			return false
		}
		return reflect.DeepEqual(a, b)
	case ".json":
		a, err := jsonc.Canonical(bytes.Clone(old))
		if err != nil {
			return false
		}
		b, err := jsonc.Canonical(bytes.Clone(data))
		return err == nil && bytes.Equal(a, b)
	}
	return false
}

// putDashboard writes a dashboard file; an update names the top-level
// keys that changed.
//
// model is the new file's model, asked for only on an update.
func (w *writer) putDashboard(p string, data []byte, model func() ([]byte, error)) error {
	detail := ""
	if old, err := os.ReadFile(native(w.root, p)); err == nil && !bytes.Equal(old, data) {
		if oldModel, ok := existingModel(old, strings.HasSuffix(p, ".json")); ok {
			if m, err := model(); err == nil {
				if bytes.Equal(oldModel, m) {
					// the file holds the live model, in its own layout
					w.record(FileChange{Path: p, Action: Unchanged})
					return nil
				}
				if d, v2 := v2Changes(oldModel, m); v2 {
					detail = d
				} else if keys, err := topLevelChanges(oldModel, m); err == nil {
					detail = strings.Join(keys, ", ")
				}
			}
		}
		if detail == "" {
			detail = "formatting"
		}
	}
	return w.put(p, data, detail)
}

// existingModel is a dashboard file's content as compact JSON.
func existingModel(data []byte, isJSON bool) ([]byte, bool) {
	if isJSON {
		m, err := dashboardModelLenient(data)
		return m, err == nil
	}
	var v map[string]any
	if yaml.Unmarshal(data, &v) != nil || v == nil {
		return nil, false
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	m, err := dashboardModelLenient(j)
	return m, err == nil
}

func dashboardModelLenient(data []byte) ([]byte, error) {
	if _, v2, ok := fileUID(data, true); ok && v2 {
		return jsonc.Canonical(bytes.Clone(data)) // a v2 document has no top-level uid
	}
	uid, _ := topString(data, "uid")
	return dashboardModel(data, uid)
}

// remove deletes p and records why; an emptied directory goes too.
func (w *writer) remove(p string, a Action, detail string) error {
	full := native(w.root, p)
	if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	w.record(FileChange{Path: p, Action: a, Detail: detail})
	os.Remove(filepath.Dir(full)) // fails, as it should, when not empty
	return nil
}

// roundRobin orders s by taking one element of each group in turn, in the
// order the groups first appear; within a group s's order is kept.
func roundRobin[T any](s []T, group func(T) string) []T {
	var keys []string
	groups := map[string][]T{}
	for _, x := range s {
		k := group(x)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], x)
	}
	out := make([]T, 0, len(s))
	for len(out) < len(s) {
		for _, k := range keys {
			if g := groups[k]; len(g) > 0 {
				out = append(out, g[0])
				groups[k] = g[1:]
			}
		}
	}
	return out
}

func slicesFilter[T any](s []T, keep func(T) bool) []T {
	out := s[:0]
	for _, x := range s {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func sortedDirKeys(m map[string][]*liveDashboard) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedStringKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

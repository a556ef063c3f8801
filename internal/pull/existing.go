package pull

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	pathpkg "path"
	"path/filepath"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/accounts"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/resource"
)

// existing is what an org's directory already holds, by uid: where each
// dashboard, folder and datasource is, so a pull updates files in place.
// Paths are slash-separated and relative to the repository root.
type existing struct {
	dashboards map[string]string // uid → file
	v2         map[string]bool   // uids whose file is a schema v2 document
	libpanels  map[string]string // uid → file (load.LibraryPanelSuffix)
	folders    map[string]string // uid → directory
	// datasources maps a uid (or "name:"+name for an entry without uid) to
	// the provisioning file holding it; dsFiles are those files' entries.
	datasources map[string]string
	dsFiles     map[string][]*yaml.Node
	// generated maps the uid (and "name:"+name) of each datasource the
	// loader generates from a template entry (a CloudWatch template,
	// jsonData.grafsyncAccounts, expanded per account) to the template's
	// file. Such a datasource is declared: pull neither writes it to a file
	// of its own nor declares it external, and leaves the template as it is.
	generated map[string]string
	// loadedDashboards and loadedFolders are what the loader reads from
	// each dashboard file and folder directory (by path): a file whose
	// meaning equals what Grafana holds is left as it is.
	loadedDashboards map[string]*resource.Dashboard
	loadedFolders    map[string]*resource.Folder
	// loadedDS are the datasources the loader reads, by the position of
	// their entry (a template's generated ones share the template's).
	loadedDS map[resource.Pos]*resource.Datasource
	// files are every dashboard and datasource file seen (for prune).
	files map[string]bool
}

// readExisting indexes root/orgDir. A file that cannot be read or parsed
// is left alone: pull neither updates nor deletes it (the loader reports it).
//
// declared is the org as the loader reads the repository (nil: none), for
// the datasources it generates from templates.
func readExisting(root, orgDir string, declared *resource.Org) (*existing, error) {
	ex := &existing{dashboards: map[string]string{}, v2: map[string]bool{}, libpanels: map[string]string{}, folders: map[string]string{}, datasources: map[string]string{},
		dsFiles: map[string][]*yaml.Node{}, files: map[string]bool{}, generated: map[string]string{},
		loadedDashboards: map[string]*resource.Dashboard{}, loadedFolders: map[string]*resource.Folder{}, loadedDS: map[resource.Pos]*resource.Datasource{}}
	fsys := os.DirFS(root)
	dashDir := pathpkg.Join(orgDir, "dashboards")
	if fi, err := fs.Stat(fsys, dashDir); err == nil && fi.IsDir() {
		err := fs.WalkDir(fsys, dashDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			name := d.Name()
			if strings.HasPrefix(name, ".") && p != dashDir {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(p, dashDir), "/")
			if d.IsDir() {
				if rel != "" {
					ex.folders[folderUID(fsys, p, rel)] = p
				}
				return nil
			}
			if !isDashboardFile(name) {
				return nil
			}
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return nil
			}
			if strings.HasSuffix(name, load.LibraryPanelSuffix) {
				if uid, _, ok := fileUID(data, true); ok && uid != "" {
					ex.libpanels[uid] = p
				}
				return nil
			}
			uid, v2, ok := fileUID(data, strings.HasSuffix(name, ".json"))
			if !ok {
				return nil
			}
			if uid == "" {
				// as the loader derives it: from the path without its extension
				uid = load.DerivedUID(strings.TrimSuffix(rel, pathpkg.Ext(rel)))
			}
			ex.dashboards[uid] = p
			ex.v2[uid] = v2
			ex.files[p] = true
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	dsDir := pathpkg.Join(orgDir, "datasources")
	templates := map[resource.Pos]bool{} // where each template entry is
	if declared != nil {
		for _, d := range declared.Datasources {
			ex.loadedDS[d.Source] = d
		}
	}
	entries, _ := fs.ReadDir(fsys, dsDir)
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			continue
		}
		p := pathpkg.Join(dsDir, e.Name())
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			continue
		}
		var doc struct {
			Datasources []yaml.Node `yaml:"datasources"`
		}
		if yaml.Unmarshal(data, &doc) != nil {
			continue
		}
		ex.files[p] = true
		for i := range doc.Datasources {
			n := &doc.Datasources[i]
			key, _, ok := ex.entryKey(p, n)
			if !ok {
				continue
			}
			ex.dsFiles[p] = append(ex.dsFiles[p], n)
			if isTemplateEntry(n) {
				templates[resource.Pos{File: p, Line: n.Line, Col: n.Column}] = true
				continue // its name and uid are patterns, never a datasource's
			}
			ex.datasources[key] = p
		}
	}
	if declared != nil {
		for _, d := range declared.Dashboards {
			ex.loadedDashboards[d.Source.File] = d
		}
		for _, f := range declared.Folders {
			ex.loadedFolders[pathpkg.Join(dashDir, f.Path)] = f
		}
		for _, d := range declared.Datasources {
			if templates[d.Source] { // the loader gives a generated datasource its template's position
				ex.generated[d.UID], ex.generated["name:"+d.Name] = d.Source.File, d.Source.File
			}
		}
	}
	return ex, nil
}

// entryKey is how a provisioning entry (n, in file p) is matched with a
// live datasource: by uid, else "name:"+name, as the loader reads them
// (${VAR} expanded), or as written when the loader did not read it. label
// names the entry; ok is false when it is not a mapping.
func (ex *existing) entryKey(p string, n *yaml.Node) (key, label string, ok bool) {
	var id struct{ UID, Name string }
	if n.Decode(&id) != nil {
		return "", "", false
	}
	if d := ex.loadedDS[resource.Pos{File: p, Line: n.Line, Col: n.Column}]; d != nil && !isTemplateEntry(n) {
		id.UID, id.Name = d.UID, d.Name
	}
	if id.UID != "" {
		return id.UID, orFirst(id.Name, id.UID), true
	}
	return "name:" + id.Name, id.Name, true
}

// isTemplateEntry reports whether a provisioning entry is a template the
// loader expands into datasources (jsonData.grafsyncAccounts, docs/roles.md)
// rather than a datasource.
func isTemplateEntry(n *yaml.Node) bool {
	var e struct {
		JSONData map[string]any `yaml:"jsonData"`
	}
	if n.Decode(&e) != nil {
		return false
	}
	_, ok := e.JSONData[accounts.TemplateKey]
	return ok
}

// isDashboardFile is the loader's rule for a dashboard file's name.
func isDashboardFile(name string) bool {
	return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".yaml") && name != load.FolderFile || strings.HasSuffix(name, ".yml")
}

// folderUID is a folder directory's uid: its _folder.yaml's, else derived
// from its path as the loader derives it.
func folderUID(fsys fs.FS, dir, rel string) string {
	if data, err := fs.ReadFile(fsys, pathpkg.Join(dir, load.FolderFile)); err == nil {
		var f struct{ UID string }
		if yaml.Unmarshal(data, &f) == nil && f.UID != "" {
			return f.UID
		}
	}
	return load.DerivedUID(rel)
}

// fileUID reads a dashboard file's uid ("" when it has none): its
// top-level uid, or for a schema v2 document (v2 true: apiVersion
// dashboard.grafana.app/v2…, kind Dashboard and a spec object, as the
// loader's isV2Dashboard) its metadata.name. ok is false when the file is
// not an object.
func fileUID(data []byte, isJSON bool) (uid string, v2, ok bool) {
	var d struct {
		UID        string `yaml:"uid"`
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   any    `yaml:"metadata"`
		Spec       any    `yaml:"spec"`
	}
	if !isJSON {
		if yaml.Unmarshal(data, &d) != nil {
			return "", false, false
		}
	} else {
		dec := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
		if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
			return "", false, false
		}
		for dec.PeekKind() != '}' {
			tok, err := dec.ReadToken()
			if err != nil {
				return "", false, false
			}
			name := tok.String()
			v, err := dec.ReadValue()
			if err != nil {
				return "", false, false
			}
			str := func() string {
				if v.Kind() != '"' {
					return ""
				}
				var s string
				json.Unmarshal(v, &s)
				return s
			}
			switch name {
			case "uid":
				d.UID = str()
			case "apiVersion":
				d.APIVersion = str()
			case "kind":
				d.Kind = str()
			case "metadata":
				if v.Kind() == '{' {
					name, _ := topString(v, "name")
					d.Metadata = map[string]any{"name": name}
				}
			case "spec":
				if v.Kind() == '{' {
					d.Spec = map[string]any{}
				}
			}
		}
	}
	_, spec := d.Spec.(map[string]any)
	if d.Kind == "Dashboard" && spec && strings.HasPrefix(d.APIVersion, v2APIPrefix) {
		meta, _ := d.Metadata.(map[string]any)
		name, _ := meta["name"].(string)
		return name, true, true
	}
	return d.UID, false, true
}

// native converts a slash path to the host's.
func native(root, p string) string { return filepath.Join(root, filepath.FromSlash(p)) }

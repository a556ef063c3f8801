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

	"github.com/grafsync/grafsync/internal/load"
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
	// files are every dashboard and datasource file seen (for prune).
	files map[string]bool
}

// readExisting indexes root/orgDir. A file that cannot be read or parsed
// is left alone: pull neither updates nor deletes it (the loader reports it).
func readExisting(root, orgDir string) (*existing, error) {
	ex := &existing{dashboards: map[string]string{}, v2: map[string]bool{}, libpanels: map[string]string{}, folders: map[string]string{}, datasources: map[string]string{},
		dsFiles: map[string][]*yaml.Node{}, files: map[string]bool{}}
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
			var id struct{ UID, Name string }
			if n.Decode(&id) != nil {
				continue
			}
			key := id.UID
			if key == "" {
				key = "name:" + id.Name
			}
			ex.datasources[key] = p
			ex.dsFiles[p] = append(ex.dsFiles[p], n)
		}
	}
	return ex, nil
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

package load

import (
	pathpkg "path"
	"slices"
	"strings"

	"github.com/grafsync/grafsync/internal/resource"
)

// A schema v2 dashboard is a file as Grafana 12 and 13 export it: a k8s
// resource {apiVersion: dashboard.grafana.app/v2beta1, kind: Dashboard,
// metadata: {name, annotations}, spec: {title, elements, layout, ...}}. It
// is kept as its spec with three top-level members added: "uid"
// (metadata.name), "title" (spec.title) and "apiVersion", which tells the
// rest of grafsync (and the plan) the schema; apply writes it through
// /apis in that version, without these members.

// v2APIVersions are the dashboard schema v2 versions Grafana serves (audit §3).
var v2APIVersions = []string{"dashboard.grafana.app/v2alpha1", "dashboard.grafana.app/v2beta1", "dashboard.grafana.app/v2"}

// isV2Dashboard reports whether a file's top level is a schema v2 dashboard resource.
func isV2Dashboard(model map[string]any) bool {
	apiVersion, _ := model["apiVersion"].(string)
	kind, _ := model["kind"].(string)
	_, spec := model["spec"].(map[string]any)
	return kind == "Dashboard" && spec && strings.HasPrefix(apiVersion, "dashboard.grafana.app/v2")
}

// loadV2Dashboard checks and keeps a schema v2 dashboard: its apiVersion,
// uid (metadata.name), title (spec.title), folder (the directory; a
// grafana.app/folder annotation must agree), that it has elements and a
// layout, and its datasource references.
func (l *loader) loadV2Dashboard(o *orgState, s *dbState, d doc, model map[string]any, file, rel, folderUID string) {
	apiVersion, _ := model["apiVersion"].(string)
	if !slices.Contains(v2APIVersions, apiVersion) {
		l.errorf(d.pos(path{"apiVersion"}, false), "use "+strings.Join(v2APIVersions, ", "), "apiVersion: %q is not a dashboard schema v2 version Grafana serves", apiVersion)
		return
	}
	spec := model["spec"].(map[string]any)
	meta, _ := model["metadata"].(map[string]any)
	db := &resource.Dashboard{FolderUID: folderUID, Path: rel, Source: resource.Pos{File: file}, SourceHash: d.hash}
	u := uidUse{what: "dashboard " + rel, file: file}
	uidPos := func() resource.Pos { return resource.Pos{File: file} }
	switch name := meta["name"].(type) {
	case string:
		if name != "" {
			db.UID, u.explicit = name, true
			uidPos = func() resource.Pos { return d.pos(path{"metadata", "name"}, false) }
			l.checkUID(uidPos, path{"metadata", "name"}, name)
		}
	case nil:
	default:
		l.errorf(d.pos(path{"metadata", "name"}, false), "", "metadata.name: want a string (the dashboard's uid)")
	}
	if db.UID == "" {
		db.UID = DerivedUID(strings.TrimSuffix(rel, pathpkg.Ext(rel)))
	}
	l.claimUID(s, db.UID, u, uidPos)
	if ann, _ := meta["annotations"].(map[string]any); ann != nil {
		if f, ok := ann["grafana.app/folder"].(string); ok && f != folderUID {
			where := "the root (General)"
			if folderUID != "" {
				where = "folder " + folderUID
			}
			l.errorf(d.pos(path{"metadata", "annotations", "grafana.app/folder"}, false), "move the file to that folder's directory, or remove the annotation: the directory decides the folder",
				"metadata.annotations.grafana.app/folder: %q, but the file sits in %s", f, where)
		}
	}
	switch title := spec["title"].(type) {
	case string:
		db.Title = strings.TrimSpace(title)
		if db.Title == "" {
			l.errorf(d.pos(path{"spec", "title"}, false), "", "spec.title: dashboard title is empty")
		} else if n := len([]rune(db.Title)); n > 5000 {
			l.errorf(d.pos(path{"spec", "title"}, false), "", "spec.title: %d characters, max 5000", n)
		}
	case nil:
		l.errorf(d.pos(path{"spec"}, true), "add a \"title\" to spec", "spec.title: dashboard title is missing")
	default:
		l.errorf(d.pos(path{"spec", "title"}, false), "", "spec.title: want a string")
	}
	if _, ok := spec["elements"].(map[string]any); !ok && spec["elements"] != nil {
		l.errorf(d.pos(path{"spec", "elements"}, false), "", "spec.elements: want an object of element name → element")
	}
	if lay, ok := spec["layout"].(map[string]any); !ok || lay["kind"] == nil {
		l.errorf(d.pos(path{"spec"}, true), "add a layout, e.g. {\"kind\": \"GridLayout\", \"spec\": {\"items\": []}}", "spec.layout: a v2 dashboard needs a layout with a kind")
	}
	l.checkV2Refs(o, d, spec)

	out := make(map[string]any, len(spec)+3)
	for k, v := range spec {
		out[k] = v
	}
	out["uid"], out["apiVersion"] = db.UID, apiVersion
	if db.Title != "" {
		out["title"] = db.Title
	}
	enc, err := encodeModel(out)
	l.keepDashboard(o, d, db, enc, err)
}

// checkV2Refs checks the datasource references of a v2 spec: every
// DataQuery (in panels' query groups, query variables and annotations)
// names its datasource by uid in datasource.name (v2beta1), or by
// datasource {type, uid} (v2alpha1). Variables of kind DatasourceVariable
// may be referred to as ${name}.
func (l *loader) checkV2Refs(o *orgState, d doc, spec map[string]any) {
	r := &dashRefs{o: o, d: d, vars: map[string]string{}}
	vars, _ := spec["variables"].([]any)
	for _, v := range vars {
		m, _ := v.(map[string]any)
		kind, _ := m["kind"].(string)
		vs, _ := m["spec"].(map[string]any)
		if name, _ := vs["name"].(string); name != "" {
			typ := strings.ToLower(strings.TrimSuffix(kind, "Variable"))
			r.vars[name] = typ
		}
	}
	var walk func(at path, v any)
	walk = func(at path, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ds, ok := v["datasource"].(map[string]any); ok {
				if name, ok := ds["name"].(string); ok && v["kind"] == "DataQuery" {
					group, _ := v["group"].(string)
					l.checkRefAt(r, at.with("datasource"), map[string]any{"datasource": map[string]any{"uid": name, "type": group}}, "name")
				} else if _, ok := ds["uid"]; ok {
					l.checkRef(r, at.with("datasource"), map[string]any{"datasource": ds})
				}
			}
			for _, k := range slices.Sorted(func(yield func(string) bool) {
				for k := range v {
					if !yield(k) {
						return
					}
				}
			}) {
				walk(at.with(k), v[k])
			}
		case []any:
			for i, e := range v {
				walk(at.with(i), e)
			}
		}
	}
	for _, key := range []string{"elements", "variables", "annotations"} {
		walk(path{"spec", key}, spec[key])
	}
}

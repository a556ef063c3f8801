package pull

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/grafsync/grafsync/internal/jsonc"
	"github.com/grafsync/grafsync/internal/normalize"
)

// A dashboard Grafana holds in schema v2 (Grafana 12 and 13's dynamic
// dashboards; on 13 every save in the UI is one) is pulled in the format
// Grafana exports it and the loader reads it (load/dashboards_v2.go):
//
//	{"apiVersion": "dashboard.grafana.app/v2beta1", "kind": "Dashboard",
//	 "metadata": {"name": UID, "annotations": {"grafana.app/folder": FOLDER}},
//	 "spec": {...}}
//
// into the file that holds its uid. When that file is a classic (v1) file,
// the dashboard is now v2 because a person saved it so in Grafana: the file
// is replaced by a v2 .json file at the same path stem (a classic .json
// file is rewritten in place) and a note says so, since writing the v2
// spec as a classic file would break it and refusing would leave the pull
// request without the person's edit. The other way (a v2 file whose live
// copy is classic again) the file is rewritten as a classic one, in its
// format, with a note too.

// v2APIPrefix starts the apiVersion of every schema v2 dashboard.
const v2APIPrefix = "dashboard.grafana.app/v2"

// v2Spec are the members getDashboardV2 adds to a live v2 spec (and
// grafsync's marker, which the manager annotations carry on /apis): never
// part of the file's spec.
var v2Spec = map[string]bool{"uid": true, "apiVersion": true, normalize.MarkerKey: true}

// isLiveV2 reports whether a live dashboard's schema is v2.
func isLiveV2(schema string) bool { return strings.HasPrefix(schema, "v2") }

// v2Document is the export document of a live v2 dashboard whose JSON is
// its spec plus uid and apiVersion (grafana.getDashboardV2), compact and
// canonical. ok is false when the JSON carries no apiVersion: the legacy
// /api answered its GET with 406 and told only its title (schemaV2Legacy),
// so there is no spec to write.
func v2Document(src []byte, uid, folderUID string) (doc []byte, ok bool, err error) {
	av, _ := topString(src, "apiVersion")
	if !strings.HasPrefix(av, v2APIPrefix) {
		return nil, false, nil
	}
	spec, err := jsonc.Rewrite(src, v2Spec, nil)
	if err != nil {
		return nil, true, err
	}
	meta := map[string]any{"name": uid}
	if folderUID != "" {
		// The loader requires the annotation to name the file's directory's
		// folder, which is where pull writes the dashboard.
		meta["annotations"] = map[string]any{"grafana.app/folder": folderUID}
	}
	m, err := json.Marshal(meta)
	if err != nil {
		return nil, true, err
	}
	var b bytes.Buffer
	b.WriteString(`{"apiVersion":`)
	q, _ := jsontext.AppendQuote(nil, av)
	b.Write(q)
	b.WriteString(`,"kind":"Dashboard","metadata":`)
	b.Write(m)
	b.WriteString(`,"spec":`)
	b.Write(spec)
	b.WriteByte('}')
	doc, err = jsonc.Canonical(b.Bytes())
	return doc, true, err
}

// v2SpecOf is the canonical spec of a v2 export document, ok false when
// model (compact JSON) is not one.
func v2SpecOf(model []byte) ([]byte, bool) {
	av, _ := topString(model, "apiVersion")
	if !strings.HasPrefix(av, v2APIPrefix) {
		return nil, false
	}
	m, err := members(model)
	if err != nil || m["spec"] == nil {
		return nil, false
	}
	return m["spec"], true
}

// v2Changes names what changed between two dashboard models for the
// per-file report when either is a v2 document: the spec's top-level
// members when both are, else the change of schema. handled is false when
// neither is v2.
func v2Changes(before, after []byte) (detail string, handled bool) {
	bs, bv2 := v2SpecOf(before)
	as, av2 := v2SpecOf(after)
	switch {
	case bv2 && av2:
		keys, err := topLevelChanges(bs, as)
		if err != nil || len(keys) == 0 {
			return "", true
		}
		return "spec: " + strings.Join(keys, ", "), true
	case av2:
		return "schema v1 → v2", true
	case bv2:
		return "schema v2 → v1", true
	}
	return "", false
}

// schemaNote is the note of a dashboard whose schema family differs
// between its file (before) and Grafana (the pulled file, now).
func schemaNote(uid, schema, before, now string) string {
	if isLiveV2(schema) {
		if before != now {
			return fmt.Sprintf("dashboard %s is now schema %s (it was saved so in Grafana, e.g. in its UI): %s is replaced by %s, in the format Grafana exports v2 dashboards", uid, schema, before, now)
		}
		return fmt.Sprintf("dashboard %s is now schema %s (it was saved so in Grafana, e.g. in its UI): %s is rewritten in the format Grafana exports v2 dashboards", uid, schema, now)
	}
	return fmt.Sprintf("dashboard %s is classic JSON (v1) in Grafana again: %s is rewritten as a classic dashboard", uid, now)
}

// toRoot renders a v2 dashboard placed at the root although Grafana names
// a folder (one it did not list): without the folder annotation, which the
// loader requires to name the file's directory's folder.
func (d *liveDashboard) toRoot() error {
	model, err := d.fileModel()
	if err != nil {
		return err
	}
	meta, err := json.Marshal(map[string]any{"name": d.uid})
	if err != nil {
		return err
	}
	if model, err = jsonc.Rewrite(model, nil, map[string][]byte{"metadata": meta}); err != nil {
		return err
	}
	if model, err = jsonc.Canonical(model); err != nil {
		return err
	}
	d.folderUID = ""
	return d.render(model, d.yaml)
}

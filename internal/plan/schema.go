package plan

import (
	"bytes"
	"slices"
	"strings"
)

// Dashboards come in two schema families: classic JSON (v0/v1: panels,
// templating, time) and v2 (dashboard.grafana.app/v2…: elements, layout,
// variables, timeSettings). Grafana converts between them; a field-by-field
// diff of one against the other lists every structural field, which tells a
// person nothing. So a plan compares documents of two families by their
// schema, in one line, and the fields both schemas share by name and
// meaning.

// sharedFields are the top-level dashboard fields that keep their name and
// meaning in both families (Grafana's v1→v2 conversion copies them as they
// are: apps/dashboard/pkg/migration/conversion/v1beta1_to_v2alpha1.go).
var sharedFields = []string{"title", "description", "tags", "editable", "liveNow", "preload"}

// SchemaPath names a change of schema family in a plan.
const SchemaPath = "schema"

// schemaFamily is "v2" for a v2 schema version, "v1" otherwise.
func schemaFamily(schema string) string {
	if strings.HasPrefix(schema, "v2") {
		return "v2"
	}
	return "v1"
}

// schemaName is how a plan names a schema: its version, "v1" for classic JSON.
func schemaName(schema string) string {
	if schema == "" {
		return "v1"
	}
	return schema
}

// unreadable reports whether live dashboard l is one Grafana holds as v2
// whose document grafsync could not read: the legacy /api answers its GET
// with 406 (grafana.schemaV2Legacy), so its document has no apiVersion,
// which a v2 document read through /apis always carries.
func unreadable(l *Resource) bool {
	if schemaFamily(l.Schema) != "v2" {
		return false
	}
	if l.Doc != nil {
		av, _ := l.Doc["apiVersion"].(string)
		return !strings.HasPrefix(av, v2APIVersionPrefix)
	}
	return !bytes.Contains(l.Raw, []byte(`"apiVersion":"`+v2APIVersionPrefix))
}

// v2APIVersionPrefix starts a schema v2 document's apiVersion.
const v2APIVersionPrefix = "dashboard.grafana.app/v2"

// schemaDiff is the diff a person reads for a dashboard pair. Across
// families (cross): one line naming both schemas, then the changed fields
// both schemas share, never grafsync's marker or structural fields. Within
// the v2 family: grafsync's marker, which the manager annotations carry
// there, is shown only when it is the whole difference (an adoption).
//
// A live v2 dashboard read through the legacy /api (which answers its GET
// with 406: only its uid and title are known, unreadable) is shown the same
// way as across families: a field-by-field diff would list every v2 field
// of the Git file as added.
func schemaDiff(l, d *Resource, diff []FieldDiff, cross bool) []FieldDiff {
	if unread := unreadable(l); cross || unread {
		if len(diff) == 0 {
			return nil
		}
		before := schemaName(l.Schema) + " (live)"
		if unread && !cross {
			before = schemaName(l.Schema) + " (live; /api cannot read it)"
		}
		out := []FieldDiff{{Path: SchemaPath, Before: before, After: schemaName(d.Schema) + " (Git)"}}
		for _, f := range diff {
			top, _, _ := strings.Cut(f.Path, ".")
			top, _, _ = strings.Cut(top, "[")
			if slices.Contains(sharedFields, top) && !f.BeforeAbsent && !f.AfterAbsent {
				out = append(out, f)
			}
		}
		return out
	}
	if schemaFamily(d.Schema) != "v2" || d.Marker == "" {
		return diff
	}
	other := slices.ContainsFunc(diff, func(f FieldDiff) bool { return !underPath(f.Path, d.Marker) })
	if !other {
		return diff
	}
	return slices.DeleteFunc(diff, func(f FieldDiff) bool { return underPath(f.Path, d.Marker) })
}

package normalize

import (
	"encoding/json"

	"github.com/go-json-experiment/json/jsontext"
)

// MarkerKey is the key grafsync writes on what it manages: a top-level key
// of a dashboard's JSON, and a key of a datasource's jsonData. Its value is
// {"managed": true} (datasources add "secrets": fingerprints by key).
// Grafana stores unknown keys verbatim and ignores them.
const MarkerKey = "grafsync"

// marker is the marker value grafsync writes.
func marker() map[string]any { return map[string]any{"managed": true} }

// isManaged reports whether a stored marker (a decoded value, or its JSON
// encoding) says grafsync manages the resource.
func isManaged(v any) bool {
	if raw, ok := v.(jsontext.Value); ok {
		var m struct{ Managed any }
		if json.Unmarshal(raw, &m) != nil {
			return false
		}
		v = map[string]any{"managed": m.Managed}
	}
	m, _ := v.(map[string]any)
	return m != nil && m["managed"] == true
}

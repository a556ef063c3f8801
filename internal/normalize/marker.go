package normalize

// MarkerKey is the key grafsync writes on what it manages: a top-level key
// of a dashboard's JSON, and a key of a datasource's jsonData. Its value is
// {"managed": true} (datasources add "secrets": fingerprints by key).
// Grafana stores unknown keys verbatim and ignores them.
const MarkerKey = "grafsync"

// marker is the marker value grafsync writes.
func marker() map[string]any { return map[string]any{"managed": true} }

// isManaged reports whether a stored marker says grafsync manages the resource.
func isManaged(v any) bool {
	m, _ := v.(map[string]any)
	return m != nil && m["managed"] == true
}

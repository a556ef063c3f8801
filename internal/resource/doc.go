// Package resource is the model of the desired state that every later stage
// shares: load produces it, normalize and plan compare it with live Grafana,
// apply writes it. It holds plain values and does no I/O.
//
// Invariants a State produced by internal/load without errors satisfies:
//   - every UID is empty or matches ^[a-zA-Z0-9_-]{1,40}$;
//   - folder and dashboard UIDs are unique within an org (Grafana keeps them in
//     one namespace); datasource names and UIDs are unique within an org;
//   - Org.Folders lists parents before their children, at most 5 levels deep (a root folder plus 4 nested, Grafana's default);
//   - JSON-shaped values (Dashboard.JSON once decoded, Datasource.JSONData) contain only
//     map[string]any, []any, string, float64, bool and nil, as encoding/json
//     decodes them, whether the file was JSON or YAML;
//   - secrets exist only as Secret values, which print as "(secret)".
package resource

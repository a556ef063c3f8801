// Package grafanatest is an in-process emulator of Grafana's legacy HTTP API
// (/api) of Grafana 10.x to 13.x, faithful to Grafana's source as read in
// ../shared/reference/grafana-source-audit.md (cited as "audit row N"), and
// otherwise to ../shared/reference/grafana-api.md (cited as "§N"): status
// codes, error bodies, versioning, secrets, folders, search paging, orgs,
// tokens, library panels, and the alerting provisioning API
// (/api/v1/provisioning, alerting.go). Where the audit could not tell, the reference's behaviour is kept.
//
// It sits beside the pipeline, not in it: it is what internal/grafana talks to
// in tests and in `grafsync sandbox`, because no Grafana server can run where
// grafsync is built. It is never a substitute Grafana in production paths.
//
// Invariants:
//   - All state lives in one store guarded by one RWMutex; every replica
//     (listener) serves the same store, as Grafana replicas share one SQL
//     database. A handler runs entirely under the lock, so every request is
//     linearizable, like a single SQL transaction.
//   - Every behaviour that differs by Grafana version is a method on Version,
//     named after the behaviour, citing the reference section.
//   - Faults are injected before a request reaches its handler, so a faulted
//     request never changes state (a dropped connection, 5xx or 429 means the
//     write did not happen).
//   - Each behaviour has a conformance test naming the reference section.
package grafanatest

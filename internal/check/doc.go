// Package check proves that the datasources a repository declares work: for
// each one it asks Grafana to run the datasource plugin's own health check
// (GET /api/datasources/uid/:uid/health), which, for CloudWatch, assumes
// the configured role. It runs after load (grafsync check), after apply
// (apply --check-datasources) and after each serve run.
//
//	desired state (load) -> targets (one client per org) -> Run -> Report -> view
//
// Invariants:
//   - A check only reads: it lists each org's datasources once and asks for
//     health checks; it never writes to Grafana, whatever the outcome.
//   - Every declared datasource gets exactly one Result, in repository
//     order; a datasource Grafana does not have, an org that cannot be
//     reached, or a check with no answer is a failed Result, never a
//     missing one.
//   - At most Concurrency checks are in flight at once, over all orgs; each
//     is bounded by Timeout.
//   - Result.Message is Grafana's own message (the plugin's), or says why
//     the check could not run; it holds no secret (Grafana never returns one).
package check

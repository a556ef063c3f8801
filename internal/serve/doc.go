// Package serve is grafsync's daemon: it runs the reconcile pipeline again
// and again, on an interval or when told to, and reports on it over HTTP.
//
//	interval (jittered, backed off after failures) ─┐
//	GitHub push webhook (signed)                    ├─> fetch -> reconcile.Plan -> reconcile.Apply
//	POST /trigger (bearer token)                    ┘        (the same pipeline as grafsync plan/apply)
//
//	/healthz  the process is alive
//	/readyz   the last run succeeded (or this replica is on standby) and Grafana answers
//	/metrics  Prometheus metrics from a registry of the Server's own
//
// After each run that loaded the repository, CheckDatasources asks Grafana
// to health-check every declared datasource (internal/check), and
// grafsync_datasource_up and grafsync_datasource_check_duration_seconds
// report the last outcome per datasource. A failing check is reported, not
// a failed run: it never changes Grafana or /readyz.
//
// FleetServer is the same daemon over a fleet: each instance on its own
// schedule, metrics and readiness (an instance label), datasource checks
// per instance, the same webhook and trigger endpoints running every
// instance the replica holds; with PostgreSQL locks (a LockSet) replicas
// split the fleet, and a trigger one receives reaches all (Broadcaster,
// NOTIFY/LISTEN).
//
// Invariants:
//   - At most one run at a time, in one goroutine; triggers that arrive
//     during a run are coalesced into one run after it.
//   - A request whose signature or token does not verify changes nothing:
//     it is refused (401) before anything is queued.
//   - With a Lock, only its holder runs the pipeline; the others wait and
//     poll it. Without one, every replica syncs (Grafana's optimistic
//     locking turns a collision into a conflict, never a lost write).
//   - On cancellation no new run or change starts; writes already in flight
//     get a short grace period, and Serve returns within a few seconds.
//   - Secrets (webhook secret, trigger token, lock DSN password) never reach
//     a log line, an HTTP response or a metric.
package serve

// Package apply executes a plan against Grafana: it is the only stage that
// writes, and it writes exactly the plan's creates, updates and deletes.
//
// Place in the pipeline: plan -> apply -> report.
//
// Invariants:
//   - No-ops are never sent: Grafana bumps a dashboard's version on every
//     save, so an unchanged resource must not be saved.
//   - Changes run in plan order, one step at a time (a kind, and for folders
//     a depth); within a step they run concurrently, bounded by the client.
//     A step with a failure is the last one run: nothing that depends on a
//     failed change is attempted, and deletes never follow a failure.
//   - Every update states the live version the plan saw, so an edit made in
//     Grafana since then fails as a Conflict instead of being overwritten.
//     A refusal is verified first (verify.go): when Grafana already holds
//     what the change wanted (a retried write whose first answer was lost),
//     the change is done. A delete of what is already gone is done.
//     Alerting (alerting.go) is the exception: the provisioning API takes no
//     version for a rule group, a contact point or the policy tree, so an
//     edit made in Grafana between plan and apply is replaced; plan again
//     before apply shows it.
//   - When the context is cancelled (SIGTERM), no new change starts; writes
//     in flight get Grace to finish, so Grafana is left consistent.
//   - A plan spanning several orgs (Options.Orgs) sends each change, and
//     the read-back verifying a refusal of it, with its org's client; orgs
//     are created first, so later steps find their client.
//   - A folder is deleted only while it holds nothing and is still the
//     version the plan read: Grafana deletes a folder's contents with it,
//     so the folder and Grafana's counts of its contents are read just
//     before the delete.
//   - The ownership ledger (ownership.go) is written before any folder is
//     created, once per org and apply, as additions and removals applied
//     to the ledger Grafana holds at the time: a concurrent runner's
//     entries are never overwritten.
//   - grafsync's own membership of a team (its ownership marker) and its own
//     Admin entry on a folder it is not org Admin of are never removed.
package apply

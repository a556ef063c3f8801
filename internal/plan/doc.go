// Package plan is the pure heart of grafsync: it pairs desired and live
// resources by identity and produces a Plan, the ordered list of changes that
// apply will make. It does no I/O and knows nothing of HTTP or Git.
//
// Place in the pipeline: (desired, live) -> normalize -> plan -> apply -> report.
//
// Invariants:
//   - Make is a pure function: the same inputs give the same Plan, byte for
//     byte once rendered. Changes are in apply order: kinds in dependency
//     order, folders parents-first; deletes last, in reverse order.
//   - A Change's Before == nil means create, After == nil means delete; both
//     set is an update (or a no-op when nothing differs).
//   - Apart from the repository's explicit deletions (deleteDatasources,
//     alerting's delete lists), only resources grafsync manages (its marker;
//     for folders, the ownership ledger) are ever deleted, only with Prune,
//     never more than MaxDeletions, and never a whole kind group an org's
//     repository no longer declares without AllowEmpty. Deletions of
//     explicit and pruned resources alike count against MaxDeletions.
//     Read-only (provisioned) resources are never changed: a difference on
//     one is Blocked.
//   - Secret values never reach a Plan: documents hold fingerprints, and a
//     FieldDiff on a secret field carries Secret = true and no values.
package plan

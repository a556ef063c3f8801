// Package reconcile composes the pipeline, one stage per line: load the
// desired state, read the live state, normalize both, plan, and (for apply)
// apply. The CLI's plan and apply and the serve daemon all run through it,
// so they cannot disagree.
//
//	source (fs.FS) -> load -> desired ─┐
//	                                   ├─ normalize -> plan -> apply
//	grafana client -> live ────────────┘
//
// A repository that declares several orgs is one plan: each org is found
// (or planned for creation), read and normalised with its own client and
// org id (Access), and its resources carry the org's name in subjects.
//
// Invariants:
//   - Nothing is written to Grafana unless the repository loaded without
//     errors and the plan has no blocked change.
//   - Org config is read only where the repository manages it: teams when
//     an org lists teams, preferences when it sets them, permissions of
//     folders whose _folder.yaml sets them.
package reconcile

// Package reconcile composes the pipeline, one stage per line: load the
// desired state, read the live state, normalize both, plan, and (for apply)
// apply. The CLI's plan and apply and the serve daemon all run through it,
// so they cannot disagree.
//
//	source (fs.FS) -> load -> desired ─┐
//	                                   ├─ normalize -> plan -> apply
//	grafana client -> live ────────────┘
//
// Invariant: nothing is written to Grafana unless the repository loaded
// without errors and the plan has no blocked change.
package reconcile

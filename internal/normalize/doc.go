// Package normalize turns desired resources (from internal/load) and live
// resources (from internal/grafana) into comparable plan.Resources: one
// normaliser per kind, and the same function for both sides, so that a
// freshly applied repository plans as empty and a real edit is never hidden.
//
// Place in the pipeline: (desired, live) -> normalize -> plan.
//
// Invariants:
//   - Pure: no I/O, no clock. Normalising the same input twice gives equal docs.
//   - Server-owned fields (id, version, meta) never reach a doc; defaults
//     Grafana fills in (access "proxy", jsonData {}, a refresh raised to the
//     5s minimum, a trimmed title) are filled in on both sides alike.
//   - A doc holds no secret value: secrets appear as fingerprints (see
//     Fingerprinter), and their paths are listed in Resource.Secrets.
//   - grafsync's ownership marker is part of the doc, so adopting a
//     hand-made resource shows in the plan as a change of grafsync.managed.
//     Teams have no free-form field: their marker is grafsync's own
//     identity being a member, and that membership is never a member in
//     the doc. Folders have none either: the ownership ledger
//     (ownership.go) is the one place that says which are grafsync's.
//     Alerting (alerting.go) marks rules with an annotation and
//     contact points with a settings key; mute timings, templates and the
//     policy tree carry no marker and are never managed by ownership.
package normalize

// Package problem is the one shape of a finding about the repository's input
// files, shared by the stages that read them: internal/accounts
// (roles/accounts.yaml), internal/iam (quota checks on the documents built
// from it) and internal/load (everything else), and printed as is by
// grafsync validate and grafsync roles.
//
// Invariants:
//   - a Problem names a position in the repository (path relative to its
//     root; line 0 means the whole file or directory) and never carries a
//     secret value: callers put the field, not the value, in Message;
//   - String renders "path:line:col: [warning: ]message", then the hint on an
//     indented second line; this is the output format of validate and roles.
package problem

// Package load turns a repository snapshot (an fs.FS) into the desired state,
// a *resource.State, and reports every problem it finds at once.
//
// It sits after the source stage and before normalize/plan: nothing here talks
// to Grafana or the network. Environment variables and $__file{} secrets are
// read only through Options, so tests and CI control them.
//
// Invariants:
//   - Load never stops at the first problem; it returns all of them, sorted by
//     file, line and column, each with a real position in the repository;
//   - when Problems has no error, the State satisfies the invariants stated in
//     package resource (valid unique uids, resolvable datasource references,
//     folders at most 4 deep, no literal secrets);
//   - file contents are parsed once; a file is re-read only to find the
//     position of a problem in it;
//   - a CloudWatch template (jsonData.grafsyncAccounts) never appears in the
//     State: it is replaced by the datasources package accounts expands it
//     into from roles/accounts.yaml, whose Source is the template's position;
//     when roles/accounts.yaml exists, hand-written CloudWatch datasources
//     and the accounts in it have been checked against each other.
package load

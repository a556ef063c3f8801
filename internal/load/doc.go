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
//   - every file is read through readFile (a regular file, within the file
//     and repository size limits), every directory entry is judged by
//     entryKind (links stay inside the repository), and every YAML file is
//     parsed through parseNode (which stops with the context) and has its
//     aliases counted (checkAliases) before its tree is walked; JSON is
//     decoded strictly (jsonc: a repeated key is an error);
//   - every $VAR, ${VAR}, $__env{} and $__file{} a datasource or a contact
//     point uses goes through expand and reportExpansion: grafsync's own
//     credentials and refused files are errors, never an empty value;
//   - file contents are parsed once (roles/accounts.yaml twice: once here
//     for the checks above, once by package accounts); a file is re-read
//     only to find the position of a problem in it;
//   - a CloudWatch template (jsonData.grafsyncAccounts) never appears in the
//     State: it is replaced by the datasources package accounts expands it
//     into from roles/accounts.yaml, whose Source is the template's position;
//     when roles/accounts.yaml exists, hand-written CloudWatch datasources
//     and the accounts in it have been checked against each other.
package load

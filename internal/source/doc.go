// Package source is the first stage of the grafsync pipeline: it turns the
// user's --repo and --ref into a Snapshot, a read-only view of the desired
// state's files at one revision, which internal/load then parses.
//
//	source (git) -> load + validate -> desired state -> ...
//
// A repository is a local directory (read in place) or a remote URL
// (file://, https://, ssh://, scp-style git@host:org/repo.git), kept as a bare
// clone under Options.CacheDir and brought up to date with an incremental
// fetch on every Open.
//
// Invariants:
//   - Only go-git is used to read and fetch repositories; no git binary is run.
//   - A Snapshot never changes after Open returns: its FS reads one commit's
//     tree (or, for a local directory without --ref, the directory itself).
//   - Credentials (Auth, and any user:password@ in a URL) never appear in an
//     error, a log line or a file written to the cache: URLs are redacted with
//     Redact, and credentials in a URL are moved into transport auth before
//     go-git sees the URL.
//   - Every network operation runs under the caller's context; a cancelled or
//     expired context ends Open with an error naming the repository.
package source

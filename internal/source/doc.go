// Package source is the first stage of the grafsync pipeline: it turns the
// user's --repo and --ref into a Snapshot, a read-only view of the desired
// state's files at one revision, which internal/load then parses.
//
//	source (git) -> load + validate -> desired state -> ...
//
// A repository is a local directory (read in place: the files on disk, or
// the Git tree at --ref) or a remote URL (file://, https://, ssh://,
// scp-style git@host:org/repo.git). A remote is kept under Options.CacheDir
// as a bare clone that mirrors its branches and tags, brought up to date with
// an incremental fetch on every Open, and cloned again when found damaged.
//
// Invariants:
//   - Only go-git reads and fetches repositories; this package runs no git
//     binary. (go-git itself runs git-upload-pack for file:// URLs.)
//   - A Snapshot does not change after Open returns: its FS reads one
//     commit's tree (or, for a local directory without --ref, the directory
//     itself). Symbolic links are followed only inside the snapshot's root.
//   - Credentials (Auth, and any user:password@ in a URL) never appear in an
//     error, a log line or a file in the cache: URLs are shown through
//     Redact, credentials in a URL are moved into transport auth before
//     go-git sees the URL, and known secret values are scrubbed from errors.
//   - Every network operation ends when the caller's context does.
//   - One process at a time fetches into a cache directory (a lock file);
//     a snapshot read from the cache stays readable while later Opens fetch
//     (but not once one finds the cache damaged and clones it again).
package source

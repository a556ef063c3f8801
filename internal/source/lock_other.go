//go:build !unix

package source

import "context"

// lockFile does nothing where flock is unavailable: concurrent grafsync
// processes must not share a cache directory there.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }

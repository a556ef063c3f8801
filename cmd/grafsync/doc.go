// Command grafsync keeps Grafana in step with a Git repository.
//
// This package is flags and wiring only: each command parses its options,
// builds its dependencies and calls into internal/ (plan and apply through
// internal/reconcile, serve through internal/serve).
//
// Invariants:
//   - Errors are mapped to messages and exit codes in exactly one place,
//     exitCode in errors.go; results go to stdout, logs (slog) to stderr.
//   - No command touches os.Stdout, os.Stderr or os.Getenv directly: streams
//     come from the root command and the environment from env, so tests run
//     commands in process.
//   - A missing Grafana URL is an error; the emulator is used only when
//     --sandbox asks for it.
package main

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
)

// Exit statuses. They are a contract with CI scripts: see README.md.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // only with --detailed-exitcode
)

// interrupted is the cancellation cause recorded when a signal stops the run.
type interrupted struct{ sig syscall.Signal }

// Error names the signal as a shell user knows it ("interrupted by
// SIGTERM"), not by its description ("terminated"). signalContext only
// listens for these two.
func (i interrupted) Error() string {
	switch i.sig {
	case syscall.SIGINT:
		return "interrupted by SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "interrupted by SIGTERM"
	}
	return "interrupted by signal " + i.sig.String()
}

// errChanges is returned by commands that found pending changes and were asked
// (--detailed-exitcode) to say so through the exit status. It prints nothing.
var errChanges = errors.New("changes pending")

// exitCode is the one place where errors become messages and exit statuses.
func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	if errors.Is(err, errStopped) {
		return exitOK
	}
	var sig interrupted
	if errors.As(context.Cause(ctx), &sig) {
		fmt.Fprintf(stderr, "grafsync: %s\n", sig)
		return 128 + int(sig.sig)
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errChanges):
		return exitChanges
	}
	var silent silentError
	if !errors.As(err, &silent) {
		fmt.Fprintf(stderr, "grafsync: %s\n", err)
	}
	return exitError
}

// silentError marks a failure whose details the command already printed
// (for example the list of validation problems); exitCode adds nothing.
type silentError struct{ err error }

func (s silentError) Error() string { return s.err.Error() }
func (s silentError) Unwrap() error { return s.err }

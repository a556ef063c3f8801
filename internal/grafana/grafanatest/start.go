package grafanatest

import "testing"

// Start runs an emulator with one replica on a free loopback port and stops
// it when the test ends.
func Start(tb testing.TB, opts Options) (*Emulator, *Replica) {
	tb.Helper()
	e := New(opts)
	rep, err := e.StartReplica("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e, rep
}

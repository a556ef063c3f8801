package grafanatest

import (
	"fmt"
	"testing"
)

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

// AddServiceAccountTokenWithKey is AddServiceAccountToken with a key chosen by
// the caller, so a sandbox can be started with a token CI already knows.
func (e *Emulator) AddServiceAccountTokenWithKey(orgID int64, name, role, key string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil {
		return fmt.Errorf("org %d does not exist", orgID)
	}
	if _, taken := e.st.tokens[hashKey(key)]; taken {
		return fmt.Errorf("a token with that key already exists")
	}
	sa := e.addServiceAccountLocked(o, name, role)
	_, t := e.addTokenLocked(sa, name+"-token", 0)
	delete(e.st.tokens, t.hash)
	t.hash = hashKey(key)
	e.st.tokens[t.hash] = t
	return nil
}

package grafanatest

import (
	"math/rand/v2"
	"regexp"
)

// uidPattern is Grafana's uid rule for dashboards, folders and datasources (§3.1, §12).
var uidPattern = regexp.MustCompile(`^[a-zA-Z0-9\-_]*$`)

const maxUIDLength = 40

// uidFormatProblem is the 400 message for a uid util.ValidateUID refuses
// (illegal characters, then length), or "". Dashboards and library
// elements check only this; folders add their reserved uids (uidProblem).
func uidFormatProblem(uid string) string {
	switch {
	case !uidPattern.MatchString(uid):
		return "uid contains illegal characters"
	case len(uid) > maxUIDLength:
		return "uid too long, max 40 characters"
	}
	return ""
}

// uidSource generates server-side uids: random alphanumerics starting with a
// letter, 14 characters, like newer Grafana (§3.1). Callers hold Emulator.mu.
type uidSource struct{ rng *rand.Rand }

func newUIDSource(seed uint64) *uidSource {
	return &uidSource{rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

func (u *uidSource) next() string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	const alnum = letters + "0123456789"
	b := make([]byte, 14)
	b[0] = letters[u.rng.IntN(len(letters))]
	for i := 1; i < len(b); i++ {
		b[i] = alnum[u.rng.IntN(len(alnum))]
	}
	return string(b)
}

package normalize

import (
	"crypto/sha256"
	"encoding/base64"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Fingerprinter computes the fingerprints of secret values that grafsync
// stores next to a datasource (jsonData.grafsync.secrets), because Grafana
// never returns secrets and grafsync must still see when one changes.
//
// A fingerprint is Argon2id(value, salt) with a salt unique to the
// datasource and key, so equal secrets on two datasources look different,
// and a fingerprint, which any Viewer can read, costs an attacker a
// memory-hard hash per guess. It is deterministic, so an unchanged secret
// gives the same fingerprint on every run and is not rewritten.
//
// A Fingerprinter remembers what it computed, so a long-running serve pays
// for each secret once. It is safe for concurrent use.
type Fingerprinter struct {
	mu   sync.Mutex
	memo map[[32]byte]string // sha256(salt, value) -> fingerprint; in memory only
}

// NewFingerprinter returns an empty Fingerprinter.
func NewFingerprinter() *Fingerprinter { return &Fingerprinter{memo: map[[32]byte]string{}} }

// fingerprintPrefix names the scheme, so it can change without ambiguity.
const fingerprintPrefix = "argon2id-v1:"

// Fingerprint of value, the secret key of the datasource identified by id.
func (f *Fingerprinter) Fingerprint(id, key, value string) string {
	salt := sha256.Sum256([]byte("grafsync secret\x00" + id + "\x00" + key))
	k := sha256.Sum256(append(salt[:], value...))
	f.mu.Lock()
	fp, ok := f.memo[k]
	f.mu.Unlock()
	if ok {
		return fp
	}
	// OWASP's recommended minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
	sum := argon2.IDKey([]byte(value), salt[:16], 2, 19*1024, 1, 16)
	fp = fingerprintPrefix + base64.RawURLEncoding.EncodeToString(sum)
	f.mu.Lock()
	f.memo[k] = fp
	f.mu.Unlock()
	return fp
}

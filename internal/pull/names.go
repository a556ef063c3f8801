package pull

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"

	"github.com/grafsync/grafsync/internal/load"
)

// maxSlug bounds a file or directory name made from a title.
const maxSlug = 60

// slug is a file or directory name made from a title: lower case, every run
// of characters other than a-z and 0-9 one "-", at most maxSlug bytes;
// fallback when nothing is left ("Ünïcode" only titles).
func slug(title, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > maxSlug {
		s = strings.TrimRight(s[:maxSlug], "-")
	}
	if s == "" {
		return fallback
	}
	return s
}

// named is one thing that needs a name unique among its siblings.
type named struct {
	uid, title string
}

// uniqueNames gives each item a name from its title, unique among the
// items case-insensitively (file systems that fold case exist) and not in
// taken. Collisions are resolved deterministically: items are ordered by
// (name, uid); the first keeps the name, the others get "-" and their uid
// (made safe) appended. The result does not depend on the input order.
func uniqueNames(items []named, taken map[string]bool, fallback string) map[string]string {
	sorted := append([]named(nil), items...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := slug(sorted[i].title, fallback), slug(sorted[j].title, fallback)
		if a != b {
			return a < b
		}
		return sorted[i].uid < sorted[j].uid
	})
	used := map[string]bool{}
	for k := range taken {
		used[strings.ToLower(k)] = true
	}
	out := make(map[string]string, len(items))
	for _, it := range sorted {
		base := slug(it.title, fallback)
		name := base
		if used[name] {
			name = base + "-" + slug(it.uid, shortHash(it.uid))
		}
		for n := 2; used[name]; n++ {
			name = base + "-" + shortHash(it.uid) + "-" + strconv.Itoa(n)
		}
		used[name] = true
		out[it.uid] = name
	}
	return out
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// envName is the environment variable a datasource's secret is read from:
// the datasource's name and the key in upper case, words joined by "_"
// ("Loki", "basicAuthPassword" → LOKI_BASIC_AUTH_PASSWORD), the name the
// loader's hints suggest (load.EnvName). A name that
// would start with a digit, be empty, or be one of the credentials the
// loader refuses to read (refused, load.OwnCredential) gets the prefix
// "DS_", which none of those has.
func envName(dsName, key string, refused func(string) bool) string {
	name := load.EnvName(dsName, key)
	if name == "" || name[0] >= '0' && name[0] <= '9' || refused(name) || strings.HasPrefix(name, "GRAFANA_") {
		name = "DS_" + name
	}
	return name
}

package normalize

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
)

// Outline is where the top-level members of a desired dashboard's bytes
// (DesiredDashboard's Raw) lie, so that a live dashboard can be compared
// with it as bytes (LiveDashboardAs). It is made once per distinct desired
// document and read by any number of goroutines.
type Outline struct {
	raw     []byte
	members [][2]int // [start, end) of each "name":value in raw
	folder  int      // the index of the folderUid member
}

// NewOutline outlines raw, DesiredDashboard's bytes (compact, members
// sorted, "folderUid" among them); nil when raw is not of that form.
func NewOutline(raw []byte) *Outline {
	dec := jsontext.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil
	}
	o := &Outline{raw: raw, folder: -1}
	for dec.PeekKind() != '}' {
		start := dec.InputOffset()
		if start > 1 {
			start++ // the comma
		}
		tok, err := dec.ReadToken()
		if err != nil {
			return nil
		}
		name := tok.String()
		if _, err := dec.ReadValue(); err != nil {
			return nil
		}
		if name == "folderUid" {
			o.folder = len(o.members)
		}
		o.members = append(o.members, [2]int{int(start), int(dec.InputOffset())})
	}
	if _, err := dec.ReadToken(); err != nil || dec.InputOffset() != int64(len(raw)) || o.folder < 0 {
		return nil
	}
	return o
}

// LiveDashboardAs is LiveDashboard(d, orgID) for a live dashboard whose
// desired bytes o outlines. When the live JSON is exactly o's members but
// folderUid, in o's order, with only the server-owned "id" and "version"
// (numbers) added anywhere, and d's folder is o's, LiveDashboard would
// return o's bytes: they are returned as they are, found by comparing
// bytes, without parsing or canonicalising the live document. Any other
// live JSON (a change, another order, spacing, escaping) goes through
// LiveDashboard. o nil: LiveDashboard.
//
// Why it is the same: equal bytes are an equal, valid JSON value; o's are
// canonical, trimmed and raised already (Dashboard is idempotent on them),
// its marker member is grafsync's, and id, version and folderUid are what
// Dashboard drops and replaces by d.FolderUID.
func LiveDashboardAs(d grafana.Dashboard, orgID int64, o *Outline) (plan.Resource, error) {
	if o == nil || !o.same(d.JSON, d.FolderUID) {
		return LiveDashboard(d, orgID)
	}
	// As LiveDashboard builds it, managed by the marker o holds.
	return liveDashboard(d, orgID, o.raw, true), nil
}

// same reports whether live is o's members (without folderUid) with only
// "id" and "version" members added, and folderUID is o's folder.
func (o *Outline) same(live []byte, folderUID string) bool {
	f := o.raw[o.members[o.folder][0]:o.members[o.folder][1]]
	q, _ := jsontext.AppendQuote([]byte(`"folderUid":`), folderUID)
	if !bytes.Equal(f, q) || len(live) < 2 || live[0] != '{' {
		return false
	}
	i, k := 1, 0 // the next live byte, the next member of o
	for {
		if k == o.folder {
			k++
		}
		switch {
		case bytes.HasPrefix(live[i:], []byte(`"id":`)):
			i = skipNumber(live, i+len(`"id":`))
		case bytes.HasPrefix(live[i:], []byte(`"version":`)):
			i = skipNumber(live, i+len(`"version":`))
		case k < len(o.members):
			n, ok := prefixAsEncoded(live[i:], o.raw[o.members[k][0]:o.members[k][1]])
			if !ok {
				return false
			}
			i += n
			k++
		default:
			return false
		}
		if i <= 0 || i >= len(live) {
			return false
		}
		switch live[i] {
		case ',':
			i++
		case '}':
			return i == len(live)-1 && (k == len(o.members) || k == o.folder && k == len(o.members)-1)
		default:
			return false
		}
	}
}

// htmlEscapes are the characters encoding/json (so Grafana, which encodes
// stored dashboards with it) escapes in strings and jsontext, which
// writes the canonical form, does not.
var htmlEscapes = [...]struct{ raw, escaped string }{
	{"<", `\u003c`}, {">", `\u003e`}, {"&", `\u0026`}, {"\u2028", `\u2028`}, {"\u2029", `\u2029`},
}

// prefixAsEncoded reports whether b starts with m, canonical JSON, as
// encoding/json writes it: byte for byte but for htmlEscapes (which stand
// only in strings, where the escape means the character). n is the length
// of that prefix of b.
func prefixAsEncoded(b, m []byte) (n int, ok bool) {
	for {
		k := commonPrefix(b[n:], m)
		n, m = n+k, m[k:]
		if len(m) == 0 {
			return n, true
		}
		found := false
		for _, e := range htmlEscapes {
			if bytes.HasPrefix(m, []byte(e.raw)) && bytes.HasPrefix(b[n:], []byte(e.escaped)) {
				n, m, found = n+len(e.escaped), m[len(e.raw):], true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i+64 <= n && bytes.Equal(a[i:i+64], b[i:i+64]) {
		i += 64
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// skipNumber returns the index past the JSON number at b[i] (an integer, as
// Grafana writes ids and versions), or -1.
func skipNumber(b []byte, i int) int {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	start := j
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == start || b[start] == '0' && j-start > 1 {
		return -1
	}
	return j
}

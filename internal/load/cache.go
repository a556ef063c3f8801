package load

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/grafsync/grafsync/internal/jsonc"
	"github.com/grafsync/grafsync/internal/memo"
)

// DefaultCacheBytes bounds a Cache made with NewCache(0): about 64 MB of
// decoded and encoded dashboards (some 16 MB of dashboard files).
const DefaultCacheBytes = 64 << 20

// Cache shares the decoding of dashboard files between loads: a fleet's
// instances load one repository, expanded for each, and a dashboard file
// that expands to the same bytes for 200 instances is decoded and encoded
// once. It is safe for concurrent use by many loads.
//
// Invariants: an entry is found by the file's bytes (as the loader read
// them, after ${fleet.KEY} expansion; package memo) and depends on nothing
// else — not the path, the instance, the org or the environment — so a
// file that differs per instance simply has an entry per instance; what
// depends on the rest (uids, titles, datasource references, positions and
// file names in problems) is still worked out by each load. An entry is
// never written once decoded: a load copies what it changes (see
// loadDashboard). The entries add up to at most the bound given to
// NewCache, the least recently used dropped first, so memory follows the
// distinct documents of the instances in flight, not the fleet's size.
type Cache struct {
	m *memo.Cache[*decoded]
}

// NewCache returns a cache holding at most maxBytes (estimated heap bytes;
// 0: DefaultCacheBytes).
func NewCache(maxBytes int64) *Cache {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	return &Cache{m: memo.New[*decoded](maxBytes)}
}

// decoded returns data decoded as decode(sel, rel) does, shared with every
// load that reads the same bytes with the same selection: the first to ask
// starts decoding it on another goroutine (its done is closed when it is
// ready), the others get the same *decoded, done or not. Its enc holds the
// uid the first asker's rel derives for a file without one; a load at
// another path settles on another uid and encodes the file itself
// (loadDashboard uses enc only for the same uid). The cache keeps data:
// the caller never writes it.
func (c *Cache) decoded(data []byte, sel *jsonc.Selection, rel string) *decoded {
	key := "selected"
	if sel == nil {
		key = "full"
	}
	return c.m.Get(data, key, func() (*decoded, int64) {
		d := &decoded{data: data, ok: true, shared: true, done: make(chan struct{})}
		go func() {
			defer close(d.done)
			d.decode(sel, rel)
		}()
		// The map takes about twice the file (measured on real
		// dashboards), its encoding about the file again.
		return d, 4*int64(len(data)) + 256
	})
}

// checkRefsOnce is checkRefs, whose problems a dashboard shared through a
// Cache records per refsKey: the loads whose file and org datasources are
// the same (a fleet's instances, whose datasources differ in URLs or
// secrets but not in uids, names and types) check its references once.
// A dashboard with __inputs is checked by each load: its references were
// substituted from the load's own datasources.
func (l *loader) checkRefsOnce(o *orgState, d doc, model map[string]any, inputs map[string]bool, pre *decoded) {
	if !pre.shared || inputs != nil {
		l.checkRefs(o, d, model, inputs)
		return
	}
	key := d.file + "\x00" + o.refsKey()
	if ps, ok := pre.refs.Load(key); ok {
		l.problems = append(l.problems, ps.(Problems)...)
		return
	}
	n := len(l.problems)
	l.checkRefs(o, d, model, inputs)
	pre.refs.Store(key, slices.Clone(l.problems[n:]))
}

// refsKey is everything of an org checkRefs reads: its name, what each uid
// and name resolves to (the type), how many datasources of each type it
// has, and the CloudWatch template that generated none. Made once per org.
func (o *orgState) refsKey() string {
	if o.refs != "" {
		return o.refs
	}
	var parts []string
	for uid, d := range o.ds.byUID {
		parts = append(parts, "u\x00"+uid+"\x00"+d.typ)
	}
	for name, d := range o.ds.byName {
		parts = append(parts, "n\x00"+name+"\x00"+d.typ)
	}
	for typ, ds := range o.ds.byType {
		parts = append(parts, "t\x00"+typ+"\x00"+strconv.Itoa(len(ds)))
	}
	slices.SortFunc(parts, cmp.Compare)
	unexpanded := ""
	if o.unexpanded != nil {
		unexpanded = o.unexpanded.String()
	}
	o.refs = strconv.Quote(o.org.Name) + "\x01" + unexpanded + "\x01" + strings.Join(parts, "\x01")
	return o.refs
}

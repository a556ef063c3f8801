package load

import (
	"bytes"
	"runtime"
	"strings"
	"sync"

	"github.com/grafsync/grafsync/internal/jsonc"
)

// decoded is a dashboard file read and, when it is JSON, decoded.
type decoded struct {
	data []byte
	ok   bool // read: false when readFile reported why not
	v    any
	err  error         // the decoding's error
	done chan struct{} // closed once v and err are set; nil: set already
	// enc is the file encoded as loadDashboard keeps it (encodeJSONDashboard)
	// with the uid and title the file holds, when it holds a uid; the
	// loader uses it when it settles on the same uid and title.
	enc               []byte
	encUID, encTitle  string
	encErr            error
	hasTitle, encoded bool
	// shared: d came from a Cache and other loads hold it too; v is
	// read-only then (loadDashboard copies what it changes).
	shared bool
	// refs are the problems checkRefs found in the shared v, by refsKey
	// of the org and file that checked it (checkRefsOnce).
	refs sync.Map
}

// decode sets v and err from data (without a BOM, as loadDashboard reads
// it), and enc from the uid and title the file holds.
func (d *decoded) decode() {
	src := bytes.TrimPrefix(d.data, utf8BOM)
	d.v, d.err = jsonc.Decode(src)
	m, _ := d.v.(map[string]any)
	uid, _ := m["uid"].(string)
	if d.err != nil || uid == "" {
		return // the uid comes from the path: the loader encodes it
	}
	title, hasTitle := m["title"].(string)
	title = strings.TrimSpace(title)
	d.enc, d.encErr = encodeJSONDashboard(src, uid, title, hasTitle)
	d.encUID, d.encTitle, d.hasTitle, d.encoded = uid, title, hasTitle, true
}

// decodeAhead reads a directory's JSON dashboards ahead of the loader and
// decodes them on other goroutines: decoding is about half of a
// dashboard's load and depends on nothing but its bytes, while everything
// after it (uids, titles, problems) is the loader's shared state and stays
// on the loader's goroutine.
//
// Invariants: files are read on the loader's goroutine and in directory
// order, never past a file whose turn has not come that is not read ahead
// (a YAML dashboard, a library panel), so the limits count the same bytes
// of the same files as without reading ahead; the context is looked at
// when a file's turn comes, as readFile does; at most window files are
// read and not yet loaded, so memory holds a few decoded dashboards, not a
// directory's; every goroutine ends on its own (it only decodes bytes in
// memory). Problems may be reported in another order; Load sorts them.
type decodeAhead struct {
	l    *loader
	want []string // per item: the dashboard file, "" for a library panel
	next int      // the first item not read yet
	got  []*decoded
}

// get is dashboard item i read (and decoded when it is JSON); not ok when
// loading stopped at it. Dashboards are asked for in order, each once.
func (a *decodeAhead) get(i int) *decoded {
	if a.got == nil {
		a.got = make([]*decoded, len(a.want))
	}
	d := a.got[i]
	a.got[i] = nil
	if a.next <= i { // not read ahead (what lies between are library panels, loaded)
		a.next = i + 1
	}
	if a.l.stop(a.want[i]) { // readFile looks at the context first too
		return &decoded{}
	}
	if d == nil {
		d = a.read(i)
	}
	window := runtime.GOMAXPROCS(0) * 2
	for ; a.next < len(a.want) && a.next <= i+window; a.next++ {
		if file := a.want[a.next]; file == "" || !isJSON(file) {
			break // read in its turn
		}
		a.got[a.next] = a.read(a.next)
	}
	if d.done != nil {
		<-d.done
	}
	return d
}

// read reads item i and starts decoding it when it is JSON.
func (a *decodeAhead) read(i int) *decoded {
	d := &decoded{}
	if d.data, d.ok = a.l.readFileAhead(a.want[i]); !d.ok || !isJSON(a.want[i]) {
		return d
	}
	if c := a.l.opts.Cache; c != nil {
		return c.decoded(d.data)
	}
	d.done = make(chan struct{})
	go func() {
		defer close(d.done)
		d.decode()
	}()
	return d
}

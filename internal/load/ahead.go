package load

import (
	"bytes"
	"runtime"

	"github.com/grafsync/grafsync/internal/jsonc"
)

// decoded is a dashboard file read and, when it is JSON, decoded.
type decoded struct {
	data []byte
	ok   bool // read: false when readFile reported why not
	v    any
	err  error         // the decoding's error
	done chan struct{} // closed once v and err are set; nil: set already
}

// decode sets v and err from data (without a BOM, as loadDashboard reads it).
func (d *decoded) decode() {
	d.v, d.err = jsonc.Decode(bytes.TrimPrefix(d.data, utf8BOM))
}

// decodeAhead reads a directory's dashboards ahead of the loader and
// decodes them on other goroutines: decoding is about half of a
// dashboard's load and depends on nothing but its bytes, while everything
// after it (uids, titles, problems) is the loader's shared state and stays
// on the loader's goroutine.
//
// Invariants: files are read by readFile, on the loader's goroutine and in
// directory order (never past a library panel not loaded yet), so the
// limits count the same bytes of the same files as without reading ahead; at most window files are read and not yet loaded, so memory holds
// a few decoded dashboards, not a directory's; every goroutine ends on its
// own (it only decodes bytes in memory). Problems may be reported in
// another order; Load sorts them.
type decodeAhead struct {
	l    *loader
	want []string // per item: the dashboard file to read ahead, "" for a library panel
	next int      // the first item not read yet
	got  []*decoded
}

// get is dashboard item i read (and decoded when it is JSON), waiting for
// its decoding. Items are asked for in order.
func (a *decodeAhead) get(i int) *decoded {
	if a.got == nil {
		a.got = make([]*decoded, len(a.want))
	}
	window := runtime.GOMAXPROCS(0) * 2
	for ; a.next < len(a.want) && a.next <= i+window; a.next++ {
		file := a.want[a.next]
		if file == "" {
			if a.next > i {
				break // a library panel not loaded yet: it reads its file first
			}
			continue
		}
		d := &decoded{}
		a.got[a.next] = d
		if d.data, d.ok = a.l.readFile(file); !d.ok {
			continue
		}
		if !isJSON(file) {
			continue // YAML is decoded by the loader: its problems need the loader
		}
		d.done = make(chan struct{})
		go func() {
			defer close(d.done)
			d.decode()
		}()
	}
	d := a.got[i]
	a.got[i] = nil
	if d != nil && d.done != nil {
		<-d.done
	}
	return d
}

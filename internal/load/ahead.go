package load

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	pathpkg "path"
	"runtime"
	"strings"
	"sync"

	"github.com/grafsync/grafsync/internal/jsonc"
)

// decoded is a dashboard file read and, when it is JSON, decoded.
type decoded struct {
	data []byte
	ok   bool // read: false when readFile reported why not
	// v is the parts of the dashboard the loader's checks read (see
	// dashboardSelection), or all of it when the loader decodes in full.
	v    any
	err  error         // the decoding's error, Decode's
	done chan struct{} // closed once v and err are set; nil: set already
	// enc is the file encoded as loadDashboard keeps it (encodeJSONDashboard)
	// with the uid and title loadDashboard gives it unless something makes
	// it change them; the loader uses it when it settles on the same.
	enc               []byte
	encUID, encTitle  string
	encErr            error
	hasTitle, encoded bool
	// hash is data's git blob id (blobID), set by decode.
	hash string
	// shared: d came from a Cache and other loads hold it too; v is
	// read-only then (loadDashboard copies what it changes).
	shared bool
	// refs are the problems checkRefs found in the shared v, by refsKey
	// of the org and file that checked it (checkRefsOnce).
	refs sync.Map
}

// encodeBuffers are scratch buffers for encoding dashboards (decode): a
// dashboard is kept in a copy of its own size, so the buffer it was made
// in serves the next one instead of being garbage.
var encodeBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxEncodeBuffer is the largest scratch buffer kept for reuse.
const maxEncodeBuffer = 4 << 20

// editedMembers are the top-level members a dashboard is kept without
// (read-only: shared by every encoding, ahead or not).
var editedMembers = map[string]bool{"id": true, "__inputs": true, "__requires": true, "__elements": true}

// decode sets v and err from data (without a BOM, as loadDashboard reads
// it), and enc with the uid and title loadDashboard settles on for the
// file at rel: the file's, or one derived from rel.
//
// With a selection, v holds what sel selects, and enc is made from the
// members ReadSelected read, in one pass (jsonc.CanonicalMembers). Decode
// refuses a number too large for a float64 anywhere: ReadSelected leaves
// that to CanonicalMembers' pass, and when that pass cannot tell, Decode
// judges the file, so its errors are always Decode's.
func (d *decoded) decode(sel *jsonc.Selection, rel string) {
	d.hash = blobID(d.data)
	src := bytes.TrimPrefix(d.data, utf8BOM)
	var members []jsonc.Member
	if sel == nil {
		d.v, d.err = jsonc.Decode(src)
	} else {
		d.v, members, d.err = jsonc.ReadSelected(src, sel)
	}
	m, _ := d.v.(map[string]any)
	if d.err != nil || m == nil {
		return
	}
	uid, _ := m["uid"].(string)
	if uid == "" { // as loadDashboard derives it
		uid = DerivedUID(strings.TrimSuffix(rel, pathpkg.Ext(rel)))
	}
	title, hasTitle := m["title"].(string)
	title = strings.TrimSpace(title)
	checked := false
	if members != nil {
		set := map[string][]byte{"uid": quoteJSON(uid)}
		if hasTitle {
			set["title"] = quoteJSON(title)
		}
		// Made in a scratch buffer and kept at its own size.
		buf := encodeBuffers.Get().(*[]byte)
		var enc []byte
		enc, checked, d.encErr = jsonc.AppendCanonicalMembers((*buf)[:0], members, editedMembers, set)
		if d.encErr == nil {
			d.enc = bytes.Clone(enc)
		}
		if cap(enc) <= maxEncodeBuffer {
			*buf = enc
			encodeBuffers.Put(buf)
		}
	}
	if members == nil || d.encErr != nil {
		d.enc, d.encErr = encodeJSONDashboard(src, uid, title, hasTitle)
	}
	if !checked && sel != nil {
		if _, err := jsonc.Decode(src); err != nil {
			d.v, d.err = nil, err
			return
		}
	}
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
	sel  *jsonc.Selection // what to decode (nil: all)
	want []string         // per item: the dashboard file, "" for a library panel
	rels []string         // per item: its path under dashboards/
	next int              // the first item not read yet
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
		return c.decoded(d.data, a.sel, a.rels[i])
	}
	d.done = make(chan struct{})
	go func() {
		defer close(d.done)
		d.decode(a.sel, a.rels[i])
	}()
	return d
}

// blobID is data's git blob id, what `git hash-object` prints: the SHA-1
// of "blob <size>\x00" and data (the grafana.app/sourceHash grafsync
// writes). crypto/sha1, not go-git's collision-detecting SHA-1: the digest
// is the same for any input but a crafted collision, the id is never
// compared, and crypto/sha1 is several times faster, which counts for a
// fleet hashing every file once per instance.
func blobID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

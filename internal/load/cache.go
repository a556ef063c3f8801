package load

import (
	"container/list"
	"crypto/sha256"
	"sync"
)

// DefaultCacheBytes bounds a Cache made with NewCache(0): about 64 MB of
// decoded and encoded dashboards (some 20 MB of dashboard files).
const DefaultCacheBytes = 64 << 20

// Cache shares the decoding of dashboard files between loads: a fleet's
// instances load one repository, expanded for each, and a dashboard file
// that expands to the same bytes for 200 instances is decoded and encoded
// once. It is safe for concurrent use by many loads.
//
// Invariants: an entry is keyed by the SHA-256 of the file's bytes (as the
// loader read them, after ${fleet.KEY} expansion) and depends on nothing
// else — not the path, the instance, the org or the environment — so a
// file that differs per instance simply has an entry per instance; what
// depends on the rest (uids, titles, datasource references, positions and
// file names in problems) is still worked out by each load. An entry is
// never written once its decoding is done: a load copies what it changes
// (see loadDashboard). The entries held add up to at most the bound given
// to NewCache (estimated heap bytes); the least recently used go first, so
// memory follows the distinct documents of the instances in flight, never
// the number of instances.
type Cache struct {
	max int64

	mu    sync.Mutex
	size  int64
	byKey map[[sha256.Size]byte]*list.Element
	lru   list.List // of *cacheEntry, most recently used first
}

type cacheEntry struct {
	key  [sha256.Size]byte
	d    *decoded
	size int64 // 0 while decoding
}

// NewCache returns a cache holding at most maxBytes (estimated heap bytes;
// 0: DefaultCacheBytes).
func NewCache(maxBytes int64) *Cache {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	return &Cache{max: maxBytes, byKey: map[[sha256.Size]byte]*list.Element{}}
}

// decoded returns data decoded, shared with every load that reads the same
// bytes: the first to ask decodes it on another goroutine (its done is
// closed when it is ready), the others get the same *decoded, done or not.
func (c *Cache) decoded(data []byte) *decoded {
	key := sha256.Sum256(data)
	c.mu.Lock()
	if e, ok := c.byKey[key]; ok {
		c.lru.MoveToFront(e)
		c.mu.Unlock()
		return e.Value.(*cacheEntry).d
	}
	d := &decoded{data: data, ok: true, shared: true, done: make(chan struct{})}
	ce := &cacheEntry{key: key, d: d}
	c.byKey[key] = c.lru.PushFront(ce)
	c.mu.Unlock()
	go func() {
		d.decode()
		close(d.done)
		c.settle(ce)
	}()
	return d
}

// settle counts a decoded entry and drops the least recently used decoded
// entries beyond the bound (an entry still decoding is never dropped: its
// waiters hold it anyway, and it is counted once done).
func (c *Cache) settle(ce *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ce.size = ce.d.heapBytes()
	c.size += ce.size
	for e := c.lru.Back(); e != nil && c.size > c.max; {
		prev := e.Prev()
		if old := e.Value.(*cacheEntry); old.size > 0 {
			c.lru.Remove(e)
			delete(c.byKey, old.key)
			c.size -= old.size
		}
		e = prev
	}
}

// heapBytes estimates what a decoded file holds: its bytes, its map
// (measured at about twice the file for real dashboards) and its encoding.
func (d *decoded) heapBytes() int64 {
	return int64(3*len(d.data)+len(d.enc)) + 256
}

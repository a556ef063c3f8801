// Package memo shares values made from documents between the runs of a
// fleet's instances: a value is made once per distinct document, by the
// first run that asks, and the others get the same value.
//
// It sits beside the pipeline (load and reconcile use it), holds no global
// state and does no I/O.
//
// Invariants: an entry is found by its key's bytes themselves — a seeded
// 64-bit hash (hash/maphash) picks the candidates and bytes.Equal confirms
// one — so two different documents never share a value, whatever their
// hash; a value is made once while its entry is held (concurrent askers
// wait for it), and is never written after; the entries held add up to at
// most the bound given to New (each value's size as its maker estimated),
// least recently used dropped first.
package memo

import (
	"bytes"
	"container/list"
	"hash/maphash"
	"sync"
)

// Cache maps documents to values made from them. It is safe for
// concurrent use.
type Cache[V any] struct {
	max  int64
	seed maphash.Seed

	mu     sync.Mutex
	size   int64
	byHash map[uint64][]*list.Element
	lru    list.List // of *entry[V], most recently used first
}

type entry[V any] struct {
	hash  uint64
	key   []byte
	extra string
	ready chan struct{} // closed once v is set
	v     V
	size  int64 // 0 while being made
}

// New returns a cache holding at most maxBytes of values (as estimated by
// their makers).
func New[V any](maxBytes int64) *Cache[V] {
	return &Cache[V]{max: maxBytes, seed: maphash.MakeSeed(), byHash: map[uint64][]*list.Element{}}
}

// Get returns the value for the document key (with extra, which a value
// may also depend on), made by build when no entry has it. build returns
// the value and its size in bytes; it runs without the cache's lock, once
// per entry. The cache keeps key: the caller must never write it
// afterwards.
func (c *Cache[V]) Get(key []byte, extra string, build func() (V, int64)) V {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.Write(key)
	h.WriteString(extra)
	sum := h.Sum64()

	c.mu.Lock()
	for _, el := range c.byHash[sum] {
		e := el.Value.(*entry[V])
		if e.extra == extra && bytes.Equal(e.key, key) {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			<-e.ready
			return e.v
		}
	}
	e := &entry[V]{hash: sum, key: key, extra: extra, ready: make(chan struct{})}
	c.byHash[sum] = append(c.byHash[sum], c.lru.PushFront(e))
	c.mu.Unlock()

	v, size := build()
	e.v = v
	close(e.ready)
	c.settle(e, max(size, 1))
	return v
}

// settle counts a made entry and drops the least recently used made
// entries beyond the bound; an entry being made is never dropped.
func (c *Cache[V]) settle(e *entry[V], size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.size = size
	c.size += size
	for el := c.lru.Back(); el != nil && c.size > c.max; {
		prev := el.Prev()
		if old := el.Value.(*entry[V]); old.size > 0 {
			c.remove(el, old)
		}
		el = prev
	}
}

func (c *Cache[V]) remove(el *list.Element, e *entry[V]) {
	c.lru.Remove(el)
	c.size -= e.size
	els := c.byHash[e.hash]
	for i, x := range els {
		if x == el {
			els = append(els[:i], els[i+1:]...)
			break
		}
	}
	if len(els) == 0 {
		delete(c.byHash, e.hash)
	} else {
		c.byHash[e.hash] = els
	}
}

// Len is the number of entries held (made or being made).
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

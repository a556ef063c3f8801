package load

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/yamlnode"
)

// path addresses a value inside a JSON or YAML document: string elements are
// object keys, int elements are array indices.
type path []any

// with returns a copy of p extended by elems; p itself is never modified, so
// paths can be shared by recursive walkers.
func (p path) with(elems ...any) path {
	q := make(path, 0, len(p)+len(elems))
	return append(append(q, p...), elems...)
}

// String renders a path the way users write it: panels[2].targets[0].datasource.
func (p path) String() string {
	var b strings.Builder
	for _, e := range p {
		switch e := e.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(e) + "]")
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e)
		}
	}
	return b.String()
}

// lineCol converts a byte offset in data to a 1-based line and column
// (columns count characters).
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// jsonLocate returns the offset of the value at p in data. When p does not
// exist it returns the offset of the deepest enclosing value that does, so a
// "missing field" problem points at the object that lacks it. When key is true
// and the last element of p is an object key, the key's offset is returned.
func jsonLocate(data []byte, p path, key bool) int64 {
	dec := json.NewDecoder(bytes.NewReader(data))
	s := jsonScanner{dec: dec, data: data}
	off, _ := s.value(p, key)
	return off
}

type jsonScanner struct {
	dec  *json.Decoder
	data []byte
}

// next returns the offset where the next token starts.
func (s *jsonScanner) next() int64 {
	off := s.dec.InputOffset()
	for off < int64(len(s.data)) {
		switch s.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// value positions the decoder on the value at p (relative to the next token)
// and returns its offset; found is false when p is missing.
func (s *jsonScanner) value(p path, key bool) (off int64, found bool) {
	off = s.next()
	if len(p) == 0 {
		return off, true
	}
	tok, err := s.dec.Token()
	if err != nil {
		return off, false
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return off, false
	}
	switch want := p[0].(type) {
	case string:
		if d != '{' {
			return off, false
		}
		for s.dec.More() {
			koff := s.next()
			k, err := s.dec.Token()
			if err != nil {
				return off, false
			}
			if k == want {
				if key && len(p) == 1 {
					return koff, true
				}
				return s.value(p[1:], key)
			}
			if s.skip() != nil {
				return off, false
			}
		}
	case int:
		if d != '[' {
			return off, false
		}
		for i := 0; s.dec.More(); i++ {
			if i == want {
				return s.value(p[1:], key)
			}
			if s.skip() != nil {
				return off, false
			}
		}
	}
	return off, false
}

// skip consumes one value.
func (s *jsonScanner) skip() error {
	depth := 0
	for {
		tok, err := s.dec.Token()
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// yamlLocate returns the node at p below n (a document or value node), or the
// deepest enclosing node that exists. With key set and p ending in an object
// key, the key node is returned.
func yamlLocate(n *yaml.Node, p path, key bool) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for i, e := range p {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		switch e := e.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return n
			}
			var next *yaml.Node
			for _, kv := range yamlnode.Pairs(n) {
				if kv.Key.Value == e {
					if key && i == len(p)-1 {
						return kv.Key
					}
					next = kv.Val
					break
				}
			}
			if next == nil {
				return n
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || e >= len(n.Content) {
				return n
			}
			n = n.Content[e]
		}
	}
	return n
}

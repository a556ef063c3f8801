package load

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/resource"
	"github.com/grafsync/grafsync/internal/yamlnode"
)

// YAML tags grafsync reads as yaml.v3 (and so Grafana's provisioning) does.
// Any other tag (a custom !vault, or !!set, !!omap) is refused: yaml.v3
// ignores a tag it does not know, so what the tag was meant to do would be
// silently lost.
var knownTags = map[string]yaml.Kind{
	"!!str": yaml.ScalarNode, "!!int": yaml.ScalarNode, "!!float": yaml.ScalarNode, "!!bool": yaml.ScalarNode,
	"!!null": yaml.ScalarNode, "!!timestamp": yaml.ScalarNode, "!!binary": yaml.ScalarNode, "!!merge": yaml.ScalarNode,
	"!!map": yaml.MappingNode, "!!seq": yaml.SequenceNode,
}

// checkText walks a parsed YAML file once and reports tags grafsync would
// not read as written and NUL characters (PostgreSQL, which Grafana may
// store its data in, refuses NUL in text). It rewrites, in place, the
// scalars whose explicit tag changes their text the way yaml.v3 decodes
// them into a string: !!binary (base64-decoded) and !!timestamp (RFC 3339,
// as Grafana marshals the time.Time yaml.v3 gives it). Aliases are not
// followed: the anchored node is checked where it is defined.
func (l *loader) checkText(f yfile, n *yaml.Node, at path) {
	switch n.Kind {
	case yaml.AliasNode:
		return
	case yaml.MappingNode:
		l.checkTag(f, n, at)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			l.checkTag(f, k, at)
			if yamlnode.IsMerge(k) && !mergeable(v) {
				l.errorf(f.pos(v), "", "%s: a merge (<<) takes a mapping or a list of mappings, found %s", orRoot(at), yamlnode.Describe(yamlnode.Deref(v)))
			}
			if k.Kind == yaml.ScalarNode && strings.ContainsRune(k.Value, 0) {
				l.errorf(f.pos(k), nulHint, "%s: a NUL character (\\0) in a key", orRoot(at))
			}
			l.checkText(f, v, at.with(k.Value))
		}
	case yaml.SequenceNode:
		l.checkTag(f, n, at)
		for i, c := range n.Content {
			l.checkText(f, c, at.with(i))
		}
	case yaml.ScalarNode:
		if !l.checkTag(f, n, at) {
			return
		}
		if strings.ContainsRune(n.Value, 0) {
			l.errorf(f.pos(n), nulHint, "%s: a NUL character (\\0) in a string", orRoot(at))
		}
	}
}

// mergeable reports whether v can follow a merge key: a mapping or a list
// of mappings (yaml.v3 refuses anything else).
func mergeable(v *yaml.Node) bool {
	v = yamlnode.Deref(v)
	if v.Kind == yaml.SequenceNode {
		for _, c := range v.Content {
			if yamlnode.Deref(c).Kind != yaml.MappingNode {
				return false
			}
		}
		return true
	}
	return v.Kind == yaml.MappingNode
}

const nulHint = "remove it; Grafana stores text in a database that may be PostgreSQL, which refuses NUL"

// checkTag reports an unknown tag, or an explicit one that does not fit its
// node, and decodes !!binary and !!timestamp scalars; false means the node
// was reported.
func (l *loader) checkTag(f yfile, n *yaml.Node, at path) bool {
	if n.Tag == "" || n.Tag == "!" {
		return true // "!" is the non-specific tag: a plain string
	}
	kind, known := knownTags[n.Tag]
	if !known {
		l.errorf(f.pos(n), "remove the tag; grafsync and Grafana's YAML reader (yaml.v3) ignore tags they do not know, so what it means would be lost",
			"%s: unknown YAML tag %q", orRoot(at), n.Tag)
		return false
	}
	if kind != n.Kind {
		l.errorf(f.pos(n), "", "%s: tag %s does not fit its value", orRoot(at), n.Tag)
		return false
	}
	if n.Style&yaml.TaggedStyle == 0 || n.Kind != yaml.ScalarNode {
		return true // an implicit tag is what yaml.v3 resolved the value to
	}
	switch n.Tag {
	case "!!binary":
		var s string
		if err := n.Decode(&s); err != nil {
			l.errorf(f.pos(n), "", "%s: %q is not valid base64 for !!binary", orRoot(at), n.Value)
			return false
		}
		if !utf8.ValidString(s) {
			l.errorf(f.pos(n), "grafsync sends JSON to Grafana, which holds text, not bytes; write the text itself", "%s: !!binary value is not UTF-8 text", orRoot(at))
			return false
		}
		n.Value, n.Tag, n.Style = s, "!!str", n.Style&^yaml.TaggedStyle
	case "!!timestamp":
		var t time.Time
		if err := n.Decode(&t); err != nil {
			l.errorf(f.pos(n), "", "%s: %q is not a valid !!timestamp", orRoot(at), n.Value)
			return false
		}
		n.Value, n.Tag, n.Style = t.Format(time.RFC3339Nano), "!!str", n.Style&^yaml.TaggedStyle
	case "!!int", "!!float", "!!bool", "!!null":
		var v any
		if err := n.Decode(&v); err != nil {
			l.errorf(f.pos(n), "", "%s: %q is not a valid %s", orRoot(at), n.Value, n.Tag)
			return false
		}
	}
	return true
}

// checkJSONText reports, at its position, the first thing in a JSON file
// that encoding/json would change silently or Grafana's database refuses:
// bytes that are not UTF-8 (decoded as U+FFFD), a \u0000 escape (NUL), and
// a \u escape of a lone UTF-16 surrogate (decoded as U+FFFD). It reports
// nothing on malformed JSON, which the decoder reports.
func (l *loader) checkJSONText(file string, data []byte) bool {
	report := func(off int, hint, format string, args ...any) bool {
		pos := resource.Pos{File: file}
		pos.Line, pos.Col = lineCol(data, int64(off))
		l.errorf(pos, hint, format, args...)
		return false
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return report(off, "", "invalid UTF-8 (byte 0x%02x): save the file as UTF-8", data[off])
	}
	// A backslash stands only inside a string in valid JSON (the decoder
	// reports any other), so the \u escapes are found by search instead of
	// walking every byte; one starts an escape when an even number of
	// backslashes stand right before it.
	for from := 0; ; {
		j := bytes.Index(data[from:], []byte(`\u`))
		if j < 0 {
			return true
		}
		i := from + j
		from = i + 2
		if !escapeStart(data, i) {
			continue
		}
		r, ok := hex4(data, i+2)
		if !ok {
			return true // malformed: the decoder reports it
		}
		switch {
		case r == 0:
			return report(i, nulHint, "a NUL character (\\u0000) in a string")
		case r >= 0xd800 && r <= 0xdbff:
			if lo, ok := hex4(data, i+8); !ok || data[i+6] != '\\' || data[i+7] != 'u' || lo < 0xdc00 || lo > 0xdfff {
				return report(i, "write the character itself, or a complete surrogate pair",
					"invalid UTF-16 escape %s: a high surrogate must be followed by a low surrogate (\\udc00-\\udfff)", data[i:i+6])
			}
			from = i + 12
		case r >= 0xdc00 && r <= 0xdfff:
			return report(i, "write the character itself, or a complete surrogate pair",
				"invalid UTF-16 escape %s: a low surrogate without a high surrogate before it", data[i:i+6])
		default:
			from = i + 6
		}
	}
}

// escapeStart reports whether the backslash at data[i] starts an escape:
// an even number of backslashes stand right before it.
func escapeStart(data []byte, i int) bool {
	n := 0
	for k := i - 1; k >= 0 && data[k] == '\\'; k-- {
		n++
	}
	return n%2 == 0
}

// hex4 reads the four hex digits at data[i:i+4].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

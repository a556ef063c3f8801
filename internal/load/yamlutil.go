package load

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/resource"
	"github.com/grafsync/grafsync/internal/yamlnode"
)

// yfile is a parsed YAML file; positions come from its nodes.
type yfile struct {
	name string
	root *yaml.Node // the document's top value; nil for an empty file
}

func (f yfile) pos(n *yaml.Node) resource.Pos {
	return resource.Pos{File: f.name, Line: n.Line, Col: n.Column}
}

// parseYAML parses data; a syntax error is reported with its line.
func (l *loader) parseYAML(name string, data []byte) (yfile, bool) {
	root, err := l.parseNode(name, data)
	if err != nil {
		if l.stop(name) {
			return yfile{name: name}, false
		}
		var se *yamlnode.SyntaxError
		errors.As(err, &se)
		l.errorf(resource.Pos{File: name, Line: se.Line, Col: max(se.Col, 1)}, se.Hint, "invalid YAML: %s", se.Msg)
		return yfile{name: name}, false
	}
	f := yfile{name: name, root: root}
	// Aliases first: the text check walks the tree, which an alias bomb
	// would make exponential.
	if !l.checkAliases(f) {
		return f, false
	}
	if root != nil {
		l.checkText(f, root, nil)
	}
	return f, true
}

// parseNode parses data with yamlnode, stopping as soon as the load's
// context is done: yaml.v3 reads its input 512 bytes at a time, and a 10
// MiB file takes about a second to parse.
func (l *loader) parseNode(name string, data []byte) (*yaml.Node, error) {
	return yamlnode.ParseContext(l.ctx, data)
}

// field is one key/value of a YAML mapping.
type field struct {
	key, val *yaml.Node
}

// mapping returns the entries of a mapping node by key, reporting a
// non-mapping node, duplicate keys and keys not in known (typos must not be
// silently ignored). at is the path of n, for messages.
func (l *loader) mapping(f yfile, n *yaml.Node, at path, known ...string) (map[string]field, bool) {
	n = yamlnode.Deref(n)
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return map[string]field{}, true
		}
		l.errorf(f.pos(n), "", "%s: want a mapping (key: value), found %s", orRoot(at), yamlnode.Describe(n))
		return nil, false
	}
	m := make(map[string]field, len(n.Content)/2)
	for _, p := range yamlnode.Pairs(n) {
		k, v := p.Key, p.Val
		if prev, dup := m[k.Value]; dup {
			l.errorf(f.pos(k), "", "%s: duplicate key %q (first at line %d)", at.with(k.Value), k.Value, prev.key.Line)
			continue
		}
		if known != nil && !slices.Contains(known, k.Value) {
			l.errorf(f.pos(k), suggest(k.Value, known), "%s: unknown key %q", orRoot(at), k.Value)
			continue
		}
		m[k.Value] = field{k, yamlnode.Deref(v)}
	}
	return m, true
}

func orRoot(p path) string {
	if len(p) == 0 {
		return "top level"
	}
	return p.String()
}

// suggest returns a "did you mean" hint for a misspelt key.
func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return fmt.Sprintf("did you mean %q? keys are case-sensitive", k)
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known keys: " + strings.Join(known, ", ")
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// str reads a scalar as a string; a list or mapping is reported.
func (l *loader) str(f yfile, fl field, at path) (string, bool) {
	if fl.val.Kind != yaml.ScalarNode {
		l.errorf(f.pos(fl.val), "", "%s: want a string, found %s", at, yamlnode.Describe(fl.val))
		return "", false
	}
	if fl.val.Tag == "!!null" {
		return "", true
	}
	return fl.val.Value, true
}

// boolean reads a provisioning boolean as Grafana does
// (provisioning/values.BoolValue): the scalar's text, quoted or not, through
// strconv.ParseBool; null leaves it unset (false). YAML 1.1 words (yes, on)
// are refused, as Grafana refuses the whole file for them.
func (l *loader) boolean(f yfile, fl field, at path) (bool, bool) {
	if fl.val.Kind != yaml.ScalarNode {
		l.errorf(f.pos(fl.val), "", "%s: want true or false, found %s", at, yamlnode.Describe(fl.val))
		return false, false
	}
	if fl.val.Tag == "!!null" {
		return false, true
	}
	b, err := strconv.ParseBool(fl.val.Value)
	if err != nil {
		l.errorf(f.pos(fl.val), "Grafana reads it with Go's strconv.ParseBool, which accepts true, false, 1, 0, t, f, T, F, TRUE, FALSE, True, False (quoted or not)",
			"%s: %s is not a boolean", at, shownScalar(fl.val))
		return false, false
	}
	return b, true
}

// shownScalar quotes a scalar for a message; a value that came from the
// environment (a node built by expansion has no tag) is not shown.
func shownScalar(n *yaml.Node) string {
	if n.Tag == "" {
		return "the value the variable expands to"
	}
	return strconv.Quote(n.Value)
}

// provInteger reads a provisioning integer as Grafana does
// (provisioning/values.IntValue and Int64Value): the scalar's text, quoted
// or not, in decimal digits (strconv.ParseInt(s, 10, 64)); null or "" leaves
// it unset (set false).
func (l *loader) provInteger(f yfile, fl field, at path) (v int64, set, ok bool) {
	if fl.val.Kind != yaml.ScalarNode {
		l.errorf(f.pos(fl.val), "", "%s: want a whole number, found %s", at, yamlnode.Describe(fl.val))
		return 0, false, false
	}
	if fl.val.Tag == "!!null" || fl.val.Value == "" {
		return 0, false, true
	}
	v, err := strconv.ParseInt(fl.val.Value, 10, 64)
	if err != nil {
		l.errorf(f.pos(fl.val), "Grafana reads it with Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, quoted or not",
			"%s: want a whole number in decimal digits, found %s", at, shownScalar(fl.val))
		return 0, false, false
	}
	return v, true, true
}

func (l *loader) integer(f yfile, fl field, at path) (int64, bool) {
	var i int64
	if fl.val.Kind != yaml.ScalarNode || fl.val.Decode(&i) != nil {
		l.errorf(f.pos(fl.val), "", "%s: want a whole number, found %s", at, yamlnode.Describe(fl.val))
		return 0, false
	}
	return i, true
}

// list returns the items of a sequence node (null is an empty list).
func (l *loader) list(f yfile, n *yaml.Node, at path) []*yaml.Node {
	n = yamlnode.Deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(f.pos(n), "", "%s: want a list, found %s", at, yamlnode.Describe(n))
		return nil
	}
	return n.Content
}

// toJSON converts a YAML value to the shapes encoding/json produces
// (map[string]any, []any, string, float64, bool, nil). Every string scalar is
// passed through conv. Non-string and repeated keys are reported (Grafana's
// provisioning rejects a repeated key); the first of repeated keys is kept,
// the one positions point at. at is the path of n from the top of the file.
func (l *loader) toJSON(f yfile, n *yaml.Node, at path, conv func(s string, n *yaml.Node, at path) string) any {
	if l.step(f.name) {
		return nil
	}
	n = yamlnode.Deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		first := make(map[string]*yaml.Node, len(n.Content)/2)
		for _, p := range yamlnode.Pairs(n) {
			k := yamlnode.Deref(p.Key)
			if k.Kind != yaml.ScalarNode {
				l.errorf(f.pos(k), "", "%s: keys must be strings", orRoot(at))
				continue
			}
			if prev, dup := first[k.Value]; dup {
				l.errorf(f.pos(k), "", "%s: duplicate key %q (first at line %d)", at.with(k.Value), k.Value, prev.Line)
				continue
			}
			first[k.Value] = k
			m[k.Value] = l.toJSON(f, p.Val, at.with(k.Value), conv)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = l.toJSON(f, c, at.with(i), conv)
		}
		return s
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b
			}
		case "!!int", "!!float":
			var x float64
			if n.Decode(&x) == nil {
				return x
			}
		}
		if conv != nil {
			return conv(n.Value, n, at)
		}
		return n.Value
	}
	return nil
}

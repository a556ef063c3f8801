// Package yamlnode is what the input stages that keep YAML positions
// (internal/accounts for roles/accounts.yaml, internal/load for every other
// YAML file) share to read a yaml.v3 node tree: parsing with the line of a
// syntax error, following aliases, and naming a node's kind in messages.
//
// Invariants: the package is pure; a node's Line and Column are yaml.v3's,
// 1-based, and are what problems report.
package yamlnode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SyntaxError is YAML that does not parse, or a file with a second
// document. Line is 1 when yaml.v3 names no line; Col is 0 when it names no
// column.
type SyntaxError struct {
	Line, Col int
	// Msg is yaml.v3's message without its "yaml: line N: " prefix.
	Msg string
	// Hint says what to do; "" for a plain syntax error.
	Hint string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

var lineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse parses a file of one YAML document. root is the document's top
// value, nil for an empty document; a non-nil error is a *SyntaxError.
//
// A second document that holds a value is an error, not dropped: Grafana's
// provisioning reads a file with yaml.Unmarshal, which decodes the first
// document and silently ignores the rest, and grafsync reads one document
// per file too. An empty document after the first (a trailing "---") holds
// nothing and is allowed.
func Parse(data []byte) (root *yaml.Node, err error) {
	return ParseReader(bytes.NewReader(data))
}

// ParseContext is Parse failing once ctx is done: yaml.v3 reads its input
// 512 bytes at a time, and a 10 MiB file takes about a second to parse.
func ParseContext(ctx context.Context, data []byte) (root *yaml.Node, err error) {
	return ParseReader(ctxReader{ctx: ctx, r: bytes.NewReader(data)})
}

// ctxReader fails once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ParseReader is Parse reading from r. An error r returns stops the parse
// (a reader that fails once a context is done makes a long parse
// interruptible); it is reported as a *SyntaxError like any other.
func ParseReader(r io.Reader) (root *yaml.Node, err error) {
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(err)
	}
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntaxError(err)
		}
		if len(next.Content) > 0 && !(next.Content[0].Kind == yaml.ScalarNode && next.Content[0].Tag == "!!null" && next.Content[0].Value == "") {
			n := next.Content[0]
			return nil, &SyntaxError{Line: n.Line, Col: n.Column, Msg: "a second document starts here; a file holds one document",
				Hint: "Grafana reads only the first document of a provisioning file and drops the rest; move each document to a file of its own"}
		}
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0], nil
	}
	return nil, nil
}

func syntaxError(err error) *SyntaxError {
	se := &SyntaxError{Line: 1, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := lineRe.FindStringSubmatch(err.Error()); m != nil {
		se.Line, _ = strconv.Atoi(m[1])
		se.Msg = m[2]
	}
	return se
}

// Deref follows a YAML alias (*name) to its anchored node.
func Deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// Describe names what n holds, for "want X, found Y" messages: "a mapping",
// "a list", "nothing" (null) or the quoted scalar.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// Pair is one key and value of a mapping.
type Pair struct{ Key, Val *yaml.Node }

// IsMerge reports whether k is a merge key (<<).
func IsMerge(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.Tag == "!!merge" }

// Pairs returns the entries of mapping n with its merge keys (<<: *base,
// <<: [*a, *b]) resolved as yaml.v3 decodes them: keys written in n win over
// merged ones, and of several merged mappings the earlier one wins. A merge
// value that is not a mapping or a list of mappings adds nothing (the
// caller reports it). Repeated keys written in n are all returned.
func Pairs(n *yaml.Node) []Pair {
	out := make([]Pair, 0, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; IsMerge(k) {
			merges = append(merges, n.Content[i+1])
			continue
		}
		out = append(out, Pair{n.Content[i], n.Content[i+1]})
	}
	if len(merges) == 0 {
		return out
	}
	seen := make(map[string]bool, len(out))
	for _, p := range out {
		seen[p.Key.Value] = true
	}
	for _, m := range merges {
		m = Deref(m)
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, src := range srcs {
			if src = Deref(src); src.Kind != yaml.MappingNode {
				continue
			}
			for _, p := range Pairs(src) {
				if !seen[p.Key.Value] {
					seen[p.Key.Value] = true
					out = append(out, p)
				}
			}
		}
	}
	return out
}

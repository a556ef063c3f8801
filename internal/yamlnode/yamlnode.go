// Package yamlnode is what the input stages that keep YAML positions
// (internal/accounts for roles/accounts.yaml, internal/load for every other
// YAML file) share to read a yaml.v3 node tree: parsing with the line of a
// syntax error, following aliases, and naming a node's kind in messages.
//
// Invariants: the package is pure; a node's Line and Column are yaml.v3's,
// 1-based, and are what problems report.
package yamlnode

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SyntaxError is YAML that does not parse. Line is 1 when yaml.v3 names no
// line.
type SyntaxError struct {
	Line int
	// Msg is yaml.v3's message without its "yaml: line N: " prefix.
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

var lineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Parse parses one YAML document. root is the document's top value, nil for
// an empty document; a non-nil error is a *SyntaxError.
func Parse(data []byte) (root *yaml.Node, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		se := &SyntaxError{Line: 1, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
		if m := lineRe.FindStringSubmatch(err.Error()); m != nil {
			se.Line, _ = strconv.Atoi(m[1])
			se.Msg = m[2]
		}
		return nil, se
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0], nil
	}
	return nil, nil
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

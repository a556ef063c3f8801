package pull

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/jsonc"
	"github.com/grafsync/grafsync/internal/normalize"
)

// serverOwned are the top-level dashboard keys pull never writes: Grafana
// owns id and version (the loader ignores id; a version in Git would only
// go stale), the folder is the file's directory (normalize drops a
// folderUid in the model on both sides), and grafsync's marker is added by
// apply, never kept in Git.
var serverOwned = map[string]bool{"id": true, "version": true, "folderUid": true, normalize.MarkerKey: true}

// dashboardModel is a live dashboard's JSON as a file keeps it, compact:
// server-owned keys removed, uid set, keys sorted, numbers as Grafana sent
// them.
func dashboardModel(src []byte, uid string) ([]byte, error) {
	q, _ := jsontext.AppendQuote(nil, uid)
	raw, err := jsonc.Rewrite(src, serverOwned, map[string][]byte{"uid": q})
	if err != nil {
		return nil, err
	}
	return jsonc.Canonical(raw)
}

// dashboardJSON renders a model as a .json file: two-space indentation and
// a final newline.
func dashboardJSON(model []byte) ([]byte, error) {
	v := jsontext.Value(bytes.Clone(model))
	if err := v.Indent(jsontext.WithIndentPrefix(""), jsontext.WithIndent("  ")); err != nil {
		return nil, err
	}
	return append(v, '\n'), nil
}

// dashboardYAML renders a model as a .yaml file (for a repository that
// keeps that dashboard in YAML). Numbers keep their text.
func dashboardYAML(model []byte) ([]byte, error) {
	v, err := jsonc.Unmarshal(model)
	if err != nil {
		return nil, err
	}
	return encodeYAML(yamlValue(v))
}

// yamlValue builds a YAML node from a value decoded with json.Number:
// numbers are written as they were, strings always as strings.
func yamlValue(v any) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return jsonc.CompareNames(keys[i], keys[j]) < 0 })
		for _, k := range keys {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, yamlValue(v[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range v {
			n.Content = append(n.Content, yamlValue(e))
		}
		return n
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(v), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(v)}
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v)}
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	panic(fmt.Sprintf("pull: unexpected %T in a decoded document", v))
}

// encodeYAML renders a node with two-space indentation.
func encodeYAML(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// topLevelChanges names the top-level keys whose values differ between two
// dashboard models (both canonical), for the per-file report.
func topLevelChanges(before, after []byte) ([]string, error) {
	a, err := members(before)
	if err != nil {
		return nil, err
	}
	b, err := members(after)
	if err != nil {
		return nil, err
	}
	var out []string
	for k, v := range b {
		if w, ok := a[k]; !ok || !bytes.Equal(v, w) {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

func members(src []byte) (map[string][]byte, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(src), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, errors.New("not a JSON object")
	}
	out := map[string][]byte{}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String()
		v, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		c, err := jsonc.Canonical(bytes.Clone(v))
		if err != nil {
			return nil, err
		}
		out[name] = c
	}
	return out, nil
}

// escapeDollars doubles every "$" of the strings in v, so that the
// loader's expansion ($VAR, ${VAR}, $$, as Grafana's provisioning expands
// them) gives back the text Grafana holds.
func escapeDollars(v any) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, "$", "$$")
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = escapeDollars(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = escapeDollars(e)
		}
		return out
	}
	return v
}

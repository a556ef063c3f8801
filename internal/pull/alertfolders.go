package pull

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/resource"
	"github.com/grafsync/grafsync/internal/yamlnode"
)

// folderEdit is one rule group's folder value to rewrite.
type folderEdit struct {
	group   resource.Pos // the group's mapping, as the loader read it
	old, to string
}

// renameAlertFolders rewrites the rule groups' `folder:` values in the
// org's alerting files that name a folder whose title (or path of titles)
// the pull changed. Grafana links a rule group to its folder by uid, so a
// folder renamed in Grafana keeps its rules; alerting files name the folder
// by title (docs/alerting.md), and a value still naming the old title
// would no longer load.
//
// declared is the org as the loader read it before the pull (nil: none);
// placed are the folders pull wrote a _folder.yaml for, with Grafana's
// titles and parents (a folder not placed keeps what its file says).
//
// Invariant: only those scalars change; every other byte of each file stays
// as written (a positioned replacement, checked by decoding the result).
func renameAlertFolders(w *writer, declared *resource.Org, placed []grafana.Folder) error {
	if declared == nil || declared.Alerting == nil || len(declared.Alerting.RuleGroups) == 0 {
		return nil
	}
	type folder struct{ title, parent string }
	before := map[string]folder{}
	for _, f := range declared.Folders {
		before[f.UID] = folder{f.Title, f.ParentUID}
	}
	after := map[string]folder{}
	for uid, f := range before {
		after[uid] = f
	}
	for _, f := range placed {
		after[f.UID] = folder{f.Title, f.ParentUID}
	}
	fullPath := func(m map[string]folder, uid string) string {
		p := m[uid].title
		seen := map[string]bool{uid: true}
		for u := m[uid].parent; u != "" && !seen[u]; u = m[u].parent {
			seen[u] = true
			p = m[u].title + "/" + p
		}
		return p
	}
	titles := map[string]int{}
	paths := map[string]int{}
	for uid, f := range after {
		titles[f.title]++
		paths[fullPath(after, uid)]++
	}
	byFile := map[string][]folderEdit{}
	for _, g := range declared.Alerting.RuleGroups {
		if g.FolderUID == "" {
			continue
		}
		if _, ok := before[g.FolderUID]; !ok {
			continue
		}
		// The value keeps its form: a title stays a title (the path when
		// the new title is no longer unique), a path of titles a path.
		newTitle, newPath := after[g.FolderUID].title, fullPath(after, g.FolderUID)
		want := newPath
		if g.FolderTitle == before[g.FolderUID].title && (titles[newTitle] == 1 || paths[newPath] != 1) {
			want = newTitle
		}
		if want == g.FolderTitle {
			continue
		}
		byFile[g.Source.File] = append(byFile[g.Source.File], folderEdit{group: g.Source, old: g.FolderTitle, to: want})
	}
	files := make([]string, 0, len(byFile))
	for p := range byFile {
		files = append(files, p)
	}
	sort.Strings(files)
	for _, p := range files {
		old, err := os.ReadFile(native(w.root, p))
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		data, detail, err := rewriteGroupFolders(p, old, byFile[p])
		if err != nil {
			return err
		}
		if err := w.put(p, data, detail); err != nil {
			return err
		}
	}
	return nil
}

// rewriteGroupFolders replaces, in one alerting file (YAML or JSON), the
// folder value of each group edits names, in place: the scalar's bytes
// only, in its own quoting style when the new title can be written in it.
// The result is checked to decode to the old file with only those values
// changed; when it does not, the error says to edit the file by hand.
func rewriteGroupFolders(p string, src []byte, edits []folderEdit) ([]byte, string, error) {
	root, err := yamlnode.Parse(src)
	if err != nil || root == nil {
		return nil, "", fmt.Errorf("%s: cannot read it again to rename a rule group's folder: %v", p, err)
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	groups := &yaml.Node{}
	for _, kv := range yamlnode.Pairs(yamlnode.Deref(root)) {
		if kv.Key.Value == "groups" {
			groups = yamlnode.Deref(kv.Val)
		}
	}
	type repl struct {
		index      int // the group's index in groups
		node       *yaml.Node
		start, end int
		text, to   string
	}
	var repls []repl
	var details []string
	// byHand is the error for a value pull cannot rewrite in place (an
	// alias, a tag, a block or multi-line scalar): the person does it.
	byHand := func(pos resource.Pos, index int, e folderEdit, why string) error {
		return fmt.Errorf("%s:%d:%d: groups[%d].folder: folder %q is titled %q in Grafana now, and %s: write %q there by hand, then pull again",
			p, pos.Line, pos.Col, index, e.old, e.to, why, e.to)
	}
	for _, e := range edits {
		at, index := e.group, -1
		for i, gn := range groups.Content {
			gn = yamlnode.Deref(gn)
			if gn.Line != e.group.Line || gn.Column != e.group.Col {
				continue
			}
			index = i
			for _, kv := range yamlnode.Pairs(gn) {
				if kv.Key.Value != "folder" {
					continue
				}
				v := kv.Val
				at = resource.Pos{Line: v.Line, Col: v.Column}
				if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) != e.old {
					continue
				}
				if start, end, ok := scalarSpan(src, v); ok {
					repls = append(repls, repl{i, v, start, end, scalarText(e.to, v.Style), e.to})
				}
			}
		}
		if len(repls) == 0 || repls[len(repls)-1].index != index {
			return nil, "", byHand(at, index, e, "pull cannot rewrite this value in place")
		}
		details = append(details, fmt.Sprintf("folder %q → %q", e.old, e.to))
	}
	sort.SliceStable(repls, func(a, b int) bool { return repls[a].start > repls[b].start })
	out := bytes.Clone(src)
	for i, r := range repls {
		if i > 0 && r.end > repls[i-1].start {
			return nil, "", byHand(resource.Pos{Line: r.node.Line, Col: r.node.Column}, r.index, folderEdit{old: r.node.Value, to: r.to}, "several rule groups share this value")
		}
		out = append(out[:r.start:r.start], append([]byte(r.text), out[r.end:]...)...)
	}
	// The check: the new bytes decode to the old data with the folder
	// values of those groups set to their new titles, and nothing else.
	var want, got any
	wantOK := yaml.Unmarshal(src, &want) == nil
	same := wantOK && yaml.Unmarshal(out, &got) == nil
	for _, r := range repls {
		g, ok := decodedGroup(want, r.index)
		if same = same && ok; same {
			g["folder"] = r.to
		}
	}
	if !same || !reflect.DeepEqual(want, got) {
		r := repls[0]
		return nil, "", byHand(resource.Pos{Line: r.node.Line, Col: r.node.Column}, r.index, folderEdit{old: r.node.Value, to: r.to}, "rewriting it in place would change more than this value")
	}
	sort.Strings(details)
	return out, strings.Join(slices.Compact(details), ", "), nil
}

// scalarSpan is the byte range of scalar n's text in src: from its
// position (yaml.v3 counts columns in characters) to its closing quote, or
// its value's length for a plain scalar on one line. ok is false for a
// scalar it cannot delimit so (block, tagged, multi-line plain).
func scalarSpan(src []byte, n *yaml.Node) (start, end int, ok bool) {
	off := 0
	for line := 1; line < n.Line; line++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return 0, 0, false
		}
		off += i + 1
	}
	for col := 1; col < n.Column; col++ {
		if off >= len(src) || src[off] == '\n' {
			return 0, 0, false
		}
		_, size := utf8.DecodeRune(src[off:])
		off += size
	}
	switch n.Style {
	case 0:
		if bytes.HasPrefix(src[off:], []byte(n.Value)) && n.Value != "" {
			return off, off + len(n.Value), true
		}
	case yaml.DoubleQuotedStyle:
		if off < len(src) && src[off] == '"' {
			for i := off + 1; i < len(src); i++ {
				switch src[i] {
				case '\\':
					i++
				case '"':
					return off, i + 1, true
				}
			}
		}
	case yaml.SingleQuotedStyle:
		if off < len(src) && src[off] == '\'' {
			for i := off + 1; i < len(src); i++ {
				if src[i] == '\'' {
					if i+1 < len(src) && src[i+1] == '\'' {
						i++
						continue
					}
					return off, i + 1, true
				}
			}
		}
	}
	return 0, 0, false
}

// scalarText writes s in style, or double-quoted (JSON's escapes, which
// YAML's double-quoted style shares) when s cannot be written in it.
func scalarText(s string, style yaml.Style) string {
	switch style {
	case yaml.SingleQuotedStyle:
		if !strings.ContainsAny(s, "\n\r") {
			return "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
	case 0:
		// plain where yaml.v3 writes it plain, and nothing that ends
		// or quotes a plain scalar in a flow mapping ({folder: x, ...})
		if b, err := yaml.Marshal(s); err == nil && string(b) == s+"\n" && !strings.ContainsAny(s, ",[]{}#:\"'") {
			return s
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// decodedGroup is groups[i] of a decoded alerting file.
func decodedGroup(doc any, i int) (map[string]any, bool) {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, false
	}
	gs, ok := m["groups"].([]any)
	if !ok || i >= len(gs) {
		return nil, false
	}
	g, ok := gs[i].(map[string]any)
	return g, ok
}

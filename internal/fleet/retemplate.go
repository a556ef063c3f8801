package fleet

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// Retemplate is Expand run backwards, for a file grafsync pull rewrote
// from one instance's Grafana: old is the file as the repository holds it
// (with ${fleet.KEY}), pulled is what pull wrote for the instance. Every
// occurrence in pulled of the value of a key that old wrote as
// ${fleet.KEY} becomes ${fleet.KEY} again (JSON-escaped in .json, as
// Expand inserts it), so the file stays every instance's.
//
// A key is put back only when that cannot capture text that was not its
// placeholder: its value is not empty, old holds it nowhere but in its
// placeholders, no other key old uses has the same value, and no
// occurrence follows a "$" (it would read as the literal $${fleet.KEY}).
// The other keys old uses are returned in ambiguous, sorted: their values
// stay as written, for a person to review. Keys old does not use are never
// put back (a value such as a region name may well be plain text there).
func Retemplate(name string, old, pulled []byte, vars map[string]string) (out []byte, ambiguous []string) {
	jsonFile := strings.HasSuffix(name, ".json")
	form := func(v string) string {
		if jsonFile {
			q, _ := json.Marshal(v)
			return string(q[1 : len(q)-1])
		}
		return v
	}
	used := map[string]bool{}
	for _, m := range VarRe.FindAllSubmatch(old, -1) {
		if m[0][1] != '$' { // not the literal $${fleet.KEY}
			used[string(m[1])] = true
		}
	}
	// old without its placeholders: where a value written literally shows.
	bare := VarRe.ReplaceAll(old, []byte{0})
	byValue := map[string][]string{}
	for k := range used {
		if v, ok := vars[k]; ok {
			byValue[form(v)] = append(byValue[form(v)], k)
		}
	}
	type sub struct{ value, key string }
	var subs []sub
	bad := map[string]bool{}
	for v, keys := range byValue {
		switch {
		case v == "" || len(keys) > 1 || bytes.Contains(bare, []byte(v)):
			for _, k := range keys {
				bad[k] = true
			}
		default:
			subs = append(subs, sub{v, keys[0]})
		}
	}
	// Longest first, so a value inside another is not taken for it.
	sort.Slice(subs, func(i, j int) bool {
		if len(subs[i].value) != len(subs[j].value) {
			return len(subs[i].value) > len(subs[j].value)
		}
		return subs[i].value < subs[j].value
	})
	for _, s := range subs {
		for i := 0; ; i++ {
			j := bytes.Index(pulled[i:], []byte(s.value))
			if j < 0 {
				break
			}
			if i+j > 0 && pulled[i+j-1] == '$' {
				bad[s.key] = true
				break
			}
			i += j
		}
	}
	var b bytes.Buffer
	for i := 0; i < len(pulled); {
		matched := false
		for _, s := range subs {
			if !bad[s.key] && bytes.HasPrefix(pulled[i:], []byte(s.value)) {
				b.WriteString("${fleet." + s.key + "}")
				i += len(s.value)
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(pulled[i])
			i++
		}
	}
	for k := range bad {
		ambiguous = append(ambiguous, k)
	}
	slices.Sort(ambiguous)
	return b.Bytes(), ambiguous
}

// Mentions lists, sorted, the keys whose values (at least three
// characters: shorter ones match by chance) appear in a file pull created
// from an instance's Grafana: a new file reaches every instance as
// written, and these are the places a ${fleet.KEY} may be meant.
func Mentions(name string, data []byte, vars map[string]string) []string {
	var out []string
	for k, v := range vars {
		if len(v) < 3 {
			continue
		}
		if strings.HasSuffix(name, ".json") {
			q, _ := json.Marshal(v)
			v = string(q[1 : len(q)-1])
		}
		if bytes.Contains(data, []byte(v)) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Hidden reports whether instanceContent gives path (or a directory
// holding it) to other instances than in: the instance does not see it,
// and nothing pulled from the instance may be written there.
func (fl *Fleet) Hidden(in Instance, path string) bool {
	for _, c := range fl.Content {
		if !Matches(in.Labels, c.Selector) && (path == c.Path || strings.HasPrefix(path, c.Path+"/")) {
			return true
		}
	}
	return false
}

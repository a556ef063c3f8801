package plan

import (
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// FieldDiff is one changed field of an update. Path is JSON-path-like:
// `panels[2].targets[0].expr`, `jsonData.assumeRoleArn`, `["a.b"]`.
// A missing side is Absent; a secret field carries no values at all.
type FieldDiff struct {
	Path          string
	Before, After any
	BeforeAbsent  bool
	AfterAbsent   bool
	Secret        bool // the field holds a secret: views print "(secret)"
}

// Diff lists the fields that differ between two normalized documents, in
// path order. Paths in secret (or below them) are masked.
func Diff(before, after map[string]any, secret []string) []FieldDiff {
	var out []FieldDiff
	diffValue("", before, after, false, false, &out)
	for i := range out {
		if isSecretPath(out[i].Path, secret) {
			out[i].Secret = true
			out[i].Before, out[i].After = nil, nil
		}
	}
	return out
}

func isSecretPath(path string, secret []string) bool {
	for _, s := range secret {
		if underPath(path, s) {
			return true
		}
	}
	return false
}

// underPath reports whether path is root or below it.
func underPath(path, root string) bool {
	return path == root || strings.HasPrefix(path, root+".") || strings.HasPrefix(path, root+"[")
}

func diffValue(path string, a, b any, aAbsent, bAbsent bool, out *[]FieldDiff) {
	if aAbsent || bAbsent {
		*out = append(*out, FieldDiff{Path: path, Before: a, After: b, BeforeAbsent: aAbsent, AfterAbsent: bAbsent})
		return
	}
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			keys := make([]string, 0, len(av)+len(bv))
			for k := range av {
				keys = append(keys, k)
			}
			for k := range bv {
				if _, ok := av[k]; !ok {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				x, inA := av[k]
				y, inB := bv[k]
				diffValue(joinKey(path, k), x, y, !inA, !inB, out)
			}
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			for i := 0; i < len(av) || i < len(bv); i++ {
				var x, y any
				if i < len(av) {
					x = av[i]
				}
				if i < len(bv) {
					y = bv[i]
				}
				diffValue(path+"["+strconv.Itoa(i)+"]", x, y, i >= len(av), i >= len(bv), out)
			}
			return
		}
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, FieldDiff{Path: path, Before: a, After: b})
	}
}

var plainKey = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]*$`)

func joinKey(path, k string) string {
	if !plainKey.MatchString(k) {
		return path + "[" + strconv.Quote(k) + "]"
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

package jsonc_test

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/benchrepo"
	"github.com/grafsync/grafsync/internal/jsonc"
)

// testSelection selects as the loader's dashboard selection does: the top
// level in full but for "panels", whose elements keep "type" and "targets",
// whose elements keep "datasource"; panels nest panels.
func testSelection() *jsonc.Selection {
	panel := &jsonc.Selection{Members: map[string]*jsonc.Selection{"type": nil}}
	panel.Members["panels"] = &jsonc.Selection{Elems: panel}
	panel.Members["targets"] = &jsonc.Selection{Elems: &jsonc.Selection{Members: map[string]*jsonc.Selection{"datasource": nil}}}
	panel.Members["links"] = &jsonc.Selection{Elems: &jsonc.Selection{Members: map[string]*jsonc.Selection{}}}
	return &jsonc.Selection{Others: true, Members: map[string]*jsonc.Selection{"panels": {Elems: panel}}}
}

// prune is what ReadSelected must make of v, a value Decode made: the
// Selection's rules applied to the whole value.
func prune(v any, s *jsonc.Selection) any {
	if s == nil {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		if s.Members == nil {
			return v
		}
		out := map[string]any{}
		for name, e := range v {
			if ms, ok := s.Members[name]; ok {
				out[name] = prune(e, ms)
			} else if s.Others {
				out[name] = e
			}
		}
		return out
	case []any:
		if s.Elems == nil {
			return v
		}
		out := []any{}
		for _, e := range v {
			out = append(out, prune(e, s.Elems))
		}
		return out
	}
	return v
}

// checkReadSelected compares ReadSelected with Decode on in: the same error
// (a number out of a float64's range in a part left out excepted, which
// CanonicalMembers must report), else the selected parts of Decode's
// value, and members whose values, in an object, give Decode's value.
func checkReadSelected(t *testing.T, in []byte) {
	t.Helper()
	sel := testSelection()
	want, wantErr := jsonc.Decode(in)
	got, members, err := jsonc.ReadSelected(in, sel)
	var se *jsonc.SyntaxError
	if wantErr != nil && (errors.As(wantErr, &se) || err != nil) {
		var gotSE *jsonc.SyntaxError
		if err == nil || err.Error() != wantErr.Error() || se != nil && (!errors.As(err, &gotSE) || !cmp.Equal(gotSE, se)) {
			t.Errorf("ReadSelected(%q) error %v, want Decode's %v", in, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("ReadSelected(%q): %v; Decode succeeds", in, err)
	}
	if wantErr != nil {
		// A number too large for a float64, in a part left out.
		_, checked, err := jsonc.CanonicalMembers(members, nil, nil)
		if members == nil || err != nil || checked {
			t.Errorf("ReadSelected(%q) let through %v, and CanonicalMembers did not report it (members %v, error %v)", in, wantErr, members != nil, err)
		}
		return
	}
	if members == nil && !utf8.Valid(in) {
		// A name with escapes and bytes that are not UTF-8: ReadSelected
		// leaves it to Decode (the loader refuses such files anyway).
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ReadSelected(%q) fell back to Decode but differs (-want +got):\n%s", in, diff)
		}
		return
	}
	if diff := cmp.Diff(prune(want, sel), got); diff != "" {
		t.Errorf("ReadSelected(%q) (-want +got):\n%s", in, diff)
	}
	if _, isObject := want.(map[string]any); !isObject {
		if members != nil {
			t.Errorf("ReadSelected(%q) gave members for a value that is not an object", in)
		}
		return
	}
	if members == nil {
		t.Fatalf("ReadSelected(%q) gave no members (it fell back to Decode)", in)
	}
	whole := map[string]any{}
	for _, m := range members {
		v, err := jsonc.Decode(m.Value)
		if err != nil {
			t.Fatalf("ReadSelected(%q): member %q is %q: %v", in, m.Name, m.Value, err)
		}
		whole[m.Name] = v
	}
	if diff := cmp.Diff(want, whole); diff != "" {
		t.Errorf("ReadSelected(%q) members (-want +got):\n%s", in, diff)
	}
}

// checkCanonicalMembers compares CanonicalMembers with Canonical of
// Rewrite, which it replaces, on the valid object in.
func checkCanonicalMembers(t *testing.T, in []byte, drop map[string]bool, set map[string][]byte) {
	t.Helper()
	_, members, err := jsonc.ReadSelected(in, testSelection())
	if err != nil || members == nil {
		return
	}
	rw, err := jsonc.Rewrite(in, drop, set)
	if err != nil {
		t.Fatalf("Rewrite(%q): %v", in, err)
	}
	want, wantErr := jsonc.Canonical(rw)
	got, _, err := jsonc.CanonicalMembers(members, drop, set)
	if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
		t.Errorf("CanonicalMembers(%q) = %q, %v; want Canonical(Rewrite) = %q, %v", in, got, err, want, wantErr)
	}
}

var selectedCases = []string{
	`{}`, `[]`, `"x"`, `1`, `null`, `[{"panels":1}]`,
	`{"title":"T","panels":[{"type":"graph","gridPos":{"h":1},"targets":[{"expr":"up","datasource":{"uid":"p"}}]}]}`,
	// Kinds the selection does not describe are decoded in full.
	`{"panels":{"a":{"b":1}}}`, `{"panels":[[1,{"x":2}],"s",3,null]}`, `{"panels":[{"targets":{"k":[1]}}]}`,
	`{"panels":[{"type":"row","panels":[{"type":"x","options":{"a":1},"targets":[{"refId":"A"}]}]}]}`,
	`{"panels":[{"links":[{"url":"u"},"x",[]]}]}`,
	// Names written with escapes, an empty name, names that are not UTF-8.
	`{"pan\u0065ls":[{"typ\u0065":"a","\u0074argets":[]}],"":1}`, "{\"\xff\":1,\"\xfe\":2}", "{\"panels\":[{\"\xff\":1,\"type\":\"\xfe\"}]}",
	// Numbers keep no text here (Decode's float64s) but must not be lost.
	`{"panels":[{"type":"a","gridPos":{"y":9007199254740993}}],"version":1.50,"x":1e-400}`,
	// Errors: syntax, duplicates at every depth, in parts left out and kept.
	`{"a":1`, ``, ` `, `{"a":1} {}`, `{"a":1}x`, `{"panels":[{"type":"a","type":"b"}]}`,
	`{"panels":[{"options":{"x":1,"x":2}}]}`, `{"uid":"a","uid":"b"}`, `{"panels":[{"targets":[{"expr":"a","expr":"b"}]}]}`,
	`{"a":{"b":[1,2,{"c":1,"c":2}]}}`, `{"panels":[{"options":{"x":[1,}]}]}`, `{"panels":[{"options":"\ud800\"}]}`, `{"panels":[1 2]}`,
	`{"pan\u0065ls":1,"panels":2}`, `{"panels":[{"gridPos":{"h":1e999}}]}`, `{"time":1e999}`, `{"panels":[{"type":-1e400}]}`,
	`{"panels":[{"options":{"n":` + "1" + string(bytes.Repeat([]byte("0"), 320)) + `}}]}`, `{"panels":[{"a":1e400,"b":[}]}`,
	`{"panels":[{"options":{"n":1E+0400}}]}`,
}

// TestReadSelected: ReadSelected gives the selected parts of what Decode
// gives, Decode's errors, and members as written.
func TestReadSelected(t *testing.T) {
	for _, in := range selectedCases {
		checkReadSelected(t, []byte(in))
		checkCanonicalMembers(t, []byte(in), map[string]bool{"id": true}, map[string][]byte{"uid": []byte(`"u"`)})
	}
	for i := range 50 {
		doc := benchrepo.Dashboard(t, i)
		checkReadSelected(t, doc)
		checkCanonicalMembers(t, doc, map[string]bool{"id": true, "__inputs": true}, map[string][]byte{"uid": []byte(`"u\u0026"`), "title": []byte(`"T"`)})
	}
}

// TestCanonicalMembersNumbers: CanonicalMembers says whether it saw every
// number fit a float64.
func TestCanonicalMembersNumbers(t *testing.T) {
	tests := []struct {
		in      string
		checked bool
	}{
		{`{"a":[1,2.5,-0,1e-400,9007199254740993,1.7976931348623157e308]}`, true},
		{`{"a":1e309}`, false}, {`{"a":[{"b":-2E+308}]}`, false},
		{`{"a":` + "9" + string(bytes.Repeat([]byte("9"), 310)) + `}`, false},
		{`{"b":1,"a":{"d":1e999,"c":2}}`, false}, {`{"b":1,"a":{"d":1,"c":2}}`, true}, // sorted by the walk
		{"{\"a\":[1e999],\"b\":\"\xff\"}", false}, {"{\"a\":[1],\"b\":\"\xff\"}", false}, // not UTF-8: Canonical's way, which does not look
		{`{"a":{"c":1,"d":2},"b":"1e999"}`, true},
	}
	for _, tt := range tests {
		_, members, err := jsonc.ReadSelected([]byte(tt.in), &jsonc.Selection{Members: map[string]*jsonc.Selection{}})
		if err != nil {
			t.Fatalf("ReadSelected(%s): %v", tt.in, err)
		}
		if _, checked, err := jsonc.CanonicalMembers(members, nil, nil); err != nil || checked != tt.checked {
			t.Errorf("CanonicalMembers(%s): checked %v, %v; want %v", tt.in, checked, err, tt.checked)
		}
	}
}

// FuzzReadSelected: on any input ReadSelected agrees with Decode, and
// CanonicalMembers with Canonical of Rewrite.
func FuzzReadSelected(f *testing.F) {
	for _, s := range selectedCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkReadSelected(t, in)
		checkCanonicalMembers(t, in, map[string]bool{"id": true}, map[string][]byte{"uid": []byte(`"u"`)})
	})
}

// checkSplitObject: on a valid JSON object SplitObject finds the members
// jsontext reads (names as Token.String gives them, values as written),
// and on anything else it reports an error or, never panicking, members.
func checkSplitObject(t *testing.T, in []byte) {
	t.Helper()
	got, err := jsonc.SplitObject(in)
	opts := []jsontext.Options{jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true)}
	if !jsontext.Value(in).IsValid(opts...) || jsontext.Value(in).Kind() != '{' {
		return
	}
	dec := jsontext.NewDecoder(bytes.NewReader(in), opts...)
	dec.ReadToken()
	want := []jsonc.Member{}
	for dec.PeekKind() != '}' {
		tok, _ := dec.ReadToken()
		name := tok.String()
		v, _ := dec.ReadValue()
		want = append(want, jsonc.Member{Name: name, Value: bytes.Clone(v)})
	}
	if err != nil {
		if utf8.Valid(in) {
			t.Errorf("SplitObject(%q): %v, on a valid object", in, err)
		}
		return // a name that is not UTF-8 is left to jsontext
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SplitObject(%q) (-jsontext +got):\n%s", in, diff)
	}
}

var splitCases = []string{
	`{}`, ` { } `, `{"a":1}`, "{\n  \"a\" : [1, {\"b\": \"}]\\\"\"}],\n  \"c\": \"x\\\\\",\"d\":-1.5e3 , \"e\":true}\n",
	`{"a":"\\\\\""}`, `{"a\"b":{"c":[[]]},"":null}`, `{"a":1,"a":2}`, `{"\u00e9":"\ud83d\ude00"}`, "{\"\xff\":1}",
	`{"a":1} x`, `{"a":1`, `{"a" 1}`, `{"a":}`, `{"a":1,}`, `[1]`, `"x"`, ``, `{"a":"`, `{"a":[1,2}`, `{"a":{"b":"\"}}`,
}

// TestSplitObject: SplitObject agrees with jsontext on valid objects.
func TestSplitObject(t *testing.T) {
	for _, in := range splitCases {
		checkSplitObject(t, []byte(in))
	}
	for i := range 20 {
		doc := benchrepo.Dashboard(t, i)
		checkSplitObject(t, doc)
		canon, err := jsonc.Canonical(bytes.Clone(doc))
		if err != nil {
			t.Fatal(err)
		}
		checkSplitObject(t, canon)
	}
	for _, in := range []string{`{"a":1} x`, `{"a":1`, `[1]`, ``, `{"a":"`, `{"a":[1,2}`} {
		if _, err := jsonc.SplitObject([]byte(in)); err == nil {
			t.Errorf("SplitObject(%q): no error", in)
		}
	}
}

// FuzzSplitObject: SplitObject never panics, and agrees with jsontext on
// valid objects.
func FuzzSplitObject(f *testing.F) {
	for _, s := range splitCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkSplitObject(t, in)
	})
}

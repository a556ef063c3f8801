package jsonc_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/grafsync/grafsync/internal/benchrepo"
	"github.com/grafsync/grafsync/internal/jsonc"
)

// checkIsCanonical compares IsCanonical with Canonical on v and on every
// value nested in it: IsCanonical may only say true when Canonical gives v
// back byte for byte. It returns how many values it looked at and how
// many of them IsCanonical judged canonical.
func checkIsCanonical(t *testing.T, v []byte) (seen, fast int) {
	return checkIsCanonicalDepth(t, v, -1)
}

// checkIsCanonicalDepth is checkIsCanonical down to depth levels (all
// when negative).
func checkIsCanonicalDepth(t *testing.T, v []byte, depth int) (seen, fast int) {
	t.Helper()
	got := jsonc.IsCanonical(v)
	want, err := jsonc.Canonical(bytes.Clone(v))
	if err != nil {
		t.Fatalf("Canonical(%q): %v", v, err)
	}
	if got && !bytes.Equal(want, v) {
		t.Errorf("IsCanonical(%q) = true, but Canonical gives %q", v, want)
	}
	out, ok := jsonc.CanonicalCompact(v)
	if ok && !bytes.Equal(out, want) {
		t.Errorf("CanonicalCompact(%q) = %q, but Canonical gives %q", v, out, want)
	}
	if got && !ok {
		t.Errorf("CanonicalCompact(%q) not ok, but IsCanonical is true", v)
	}
	seen++
	if got {
		fast++
	}
	if k := jsontext.Value(v).Kind(); depth == 0 || k != '{' && k != '[' {
		return seen, fast
	}
	dec := jsontext.NewDecoder(bytes.NewReader(v), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	dec.ReadToken() // the opening brace or bracket
	for dec.PeekKind() != '}' && dec.PeekKind() != ']' {
		if jsontext.Value(v).Kind() == '{' {
			dec.ReadToken() // the name
		}
		m, err := dec.ReadValue()
		if err != nil {
			t.Fatalf("reading %q: %v", v, err)
		}
		s, f := checkIsCanonicalDepth(t, bytes.Clone(m), depth-1)
		seen, fast = seen+s, fast+f
	}
	return seen, fast
}

// TestIsCanonicalBenchDashboards: on every dashboard the benchmarks load
// (as written and canonicalised; every value in the first 100, the
// document and its members, as normalize.Dashboard asks, in all 1000)
// IsCanonical agrees with Canonical, and finds every part of a canonical
// dashboard canonical.
func TestIsCanonicalBenchDashboards(t *testing.T) {
	for i := range 1000 {
		depth := 1
		if i < 100 {
			depth = -1
		}
		doc := benchrepo.Dashboard(t, i)
		checkIsCanonicalDepth(t, doc, depth)
		canon, err := jsonc.Canonical(bytes.Clone(doc))
		if err != nil {
			t.Fatal(err)
		}
		if seen, fast := checkIsCanonicalDepth(t, canon, depth); fast != seen {
			t.Errorf("dashboard %d: IsCanonical found %d of %d values in its canonical form canonical, want all", i, fast, seen)
		}
		// As Grafana sends it: encoding/json escapes <, >, &, U+2028 and
		// U+2029 in strings.
		var live bytes.Buffer
		json.HTMLEscape(&live, canon)
		if i == 0 && bytes.Equal(live.Bytes(), canon) {
			t.Fatalf("dashboard 0 has nothing encoding/json escapes: this test needs one")
		}
		checkIsCanonicalDepth(t, live.Bytes(), depth)
		var indented bytes.Buffer
		if err := json.Indent(&indented, live.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		if out, ok := jsonc.CanonicalCompact(indented.Bytes()); !ok || !bytes.Equal(out, canon) {
			t.Errorf("dashboard %d indented: CanonicalCompact = %v, %q; want true and its canonical form", i, ok, out)
		}
		if out, ok := jsonc.CanonicalCompact(live.Bytes()); !ok || !bytes.Equal(out, canon) {
			t.Errorf("dashboard %d as Grafana sends it: CanonicalCompact = %v, %q; want true and its canonical form", i, ok, out)
		}
	}
}

// TestIsCanonical covers what Canonical rewrites: whitespace, member
// order (UTF-16, not UTF-8), repeated names, escapes jsontext would write
// otherwise, invalid UTF-8 and numbers, which it keeps as written.
func TestIsCanonical(t *testing.T) {
	tests := []struct {
		in   string
		want bool // what Canonical(in) == in says; IsCanonical must agree
	}{
		{`{}`, true}, {`[]`, true}, {`{ }`, false}, {`[ ]`, false}, {`""`, true},
		{`true`, true}, {`false`, true}, {`null`, true}, {`[true,false,null]`, true},
		{`{"a":1,"b":2}`, true}, {`{"b":1,"a":2}`, false}, {`{"a":1, "b":2}`, false},
		{`{"a" :1}`, false}, {`{"a": 1}`, false}, {`[1 ,2]`, false}, {`[1,2 ]`, false},
		{"[1,\n2]", false}, {"{\"a\":1\t}", false},
		{`{"a":[{"d":1,"c":2}]}`, false}, {`{"a":[{"c":1,"d":2}],"b":{}}`, true},
		{`{"a":1,"a":1}`, true}, {`{"b":1,"a":1,"a":2}`, false},
		{`{"A":1,"_":1,"a":1}`, true}, {`{"a":1,"A":1}`, false},
		// U+FFFF sorts after U+1F600 in UTF-8 but before it in UTF-16.
		{`{"😀":1,"￿":2}`, true}, {`{"￿":1,"😀":2}`, false},
		{`{"é":1,"z":2}`, false}, {`{"z":1,"é":2}`, true},
		{`{"\n":1,"a":2}`, true}, {`{"a":1,"\n":2}`, false}, {`{"\u000a":1}`, false},
		{`{"a\"b":1,"a\\b":2}`, true},
		// Strings.
		{`"plain ascii / <>&"`, true}, {`"\n\r\t\b\f\"\\"`, true}, {`"\/"`, false},
		{`"\u0001\u001f"`, true}, {`"\u001F"`, false}, {`"\u0041"`, false}, {`"\u00e9"`, false},
		{`"é 😀 °C"`, true}, {`"\ud83d\ude00"`, false}, {`"\ud800"`, false}, {`"\u2028"`, false},
		{"\"\u2028\u2029\"", true}, {"\"\x7f\"", true}, {"\"\xff\"", false}, {"\"a\xc3\"", false},
		{"\"\xed\xa0\x80\"", false}, // a surrogate in UTF-8
		{`"\ufffd"`, false}, {"\"\ufffd\"", true}, {`"\u0000"`, true}, {`"\u007f"`, false},
		{`["x\\","y"]`, true}, {`{"k":"\"","l":"\\\""}`, true},
		// Escapes rewritten as they come (encoding/json's "\u0026" for "&"),
		// and undone when a surrogate sends the string to the slow path.
		{`"a\u0026b\u003c\u003e"`, false}, {`"\/x\u00E9\u0009\u000A\u0022\u005c"`, false},
		{`"x\u0026\ud83d\ude00y"`, false}, {`"\u0026\u0001\u001F\u007F"`, false}, {`{"\u0026":"\u0026"}`, false},
		{`["\u2028",{"a":"\u0026"},"\u0000"]`, false},
		// Members out of order are sorted, nested ones too, with what else
		// is rewritten in them.
		{`{"b":{"d":[1,{"f":1,"e":"\u0026"}],"c":2} ,"a" : 1}`, false}, {`[{"b":1,"a":2},{"a":1,"b":2}]`, false},
		{`{"b\u0026":1,"a":"x\/y"}`, false}, {`{"z":1,"y":{"x":1,"w":2},"a\n":3}`, false}, {`{"a":{"c":1,"b":2},"b":0}`, false},
		{"{\"c\": 1,\n  \"b\": {\"y\": [], \"x\": {}},\n  \"a\": \"\"}", false},
		// Numbers keep their text.
		{`9007199254740993`, true}, {`1e-400`, true}, {`1.50`, true}, {`-0`, true}, {`1E+10`, true},
		{`[-0.0e-0,1e1,0.1]`, true}, {`{"n":-1.5E-7}`, true},
	}
	// Canonical keeps these, but IsCanonical leaves them to it.
	notJudged := map[string]bool{`{"a":1,"a":1}`: true}
	// CanonicalCompact leaves these to Canonical: repeated names, invalid
	// UTF-8. It drops whitespace, re-quotes strings and sorts members.
	notCompact := map[string]bool{
		`{"a":1,"a":1}`: true, `{"b":1,"a":1,"a":2}`: true,
		`"\ud800"`: true, "\"\xff\"": true, "\"a\xc3\"": true, "\"\xed\xa0\x80\"": true,
	}
	for _, tt := range tests {
		canon, err := jsonc.Canonical([]byte(tt.in))
		if err != nil {
			t.Fatalf("Canonical(%q): %v", tt.in, err)
		}
		if same := string(canon) == tt.in; same != tt.want {
			t.Fatalf("test table: Canonical(%q) = %q; want field says %v", tt.in, canon, tt.want)
		}
		want := tt.want && !notJudged[tt.in]
		if got := jsonc.IsCanonical([]byte(tt.in)); got != want {
			t.Errorf("IsCanonical(%q) = %v, want %v (Canonical gives %q)", tt.in, got, want, canon)
		}
		checkIsCanonical(t, []byte(tt.in))
		if out, ok := jsonc.CanonicalCompact([]byte(tt.in)); ok != !notCompact[tt.in] {
			t.Errorf("CanonicalCompact(%q) = %q, %v; want ok %v", tt.in, out, ok, !notCompact[tt.in])
		}
		// The same in an object and in an array.
		for _, wrap := range []string{`{"k":` + tt.in + `}`, `[0,` + tt.in + `,{}]`} {
			checkIsCanonical(t, []byte(wrap))
			if got := jsonc.IsCanonical([]byte(wrap)); got != want {
				t.Errorf("IsCanonical(%q) = %v, want %v", wrap, got, want)
			}
		}
	}
}

// FuzzIsCanonical: on any valid JSON value, IsCanonical is true only when
// Canonical gives the value back unchanged.
func FuzzIsCanonical(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[true,"x\n"]}`, `{"b":1,"a":2}`, `"\u001F"`, `{"😀":1,"￿":2}`, `[1 ,2]`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v := jsontext.Value(in)
		if !v.IsValid(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true)) {
			return
		}
		checkIsCanonical(t, in)
	})
}

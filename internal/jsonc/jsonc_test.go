package jsonc

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		in        string
		want      *SyntaxError
		wantValue any
	}{
		{in: `{"uid": "alb", "uid": "alb-dup"}`, want: &SyntaxError{Offset: 15, Msg: `duplicate object member name "uid"`, Duplicate: "uid", Path: []string{"uid"}}},
		{in: `{"panels": [{"a": {"x": 1, "x": 2}}]}`, want: &SyntaxError{Offset: 27, Msg: `duplicate object member name "x" within "/panels/0/a"`, Duplicate: "x", Path: []string{"panels", "0", "a", "x"}}},
		{in: `{"a": 1`, want: &SyntaxError{Offset: 7, Msg: "unexpected end of JSON input"}},
		{in: ``, want: &SyntaxError{Msg: "unexpected end of JSON input"}},
		{in: `{"a": 1} {}`, want: &SyntaxError{Offset: 9, Msg: `invalid character '{' after top-level value`}},
		{in: `{"a": 9007199254740993, "b": [true, null]}`, wantValue: map[string]any{"a": 9007199254740992.0, "b": []any{true, nil}}},
	}
	for _, tt := range tests {
		v, err := Decode([]byte(tt.in))
		var got *SyntaxError
		if err != nil {
			got, _ = err.(*SyntaxError)
			if got == nil {
				t.Errorf("Decode(%s): %T %v, want a *SyntaxError", tt.in, err, err)
				continue
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Decode(%s) error (-want +got):\n%s", tt.in, diff)
		}
		if diff := cmp.Diff(tt.wantValue, v); err == nil && diff != "" {
			t.Errorf("Decode(%s) value (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCanonicalRewriteFloat64(t *testing.T) {
	src := `{"id": 7, "b": 9007199254740993, "a": [1e-400, 1.50, "\u00e9\/"], "c": {"z": 1, "y": 2}, "uid": "x"}`
	re, err := Rewrite([]byte(src), map[string]bool{"id": true}, map[string][]byte{"uid": []byte(`"y"`), "folderUid": []byte(`""`)})
	if err != nil {
		t.Fatal(err)
	}
	canon, err := Canonical(re)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":[1e-400,1.50,"é/"],"b":9007199254740993,"c":{"y":2,"z":1},"folderUid":"","uid":"y"}`; string(canon) != want {
		t.Errorf("canonical:\n%s\nwant\n%s", canon, want)
	}
	f, err := Float64(append([]byte(nil), canon...)) // Float64 rewrites its argument
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":[0,1.5,"é/"],"b":9007199254740992,"c":{"y":2,"z":1},"folderUid":"","uid":"y"}`; string(f) != want {
		t.Errorf("float64:\n%s\nwant\n%s", f, want)
	}
	m, err := Unmarshal(canon)
	if err != nil {
		t.Fatal(err)
	}
	if got := m["b"]; got != any(jsonNumber("9007199254740993")) {
		t.Errorf("Unmarshal kept b as %#v", got)
	}
}

type jsonNumber = json.Number

// CompareNames sorts as Canonical does, non-ASCII names included (UTF-16
// order puts U+1F600, a surrogate pair, before U+E000).
func TestCompareNamesMatchesCanonical(t *testing.T) {
	names := []string{"b", "a", "B", "é", "\ue000", "\U0001F600", "aa", ""}
	var src []byte
	src = append(src, '{')
	for i, n := range names {
		if i > 0 {
			src = append(src, ',')
		}
		q, _ := json.Marshal(n)
		src = append(append(src, q...), ":0"...)
	}
	canon, err := Canonical(append(src, '}'))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	dec := json.NewDecoder(bytes.NewReader(canon))
	dec.Token()
	for dec.More() {
		tok, _ := dec.Token()
		got = append(got, tok.(string))
		dec.Token()
	}
	want := slices.Clone(names)
	slices.SortFunc(want, CompareNames)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CompareNames order (-want) differs from Canonical's (+got):\n%s", diff)
	}
}

// TestCompareNameBytes: the byte comparison the canonical walk uses agrees
// with CompareNames on every pair, sharing prefixes and not.
func TestCompareNameBytes(t *testing.T) {
	names := []string{"", "a", "aa", "ab", "b", "B", "é", "aé", "a\ue000", "a\U0001F600", "\ue000", "\U0001F600", "\uffff", "z", "\x7f", "\u0080", "😀😀", "😀\ue000"}
	for _, a := range names {
		for _, b := range names {
			if got, want := compareNameBytes([]byte(a), []byte(b)), CompareNames(a, b); got != want {
				t.Errorf("compareNameBytes(%q, %q) = %d, CompareNames says %d", a, b, got, want)
			}
		}
	}
}

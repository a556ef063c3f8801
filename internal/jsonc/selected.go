package jsonc

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// A Selection says which parts of a document ReadSelected decodes; what it
// leaves out is read (checked strictly) but not built. For a value v read
// with Selection s:
//   - s == nil: v is decoded in full, as Decode decodes it;
//   - v is an object and s.Members is not nil: v becomes a map holding the
//     members s.Members names, each read with its Selection, and (when
//     s.Others) every other member decoded in full; the rest are left out;
//   - v is an array and s.Elems is not nil: each element is read with
//     s.Elems;
//   - otherwise (a scalar, or a kind s does not describe): v is decoded in
//     full, so a caller looking at a value of an unexpected kind sees all
//     of it.
//
// A Selection may refer to itself (panels nest panels).
type Selection struct {
	Members map[string]*Selection
	Others  bool
	Elems   *Selection
}

// Member is a member of a top-level object as ReadSelected read it: its
// name (unquoted) and its value's bytes as written (valid JSON).
type Member struct {
	Name  string
	Value []byte
}

// ReadSelected reads data as strictly as Decode (a syntax error or a
// duplicate member name anywhere is the *SyntaxError Decode returns) but
// decodes only what sel selects; when data is an object it also returns
// its members as written, in order, for CanonicalMembers.
//
// One difference: numbers in values it leaves out are checked as JSON but
// not converted, so one too large for a float64 (1e400), which Decode
// refuses, passes here; CanonicalMembers reports such numbers. Whenever
// ReadSelected meets an error it returns Decode's result instead (members
// nil), so its errors are Decode's, byte offsets and paths included.
func ReadSelected(data []byte, sel *Selection) (v any, members []Member, err error) {
	dec := decoders.Get().(*jsontext.Decoder)
	defer decoders.Put(dec)
	dec.Reset(bytes.NewBuffer(data), readOpts...)
	r := selReader{data: data, dec: dec}
	if r.dec.PeekKind() == '{' && sel != nil && sel.Members != nil {
		v, members, err = r.object(sel, true)
	} else {
		v, err = r.value(sel)
	}
	if err == nil {
		// Nothing may follow the value, as Decode requires.
		if _, eof := r.dec.ReadToken(); eof != io.EOF {
			err = errors.New("data after the top-level value")
		}
	}
	if err != nil {
		v, err = Decode(data)
		return v, nil, err
	}
	return v, members, nil
}

// decoders are jsontext Decoders to reuse: a Decoder keeps what it grew
// to track member names (for duplicates) across Resets, which a new one
// allocates again for every document.
var decoders = sync.Pool{New: func() any { return new(jsontext.Decoder) }}

type selReader struct {
	data    []byte
	dec     *jsontext.Decoder
	strings map[string]any // built strings by their text
}

// value reads the next value as s selects it. It builds what Decode
// builds, with jsontext's tokens instead of Decode's reflection, which
// costs more than the value itself for the small values selected here;
// what it cannot tell is Decode's, it reports as an error (see
// ReadSelected).
func (r *selReader) value(s *Selection) (any, error) {
	switch r.dec.PeekKind() {
	case '{':
		if s == nil || s.Members == nil {
			s = &wholeObject
		}
		v, _, err := r.object(s, false)
		return v, err
	case '[':
		var elems *Selection
		if s != nil {
			elems = s.Elems
		}
		if _, err := r.dec.ReadToken(); err != nil {
			return nil, err
		}
		out := []any{}
		for r.dec.PeekKind() != ']' {
			e, err := r.value(elems)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		_, err := r.dec.ReadToken()
		return out, err
	}
	// A scalar, as Decode's unmarshalValueAny makes it.
	val, err := r.dec.ReadValue()
	if err != nil {
		return nil, err
	}
	switch val.Kind() {
	case 'n':
		return nil, nil
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case '"':
		return r.str(val)
	case '0':
		f, err := strconv.ParseFloat(string(val), 64)
		if err != nil {
			return nil, err // out of range: Decode's error is its own
		}
		return f, nil
	}
	return nil, errors.New("unexpected value")
}

// str is the JSON string quoted as Decode gives it, in an interface;
// the strings of one document are built once (names and values repeat).
func (r *selReader) str(quoted []byte) (any, error) {
	raw := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) {
		// Decode unquotes such a string; one that is not UTF-8 is left to
		// it (it makes U+FFFD of the bytes).
		b, err := jsontext.AppendUnquote(nil, quoted)
		return string(b), err
	}
	if s, ok := r.strings[string(raw)]; ok {
		return s, nil
	}
	if r.strings == nil {
		r.strings = make(map[string]any, 64)
	}
	var s any = string(raw)
	r.strings[s.(string)] = s
	return s, nil
}

// unquote is str as a string.
func (r *selReader) unquote(quoted []byte) (string, error) {
	s, err := r.str(quoted)
	name, _ := s.(string)
	return name, err
}

// object reads the next value, an object, as s selects it; top: also its
// members as written.
func (r *selReader) object(s *Selection, top bool) (map[string]any, []Member, error) {
	if _, err := r.dec.ReadToken(); err != nil {
		return nil, nil, err
	}
	out := make(map[string]any, max(len(s.Members), 8))
	var members []Member
	if top {
		members = make([]Member, 0, 32)
	}
	for r.dec.PeekKind() != '}' {
		// ReadValue gives the name as written, without building a string
		// for the names left out; the decoder refuses a duplicate.
		quoted, err := r.dec.ReadValue()
		if err != nil {
			return nil, nil, err
		}
		raw := quoted[1 : len(quoted)-1]
		if bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) {
			// Decode unquotes such a name; one that is not UTF-8 is left to
			// it (it makes U+FFFD of the bytes).
			if raw, err = jsontext.AppendUnquote(nil, quoted); err != nil {
				return nil, nil, err
			}
		}
		start := r.dec.InputOffset()
		ms, selected := s.Members[string(raw)]
		var name string
		switch {
		case selected || s.Others:
			if name, err = r.unquote(quoted); err != nil {
				return nil, nil, err
			}
			if _, dup := out[name]; dup {
				// Names jsontext tells apart but a Go string does not: let
				// Decode judge.
				return nil, nil, errors.New("repeated name")
			}
			if out[name], err = r.value(ms); err != nil {
				return nil, nil, err
			}
		default:
			if _, err := r.dec.ReadValue(); err != nil {
				return nil, nil, err
			}
		}
		if top {
			if name == "" {
				name = string(raw)
			}
			// The value starts after the colon and any whitespace.
			val := bytes.TrimLeft(r.data[start:r.dec.InputOffset()], " \t\r\n:")
			members = append(members, Member{Name: name, Value: val})
		}
	}
	_, err := r.dec.ReadToken()
	return out, members, err
}

// wholeObject selects all of an object.
var wholeObject = Selection{Members: map[string]*Selection{}, Others: true}

// CanonicalMembers is Canonical of the object ReadSelected read as
// members, edited as Rewrite edits it: a name in drop is left out, a name
// in set gets that (already encoded, valid JSON) value, added when absent.
// It makes the bytes in one pass where each member's value takes
// CanonicalCompact's way, and through Canonical where not.
//
// numbersChecked reports whether every number in the result was seen to
// be within a float64's range (as Decode requires); false when one is not,
// or when a value took Canonical's way, which does not look.
func CanonicalMembers(members []Member, drop map[string]bool, set map[string][]byte) (out []byte, numbersChecked bool, err error) {
	return AppendCanonicalMembers(nil, members, drop, set)
}

// AppendCanonicalMembers is CanonicalMembers appending to dst.
func AppendCanonicalMembers(dst []byte, members []Member, drop map[string]bool, set map[string][]byte) (out []byte, numbersChecked bool, err error) {
	return appendMembers(dst, members, drop, set, true)
}

// AppendMembers is AppendCanonicalMembers for members whose values are
// canonical already: they are copied as they are. Members of one name keep
// their order.
func AppendMembers(dst []byte, members []Member, drop map[string]bool, set map[string][]byte) ([]byte, error) {
	out, _, err := appendMembers(dst, members, drop, set, false)
	return out, err
}

func appendMembers(dst []byte, members []Member, drop map[string]bool, set map[string][]byte, canonicalise bool) (out []byte, numbersChecked bool, err error) {
	kept := make([]Member, 0, len(members)+len(set))
	size := 2
	for _, m := range members {
		if drop[m.Name] {
			continue
		}
		if _, isSet := set[m.Name]; isSet {
			continue
		}
		kept = append(kept, m)
		size += len(m.Name) + len(m.Value) + 4
	}
	for name, v := range set {
		kept = append(kept, Member{Name: name, Value: v})
		size += len(name) + len(v) + 4
	}
	slices.SortStableFunc(kept, func(a, b Member) int { return CompareNames(a.Name, b.Name) })
	out = slices.Grow(dst, size)
	if out == nil {
		out = []byte{} // the scanner takes a nil out for "src unchanged"
	}
	out = append(out, '{')
	numbersChecked = true
	var c canonicalScanner // one, so its scratch buffers serve every member
	for i, m := range kept {
		if i > 0 {
			out = append(out, ',')
		}
		if out, err = jsontext.AppendQuote(out, m.Name); err != nil {
			return nil, false, syntaxError(err)
		}
		out = append(out, ':')
		if !canonicalise {
			out = append(out, m.Value...)
			continue
		}
		c.src, c.out, c.copied, c.overflow = m.Value, out, 0, false
		if n, ok := c.value(c.space(0)); ok && n == len(m.Value) {
			out = append(c.out, m.Value[c.copied:]...)
			numbersChecked = numbersChecked && !c.overflow
			continue
		}
		v, err := Canonical(bytes.Clone(m.Value))
		if err != nil {
			return nil, false, err
		}
		out = append(out, v...) // over what the scanner wrote past len(out)
		numbersChecked = false
	}
	return append(out, '}'), numbersChecked, nil
}

// SplitObject returns the members of the JSON object obj, which must be
// valid JSON (as jsontext reads it, repeated names allowed): names
// unquoted, values as written. It finds where each value ends by looking
// at quotes, backslashes and brackets only, which costs a fraction of
// tokenizing; it does not check what it skips, so it is for documents
// already read strictly (a dashboard grafsync encoded, or read from
// Grafana through jsontext or encoding/json). An error means obj is not
// an object, or not valid JSON after all.
func SplitObject(obj []byte) ([]Member, error) {
	bad := errors.New("not a valid JSON object")
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, bad
	}
	members := make([]Member, 0, 32)
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return members, trailing(obj, i+1)
	}
	for {
		if i >= len(obj) || obj[i] != '"' {
			return nil, bad
		}
		end := skipString(obj, i)
		if end < 0 {
			return nil, bad
		}
		name, err := unquoteName(obj[i:end])
		if err != nil {
			return nil, bad
		}
		if i = skipSpace(obj, end); i >= len(obj) || obj[i] != ':' {
			return nil, bad
		}
		start := skipSpace(obj, i+1)
		if i = skipValue(obj, start); i < 0 {
			return nil, bad
		}
		members = append(members, Member{Name: name, Value: obj[start:i]})
		if i = skipSpace(obj, i); i >= len(obj) {
			return nil, bad
		}
		switch obj[i] {
		case ',':
			i = skipSpace(obj, i+1)
		case '}':
			return members, trailing(obj, i+1)
		default:
			return nil, bad
		}
	}
}

func trailing(obj []byte, i int) error {
	if skipSpace(obj, i) != len(obj) {
		return errors.New("data after the JSON object")
	}
	return nil
}

func skipSpace(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\n' || v[i] == '\t' || v[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at v[i] (a
// quote), or -1 when it does not end.
func skipString(v []byte, i int) int {
	for j := i + 1; j < len(v); j++ {
		switch v[j] {
		case '"':
			return j + 1
		case '\\':
			j++ // the escaped character
		}
	}
	return -1
}

// skipValue returns the index after the value starting at v[i], or -1.
func skipValue(v []byte, i int) int {
	if i >= len(v) {
		return -1
	}
	switch v[i] {
	case '"':
		return skipString(v, i)
	case '{', '[':
		depth := 0
		for i < len(v) {
			switch v[i] {
			case '"':
				if i = skipString(v, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	j := i
	for j < len(v) && v[j] != ',' && v[j] != '}' && v[j] != ']' && v[j] != ' ' && v[j] != '\n' && v[j] != '\t' && v[j] != '\r' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// unquoteName is the text of the quoted name as jsontext's Token.String
// gives it.
func unquoteName(quoted []byte) (string, error) {
	raw := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw), nil
	}
	b, err := jsontext.AppendUnquote(nil, quoted)
	return string(b), err
}

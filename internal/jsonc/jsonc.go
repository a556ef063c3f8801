// Package jsonc decodes and canonicalises JSON documents the way grafsync
// needs them, on github.com/go-json-experiment/json's jsontext (a streaming
// tokenizer; no hand-written one):
//
//   - strictly: a duplicate object member name is an error with its byte
//     offset (encoding/json silently keeps the last one);
//   - exactly: numbers keep their text ("9007199254740993", "1e-400"), as
//     Grafana's legacy /api stores them, unless Float64 rounds them as
//     Grafana 12+ does;
//   - canonically: Canonical bytes are compact, with object members sorted
//     and strings minimally escaped, so two documents are equal exactly when
//     their canonical bytes are, and no map needs to be built to tell.
package jsonc

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// SyntaxError is invalid JSON, or a duplicate member name, at Offset.
type SyntaxError struct {
	Offset int64 // bytes from the start of the document
	Msg    string
	// Duplicate is the repeated member name ("" for other errors) and Path
	// the member's path from the top (object names and array indexes as
	// written), ending with Duplicate.
	Duplicate string
	Path      []string
}

func (e *SyntaxError) Error() string { return e.Msg }

// readOpts: duplicate names are errors (jsontext's default); invalid UTF-8
// is accepted as encoding/json accepts it (another layer judges text).
var readOpts = []jsontext.Options{jsontext.AllowInvalidUTF8(true)}

// formatOpts: a document being canonicalised has been checked already (or
// comes from Grafana); not tracking names again saves a map per object.
var formatOpts = []jsontext.Options{jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true)}

func syntaxError(err error) error {
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		msg := strings.TrimPrefix(se.Error(), "jsontext: ")
		msg, _, _ = strings.Cut(msg, " after offset ")
		if errors.Is(se.Err, io.ErrUnexpectedEOF) {
			msg = "unexpected end of JSON input" // as encoding/json says it
		}
		out := &SyntaxError{Offset: se.ByteOffset, Msg: msg}
		if errors.Is(err, jsontext.ErrDuplicateName) {
			out.Path = slices.Collect(se.JSONPointer.Tokens())
			out.Duplicate = se.JSONPointer.LastToken()
		}
		return out
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &SyntaxError{Msg: "unexpected end of JSON input"}
	}
	return err
}

// Decode decodes data strictly: a syntax error or a duplicate member name
// is a *SyntaxError. Numbers decode as float64 (encoding/json's choice):
// the result is for inspecting a document; Rewrite keeps its text exact.
func Decode(data []byte) (any, error) {
	var v any
	if err := jsonv2.Unmarshal(data, &v, readOpts...); err != nil {
		return nil, syntaxError(err)
	}
	return v, nil
}

// Rewrite copies the JSON object src with its top-level members edited:
// a name in drop is left out, a name in set gets that (already encoded)
// value, in place or at the end. Everything else, numbers included, is
// copied as written.
func Rewrite(src []byte, drop map[string]bool, set map[string][]byte) ([]byte, error) {
	// From a bytes.Buffer, jsontext parses src in place, without a copy.
	dec := jsontext.NewDecoder(bytes.NewBuffer(src), formatOpts...)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, errors.New("not a JSON object")
	}
	out := make([]byte, 0, len(src))
	out = append(out, '{')
	member := func(name string, value []byte) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out, _ = jsontext.AppendQuote(out, name)
		out = append(append(out, ':'), value...)
	}
	done := map[string]bool{}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, syntaxError(err)
		}
		name := tok.String() // before the next read voids tok
		v, err := dec.ReadValue()
		if err != nil {
			return nil, syntaxError(err)
		}
		switch val, isSet := set[name]; {
		case drop[name] || done[name]:
		case isSet:
			member(name, val)
			done[name] = true
		default:
			member(name, v)
		}
	}
	for name, val := range set {
		if !done[name] {
			member(name, val)
		}
	}
	return append(out, '}'), nil
}

// Unmarshal decodes a document already known to be valid (canonical bytes)
// into an object, numbers as json.Number.
func Unmarshal(data []byte) (map[string]any, error) {
	v, err := decodeNumbers(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

func decodeNumbers(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Canonical rewrites the JSON value in buf in place to its canonical form:
// compact, object members sorted by name (recursively), strings minimally
// escaped, numbers exactly as written.
func Canonical(buf []byte) ([]byte, error) {
	v := jsontext.Value(buf)
	if err := v.Format(append(formatOpts, jsontext.ReorderRawObjects(true))...); err != nil {
		return nil, syntaxError(err)
	}
	return v, nil
}

// Float64 returns a canonical value with every number as Grafana 12+ keeps
// it: decoded to a float64 and encoded again by encoding/json (whose format
// is ECMAScript's, as RFC 8785 canonical numbers are). 9007199254740993
// becomes 9007199254740992, 1e-400 becomes 0, 1.50 becomes 1.5.
func Float64(buf []byte) ([]byte, error) {
	v := jsontext.Value(bytes.Clone(buf)) // buf may be shared (equal documents share bytes)
	if err := v.Format(append(formatOpts, jsontext.ReorderRawObjects(true), jsontext.CanonicalizeRawInts(true), jsontext.CanonicalizeRawFloats(true))...); err != nil {
		return nil, syntaxError(err)
	}
	return v, nil
}

// CompareNames orders object member names as Canonical sorts them: by
// their UTF-16 code units (RFC 8785), which is byte order for ASCII.
func CompareNames(a, b string) int {
	ascii := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return false
			}
		}
		return true
	}
	if ascii(a) && ascii(b) {
		return strings.Compare(a, b)
	}
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

// CanonicalCompact returns Canonical(v) for a valid JSON value v (as
// jsontext.Decoder's ReadValue returns it, which is not checked again),
// made by a walk over its bytes instead of a tokenizer. Whitespace is
// dropped, strings are re-quoted as Canonical does (encoding/json's and
// Grafana's "\u0026" for "&" is no obstacle), and an object whose names
// are out of CompareNames order is walked again and its members sorted
// (objects in order, as grafsync and encoding/json write them, are walked
// once). The result is v itself when v is canonical already. ok is false
// when it cannot tell (repeated names, invalid UTF-8): the caller uses
// Canonical then.
func CanonicalCompact(v []byte) (canonical []byte, ok bool) {
	c := canonicalScanner{src: v}
	n, ok := c.value(c.space(0))
	if !ok || n != len(v) {
		return nil, false
	}
	if c.out == nil {
		return v, true
	}
	return append(c.out, v[c.copied:]...), true
}

// IsCanonical reports whether the valid JSON value v is byte for byte what
// Canonical would make of it (false when CanonicalCompact cannot tell).
func IsCanonical(v []byte) bool {
	c := canonicalScanner{src: v, judgeOnly: true}
	n, ok := c.value(c.space(0))
	return ok && n == len(v) && c.out == nil
}

// canonicalScanner walks src: Canonical keeps numbers and literals as
// written, removes whitespace, sorts members and re-quotes each string
// that jsontext does not copy verbatim. out (nil while src needs no
// change) is src[:copied] without whitespace, its strings made canonical.
type canonicalScanner struct {
	src          []byte
	out          []byte
	copied       int
	text, quoted []byte // scratch for re-quoting strings
	esc          [8]byte

	// overflow: a number is too large for a float64 (Decode refuses it).
	overflow bool
	// judgeOnly: an object out of order is not canonical; no need to sort.
	judgeOnly bool
}

// fitsFloat64 reports whether the JSON number n is within a float64's
// range, as Decode requires.
func fitsFloat64(n []byte) bool {
	_, err := strconv.ParseFloat(string(n), 64)
	return err == nil
}

// space skips the whitespace at src[i:], leaving it out of out.
func (c *canonicalScanner) space(i int) int {
	j := i
	for j < len(c.src) && (c.src[j] == ' ' || c.src[j] == '\n' || c.src[j] == '\t' || c.src[j] == '\r') {
		j++
	}
	if j > i {
		if c.out == nil {
			c.out = make([]byte, 0, len(c.src))
		}
		c.out = append(c.out, c.src[c.copied:i]...)
		c.copied = j
	}
	return j
}

// value checks the value at src[i:], returning the index after it (and
// after any whitespace that follows it).
func (c *canonicalScanner) value(i int) (int, bool) {
	v := c.src
	if i >= len(v) {
		return i, false
	}
	switch b := v[i]; {
	case b == '{':
		return c.object(i)
	case b == '[':
		i = c.space(i + 1)
		if i < len(v) && v[i] == ']' {
			return c.space(i + 1), true
		}
		for {
			var ok bool
			if i, ok = c.value(i); !ok || i >= len(v) {
				return i, false
			}
			switch v[i] {
			case ',':
				i = c.space(i + 1)
			case ']':
				return c.space(i + 1), true
			default:
				return i, false
			}
		}
	case b == '"':
		j, _, ok := c.str(i, false)
		return c.space(j), ok
	case b == 't':
		return c.space(i + 4), bytes.HasPrefix(v[i:], []byte("true"))
	case b == 'f':
		return c.space(i + 5), bytes.HasPrefix(v[i:], []byte("false"))
	case b == 'n':
		return c.space(i + 4), bytes.HasPrefix(v[i:], []byte("null"))
	case b == '-' || '0' <= b && b <= '9':
		// Numbers are copied as written; src is valid, so the number
		// ends at the first byte that cannot be part of one.
		j := i + 1
		exp := false
		for j < len(v) && isNumberByte(v[j]) {
			exp = exp || v[j] == 'e' || v[j] == 'E'
			j++
		}
		// Only a number with an exponent or of more than 300 digits can
		// be out of a float64's range ("9e99" has 4 bytes).
		if (exp && j-i > 4 || j-i > 300) && !fitsFloat64(v[i:j]) {
			c.overflow = true
		}
		return c.space(j), true
	default:
		return i, false // not JSON
	}
}

func isNumberByte(b byte) bool {
	return '0' <= b && b <= '9' || b == '.' || b == 'e' || b == 'E' || b == '+' || b == '-'
}

// object checks the object at src[i:]. Names in strictly increasing
// CompareNames order are the common case, walked once; an object whose
// names are not is walked again by sortedObject, which sorts its members
// as Canonical does. A repeated name is not judged (not ok).
func (c *canonicalScanner) object(i int) (int, bool) {
	start, outMark, copiedMark, outWasNil := i, len(c.out), c.copied, c.out == nil
	v := c.src
	i = c.space(i + 1)
	if i < len(v) && v[i] == '}' {
		return c.space(i + 1), true
	}
	// A name may be in c.text, which the next string reuses: keep the
	// previous one in a buffer of this object's own.
	var buf [64]byte
	prev := buf[:0]
	for first := true; ; first = false {
		if i >= len(v) || v[i] != '"' {
			return i, false
		}
		j, name, ok := c.str(i, true)
		if !ok {
			return j, false
		}
		if !first {
			switch order := compareNameBytes(prev, name); {
			case order == 0:
				return j, false
			case order > 0 && c.judgeOnly:
				return j, false
			case order > 0:
				// Undo what this object wrote and sort it.
				c.out, c.copied = c.out[:outMark], copiedMark
				if outWasNil {
					c.out = nil
				}
				return c.sortedObject(start)
			}
		}
		prev = append(prev[:0], name...)
		if j = c.space(j); j >= len(v) || v[j] != ':' {
			return j, false
		}
		if i, ok = c.value(c.space(j + 1)); !ok || i >= len(v) {
			return i, false
		}
		switch v[i] {
		case ',':
			i = c.space(i + 1)
		case '}':
			return c.space(i + 1), true
		default:
			return i, false
		}
	}
}

// sortedObject writes the object at src[i:] with its members sorted by
// name, each made canonical as object writes it: every member is written
// to out, then the members are put in order.
func (c *canonicalScanner) sortedObject(i int) (int, bool) {
	v := c.src
	if c.out == nil {
		c.out = make([]byte, 0, len(v))
	}
	c.out = append(c.out, v[c.copied:i]...) // out now stands for src[:i]
	objStart := len(c.out)
	c.out = append(c.out, '{')
	c.copied = i + 1
	type member struct {
		name       []byte
		start, end int // of "name":value in out
	}
	var members []member
	i = c.space(i + 1)
	for {
		if i >= len(v) || v[i] != '"' {
			return i, false
		}
		c.out = append(c.out, v[c.copied:i]...)
		c.copied = i
		m := member{start: len(c.out)}
		j, name, ok := c.str(i, true)
		if !ok {
			return j, false
		}
		m.name = bytes.Clone(name)
		if j = c.space(j); j >= len(v) || v[j] != ':' {
			return j, false
		}
		if i, ok = c.value(c.space(j + 1)); !ok || i >= len(v) {
			return i, false
		}
		c.out = append(c.out, v[c.copied:i]...)
		c.copied = i
		m.end = len(c.out)
		members = append(members, m)
		switch v[i] {
		case ',':
			c.copied = i + 1
			i = c.space(i + 1)
			continue
		case '}':
		default:
			return i, false
		}
		break
	}
	slices.SortFunc(members, func(a, b member) int { return compareNameBytes(a.name, b.name) })
	for k := 1; k < len(members); k++ {
		if compareNameBytes(members[k-1].name, members[k].name) == 0 {
			return i, false // a repeated name
		}
	}
	written := bytes.Clone(c.out[objStart:])
	c.out = append(c.out[:objStart], '{')
	for k, m := range members {
		if k > 0 {
			c.out = append(c.out, ',')
		}
		c.out = append(c.out, written[m.start-objStart:m.end-objStart]...)
	}
	c.out = append(c.out, '}')
	c.copied = i + 1
	return c.space(i + 1), true
}

// compareNameBytes is CompareNames on unquoted names. Where the names
// first differ, an ASCII byte on either side orders them as UTF-16 does
// (ASCII sorts before any other code unit); only two bytes of other
// characters need CompareNames.
func compareNameBytes(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	switch {
	case i == n:
		return cmp.Compare(len(a), len(b))
	case a[i] < utf8.RuneSelf || b[i] < utf8.RuneSelf:
		return cmp.Compare(a[i], b[i])
	}
	return CompareNames(string(a), string(b))
}

// plainASCII are the bytes a string holds as they are: printable ASCII
// but for the quote and the backslash.
var plainASCII = func() (t [256]bool) {
	for b := ' '; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// escape returns how jsontext writes the character the escape at the
// start of s stands for, and the escape's length: "\/" is "/", "\u0026"
// is "&", "\u001F" is "\u001f", "\u000A" is "\n". Not ok for a
// surrogate (left to the slow path, which pairs them) or anything else.
// repl is valid until the next call.
func (c *canonicalScanner) escape(s []byte) (repl []byte, n int, ok bool) {
	if len(s) >= 2 && s[1] == '/' {
		return append(c.esc[:0], '/'), 2, true
	}
	if len(s) < 6 || s[1] != 'u' {
		return nil, 0, false
	}
	var r rune
	for _, h := range s[2:6] {
		switch {
		case '0' <= h && h <= '9':
			r = r<<4 | rune(h-'0')
		case 'a' <= h && h <= 'f':
			r = r<<4 | rune(h-'a'+10)
		case 'A' <= h && h <= 'F':
			r = r<<4 | rune(h-'A'+10)
		default:
			return nil, 0, false
		}
	}
	if utf16.IsSurrogate(r) {
		return nil, 0, false
	}
	out := c.esc[:0]
	switch {
	case r == '"' || r == '\\':
		out = append(out, '\\', byte(r))
	case r == '\b':
		out = append(out, `\b`...)
	case r == '\f':
		out = append(out, `\f`...)
	case r == '\n':
		out = append(out, `\n`...)
	case r == '\r':
		out = append(out, `\r`...)
	case r == '\t':
		out = append(out, `\t`...)
	case r < ' ':
		const hex = "0123456789abcdef"
		out = append(out, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
	default:
		out = utf8.AppendRune(out, r)
	}
	return out, 6, true
}

// isShortEscape reports whether jsontext quotes a character as a
// backslash and c: '"', '\\' and the control characters with a short
// escape (a '/' it writes as it is).
func isShortEscape(c byte) bool {
	switch c {
	case '"', '\\', 'b', 'f', 'n', 'r', 't':
		return true
	}
	return false
}

// str scans the string at src[i:], returning the index after it and, when
// name is set, its unquoted text (valid until the next call). A string of
// valid UTF-8 without a control character or backslash, but for the
// short escapes jsontext writes (isShortEscape), is quoted as it is
// (jsontext escapes nothing else); any other becomes, as jsontext
// reformats it, the quoting of its unquoted text (written to out when
// that differs from src). A name with a backslash takes the second way,
// which unquotes it.
func (c *canonicalScanner) str(i int, name bool) (int, []byte, bool) {
	v := c.src
	j := i + 1
	// Escapes jsontext writes otherwise are rewritten here as they come;
	// should the string need the slow path after all, that is undone.
	outMark, copiedMark, outWasNil, rewrote := len(c.out), c.copied, c.out == nil, false
	for j < len(v) {
		b := v[j]
		if plainASCII[b] {
			j++
			continue
		}
		if b == '"' {
			return j + 1, v[i+1 : j], true
		}
		if b >= utf8.RuneSelf {
			// Valid UTF-8 is quoted as it is; invalid is left to the
			// slow path below (an error there).
			if r, n := utf8.DecodeRune(v[j:]); r != utf8.RuneError || n > 1 {
				j += n
				continue
			}
			break
		}
		if b == '\\' && !name {
			if j+1 < len(v) && isShortEscape(v[j+1]) {
				j += 2 // written as jsontext writes it: "\"", "\\", "\n"...
				continue
			}
			if repl, n, ok := c.escape(v[j:]); ok {
				if !bytes.Equal(repl, v[j:j+n]) { // "\u0026" for "&", "\/"
					if c.out == nil {
						c.out = make([]byte, 0, len(v))
					}
					c.out = append(append(c.out, v[c.copied:j]...), repl...)
					c.copied, rewrote = j+n, true
				}
				j += n
				continue
			}
		}
		if b < ' ' || b == '\\' {
			break
		}
		j++
	}
	if rewrote {
		c.out, c.copied = c.out[:outMark], copiedMark
		if outWasNil {
			c.out = nil
		}
	}
	// Find the string's end: src is valid, so a quote not escaped ends it.
	for j < len(v) {
		switch v[j] {
		case '\\':
			j += 2
			continue
		case '"':
			j++
			raw := v[i:j]
			var err error
			// jsontext's reformatting unquotes and quotes with the
			// encoder's flags, which differ from these only for invalid
			// UTF-8, an error here.
			if c.text, err = jsontext.AppendUnquote(c.text[:0], raw); err != nil {
				return j, nil, false
			}
			if c.quoted, err = jsontext.AppendQuote(c.quoted[:0], c.text); err != nil {
				return j, nil, false
			}
			if !bytes.Equal(c.quoted, raw) {
				if c.out == nil {
					c.out = make([]byte, 0, len(v))
				}
				c.out = append(append(c.out, v[c.copied:i]...), c.quoted...)
				c.copied = j
			}
			return j, c.text, true
		}
		j++
	}
	return j, nil, false
}

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
	"encoding/json"
	"errors"
	"io"
	"slices"
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

package grafanatest

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// parseK8sObjectSpecFast is parseK8sObjectSpec's result for the bodies a
// client usually sends, decoded with jsontext, which is several times
// cheaper than encoding/json's decoding into interfaces. It gives up (ok
// false) on anything whose decoding it does not reproduce exactly: a
// syntax error (encoding/json's message is the answer), a field of the
// object or its metadata named twice or in another case (encoding/json
// merges or folds them), invalid UTF-8 or a lone surrogate escape in a
// string, a metadata field that is not a string (or not an object of
// strings), or a null where encoding/json would leave a field unset. The
// caller then decodes with encoding/json as before. What it accepts it
// decodes as encoding/json with UseNumber does: objects as
// map[string]any (a name given twice: the last value, as encoding/json
// leaves it), arrays as non-nil []any, numbers as json.Number of the
// literal, the first value of the body only. FuzzParseK8sObjectSpec holds
// it to that. jsontext's own duplicate-name check is off: it costs more
// than the decode, and the spec's maps need no such check.
func parseK8sObjectSpecFast(body []byte) (b *k8sSpecBody, ok bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	obj := &k8sObject{}
	var spec any
	specSeen := false
	seen := map[string]bool{}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, false
		}
		name := tok.String()
		if seen[name] {
			return nil, false
		}
		seen[name] = true
		switch name {
		case "apiVersion":
			if obj.APIVersion, ok = readString(dec); !ok {
				return nil, false
			}
		case "kind":
			if obj.Kind, ok = readString(dec); !ok {
				return nil, false
			}
		case "metadata":
			if !readK8sMetadata(dec, obj) {
				return nil, false
			}
		case "spec":
			if spec, ok = readAny(dec); !ok {
				return nil, false
			}
			specSeen = true
		default:
			if foldsToField(name, "apiVersion", "kind", "metadata", "spec") {
				return nil, false
			}
			if dec.SkipValue() != nil {
				return nil, false
			}
		}
	}
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '}' {
		return nil, false
	}
	b = &k8sSpecBody{obj: obj}
	switch s := spec.(type) {
	case nil:
		if specSeen {
			return nil, false // a null spec: left to encoding/json
		}
		b.spec = map[string]any{}
	case map[string]any:
		b.spec = s
	}
	return b, true
}

// foldsToField reports whether name is not one of fields but equals one
// under Unicode case folding: encoding/json would decode it into that
// field.
func foldsToField(name string, fields ...string) bool {
	for _, f := range fields {
		if name != f && strings.EqualFold(name, f) {
			return true
		}
	}
	return false // encoding/json's folding is bytes.EqualFold's (its foldName)
}

func readString(dec *jsontext.Decoder) (string, bool) {
	if dec.PeekKind() != '"' {
		return "", false
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return "", false
	}
	return tok.String(), true
}

func readK8sMetadata(dec *jsontext.Decoder, obj *k8sObject) bool {
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return false
	}
	m := &obj.Metadata
	seen := map[string]bool{}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return false
		}
		name := tok.String()
		if seen[name] {
			return false
		}
		seen[name] = true
		ok := true
		switch name {
		case "name":
			m.Name, ok = readString(dec)
		case "generateName":
			m.GenerateName, ok = readString(dec)
		case "resourceVersion":
			m.ResourceVersion, ok = readString(dec)
		case "annotations":
			m.Annotations, ok = readStringMap(dec)
		case "labels":
			m.Labels, ok = readStringMap(dec)
		default:
			if foldsToField(name, "name", "generateName", "resourceVersion", "annotations", "labels") {
				return false
			}
			ok = dec.SkipValue() == nil
		}
		if !ok {
			return false
		}
	}
	tok, err := dec.ReadToken()
	return err == nil && tok.Kind() == '}'
}

func readStringMap(dec *jsontext.Decoder) (map[string]string, bool) {
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	m := map[string]string{}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, false
		}
		k := tok.String()
		v, ok := readString(dec)
		if !ok {
			return nil, false
		}
		m[k] = v
	}
	tok, err := dec.ReadToken()
	return m, err == nil && tok.Kind() == '}'
}

// readAny reads one value as encoding/json decodes it into an interface
// with UseNumber.
func readAny(dec *jsontext.Decoder) (any, bool) {
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, false
	}
	switch tok.Kind() {
	case 'n':
		return nil, true
	case 't':
		return true, true
	case 'f':
		return false, true
	case '"':
		return tok.String(), true
	case '0':
		return json.Number(tok.String()), true
	case '{':
		m := map[string]any{}
		for dec.PeekKind() == '"' {
			k, err := dec.ReadToken()
			if err != nil {
				return nil, false
			}
			name := k.String()
			v, ok := readAny(dec)
			if !ok {
				return nil, false
			}
			m[name] = v
		}
		end, err := dec.ReadToken()
		return m, err == nil && end.Kind() == '}'
	case '[':
		a := make([]any, 0)
		for dec.PeekKind() != ']' {
			if dec.PeekKind() == 0 {
				return nil, false
			}
			v, ok := readAny(dec)
			if !ok {
				return nil, false
			}
			a = append(a, v)
		}
		end, err := dec.ReadToken()
		return a, err == nil && end.Kind() == ']'
	}
	return nil, false
}

// readBody reads a request body whole; a read error is kept in the reader
// it returns, so a decoder that reads it meets the error where it would
// have met it reading the body itself.
func readBody(r io.Reader) ([]byte, io.Reader, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return data, io.MultiReader(bytes.NewReader(data), errReader{err}), err
	}
	return data, bytes.NewReader(data), nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

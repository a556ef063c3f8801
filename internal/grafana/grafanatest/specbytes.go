package grafanatest

import (
	"encoding/json"
	"maps"
	"strconv"
	"strings"
)

// encodeStoredSpec is, before the write lock, the stored JSON of a v0/v1
// dashboard save without the members the store decides (id, uid, version):
// json.Marshal's encoding (marshalJSON) of spec with those cut and title set to the trimmed title,
// which is what storeDashboardLocked's encode gives once
// withStoredIdentity has spliced them back. nil when the spec is not an
// object or has no title (the save is refused before anything is stored).
func encodeStoredSpec(spec map[string]any) []byte {
	if spec == nil {
		return nil
	}
	title := strings.TrimSpace(jsonString(spec["title"]))
	if title == "" {
		return nil
	}
	m := maps.Clone(spec)
	delete(m, "id")
	delete(m, "uid")
	delete(m, "version")
	m["title"] = title
	b, err := marshalJSON(m)
	if err != nil {
		return nil // the store encodes it, and reports it, as before
	}
	return b
}

// withStoredIdentity splices "id", "uid" and "version" into encoded (from
// encodeStoredSpec) where json.Marshal's sorted keys put them, giving the
// bytes json.Marshal of the whole stored map gives. ok is false when
// encoded is nil or not of that shape (a top-level key written with an
// escape, whose order the raw bytes do not show; a member named like one
// of the three): the caller then encodes the map.
func withStoredIdentity(encoded []byte, id int64, uid string, version int) (out []byte, ok bool) {
	if encoded == nil {
		return nil, false
	}
	uidJSON, err := json.Marshal(uid)
	if err != nil {
		return nil, false
	}
	add := []struct {
		name  string
		value []byte
	}{
		{"id", strconv.AppendInt(nil, id, 10)},
		{"uid", uidJSON},
		{"version", strconv.AppendInt(nil, int64(version), 10)},
	}
	out = make([]byte, 0, len(encoded)+len(uidJSON)+48)
	out = append(out, '{')
	first := true
	member := func(m []byte) {
		if !first {
			out = append(out, ',')
		}
		out = append(out, m...)
		first = false
	}
	next := 0
	flush := func(before string, all bool) {
		for ; next < len(add) && (all || add[next].name < before); next++ {
			member(append([]byte(`"`+add[next].name+`":`), add[next].value...))
		}
	}
	if len(encoded) < 2 || encoded[0] != '{' {
		return nil, false
	}
	i := 1
	if encoded[i] != '}' {
		for {
			start := i
			keyEnd, ok := skipJSONString(encoded, i)
			if !ok || keyEnd >= len(encoded) || encoded[keyEnd] != ':' {
				return nil, false
			}
			key := string(encoded[start+1 : keyEnd-1])
			if strings.IndexByte(key, '\\') >= 0 || key == "id" || key == "uid" || key == "version" {
				return nil, false
			}
			end, ok := skipJSONValue(encoded, keyEnd+1)
			if !ok || end >= len(encoded) {
				return nil, false
			}
			flush(key, false)
			member(encoded[start:end])
			if encoded[end] == '}' {
				if end+1 != len(encoded) {
					return nil, false
				}
				break
			}
			if encoded[end] != ',' {
				return nil, false
			}
			i = end + 1
		}
	} else if len(encoded) != 2 {
		return nil, false
	}
	flush("", true)
	return append(out, '}'), true
}

// withoutTopLevelKeys returns the JSON object raw without its top-level
// members named keys, keeping the other members' bytes and order. raw must be
// encoding/json's compact output for a map (no whitespace, keys written as
// Marshal writes them, so a key equal to one of keys is spelled exactly so);
// ok is false when raw is not an object of that shape, and the caller then
// decodes and re-encodes instead. Hand-written because encoding/json offers
// no way to drop a member without decoding the whole value or scanning it
// with its (several times slower) state machine.
func withoutTopLevelKeys(raw []byte, keys ...string) (out []byte, ok bool) {
	if len(raw) < 2 || raw[0] != '{' {
		return nil, false
	}
	out = make([]byte, 0, len(raw))
	out = append(out, '{')
	i := 1
	if raw[i] == '}' {
		return append(out, '}'), i+1 == len(raw)
	}
	first := true
	for {
		start := i
		keyEnd, ok := skipJSONString(raw, i)
		if !ok || keyEnd >= len(raw) || raw[keyEnd] != ':' {
			return nil, false
		}
		end, ok := skipJSONValue(raw, keyEnd+1)
		if !ok || end >= len(raw) {
			return nil, false
		}
		drop := false
		key := raw[start+1 : keyEnd-1]
		for _, k := range keys {
			if string(key) == k {
				drop = true
				break
			}
		}
		if !drop {
			if !first {
				out = append(out, ',')
			}
			out = append(out, raw[start:end]...)
			first = false
		}
		switch raw[end] {
		case ',':
			i = end + 1
		case '}':
			return append(out, '}'), end+1 == len(raw)
		default:
			return nil, false
		}
	}
}

// skipJSONString returns the index just past the string starting at raw[i].
func skipJSONString(raw []byte, i int) (int, bool) {
	if i >= len(raw) || raw[i] != '"' {
		return 0, false
	}
	for i++; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++ // the escaped byte; \uXXXX's hex digits hold no quote
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipJSONValue returns the index just past the compact JSON value starting
// at raw[i]. It trusts raw to be valid JSON (it is Marshal's output) and
// only tracks strings and nesting.
func skipJSONValue(raw []byte, i int) (int, bool) {
	if i >= len(raw) {
		return 0, false
	}
	switch raw[i] {
	case '"':
		return skipJSONString(raw, i)
	case '{', '[':
		depth := 0
		for i < len(raw) {
			switch raw[i] {
			case '"':
				end, ok := skipJSONString(raw, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	for j := i; j < len(raw); j++ {
		switch raw[j] {
		case ',', '}', ']':
			if j == i {
				return 0, false
			}
			return j, true
		}
	}
	return 0, false
}

package grafanatest

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

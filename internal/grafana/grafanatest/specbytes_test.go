package grafanatest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWithoutTopLevelKeys checks that cutting id, uid and version out of a
// stored dashboard gives the bytes the decode, delete and re-encode it
// replaces in dashboardObject would, for JSON that tempts a naive scanner.
func TestWithoutTopLevelKeys(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", `{}`},
		{"only rewritten keys", `{"id":3,"uid":"x","version":2}`},
		{"nested id uid version kept", `{"panels":[{"id":1,"uid":"p","version":9,"targets":[{"refId":"A"}]}],"templating":{"list":[]}}`},
		{"braces and quotes in strings", `{"a":"}{][\",","b":{"c":"\\\"}"},"id":"{\"uid\":1}","z":"\u2028<>&"}`},
		{"escaped key spelled like id", `{"i\u0064x":1,"description":"x","tags":["a","b"]}`},
		{"numbers kept exact", `{"n":1.50,"e":1e400,"big":12345678901234567890,"neg":-0}`},
		{"literals", `{"t":true,"f":false,"n":null,"arr":[[],{},[null]]}`},
		{"invalid utf8", "{\"s\":\"\xff\"}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The stored form: storeDashboardLocked's encode of the request.
			data, err := decodeDashboardJSON(json.RawMessage(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			data["id"], data["uid"], data["version"], data["title"] = int64(7), "abc", 3, "T"
			stored, err := json.Marshal(data)
			if err != nil {
				t.Fatal(err)
			}
			// The reference: what dashboardObject did before.
			spec, err := decodeDashboardJSON(stored)
			if err != nil {
				t.Fatal(err)
			}
			delete(spec, "id")
			delete(spec, "uid")
			delete(spec, "version")
			want, err := json.Marshal(spec)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := withoutTopLevelKeys(stored, "id", "uid", "version")
			if !ok {
				t.Fatalf("withoutTopLevelKeys(%s) refused Marshal output", stored)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("spec bytes (-decode/re-encode +cut):\n%s", diff)
			}
		})
	}
}

// TestWithoutTopLevelKeysRefuses: anything that is not a complete compact
// object is refused, so the caller falls back to decoding.
func TestWithoutTopLevelKeysRefuses(t *testing.T) {
	for _, in := range []string{``, `[]`, `"x"`, `{`, `{"a":1`, `{"a":1}x`, `{"a" :1}`, `{"a":}`, `{"a":"x}`, `{"a":[1}`, `{}x`} {
		if got, ok := withoutTopLevelKeys([]byte(in), "id"); ok {
			t.Errorf("withoutTopLevelKeys(%q) = %q, true; want refused", in, got)
		}
	}
}

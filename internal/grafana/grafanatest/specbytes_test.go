package grafanatest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/benchrepo"
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

// TestDecodeK8sObjectSpecAgrees: decoding a v0/v1 dashboard body in one pass
// answers exactly as decodeK8sObject followed by decodeDashboardJSON did:
// the same metadata, the same spec (numbers exact), nil for a spec that is
// not an object, and byte-identical 400s for malformed bodies.
func TestDecodeK8sObjectSpecAgrees(t *testing.T) {
	for _, tc := range []struct{ name, url, body string }{
		{"object", "", `{"apiVersion":"dashboard.grafana.app/v1","kind":"Dashboard","metadata":{"name":"a","generateName":"g","resourceVersion":"3","annotations":{"grafana.app/folder":"f"},"labels":{"l":"v"}},"spec":{"title":"T","n":1.50,"panels":[{"id":1}]}}`},
		{"spec absent", "", `{"metadata":{"name":"a"}}`},
		{"spec null", "", `{"metadata":{"name":"a"},"spec":null}`},
		{"spec array", "", `{"metadata":{"name":"a"},"spec":[1]}`},
		{"spec string", "", `{"metadata":{"name":"a"},"spec":"x"}`},
		{"spec number", "", `{"metadata":{"name":"a"},"spec":3}`},
		{"name mismatch", "b", `{"metadata":{"name":"a"},"spec":{}}`},
		{"name matches", "a", `{"metadata":{"name":"a"},"spec":{}}`},
		{"syntax error", "", `{"metadata":{"name":"a"},"spec":{"title":}`},
		{"empty body", "", ``},
		{"kind of wrong type", "", `{"kind":5,"spec":{}}`},
		{"metadata of wrong type", "", `{"metadata":3}`},
		{"annotation of wrong type", "", `{"metadata":{"annotations":{"a":1}}}`},
		{"name of wrong type", "", `{"metadata":{"name":5}}`},
		{"not an object", "", `[1,2]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call := func() (*apiCall, *httptest.ResponseRecorder) {
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodPost, "/apis/x", strings.NewReader(tc.body))
				return &apiCall{call: &call{w: w, r: r}, name: tc.url}, w
			}
			k, wantW := call()
			wantObj, wantOK := decodeK8sObject(k)
			var wantSpec map[string]any
			if wantOK {
				if s, err := decodeDashboardJSON(wantObj.Spec); err == nil {
					wantSpec = s
				}
				wantObj.Spec = nil
			}
			for _, before := range []bool{false, true} {
				k, gotW := call()
				if before { // as writeDecoded does before taking the lock
					k.body = parseK8sObjectSpec(k.r.Body)
				}
				gotObj, gotSpec, gotOK := decodeK8sObjectSpec(k)
				if gotOK != wantOK {
					t.Fatalf("decoded before the lock %v: ok = %v, want %v", before, gotOK, wantOK)
				}
				if diff := cmp.Diff(wantW.Code, gotW.Code); diff != "" {
					t.Errorf("status (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(wantW.Body.String(), gotW.Body.String()); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
				if !wantOK {
					continue
				}
				if diff := cmp.Diff(wantObj, gotObj); diff != "" {
					t.Errorf("object (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(wantSpec, gotSpec); diff != "" {
					t.Errorf("spec (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestStoredSpecSpliced: encoding a v0/v1 save before the write lock and
// splicing id, uid and version in under it (encodeStoredSpec,
// withStoredIdentity) stores the very bytes encoding the whole map under
// the lock did, so every answer built from the stored JSON is unchanged;
// a shape whose key order the raw bytes cannot show is refused, and the
// store encodes the map as before.
func TestStoredSpecSpliced(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		refused  bool
	}{
		{"only a title", `{"title":"T"}`, false},
		{"title trimmed", `{"title":"  T \n"}`, false},
		{"identity members replaced", `{"id":99,"uid":"old","version":12,"title":"T"}`, false},
		{"keys around id uid version", `{"i":1,"ia":2,"id0":3,"ie":4,"u":5,"ui":6,"uid0":7,"uie":8,"v":9,"versio":10,"version0":11,"w":12,"title":"T"}`, false},
		{"upper case and symbols sort first", `{"ID":1,"UID":2,"Version":3,"_x":4,"$y":5,"title":"T"}`, false},
		{"non-ASCII keys sort last", `{"é":1,"ü":2,"title":"T","zz":3}`, false},
		{"nested id uid version kept", `{"panels":[{"id":1,"uid":"p","version":9}],"title":"T"}`, false},
		{"braces and quotes in strings", `{"a":"}{][\",","b":{"c":"\\\"}"},"title":"T","z":"\u2028<>&"}`, false},
		{"numbers kept exact", `{"n":1.50,"e":1e400,"big":12345678901234567890,"neg":-0,"title":"T"}`, false},
		{"invalid utf8 value", "{\"s\":\"\xff\",\"title\":\"T\"}", false},
		{"key with an HTML escape", `{"i<":1,"title":"T"}`, true},
		{"key with U+2028", `{"i` + "\u2028" + `":1,"title":"T"}`, true},
		{"key of invalid utf8 (decoded as U+FFFD)", "{\"i\xff\":1,\"title\":\"T\"}", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := decodeDashboardJSON(json.RawMessage(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			encoded := encodeStoredSpec(spec)
			if encoded == nil {
				t.Fatal("encodeStoredSpec gave nothing for a spec with a title")
			}
			// The reference: storeDashboardLocked's encode of the whole map.
			spec["id"], spec["uid"], spec["version"], spec["title"] = int64(7), "abc-1_Z", 3, strings.TrimSpace(jsonString(spec["title"]))
			want, err := json.Marshal(spec)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := withStoredIdentity(encoded, 7, "abc-1_Z", 3)
			if ok == tc.refused {
				t.Fatalf("withStoredIdentity(%s) ok = %v, want %v", encoded, ok, !tc.refused)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("stored bytes (-encode the map +splice):\n%s", diff)
			}
		})
	}
	for _, in := range []string{``, `[]`, `{`, `{"a":1`, `{"a":1}x`, `{}x`, `{"a" :1}`} {
		if got, ok := withStoredIdentity([]byte(in), 1, "u", 1); ok {
			t.Errorf("withStoredIdentity(%q) = %q, true; want refused", in, got)
		}
	}
	if got, ok := withStoredIdentity([]byte(`{}`), 1, "u", 2); !ok || string(got) != `{"id":1,"uid":"u","version":2}` {
		t.Errorf("withStoredIdentity({}) = %q, %v", got, ok)
	}
	if encodeStoredSpec(map[string]any{"title": " "}) != nil || encodeStoredSpec(nil) != nil {
		t.Error("encodeStoredSpec encoded a spec the save refuses")
	}
}

// k8sBodySeeds are request bodies for FuzzParseK8sObjectSpec: the shapes
// clients send and the ones parseK8sObjectSpecFast must leave to
// encoding/json.
var k8sBodySeeds = []string{
	`{"apiVersion":"dashboard.grafana.app/v1","kind":"Dashboard","metadata":{"name":"a","generateName":"g","resourceVersion":"3","annotations":{"grafana.app/folder":"f"},"labels":{"l":"v"},"uid":"x"},"spec":{"title":"T","n":1.50,"panels":[{"id":1,"e":[]}],"x":null,"b":true}}`,
	`{"metadata":{"name":"a"}}`, `{"metadata":{"name":"a"},"spec":null}`, `{"spec":[1]}`, `{"spec":"x"}`, `{"spec":3}`,
	`{"Spec":{"a":1}}`, `{"SPEC":{"a":1},"spec":{"b":2}}`, `{"metadata":{"Name":"x"}}`, `{"metadata":{"name":null}}`,
	`{"metadata":null}`, `{"metadata":{"annotations":null}}`, `{"metadata":{"annotations":{"a":1}}}`, `{"kind":5}`,
	`{"spec":{"a":1,"a":2,"o":{"x":1},"o":{"y":2}}}`, `{"metadata":{"name":"a"},"metadata":{"generateName":"b"}}`,
	`{"metadata":{"annotations":{"a":"1"},"annotations":{"b":"2"}}}`, `{"spec":{"a":1},"spec":{"b":2}}`, `{"x":1,"x":2,"spec":{}}`, `{"spec":{"s":"\ud800"}}`, "{\"spec\":{\"s\":\"\xff\"}}", `{"spec":{"s":"\ud83d\ude00\u00e9\n"}}`,
	`{"spec":{}} trailing`, ` {"spec":{}}`, "\ufeff{}", ``, `[1,2]`, `{"spec":{"title":}`, `{"status":{"x":[1,{"y":2}]},"spec":{}}`,
	`{"spec":{"deep":[[[[[[{"a":[1e5,-0.0,1E-2]}]]]]]]}}`, `{"ſpec":{}}`, `{"K":"x","kind":"y"}`,
}

// FuzzParseK8sObjectSpec: a body parseK8sObjectSpecFast takes is decoded
// exactly as encoding/json decodes it (the same object and spec, no
// error), and parseK8sObjectSpec agrees with encoding/json on every body.
func FuzzParseK8sObjectSpec(f *testing.F) {
	for _, s := range k8sBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkParseK8sObjectSpec(t, body)
	})
}

func checkParseK8sObjectSpec(t *testing.T, body []byte) {
	t.Helper()
	want := parseK8sObjectSpecStd(bytes.NewReader(body))
	got := parseK8sObjectSpec(bytes.NewReader(body))
	if fast, ok := parseK8sObjectSpecFast(body); ok && want.err != nil {
		t.Fatalf("%q: the fast decode took a body encoding/json refuses (%v): %+v", body, want.err, fast)
	}
	if (want.err == nil) != (got.err == nil) || (want.err != nil && want.err.Error() != got.err.Error()) {
		t.Fatalf("%q: error %v, want %v", body, got.err, want.err)
	}
	if diff := cmp.Diff(want.obj, got.obj); diff != "" {
		t.Fatalf("%q: object (-encoding/json +parseK8sObjectSpec):\n%s", body, diff)
	}
	if diff := cmp.Diff(want.spec, got.spec); diff != "" {
		t.Fatalf("%q: spec (-encoding/json +parseK8sObjectSpec):\n%s", body, diff)
	}
}

// TestParseK8sObjectSpecFast runs the seeds and real-sized dashboard
// bodies through the comparison, and checks the fast decode takes the
// bodies clients send.
func TestParseK8sObjectSpecFast(t *testing.T) {
	for _, s := range k8sBodySeeds {
		checkParseK8sObjectSpec(t, []byte(s))
	}
	for i := range 10 {
		body := []byte(`{"apiVersion":"dashboard.grafana.app/v1","kind":"Dashboard","metadata":{"name":"d","annotations":{"grafana.app/folder":"f"}},"spec":` + string(benchrepo.Dashboard(t, i)) + `}`)
		checkParseK8sObjectSpec(t, body)
		if _, ok := parseK8sObjectSpecFast(body); !ok {
			t.Errorf("dashboard %d: the fast decode gave up on a client's body", i)
		}
	}
}

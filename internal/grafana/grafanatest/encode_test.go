package grafanatest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/benchrepo"
)

// marshalJSONSeeds are JSON texts whose decoded values tempt an encoder:
// every escape encoding/json writes, invalid UTF-8, key order by bytes,
// numbers kept as written, empty and nested containers.
var marshalJSONSeeds = []string{
	`{}`, `[]`, `null`, `true`, `"x"`, `0`, `-0.5e+10`,
	`{"b":1,"a":2,"B":3,"_":4,"é":5,"a\u0000":6,"":7}`,
	`{"s":"<>&\"\\/\b\f\n\r\t\u0001\u001f\u007f\u2028\u2029\ud83d\ude00 é"}`,
	"{\"bad\":\"\xff\xfe\xc3\",\"k\xff\":1}",
	`{"n":[1,1.50,1e400,12345678901234567890,-0,0.0e-0]}`,
	`{"a":{"b":{"c":[[],{},[null,false,true]]}}}`,
	`{"lone":"\ud800","pair":"\ud800\udc00","rev":"\udc00\ud800"}`,
	`{"<k>":"&","k&":{"x<":[">"]}}`,
}

// FuzzMarshalJSON: for any JSON a request may carry, decoded as the
// emulator decodes it (UseNumber), marshalJSON gives json.Marshal's bytes,
// or an error where it gives one.
func FuzzMarshalJSON(f *testing.F) {
	for _, s := range marshalJSONSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkMarshalJSON(t, data)
	})
}

func checkMarshalJSON(t *testing.T, data []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return
	}
	want, wantErr := json.Marshal(v)
	got, gotErr := marshalJSON(v)
	if (wantErr != nil) != (gotErr != nil) {
		t.Fatalf("%q: json.Marshal error %v, marshalJSON error %v", data, wantErr, gotErr)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("%q (-json.Marshal +marshalJSON):\n%s", data, diff)
	}
}

// TestMarshalJSON runs the seeds and real-sized dashboards (benchrepo)
// through the same comparison, and values no decode gives.
func TestMarshalJSON(t *testing.T) {
	for _, s := range marshalJSONSeeds {
		checkMarshalJSON(t, []byte(s))
	}
	for i := range 20 {
		checkMarshalJSON(t, benchrepo.Dashboard(t, i))
	}
	for _, v := range []any{
		map[string]any{"id": int64(7), "version": 3, "f": 1.5, "nilmap": map[string]any(nil), "nilslice": []any(nil), "num": json.Number("")},
		json.Number("1x"), json.Number("01"), json.Number("-"), json.Number("1e"), json.Number("1."),
	} {
		want, wantErr := json.Marshal(v)
		got, gotErr := marshalJSON(v)
		if (wantErr != nil) != (gotErr != nil) || string(want) != string(got) {
			t.Errorf("%#v: json.Marshal %s, %v; marshalJSON %s, %v", v, want, wantErr, got, gotErr)
		}
	}
}

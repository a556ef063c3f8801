package load

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWhatIsNotReadSilently: YAML that Grafana (yaml.v3 Unmarshal) would
// read differently from what was written, and text PostgreSQL-backed
// Grafana refuses, are refused at their position.
func TestWhatIsNotReadSilently(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			// Grafana's configReader reads a file with yaml.Unmarshal, which
			// decodes the first document and drops the rest.
			name:  "a second document in a datasource file",
			files: map[string]string{"datasources/a.yaml": dsProm + "---\napiVersion: 1\ndatasources:\n  - {name: Loki, type: loki}\n"},
			want:  []string{`datasources/a.yaml:7:1: invalid YAML: a second document starts here; a file holds one document`},
		},
		{
			name:  "a second document in a YAML dashboard",
			files: map[string]string{"dashboards/a.yaml": "title: A\n--- \ntitle: B\n"},
			want:  []string{`dashboards/a.yaml:3:1: invalid YAML: a second document starts here; a file holds one document`},
		},
		{
			name:  "a leading document marker and an empty trailing document are one document",
			files: map[string]string{"datasources/a.yaml": "---\n" + dsProm + "---\n"},
		},
		{
			name:  "a syntax error in a second document is reported",
			files: map[string]string{"datasources/a.yaml": dsProm + "---\na: [\n"},
			want:  []string{`datasources/a.yaml:7:1: invalid YAML: did not find expected node content`},
		},
		{
			name:  "a custom tag",
			files: map[string]string{"datasources/a.yaml": dsProm + "    url: !vault secret/prom\n"},
			want:  []string{`datasources/a.yaml:6:10: datasources[0].url: unknown YAML tag "!vault"`},
		},
		{
			name:  "a custom tag on a mapping in a dashboard",
			files: map[string]string{"dashboards/a.yaml": "title: A\npanels:\n  - !panel {id: 1}\n"},
			want:  []string{`dashboards/a.yaml:3:5: panels[0]: unknown YAML tag "!panel"`},
		},
		{
			name:  "a standard tag yaml.v3 does not decode",
			files: map[string]string{"dashboards/a.yaml": "title: A\ntags: !!set {a, b}\n"},
			want:  []string{`dashboards/a.yaml:2:7: tags: unknown YAML tag "!!set"`},
		},
		{
			name:  "a tag that does not fit its value",
			files: map[string]string{"datasources/a.yaml": dsProm + "    jsonData: {timeout: !!int soon}\n"},
			want:  []string{`datasources/a.yaml:6:25: datasources[0].jsonData.timeout: "soon" is not a valid !!int`},
		},
		{
			name:  "standard tags that fit",
			files: map[string]string{"datasources/a.yaml": dsProm + "    jsonData: {timeout: !!int '30', label: !!str 5, on: !!bool true, at: !!timestamp 2024-01-01, none: !!null ~, f: !!float 1}\n"},
		},
		{
			name:  "NUL in a JSON title",
			files: map[string]string{"dashboards/a.json": "{\n  \"title\": \"A\\u0000B\"\n}"},
			want:  []string{`dashboards/a.json:2:14: a NUL character (\u0000) in a string`},
		},
		{
			name:  "NUL in a JSON key",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "x\u0000": 1}`},
			want:  []string{`dashboards/a.json:1:18: a NUL character (\u0000) in a string`},
		},
		{
			name:  "a lone high surrogate",
			files: map[string]string{"dashboards/a.json": `{"title": "A\ud800"}`},
			want:  []string{`dashboards/a.json:1:13: invalid UTF-16 escape \ud800: a high surrogate must be followed by a low surrogate (\udc00-\udfff)`},
		},
		{
			name:  "a lone low surrogate",
			files: map[string]string{"dashboards/a.json": `{"title": "A", "description": "\uDC00x"}`},
			want:  []string{`dashboards/a.json:1:32: invalid UTF-16 escape \uDC00: a low surrogate without a high surrogate before it`},
		},
		{
			name:  "a surrogate pair, an escaped backslash and other escapes are fine",
			files: map[string]string{"dashboards/a.json": `{"title": "A \ud83d\ude00 \\u0000 \" \u00e9"}`},
		},
		{
			name:  "invalid UTF-8 in a JSON dashboard",
			files: map[string]string{"dashboards/a.json": "{\"title\": \"caf\xe9\"}"},
			want:  []string{`dashboards/a.json:1:15: invalid UTF-8 (byte 0xe9): save the file as UTF-8`},
		},
		{
			name:  "NUL in YAML through an escape",
			files: map[string]string{"datasources/a.yaml": dsProm + "    jsonData: {header: \"a\\0b\"}\n"},
			want:  []string{`datasources/a.yaml:6:24: datasources[0].jsonData.header: a NUL character (\0) in a string`},
		},
		{
			name:  "NUL in a YAML dashboard key",
			files: map[string]string{"dashboards/a.yaml": "title: A\n\"x\\x00\": 1\n"},
			want:  []string{`dashboards/a.yaml:2:1: top level: a NUL character (\0) in a key`},
		},
		{
			// yaml.v3 refuses surrogate escapes itself.
			name:  "a lone surrogate in YAML",
			files: map[string]string{"dashboards/a.yaml": "title: \"A\\ud800\"\n"},
			want:  []string{`dashboards/a.yaml:1:1: invalid YAML: found invalid Unicode character escape code`},
		},
		{
			name:  "a NUL in a folder title",
			files: map[string]string{"dashboards/x/_folder.yaml": "title: \"X\\0\"\n", "dashboards/x/a.json": `{"title": "A"}`},
			want:  []string{`dashboards/x/_folder.yaml:1:8: title: a NUL character (\0) in a string`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loadProblems(t, tt.files, tt.want)
		})
	}
}

// TestBinaryTagIsDecoded: a !!binary scalar is its base64-decoded text, as
// yaml.v3 (and so Grafana) decodes it into a string; bytes that are not
// UTF-8 text cannot travel in JSON and are refused.
func TestBinaryTagIsDecoded(t *testing.T) {
	files := map[string]string{"datasources/a.yaml": dsProm + "    jsonData: {header: !!binary aGVsbG8=, since: !!timestamp 2024-01-02, day: 2024-01-02}\n    url: !!binary aHR0cDovL3A6OTA5MA==\n"}
	st, ps := Load(mapFS(files), Options{})
	if len(ps) > 0 {
		t.Fatalf("problems: %v", shorts(ps))
	}
	ds := st.Orgs[0].Datasources[0]
	// An explicit !!timestamp is a time.Time to yaml.v3, which Grafana
	// marshals as RFC 3339; an untagged date stays the text written.
	got := []any{ds.JSONData["header"], ds.URL, ds.JSONData["since"], ds.JSONData["day"]}
	if diff := cmp.Diff([]any{"hello", "http://p:9090", "2024-01-02T00:00:00Z", "2024-01-02"}, got); diff != "" {
		t.Errorf("decoded values (-want +got):\n%s", diff)
	}
	_, ps = Load(mapFS(map[string]string{"datasources/a.yaml": dsProm + "    jsonData: {header: !!binary /w==}\n"}), Options{})
	want := []string{`datasources/a.yaml:6:24: datasources[0].jsonData.header: !!binary value is not UTF-8 text`}
	if diff := cmp.Diff(want, shorts(ps)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestMergeKeys: a merge key (<<) is read as yaml.v3 (and so Grafana's
// provisioning) reads it: the merged keys are the mapping's own, keys
// written in the mapping win, and the earlier of several merged mappings
// wins. It is not an unknown key named "<<".
func TestMergeKeys(t *testing.T) {
	files := map[string]string{"datasources/a.yaml": `apiVersion: 1
common: &common {type: prometheus, access: proxy, jsonData: {httpMethod: POST, timeInterval: 15s}}
fast: &fast {jsonData: {timeInterval: 5s}, editable: true}
datasources:
  - <<: *common
    name: a
    url: http://a:9090
  - <<: [*fast, *common]
    name: b
    access: direct
    jsonData:
      <<: {httpMethod: GET, custom: x}
      httpMethod: POST
`}
	st, ps := Load(mapFS(files), Options{})
	// "common" and "fast" are not provisioning keys: Grafana ignores them,
	// so they are warnings, and nothing else is reported.
	want := []string{
		`datasources/a.yaml:2:1: warning: top level: key "common" is ignored`,
		`datasources/a.yaml:3:1: warning: top level: key "fast" is ignored`,
	}
	if diff := cmp.Diff(want, shorts(ps)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	var got []any
	for _, ds := range st.Orgs[0].Datasources {
		got = append(got, []any{ds.Name, ds.Type, ds.Access, ds.Editable, ds.JSONData})
	}
	wantDS := []any{
		[]any{"a", "prometheus", "proxy", false, map[string]any{"httpMethod": "POST", "timeInterval": "15s"}},
		[]any{"b", "prometheus", "direct", true, map[string]any{"httpMethod": "POST", "custom": "x"}},
	}
	if diff := cmp.Diff(wantDS, got); diff != "" {
		t.Errorf("datasources (-want +got):\n%s", diff)
	}
	_, ps = Load(mapFS(map[string]string{"datasources/a.yaml": dsProm + "    <<: 5\n"}), Options{})
	if diff := cmp.Diff([]string{`datasources/a.yaml:6:9: datasources[0]: a merge (<<) takes a mapping or a list of mappings, found "5"`}, shorts(ps)); diff != "" {
		t.Errorf("merge of a scalar (-want +got):\n%s", diff)
	}
}

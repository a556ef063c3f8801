package fleet

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRetemplate(t *testing.T) {
	vars := map[string]string{"tenant": "acme", "region": "eu", "org": "acme-prod", "quote": `a"b`, "same": "acme"}
	tests := []struct {
		name, file, old, pulled string
		want                    string
		ambiguous               []string
	}{
		{name: "round trip: an unchanged expansion comes back as written",
			file: "dashboards/d.json", old: `{"title": "Overview ${fleet.tenant}", "x": "${fleet.org}"}`,
			pulled: `{"title": "Overview acme", "x": "acme-prod"}`,
			want:   `{"title": "Overview ${fleet.tenant}", "x": "${fleet.org}"}`},
		{name: "a change elsewhere keeps the placeholders; a new occurrence of a used value becomes one too",
			file: "dashboards/d.json", old: `{"title": "Overview ${fleet.tenant}"}`,
			pulled: `{"description": "for acme", "title": "Overview acme"}`,
			want:   `{"description": "for ${fleet.tenant}", "title": "Overview ${fleet.tenant}"}`},
		{name: "a key the file did not use is never put back",
			file: "dashboards/d.json", old: `{"title": "${fleet.tenant}"}`,
			pulled: `{"title": "acme", "region": "eu"}`,
			want:   `{"title": "${fleet.tenant}", "region": "eu"}`},
		{name: "the longer value wins where one holds another",
			file: "dashboards/d.json", old: `{"a": "${fleet.tenant}", "b": "${fleet.org}"}`,
			pulled: `{"a": "acme", "b": "acme-prod"}`,
			want:   `{"a": "${fleet.tenant}", "b": "${fleet.org}"}`},
		{name: "a value the file also held literally stays as written",
			file: "dashboards/d.json", old: `{"a": "${fleet.tenant}", "b": "acme"}`,
			pulled: `{"a": "acme", "b": "acme"}`,
			want:   `{"a": "acme", "b": "acme"}`, ambiguous: []string{"tenant"}},
		{name: "two keys of one value are ambiguous",
			file: "dashboards/d.json", old: `{"a": "${fleet.tenant}", "b": "${fleet.same}"}`,
			pulled: `{"a": "acme", "b": "acme"}`,
			want:   `{"a": "acme", "b": "acme"}`, ambiguous: []string{"same", "tenant"}},
		{name: "a value after a $ would read as a literal $${fleet.KEY}",
			file: "dashboards/d.json", old: `{"a": "${fleet.tenant}"}`,
			pulled: `{"a": "$acme"}`,
			want:   `{"a": "$acme"}`, ambiguous: []string{"tenant"}},
		{name: "JSON files hold the value escaped",
			file: "dashboards/d.json", old: `{"a": "${fleet.quote}"}`,
			pulled: `{"a": "a\"b"}`,
			want:   `{"a": "${fleet.quote}"}`},
		{name: "YAML: a variable's name built from a value",
			file: "datasources/ds.yaml", old: "secureJsonData: {h: \"${LOKI_${fleet.tenant}}\"}\n",
			pulled: "secureJsonData:\n  h: ${LOKI_acme}\n",
			want:   "secureJsonData:\n  h: ${LOKI_${fleet.tenant}}\n"},
		{name: "a literal $${fleet.KEY} in the old file is not a use",
			file: "dashboards/d.json", old: `{"a": "$${fleet.tenant}"}`,
			pulled: `{"a": "acme"}`,
			want:   `{"a": "acme"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, amb := Retemplate(tc.file, []byte(tc.old), []byte(tc.pulled), vars)
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.ambiguous, amb); diff != "" {
				t.Errorf("ambiguous (-want +got):\n%s", diff)
			}
			if len(tc.ambiguous) == 0 {
				// What was put back expands to what was pulled.
				back, missing := Expand(tc.file, got, vars)
				if len(missing) > 0 || string(back) != tc.pulled {
					t.Errorf("Expand(Retemplate) = %s, missing %v; want the pulled file %s", back, missing, tc.pulled)
				}
			}
		})
	}
}

func TestMentions(t *testing.T) {
	vars := map[string]string{"tenant": "acme", "region": "eu", "org": "acme-prod"}
	got := Mentions("dashboards/d.json", []byte(`{"title": "acme-prod in eu"}`), vars)
	if diff := cmp.Diff([]string{"org", "tenant"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

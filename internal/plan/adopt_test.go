package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAdoption: an update of a resource made outside grafsync that only
// adds grafsync's marker (and secrets Grafana never returned) is an
// adoption; anything else is an ordinary update.
func TestAdoption(t *testing.T) {
	dash := func(title string, marked bool) map[string]any {
		d := map[string]any{"title": title, "grafsync": map[string]any{}}
		if marked {
			d["grafsync"] = map[string]any{"managed": true}
		}
		return d
	}
	ds := func(marked bool, secret string) map[string]any {
		d := map[string]any{"url": "http://x", "grafsync": map[string]any{}, "secureJsonData": map[string]any{"password": secret}}
		if marked {
			d["grafsync"] = map[string]any{"managed": true}
		}
		return d
	}
	for _, tt := range []struct {
		name        string
		desired     Resource
		live        Resource
		wantAdopt   bool
		wantSecrets []string
		wantLine    map[Kind]int
	}{
		{"marker only", Resource{Kind: Dashboard, ID: "a", Doc: dash("A", true), Marker: "grafsync"},
			Resource{Kind: Dashboard, ID: "a", Doc: dash("A", false)}, true, nil, map[Kind]int{Dashboard: 1}},
		{"marker and content", Resource{Kind: Dashboard, ID: "a", Doc: dash("B", true), Marker: "grafsync"},
			Resource{Kind: Dashboard, ID: "a", Doc: dash("A", false)}, false, nil, map[Kind]int{}},
		{"managed already", Resource{Kind: Dashboard, ID: "a", Doc: dash("B", true), Marker: "grafsync"},
			Resource{Kind: Dashboard, ID: "a", Doc: dash("A", true), Managed: true}, false, nil, map[Kind]int{}},
		{"secret unknown, value not set here", Resource{Kind: Datasource, ID: "l", Doc: ds(true, "unknown"), Marker: "grafsync", Secrets: []string{"secureJsonData"}},
			Resource{Kind: Datasource, ID: "l", Doc: ds(false, "unknown"), Secrets: []string{"secureJsonData"}}, true, []string{"password"}, map[Kind]int{Datasource: 1}},
		{"secret unknown, value set", Resource{Kind: Datasource, ID: "l", Doc: ds(true, "argon2id-v1:x"), Marker: "grafsync", Secrets: []string{"secureJsonData"}},
			Resource{Kind: Datasource, ID: "l", Doc: ds(false, "unknown"), Secrets: []string{"secureJsonData"}}, true, []string{"password"}, map[Kind]int{Datasource: 1}},
		{"secret known and changed", Resource{Kind: Datasource, ID: "l", Doc: ds(true, "argon2id-v1:y"), Marker: "grafsync", Secrets: []string{"secureJsonData"}},
			Resource{Kind: Datasource, ID: "l", Doc: ds(false, "argon2id-v1:x"), Secrets: []string{"secureJsonData"}}, false, nil, map[Kind]int{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Make("", []Resource{tt.desired}, []Resource{tt.live}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			c := p.Changes[0]
			if c.Action != Update {
				t.Fatalf("action %s, want update", c.Action)
			}
			if c.Adopt != tt.wantAdopt {
				t.Errorf("Adopt = %v, want %v (diff %v)", c.Adopt, tt.wantAdopt, c.Diff)
			}
			if diff := cmp.Diff(tt.wantSecrets, c.SecretsOnce); diff != "" {
				t.Errorf("SecretsOnce (-want +got):\n%s", diff)
			}
			byKind, _ := p.Adoption()
			if diff := cmp.Diff(tt.wantLine, byKind); diff != "" {
				t.Errorf("Adoption (-want +got):\n%s", diff)
			}
		})
	}
}

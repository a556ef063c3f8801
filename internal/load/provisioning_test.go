package load

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/resource"
)

// TestProvisioningScalars: Grafana reads a datasource's booleans and
// integers as the scalar's text, after expanding $VAR
// (pkg/services/provisioning/values: BoolValue → strconv.ParseBool,
// IntValue → strconv.Atoi, Int64Value → strconv.ParseInt(s, 10, 64); null
// leaves the field unset, an integer that expands to "" is unset too). So
// quoted "true" and "1" work, and YAML 1.1 words (yes, on) or hex
// integers refuse the whole file.
func TestProvisioningScalars(t *testing.T) {
	tests := []struct {
		name string
		ds   string // one datasource's extra keys, inside {name: a, type: loki, ...}
		env  map[string]string
		want []string
		// check is the value of the datasource's booleans when there is no
		// problem: basicAuth, withCredentials, isDefault, editable.
		check [4]bool
	}{
		{name: "quoted true", ds: `basicAuth: "true", withCredentials: 'TRUE', isDefault: "1", editable: "t"`, check: [4]bool{true, true, true, true}},
		{name: "ParseBool forms", ds: `basicAuth: True, withCredentials: 1, isDefault: T, editable: F`, check: [4]bool{true, true, true, false}},
		{name: "null is unset", ds: `basicAuth: ~, isDefault: null, editable: false`},
		{name: "expanded", ds: `basicAuth: $ON`, env: map[string]string{"ON": "1"}, check: [4]bool{true, false, false, false}},
		{
			name: "quoted yes is refused",
			ds:   `isDefault: "yes"`,
			want: []string{`datasources/a.yaml:3:38: datasources[0].isDefault: "yes" is not a boolean`},
		},
		{
			name: "plain yes, on and an empty string are refused too",
			ds:   `isDefault: yes, basicAuth: on, editable: ""`,
			want: []string{
				`datasources/a.yaml:3:38: datasources[0].isDefault: "yes" is not a boolean`,
				`datasources/a.yaml:3:54: datasources[0].basicAuth: "on" is not a boolean`,
				`datasources/a.yaml:3:68: datasources[0].editable: "" is not a boolean`,
			},
		},
		{
			name: "a list is not a boolean",
			ds:   `isDefault: [true]`,
			want: []string{`datasources/a.yaml:3:38: datasources[0].isDefault: want true or false, found a list`},
		},
		{name: "quoted integers", ds: `orgId: "1", version: '3'`},
		{name: "a null or empty integer is unset", ds: `orgId: ~, version: ""`},
		{
			name: "hex, float and word integers are refused",
			ds:   `orgId: 0x1, version: 1.5`,
			want: []string{
				`datasources/a.yaml:3:34: datasources[0].orgId: want a whole number in decimal digits, found "0x1"`,
				`datasources/a.yaml:3:48: datasources[0].version: want a whole number in decimal digits, found "1.5"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"datasources/a.yaml": "apiVersion: 1\ndatasources:\n  - {name: a, type: loki, " + tt.ds + "}\n"}
			st, got := Load(mapFS(files), Options{Getenv: func(k string) string { return tt.env[k] }})
			if tt.want == nil {
				tt.want = []string{}
			}
			if diff := cmp.Diff(tt.want, shorts(got)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if len(got) > 0 {
				return
			}
			ds := st.Orgs[0].Datasources[0]
			if diff := cmp.Diff(tt.check, [4]bool{ds.BasicAuth, ds.WithCredentials, ds.IsDefault, ds.Editable}); diff != "" {
				t.Errorf("basicAuth, withCredentials, isDefault, editable (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProvisioningBoolHint: the hint lists the forms Grafana accepts.
func TestProvisioningBoolHint(t *testing.T) {
	files := map[string]string{"datasources/a.yaml": "apiVersion: 1\ndatasources:\n  - {name: a, type: loki, isDefault: 'yes'}\n"}
	_, ps := Load(mapFS(files), Options{})
	want := "datasources/a.yaml:3:38: datasources[0].isDefault: \"yes\" is not a boolean\n" +
		"\thint: Grafana reads it with Go's strconv.ParseBool, which accepts true, false, 1, 0, t, f, T, F, TRUE, FALSE, True, False (quoted or not)"
	if len(ps) != 1 || ps[0].String() != want {
		t.Errorf("problems = %v\nwant %s", ps, want)
	}
}

// TestProvisioningPruneAndDeleteOrgID: the file's prune and a
// deleteDatasources orgId follow the same rules.
func TestProvisioningPruneAndDeleteOrgID(t *testing.T) {
	files := map[string]string{"datasources/a.yaml": "apiVersion: 1\nprune: \"true\"\ndeleteDatasources:\n  - {name: old, orgId: \"1\"}\n"}
	st, ps := Load(mapFS(files), Options{})
	if len(ps) > 0 {
		t.Fatalf("problems: %v", shorts(ps))
	}
	org := st.Orgs[0]
	if !org.PruneDatasources {
		t.Errorf("prune: \"true\" did not set PruneDatasources")
	}
	want := []resource.DatasourceRef{{Name: "old", OrgID: 1, Source: resource.Pos{File: "datasources/a.yaml", Line: 4, Col: 5}}}
	if diff := cmp.Diff(want, org.DeleteDatasources); diff != "" {
		t.Errorf("deleteDatasources (-want +got):\n%s", diff)
	}
	_, ps = Load(mapFS(map[string]string{"datasources/a.yaml": "apiVersion: 1\nprune: yes\n"}), Options{})
	if diff := cmp.Diff([]string{`datasources/a.yaml:2:8: prune: "yes" is not a boolean`}, shorts(ps)); diff != "" {
		t.Errorf("prune: yes (-want +got):\n%s", diff)
	}
}

package load

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/problem"
)

// TestURLCredentials: credentials in a datasource URL are refused with a
// hint, naming file, line, column and field and never the value: Grafana
// stores url in clear and returns it to everyone who can read the
// datasource, and every plan view would print it. A user name and
// password, one from the environment (set or not), a token in the query
// string, the same in a jsonData URL.
func TestURLCredentials(t *testing.T) {
	env := map[string]string{"HOST": "tempo", "TEMPO_PASS": "hunter2", "PROM_URL": "https://u:hunter2@prom:9090", "Q": "hunter2"}
	tests := []struct {
		name, yaml string
		want       []string // problems; nil: accepted
	}{
		{"plain", "url: http://tempo:3200/api?orgId=1&db=x", nil},
		{"env url without credentials", "url: http://${HOST}:3200", nil},
		{"grafana template link", "jsonData: {link: 'http://x/d?var-trace=$${__value.raw}&token=$${__value.raw}'}", nil},
		{"password from env", "url: http://user:${TEMPO_PASS}@tempo:3200",
			[]string{"datasources/a.yaml:6:10: datasources[0].url: holds a user name and password; Grafana stores a datasource's url in clear and shows it to everyone who can read the datasource"}},
		{"password unset", "url: http://user:${UNSET}@tempo:3200",
			[]string{"datasources/a.yaml:6:10: warning: datasources[0].url: environment variable UNSET is not set; the value expands to \"\"",
				"datasources/a.yaml:6:10: datasources[0].url: holds a user name and password; Grafana stores a datasource's url in clear and shows it to everyone who can read the datasource"}},
		{"literal password", "url: 'https://admin:hunter2@prom:9090/'",
			[]string{"datasources/a.yaml:6:10: datasources[0].url: holds a user name and password; Grafana stores a datasource's url in clear and shows it to everyone who can read the datasource"}},
		{"whole url from env", "url: $PROM_URL",
			[]string{"datasources/a.yaml:6:10: datasources[0].url: holds a user name and password; Grafana stores a datasource's url in clear and shows it to everyone who can read the datasource"}},
		{"token as user name", "url: https://hunter2@prom:9090",
			[]string{"datasources/a.yaml:6:10: datasources[0].url: holds a user name; Grafana stores a datasource's url in clear and shows it to everyone who can read the datasource"}},
		{"query token", "url: https://prom:9090/?api_key=${Q}",
			[]string{"datasources/a.yaml:6:10: datasources[0].url: holds query parameter api_key; Grafana stores a datasource's url in clear and shows it to everyone who can read the datasource"}},
		{"signed url", "url: 'https://s3/x?X-Amz-Signature=hunter2&X-Amz-Credential=a'",
			[]string{"datasources/a.yaml:6:10: datasources[0].url: holds query parameters X-Amz-Credential, X-Amz-Signature; Grafana stores a datasource's url in clear and shows it to everyone who can read the datasource"}},
		{"jsonData url", "jsonData: {tokenUri: 'https://id:hunter2@login.example/token'}",
			[]string{"datasources/a.yaml:6:26: datasources[0].jsonData.tokenUri: holds a user name and password; Grafana stores a datasource's jsonData in clear and shows it to everyone who can read the datasource"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"datasources/a.yaml": dsProm + "    " + tt.yaml + "\n"}
			st, problems := Load(mapFS(files), Options{Getenv: func(k string) string { return env[k] }})
			if diff := cmp.Diff(tt.want, shortsOrNil(problems)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			for _, p := range problems {
				if strings.Contains(p.String(), "hunter2") {
					t.Errorf("a problem shows the secret: %s", p)
				}
				if p.Hint == "" && p.Severity == problem.Error {
					t.Errorf("no hint: %s", p)
				}
			}
			if tt.want != nil {
				ds := st.Orgs[0].Datasources
				if len(ds) > 0 && strings.Contains(ds[0].URL+fmt.Sprint(ds[0].JSONData), "hunter2") {
					t.Errorf("the secret reached the state")
				}
			}
		})
	}
}

func shortsOrNil(ps Problems) []string {
	if len(ps) == 0 {
		return nil
	}
	return shorts(ps)
}

package fleet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// Which hosts may receive an instance's credentials: the runner's list, or
// loopback only (docs/hostile-repositories.md, limit 10).
func TestHostPolicy(t *testing.T) {
	for _, tc := range []struct {
		list  string
		allow []string
		deny  []string
	}{
		{
			list:  "",
			allow: []string{"http://127.0.0.1:3000", "http://localhost:3000", "http://LOCALHOST", "http://[::1]:3000", "http://127.0.0.2", "http://[::ffff:127.0.0.1]:80"},
			// 0.0.0.0 connects to the local host on Linux but is not
			// loopback; names are never resolved.
			deny: []string{"http://0.0.0.0:3000", "http://localhost.:3000", "http://2130706433", "https://grafana.example.com", "http://localhost.evil.example", "http://[::]:3000"},
		},
		{
			list:  "grafana.example.com",
			allow: []string{"https://grafana.example.com", "https://grafana.example.com:8443", "https://GRAFANA.example.com/sub"},
			deny:  []string{"https://grafana.example.com.evil.example", "https://evilgrafana.example.com", "https://a.grafana.example.com", "http://127.0.0.1:3000", "http://localhost"},
		},
		{
			list:  "grafana.example.com:443",
			allow: []string{"https://grafana.example.com", "https://grafana.example.com:443"},
			deny:  []string{"http://grafana.example.com", "https://grafana.example.com:8443"},
		},
		{
			list:  "*.grafana.example.com",
			allow: []string{"https://acme.grafana.example.com", "http://acme-eu.grafana.example.com:3000"},
			deny:  []string{"https://grafana.example.com", "https://a.b.grafana.example.com", "https://acme.grafana.example.com.evil", "https://xgrafana.example.com"},
		},
		{
			list:  "10.0.0.5, [::1]:3000\n*.eu.example.com:443",
			allow: []string{"http://10.0.0.5:3000", "http://[::1]:3000", "http://[0:0::1]:3000", "https://acme.eu.example.com"},
			deny:  []string{"http://[::1]:3001", "http://10.0.0.6", "http://acme.eu.example.com"},
		},
	} {
		pol, err := ParseAllowedHosts([]string{tc.list}, EnvAllowedHosts)
		if err != nil {
			t.Fatalf("%q: %v", tc.list, err)
		}
		for want, urls := range map[bool][]string{true: tc.allow, false: tc.deny} {
			for _, s := range urls {
				u, err := url.Parse(s)
				if err != nil {
					t.Fatal(err)
				}
				if got := pol.Allows(u); got != want {
					t.Errorf("list %q: Allows(%s) = %v, want %v", tc.list, s, got, want)
				}
			}
		}
	}
}

func TestParseAllowedHostsErrors(t *testing.T) {
	for _, tc := range []struct{ entry, want string }{
		{"https://grafana.example.com", "without a scheme or path"},
		{"grafana.example.com/sub", "without a scheme or path"},
		{"admin@grafana.example.com", "without a scheme or path"},
		{"*", "not a host name"},
		{"*.com", "at least two labels"},
		{"a.*.example.com", "not a host name"},
		{"grafana.example.com:0", "want 1 to 65535"},
		{"grafana.example.com:99999", "want 1 to 65535"},
		{"grafana.example.com:x", "want 1 to 65535"},
		{"gra!fana.example.com", "not a host name"},
	} {
		_, err := ParseAllowedHosts([]string{"ok.example.com," + tc.entry}, "--allowed-hosts")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--allowed-hosts: ") {
			t.Errorf("%q: error %v, want one naming the flag and containing %q", tc.entry, err, tc.want)
		}
	}
}

// An instance never reads the runner's own credentials; the documented
// GRAFANA_TOKEN_<X> stays an instance's token.
func TestRefusedVar(t *testing.T) {
	for _, tc := range []struct {
		name       string
		credential bool
		refused    bool
	}{
		{"GRAFANA_TOKEN_ACME", true, false},
		{"SANDBOX_TOKEN_1", true, false},
		{"ACME_PASSWORD", true, false},
		{"URL_ACME", false, false},
		{"GRAFANA_TOKEN_ACME", false, true}, // a token is never a URL
		{"GRAFANA_TOKEN_", true, true},
		{"GRAFANA_TOKEN", true, true},
		{"GRAFANA_PASSWORD", true, true},
		{"GRAFANA_USER", true, true},
		{"GRAFANA_URL", false, true},
		{"GITHUB_TOKEN", true, true},
		{"GH_TOKEN", true, true},
		{"ACTIONS_RUNTIME_TOKEN", true, true},
		{"ACTIONS_ID_TOKEN_REQUEST_TOKEN", false, true},
		{"CI_JOB_TOKEN", true, true},
		{"CI_JOB_JWT_V2", true, true},
		{"AWS_SECRET_ACCESS_KEY", true, true},
		{"AWS_ACCESS_KEY_ID", true, true},
		{"AWS_CONTAINER_CREDENTIALS_FULL_URI", false, true},
		{"GRAFSYNC_GIT_TOKEN", true, true},
		{"GRAFSYNC_LOCK_DSN", false, true},
	} {
		if got := refusedVar(tc.name, tc.credential) != ""; got != tc.refused {
			t.Errorf("refusedVar(%s, credential=%v) refused = %v, want %v", tc.name, tc.credential, got, tc.refused)
		}
	}
}

// A refused host is named as it expands, the URL as the repository wrote
// it: the expansion's path or query (which may hold an environment value)
// is never printed.
func TestTrustedURLs(t *testing.T) {
	in := Instance{Name: "evil", URLs: []string{"https://ok.example.com", "${EVIL_URL}"}}
	env := map[string]string{"EVIL_URL": "https://evil.example/s3cret?k=s3cret"}
	pol, _ := ParseAllowedHosts([]string{"ok.example.com"}, EnvAllowedHosts)
	_, err := in.TrustedURLs(func(k string) string { return env[k] }, pol)
	var he *HostRefusedError
	if !errors.As(err, &he) || he.Host != "" || he.Raw != "${EVIL_URL}" {
		t.Fatalf("TrustedURLs = %v, want a HostRefusedError without the host", err)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "evil.example") || !strings.Contains(err.Error(), "GRAFSYNC_ALLOWED_HOSTS") {
		t.Errorf("message: %v", err)
	}
	// A host written in the repository is named; what the environment
	// adds (here a path) is not.
	in.URLs[1] = "https://evil.example/${EVIL_PATH}"
	env["EVIL_PATH"] = "s3cret"
	_, err = in.TrustedURLs(func(k string) string { return env[k] }, pol)
	if !errors.As(err, &he) || he.Host != "evil.example" || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("TrustedURLs = %v, want evil.example named and nothing of EVIL_PATH", err)
	}
	for raw, want := range map[string]bool{"${U}": true, "https://${H}.example.com": true, "https://a:${PORT}/x": true, "${SCHEME}://a": true, "https://a/${P}": false, "https://a?x=${Q}": false, "https://a": false} {
		if got := hostFromEnv(raw); got != want {
			t.Errorf("hostFromEnv(%s) = %v, want %v", raw, got, want)
		}
	}
	in.URLs[1] = "${EVIL_URL}"
	env["EVIL_URL"] = "https://ok.example.com:8443/grafana"
	if urls, err := in.TrustedURLs(func(k string) string { return env[k] }, pol); err != nil || len(urls) != 2 {
		t.Errorf("allowed hosts: %v, %v", urls, err)
	}
}

func parseProblems(t *testing.T, fsys fs.FS) (*Fleet, []string) {
	t.Helper()
	fl, ps := Parse(fsys)
	var out []string
	for _, p := range ps {
		out = append(out, strings.SplitN(p.String(), "\n", 2)[0])
	}
	return fl, out
}

// What Parse reads is bounded whatever the repository holds; each limit is
// an error naming where, and nothing past a limit is built.
func TestParseLimits(t *testing.T) {
	// An instance with 1,000 vars, used by 1,100 aliases: 1.1 million values.
	var bomb strings.Builder
	bomb.WriteString("x-vars: &v {")
	for i := range 1000 {
		fmt.Fprintf(&bomb, "k%d: v, ", i)
	}
	bomb.WriteString("}\nx-inst: &i {name: a, url: 'https://a', token: '${T}', vars: *v}\ninstances:\n")
	bomb.WriteString(strings.Repeat("  - *i\n", 1100))

	var many strings.Builder
	for i := range MaxInstances + 1 {
		fmt.Fprintf(&many, "- {id: i%d}\n", i)
	}
	long := strings.Repeat("x", MaxValueBytes)
	var wide strings.Builder // 1,100 items whose template makes 8 values of 4,000 bytes each
	for i := range 1100 {
		fmt.Fprintf(&wide, "- {id: i%d, f: %s}\n", i, long[:4000])
	}
	wideTemplate := "instancesFrom:\n  - file: l.yaml\n    template: {name: '${item.id}', url: 'https://x', token: '${T}', vars: {a: '${item.f}', b: '${item.f}', c: '${item.f}', d: '${item.f}', e: '${item.f}', f: '${item.f}', g: '${item.f}', h: '${item.f}'}}\n"
	big := "# " + strings.Repeat("x", 6<<20) + "\n- {id: a}\n"
	from := "instancesFrom:\n  - file: l.yaml\n    template: {name: '${item.id}', url: 'https://x', token: '${T}'}\n"

	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  string // in the first problem
	}{
		{"alias bomb", fstest.MapFS{"grafsync.yaml": {Data: []byte(bomb.String())}}, "the fleet's YAML adds up to more than 1000000 values once aliases are expanded"},
		{"too many instances", fstest.MapFS{"grafsync.yaml": {Data: []byte(from)}, "l.yaml": {Data: []byte(many.String())}}, "l.yaml:10001:3: more than 10000 instances"},
		{"a long vars value", fstest.MapFS{"grafsync.yaml": {Data: []byte("instances:\n  - {name: a, url: 'https://a', token: '${T}', vars: {k: " + long + "y}}\n")}}, "instances[0].vars.k: 4097 bytes, more than the 4096 an instance value may hold"},
		{"a template that would grow past the value limit", fstest.MapFS{
			"grafsync.yaml": {Data: []byte("instancesFrom:\n  - file: l.yaml\n    template: {name: '${item.id}', url: 'https://x', token: '${T}', vars: {k: '" + strings.Repeat("${item.f}", 1000) + "'}}\n")},
			"l.yaml":        {Data: []byte("- {id: a, f: " + long[:1000] + "}\n")},
		}, "l.yaml:1:3: l.yaml[0]: the template's instancesFrom[0].template.vars.k would be 1000000 bytes for this item"},
		{"the instances' values together", fstest.MapFS{"grafsync.yaml": {Data: []byte(wideTemplate)}, "l.yaml": {Data: []byte(wide.String())}}, "the instances' values add up to more than 33554432 bytes"},
		{"list files together", fstest.MapFS{
			"grafsync.yaml": {Data: []byte("instancesFrom:\n  - file: l.yaml\n    template: {name: 'a${item.id}', url: 'https://x', token: '${T}'}\n  - file: l.yaml\n    template: {name: 'b${item.id}', url: 'https://x', token: '${T}'}\n")},
			"l.yaml":        {Data: []byte(big)},
		}, "grafsync.yaml:4:11: instancesFrom[1].file: cannot read l.yaml: 6291469 bytes, more than the 4194291 grafsync reads from it"},
		{"a list that is a named pipe", fstest.MapFS{"grafsync.yaml": {Data: []byte(from)}, "l.yaml": {Mode: fs.ModeNamedPipe}}, "instancesFrom[0].file: cannot read l.yaml: a named pipe, not a regular file"},
		{"a huge grafsync.yaml", fstest.MapFS{"grafsync.yaml": {Data: []byte("instances: []\n# " + strings.Repeat("x", 10<<20))}}, "grafsync.yaml: 10485776 bytes, more than the 10485760 grafsync reads from it"},
		{"a path in a name", fstest.MapFS{"grafsync.yaml": {Data: []byte("instances:\n  - {name: a/b, url: 'https://a', token: '${T}'}\n")}}, `instances[0].name: "a/b" is not a valid instance name`},
		{"a control character in a name", fstest.MapFS{"grafsync.yaml": {Data: []byte("instances:\n  - {name: \"a\\tb\", url: 'https://a', token: '${T}'}\n")}}, `instances[0].name: "a\tb" is not a valid instance name`},
		{"a long name", fstest.MapFS{"grafsync.yaml": {Data: []byte("instances:\n  - {name: " + long[:64] + ", url: 'https://a', token: '${T}'}\n")}}, "is not a valid instance name"},
		{"a name from an item with a path", fstest.MapFS{"grafsync.yaml": {Data: []byte(from)}, "l.yaml": {Data: []byte("- {id: ../../etc}\n")}}, `instancesFrom[0].template.name: "../../etc" is not a valid instance name`},
		{"names differing in case", fstest.MapFS{"grafsync.yaml": {Data: []byte("instances:\n  - {name: acme, url: 'https://a', token: '${T}'}\n  - {name: ACME, url: 'https://b', token: '${U}'}\n")}}, `grafsync.yaml:3:5: instance "ACME" is already declared at grafsync.yaml:2:5 (as "acme"; names differing only in case are the same name)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ps := parseProblems(t, tc.files)
			if len(ps) == 0 || !strings.Contains(ps[0], tc.want) {
				t.Fatalf("problems %.300q, want the first to contain %q", ps, tc.want)
			}
			if len(ps) > maxProblems+1 {
				t.Errorf("%d problems: a limit stops Parse", len(ps))
			}
		})
	}
}

// The runner's credentials are refused where the repository names them, at
// their position; a credential's value is never read to decide.
func TestParseRefusesRunnerCredentials(t *testing.T) {
	yaml := "instances:\n" +
		"  - {name: a, url: 'https://a', token: '${GITHUB_TOKEN}'}\n" +
		"  - {name: b, url: 'https://${AWS_SECRET_ACCESS_KEY}.example.com', token: '${GRAFANA_TOKEN_B}'}\n" +
		"  - {name: c, url: 'https://c', user: '${GRAFANA_USER}', password: '${GRAFANA_PASSWORD}'}\n" +
		"  - {name: d, url: 'https://d', token: '${GRAFANA_TOKEN_D}'}\n" +
		"instancesFrom:\n  - file: l.yaml\n    template: {name: '${item.id}', url: 'https://x', token: '${${item.env}}'}\n"
	fl, ps := parseProblems(t, fstest.MapFS{"grafsync.yaml": {Data: []byte(yaml)}, "l.yaml": {Data: []byte("- {id: e, env: GRAFANA_TOKEN_E}\n- {id: f, env: CI_JOB_JWT}\n")}})
	want := []string{
		"grafsync.yaml:2:40: instances[0].token: ${GITHUB_TOKEN} is refused: it holds grafsync's or the CI runner's own credentials",
		"grafsync.yaml:3:20: instances[1].url[0]: ${AWS_SECRET_ACCESS_KEY} is refused: it holds grafsync's or the CI runner's own credentials",
		"grafsync.yaml:4:39: instances[2].user: ${GRAFANA_USER} is refused: it configures a single Grafana, never a fleet's instance",
		"grafsync.yaml:4:68: instances[2].password: ${GRAFANA_PASSWORD} is refused: it holds grafsync's or the CI runner's own credentials",
		"l.yaml:2:3: instancesFrom[0].template.token: ${CI_JOB_JWT} is refused: it holds grafsync's or the CI runner's own credentials",
	}
	if diff := cmp.Diff(want, ps); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	var names []string
	for _, in := range fl.Instances {
		names = append(names, in.Name+"="+in.TokenEnv)
	}
	if diff := cmp.Diff([]string{"d=GRAFANA_TOKEN_D", "e=GRAFANA_TOKEN_E"}, names); diff != "" {
		t.Errorf("instances kept (-want +got):\n%s", diff)
	}
}

// ${fleet.KEY} expansion stops at the size grafsync reads from one file,
// whatever the references and values; validate names the file.
func TestExpandLimit(t *testing.T) {
	vars := map[string]string{"v": strings.Repeat("x", 4000)}
	data := []byte(`{"t": "` + strings.Repeat("${fleet.v}", 3000) + `"}`) // 12 MB once expanded
	if _, _, err := Expand("dashboards/d.json", data, vars); !errors.As(err, new(*TooLargeError)) {
		t.Fatalf("Expand = %v, want a TooLargeError", err)
	}
	fsys := fstest.MapFS{"dashboards/d.json": {Data: data}}
	fl := &Fleet{}
	in := Instance{Name: "a", Vars: vars}
	ps := fl.Check(fsys, in)
	if len(ps) != 1 || !strings.Contains(ps[0].String(), "instance a: dashboards/d.json: its ${fleet.KEY} values make it more than 10485760 bytes") {
		t.Errorf("Check = %v", ps)
	}
	if _, err := fs.ReadFile(fl.FS(fsys, in), "dashboards/d.json"); !errors.As(err, new(*TooLargeError)) {
		t.Errorf("reading it through the instance's FS: %v", err)
	}
	// Many missing values: a bounded list, positions in one pass.
	missing := []byte(strings.Repeat("${fleet.nope}\n", 100_000))
	_, ms, err := Expand("datasources/x.yaml", missing, vars)
	if err != nil || len(ms) != maxMissing || ms[maxMissing-1].Pos.Line != maxMissing {
		t.Errorf("missing: %d listed, last %v, %v", len(ms), ms[len(ms)-1].Pos, err)
	}
}

// cancelOnOpen cancels a context when name is opened: a signal arriving
// while Parse reads the list files.
type cancelOnOpen struct {
	fstest.MapFS
	name   string
	cancel func()
}

func (c cancelOnOpen) Open(name string) (fs.File, error) {
	if name == c.name {
		c.cancel()
	}
	return c.MapFS.Open(name)
}

// SIGTERM stops Parse while it reads the fleet: an error, never a partial
// fleet to plan.
func TestParseContextStops(t *testing.T) {
	var list strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&list, "- {id: i%d}\n", i)
	}
	from := "instancesFrom:\n  - file: l.yaml\n    template: {name: '${item.id}', url: 'https://x', token: '${T}'}\n"
	ctx, cancel := context.WithCancelCause(context.Background())
	fsys := cancelOnOpen{MapFS: fstest.MapFS{"grafsync.yaml": {Data: []byte(from)}, "l.yaml": {Data: []byte(list.String())}}, name: "l.yaml", cancel: func() { cancel(errors.New("interrupted by SIGTERM")) }}
	fl, ps := ParseContext(ctx, fsys)
	if len(ps) == 0 || !strings.Contains(ps[0].String(), "reading the fleet stopped: interrupted by SIGTERM") {
		t.Fatalf("problems %v, want the stop", ps)
	}
	if fl != nil && len(fl.Instances) > 0 {
		t.Errorf("%d instances read after the stop", len(fl.Instances))
	}
	if _, ps := ParseContext(ctx, fsys); len(ps) != 1 || !strings.Contains(ps[0].String(), "stopped") {
		t.Errorf("a done context: %v", ps)
	}
}

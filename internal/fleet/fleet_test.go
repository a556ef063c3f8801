package fleet

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    map[string]string
		want     []string // instance names
		problems []string // problem strings, as validate prints them (first line)
	}{
		{name: "no fleet", files: map[string]string{"grafsync.yaml": "orgs:\n  - name: Main Org.\n"}},
		{name: "no file", files: map[string]string{}},
		{
			name: "inline and from a list",
			files: map[string]string{
				"grafsync.yaml": "instances:\n  - name: a\n    url: [https://a1, https://a2]\n    token: ${T_A}\ninstancesFrom:\n  - file: c.yaml\n    template:\n      name: c-${item.id}\n      url: https://${item.id}.example.com\n      user: ${U}\n      password: ${P_${item.id}}\n",
				"c.yaml":        "- id: x\n- id: y\n",
			},
			want: []string{"a", "c-x", "c-y"},
		},
		{
			name:  "literal token",
			files: map[string]string{"grafsync.yaml": "instances:\n  - name: a\n    url: https://a\n    token: glsa_secret\n"},
			problems: []string{
				"grafsync.yaml:4:12: instances[0].token: want an environment reference ${NAME}",
			},
		},
		{
			name:  "missing url, bad name, unknown key",
			files: map[string]string{"grafsync.yaml": "instances:\n  - name: -bad\n    token: ${T}\n    lables: {}\n"},
			problems: []string{
				"grafsync.yaml:2:5: instances[0]: url is missing",
				"grafsync.yaml:2:11: instances[0].name: \"-bad\" is not a valid instance name",
				"grafsync.yaml:4:5: instances[0]: unknown key \"lables\"",
			},
		},
		{
			name:  "duplicate names",
			files: map[string]string{"grafsync.yaml": "instances:\n  - {name: a, url: 'https://a', token: '${T}'}\n  - {name: a, url: 'https://b', token: '${T}'}\n"},
			want:  []string{"a", "a"},
			problems: []string{
				"grafsync.yaml:3:5: instance \"a\" is already declared at grafsync.yaml:2:5",
			},
		},
		{
			name: "item without a field the template uses",
			files: map[string]string{
				"grafsync.yaml": "instancesFrom:\n  - file: c.yaml\n    template:\n      name: ${item.id}\n      url: https://${item.host}\n      token: ${T}\n",
				"c.yaml":        "- id: x\n  host: x.example.com\n- id: y\n",
			},
			want: []string{"x"},
			problems: []string{
				"c.yaml:3:3: c.yaml[1]: the item has no field \"host\" (used by the template's instancesFrom[0].template.url)",
			},
		},
		{
			name:     "url with credentials",
			files:    map[string]string{"grafsync.yaml": "instances:\n  - name: a\n    url: https://admin:pw@a\n    token: ${T}\n"},
			problems: []string{"grafsync.yaml:3:10: instances[0].url[0]: \"https://admin:pw@a\" is not an http(s) URL"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for k, v := range tc.files {
				fsys[k] = &fstest.MapFile{Data: []byte(v)}
			}
			fl, ps := Parse(fsys)
			var got []string
			if fl != nil {
				for _, in := range fl.Instances {
					got = append(got, in.Name)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("instances (-want +got):\n%s", diff)
			}
			var gotP []string
			for _, p := range ps {
				gotP = append(gotP, strings.SplitN(p.String(), "\n", 2)[0])
			}
			if diff := cmp.Diff(tc.problems, gotP); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCredentials(t *testing.T) {
	fsys := fstest.MapFS{"grafsync.yaml": {Data: []byte("instances:\n  - name: a\n    url: ${URL_A}\n    token: ${TOKEN_A}\n    labels: {tier: gold}\n    vars: {tenant: t1}\n")}}
	fl, ps := Parse(fsys)
	if len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	in := fl.Instances[0]
	want := Instance{Name: "a", URLs: []string{"${URL_A}"}, TokenEnv: "TOKEN_A", Labels: map[string]string{"tier": "gold"}, Vars: map[string]string{"tenant": "t1"}, Source: in.Source}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	env := map[string]string{"URL_A": "https://a.example.com"}
	urls, err := in.ResolveURLs(func(k string) string { return env[k] })
	if err != nil || urls[0] != "https://a.example.com" {
		t.Errorf("ResolveURLs = %v, %v", urls, err)
	}
	if _, err := in.ResolveURLs(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "URL_A is not set") {
		t.Errorf("ResolveURLs with URL_A unset: %v", err)
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"tenant": `a"b`, "region": "eu-west-1"}
	for _, tc := range []struct {
		name, file, in, want string
		missing              []string
	}{
		{name: "json escapes", file: "dashboards/d.json", in: `{"t": "${fleet.tenant} ${fleet.region}"}`, want: `{"t": "a\"b eu-west-1"}`},
		{name: "yaml as is", file: "datasources/x.yaml", in: "url: http://${fleet.region}\n", want: "url: http://eu-west-1\n"},
		{name: "literal", file: "dashboards/d.json", in: `"$${fleet.tenant}"`, want: `"${fleet.tenant}"`},
		{name: "grafana's own syntax untouched", file: "dashboards/d.json", in: `"${instance} ${fleet} $fleet ${__field.labels.x}"`, want: `"${instance} ${fleet} $fleet ${__field.labels.x}"`},
		{name: "missing", file: "dashboards/d.json", in: "{\n  \"t\": \"${fleet.nope}\"}", want: "{\n  \"t\": \"\"}", missing: []string{"dashboards/d.json:2:9 nope"}},
		{name: "missing on several lines", file: "datasources/x.yaml", in: "a: ${fleet.x}${fleet.y}\n\nb: ${fleet.region} ${fleet.z}\n", want: "a: \n\nb: eu-west-1 \n", missing: []string{"datasources/x.yaml:1:4 x", "datasources/x.yaml:1:14 y", "datasources/x.yaml:3:20 z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, missing, err := Expand(tc.file, []byte(tc.in), vars)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			var gm []string
			for _, m := range missing {
				gm = append(gm, m.Pos.String()+" "+m.Key)
			}
			if diff := cmp.Diff(tc.missing, gm); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFS(t *testing.T) {
	base := fstest.MapFS{
		"grafsync.yaml":              {Data: []byte("x: ${fleet.tenant}")},
		"dashboards/a.json":          {Data: []byte(`{"t":"${fleet.tenant}"}`)},
		"dashboards/premium/b.json":  {Data: []byte(`{}`)},
		"dashboards/premiumish.json": {Data: []byte(`{}`)},
		"README.md":                  {Data: []byte("${fleet.tenant}")},
	}
	fl := &Fleet{Content: []Content{{Path: "dashboards/premium", Selector: map[string]string{"tier": "gold"}}}}
	basic := fl.FS(base, Instance{Name: "b", Vars: map[string]string{"tenant": "acme"}, Labels: map[string]string{"tier": "basic"}})
	if err := fstest.TestFS(basic, "dashboards/a.json", "dashboards/premiumish.json", "grafsync.yaml"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(basic, "dashboards/premium/b.json"); err == nil {
		t.Error("a basic instance sees dashboards/premium/b.json")
	}
	for file, want := range map[string]string{"dashboards/a.json": `{"t":"acme"}`, "grafsync.yaml": "x: ${fleet.tenant}", "README.md": "${fleet.tenant}"} {
		got, err := fs.ReadFile(basic, file)
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", file, got, err, want)
		}
	}
	gold := fl.FS(base, Instance{Name: "g", Vars: map[string]string{"tenant": "acme"}, Labels: map[string]string{"tier": "gold"}})
	if err := fstest.TestFS(gold, "dashboards/premium/b.json"); err != nil {
		t.Fatal(err)
	}
	if ps := fl.Check(base, Instance{Name: "n"}); len(ps) != 1 || !strings.Contains(ps[0].String(), "dashboards/a.json:1:7: instance n: ${fleet.tenant} has no value") {
		t.Errorf("Check = %v", ps)
	}
}

func TestSelect(t *testing.T) {
	fl := &Fleet{Instances: []Instance{
		{Name: "a", Labels: map[string]string{"tier": "gold", "region": "eu"}},
		{Name: "b", Labels: map[string]string{"tier": "basic", "region": "eu"}},
		{Name: "c", Labels: map[string]string{"tier": "gold", "region": "us"}},
	}}
	names := func(ins []Instance) []string {
		var out []string
		for _, in := range ins {
			out = append(out, in.Name)
		}
		return out
	}
	for _, tc := range []struct {
		names, sel []string
		want       []string
		err        string
	}{
		{want: []string{"a", "b", "c"}},
		{sel: []string{"tier=gold"}, want: []string{"a", "c"}},
		{sel: []string{"tier=gold", "region=eu"}, want: []string{"a"}},
		{names: []string{"b", "c"}, sel: []string{"tier=gold"}, want: []string{"c"}},
		{names: []string{"zz"}, err: `--instance "zz": no such instance`},
		{sel: []string{"tier"}, err: `--selector "tier": write label=value`},
		{sel: []string{"tier=none"}, err: "no instance matches --selector tier=none ("},
		{names: []string{"b"}, sel: []string{"tier=gold"}, err: "no instance matches --instance b --selector tier=gold ("},
	} {
		got, err := fl.Select(tc.names, tc.sel)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Select(%v, %v) error = %v, want %q", tc.names, tc.sel, err, tc.err)
			}
			continue
		}
		if diff := cmp.Diff(tc.want, names(got)); err != nil || diff != "" {
			t.Errorf("Select(%v, %v): %v (-want +got):\n%s", tc.names, tc.sel, err, diff)
		}
	}
}

func TestRunBoundsAndIsolates(t *testing.T) {
	ins := make([]Instance, 20)
	for i := range ins {
		ins[i].Name = string(rune('a' + i))
	}
	var cur, peak atomic.Int32
	got := Run(context.Background(), ins, 3, func(_ context.Context, in Instance) string {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		cur.Add(-1)
		if in.Name == "c" {
			return "failed"
		}
		return in.Name
	}, func(in Instance, err error) string { return "cancelled" })
	if peak.Load() > 3 {
		t.Errorf("peak in flight %d, want at most 3", peak.Load())
	}
	if got[2] != "failed" || got[3] != "d" || got[19] != "t" {
		t.Errorf("results %v: a failure must stay its instance's", got)
	}
}

func TestLimiterBoundsRequests(t *testing.T) {
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		cur.Add(-1)
	}))
	defer srv.Close()
	c := &http.Client{Transport: NewLimiter(4, http.DefaultTransport)}
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			resp, err := c.Get(srv.URL)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	if p := peak.Load(); p > 4 || p < 2 {
		t.Errorf("peak requests in flight %d, want 2..4", p)
	}
}

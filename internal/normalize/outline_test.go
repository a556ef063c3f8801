package normalize

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/benchrepo"
	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/jsonc"
	"github.com/grafsync/grafsync/internal/resource"
)

// storedLive is a desired dashboard as Grafana's legacy API stores and
// serves it: the saved JSON decoded into a map, id, uid, version and title
// set, encoded by encoding/json (keys sorted, compact, <>& escaped) —
// what grafana-source-audit.md and the emulator's storeDashboardLocked do.
func storedLive(t *testing.T, desired []byte, id, version int) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(desired))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	delete(m, "folderUid")
	m["id"], m["version"] = id, version
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// LiveDashboardAs must answer exactly what LiveDashboard answers, for a
// live dashboard equal to the desired one (where it compares bytes only)
// and for every near miss (where it must fall back).
func TestLiveDashboardAsAgreesWithLiveDashboard(t *testing.T) {
	fast := 0
	check := func(t *testing.T, name string, d grafana.Dashboard, o *Outline, wantFast bool) {
		t.Helper()
		want, wantErr := LiveDashboard(d, 3)
		got, gotErr := LiveDashboardAs(d, 3, o)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("%s: LiveDashboard error %v, LiveDashboardAs error %v", name, wantErr, gotErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: LiveDashboardAs differs from LiveDashboard (-want +got):\n%s", name, diff)
		}
		if isFast := o != nil && o.same(d.JSON, d.FolderUID); isFast != wantFast {
			t.Errorf("%s: compared as bytes = %v, want %v", name, isFast, wantFast)
		} else if isFast {
			fast++
		}
	}
	for i := range 6 {
		src := benchrepo.Dashboard(t, i)
		var m map[string]any
		if err := json.Unmarshal(src, &m); err != nil {
			t.Fatal(err)
		}
		uid, _ := m["uid"].(string)
		// Through load's canonical form, as resource.Dashboard.JSON holds it.
		canon, err := jsonc.Canonical(src)
		if err != nil {
			t.Fatal(err)
		}
		r, err := DesiredDashboard(&resource.Dashboard{UID: uid, FolderUID: "team-a", Path: "a.json", JSON: canon}, 3)
		if err != nil {
			t.Fatal(err)
		}
		o := NewOutline(r.Raw)
		if o == nil {
			t.Fatalf("dashboard %d: no outline of DesiredDashboard's bytes", i)
		}
		live := storedLive(t, r.Raw, 40+i, 7)
		same := grafana.Dashboard{UID: uid, FolderUID: "team-a", Version: 7, JSON: live}
		check(t, "stored as saved", same, o, true)

		near := map[string]grafana.Dashboard{}
		moved := same
		moved.FolderUID = "team-b"
		near["another folder"] = moved
		noMarker := same
		noMarker.JSON = bytes.Replace(live, []byte(`"grafsync":{"managed":true},`), nil, 1)
		near["no marker"] = noMarker
		edited := same
		edited.JSON = bytes.Replace(live, []byte(`"title":"`), []byte(`"title":"x`), 1)
		near["title edited"] = edited
		spaced := same
		spaced.JSON = bytes.Replace(live, []byte(`,"id":`), []byte(`, "id":`), 1)
		near["spacing"] = spaced
		idString := same
		idString.JSON = bytes.Replace(live, []byte(`"id":`+strings.TrimSpace(jsonNum(40+i))), []byte(`"id":"x"`), 1)
		near["id a string"] = idString
		withFolder := same
		withFolder.JSON = append([]byte(`{"folderUid":"team-a",`), live[1:]...)
		near["folderUid in the JSON"] = withFolder
		extra := same
		extra.JSON = append(bytes.TrimSuffix(live, []byte("}")), []byte(`,"zz":1}`)...)
		near["a member more"] = extra
		trailing := same
		trailing.JSON = append(bytes.Clone(live), ' ')
		near["trailing space"] = trailing
		cut := same
		cut.JSON = live[:len(live)/2]
		near["cut short"] = cut
		for name, d := range near {
			check(t, name, d, o, false)
		}
		check(t, "no outline", same, nil, false)
	}
	if fast == 0 {
		t.Error("no live dashboard was compared as bytes: the fast path is never taken")
	}
}

func jsonNum(n int) string { b, _ := json.Marshal(n); return string(b) }

// An outline is only made of DesiredDashboard's form.
func TestNewOutlineRefuses(t *testing.T) {
	for _, raw := range []string{``, `[]`, `{"a":1}`, `{"folderUid":"x"} `, `{"folderUid":"x"`, `{"a":1,"folderUid":"x"}`} {
		o := NewOutline([]byte(raw))
		if want := raw == `{"a":1,"folderUid":"x"}`; (o != nil) != want {
			t.Errorf("NewOutline(%q) = %v, want an outline: %v", raw, o, want)
		}
	}
}

func TestPrefixAsEncoded(t *testing.T) {
	for _, c := range []struct {
		b, m string
		n    int
		ok   bool
	}{
		{`"a":"x<y",`, `"a":"x<y"`, 9, true},
		{`"a":"x\u003cy",`, `"a":"x<y"`, 14, true},
		{`"a":"\u003e\u0026\u2028\u2029"}`, "\"a\":\">&\u2028\u2029\"", 30, true},
		{`"a":"x\u003Cy"`, `"a":"x<y"`, 0, false}, // not how encoding/json writes it
		{`"a":"x<y"`, `"a":"x\u003cy"`, 0, false},
		{`"a":"x"`, `"a":"x<y"`, 0, false},
		{`"a":1`, `"a":12`, 0, false},
	} {
		n, ok := prefixAsEncoded([]byte(c.b), []byte(c.m))
		if n != c.n || ok != c.ok {
			t.Errorf("prefixAsEncoded(%s, %s) = %d, %v; want %d, %v", c.b, c.m, n, ok, c.n, c.ok)
		}
	}
}

package normalize

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/jsonc"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// What Grafana does to a saved dashboard (§3.1) is undone by Dashboard, so
// Git's copy and Grafana's copy normalise to the same bytes, whatever their
// key order and spacing.
func TestDashboardBothSidesAgree(t *testing.T) {
	git := `{"uid": "ecs", "title": "  ECS services ", "refresh": "1s", "panels": [{"b": 1, "a": "\u00e9"}], "id": 7}`
	stored := `{"version":3,"panels":[{"a":"é","b":1}],"id":42,"refresh":"5s","title":"ECS services","uid":"ecs","folderUid":"old"}`
	in := []byte(git)
	a, _, err := Dashboard(in, "platform", false)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Dashboard([]byte(stored), "platform", false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(a), string(b)); diff != "" {
		t.Errorf("(-git +grafana):\n%s", diff)
	}
	if want := `{"folderUid":"platform","panels":[{"a":"é","b":1}],"refresh":"5s","title":"ECS services","uid":"ecs"}`; string(a) != want {
		t.Errorf("normalised to\n%s\nwant\n%s", a, want)
	}
	for _, tt := range []struct{ in, want string }{
		{`{"refresh": "1m"}`, `{"folderUid":"","refresh":"1m"}`},
		{`{"refresh": ""}`, `{"folderUid":"","refresh":""}`},
		{`{"title": 5, "refresh": 1}`, `{"folderUid":"","refresh":1,"title":5}`},
		// As encoding/json writes it, spaced and unsorted; a name with an
		// escape; one that is not UTF-8 (read by jsontext, not split).
		{"{ \"b\" : {\"y\": 1, \"x\": [2, 3]},\n \"a\\u0026\": \"\\u003c\\/\", \"id\": 1, \"version\": 2 }", `{"a&":"</","b":{"x":[2,3],"y":1},"folderUid":""}`},
		{"{\"\xff\": 1, \"title\": \" t \"}", "{\"folderUid\":\"\",\"title\":\"t\",\"\ufffd\":1}"},
	} {
		if got, _, err := Dashboard([]byte(tt.in), "", false); err != nil || string(got) != tt.want {
			t.Errorf("Dashboard(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if string(in) != git {
		t.Error("Dashboard modified its input")
	}
}

// Numbers survive normalisation exactly where Grafana keeps them (its
// legacy /api stores the JSON text), and compare as Grafana stores them on
// 12+ (through float64), so a number Grafana rounds is never a difference.
func TestDashboardNumbers(t *testing.T) {
	const exact = `{"uid": "n", "title": "N", "a": 9007199254740993, "b": 1e-400, "c": 1.50, "d": [100, 1e2, -0]}`
	const rounded = `{"uid": "n", "title": "N", "a": 9007199254740992, "b": 0, "c": 1.5, "d": [100, 100, 0], "id": 3, "version": 2}`
	tests := []struct {
		name, version string
		live          string
		equal         bool
		want          string // the desired side's normalised bytes
	}{
		{"legacy keeps the text", "11.6.0", exact, true,
			`{"a":9007199254740993,"b":1e-400,"c":1.50,"d":[100,1e2,-0],"folderUid":"f","grafsync":{"managed":true},"title":"N","uid":"n"}`},
		{"legacy: a rounded number is a real difference", "11.6.0", rounded, false,
			`{"a":9007199254740993,"b":1e-400,"c":1.50,"d":[100,1e2,-0],"folderUid":"f","grafsync":{"managed":true},"title":"N","uid":"n"}`},
		{"12 stores float64: rounding is no difference", "12.0.0", rounded, true,
			`{"a":9007199254740992,"b":0,"c":1.5,"d":[100,100,0],"folderUid":"f","grafsync":{"managed":true},"title":"N","uid":"n"}`},
		{"12 with exact numbers read back", "v12.1.0", exact, true,
			`{"a":9007199254740992,"b":0,"c":1.5,"d":[100,100,0],"folderUid":"f","grafsync":{"managed":true},"title":"N","uid":"n"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// What the loader keeps: canonical JSON (resource.Dashboard.JSON).
			loaded, err := jsonc.Canonical([]byte(exact))
			if err != nil {
				t.Fatal(err)
			}
			org := &resource.Org{Dashboards: []*resource.Dashboard{{UID: "n", Path: "n.json", FolderUID: "f", JSON: loaded}}}
			desired, err := desiredDashboards(org, 1)
			if err != nil {
				t.Fatal(err)
			}
			live, err := LiveDashboard(grafana.Dashboard{UID: "n", FolderUID: "f", Version: 2, JSON: []byte(tt.live)}, 1)
			if err != nil {
				t.Fatal(err)
			}
			lives := []plan.Resource{live}
			if err := DashboardNumbers(desired, tt.version); err != nil {
				t.Fatal(err)
			}
			if err := DashboardNumbers(lives, tt.version); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(desired[0].Raw)); diff != "" {
				t.Errorf("desired (-want +got):\n%s", diff)
			}
			diff, err := plan.DiffResources(&lives[0], &desired[0])
			if err != nil {
				t.Fatal(err)
			}
			// The marker is the only difference of an unmanaged live copy.
			diff = slices.DeleteFunc(diff, func(f plan.FieldDiff) bool { return f.Path == MarkerKey })
			if got := len(diff) == 0; got != tt.equal {
				t.Errorf("equal = %v, want %v; differences: %+v", got, tt.equal, diff)
			}
		})
	}
}

func TestDashboardMarkerAndAdoption(t *testing.T) {
	org := &resource.Org{Dashboards: []*resource.Dashboard{{UID: "ecs", Path: "platform/ecs.json", FolderUID: "platform", JSON: []byte(`{"uid": "ecs", "title": "ECS"}`)}}}
	desired, err := desiredDashboards(org, 1)
	if err != nil {
		t.Fatal(err)
	}
	handmade, err := LiveDashboard(grafana.Dashboard{UID: "ecs", FolderUID: "platform", Version: 2, JSON: []byte(`{"uid": "ecs", "title": "ECS", "id": 1}`)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if handmade.Managed || handmade.Parent != "platform" {
		t.Fatalf("live dashboard %+v", handmade)
	}
	before, _ := handmade.Document()
	after, _ := desired[0].Document()
	got := plan.Diff(before, after, nil)
	want := []plan.FieldDiff{{Path: "grafsync", After: map[string]any{"managed": true}, BeforeAbsent: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("adopting shows as (-want +got):\n%s", diff)
	}
	// What apply stores, read back, is the same document: a no-op.
	back, err := LiveDashboard(grafana.Dashboard{UID: "ecs", FolderUID: "platform", Version: 3, JSON: desired[0].Raw}, 1)
	if err != nil || string(back.Raw) != string(desired[0].Raw) || !back.Managed {
		t.Errorf("round trip: %v\n%s\n%s", err, back.Raw, desired[0].Raw)
	}
	if desired[0].Name != "platform/ecs" {
		t.Errorf("subject name %q", desired[0].Name)
	}
}

func TestDatasourceBothSidesAgree(t *testing.T) {
	fp := NewFingerprinter()
	org := &resource.Org{Datasources: []*resource.Datasource{{
		UID: "loki", Name: "Loki", Type: "loki", URL: "http://loki:3100", BasicAuth: true, BasicAuthUser: "grafana",
		JSONData: map[string]any{"maxLines": 1000.0},
		Secure:   map[string]resource.Secret{"basicAuthPassword": resource.NewSecret("hunter2", "env LOKI_PASSWORD")},
	}}}
	// What apply writes, read back as Grafana returns it.
	d0 := DesiredDatasources(org, 1, nil, fp)[0]
	written := JSONDataToWrite(org.Datasources[0].JSONData, d0.Doc[secretsPath].(map[string]any))
	live := grafana.Datasource{UID: "loki", Name: "Loki", Type: "loki", Access: "proxy", URL: "http://loki:3100", BasicAuth: true,
		BasicAuthUser: "grafana", JSONData: written, SecureJSONFields: []string{"basicAuthPassword"}, Version: 1}
	l := LiveDatasources([]grafana.Datasource{live}, 1)[0]
	d := DesiredDatasources(org, 1, []grafana.Datasource{live}, fp)[0]
	if diff := cmp.Diff(d.Doc, l.Doc); diff != "" {
		t.Errorf("(-desired +live):\n%s", diff)
	}
	if !l.Managed {
		t.Error("a datasource grafsync wrote does not count as managed")
	}
	for _, r := range []plan.Resource{d, l} {
		if strings.Contains(cmp.Diff(nil, r.Doc), "hunter2") {
			t.Errorf("the secret value is in a doc: %v", r.Doc)
		}
	}

	// A rotated secret changes the fingerprint: a masked diff.
	org.Datasources[0].Secure["basicAuthPassword"] = resource.NewSecret("rotated", "env LOKI_PASSWORD")
	d = DesiredDatasources(org, 1, []grafana.Datasource{live}, fp)[0]
	diffs := plan.Diff(l.Doc, d.Doc, d.Secrets)
	if len(diffs) != 1 || !diffs[0].Secret || diffs[0].Path != "secureJsonData.basicAuthPassword" {
		t.Errorf("rotation diff %+v", diffs)
	}

	// An unset secret (no environment in a pull request) is taken as unchanged.
	org.Datasources[0].Secure["basicAuthPassword"] = resource.UnsetSecret("env LOKI_PASSWORD")
	d = DesiredDatasources(org, 1, []grafana.Datasource{live}, fp)[0]
	if diffs := plan.Diff(l.Doc, d.Doc, d.Secrets); len(diffs) != 0 {
		t.Errorf("unset secret shows as a change: %+v", diffs)
	}
}

// A secret set in Grafana by hand has no fingerprint: it must be rewritten once.
func TestUnknownSecretIsRewritten(t *testing.T) {
	live := grafana.Datasource{UID: "x", Name: "X", JSONData: map[string]any{}, SecureJSONFields: []string{"password", "extra"}}
	doc := LiveDatasources([]grafana.Datasource{live}, 1)[0].Doc
	want := map[string]any{"password": unknownFingerprint, "extra": unknownFingerprint}
	if diff := cmp.Diff(want, doc[secretsPath]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Datasources without a uid pair with the live datasource of the same name
// (Grafana's provisioning updates that one, keeping its uid); without one,
// they are created with the uid Grafana's provisioning would give them
// (pkg/services/provisioning/datasources/types.go, createInsertCommand):
// "P" + the first 8 bytes of SHA-256 of the name, upper-case hex.
func TestDatasourceWithoutUID(t *testing.T) {
	org := &resource.Org{Datasources: []*resource.Datasource{
		{Name: "Prometheus", Type: "prometheus"}, {Name: "Loki", Type: "loki"}, {Name: "Tempo", Type: "tempo"}}}
	live := []grafana.Datasource{{UID: "abc123", Name: "Prometheus"}, {UID: "P214B5B846CF3925F", Name: "Tempo (renamed in Grafana)"}}
	got := DesiredDatasources(org, 1, live, NewFingerprinter())
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	want := []string{"abc123", "P8E80F9AEF21F6940", "P214B5B846CF3925F"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if got[2].Unwritable != "" {
		t.Errorf("a datasource renamed in Grafana is not taken back by its uid: %s", got[2].Unwritable)
	}
}

func TestFingerprint(t *testing.T) {
	f := NewFingerprinter()
	a := f.Fingerprint("loki", "password", "hunter2")
	if a != f.Fingerprint("loki", "password", "hunter2") {
		t.Error("fingerprint is not deterministic")
	}
	if a == f.Fingerprint("tempo", "password", "hunter2") || a == f.Fingerprint("loki", "basicAuthPassword", "hunter2") {
		t.Error("the same secret on another datasource or key has the same fingerprint")
	}
	if a == f.Fingerprint("loki", "password", "hunter3") {
		t.Error("different secrets share a fingerprint")
	}
	if !strings.HasPrefix(a, fingerprintPrefix) || strings.Contains(a, "hunter2") {
		t.Errorf("fingerprint %q", a)
	}
	if got := NewFingerprinter().Fingerprint("loki", "password", "hunter2"); got != a {
		t.Error("a new Fingerprinter computes another fingerprint")
	}
}

// Folder ownership is the ledger, never createdBy: a folder made under
// grafsync's own identity but absent from the ledger is not managed, and
// the plan is told why (source audit rows 25, 39).
func TestLiveFolderOwnership(t *testing.T) {
	ledger := Ledger{Exists: true, Version: 3, Folders: map[string]bool{"mine": true}}
	sa := grafana.Identity{Login: "sa-1-grafsync", Name: "grafsync"}
	admin := grafana.Identity{Login: "admin", Name: "admin"}
	tests := []struct {
		name     string
		own      FolderOwnership
		folder   grafana.Folder
		managed  bool
		unproven string // a substring of the reason; "" = no reason
	}{
		{"recorded, made by a token on 11.4 (Anonymous)", FolderOwnership{ledger, sa}, grafana.Folder{UID: "mine", CreatedBy: "Anonymous"}, true, ""},
		{"recorded, made by a person", FolderOwnership{ledger, sa}, grafana.Folder{UID: "mine", CreatedBy: "alice"}, true, ""},
		{"made under grafsync's login, not recorded", FolderOwnership{ledger, admin}, grafana.Folder{UID: "hand", CreatedBy: "admin"}, false, "not in grafsync's ownership ledger"},
		{"service account's name (11.5+), not recorded", FolderOwnership{ledger, sa}, grafana.Folder{UID: "old", CreatedBy: "grafsync"}, false, "declare it in Git"},
		{"Anonymous with a token (≤11.4), not recorded", FolderOwnership{ledger, sa}, grafana.Folder{UID: "old", CreatedBy: "Anonymous"}, false, "cannot prove"},
		{"Anonymous with a login: someone else", FolderOwnership{ledger, admin}, grafana.Folder{UID: "prov", CreatedBy: "Anonymous"}, false, ""},
		{"another person's folder", FolderOwnership{ledger, admin}, grafana.Folder{UID: "b", CreatedBy: "alice"}, false, ""},
		{"no ledger at all", FolderOwnership{Ledger{}, admin}, grafana.Folder{UID: "mine", CreatedBy: "admin"}, false, "does not exist in this org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LiveFolders([]grafana.Folder{tt.folder}, 1, tt.own)[0]
			if got.Managed != tt.managed || (tt.unproven == "") != (got.Unproven == "") || !strings.Contains(got.Unproven, tt.unproven) {
				t.Errorf("managed %v, unproven %q; want managed %v, unproven containing %q", got.Managed, got.Unproven, tt.managed, tt.unproven)
			}
		})
	}
	fs := []grafana.Folder{{UID: "a", Title: "A"}, {UID: "b", Title: "B", ParentUID: "a"}}
	if got := LiveFolders(fs, 1, FolderOwnership{}); got[0].Depth != 1 || got[1].Depth != 2 {
		t.Errorf("depths %d, %d; want 1, 2", got[0].Depth, got[1].Depth)
	}
}

// The ledger round-trips through its dashboard JSON; a damaged one is an
// error that says how to recover, never an empty record.
func TestLedgerParse(t *testing.T) {
	model := LedgerModel([]string{"b", "a"})
	l, err := ParseLedger(grafana.Dashboard{UID: LedgerUID, Version: 4, JSON: model})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Ledger{Exists: true, Version: 4, Folders: map[string]bool{"a": true, "b": true}}, l); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []map[string]any{
		{"title": "x"},
		{ledgerKey: map[string]any{"folders": "a,b"}},
		{ledgerKey: map[string]any{"folders": []any{"a", 3.0}}},
	} {
		if _, err := ParseLedger(grafana.Dashboard{UID: LedgerUID, JSON: mustJSON(t, bad)}); err == nil || !strings.Contains(err.Error(), "version history") {
			t.Errorf("ParseLedger(%v) = %v; want an error saying how to recover", bad, err)
		}
	}
	newer := map[string]any{ledgerKey: map[string]any{"version": 2.0, "folders": []any{"a"}}}
	if _, err := ParseLedger(grafana.Dashboard{UID: LedgerUID, JSON: mustJSON(t, newer)}); err == nil || !strings.Contains(err.Error(), "upgrade grafsync") {
		t.Errorf("ParseLedger of a newer format = %v; want an error saying to upgrade", err)
	}
}

func mustJSON(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Datasource names are unique in an org (§6.3, §6.4): a desired datasource
// whose name another live datasource holds cannot be written, unless Git
// renames that one too.
func TestDatasourceNameTaken(t *testing.T) {
	live := []grafana.Datasource{
		{UID: "hand", Name: "Mimir", Type: "prometheus"},
		{UID: "old", Name: "Thanos", Type: "prometheus"},
		{UID: "same", Name: "Same", Type: "prometheus"},
	}
	tests := []struct {
		name  string
		git   []*resource.Datasource
		taken map[string]bool // by desired id
	}{
		{"name held by a hand-made datasource", []*resource.Datasource{{UID: "mimir", Name: "Mimir", Type: "prometheus"}}, map[string]bool{"mimir": true}},
		{"its own name", []*resource.Datasource{{UID: "same", Name: "Same", Type: "prometheus"}}, map[string]bool{}},
		{"no uid: found by name", []*resource.Datasource{{Name: "Mimir", Type: "prometheus"}}, map[string]bool{}},
		{"freed by a rename in Git", []*resource.Datasource{
			{UID: "new", Name: "Thanos", Type: "prometheus"},
			{UID: "old", Name: "Thanos (old)", Type: "prometheus"},
		}, map[string]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]bool{}
			for _, r := range DesiredDatasources(&resource.Org{Datasources: tt.git}, 1, live, NewFingerprinter()) {
				if r.Unwritable != "" {
					got[r.ID] = true
					if !strings.Contains(r.Unwritable, "uid hand") {
						t.Errorf("reason %q does not name the holder", r.Unwritable)
					}
				}
			}
			if diff := cmp.Diff(tt.taken, got); diff != "" {
				t.Errorf("unwritable (-want +got):\n%s", diff)
			}
		})
	}
}

// §6.4: an update ignores an empty url, so a url removed from Git could
// never reach Grafana and would be re-sent forever: it is unwritable.
func TestDatasourceURLCannotBeCleared(t *testing.T) {
	live := []grafana.Datasource{{UID: "cw", Name: "CW", Type: "cloudwatch", URL: "http://old"}, {UID: "empty", Name: "Empty", Type: "cloudwatch"}}
	git := []*resource.Datasource{{UID: "cw", Name: "CW", Type: "cloudwatch"}, {UID: "empty", Name: "Empty", Type: "cloudwatch"}, {UID: "new", Name: "New", Type: "cloudwatch"}}
	got := map[string]bool{}
	for _, r := range DesiredDatasources(&resource.Org{Datasources: git}, 1, live, NewFingerprinter()) {
		got[r.ID] = r.Unwritable != ""
	}
	if diff := cmp.Diff(map[string]bool{"cw": true, "empty": false, "new": false}, got); diff != "" {
		t.Errorf("unwritable (-want +got):\n%s", diff)
	}
}

// desiredDashboards normalises an org's dashboards from Git as the
// pipeline does (reconcile's desiredDashboards, which also releases each
// loaded JSON once normalised).
func desiredDashboards(org *resource.Org, orgID int64) ([]plan.Resource, error) {
	out := make([]plan.Resource, 0, len(org.Dashboards))
	for _, d := range org.Dashboards {
		r, err := DesiredDashboard(d, orgID)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

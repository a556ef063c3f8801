package normalize

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// What Grafana does to a saved dashboard (§3.1) is undone by Dashboard, so
// Git's copy and Grafana's copy normalise to the same doc.
func TestDashboardBothSidesAgree(t *testing.T) {
	git := map[string]any{"uid": "ecs", "title": "  ECS services ", "refresh": "1s", "panels": []any{}, "id": 7.0}
	stored := map[string]any{"uid": "ecs", "title": "ECS services", "refresh": "5s", "panels": []any{}, "id": 42.0, "version": 3.0}
	if diff := cmp.Diff(Dashboard(git, "platform"), Dashboard(stored, "platform")); diff != "" {
		t.Errorf("(-git +grafana):\n%s", diff)
	}
	if _, ok := Dashboard(git, "")["id"]; ok {
		t.Error("id survives normalisation")
	}
	if got := Dashboard(map[string]any{"refresh": "1m"}, "")["refresh"]; got != "1m" {
		t.Errorf("a refresh above the minimum changed to %v", got)
	}
	if got := Dashboard(map[string]any{"refresh": ""}, "")["refresh"]; got != "" {
		t.Errorf("an empty refresh changed to %v", got)
	}
	if git["title"] != "  ECS services " {
		t.Error("Dashboard modified its input")
	}
}

func TestDashboardMarkerAndAdoption(t *testing.T) {
	org := &resource.Org{Dashboards: []*resource.Dashboard{{UID: "ecs", Path: "platform/ecs.json", FolderUID: "platform", JSON: []byte(`{"uid": "ecs", "title": "ECS"}`)}}}
	desired, err := DesiredDashboards(org, 1)
	if err != nil {
		t.Fatal(err)
	}
	handmade, err := LiveDashboard(grafana.Dashboard{UID: "ecs", FolderUID: "platform", Version: 2, Model: map[string]any{"uid": "ecs", "title": "ECS", "id": 1.0}}, 1)
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
	stored, _ := desired[0].Document()
	back, err := LiveDashboard(grafana.Dashboard{UID: "ecs", FolderUID: "platform", Version: 3, Model: stored}, 1)
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
	l, err := ParseLedger(grafana.Dashboard{UID: LedgerUID, Version: 4, Model: jsonRoundTrip(t, model)})
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
		if _, err := ParseLedger(grafana.Dashboard{UID: LedgerUID, Model: bad}); err == nil || !strings.Contains(err.Error(), "version history") {
			t.Errorf("ParseLedger(%v) = %v; want an error saying how to recover", bad, err)
		}
	}
	newer := map[string]any{ledgerKey: map[string]any{"version": 2.0, "folders": []any{"a"}}}
	if _, err := ParseLedger(grafana.Dashboard{UID: LedgerUID, Model: newer}); err == nil || !strings.Contains(err.Error(), "upgrade grafsync") {
		t.Errorf("ParseLedger of a newer format = %v; want an error saying to upgrade", err)
	}
}

func jsonRoundTrip(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
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

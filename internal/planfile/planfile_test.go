package planfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/view"
)

func samplePlan() view.JSONPlan {
	return view.JSONPlan{
		FormatVersion: view.JSONFormatVersion,
		Revision:      "abc",
		Changes: []view.JSONChange{
			{Action: "update", Kind: "dashboard", ID: "ecs", Subject: "dashboard platform/ecs", LiveVersion: 3,
				Fields: []view.JSONField{{Path: "title", Before: "Old", After: "New"}, {Path: "panels[0].id", Before: 1.0, After: 2.0}}},
			{Action: "update", Kind: "datasource", ID: "loki", Subject: "datasource Loki", LiveVersion: 2,
				Fields: []view.JSONField{{Path: "secureJsonData.password", Secret: true}}},
			{Action: "no-op", Kind: "folder", ID: "platform", Subject: "folder platform", LiveVersion: 1},
			{Action: "no-op", Kind: "ownership", ID: "folders", Subject: "ownership ledger", LiveVersion: 5},
		},
		Orphans: []string{}, Kept: []string{},
	}
}

// A plan read back from its file is the plan that was written, and Check
// finds it current against the plan it was made from.
func TestWriteReadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	in := File{Revision: "abc", OrgID: 2, Prune: true, MaxDeletions: 5, Plan: samplePlan()}
	if err := Write(path, in); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	in.FormatVersion = FormatVersion
	// Numbers come back as float64, as JSON decodes them; the fixture uses float64.
	if diff := cmp.Diff(&in, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	if err := Check(got, File{Revision: "abc", Plan: samplePlan()}); err != nil {
		t.Errorf("Check of an unchanged plan: %v", err)
	}
	// The temporary file of the atomic write is gone.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the plan", len(entries))
	}
}

func TestReadRefuses(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not json", "plan: yes", "is not a grafsync plan"},
		{"other format", `{"format_version": "0"}`, `has format "0"; this grafsync reads format "1"`},
		{"no format", `{}`, `has format ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plan.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("Read of a missing file succeeded")
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		revision string
		fresh    func(p *view.JSONPlan)
		want     []string // nil: the plan is current
	}{
		{name: "unchanged", revision: "abc", fresh: func(*view.JSONPlan) {}},
		{
			name: "a no-op's version moving is not staleness", revision: "abc",
			fresh: func(p *view.JSONPlan) { p.Changes[2].LiveVersion = 9 },
		},
		{
			// Which folders are grafsync's (and so pruned or kept) was
			// decided from the ledger version the plan read.
			name: "the ownership ledger moved, even unchanged by the plan", revision: "abc",
			fresh: func(p *view.JSONPlan) { p.Changes[3].LiveVersion = 6 },
			want:  []string{"ownership ledger: changed in Grafana (version 5 when planned, now 6)"},
		},
		{
			name: "repository moved", revision: "def", fresh: func(*view.JSONPlan) {},
			want: []string{"the repository: the plan was made at revision abc, it is now at def"},
		},
		{
			name: "live version moved", revision: "abc",
			fresh: func(p *view.JSONPlan) { p.Changes[0].LiveVersion = 4 },
			want:  []string{"dashboard platform/ecs: changed in Grafana (version 3 when planned, now 4)"},
		},
		{
			name: "fields differ", revision: "abc",
			fresh: func(p *view.JSONPlan) { p.Changes[0].Fields[0].After = "Newer" },
			want:  []string{"dashboard platform/ecs: the planned update differs now"},
		},
		{
			name: "nothing to do now", revision: "abc",
			fresh: func(p *view.JSONPlan) { p.Changes[1].Action, p.Changes[1].Fields = "no-op", nil },
			want:  []string{"datasource Loki: planned update, now nothing to do"},
		},
		{
			name: "action changed", revision: "abc",
			fresh: func(p *view.JSONPlan) { p.Changes[0].Action = "create" },
			want:  []string{"dashboard platform/ecs: planned update, now create"},
		},
		{
			name: "a new change", revision: "abc",
			fresh: func(p *view.JSONPlan) { p.Changes[2].Action = "update" },
			want:  []string{"folder platform: not in the saved plan, now needs update"},
		},
		{
			name: "everything is named, sorted", revision: "abc",
			fresh: func(p *view.JSONPlan) {
				p.Changes[0].LiveVersion = 4
				p.Changes[2].Action = "delete"
			},
			want: []string{
				"dashboard platform/ecs: changed in Grafana (version 3 when planned, now 4)",
				"folder platform: not in the saved plan, now needs delete",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := &File{Revision: "abc", Plan: samplePlan()}
			fresh := samplePlan()
			tt.fresh(&fresh)
			err := Check(saved, File{Revision: tt.revision, Plan: fresh})
			var got []string
			var stale *StaleError
			if errors.As(err, &stale) {
				got = stale.Moved
			} else if err != nil {
				t.Fatalf("Check error %v, want a StaleError or nil", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("moved (-want +got):\n%s", diff)
			}
			if err != nil {
				for _, part := range []string{"nothing was applied", "Run grafsync plan again"} {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q does not say %q", err, part)
					}
				}
			}
		})
	}
}

// A plan file holds no secret value, even when the plan's diff carries
// one on a field marked secret (planfile's invariant; view.ToJSON masks).
func TestWriteHoldsNoSecret(t *testing.T) {
	const value = "argon2id-v1:fingerprint-of-the-secret"
	p := &plan.Plan{Changes: []plan.Change{{
		Action: plan.Update, Subject: "datasource Loki",
		Before: &plan.Resource{Kind: plan.Datasource, ID: "loki", Version: 2},
		After:  &plan.Resource{Kind: plan.Datasource, ID: "loki"},
		Diff:   []plan.FieldDiff{{Path: "secureJsonData.password", Before: value, After: value + "2", Secret: true}},
	}}}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := Write(path, File{Plan: view.ToJSON(p)}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), value) {
		t.Errorf("the plan file holds a secret value:\n%s", b)
	}
	if !strings.Contains(string(b), `"secret": true`) {
		t.Errorf("the secret field is not marked secret:\n%s", b)
	}
}

// A secret that changed again between plan and apply makes the saved plan
// stale, though both plans say "(secret) changed"; the file holds a digest,
// never the fingerprint or the value.
func TestCheckSeesASecretThatChangedAgain(t *testing.T) {
	rotation := func(fingerprint string) *plan.Plan {
		return &plan.Plan{Revision: "abc", Changes: []plan.Change{{
			Action: plan.Update, Subject: "datasource Loki",
			Before: &plan.Resource{Kind: plan.Datasource, ID: "loki", Version: 2},
			After: &plan.Resource{Kind: plan.Datasource, ID: "loki",
				Doc: map[string]any{"secureJsonData": map[string]any{"password": fingerprint}}},
			Diff: plan.Diff(map[string]any{"secureJsonData": map[string]any{"password": "fp-old"}},
				map[string]any{"secureJsonData": map[string]any{"password": fingerprint}}, []string{"secureJsonData"}),
		}}}
	}
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := Write(path, New(rotation("fp-planned"), 0, false, 10)); err != nil {
		t.Fatal(err)
	}
	saved, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "fp-planned") {
		t.Errorf("the plan file holds the fingerprint:\n%s", b)
	}
	if err := Check(saved, New(rotation("fp-planned"), 0, false, 10)); err != nil {
		t.Errorf("the same rotation: %v", err)
	}
	err = Check(saved, New(rotation("fp-newer"), 0, false, 10))
	var stale *StaleError
	if !errors.As(err, &stale) {
		t.Fatalf("Check error %v, want a StaleError", err)
	}
	want := []string{"datasource Loki secureJsonData.password: the secret's value is not the one planned (it changed again since)"}
	if diff := cmp.Diff(want, stale.Moved); diff != "" {
		t.Errorf("moved (-want +got):\n%s", diff)
	}
}

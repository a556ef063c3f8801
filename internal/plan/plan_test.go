package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func res(kind Kind, id string, doc map[string]any) Resource {
	return Resource{Kind: kind, ID: id, Doc: doc}
}

func live(kind Kind, id string, doc map[string]any, managed bool) Resource {
	r := res(kind, id, doc)
	r.Managed = managed
	r.Version = 3
	return r
}

type line struct {
	Action  Action
	Subject string
}

func lines(p *Plan) []line {
	var out []line
	for _, c := range p.Changes {
		out = append(out, line{c.Action, c.Subject})
	}
	return out
}

func TestMakePairsByIdentity(t *testing.T) {
	desired := []Resource{
		res(Dashboard, "same", map[string]any{"title": "Same"}),
		res(Dashboard, "edited", map[string]any{"title": "New title"}),
		res(Dashboard, "new", map[string]any{"title": "New"}),
		res(Folder, "child", map[string]any{"title": "Child"}),
		res(Datasource, "loki", map[string]any{"url": "http://loki:3100"}),
	}
	desired[3].Depth = 2
	desired = append(desired, Resource{Kind: Folder, ID: "parent", Depth: 1, Doc: map[string]any{"title": "Parent"}})
	lv := []Resource{
		live(Dashboard, "same", map[string]any{"title": "Same"}, true),
		live(Dashboard, "edited", map[string]any{"title": "Old title"}, true),
		live(Dashboard, "handmade", map[string]any{"title": "Hand"}, false),
		live(Dashboard, "left-git", map[string]any{"title": "Gone"}, true),
	}
	p, err := Make("abc123", desired, lv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []line{
		{Create, "folder parent"},
		{Create, "folder child"},
		{Create, "datasource loki"},
		{Update, "dashboard edited"},
		{Create, "dashboard new"},
		{NoOp, "dashboard same"},
	}
	if diff := cmp.Diff(want, lines(p)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if p.Unmanaged != 1 || len(p.Orphans) != 1 || p.Orphans[0] != "dashboard left-git" {
		t.Errorf("unmanaged %d, orphans %v", p.Unmanaged, p.Orphans)
	}
	if got := p.Summary(); got != "Plan: 4 to create, 1 to update, 0 to delete." {
		t.Errorf("summary %q", got)
	}
}

func TestPruneDeletesOnlyManaged(t *testing.T) {
	lv := []Resource{
		live(Dashboard, "managed-gone", nil, true),
		live(Dashboard, "handmade", nil, false),
		{Kind: Datasource, ID: "provisioned", Managed: true, ReadOnly: true},
		{Kind: Folder, ID: "top", Depth: 1, Managed: true},
		{Kind: Folder, ID: "nested", Depth: 2, Managed: true},
	}
	p, err := Make("r", nil, lv, Options{Prune: true, MaxDeletions: 10, AllowEmpty: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []line{
		{Delete, "dashboard managed-gone"},
		{Delete, "folder nested"},
		{Delete, "folder top"},
	}
	if diff := cmp.Diff(want, lines(p)); diff != "" {
		t.Errorf("deletes in reverse dependency order, managed only (-want +got):\n%s", diff)
	}
	if p.Unmanaged != 2 {
		t.Errorf("unmanaged %d, want 2 (hand-made and provisioned)", p.Unmanaged)
	}
}

func TestMaxDeletionsGuard(t *testing.T) {
	lv := []Resource{live(Dashboard, "a", nil, true), live(Dashboard, "b", nil, true)}
	_, err := Make("r", nil, lv, Options{Prune: true, MaxDeletions: 1})
	var tm *TooManyDeletionsError
	if !errors.As(err, &tm) || tm.Deletions != 2 || tm.Max != 1 {
		t.Fatalf("error %v, want TooManyDeletionsError 2 > 1", err)
	}
	if diff := cmp.Diff([]string{"dashboard a", "dashboard b"}, tm.Subjects); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}
}

// TestEmptyKindGuard: a prune that would delete every managed resource of a
// kind group in an org whose repository declares none of it is refused
// unless AllowEmpty; declaring one of the group (a folder counts for
// dashboards), or an explicit deletion, is not guarded.
func TestEmptyKindGuard(t *testing.T) {
	lv := []Resource{
		{Kind: Dashboard, OrgID: 1, ID: "a", Managed: true},
		{Kind: Dashboard, OrgID: 1, ID: "b", Managed: true},
		{Kind: Datasource, OrgID: 1, ID: "prom", Managed: true},
		{Kind: Dashboard, OrgID: 2, ID: "c", Managed: true},
	}
	keep := []Resource{
		{Kind: Datasource, OrgID: 1, ID: "prom", Managed: true},
		{Kind: Dashboard, OrgID: 2, ID: "c", Managed: true},
	}
	tests := []struct {
		name    string
		desired []Resource
		opts    Options
		want    string // EmptyKindError rendered as "what org n subjects", or ""
	}{
		{"dashboards gone", keep, Options{Prune: true, MaxDeletions: 10}, "dashboards or folders 1 2 [dashboard a dashboard b]"},
		{"confirmed", keep, Options{Prune: true, MaxDeletions: 10, AllowEmpty: true}, ""},
		{"without prune nothing is deleted", keep, Options{MaxDeletions: 10}, ""},
		{"a folder is still declared", append([]Resource{{Kind: Folder, OrgID: 1, ID: "f"}}, keep...), Options{Prune: true, MaxDeletions: 10}, ""},
		{"datasources gone", []Resource{lv[0], lv[1], lv[3]}, Options{Prune: true, MaxDeletions: 10}, "datasources 1 1 [datasource prom]"},
		{"an explicit deletion is not guarded", []Resource{lv[0], lv[1], lv[3], {Kind: Datasource, OrgID: 1, ID: "prom", Tombstone: true}}, Options{Prune: true, MaxDeletions: 10}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Make("r", tt.desired, lv, tt.opts)
			got := ""
			var ek *EmptyKindError
			if errors.As(err, &ek) {
				got = fmt.Sprintf("%s %d %d %v", ek.What, ek.OrgID, ek.Deletions, ek.Subjects)
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadOnlyIsBlocked(t *testing.T) {
	d := []Resource{res(Datasource, "prom", map[string]any{"url": "http://new"})}
	l := []Resource{{Kind: Datasource, ID: "prom", ReadOnly: true, Doc: map[string]any{"url": "http://old"}}}
	p, err := Make("r", d, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Changes[0]; c.Action != Blocked || c.Reason == "" {
		t.Errorf("change %+v, want blocked with a reason", c)
	}
	// An identical read-only resource is simply in step.
	l[0].Doc = map[string]any{"url": "http://new"}
	p, _ = Make("r", d, l, Options{})
	if p.Changes[0].Action != NoOp || p.HasChanges() {
		t.Errorf("identical read-only resource: %+v", p.Changes[0])
	}
}

// A read-only resource cannot carry grafsync's marker: one that matches Git
// otherwise is in step, not blocked forever; the marker still counts
// against a writable resource (that is how grafsync adopts it).
func TestReadOnlyIgnoresMarker(t *testing.T) {
	tests := []struct {
		name     string
		readOnly bool
		liveURL  string
		want     Action
		wantDiff []string
	}{
		{"read-only, same", true, "http://a", NoOp, nil},
		{"read-only, differs", true, "http://b", Blocked, []string{"url"}},
		{"writable, same but unmarked", false, "http://a", Update, []string{"grafsync.managed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Resource{Kind: Datasource, ID: "prom", Marker: "grafsync",
				Doc: map[string]any{"url": "http://a", "grafsync": map[string]any{"managed": true}}}
			l := Resource{Kind: Datasource, ID: "prom", ReadOnly: tt.readOnly,
				Doc: map[string]any{"url": tt.liveURL, "grafsync": map[string]any{}}}
			p, err := Make("r", []Resource{d}, []Resource{l}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			c := p.Changes[0]
			var paths []string
			for _, f := range c.Diff {
				paths = append(paths, f.Path)
			}
			if diff := cmp.Diff(tt.want, c.Action); diff != "" {
				t.Errorf("action (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDiff, paths); diff != "" {
				t.Errorf("diff paths (-want +got):\n%s", diff)
			}
		})
	}
}

// A desired resource normalize found unwritable is Blocked, with its
// reason, whether it would be a create or an update; in step, it is a no-op.
func TestUnwritableIsBlocked(t *testing.T) {
	d := []Resource{
		{Kind: Datasource, ID: "new", Unwritable: "name taken", Doc: map[string]any{"name": "Mimir"}},
		{Kind: Datasource, ID: "renamed", Unwritable: "name taken", Doc: map[string]any{"name": "Mimir"}},
		{Kind: Datasource, ID: "same", Unwritable: "name taken", Doc: map[string]any{"name": "Same"}},
	}
	l := []Resource{
		live(Datasource, "renamed", map[string]any{"name": "Old"}, true),
		live(Datasource, "same", map[string]any{"name": "Same"}, true),
	}
	p, err := Make("r", d, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []line{{Blocked, "datasource new"}, {Blocked, "datasource renamed"}, {NoOp, "datasource same"}}
	if diff := cmp.Diff(want, lines(p)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, c := range p.Changes[:2] {
		if c.Reason != "name taken" {
			t.Errorf("%s: reason %q", c.Subject, c.Reason)
		}
	}
}

func TestDuplicateDesired(t *testing.T) {
	d := []Resource{res(Dashboard, "x", nil), res(Dashboard, "x", nil)}
	if _, err := Make("r", d, nil, Options{}); err == nil {
		t.Fatal("duplicate desired resources were accepted")
	}
}

func TestSameIDInTwoOrgs(t *testing.T) {
	a := res(Dashboard, "x", map[string]any{"title": "A"})
	b := res(Dashboard, "x", map[string]any{"title": "B"})
	b.OrgID = 2
	p, err := Make("r", []Resource{a, b}, []Resource{live(Dashboard, "x", map[string]any{"title": "A"}, true)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []line{{NoOp, "dashboard x"}, {Create, "dashboard x (org 2)"}}
	if diff := cmp.Diff(want, lines(p)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDiff(t *testing.T) {
	before := map[string]any{
		"title":            "A",
		"panels":           []any{map[string]any{"id": 1.0, "targets": []any{map[string]any{"expr": "up"}}}, "x"},
		"gone":             true,
		"secureJsonFields": map[string]any{"password": "fp1"},
		"weird.key":        1.0,
	}
	after := map[string]any{
		"title":            "B",
		"panels":           []any{map[string]any{"id": 1.0, "targets": []any{map[string]any{"expr": "up{job=\"x\"}"}}}},
		"new":              []any{},
		"secureJsonFields": map[string]any{"password": "fp2"},
		"weird.key":        2.0,
	}
	got := Diff(before, after, []string{"secureJsonFields"})
	want := []FieldDiff{
		{Path: "gone", Before: true, AfterAbsent: true},
		{Path: "new", After: []any{}, BeforeAbsent: true},
		{Path: "panels[0].targets[0].expr", Before: "up", After: `up{job="x"}`},
		{Path: "panels[1]", Before: "x", AfterAbsent: true},
		{Path: "secureJsonFields.password", Secret: true},
		{Path: "title", Before: "A", After: "B"},
		{Path: `["weird.key"]`, Before: 1.0, After: 2.0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// §5.6: deleting a folder deletes what it holds, so prune keeps a folder that
// still holds a hand-made dashboard or sub-folder, and says why.
func TestPruneKeepsFolderThatStillHoldsSomething(t *testing.T) {
	folder := func(id, parent string, managed bool) Resource {
		return Resource{Kind: Folder, ID: id, Managed: managed, Parent: parent, Doc: map[string]any{"title": id, "parentUid": parent}}
	}
	dash := func(id, folder string, managed bool) Resource {
		return Resource{Kind: Dashboard, ID: id, Managed: managed, Parent: folder, Doc: map[string]any{"folderUid": folder}}
	}
	lv := []Resource{
		folder("empty-after", "", true), dash("managed-in-it", "empty-after", true),
		folder("holds-handmade", "", true), dash("handmade", "holds-handmade", false),
		folder("outer", "", true), folder("inner", "outer", false),
		folder("moved-out", "", true), dash("moving", "moved-out", true),
	}
	desired := []Resource{{Kind: Dashboard, ID: "moving", Parent: "", Doc: map[string]any{"folderUid": ""}}}
	p, err := Make("r", desired, lv, Options{Prune: true, MaxDeletions: 10})
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, c := range p.Changes {
		if c.Action == Delete {
			deleted = append(deleted, c.Subject)
		}
	}
	want := []string{"dashboard managed-in-it", "folder empty-after", "folder moved-out"}
	if diff := cmp.Diff(want, deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	wantKept := []string{
		"folder holds-handmade is kept: it still holds dashboard handmade, which grafsync does not delete",
		"folder outer is kept: it still holds folder inner, which grafsync does not delete",
	}
	if diff := cmp.Diff(wantKept, p.Kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}

	// Without prune, "--prune would delete" names exactly what a prune
	// would delete, and the kept folders are still explained.
	p, err = Make("r", desired, lv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, p.Orphans); diff != "" {
		t.Errorf("orphans without prune (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantKept, p.Kept); diff != "" {
		t.Errorf("kept without prune (-want +got):\n%s", diff)
	}
}

// Equal encoded documents pair as a no-op without being decoded; different
// ones are decoded and diffed.
func TestRawDocuments(t *testing.T) {
	d := Resource{Kind: Dashboard, ID: "x", Raw: []byte(`{"title":"A"}`)}
	same := Resource{Kind: Dashboard, ID: "x", Managed: true, Raw: []byte(`{"title":"A"}`)}
	other := Resource{Kind: Dashboard, ID: "x", Managed: true, Raw: []byte(`{"title":"B"}`)}
	broken := Resource{Kind: Dashboard, ID: "x", Managed: true, Raw: []byte(`{`)}
	p, err := Make("r", []Resource{d}, []Resource{same}, Options{})
	if err != nil || p.Changes[0].Action != NoOp {
		t.Fatalf("equal raw docs: %v %+v", err, p.Changes)
	}
	p, err = Make("r", []Resource{d}, []Resource{other}, Options{})
	if err != nil || p.Changes[0].Action != Update {
		t.Fatalf("different raw docs: %v %+v", err, p.Changes)
	}
	want := []FieldDiff{{Path: "title", Before: "B", After: "A"}}
	if diff := cmp.Diff(want, p.Changes[0].Diff); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := Make("r", []Resource{d}, []Resource{broken}, Options{}); err == nil {
		t.Error("an undecodable document was accepted")
	}
}

// Grafana provisioning's deleteDatasources: an explicit delete from Git,
// managed or not, without --prune, counted against --max-deletions; a
// declaration of the same datasource wins; a provisioned one is blocked.
func TestTombstones(t *testing.T) {
	tomb := func(id string) Resource { return Resource{Kind: Datasource, ID: id, Tombstone: true} }
	lv := []Resource{
		{Kind: Datasource, ID: "old", Name: "Old"},                          // hand-made: deleted all the same
		{Kind: Datasource, ID: "kept", Name: "Kept", Doc: map[string]any{}}, // also declared: the declaration wins
		{Kind: Datasource, ID: "prov", Name: "Prov", ReadOnly: true},
	}
	desired := []Resource{tomb("old"), tomb("kept"), tomb("gone"), tomb("prov"), {Kind: Datasource, ID: "kept", Name: "Kept", Doc: map[string]any{}}}
	p, err := Make("r", desired, lv, Options{MaxDeletions: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []line{{NoOp, "datasource Kept"}, {Blocked, "datasource Prov"}, {Delete, "datasource Old"}}
	if diff := cmp.Diff(want, lines(p)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(p.Orphans) != 0 || p.Unmanaged != 0 {
		t.Errorf("orphans %v, unmanaged %d", p.Orphans, p.Unmanaged)
	}
	if _, err := Make("r", desired, lv, Options{MaxDeletions: 0}); err == nil {
		t.Error("an explicit delete went past --max-deletions 0")
	}
}

// The alerting kinds all come from one directory, alerting/: like
// dashboards, folders and library panels from dashboards/, they are one
// group for the empty-kind guard. A repository that still declares a
// contact point has its alerting/ directory, so the last rule group leaving
// Git is an ordinary prune; a repository that declares no alerting at all
// is guarded, and the error names the directory to check.
func TestEmptyKindGuardAlerting(t *testing.T) {
	lv := []Resource{
		{Kind: AlertRuleGroup, OrgID: 1, ID: "platform/api", Name: "Platform/api", Managed: true},
		{Kind: ContactPoint, OrgID: 1, ID: "ops-hook", Name: "ops", Managed: true},
	}
	tests := []struct {
		name    string
		desired []Resource
		want    string // EmptyKindError rendered as "what org n", or ""
	}{
		{"a contact point is still declared", []Resource{{Kind: ContactPoint, OrgID: 1, ID: "ops-hook", Managed: true}}, ""},
		{"a mute timing is still declared", []Resource{{Kind: MuteTiming, OrgID: 1, ID: "weekends"}}, ""},
		{"alerting gone", nil, "alerting 1 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Make("r", tt.desired, lv, Options{Prune: true, MaxDeletions: 10})
			got := ""
			var ek *EmptyKindError
			if errors.As(err, &ek) {
				got = fmt.Sprintf("%s %d %d", ek.What, ek.OrgID, ek.Deletions)
				if !strings.Contains(ek.Error(), "alerting/") {
					t.Errorf("error %q does not name the alerting/ directory", ek.Error())
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

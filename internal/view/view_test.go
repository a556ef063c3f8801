package view

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/plan"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// samplePlan has one change of every action, a secret and a blocked change.
func samplePlan(t *testing.T) *plan.Plan {
	t.Helper()
	desired := []plan.Resource{
		{Kind: plan.Folder, ID: "platform", Name: "platform", Depth: 1, Doc: map[string]any{"title": "Platform"}, Source: "dashboards/platform/_folder.yaml:1:1"},
		{Kind: plan.Dashboard, ID: "ecs-services", Name: "platform/ecs-services", Doc: map[string]any{
			"title": "ECS services", "tags": []any{"ecs", "fargate"}, "refresh": "1m",
			"panels": []any{map[string]any{"id": 1.0, "targets": []any{map[string]any{"expr": "sum(rate(x[5m]))"}}}},
		}, Source: "dashboards/platform/ecs-services.json:1:1"},
		{Kind: plan.Datasource, ID: "loki", Name: "Loki", Doc: map[string]any{
			"url": "http://loki:3100", "secureJsonData": map[string]any{"basicAuthPassword": "fp-new"},
		}, Secrets: []string{"secureJsonData"}, Source: "datasources/loki.yaml:4:5"},
		{Kind: plan.Datasource, ID: "prom", Name: "Prometheus", Doc: map[string]any{"url": "http://thanos:9090"}},
		{Kind: plan.Dashboard, ID: "same", Name: "same", Doc: map[string]any{"title": "Same"}},
	}
	live := []plan.Resource{
		{Kind: plan.Dashboard, ID: "ecs-services", Managed: true, Version: 7, Doc: map[string]any{
			"title": "ECS", "tags": []any{"ecs"}, "refresh": "1m",
			"panels": []any{map[string]any{"id": 1.0, "targets": []any{map[string]any{"expr": "sum(rate(x[1m]))"}}}},
		}},
		{Kind: plan.Datasource, ID: "loki", Name: "Loki", Managed: true, Version: 2, Doc: map[string]any{
			"url": "http://loki:3100", "secureJsonData": map[string]any{"basicAuthPassword": "fp-old"},
		}, Secrets: []string{"secureJsonData"}},
		{Kind: plan.Datasource, ID: "prom", Name: "Prometheus", ReadOnly: true, Doc: map[string]any{"url": "http://prometheus:9090"}},
		{Kind: plan.Dashboard, ID: "same", Managed: true, Doc: map[string]any{"title": "Same"}},
		{Kind: plan.Dashboard, ID: "old", Name: "old/retired", Managed: true, Version: 4},
		{Kind: plan.Dashboard, ID: "orphan", Name: "orphan", Managed: true},
	}
	p, err := plan.Make("0123456789abcdef0123456789abcdef01234567", desired, live, plan.Options{Prune: true, MaxDeletions: 5})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTextGolden(t *testing.T) {
	p := samplePlan(t)
	var plain, color bytes.Buffer
	if err := Text(&plain, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.txt", plain.Bytes())
	if err := Text(&color, p, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan-color.txt", color.Bytes())
	if !strings.HasSuffix(plain.String(), "Plan: 1 to create, 2 to update, 2 to delete. 1 blocked.\n") {
		t.Errorf("text view does not end with the summary line:\n%s", plain.String())
	}
}

func TestJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, samplePlan(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.json", b.Bytes())
	var back JSONPlan
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("JSON view does not parse: %v", err)
	}
	if back.FormatVersion != JSONFormatVersion || back.Summary.Update != 2 {
		t.Errorf("round trip: %+v", back.Summary)
	}
}

func TestMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, samplePlan(t), MarkdownOptions{Title: "grafsync plan", Marker: "grafsync-plan"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.md", b.Bytes())
}

// A plan too large for one GitHub comment is shortened, stays under the
// limit, and says what it left out.
func TestMarkdownShortened(t *testing.T) {
	var desired []plan.Resource
	for i := range 400 {
		panels := []any{}
		for j := range 30 {
			panels = append(panels, map[string]any{"id": float64(j), "title": fmt.Sprintf("Panel %d with a fairly long descriptive title", j)})
		}
		desired = append(desired, plan.Resource{Kind: plan.Dashboard, ID: fmt.Sprintf("dash-%03d", i), Doc: map[string]any{"title": fmt.Sprintf("Dashboard %d", i), "panels": panels}})
	}
	var live []plan.Resource
	for _, d := range desired {
		live = append(live, plan.Resource{Kind: d.Kind, ID: d.ID, Managed: true, Doc: map[string]any{"title": d.Doc["title"]}})
	}
	p, err := plan.Make("abc", desired, live, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Markdown(&b, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if len(out) > GitHubCommentLimit {
		t.Fatalf("markdown is %d characters, over GitHub's %d", len(out), GitHubCommentLimit)
	}
	if !strings.Contains(out, "shortened to fit GitHub's limit") || !strings.Contains(out, "Plan: 0 to create, 400 to update, 0 to delete.") {
		t.Errorf("shortened comment lacks the note or the summary:\n%s", out[len(out)-400:])
	}
	// Small enough to check by eye: the same plan cut to 3,000 characters.
	b.Reset()
	if err := Markdown(&b, p, MarkdownOptions{Limit: 3000}); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 3000 {
		t.Errorf("limit 3000: got %d characters", b.Len())
	}
	golden(t, "plan-shortened.md", b.Bytes())
}

// Secrets: the sample plan's secret fingerprints appear in no view.
func TestViewsMaskSecrets(t *testing.T) {
	p := samplePlan(t)
	var all bytes.Buffer
	Text(&all, p, TextOptions{})
	JSON(&all, p)
	Markdown(&all, p, MarkdownOptions{})
	for _, leak := range []string{"fp-new", "fp-old"} {
		if strings.Contains(all.String(), leak) {
			t.Errorf("a view prints the secret fingerprint %q", leak)
		}
	}
	if !strings.Contains(all.String(), "(secret)") {
		t.Error("no view marks the secret change")
	}
}

// diffOf is n changed fields.
func diffOf(n int) []plan.FieldDiff {
	var d []plan.FieldDiff
	for i := range n {
		d = append(d, plan.FieldDiff{Path: fmt.Sprintf("panels[%d].title", i), Before: fmt.Sprintf("Panel %d", i), After: fmt.Sprintf("Panel %d, renamed", i)})
	}
	return d
}

// mixedPlan has one huge update first, small updates, many creates, deletes
// and a blocked change at the end, and many orphans: a plan that does not fit.
func mixedPlan(creates, bigFields, orphans int) *plan.Plan {
	p := &plan.Plan{Revision: "0123456789abcdef"}
	p.Changes = append(p.Changes, plan.Change{Action: plan.Update, Subject: "dashboard platform/huge", Diff: diffOf(bigFields)})
	for i := range 3 {
		p.Changes = append(p.Changes, plan.Change{Action: plan.Update, Subject: fmt.Sprintf("dashboard platform/small-%d", i), Diff: diffOf(2)})
	}
	for i := range creates {
		p.Changes = append(p.Changes, plan.Change{Action: plan.Create, Subject: fmt.Sprintf("dashboard imported/new-%04d", i)})
	}
	p.Changes = append(p.Changes,
		plan.Change{Action: plan.Blocked, Subject: "datasource Prometheus", Reason: "it is provisioned from files in Grafana", Diff: diffOf(1)},
		plan.Change{Action: plan.Delete, Subject: "dashboard old/retired-1"},
		plan.Change{Action: plan.Delete, Subject: "dashboard old/retired-2"},
	)
	for i := range orphans {
		p.Orphans = append(p.Orphans, fmt.Sprintf("dashboard left/orphan-%04d", i))
	}
	return p
}

// The comment fits GitHub however large the plan, and shortening keeps what
// a reviewer needs most: small diffs over one huge one, deletes and blocked
// changes over creates, changes over notes.
func TestMarkdownFitsGitHub(t *testing.T) {
	for _, tc := range []struct {
		name   string
		plan   *plan.Plan
		limit  int
		want   []string // substrings the comment must hold
		reject []string // substrings it must not hold
	}{
		{
			name: "fits whole", plan: mixedPlan(2, 3, 1),
			want:   []string{"<summary><code>~</code> dashboard platform/huge (3 fields)</summary>", "> note: dashboard left/orphan-0000 is managed"},
			reject: []string{"shortened"},
		},
		{
			name: "one huge diff is folded, small diffs stay", plan: mixedPlan(2, 5000, 0),
			want: []string{
				"- `~` dashboard platform/huge\n",
				"<summary><code>~</code> dashboard platform/small-2 (2 fields)</summary>",
				"<summary><code>!</code> datasource Prometheus (1 field)</summary>",
				"1 of 9 changes are listed without their field diffs. Run",
			},
			reject: []string{"not listed"},
		},
		{
			name: "deletes and blocked outlast creates", plan: mixedPlan(5000, 10, 0),
			want: []string{
				"- `-` dashboard old/retired-1\n", "- `-` dashboard old/retired-2\n", "datasource Prometheus",
				"- `+` dashboard imported/new-0000\n",
				"changes are not listed (", " to create)",
			},
			reject: []string{"to delete)", "blocked)"},
		},
		{
			name: "notes give way to changes", plan: mixedPlan(0, 3, 20000),
			want: []string{
				"<summary><code>~</code> dashboard platform/huge (3 fields)</summary>",
				"> note: dashboard left/orphan-0000 is managed",
				" of 20000 notes are left out",
			},
			reject: []string{"orphan-19999"},
		},
		{
			name: "small limit", plan: mixedPlan(5000, 5000, 20000), limit: 2000,
			want: []string{"- `-` dashboard old/retired-2\n", "**Plan: 5000 to create, 4 to update, 2 to delete. 1 blocked.**\n"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Markdown(&b, tc.plan, MarkdownOptions{Marker: "grafsync-plan", Limit: tc.limit}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			limit := tc.limit
			if limit == 0 {
				limit = GitHubCommentLimit - CommentReserve
			}
			if b.Len() > limit {
				t.Errorf("%d bytes, over the limit %d", b.Len(), limit)
			}
			if !strings.HasPrefix(out, "<!-- grafsync-plan -->\n### grafsync plan\n") {
				t.Errorf("does not start with the marker and the title:\n%.200s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %q; ends:\n%s", w, tail(out, 600))
				}
			}
			for _, r := range tc.reject {
				if strings.Contains(out, r) {
					t.Errorf("holds %q; ends:\n%s", r, tail(out, 600))
				}
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// The shortening decisions on a plan small enough to review by eye.
func TestMarkdownShortenedMixed(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, mixedPlan(40, 100, 30), MarkdownOptions{Marker: "grafsync-plan", Limit: 4000}); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 4000 {
		t.Errorf("limit 4000: got %d bytes", b.Len())
	}
	golden(t, "plan-shortened-mixed.md", b.Bytes())
}

// A subject holding markdown or a line break stays one line of text.
func TestMarkdownEscapesSubjects(t *testing.T) {
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Create, Subject: "dashboard a|b\n# not a heading"},
		{Action: plan.Update, Subject: "dashboard <x>\n</details>", Diff: diffOf(1)},
	}}
	var b bytes.Buffer
	if err := Markdown(&b, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"- `+` dashboard a\\|b # not a heading\n",
		"<summary><code>~</code> dashboard &lt;x&gt; &lt;/details&gt; (1 field)</summary>",
	} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("lacks %q:\n%s", w, b.String())
		}
	}
}

// go test ./internal/view -bench Markdown -benchmem
func BenchmarkMarkdownShortened(b *testing.B) {
	p := mixedPlan(5000, 5000, 20000)
	for b.Loop() {
		if err := Markdown(io.Discard, p, MarkdownOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The check views: one line per datasource, a multi-line plugin message
// indented under its line, and the JSON schema.
func TestCheckViews(t *testing.T) {
	r := &check.Report{Results: []check.Result{
		{OrgID: 1, Org: "Main Org.", UID: "thanos", Name: "Thanos", Type: "prometheus", Source: "datasources/observability.yaml:7:5", OK: true, Message: "Successfully queried the Prometheus API.", Duration: 12 * time.Millisecond},
		{OrgID: 1, Org: "Main Org.", UID: "cw-prod", Name: "CloudWatch prod", Type: "cloudwatch", Source: "datasources/cloudwatch.yaml:11:5", Message: "1. CloudWatch metrics query failed: denied\n2. CloudWatch logs query failed: denied"},
	}}
	var text, js bytes.Buffer
	if err := CheckText(&text, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "check.txt", text.Bytes())
	if err := CheckJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "check.json", js.Bytes())
}

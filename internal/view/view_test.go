package view

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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

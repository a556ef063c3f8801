package view

import (
	"bytes"
	"strings"
	"testing"

	"github.com/grafsync/grafsync/internal/plan"
)

// TestAdoptionOneLine: adoptions are one line in the text and markdown
// views, with the secrets written once; other changes keep their diffs.
func TestAdoptionOneLine(t *testing.T) {
	marker := []plan.FieldDiff{{Path: "grafsync.managed", After: true, BeforeAbsent: true}}
	p := &plan.Plan{Changes: []plan.Change{
		{Action: plan.Update, Subject: "dashboard a", Before: &plan.Resource{Kind: plan.Dashboard, ID: "a"}, After: &plan.Resource{Kind: plan.Dashboard, ID: "a"}, Diff: marker, Adopt: true},
		{Action: plan.Update, Subject: "dashboard b", Before: &plan.Resource{Kind: plan.Dashboard, ID: "b"}, After: &plan.Resource{Kind: plan.Dashboard, ID: "b"}, Diff: marker, Adopt: true},
		{Action: plan.Update, Subject: "datasource Loki", Before: &plan.Resource{Kind: plan.Datasource, ID: "l"}, After: &plan.Resource{Kind: plan.Datasource, ID: "l"}, Diff: marker, Adopt: true, SecretsOnce: []string{"password"}},
		{Action: plan.Update, Subject: "dashboard c", Before: &plan.Resource{Kind: plan.Dashboard, ID: "c"}, After: &plan.Resource{Kind: plan.Dashboard, ID: "c"},
			Diff: []plan.FieldDiff{{Path: "title", Before: "C", After: "D"}}},
	}}
	var text, md bytes.Buffer
	if err := Text(&text, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, p, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		for _, want := range []string{"adopt 2 dashboards, 1 datasource: only grafsync's ownership marker is added", "datasource Loki: password", "dashboard c", "title"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s view lacks %q:\n%s", name, want, out)
			}
		}
		for _, not := range []string{"dashboard a", "dashboard b", "grafsync.managed"} {
			if strings.Contains(out, not) {
				t.Errorf("%s view shows %q, which the adoption line stands for:\n%s", name, not, out)
			}
		}
	}
}

package view

import (
	"bytes"
	"strings"
	"testing"

	"github.com/grafsync/grafsync/internal/plan"
)

// Every view carries an update's note (its Reason), with or without a
// field diff: the markdown comment is what a reviewer reads, so a note that
// only text and JSON show (a dashboard Grafana holds as schema v2) is lost.
func TestUpdateNoteInEveryView(t *testing.T) {
	const note = "Grafana holds this dashboard in schema v2beta1 (saved by admin)"
	for _, diff := range [][]plan.FieldDiff{nil, diffOf(2)} {
		p := &plan.Plan{Changes: []plan.Change{{Action: plan.Update, Subject: "dashboard team/home", Reason: note, Diff: diff,
			Before: &plan.Resource{Kind: plan.Dashboard, ID: "home"}, After: &plan.Resource{Kind: plan.Dashboard, ID: "home"}}}}
		var text, md, js bytes.Buffer
		if err := Text(&text, p, TextOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := Markdown(&md, p, MarkdownOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := JSON(&js, p); err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"text": text.String(), "markdown": md.String(), "json": js.String()} {
			if !strings.Contains(out, note) {
				t.Errorf("%s view with %d diff lines lacks the note %q:\n%s", name, len(diff), note, out)
			}
		}
	}
}

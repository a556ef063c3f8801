package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/problem"
)

// FleetRow is one instance's line of a fleet run. Plan holds its changes
// only (no-ops dropped), so a fleet's result does not hold every
// instance's dashboards. Plan is nil when the instance was not planned
// (down, bad credentials, invalid for it): its counts are unknown, and the
// views show them as "-", never 0.
type FleetRow struct {
	Instance string      `json:"instance"`
	Summary  JSONSummary `json:"summary"`
	// Drift: Grafana differs from the repository (any change or blocked).
	Drift bool   `json:"drift"`
	Error string `json:"error,omitempty"`
	// Applied is apply's summary for the instance; Skipped says why apply
	// did not reach it (a failed canary). Done is what apply did, set only
	// when apply ran (a refused or failed plan leaves it nil).
	Applied string     `json:"applied,omitempty"`
	Done    *FleetDone `json:"done,omitempty"`
	Skipped string     `json:"skipped,omitempty"`
	Plan    *JSONPlan  `json:"plan,omitempty"`
	// Text is the instance's plan as Text renders it, when it has changes.
	Text string `json:"-"`
	// Checks is the instance's datasource check as CheckText renders it,
	// when a check after apply failed (--check-datasources).
	Checks string `json:"-"`
	// Problems are what loading the repository for this instance found
	// (warnings too); the commands print them once for the fleet
	// (fleet.Merge) before the table.
	Problems problem.List `json:"-"`
}

// FleetDone counts what apply did on one instance.
type FleetDone struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
	Failed  int `json:"failed"`
}

// NewFleetRow summarises an instance's plan.
func NewFleetRow(instance string, p *plan.Plan) FleetRow {
	jp := ToJSON(p)
	changes := jp.Changes[:0:0]
	for _, c := range jp.Changes {
		if c.Action != string(plan.NoOp) {
			changes = append(changes, c)
		}
	}
	jp.Changes = changes
	row := FleetRow{Instance: instance, Summary: jp.Summary, Drift: p.HasChanges(), Plan: &jp}
	if row.Drift {
		var b strings.Builder
		_ = Text(&b, p, TextOptions{})
		row.Text = b.String()
	}
	return row
}

// FleetJSON is the JSON of a fleet run.
type FleetJSON struct {
	FormatVersion string      `json:"format_version"`
	Revision      string      `json:"revision"`
	Instances     []FleetRow  `json:"instances"`
	Totals        FleetTotals `json:"totals"`
}

// FleetTotals counts instances by outcome. Blocked counts the instances
// (not failed) whose plan holds changes Grafana will not accept: apply
// refuses them.
type FleetTotals struct {
	Instances int `json:"instances"`
	Drifted   int `json:"drifted"`
	Blocked   int `json:"blocked,omitempty"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
}

// Totals counts the rows by outcome.
func Totals(rows []FleetRow) FleetTotals {
	t := FleetTotals{Instances: len(rows)}
	for _, r := range rows {
		switch {
		case r.Error != "":
			t.Failed++
		case r.Skipped != "":
			t.Skipped++
		case r.Drift:
			t.Drifted++
			if r.Summary.Blocked > 0 {
				t.Blocked++
			}
		}
	}
	return t
}

// instances is "1 instance" or "N instances".
func instances(n int) string {
	return fmt.Sprintf("%d %s", n, plural(n, "instance", "instances"))
}

// FleetSummary is the one line a fleet plan ends with.
func FleetSummary(rows []FleetRow) string {
	t := Totals(rows)
	s := fmt.Sprintf("Fleet: %s, %d with changes, %d failed.", instances(t.Instances), t.Drifted, t.Failed)
	if t.Blocked > 0 {
		s += fmt.Sprintf(" %d with changes Grafana will not accept (apply refuses %s).", t.Blocked, plural(t.Blocked, "it", "them"))
	}
	if t.Skipped > 0 {
		s += fmt.Sprintf(" %d not reached.", t.Skipped)
	}
	return s
}

// FleetApplySummary is the one line a fleet apply ends with: what was
// applied and what failed, not what a plan would call drift.
func FleetApplySummary(rows []FleetRow) string {
	applied, changed, failed, skipped := 0, 0, 0, 0
	for _, r := range rows {
		switch {
		case r.Error != "":
			failed++
		case r.Skipped != "":
			skipped++
		case r.Done != nil:
			applied++
			if r.Done.Created+r.Done.Updated+r.Done.Deleted > 0 {
				changed++
			}
		}
	}
	s := fmt.Sprintf("Fleet apply: %s, %d applied (%d changed, %d already in step), %d failed.", instances(len(rows)), applied, changed, applied-changed, failed)
	if skipped > 0 {
		s += fmt.Sprintf(" %d not reached.", skipped)
	}
	return s
}

// oneLine folds a cell to its first line; folded reports whether anything
// was left out (the views print the full text below the table).
func oneLine(s string) (string, bool) {
	first, _, ok := strings.Cut(strings.TrimSpace(s), "\n")
	if !ok {
		return first, false
	}
	return strings.TrimSpace(first) + " (full text below)", true
}

// problemCell is what the last column says: the error, why apply did not
// reach the instance, or that its plan holds changes apply will refuse.
func problemCell(r FleetRow) string {
	switch {
	case r.Error != "":
		return r.Error
	case r.Skipped != "":
		return "not reached: " + r.Skipped
	case r.Summary.Blocked > 0:
		return fmt.Sprintf("blocked: %d %s Grafana will not accept; apply refuses this instance", r.Summary.Blocked, plural(r.Summary.Blocked, "change", "changes"))
	}
	return ""
}

// count is a known count, or "-" when the instance was not planned.
func count(known bool, n int) string {
	if !known {
		return "-"
	}
	return fmt.Sprint(n)
}

func rowCells(r FleetRow) []string {
	drift := "no"
	if r.Drift {
		drift = "yes"
	}
	if r.Error != "" || r.Skipped != "" {
		drift = "?"
	}
	known, s := r.Plan != nil, r.Summary
	cell, _ := oneLine(problemCell(r))
	return []string{r.Instance, count(known, s.Create), count(known, s.Update), count(known, s.Delete), count(known, s.Blocked), drift, cell}
}

var fleetHeader = []string{"INSTANCE", "CREATE", "UPDATE", "DELETE", "BLOCKED", "DRIFT", "ERROR"}

// applyCells: what apply did on the instance (counts "-" when it did not
// run), its result and its error.
func applyCells(r FleetRow) []string {
	d, known := FleetDone{}, r.Done != nil
	if known {
		d = *r.Done
	}
	result := "applied"
	switch {
	case r.Skipped != "":
		result = "skipped"
	case r.Error != "" && known:
		result = "failed"
	case r.Error != "":
		result = "not applied"
	case known && d.Created+d.Updated+d.Deleted == 0:
		result = "in step"
	}
	cell, _ := oneLine(problemCell(r))
	return []string{r.Instance, count(known, d.Created), count(known, d.Updated), count(known, d.Deleted), result, cell}
}

var fleetApplyHeader = []string{"INSTANCE", "CREATED", "UPDATED", "DELETED", "RESULT", "ERROR"}

// FleetText writes each changed instance's plan, then the table of
// instances × (create, update, delete, blocked, drift, error), the full
// text of errors the table folded, and the summary.
func FleetText(w io.Writer, rows []FleetRow, details bool) error {
	return fleetText(w, rows, details, fleetHeader, rowCells, FleetSummary(rows))
}

// FleetApplyText writes each instance's plan and apply summary, then the
// table of instances × (created, updated, deleted, result, error), the
// full text of errors the table folded, and the apply summary.
func FleetApplyText(w io.Writer, rows []FleetRow) error {
	return fleetText(w, rows, true, fleetApplyHeader, applyCells, FleetApplySummary(rows))
}

func fleetText(w io.Writer, rows []FleetRow, details bool, header []string, cells func(FleetRow) []string, summary string) error {
	ew := &errWriter{w: w}
	if details {
		for _, r := range rows {
			// An instance in step has nothing to show but its row (and a
			// failed datasource check): a fleet of hundreds prints only the
			// instances that change.
			if r.Text == "" && r.Checks == "" {
				continue
			}
			ew.printf("== instance %s\n", r.Instance)
			if r.Text != "" {
				ew.printf("%s", r.Text)
			}
			if r.Applied != "" {
				ew.printf("%s\n", r.Applied)
			}
			if r.Checks != "" {
				ew.printf("\n%s", r.Checks)
			}
			ew.printf("\n")
		}
	}
	if ew.err != nil {
		return ew.err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(cells(r), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if _, folded := oneLine(problemCell(r)); folded {
			ew.printf("\n%s:\n  %s\n", r.Instance, strings.ReplaceAll(strings.TrimSpace(problemCell(r)), "\n", "\n  "))
		}
	}
	ew.printf("\n%s\n", summary)
	return ew.err
}

// FleetMarkdown writes the fleet plan as a pull-request comment: the
// title, the revision (as the single-Grafana comment names it), the table,
// then each changed instance's changes in a collapsed section (one line a
// change, blocked ones with why), within MarkdownOptions' limit; the
// summary line is always there.
func FleetMarkdown(w io.Writer, rows []FleetRow, title, revision string) error {
	var head strings.Builder
	fmt.Fprintf(&head, "<!-- grafsync-fleet-plan -->\n### %s\n\n", mdEscape(title))
	if revision != "" {
		fmt.Fprintf(&head, "Revision `%s`\n\n", ShortRevision(revision))
	}
	fmt.Fprintf(&head, "| %s |\n|%s\n", strings.Join(fleetHeader, " | "), strings.Repeat(" --- |", len(fleetHeader)))
	for _, r := range rows {
		cells := rowCells(r)
		cells[len(cells)-1] = problemCell(r) // mdEscape folds it to one line
		for i := range cells {
			cells[i] = mdEscape(cells[i])
		}
		fmt.Fprintf(&head, "| %s |\n", strings.Join(cells, " | "))
	}
	tail := "\n" + FleetSummary(rows) + "\n"
	room := GitHubCommentLimit - CommentReserve - head.Len() - len(tail) - 200
	var body strings.Builder
	left := 0
	for _, r := range rows {
		if r.Plan == nil || len(r.Plan.Changes) == 0 {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "\n<details><summary>instance %s: %d create, %d update, %d delete, %d blocked</summary>\n\n",
			htmlEscape(r.Instance), r.Summary.Create, r.Summary.Update, r.Summary.Delete, r.Summary.Blocked)
		for _, c := range r.Plan.Changes {
			line := fmt.Sprintf("- `%s` %s", plan.Action(c.Action).Symbol(), mdEscape(c.Subject))
			if c.Action == string(plan.Blocked) {
				line += " — cannot change it: " + mdEscape(c.Reason)
			}
			b.WriteString(line + "\n")
		}
		b.WriteString("\n</details>\n")
		if body.Len()+b.Len() > room {
			left++
			continue
		}
		body.WriteString(b.String())
	}
	if left > 0 {
		fmt.Fprintf(&body, "\n_The changes of %s are left out to fit the comment; run grafsync plan --instance NAME to see them._\n", instances(left))
	}
	_, err := io.WriteString(w, head.String()+body.String()+tail)
	return err
}

// FleetJSONOut writes the fleet run as indented JSON.
func FleetJSONOut(w io.Writer, rows []FleetRow, revision string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(FleetJSON{FormatVersion: JSONFormatVersion, Revision: revision, Instances: rows, Totals: Totals(rows)})
}

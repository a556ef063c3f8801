package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/grafsync/grafsync/internal/plan"
)

// FleetRow is one instance's line of a fleet run. Plan holds its changes
// only (no-ops dropped), so a fleet's result does not hold every
// instance's dashboards.
type FleetRow struct {
	Instance string      `json:"instance"`
	Summary  JSONSummary `json:"summary"`
	// Drift: Grafana differs from the repository (any change or blocked).
	Drift bool   `json:"drift"`
	Error string `json:"error,omitempty"`
	// Applied is apply's summary for the instance; Skipped says why apply
	// did not reach it (a failed canary).
	Applied string    `json:"applied,omitempty"`
	Skipped string    `json:"skipped,omitempty"`
	Plan    *JSONPlan `json:"plan,omitempty"`
	// Text is the instance's plan as Text renders it, when it has changes.
	Text string `json:"-"`
	// Checks is the instance's datasource check as CheckText renders it,
	// when a check after apply failed (--check-datasources).
	Checks string `json:"-"`
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
	Instances     []FleetRow  `json:"instances"`
	Totals        FleetTotals `json:"totals"`
}

// FleetTotals counts instances by outcome.
type FleetTotals struct {
	Instances int `json:"instances"`
	Drifted   int `json:"drifted"`
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
		}
	}
	return t
}

// FleetSummary is the one line a fleet run ends with.
func FleetSummary(rows []FleetRow) string {
	t := Totals(rows)
	s := fmt.Sprintf("Fleet: %d instances, %d with changes, %d failed.", t.Instances, t.Drifted, t.Failed)
	if t.Skipped > 0 {
		s += fmt.Sprintf(" %d not reached.", t.Skipped)
	}
	return s
}

func rowCells(r FleetRow) []string {
	drift, errs := "no", ""
	if r.Drift {
		drift = "yes"
	}
	switch {
	case r.Error != "":
		drift, errs = "?", r.Error
	case r.Skipped != "":
		drift, errs = "?", "not reached: "+r.Skipped
	}
	s := r.Summary
	return []string{r.Instance, fmt.Sprint(s.Create), fmt.Sprint(s.Update), fmt.Sprint(s.Delete), drift, errs}
}

var fleetHeader = []string{"INSTANCE", "CREATE", "UPDATE", "DELETE", "DRIFT", "ERROR"}

// FleetText writes each changed instance's plan, then the table of
// instances × (create, update, delete, drift, error) and the summary.
func FleetText(w io.Writer, rows []FleetRow, details bool) error {
	ew := &errWriter{w: w}
	if details {
		for _, r := range rows {
			if r.Text == "" && r.Applied == "" && r.Checks == "" {
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
	fmt.Fprintln(tw, strings.Join(fleetHeader, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(rowCells(r), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", FleetSummary(rows))
	return err
}

// FleetMarkdown writes the table as Markdown, for a pull-request comment.
func FleetMarkdown(w io.Writer, rows []FleetRow, title string) error {
	ew := &errWriter{w: w}
	ew.printf("<!-- grafsync-fleet-plan -->\n### %s\n\n", mdEscape(title))
	ew.printf("| %s |\n|%s\n", strings.Join(fleetHeader, " | "), strings.Repeat(" --- |", len(fleetHeader)))
	for _, r := range rows {
		cells := rowCells(r)
		for i := range cells {
			cells[i] = mdEscape(cells[i])
		}
		ew.printf("| %s |\n", strings.Join(cells, " | "))
	}
	ew.printf("\n%s\n", FleetSummary(rows))
	return ew.err
}

// FleetJSONOut writes the fleet run as indented JSON.
func FleetJSONOut(w io.Writer, rows []FleetRow) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(FleetJSON{FormatVersion: JSONFormatVersion, Instances: rows, Totals: Totals(rows)})
}

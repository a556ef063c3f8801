package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/grafsync/grafsync/internal/check"
)

// FleetCheckRow is one instance's line of grafsync check over a fleet:
// its report, or why it could not be checked (Error; Report is then nil).
type FleetCheckRow struct {
	Instance string
	Report   *check.Report
	Error    string
}

// Failed reports whether the instance could not be checked or any of its
// checks failed: either makes the fleet's check exit 1.
func (r FleetCheckRow) Failed() bool {
	return r.Error != "" || r.Report != nil && r.Report.Failed() > 0
}

// FleetCheckSummary is the one line a fleet check ends with.
func FleetCheckSummary(rows []FleetCheckRow) string {
	var failing, errs int
	for _, r := range rows {
		switch {
		case r.Error != "":
			errs++
		case r.Failed():
			failing++
		}
	}
	return fmt.Sprintf("Fleet check: %s, %d with failed checks, %d not checked.", instances(len(rows)), failing, errs)
}

// FleetCheckText writes the check lines of every instance with a failed
// check (the others pass whole: the table says so), then the table of
// instances × (datasources, ok, failed, error) and the summary line.
func FleetCheckText(w io.Writer, rows []FleetCheckRow) error {
	for _, r := range rows {
		if r.Report == nil || r.Report.Failed() == 0 {
			continue
		}
		if _, err := fmt.Fprintf(w, "== instance %s\n", r.Instance); err != nil {
			return err
		}
		if err := CheckText(w, r.Report); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tDATASOURCES\tOK\tFAILED\tERROR")
	for _, r := range rows {
		n, failed := "-", "-"
		ok := "-"
		if r.Report != nil {
			f := r.Report.Failed()
			n, ok, failed = fmt.Sprint(len(r.Report.Results)), fmt.Sprint(len(r.Report.Results)-f), fmt.Sprint(f)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Instance, n, ok, failed, r.Error)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", FleetCheckSummary(rows))
	return err
}

// JSONFleetCheck is the JSON of a fleet check; each instance's check is
// grafsync check's own JSON (JSONCheck). Fields are only ever added.
type JSONFleetCheck struct {
	FormatVersion string                   `json:"format_version"`
	Instances     []JSONFleetCheckInstance `json:"instances"`
	Totals        JSONFleetCheckTotals     `json:"totals"`
}

// JSONFleetCheckInstance is one instance's check, or its error.
type JSONFleetCheckInstance struct {
	Instance    string            `json:"instance"`
	Error       string            `json:"error,omitempty"`
	Summary     JSONCheckSummary  `json:"summary"`
	Datasources []JSONCheckResult `json:"datasources"`
}

// JSONFleetCheckTotals count instances: checked with a failure, and not
// checked at all (an error).
type JSONFleetCheckTotals struct {
	Instances    int `json:"instances"`
	FailedChecks int `json:"failed_checks"`
	Failed       int `json:"failed"`
}

// FleetCheckJSON writes the fleet check as indented JSON.
func FleetCheckJSON(w io.Writer, rows []FleetCheckRow) error {
	out := JSONFleetCheck{FormatVersion: JSONFormatVersion, Instances: []JSONFleetCheckInstance{}}
	out.Totals.Instances = len(rows)
	for _, r := range rows {
		in := JSONFleetCheckInstance{Instance: r.Instance, Error: r.Error, Datasources: []JSONCheckResult{}}
		if r.Report != nil {
			jc := toJSONCheck(r.Report)
			in.Summary, in.Datasources = jc.Summary, jc.Datasources
		}
		switch {
		case r.Error != "":
			out.Totals.Failed++
		case r.Failed():
			out.Totals.FailedChecks++
		}
		out.Instances = append(out.Instances, in)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// CheckTextString is CheckText into a string (a fleet row's details).
func CheckTextString(r *check.Report) string {
	var b strings.Builder
	_ = CheckText(&b, r)
	return b.String()
}

package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/grafsync/grafsync/internal/check"
)

// CheckText writes one line per datasource check — "ok" or "FAIL", the
// subject, then Grafana's own message (continued, indented, on further
// lines when the plugin's message has several) — and the summary line.
func CheckText(w io.Writer, r *check.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "grafsync check: %d %s\n\n", len(r.Results), plural(len(r.Results), "datasource", "datasources"))
	for _, res := range r.Results {
		verdict := "ok  "
		if !res.OK {
			verdict = "FAIL"
		}
		lines := strings.Split(strings.TrimRight(res.Message, "\n"), "\n")
		fmt.Fprintf(&b, "  %s  %s: %s\n", verdict, res.Subject(), lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "          %s\n", l)
		}
	}
	if len(r.Results) > 0 {
		b.WriteString("\n")
	}
	b.WriteString(r.Summary() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// JSONCheck is the JSON schema of a check report (README.md, "grafsync
// check"); fields are only ever added.
type JSONCheck struct {
	FormatVersion string            `json:"format_version"`
	Summary       JSONCheckSummary  `json:"summary"`
	Datasources   []JSONCheckResult `json:"datasources"`
}

// JSONCheckSummary counts the checks.
type JSONCheckSummary struct {
	OK     int `json:"ok"`
	Failed int `json:"failed"`
}

// JSONCheckResult is one datasource's check.
type JSONCheckResult struct {
	OrgID           int64   `json:"org_id"`
	Org             string  `json:"org,omitempty"`
	UID             string  `json:"uid,omitempty"`
	Name            string  `json:"name"`
	Type            string  `json:"type"`
	Subject         string  `json:"subject"`
	Source          string  `json:"source,omitempty"`
	OK              bool    `json:"ok"`
	Message         string  `json:"message"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// CheckJSON writes the report as indented JSON.
func CheckJSON(w io.Writer, r *check.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toJSONCheck(r))
}

func toJSONCheck(r *check.Report) JSONCheck {
	out := JSONCheck{FormatVersion: JSONFormatVersion, Datasources: []JSONCheckResult{}}
	for _, res := range r.Results {
		if res.OK {
			out.Summary.OK++
		} else {
			out.Summary.Failed++
		}
		out.Datasources = append(out.Datasources, JSONCheckResult{
			OrgID: res.OrgID, Org: res.Org, UID: res.UID, Name: res.Name, Type: res.Type, Subject: res.Subject(),
			Source: res.Source, OK: res.OK, Message: res.Message, DurationSeconds: res.Duration.Seconds(),
		})
	}
	return out
}

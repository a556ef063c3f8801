package view

import (
	"encoding/json"
	"io"

	"github.com/grafsync/grafsync/internal/plan"
)

// JSONFormatVersion is the version of the JSON plan schema. It changes only
// when a field is removed or changes meaning; new fields may be added.
const JSONFormatVersion = "1"

// JSONPlan is the documented JSON schema of a plan (README.md, "JSON plan").
type JSONPlan struct {
	FormatVersion string       `json:"format_version"`
	Revision      string       `json:"revision"`
	Summary       JSONSummary  `json:"summary"`
	Changes       []JSONChange `json:"changes"`
	Orphans       []string     `json:"orphans"`
	Kept          []string     `json:"kept"`
	Unmanaged     int          `json:"unmanaged"`
}

// JSONSummary counts changes by action.
type JSONSummary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Delete  int `json:"delete"`
	Blocked int `json:"blocked"`
	NoOp    int `json:"no_op"`
}

// JSONChange is one change; no-ops are listed with action "no-op".
type JSONChange struct {
	Action      string      `json:"action"`
	Kind        string      `json:"kind"`
	OrgID       int64       `json:"org_id,omitempty"`
	ID          string      `json:"id"`
	Subject     string      `json:"subject"`
	Source      string      `json:"source,omitempty"`
	LiveVersion int         `json:"live_version,omitempty"`
	Reason      string      `json:"reason,omitempty"`
	Fields      []JSONField `json:"fields,omitempty"`
	// Adopt: the change only takes over a resource made outside grafsync
	// (its marker, its folders recorded, secrets written once).
	Adopt bool `json:"adopt,omitempty"`
	// SecretsOnce are secret fields written once because Grafana never
	// returns secrets (names only).
	SecretsOnce []string `json:"secrets_once,omitempty"`
}

// JSONField is one changed field. Before/after are omitted when the field
// is absent on that side; a secret field has "secret": true and no values.
type JSONField struct {
	Path   string `json:"path"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
	Absent string `json:"absent,omitempty"` // "before" (added) or "after" (removed)
	Secret bool   `json:"secret,omitempty"`
}

// ToJSON converts a plan to its JSON schema.
func ToJSON(p *plan.Plan) JSONPlan {
	n := p.Counts()
	out := JSONPlan{
		FormatVersion: JSONFormatVersion,
		Revision:      p.Revision,
		Summary:       JSONSummary{n[plan.Create], n[plan.Update], n[plan.Delete], n[plan.Blocked], n[plan.NoOp]},
		Changes:       []JSONChange{},
		Orphans:       append([]string{}, p.Orphans...),
		Kept:          append([]string{}, p.Kept...),
		Unmanaged:     p.Unmanaged,
	}
	for _, c := range p.Changes {
		r := c.Resource()
		jc := JSONChange{Action: string(c.Action), Kind: string(r.Kind), OrgID: r.OrgID, ID: r.ID, Subject: c.Subject, Reason: c.Reason,
			Adopt: c.Adopt, SecretsOnce: c.SecretsOnce}
		if c.After != nil {
			jc.Source = c.After.Source
		}
		if c.Before != nil {
			jc.LiveVersion = c.Before.Version
		}
		for _, f := range c.Diff {
			jf := JSONField{Path: f.Path, Secret: f.Secret}
			if !f.Secret {
				jf.Before, jf.After = f.Before, f.After
			}
			switch {
			case f.BeforeAbsent:
				jf.Absent = "before"
			case f.AfterAbsent:
				jf.Absent = "after"
			}
			jc.Fields = append(jc.Fields, jf)
		}
		out.Changes = append(out.Changes, jc)
	}
	return out
}

// JSON writes the plan as indented JSON.
func JSON(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ToJSON(p))
}

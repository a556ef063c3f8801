package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/view"
)

// FormatVersion is the version of the plan file layout.
const FormatVersion = "1"

// File is a saved plan.
type File struct {
	FormatVersion string `json:"format_version"`
	Revision      string `json:"revision"`
	OrgID         int64  `json:"org_id,omitempty"`
	Prune         bool   `json:"prune"`
	MaxDeletions  int    `json:"max_deletions"`
	// AllowEmpty is --allow-empty: the prune may empty a kind (plan.EmptyKindError).
	AllowEmpty bool `json:"allow_empty,omitempty"`
	// AlertingProvenance is --alerting-provenance: "none" (editable in
	// Grafana's UI), or "api" (locked; also what an absent value means).
	AlertingProvenance string `json:"alerting_provenance,omitempty"`
	// LockDashboards is --lock-dashboards: on /apis the lock is part of the
	// desired state the reviewer saw.
	LockDashboards bool          `json:"lock_dashboards,omitempty"`
	Plan           view.JSONPlan `json:"plan"`
	// Secrets digests each planned secret change by "subject path".
	Secrets map[string]string `json:"secrets,omitempty"`
}

// New makes the saved form of a plan.
func New(p *plan.Plan, orgID int64, prune bool, maxDeletions int) File {
	return File{
		FormatVersion: FormatVersion, Revision: p.Revision, OrgID: orgID, Prune: prune, MaxDeletions: maxDeletions,
		Plan: view.ToJSON(p), Secrets: secretDigests(p),
	}
}

// secretDigests digests the desired fingerprint of every secret field a
// plan changes. A fingerprint is already a salted memory-hard hash (and
// Grafana shows it to Viewers); its SHA-256 adds nothing to guess from.
func secretDigests(p *plan.Plan) map[string]string {
	out := map[string]string{}
	for _, c := range p.Changes {
		if c.After == nil {
			continue
		}
		for _, f := range c.Diff {
			if !f.Secret || f.AfterAbsent {
				continue
			}
			v, ok := lookup(c.After.Doc, f.Path)
			if !ok {
				continue
			}
			sum := sha256.Sum256([]byte(fmt.Sprintf("grafsync plan secret\x00%v", v)))
			out[c.Subject+" "+f.Path] = hex.EncodeToString(sum[:8])
		}
	}
	return out
}

// lookup finds a dotted path of plain keys ("secureJsonData.password").
func lookup(doc map[string]any, path string) (any, bool) {
	var v any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// Write saves f to path atomically.
func Write(path string, f File) error {
	f.FormatVersion = FormatVersion
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := renameio.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save plan %s: %w; check that its directory exists and is writable", path, err)
	}
	return nil
}

// Read loads a saved plan.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	// Numbers are read as written (json.Number): a planned value such as
	// 9007199254740993 or 1.50 compares equal to the fresh plan's.
	var kind struct {
		Kind string `json:"kind"`
	}
	if json.Unmarshal(b, &kind) == nil && kind.Kind == FleetKind {
		return nil, fmt.Errorf("plan file %s is a fleet plan, and the repository declares no fleet (instances: in grafsync.yaml); make the plan again: grafsync plan --out %s", path, path)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("plan file %s is not a grafsync plan: %w", path, err)
	}
	if f.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan file %s has format %q; this grafsync reads format %q: make the plan again with this version", path, f.FormatVersion, FormatVersion)
	}
	return &f, nil
}

// StaleError says why a saved plan cannot be applied. Nothing was written.
type StaleError struct {
	Moved []string
	// Again is the command that makes the new plan; "" is "grafsync plan"
	// (a fleet plan's names its selection and file).
	Again string
}

func (e *StaleError) Error() string {
	msg := "the saved plan is stale; nothing was applied. What moved since it was made:"
	for _, m := range e.Moved {
		msg += "\n  - " + m
	}
	again := e.Again
	if again == "" {
		again = "grafsync plan"
	}
	return msg + "\nRun " + again + " again, review it, and apply the new plan."
}

// Check compares a saved plan with a fresh plan (New) of the same
// repository and Grafana, and returns a StaleError naming every
// difference, or nil.
func Check(saved *File, fresh File) error {
	var moved []string
	revision := fresh.Revision
	if saved.Revision != revision {
		moved = append(moved, fmt.Sprintf("the repository: the plan was made at revision %s, it is now at %s", orNone(saved.Revision), orNone(revision)))
	}
	for field, digest := range saved.Secrets {
		if fresh.Secrets[field] != digest {
			moved = append(moved, field+": the secret's value is not the one planned (it changed again since)")
		}
	}
	// The ownership ledger is compared even when unchanged: which folders
	// the plan deletes or keeps was decided from the version it read.
	index := func(p view.JSONPlan) map[string]view.JSONChange {
		m := map[string]view.JSONChange{}
		for _, c := range p.Changes {
			if c.Action != "no-op" || c.Kind == string(plan.Ownership) {
				m[c.Subject] = c
			}
		}
		return m
	}
	before, after := index(saved.Plan), index(fresh.Plan)
	for subject, b := range before {
		a, ok := after[subject]
		switch {
		case !ok:
			moved = append(moved, fmt.Sprintf("%s: planned %s, now nothing to do", subject, b.Action))
		case a.Action != b.Action:
			moved = append(moved, fmt.Sprintf("%s: planned %s, now %s", subject, b.Action, a.Action))
		case a.LiveVersion != b.LiveVersion:
			moved = append(moved, fmt.Sprintf("%s: changed in Grafana (version %d when planned, now %d)", subject, b.LiveVersion, a.LiveVersion))
		case !sameJSON(a.Fields, b.Fields):
			moved = append(moved, fmt.Sprintf("%s: the planned %s differs now", subject, b.Action))
		}
	}
	for subject, a := range after {
		if _, ok := before[subject]; !ok {
			moved = append(moved, fmt.Sprintf("%s: not in the saved plan, now needs %s", subject, a.Action))
		}
	}
	if len(moved) == 0 {
		return nil
	}
	sort.Strings(moved)
	return &StaleError{Moved: moved}
}

// sameJSON compares two values as their JSON encodings, so a plan read back
// from a file compares equal to the plan it was made from.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func orNone(rev string) string {
	if rev == "" {
		return "(none: a plain directory)"
	}
	return rev
}

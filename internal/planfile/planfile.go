// Package planfile saves a plan for a later apply, and tells an apply when
// the saved plan no longer matches Grafana or the repository.
//
// Place in the pipeline: plan -> planfile (disk) -> apply. A saved plan is a
// record, not a script: apply plans again and refuses to run unless the new
// plan equals the saved one, so a plan file can never apply something its
// reviewer did not see.
//
// Invariant: a plan file holds no secret value; secrets appear only as
// "secret": true on changed fields.
package planfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/grafsync/grafsync/internal/view"
)

// FormatVersion is the version of the plan file layout.
const FormatVersion = "1"

// File is a saved plan.
type File struct {
	FormatVersion string        `json:"format_version"`
	Revision      string        `json:"revision"`
	OrgID         int64         `json:"org_id,omitempty"`
	Prune         bool          `json:"prune"`
	MaxDeletions  int           `json:"max_deletions"`
	Plan          view.JSONPlan `json:"plan"`
}

// Write saves f to path atomically.
func Write(path string, f File) error {
	f.FormatVersion = FormatVersion
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".grafsync-plan-*")
	if err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save plan %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

// Read loads a saved plan.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("plan file %s is not a grafsync plan: %w", path, err)
	}
	if f.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan file %s has format %q; this grafsync reads format %q: make the plan again with this version", path, f.FormatVersion, FormatVersion)
	}
	return &f, nil
}

// StaleError says why a saved plan cannot be applied. Nothing was written.
type StaleError struct{ Moved []string }

func (e *StaleError) Error() string {
	msg := "the saved plan is stale; nothing was applied. What moved since it was made:"
	for _, m := range e.Moved {
		msg += "\n  - " + m
	}
	return msg + "\nRun grafsync plan again, review it, and apply the new plan."
}

// Check compares a saved plan with a fresh plan of the same repository and
// Grafana, and returns a StaleError naming every difference, or nil.
func Check(saved *File, revision string, fresh view.JSONPlan) error {
	var moved []string
	if saved.Revision != revision {
		moved = append(moved, fmt.Sprintf("the repository: the plan was made at revision %s, it is now at %s", orNone(saved.Revision), orNone(revision)))
	}
	index := func(p view.JSONPlan) map[string]view.JSONChange {
		m := map[string]view.JSONChange{}
		for _, c := range p.Changes {
			if c.Action != "no-op" {
				m[c.Subject] = c
			}
		}
		return m
	}
	before, after := index(saved.Plan), index(fresh)
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

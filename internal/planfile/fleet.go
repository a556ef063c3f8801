package planfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/google/renameio/v2"
)

// FleetKind marks a saved fleet plan, so a single-Grafana apply refuses it
// and a fleet apply refuses a single plan.
const FleetKind = "fleet"

// Fleet is a saved plan over a fleet: one File per instance. It is safe
// for concurrent Set.
type Fleet struct {
	mu      sync.Mutex
	Kind    string `json:"kind"`
	Version string `json:"format_version"`
	// Selection is how the plan's instances were chosen; Instances holds
	// exactly the instances it selected. Nil in a file saved before it was
	// recorded: such a file covers its Instances all the same.
	Selection *Selection      `json:"selection,omitempty"`
	Instances map[string]File `json:"instances"`
}

// Selection is the --instance and --selector a fleet plan was made with
// (both empty: every instance).
type Selection struct {
	Instances []string `json:"instances,omitempty"`
	Selectors []string `json:"selectors,omitempty"`
}

// Flags is the selection as plan's flags: "--instance a,b --selector
// k=v", "" for every instance.
func (s *Selection) Flags() string {
	if s == nil {
		return ""
	}
	var out []string
	if len(s.Instances) > 0 {
		out = append(out, "--instance "+strings.Join(s.Instances, ","))
	}
	if len(s.Selectors) > 0 {
		out = append(out, "--selector "+strings.Join(s.Selectors, ","))
	}
	return strings.Join(out, " ")
}

// Names are the instances the plan covers, sorted.
func (f *Fleet) Names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.Instances))
}

// Set records an instance's plan.
func (f *Fleet) Set(name string, p File) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Instances == nil {
		f.Instances = map[string]File{}
	}
	f.Instances[name] = p
}

// Get returns an instance's plan.
func (f *Fleet) Get(name string) (File, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.Instances[name]
	return p, ok
}

// WriteFleet saves a fleet plan atomically, readable by its owner only.
func WriteFleet(path string, f *Fleet) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Kind, f.Version = FleetKind, FormatVersion
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("save the fleet plan: %w", err)
	}
	if err := renameio.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save the fleet plan to %s: %w", path, err)
	}
	return nil
}

// ReadFleet reads a fleet plan saved by WriteFleet.
func ReadFleet(path string) (*Fleet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the saved plan: %w", err)
	}
	var f Fleet
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // as Read: planned values compare exactly
	if err := dec.Decode(&f); err != nil || f.Kind != FleetKind {
		return nil, fmt.Errorf("%s is not a saved fleet plan: the repository declares a fleet, make one with grafsync plan --out %s", path, path)
	}
	if f.Version != FormatVersion {
		return nil, fmt.Errorf("%s: saved by another grafsync (format %q, want %q); make a new plan", path, f.Version, FormatVersion)
	}
	return &f, nil
}

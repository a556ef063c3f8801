package reconcile

import (
	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/resource"
)

// checkLibraryPanelRefs refuses dashboards that use a library panel neither
// the repository nor Grafana has: Grafana would save such a dashboard, fail
// to connect it (500 "Error while connecting library panels") and show
// "library panel not found" in its place. validate only warns, because it
// cannot see Grafana; here, before anything is written, it is an error.
func checkLibraryPanelRefs(o *resource.Org, live []grafana.LibraryPanel) error {
	have := map[string]bool{}
	for _, lp := range o.LibraryPanels {
		have[lp.UID] = true
	}
	for _, lp := range live {
		have[lp.UID] = true
	}
	var problems load.Problems
	for _, d := range o.Dashboards {
		for _, r := range d.LibraryPanels {
			if !have[r.UID] {
				problems = append(problems, problem.Errorf(r.Source, "add it to the repository as a <name>.libpanel.json file (export it from Grafana), or remove the panel",
					"library panel %q is neither in the repository nor in Grafana: Grafana would show \"library panel not found\"", r.UID))
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	problems.Sort()
	return &ProblemsError{Problems: problems}
}

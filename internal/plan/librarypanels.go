package plan

import (
	"slices"
	"strings"
)

// libraryPanelsInUse takes out of deletions the library panels that a
// dashboard will still use once the plan has run, and returns them as
// Blocked changes naming the dashboards: Grafana refuses to delete a
// library panel with connections (403 "the library element has
// connections", grafana-source-audit.md §4). A connected dashboard stops
// counting when the plan deletes it (dashboards are deleted before library
// panels) or when Git's version of it no longer uses the panel (updates run
// before deletions, and Grafana reconnects a dashboard on save). Dashboard
// deletions count only with prune, or when explicit (the first explicit).
func libraryPanelsInUse(deletions []Change, explicit int, desired []Resource, prune bool) (kept, inUse []Change) {
	deletingDash := map[key]bool{}
	for i, d := range deletions {
		if d.Before.Kind == Dashboard && (prune || i < explicit) {
			deletingDash[d.Before.key()] = true
		}
	}
	uses := map[key][]string{}
	for i := range desired {
		if d := &desired[i]; d.Kind == Dashboard && !d.Tombstone {
			uses[d.key()] = d.Uses
		}
	}
	for _, d := range deletions {
		l := d.Before
		if l.Kind != LibraryPanel {
			kept = append(kept, d)
			continue
		}
		var users []string
		for _, dash := range l.UsedBy {
			k := key{Dashboard, l.OrgID, dash}
			u, inGit := uses[k]
			switch {
			case deletingDash[k]:
			case inGit && !slices.Contains(u, l.ID):
			default:
				users = append(users, dash)
			}
		}
		if len(users) == 0 {
			kept = append(kept, d)
			continue
		}
		inUse = append(inUse, Change{Action: Blocked, Subject: d.Subject, Before: l,
			Reason: "Grafana refuses to delete a library panel that dashboards use; still used by dashboard " + strings.Join(users, ", dashboard ") +
				": remove it from them (or delete them) first"})
	}
	return kept, inUse
}

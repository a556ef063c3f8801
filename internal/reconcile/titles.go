package reconcile

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// uniqueTitles reports whether a Grafana version refuses two dashboards with
// one title in a folder: up to 11.2 a save answers 412 name-exists (or, with
// overwrite, replaces the other dashboard); 11.3 dropped the check (reference
// audit rows 17 and 18; the emulator's Version.UniqueTitles). An unparsable
// version is taken as a recent one.
func uniqueTitles(version string) bool {
	major, rest, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	minor, _, _ := strings.Cut(rest, ".")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil {
		return false
	}
	return ma < 11 || (ma == 11 && mi <= 2)
}

// blockDuplicateTitles marks as Unwritable (so the plan blocks them and
// apply writes nothing) the repository's dashboards that a Grafana up to
// 11.2 would refuse for their title: two of them with one title in a folder,
// or one titled like a live dashboard of that folder that the repository
// does not hold. Which of two such dashboards Grafana keeps would otherwise
// depend on the order of writes. desired are the org's normalised
// dashboards, in o.Dashboards' order; live its live dashboards.
func blockDuplicateTitles(ctx context.Context, c *grafana.Client, o *resource.Org, desired, live []plan.Resource) error {
	type place struct{ folder, title string }
	inRepo := map[string]bool{}
	byPlace := map[place][]int{}
	for i, d := range o.Dashboards {
		inRepo[d.UID] = true
		p := place{d.FolderUID, d.Title}
		byPlace[p] = append(byPlace[p], i)
	}
	dup := false
	for _, is := range byPlace {
		dup = dup || len(is) > 1
	}
	others := false
	for i := range live {
		others = others || !inRepo[live[i].ID]
	}
	if !dup && !others {
		return nil
	}
	h, err := c.Health(ctx)
	if err != nil {
		return err
	}
	if !uniqueTitles(h.Version) {
		return nil
	}
	held := map[place]string{} // titles of live dashboards the repository does not hold
	for i := range live {
		l := &live[i]
		if inRepo[l.ID] {
			continue
		}
		var t struct {
			Title string `json:"title"`
		}
		if err := json.Unmarshal(l.Raw, &t); err != nil {
			return fmt.Errorf("%s: %w", l.Subject(), err)
		}
		held[place{l.Parent, t.Title}] = l.ID
	}
	byUID := map[string]*plan.Resource{}
	for i := range desired {
		byUID[desired[i].ID] = &desired[i]
	}
	for p, is := range byPlace {
		var why string
		switch {
		case len(is) > 1:
			var paths []string
			for _, i := range is {
				paths = append(paths, o.Dashboards[i].Source.File)
			}
			sort.Strings(paths)
			why = fmt.Sprintf("Grafana %s refuses two dashboards titled %q in one folder (%s); give them different titles, or upgrade to Grafana 11.3 or later",
				h.Version, p.title, strings.Join(paths, ", "))
		case held[p] != "":
			why = fmt.Sprintf("Grafana %s refuses it: dashboard uid %s in Grafana, which the repository does not hold, has the title %q in the same folder; rename one of them",
				h.Version, held[p], p.title)
		default:
			continue
		}
		for _, i := range is {
			if r := byUID[o.Dashboards[i].UID]; r != nil && r.Unwritable == "" {
				r.Unwritable = why
			}
		}
	}
	return nil
}

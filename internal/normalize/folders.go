package normalize

import (
	"encoding/json"
	"fmt"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// Folder is the one normaliser for folders: title and parent are all
// grafsync compares (permissions are their own kind).
func Folder(title, parentUID string) map[string]any {
	return map[string]any{"title": title, "parentUid": parentUID}
}

// DesiredFolders are an org's folders from Git, parents first.
func DesiredFolders(org *resource.Org, orgID int64) []plan.Resource {
	depth := map[string]int{}
	out := make([]plan.Resource, 0, len(org.Folders))
	for _, f := range org.Folders {
		depth[f.UID] = depth[f.ParentUID] + 1
		out = append(out, plan.Resource{
			Kind: plan.Folder, OrgID: orgID, ID: f.UID, Name: f.Path, Depth: depth[f.UID], Parent: f.ParentUID,
			Doc: Folder(f.Title, f.ParentUID), Source: f.Source.String(),
		})
	}
	return out
}

// LiveFolders are folders as Grafana has them. A live folder is named by
// its uid, as live dashboards are: a title is not unique, and the subject of
// a folder that left Git must match the "folder <uid>" of prune's notes.
// Whether grafsync manages a folder is own's decision (ownership.go). Prune
// additionally never deletes a folder that would still hold anything (plan
// keeps it; apply checks again before deleting).
func LiveFolders(fs []grafana.Folder, orgID int64, own FolderOwnership) []plan.Resource {
	parent := map[string]string{}
	for _, f := range fs {
		parent[f.UID] = f.ParentUID
	}
	depthOf := func(uid string) int {
		d := 0
		for ; uid != "" && d < 16; uid = parent[uid] {
			d++
		}
		return d
	}
	out := make([]plan.Resource, 0, len(fs))
	for _, f := range fs {
		managed, unproven := own.Decide(f)
		r := plan.Resource{
			Kind: plan.Folder, OrgID: orgID, ID: f.UID, Name: f.UID, Depth: depthOf(f.UID), Parent: f.ParentUID,
			Doc: Folder(f.Title, f.ParentUID), Version: f.Version, Managed: managed, Unproven: unproven,
		}
		if ManagedByGrafsync(f.ManagedBy, f.ManagerID) || f.ManagerID == "" {
			r.Lock = string(f.Lock) // as for dashboards (LiveDashboard)
		}
		out = append(out, r)
	}
	return out
}

// TitleClashes marks the desired folders and dashboards that a Grafana of
// version whose titles are unique (≤11.2, see grafana.UniqueTitles) would
// refuse to create, rename or move: up to 11.2 a folder's title is unique
// among its parent's subfolders (409), a dashboard's among its folder's
// dashboards (412 name-exists), and at the top level folders and dashboards
// share one set of titles (409 "a folder or dashboard in the general folder
// with the same name already exists"). A desired resource clashes with one
// already in place, an earlier desired one, or a live one that stays while
// apply writes (one not in Git: prune's deletes come after every create).
// Titles are compared exactly, as every database Grafana runs on does at
// the least. Such a change is Blocked, so nothing is written. A resource
// already in place (same title and parent) is written no new title and is
// never marked. On other versions it does nothing.
func TitleClashes(desired, live []plan.Resource, version string) error {
	if !grafana.UniqueTitles(version) {
		return nil
	}
	type slot struct {
		ns            plan.Kind // Folder or Dashboard; "" at the top level, shared
		parent, title string
	}
	slotOf := func(r *plan.Resource) (slot, bool, error) {
		if r.Kind != plan.Folder && r.Kind != plan.Dashboard {
			return slot{}, false, nil
		}
		title, err := resourceTitle(r)
		s := slot{ns: r.Kind, parent: r.Parent, title: title}
		if r.Parent == "" {
			s.ns = ""
		}
		return s, err == nil, err
	}
	type ref struct {
		kind plan.Kind
		id   string
	}
	liveSlot := map[ref]slot{}
	for i := range live {
		if s, ok, err := slotOf(&live[i]); err != nil {
			return err
		} else if ok {
			liveSlot[ref{live[i].Kind, live[i].ID}] = s
		}
	}
	held := map[slot]string{} // → who holds it, for the reason
	inGit := map[ref]bool{}
	var written []int
	for i := range desired {
		r := &desired[i]
		s, ok, err := slotOf(r)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		id := ref{r.Kind, r.ID}
		inGit[id] = true
		if l, found := liveSlot[id]; found && l == s {
			held[s] = string(r.Kind) + " " + r.Name
			continue
		}
		written = append(written, i)
	}
	for i := range live {
		r := &live[i]
		if s, found := liveSlot[ref{r.Kind, r.ID}]; found && !inGit[ref{r.Kind, r.ID}] {
			held[s] = "the " + string(r.Kind) + " with uid " + r.ID + " in Grafana (not in Git)"
		}
	}
	for _, i := range written {
		r := &desired[i]
		s, _, _ := slotOf(r)
		if who, taken := held[s]; taken {
			r.Unwritable = fmt.Sprintf("this Grafana (%s) refuses the title %q here, which %s already has (up to 11.2 a title is unique among a folder's subfolders, among its dashboards, and across folders and dashboards at the top level); give one of them another title, or upgrade to Grafana 11.3, which allows it",
				version, s.title, who)
			continue
		}
		held[s] = string(r.Kind) + " " + r.Name
	}
	return nil
}

// resourceTitle is the title in a normalised folder or dashboard document.
func resourceTitle(r *plan.Resource) (string, error) {
	if r.Doc != nil || r.Raw == nil {
		t, _ := r.Doc["title"].(string)
		return t, nil
	}
	var doc struct {
		Title string `json:"title"`
	}
	if err := json.Unmarshal(r.Raw, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", r.Subject(), err)
	}
	return doc.Title, nil
}

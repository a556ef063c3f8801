package normalize

import (
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
// Grafana keeps no free-form field on a folder, so ownership is who created
// it: a folder is managed when grafsync's own identity (owner, its login)
// created it. Prune additionally never deletes a folder that would still
// hold anything (plan keeps it; apply checks again before deleting).
func LiveFolders(fs []grafana.Folder, orgID int64, owner string) []plan.Resource {
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
		out = append(out, plan.Resource{
			Kind: plan.Folder, OrgID: orgID, ID: f.UID, Name: f.UID, Depth: depthOf(f.UID), Parent: f.ParentUID,
			Doc: Folder(f.Title, f.ParentUID), Version: f.Version, Managed: owner != "" && f.CreatedBy == owner,
		})
	}
	return out
}

// FolderTitleClashes marks the desired folders that a Grafana of version,
// whose folder titles are unique among siblings (≤11.2, see
// grafana.UniqueFolderTitles), would refuse to create, rename or move: one
// whose title (compared exactly, as Grafana's database does at the least)
// is that of a sibling already in place, of an earlier desired sibling, or
// of a live sibling that stays while apply writes folders (one not in Git:
// prune deletes come after every create). Such a change is Blocked, so
// nothing is written. A folder already in place is written nothing and is
// never marked. On other versions it does nothing.
func FolderTitleClashes(desired []plan.Resource, live []grafana.Folder, version string) {
	if !grafana.UniqueFolderTitles(version) {
		return
	}
	type slot struct{ parent, title string }
	held := map[slot]string{} // → who holds it, for the reason
	liveByUID := make(map[string]grafana.Folder, len(live))
	for _, f := range live {
		liveByUID[f.UID] = f
	}
	inGit := map[string]bool{}
	var written []int
	for i, r := range desired {
		if r.Kind != plan.Folder {
			continue
		}
		inGit[r.ID] = true
		title, _ := r.Doc["title"].(string)
		if l, ok := liveByUID[r.ID]; ok && l.Title == title && l.ParentUID == r.Parent {
			held[slot{r.Parent, title}] = "folder " + r.Name
			continue
		}
		written = append(written, i)
	}
	for _, f := range live {
		if !inGit[f.UID] {
			held[slot{f.ParentUID, f.Title}] = "the folder with uid " + f.UID + " in Grafana (not in Git)"
		}
	}
	for _, i := range written {
		r := &desired[i]
		title, _ := r.Doc["title"].(string)
		s := slot{r.Parent, title}
		if who, taken := held[s]; taken {
			r.Unwritable = fmt.Sprintf("this Grafana (%s) refuses a second folder titled %q under one parent, and %s has it; give one of them another title (title: in its %s), or upgrade to Grafana 11.3, which allows it",
				version, title, who, "_folder.yaml")
			continue
		}
		held[s] = "folder " + r.Name
	}
}

package normalize

import (
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
		out = append(out, plan.Resource{
			Kind: plan.Folder, OrgID: orgID, ID: f.UID, Name: f.UID, Depth: depthOf(f.UID), Parent: f.ParentUID,
			Doc: Folder(f.Title, f.ParentUID), Version: f.Version, Managed: managed, Unproven: unproven,
		})
	}
	return out
}

package normalize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// Library panels (grafana-api.md §10, grafana-source-audit.md §4), in one
// place: what is compared, how they are marked, what a dashboard uses.
//
// The document is {"name", "folderUid", "model"}. grafsync's marker is the
// model's "grafsync" key: Grafana stores a library panel's model as free
// JSON and only rewrites its "type" and "description"
// (libraryelements/database.go syncFieldsWithModel) and an empty
// libraryPanel.uid (addUidToLibraryPanel), so the key survives.

// LibraryPanel is the one normaliser for a library panel, desired or live.
// The model is taken as Grafana stores it: "type" and "description" written
// in as "" when absent, and libraryPanel.uid "" replaced by the panel's uid.
func LibraryPanel(uid, name, folderUID string, model map[string]any) map[string]any {
	m := maps.Clone(model)
	if m == nil {
		m = map[string]any{}
	}
	for _, k := range []string{"type", "description"} {
		if m[k] == nil {
			m[k] = ""
		}
	}
	if lp, ok := m["libraryPanel"].(map[string]any); ok {
		if v, has := lp["uid"]; has && v == "" {
			lp = maps.Clone(lp)
			lp["uid"] = uid
			m["libraryPanel"] = lp
		}
	}
	return map[string]any{"name": name, "folderUid": folderUID, "model": m}
}

// libraryMarkerPath is where a library panel's document holds the marker.
const libraryMarkerPath = "model." + MarkerKey

// DesiredLibraryPanels are an org's library panels from Git, marked as
// managed. One whose name another live library panel holds in its folder
// (one Git does not rename or move away) is unwritable: Grafana refuses
// two of one name in a folder (400).
func DesiredLibraryPanels(org *resource.Org, orgID int64, live []grafana.LibraryPanel) []plan.Resource {
	gitPlace := map[string]string{} // uid → folder + name, for names Git frees
	for _, lp := range org.LibraryPanels {
		gitPlace[lp.UID] = lp.FolderUID + "\x00" + lp.Name
	}
	holder := map[string]string{} // live folder + name → uid
	for _, l := range live {
		holder[l.FolderUID+"\x00"+l.Name] = l.UID
	}
	out := make([]plan.Resource, 0, len(org.LibraryPanels))
	for _, lp := range org.LibraryPanels {
		doc := LibraryPanel(lp.UID, lp.Name, lp.FolderUID, lp.Model)
		doc["model"].(map[string]any)[MarkerKey] = marker()
		r := plan.Resource{
			Kind: plan.LibraryPanel, OrgID: orgID, ID: lp.UID, Name: strings.TrimSuffix(lp.Path, ".libpanel.json"),
			Doc: doc, Parent: lp.FolderUID, Source: lp.Source.String(), Marker: libraryMarkerPath,
		}
		place := lp.FolderUID + "\x00" + lp.Name
		if h, taken := holder[place]; taken && h != lp.UID {
			if p, inGit := gitPlace[h]; !inGit || p == place {
				r.Unwritable = fmt.Sprintf("its name %q is taken in that folder in Grafana by library panel uid %s, which grafsync does not rename; rename one of them, or give this file uid %s so grafsync takes that one over", lp.Name, h, h)
			}
		}
		out = append(out, r)
	}
	return out
}

// LiveLibraryPanels are the library panels Grafana has.
func LiveLibraryPanels(ps []grafana.LibraryPanel, orgID int64) []plan.Resource {
	out := make([]plan.Resource, 0, len(ps))
	for _, p := range ps {
		doc := LibraryPanel(p.UID, p.Name, p.FolderUID, p.Model)
		out = append(out, plan.Resource{
			Kind: plan.LibraryPanel, OrgID: orgID, ID: p.UID, Name: p.UID, Doc: doc, Parent: p.FolderUID,
			Version: p.Version, Managed: isManaged(doc["model"].(map[string]any)[MarkerKey]), UsedBy: p.ConnectedDashboards,
		})
	}
	return out
}

// LibraryPanelSpec is what apply writes for a desired library panel.
func LibraryPanelSpec(r *plan.Resource) grafana.LibraryPanelSpec {
	name, _ := r.Doc["name"].(string)
	folder, _ := r.Doc["folderUid"].(string)
	model, _ := r.Doc["model"].(map[string]any)
	return grafana.LibraryPanelSpec{UID: r.ID, Name: name, FolderUID: folder, Model: model}
}

// libraryPanelUses are the uids of the library panels an encoded dashboard
// uses (its panels' and its rows' panels' libraryPanel.uid, each once), as
// Grafana connects them on save. Most
// dashboards use no library panel: those are not decoded at all, and the
// others only into the few fields the walk reads.
func libraryPanelUses(raw []byte) []string {
	if !bytes.Contains(raw, []byte(`"libraryPanel"`)) {
		return nil
	}
	var doc struct {
		Panels []panelUse `json:"panels"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	seen := map[string]bool{}
	var walk func([]panelUse)
	walk = func(ps []panelUse) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			if p.LibraryPanel != nil && p.LibraryPanel.UID != "" {
				seen[p.LibraryPanel.UID] = true
			}
		}
	}
	walk(doc.Panels)
	if len(seen) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(seen))
}

// panelUse is what libraryPanelUses reads of a panel.
type panelUse struct {
	Type         string `json:"type"`
	LibraryPanel *struct {
		UID string `json:"uid"`
	} `json:"libraryPanel"`
	Panels []panelUse `json:"panels"`
}

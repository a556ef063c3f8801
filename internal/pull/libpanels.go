package pull

import (
	"encoding/json"
	"fmt"
	pathpkg "path"
	"sort"
	"strings"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/jsonc"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/normalize"
)

// writeLibraryPanels writes each library panel as <name>.libpanel.json in
// its folder's directory (README "Library panels"): uid, name, kind 1 and
// the model without grafsync's marker, keys sorted, two-space indentation.
// An existing file of that uid in the same directory keeps its path.
// Library panels outside a --folder subtree are left out; files of library
// panels gone from Grafana are reported, and deleted with Prune.
func writeLibraryPanels(w *writer, live []grafana.LibraryPanel, dirs map[string]string, ex *existing, opts Options, root string) (int, error) {
	byDir := map[string][]grafana.LibraryPanel{}
	seen := map[string]bool{}
	for _, lp := range live {
		dir, ok := dirs[lp.FolderUID]
		if !ok || opts.Folder != "" && lp.FolderUID == "" {
			continue
		}
		byDir[dir] = append(byDir[dir], lp)
		seen[lp.UID] = true
	}
	n := 0
	for _, dir := range sortedLibKeys(byDir) {
		lps := byDir[dir]
		taken := map[string]bool{}
		var fresh []named
		for _, p := range ex.libpanels {
			if pathpkg.Dir(p) == dir {
				taken[strings.TrimSuffix(pathpkg.Base(p), load.LibraryPanelSuffix)] = true
			}
		}
		for _, lp := range lps {
			if p, ok := ex.libpanels[lp.UID]; !ok || pathpkg.Dir(p) != dir {
				fresh = append(fresh, named{uid: lp.UID, title: lp.Name})
			}
		}
		names := uniqueNames(fresh, taken, "library-panel")
		for _, lp := range lps {
			p, ok := ex.libpanels[lp.UID]
			if !ok || pathpkg.Dir(p) != dir {
				p = pathpkg.Join(dir, names[lp.UID]+load.LibraryPanelSuffix)
			}
			data, err := libraryPanelFile(lp)
			if err != nil {
				return n, fmt.Errorf("library panel %s: %w", lp.UID, err)
			}
			if err := w.put(p, data, "model"); err != nil {
				return n, err
			}
			n++
			if old, ok := ex.libpanels[lp.UID]; ok && old != p {
				if err := w.remove(old, Moved, "to "+p); err != nil {
					return n, err
				}
			}
		}
	}
	if err := pruneGone(w, "library panel", ex.libpanels, seen, pruneScope(opts, dirs, root), opts.Prune); err != nil {
		return n, err
	}
	return n, nil
}

// libraryPanelFile renders a live library panel as its file. The model
// came through encoding/json (float64 numbers), whose shortest form reads
// back to the same numbers.
func libraryPanelFile(lp grafana.LibraryPanel) ([]byte, error) {
	model := map[string]any{}
	for k, v := range lp.Model {
		if k != normalize.MarkerKey {
			model[k] = v
		}
	}
	raw, err := json.Marshal(map[string]any{"uid": lp.UID, "name": lp.Name, "kind": grafana.LibraryPanelKind, "model": model})
	if err != nil {
		return nil, err
	}
	c, err := jsonc.Canonical(raw)
	if err != nil {
		return nil, err
	}
	return dashboardJSON(c)
}

func sortedLibKeys(m map[string][]grafana.LibraryPanel) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

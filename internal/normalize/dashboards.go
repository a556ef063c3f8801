package normalize

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// minRefresh is Grafana's default min_refresh_interval: a save with a faster
// refresh is silently raised to it (grafana-api.md §3.1).
const minRefresh = 5 * time.Second

// Dashboard is the one normaliser for dashboard JSON, desired or live: a
// copy without the server-owned id and version, with the title trimmed and
// the refresh raised to Grafana's minimum, and the folder as "folderUid".
func Dashboard(model map[string]any, folderUID string) map[string]any {
	doc := make(map[string]any, len(model)+1)
	for k, v := range model {
		doc[k] = v
	}
	delete(doc, "id")
	delete(doc, "version")
	if t, ok := doc["title"].(string); ok {
		doc["title"] = strings.TrimSpace(t)
	}
	if r, ok := doc["refresh"].(string); ok {
		if d, ok := parseInterval(r); ok && d > 0 && d < minRefresh {
			doc["refresh"] = "5s"
		}
	}
	doc["folderUid"] = folderUID
	return doc
}

// DesiredDashboards are an org's dashboards from Git, marked as managed,
// each kept encoded (plan.Resource.Raw).
func DesiredDashboards(org *resource.Org, orgID int64) ([]plan.Resource, error) {
	out := make([]plan.Resource, 0, len(org.Dashboards))
	for _, d := range org.Dashboards {
		model, err := d.Decode()
		if err != nil {
			return nil, err
		}
		doc := Dashboard(model, d.FolderUID)
		doc[MarkerKey] = marker()
		raw, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", d.Path, err)
		}
		out = append(out, plan.Resource{
			Kind: plan.Dashboard, OrgID: orgID, ID: d.UID, Name: strings.TrimSuffix(d.Path, pathExt(d.Path)),
			Raw: raw, Parent: d.FolderUID, Source: d.Source.String(), Marker: MarkerKey, Uses: LibraryPanelUIDs(model),
		})
	}
	return out, nil
}

// LiveDashboard is one dashboard as Grafana has it, kept encoded.
func LiveDashboard(d grafana.Dashboard, orgID int64) (plan.Resource, error) {
	doc := Dashboard(d.Model, d.FolderUID)
	raw, err := json.Marshal(doc)
	if err != nil {
		return plan.Resource{}, fmt.Errorf("dashboard %s: %w", d.UID, err)
	}
	return plan.Resource{
		Kind: plan.Dashboard, OrgID: orgID, ID: d.UID, Name: d.UID, Raw: raw, Parent: d.FolderUID,
		Version: d.Version, Managed: isManaged(doc[MarkerKey]), ReadOnly: d.Provisioned, Uses: LibraryPanelUIDs(doc),
	}, nil
}

func pathExt(p string) string {
	if i := strings.LastIndexByte(p, '.'); i > strings.LastIndexByte(p, '/') {
		return p[i:]
	}
	return ""
}

// parseInterval reads Grafana's interval syntax: a number and one of
// ms, s, m, h, d, w, M, y ("30s", "1m"). Anything else is left alone.
func parseInterval(s string) (time.Duration, bool) {
	units := []struct {
		suffix string
		d      time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour},
		{"w", 7 * 24 * time.Hour}, {"M", 30 * 24 * time.Hour}, {"y", 365 * 24 * time.Hour}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v < 0 {
				return 0, false
			}
			return time.Duration(v) * u.d, true
		}
	}
	return 0, false
}

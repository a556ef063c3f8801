package normalize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/jsonc"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// minRefresh is Grafana's default min_refresh_interval: a save with a faster
// refresh is silently raised to it (grafana-api.md §3.1).
const minRefresh = 5 * time.Second

// Dashboard is the one normaliser for dashboard JSON, desired or live. It
// returns the document's canonical bytes (as jsonc.Canonical: equal
// documents have equal bytes, numbers keep their text) without the
// server-owned id and version, with the title trimmed, the refresh raised
// to Grafana's minimum and the folder as "folderUid". A desired dashboard
// (desired true) gets grafsync's marker in place of any it carried; for a
// live one, managed reports whether it carries the marker. It streams the
// top-level members through jsontext: no map is built. A desired
// dashboard's JSON is canonical already (resource.Dashboard.JSON), so only
// its top level is rearranged; a live one's members are canonicalised,
// by jsonc.CanonicalCompact when it can (Grafana sends them compact and
// sorted, as grafsync saved them), else by jsonc.Canonical.
func Dashboard(src []byte, folderUID string, desired bool) (raw []byte, managed bool, err error) {
	canonical := desired
	// Read from a bytes.Buffer, jsontext parses src in place: values alias
	// src, which is never written, so they stay valid.
	dec := jsontext.NewDecoder(bytes.NewBuffer(src), jsonOpts...)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false, errors.New("not a JSON object")
	}
	type member struct {
		name  string
		value []byte
	}
	members := make([]member, 0, 32)
	size := 2
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, false, err
		}
		name := tok.String() // before the next read voids tok
		v, err := dec.ReadValue()
		if err != nil {
			return nil, false, err
		}
		switch name {
		case "id", "version", "folderUid":
			continue
		case MarkerKey:
			if desired {
				continue
			}
			managed = isManaged(v)
		case "title":
			if v.Kind() == '"' {
				v, _ = jsontext.AppendQuote(nil, strings.TrimSpace(unquote(v)))
			}
		case "refresh":
			if v.Kind() == '"' {
				if d, ok := parseInterval(unquote(v)); ok && d > 0 && d < minRefresh {
					v = jsontext.Value(`"5s"`)
				}
			}
		}
		if !canonical {
			if c, ok := jsonc.CanonicalCompact(v); ok {
				v = c
			} else if v, err = jsonc.Canonical(bytes.Clone(v)); err != nil {
				return nil, false, err
			}
		}
		members = append(members, member{name, v})
		size += len(name) + len(v) + 4
	}
	if desired {
		members = append(members, member{MarkerKey, []byte(`{"managed":true}`)})
	}
	q, _ := jsontext.AppendQuote(nil, folderUID)
	members = append(members, member{"folderUid", q})
	slices.SortStableFunc(members, func(a, b member) int { return jsonc.CompareNames(a.name, b.name) })
	raw = make([]byte, 0, size+len(q)+32)
	raw = append(raw, '{')
	for i, m := range members {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw, _ = jsontext.AppendQuote(raw, m.name)
		raw = append(append(raw, ':'), m.value...)
	}
	return append(raw, '}'), managed, nil
}

// jsonOpts read documents as encoding/json would: invalid UTF-8 and (on
// the live side, which Grafana wrote) repeated names are not errors here;
// the loader rejects repeated names in Git.
var jsonOpts = []jsontext.Options{jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true)}

// unquote is the text of a JSON string value.
func unquote(v jsontext.Value) string {
	var s string
	json.Unmarshal(v, &s)
	return s
}

// DesiredDashboard is one dashboard from Git, marked as managed, encoded.
func DesiredDashboard(d *resource.Dashboard, orgID int64) (plan.Resource, error) {
	raw, _, err := Dashboard(d.JSON, d.FolderUID, true)
	if err != nil {
		return plan.Resource{}, fmt.Errorf("dashboard %s: %w", d.Path, err)
	}
	return plan.Resource{
		Kind: plan.Dashboard, OrgID: orgID, ID: d.UID, Name: strings.TrimSuffix(d.Path, pathExt(d.Path)),
		Raw: raw, Parent: d.FolderUID, Source: d.Source.String(), SourceHash: d.SourceHash, Marker: MarkerKey, Uses: libraryPanelUses(raw),
	}, nil
}

// LiveDashboard is one dashboard as Grafana has it, kept encoded.
func LiveDashboard(d grafana.Dashboard, orgID int64) (plan.Resource, error) {
	raw, managed, err := Dashboard(d.JSON, d.FolderUID, false)
	if err != nil {
		return plan.Resource{}, fmt.Errorf("dashboard %s: %w", d.UID, err)
	}
	managed = managed || ManagedByGrafsync(d.ManagedBy, d.ManagerID)
	return plan.Resource{
		Kind: plan.Dashboard, OrgID: orgID, ID: d.UID, Name: d.UID, Raw: raw, Parent: d.FolderUID,
		Version: d.Version, Managed: managed, ReadOnly: d.Provisioned, LiveNote: schemaNote(d),
	}, nil
}

// schemaNote explains a live dashboard Grafana holds in another schema than
// v0/v1 (grafana.Dashboard.Schema): drift, never an error.
func schemaNote(d grafana.Dashboard) string {
	if d.Schema == "" {
		return ""
	}
	who := ""
	if d.SavedBy != "" {
		who = " by " + d.SavedBy
	}
	if !d.SavedAt.IsZero() {
		who += " at " + d.SavedAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("Grafana holds this dashboard in schema %s (saved%s, e.g. in Grafana's UI with dynamic dashboards on); apply writes the repository's version back", d.Schema, who)
}

// StoresFloat64 reports whether a Grafana version keeps dashboard numbers
// as float64: from 12.0, dashboards are stored as unstructured objects
// decoded by encoding/json (Grafana's common.Unstructured), so
// 9007199254740993 is kept as 9007199254740992 and 1e-400 as 0. Older
// versions store the JSON text (numbers exactly as sent).
func StoresFloat64(version string) bool {
	major, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	n, err := strconv.Atoi(major)
	return err == nil && n >= 12
}

// DashboardNumbers rewrites the numbers of encoded dashboards as a Grafana
// of version stores them (StoresFloat64), so that a number Grafana itself
// rounds is never a difference between Git and Grafana. It is applied to
// both sides alike; a Grafana that keeps numbers exactly leaves them alone.
func DashboardNumbers(rs []plan.Resource, version string) error {
	if !StoresFloat64(version) {
		return nil
	}
	for i := range rs {
		if rs[i].Kind != plan.Dashboard || rs[i].Raw == nil {
			continue
		}
		raw, err := jsonc.Float64(rs[i].Raw)
		if err != nil {
			return fmt.Errorf("%s: %w", rs[i].Subject(), err)
		}
		rs[i].Raw = raw
	}
	return nil
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

// BlockSchemaV2 marks the desired schema v2 dashboards unwritable where
// grafsync writes through the legacy /api (Grafana before 12, or
// --grafana-api legacy), which cannot take them: the plan blocks them, so
// apply writes nothing instead of failing part-way.
func BlockSchemaV2(desired []plan.Resource) {
	for i := range desired {
		if d := &desired[i]; d.Kind == plan.Dashboard && d.Unwritable == "" && grafana.IsSchemaV2(d.Raw) {
			d.Unwritable = "Grafana cannot take it here: " + grafana.SchemaV2OnLegacy
		}
	}
}

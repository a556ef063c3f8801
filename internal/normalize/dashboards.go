package normalize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
// live one, managed reports whether it carries the marker. No map is
// built: src must be valid JSON, whose top-level members jsonc.SplitObject
// finds without tokenizing it. A desired dashboard's JSON is canonical
// already (resource.Dashboard.JSON), so only its top level is rearranged;
// a live one (read from Grafana through jsontext or encoding/json, so
// valid) has its members canonicalised, by jsonc.CanonicalCompact when it
// can (Grafana sends them compact and sorted, as grafsync saved them),
// else by jsonc.Canonical.
func Dashboard(src []byte, folderUID string, desired bool) (raw []byte, managed bool, err error) {
	// src is valid JSON (see above): its members are found without
	// tokenizing it again; jsontext reads it when that fails.
	members, err := jsonc.SplitObject(src)
	if err != nil {
		if members, err = readMembers(src); err != nil {
			return nil, false, err
		}
	}
	q, _ := jsontext.AppendQuote(nil, folderUID)
	set := map[string][]byte{"folderUid": q}
	for _, m := range members {
		v := jsontext.Value(m.Value)
		switch m.Name {
		case MarkerKey:
			managed = managed || isManaged(v)
		case "title":
			if v.Kind() == '"' {
				set["title"], _ = jsontext.AppendQuote(nil, strings.TrimSpace(unquote(v)))
			}
		case "refresh":
			if v.Kind() == '"' {
				if d, ok := parseInterval(unquote(v)); ok && d > 0 && d < minRefresh {
					set["refresh"] = []byte(`"5s"`)
				}
			}
		}
	}
	if desired {
		set[MarkerKey] = []byte(`{"managed":true}`)
		raw, err = jsonc.AppendMembers(nil, members, serverOwned, set)
		return raw, false, err
	}
	raw, _, err = jsonc.AppendCanonicalMembers(nil, members, serverOwned, set)
	return raw, managed, err
}

// serverOwned are the top-level members Dashboard leaves out: Grafana's
// own (read-only: shared by every call).
var serverOwned = map[string]bool{"id": true, "version": true}

// readMembers reads the members of the JSON object src with jsontext,
// which reports what is wrong with it.
func readMembers(src []byte) ([]jsonc.Member, error) {
	// Read from a bytes.Buffer, jsontext parses src in place: values alias
	// src, which is never written, so they stay valid.
	dec := jsontext.NewDecoder(bytes.NewBuffer(src), jsonOpts...)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, errors.New("not a JSON object")
	}
	var members []jsonc.Member
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String() // before the next read voids tok
		v, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		members = append(members, jsonc.Member{Name: name, Value: v})
	}
	return members, nil
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
		Schema: schemaOf(raw),
	}, nil
}

// schemaOf is the v2 schema version of an encoded dashboard from Git (a v2
// file keeps its "apiVersion" at the top: load/dashboards_v2.go), "" for
// classic JSON.
func schemaOf(raw []byte) string {
	const key = `"apiVersion":"dashboard.grafana.app/`
	i := bytes.Index(raw, []byte(key))
	if i < 0 {
		return ""
	}
	v := raw[i+len(key):]
	if j := bytes.IndexByte(v, '"'); j > 0 && bytes.HasPrefix(v, []byte("v2")) {
		return string(v[:j])
	}
	return ""
}

// LiveDashboard is one dashboard as Grafana has it, kept encoded.
func LiveDashboard(d grafana.Dashboard, orgID int64) (plan.Resource, error) {
	raw, managed, err := Dashboard(d.JSON, d.FolderUID, false)
	if err != nil {
		return plan.Resource{}, fmt.Errorf("dashboard %s: %w", d.UID, err)
	}
	return liveDashboard(d, orgID, raw, managed), nil
}

// liveDashboard is the resource of live dashboard d normalised to raw;
// marked says whether raw holds grafsync's marker.
func liveDashboard(d grafana.Dashboard, orgID int64, raw []byte, marked bool) plan.Resource {
	mine := ManagedByGrafsync(d.ManagedBy, d.ManagerID)
	r := plan.Resource{
		Kind: plan.Dashboard, OrgID: orgID, ID: d.UID, Name: d.UID, Raw: raw, Parent: d.FolderUID,
		Version: d.Version, Managed: marked || mine, ReadOnly: d.Provisioned, LiveNote: schemaNote(d),
		Schema: d.Schema,
	}
	// The lock is grafsync's to compare where grafsync is the manager, or
	// where there is none (a write adds grafsync's annotations).
	if mine || d.ManagerID == "" {
		r.Lock = string(d.Lock)
	}
	return r
}

// LockDashboards sets the lock state the run asks for (--lock-dashboards:
// locked; without it: editable) on the desired dashboards and folders
// (grafsync writes both with the same manager annotations), as part of
// their desired state. Only the /apis path can lock: call it there only.
func LockDashboards(desired []plan.Resource, lock bool) {
	want := grafana.Editable
	if lock {
		want = grafana.Locked
	}
	for i := range desired {
		if k := desired[i].Kind; k == plan.Dashboard || k == plan.Folder {
			desired[i].Lock = string(want)
		}
	}
}

// schemaNote explains a live dashboard Grafana holds in another schema than
// v0/v1 (grafana.Dashboard.Schema): drift, never an error. The plan shows
// it only against a desired dashboard of the other schema family.
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
// advice (grafana.SchemaV2Advice) says what to do.
func BlockSchemaV2(desired []plan.Resource, advice string) {
	for i := range desired {
		if d := &desired[i]; d.Kind == plan.Dashboard && d.Unwritable == "" && grafana.IsSchemaV2(d.Raw) {
			d.Unwritable = "Grafana cannot take it here: " + advice
		}
	}
}

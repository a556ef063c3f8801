package load

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/grafsync/grafsync/internal/resource"
)

var uidRE = regexp.MustCompile(`^[a-zA-Z0-9_-]*$`)

// checkUID applies Grafana's uid rules (grafana-api.md §3.1).
//
// pos is called only when the uid is invalid: finding a position in a
// dashboard costs a second scan of its file.
func (l *loader) checkUID(pos func() resource.Pos, at path, uid string) bool {
	switch {
	case !uidRE.MatchString(uid):
		l.errorf(pos(), "use only letters, digits, - and _", "%s: %q contains illegal characters", at, uid)
	case len(uid) > 40:
		l.errorf(pos(), "", "%s: %q is %d characters long, max 40", at, uid, len(uid))
	default:
		return true
	}
	return false
}

// dsInfo is a datasource a reference can resolve to.
type dsInfo struct {
	uid, name, typ string
	pos            resource.Pos
	external       bool
	// derived: the file sets no uid; uid is the one Grafana's provisioning
	// would give it (resource.UIDFromName).
	derived bool
	// at ("datasources[0].") and the positions of the uid and name, for
	// reporting a clash.
	at              string
	uidPos, namePos resource.Pos
	// account is set on a datasource generated from a CloudWatch template.
	account string
}

// origin describes where a datasource comes from, for clash messages.
func (d *dsInfo) origin() string {
	if d.account == "" {
		return d.pos.String()
	}
	return d.pos.String() + " (the CloudWatch template, account " + d.account + ")"
}

// pluginAliases maps a datasource plugin id to the one Grafana also knows it
// by: a plugin.json's aliasIDs make a datasource, reference or __inputs
// entry of the old id work with the plugin (public/app/plugins/datasource/
// grafana-pyroscope-datasource/plugin.json: "aliasIDs": ["phlare"]; likewise
// grafana-postgresql-datasource ["postgres"] and grafana-testdata-datasource
// ["testdata"]). MySQL and MSSQL are listed under both ids since Grafana 12
// decoupled its SQL plugins. Types are compared through pluginType.
var pluginAliases = map[string]string{
	"phlare":                   "grafana-pyroscope-datasource",
	"postgres":                 "grafana-postgresql-datasource",
	"testdata":                 "grafana-testdata-datasource",
	"grafana-mysql-datasource": "mysql",
	"grafana-mssql-datasource": "mssql",
}

// pluginType is the id a datasource plugin id stands for (see pluginAliases).
func pluginType(id string) string {
	if to, ok := pluginAliases[id]; ok {
		return to
	}
	return id
}

// sameType reports whether two plugin ids name the same plugin.
func sameType(a, b string) bool { return pluginType(a) == pluginType(b) }

type dsIndex struct {
	byUID, byName map[string]*dsInfo
	byType        map[string][]*dsInfo
}

// lookup resolves a uid or, failing that, a name.
func (x dsIndex) lookup(ref string) *dsInfo {
	if d := x.byUID[ref]; d != nil {
		return d
	}
	return x.byName[ref]
}

// indexDatasources indexes the org's repo and external datasources and
// reports duplicate names and uids and more than one default. A clash that
// involves a datasource generated from a template is reported at both
// places: either may be the one to change.
func (l *loader) indexDatasources(o *orgState) dsIndex {
	x := dsIndex{byUID: map[string]*dsInfo{}, byName: map[string]*dsInfo{}, byType: map[string][]*dsInfo{}}
	clash := func(d, prev *dsInfo, field, value string, pos, prevPos resource.Pos) {
		hint := "datasource " + field + "s must be unique in an org"
		l.errorf(pos, hint, "%s%s: datasource %s %q is already used at %s", d.at, field, field, value, prev.origin())
		if d.account != "" || prev.account != "" {
			l.errorf(prevPos, hint, "%s%s: datasource %s %q is used again at %s", prev.at, field, field, value, d.origin())
		}
	}
	add := func(d *dsInfo) {
		if d.uid != "" {
			if prev := x.byUID[d.uid]; prev != nil {
				clash(d, prev, "uid", d.uid, d.uidPos, prev.uidPos)
			} else {
				x.byUID[d.uid] = d
			}
		}
		if d.name != "" {
			if prev := x.byName[d.name]; prev != nil {
				clash(d, prev, "name", d.name, d.namePos, prev.namePos)
			} else {
				x.byName[d.name] = d
			}
		}
		x.byType[pluginType(d.typ)] = append(x.byType[pluginType(d.typ)], d)
	}
	var firstDefault *dsEntry
	for _, e := range o.entries {
		// A datasource without a uid gets the one Grafana's provisioning
		// would give it (resource.UIDFromName); dashboards exported from such
		// a Grafana reference it.
		uid := e.ds.UID
		if uid == "" && e.ds.Name != "" {
			uid = e.ds.ProvisionedUID()
		}
		add(&dsInfo{uid: uid, derived: e.ds.UID == "", name: e.ds.Name, typ: e.ds.Type, pos: e.ds.Source, at: e.at.String() + ".",
			uidPos: e.pos(path{"uid"}, false), namePos: e.pos(path{"name"}, false), account: e.account})
		if e.ds.IsDefault {
			if firstDefault != nil {
				l.errorf(e.pos(path{"isDefault"}, false), "Grafana keeps one default datasource per org; remove isDefault from all but one",
					"%s.isDefault: datasource %q is a second default in org %q (the first is %q at %s)", e.at, e.ds.Name, o.org.Name, firstDefault.ds.Name, firstDefault.ds.Source)
			} else {
				firstDefault = e
			}
		}
	}
	for i, ext := range o.org.External {
		add(&dsInfo{uid: ext.UID, name: ext.Name, typ: ext.Type, pos: ext.Source, external: true,
			at: "externalDatasources[" + strconv.Itoa(i) + "].", uidPos: ext.Source, namePos: ext.Source})
	}
	return x
}

// link is a jsonData field that holds another datasource's uid.
type link struct {
	// list is the jsonData key of an object or list of objects holding key;
	// empty when key is at the top of jsonData.
	list, key string
	want      []string // sensible target types; nil: any
}

var (
	tracingTypes = []string{"tempo", "jaeger", "zipkin", "grafana-x-ray-datasource"}
	logsTypes    = []string{"loki", "elasticsearch", "grafana-opensearch-datasource", "cloudwatch", "grafana-splunk-datasource", "grafana-falconlogscale-datasource"}
	metricTypes  = []string{"prometheus"}
	links        = []link{
		{"derivedFields", "datasourceUid", tracingTypes},                                // Loki
		{"exemplarTraceIdDestinations", "datasourceUid", tracingTypes},                  // Prometheus
		{"tracesToLogsV2", "datasourceUid", logsTypes},                                  // Tempo
		{"tracesToLogs", "datasourceUid", logsTypes},                                    // Tempo, legacy
		{"tracesToMetrics", "datasourceUid", metricTypes},                               // Tempo
		{"tracesToProfiles", "datasourceUid", []string{"grafana-pyroscope-datasource"}}, // Tempo
		{"serviceMap", "datasourceUid", metricTypes},                                    // Tempo
		{"lokiSearch", "datasourceUid", []string{"loki"}},                               // Tempo, legacy
		{"", "tracingDatasourceUid", []string{"grafana-x-ray-datasource"}},              // CloudWatch
		{"", "alertmanagerUid", []string{"alertmanager"}},                               // Prometheus, Loki
	}
)

// checkDatasourceLinks checks that links between datasources (Loki derived
// fields → Tempo, Tempo → Loki and Prometheus, exemplars → Tempo) resolve to
// a repo or external datasource of a sensible type. A template is checked
// once, not once per generated datasource.
func (l *loader) checkDatasourceLinks(o *orgState) {
	for _, e := range slices.Concat(o.entries, o.templates) {
		if e.account != "" {
			continue
		}
		for _, lk := range links {
			for _, p := range linkPaths(e.ds.JSONData, lk) {
				uid, _ := getPath(e.ds.JSONData, p).(string)
				if uid == "" || e.unresolved[path{"jsonData"}.with(p...).String()] {
					continue
				}
				full := path{"jsonData"}.with(p...)
				pos := e.pos(full, false)
				// Grafana's frontend looks a link up as any datasource
				// reference: by uid, then by name (getInstanceSettings).
				d := o.ds.lookup(uid)
				if d == nil {
					l.errorf(pos, "define it in datasources/ or declare it in grafsync.yaml externalDatasources",
						"%s: no datasource with uid or name %q in org %q", e.at.with(full...), uid, o.org.Name)
					continue
				}
				if d.typ != "" && lk.want != nil && !slices.ContainsFunc(lk.want, func(t string) bool { return sameType(t, d.typ) }) {
					l.warnf(pos, "", "%s: datasource %q is of type %s, expected %s", e.at.with(full...), uid, d.typ, strings.Join(lk.want, " or "))
				}
			}
		}
	}
}

// linkPaths returns the jsonData paths where lk's uid may be.
func linkPaths(jd map[string]any, lk link) []path {
	if lk.list == "" {
		if _, ok := jd[lk.key]; ok {
			return []path{{lk.key}}
		}
		return nil
	}
	switch v := jd[lk.list].(type) {
	case map[string]any:
		return []path{{lk.list, lk.key}}
	case []any:
		var ps []path
		for i := range v {
			ps = append(ps, path{lk.list, i, lk.key})
		}
		return ps
	}
	return nil
}

// getPath returns the value at p in a JSON-shaped value, or nil.
func getPath(v any, p path) any {
	for _, e := range p {
		switch e := e.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[e]
		case int:
			s, ok := v.([]any)
			if !ok || e >= len(s) {
				return nil
			}
			v = s[e]
		}
	}
	return v
}

package normalize

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/grafsync/grafsync/internal/alerting"
	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// Alerting docs follow the provisioning API's shapes, reduced to what a
// user sets: server-owned fields (id, orgID, updated, version) are
// dropped, defaults are filled in (noDataState NoData, execErrState
// Error, for 0s), durations are canonical ("5m", not "5m0s"), empty lists
// and maps are absent. Each doc holds "provenance": what grafsync writes
// ("api", or "none" with --alerting-provenance none), or what Grafana has.

// Provenance values in docs.
const (
	ProvenanceAPI  = "api"
	ProvenanceNone = "none"
	provenanceFile = "file"
)

// secureSettingsPath is where a contact point doc holds secret fingerprints.
const secureSettingsPath = "secureSettings"

// PoliciesID is the identity of an org's one policy tree.
const PoliciesID = "policies"

// AlertingSecretID is the key of a contact point's secrets in the secrets
// apply is handed (next to datasources', whose ids never hold a "/").
func AlertingSecretID(uid string) string { return "contact-point/" + uid }

func liveProvenance(p string) string {
	if p == "" {
		return ProvenanceNone
	}
	return p
}

// unwritable says why Grafana refuses to move a live object of provenance
// live to want (audit §4: a stored provenance other than none never changes).
func unwritable(live, want string) string {
	if live == ProvenanceNone || live == want || live == provenanceFile {
		return ""
	}
	return "Grafana refuses to change its provenance from '" + live + "' to '" + want + "'; run with --alerting-provenance " + live +
		", or delete it in Grafana so grafsync creates it again"
}

// RuleDoc is the one normaliser of an alert rule, desired or live.
func RuleDoc(r map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"uid", "title", "condition"} {
		if s, _ := r[k].(string); s != "" {
			out[k] = s
		}
	}
	out["noDataState"] = orDefault(r["noDataState"], "NoData")
	out["execErrState"] = orDefault(r["execErrState"], "Error")
	out["for"] = alerting.CanonicalDuration(orDefault(r["for"], "0s"))
	if s, _ := r["keep_firing_for"].(string); s != "" && alerting.CanonicalDuration(s) != "0s" {
		out["keep_firing_for"] = alerting.CanonicalDuration(s)
	}
	for _, k := range []string{"annotations", "labels"} {
		if m, _ := r[k].(map[string]any); len(m) > 0 {
			out[k] = maps.Clone(m)
		}
	}
	if b, _ := r["isPaused"].(bool); b {
		out["isPaused"] = true
	}
	if n, _ := r["missingSeriesEvalsToResolve"].(float64); n != 0 {
		out["missingSeriesEvalsToResolve"] = n
	}
	if ns, _ := r["notification_settings"].(map[string]any); len(ns) > 0 {
		out["notification_settings"] = routeDoc(ns)
	}
	if rec, _ := r["record"].(map[string]any); len(rec) > 0 {
		out["record"] = rec
	}
	var data []any
	qs, _ := r["data"].([]any)
	for _, q := range qs {
		m, _ := q.(map[string]any)
		if m == nil {
			continue
		}
		model := queryModel(m["model"])
		d := map[string]any{"refId": m["refId"], "datasourceUid": m["datasourceUid"], "model": model}
		if s, _ := m["queryType"].(string); s != "" {
			d["queryType"] = s
		}
		if s, _ := model["queryType"].(string); s != "" {
			d["queryType"] = s
		}
		rt, _ := m["relativeTimeRange"].(map[string]any)
		from, _ := rt["from"].(float64)
		to, _ := rt["to"].(float64)
		d["relativeTimeRange"] = map[string]any{"from": from, "to": to}
		data = append(data, d)
	}
	out["data"] = data
	return out
}

// queryModel is a rule query's model as Grafana stores it
// (AlertQuery.PreSave, pkg/services/ngalert/models/alert_query.go): a
// maxDataPoints or intervalMs that is missing or not positive becomes
// 43200 and 1000.
func queryModel(v any) map[string]any {
	m, _ := v.(map[string]any)
	out := maps.Clone(m)
	if out == nil {
		out = map[string]any{}
	}
	for k, def := range map[string]float64{"maxDataPoints": 43200, "intervalMs": 1000} {
		if n, ok := out[k].(float64); !ok || n <= 0 {
			out[k] = def
		}
	}
	return out
}

func orDefault(v any, def string) string {
	if s, _ := v.(string); s != "" {
		return s
	}
	return def
}

// routeDoc normalises a policy route (or a rule's notification_settings).
func routeDoc(r map[string]any) map[string]any {
	out := map[string]any{}
	if s, _ := r["receiver"].(string); s != "" {
		out["receiver"] = s
	}
	for _, k := range []string{"group_wait", "group_interval", "repeat_interval"} {
		if s, _ := r[k].(string); s != "" {
			out[k] = alerting.CanonicalDuration(s)
		}
	}
	for _, k := range []string{"group_by", "mute_time_intervals", "active_time_intervals"} {
		if l, _ := r[k].([]any); len(l) > 0 {
			out[k] = slices.Clone(l)
		}
	}
	if b, _ := r["continue"].(bool); b {
		out["continue"] = true
	}
	var matchers []any
	om, _ := r["object_matchers"].([]any)
	matchers = append(matchers, om...)
	// The API's matchers form: {name, value, isEqual, isRegex}.
	ms, _ := r["matchers"].([]any)
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		if mm == nil {
			continue
		}
		op := map[[2]bool]string{{true, false}: "=", {false, false}: "!=", {true, true}: "=~", {false, true}: "!~"}
		eq, _ := mm["isEqual"].(bool)
		re, _ := mm["isRegex"].(bool)
		matchers = append(matchers, []any{mm["name"], op[[2]bool{eq, re}], mm["value"]})
	}
	if len(matchers) > 0 {
		out["object_matchers"] = matchers
	}
	if rs, _ := r["routes"].([]any); len(rs) > 0 {
		var routes []any
		for _, x := range rs {
			if m, _ := x.(map[string]any); m != nil {
				routes = append(routes, routeDoc(m))
			}
		}
		out["routes"] = routes
	}
	return out
}

func groupID(folderUID, title string) string { return folderUID + "/" + title }

// DesiredAlerting are an org's alerting resources from Git, written with
// provenance (ProvenanceAPI or ProvenanceNone), against what live holds.
func DesiredAlerting(org *resource.Org, orgID int64, live *grafana.Alerting, provenance string, fp *Fingerprinter) []plan.Resource {
	a := org.Alerting
	if a == nil {
		return nil
	}
	if live == nil {
		live = &grafana.Alerting{}
	}
	folderTitle := map[string]string{}
	for _, f := range org.Folders {
		folderTitle[f.UID] = f.Path
	}
	liveGroups := map[string][]string{} // the rules' provenances by group id
	for _, g := range live.RuleGroups {
		var ps []string
		for _, r := range g.Rules {
			ps = append(ps, liveProvenance(str(r["provenance"])))
		}
		liveGroups[groupID(g.FolderUID, g.Title)] = ps
	}
	liveCP := map[string]grafana.ContactPoint{}
	for _, cp := range live.ContactPoints {
		liveCP[cp.UID] = cp
	}
	var out []plan.Resource
	for _, g := range a.RuleGroups {
		id := groupID(g.FolderUID, g.Name)
		var rules []any
		for _, r := range g.Rules {
			doc := RuleDoc(r)
			ann, _ := doc["annotations"].(map[string]any)
			if ann == nil {
				ann = map[string]any{}
			}
			ann[alerting.MarkerKey] = alerting.MarkerValue
			doc["annotations"] = ann
			rules = append(rules, doc)
		}
		doc := map[string]any{"folderUID": g.FolderUID, "title": g.Name, "interval": float64(g.Interval), "rules": rulesByUID(rules), "provenance": provenance}
		res := plan.Resource{Kind: plan.AlertRuleGroup, OrgID: orgID, ID: id, Name: folderTitle[g.FolderUID] + "/" + g.Name, Doc: doc, Source: g.Source.String(), Parent: g.FolderUID}
		for _, lp := range liveGroups[id] {
			if res.Unwritable == "" {
				res.Unwritable = unwritable(lp, provenance)
			}
		}
		out = append(out, res)
	}
	for _, cp := range a.ContactPoints {
		fps := map[string]any{}
		stored := map[string]string{}
		if l, ok := liveCP[cp.UID]; ok {
			_, stored = splitSecrets(l.Settings)
		}
		for key, s := range cp.Secure {
			switch {
			case !s.IsUnset() && s.Reveal() != "":
				fps[key] = fp.Fingerprint(AlertingSecretID(cp.UID), key, s.Reveal())
			case s.IsUnset() && stored[key] != "":
				fps[key] = stored[key]
			}
		}
		doc := contactPointDoc(cp.Name, cp.Type, cp.DisableResolveMessage, cp.Settings, fps, provenance)
		doc[alerting.MarkerKey] = marker()
		res := plan.Resource{Kind: plan.ContactPoint, OrgID: orgID, ID: cp.UID, Name: cp.Name + " (" + cp.Type + ", " + cp.UID + ")", Doc: doc,
			Source: cp.Source.String(), Secrets: []string{secureSettingsPath}, Marker: alerting.MarkerKey}
		if l, ok := liveCP[cp.UID]; ok {
			res.Unwritable = unwritable(liveProvenance(l.Provenance), provenance)
		}
		out = append(out, res)
	}
	if a.Policies != nil {
		doc := routeDoc(a.Policies.Tree)
		doc["provenance"] = provenance
		res := plan.Resource{Kind: plan.NotificationPolicies, OrgID: orgID, ID: PoliciesID, Name: "tree", Doc: doc, Source: a.Policies.Source.String()}
		if live.Policies != nil {
			res.Unwritable = unwritable(liveProvenance(str(live.Policies["provenance"])), provenance)
		}
		out = append(out, res)
	}
	liveMute := map[string]grafana.MuteTiming{}
	for _, m := range live.MuteTimings {
		liveMute[m.Name] = m
	}
	for _, mt := range a.MuteTimings {
		doc := muteTimingDoc(mt.Name, mt.TimeIntervals)
		doc["provenance"] = provenance
		res := plan.Resource{Kind: plan.MuteTiming, OrgID: orgID, ID: mt.Name, Doc: doc, Source: mt.Source.String()}
		if l, ok := liveMute[mt.Name]; ok {
			res.Unwritable = unwritable(liveProvenance(l.Provenance), provenance)
		}
		out = append(out, res)
	}
	liveTmpl := map[string]grafana.Template{}
	for _, t := range live.Templates {
		liveTmpl[t.Name] = t
	}
	for _, t := range a.Templates {
		doc := map[string]any{"name": t.Name, "template": alerting.TemplateContent(t.Name, t.Template), "provenance": provenance}
		res := plan.Resource{Kind: plan.NotificationTemplate, OrgID: orgID, ID: t.Name, Doc: doc, Source: t.Source.String()}
		if l, ok := liveTmpl[t.Name]; ok {
			res.Unwritable = unwritable(liveProvenance(l.Provenance), provenance)
		}
		out = append(out, res)
	}
	out = append(out, alertingTombstones(a, orgID, live)...)
	return out
}

// alertingTombstones are the delete lists' entries that name something
// live; resetPolicies only while the tree is not Grafana's default.
func alertingTombstones(a *resource.Alerting, orgID int64, live *grafana.Alerting) []plan.Resource {
	var out []plan.Resource
	liveRules := map[string]bool{}
	for _, g := range live.RuleGroups {
		for _, r := range g.Rules {
			liveRules[str(r["uid"])] = true
		}
	}
	add := func(kind plan.Kind, refs []resource.AlertingRef, exists func(string) bool) {
		for _, ref := range refs {
			if exists(ref.Name) {
				out = append(out, plan.Resource{Kind: kind, OrgID: orgID, ID: ref.Name, Source: ref.Source.String(), Tombstone: true})
			}
		}
	}
	add(plan.AlertRule, a.DeleteRules, func(uid string) bool { return liveRules[uid] })
	add(plan.ContactPoint, a.DeleteContactPoints, func(uid string) bool {
		return slices.ContainsFunc(live.ContactPoints, func(c grafana.ContactPoint) bool { return c.UID == uid })
	})
	add(plan.MuteTiming, a.DeleteMuteTimings, func(n string) bool {
		return slices.ContainsFunc(live.MuteTimings, func(m grafana.MuteTiming) bool { return m.Name == n })
	})
	add(plan.NotificationTemplate, a.DeleteTemplates, func(n string) bool {
		return slices.ContainsFunc(live.Templates, func(t grafana.Template) bool { return t.Name == n })
	})
	if a.ResetPolicies != nil && a.Policies == nil && live.Policies != nil {
		tree := routeDoc(live.Policies)
		def := routeDoc(map[string]any{"receiver": DefaultContactPoint, "group_by": []any{"grafana_folder", "alertname"}})
		if liveProvenance(str(live.Policies["provenance"])) != ProvenanceNone || !equalDocs(tree, def) {
			out = append(out, plan.Resource{Kind: plan.NotificationPolicies, OrgID: orgID, ID: PoliciesID, Name: "tree", Source: a.ResetPolicies.Source.String(), Tombstone: true})
		}
	}
	return out
}

// DefaultContactPoint is the contact point of Grafana's default
// configuration, which every org starts with.
const DefaultContactPoint = "grafana-default-email"

// CheckUndeclared reports the first contact point or mute timing that the
// repository names without declaring it and that Grafana does not have
// either: nothing could route to it.
func CheckUndeclared(a *resource.Alerting, live *grafana.Alerting) error {
	for _, u := range a.Undeclared {
		var found bool
		switch u.What {
		case "contact point":
			found = slices.ContainsFunc(live.ContactPoints, func(c grafana.ContactPoint) bool { return c.Name == u.Name })
		default:
			found = slices.ContainsFunc(live.MuteTimings, func(m grafana.MuteTiming) bool { return m.Name == u.Name })
		}
		if !found {
			return fmt.Errorf("%s: %s %q is neither declared in alerting/ nor in Grafana; declare it, or fix the name", u.Source, u.What, u.Name)
		}
	}
	return nil
}

func equalDocs(a, b map[string]any) bool { return len(plan.Diff(a, b, nil)) == 0 }

// LiveAlerting are an org's alerting resources as Grafana has them. Only
// kinds the repository declares are read: the policy tree only when Git
// declares it (or asks to reset it), the live alerting of an org
// without alerting/ not at all.
func LiveAlerting(org *resource.Org, live *grafana.Alerting, orgID int64) []plan.Resource {
	if org.Alerting == nil || live == nil {
		return nil
	}
	var out []plan.Resource
	deleting := map[string]bool{}
	for _, ref := range org.Alerting.DeleteRules {
		deleting[ref.Name] = true
	}
	// Groups are named by folder path where Git has the folder, as desired
	// groups are, so a group's subject is the same in every plan line.
	folderPath := map[string]string{}
	for _, f := range org.Folders {
		folderPath[f.UID] = f.Path
	}
	for _, g := range live.RuleGroups {
		var rules []any
		managed := false
		for _, r := range g.Rules {
			doc := RuleDoc(r)
			ann, _ := doc["annotations"].(map[string]any)
			managed = managed || ann[alerting.MarkerKey] == alerting.MarkerValue
			rules = append(rules, doc)
		}
		prov := groupProvenance(g)
		doc := map[string]any{"folderUID": g.FolderUID, "title": g.Title, "interval": float64(g.Interval), "rules": rulesByUID(rules), "provenance": prov}
		out = append(out, plan.Resource{Kind: plan.AlertRuleGroup, OrgID: orgID, ID: groupID(g.FolderUID, g.Title), Name: cmp.Or(folderPath[g.FolderUID], g.FolderUID) + "/" + g.Title,
			Doc: doc, Parent: g.FolderUID, Managed: managed, ReadOnly: prov == provenanceFile || prov == "converted_prometheus"})
		for _, r := range g.Rules {
			// For deleteRules: a rule is deleted by uid, whatever its group.
			if !deleting[str(r["uid"])] {
				continue
			}
			out = append(out, plan.Resource{Kind: plan.AlertRule, OrgID: orgID, ID: str(r["uid"]), Name: str(r["title"]), Doc: map[string]any{}})
		}
	}
	for _, cp := range live.ContactPoints {
		settings, fps := splitSecrets(cp.Settings)
		mark, _ := settings[alerting.MarkerKey].(map[string]any)
		fpsAny := map[string]any{}
		for k, v := range fps {
			fpsAny[k] = v
		}
		doc := contactPointDoc(cp.Name, cp.Type, cp.DisableResolveMessage, settings, fpsAny, liveProvenance(cp.Provenance))
		if isManaged(mark) {
			doc[alerting.MarkerKey] = marker()
		}
		out = append(out, plan.Resource{Kind: plan.ContactPoint, OrgID: orgID, ID: cp.UID, Name: cp.Name + " (" + cp.Type + ", " + cp.UID + ")", Doc: doc,
			Secrets: []string{secureSettingsPath}, Managed: isManaged(mark), ReadOnly: cp.Provenance == provenanceFile})
	}
	if (org.Alerting.Policies != nil || org.Alerting.ResetPolicies != nil) && live.Policies != nil {
		doc := routeDoc(live.Policies)
		doc["provenance"] = liveProvenance(str(live.Policies["provenance"]))
		out = append(out, plan.Resource{Kind: plan.NotificationPolicies, OrgID: orgID, ID: PoliciesID, Name: "tree", Doc: doc, ReadOnly: doc["provenance"] == provenanceFile})
	}
	for _, mt := range live.MuteTimings {
		doc := muteTimingDoc(mt.Name, mt.TimeIntervals)
		doc["provenance"] = liveProvenance(mt.Provenance)
		out = append(out, plan.Resource{Kind: plan.MuteTiming, OrgID: orgID, ID: mt.Name, Doc: doc, ReadOnly: doc["provenance"] == provenanceFile})
	}
	for _, t := range live.Templates {
		prov := liveProvenance(t.Provenance)
		out = append(out, plan.Resource{Kind: plan.NotificationTemplate, OrgID: orgID, ID: t.Name, Doc: map[string]any{"name": t.Name, "template": alerting.TemplateContent(t.Name, t.Template), "provenance": prov},
			ReadOnly: prov == provenanceFile, Version: 0})
	}
	return out
}

// groupProvenance is a live group's provenance: its rules', "mixed" when
// they differ.
func groupProvenance(g grafana.AlertRuleGroup) string {
	p := ""
	for i, r := range g.Rules {
		rp := liveProvenance(str(r["provenance"]))
		if i > 0 && rp != p {
			return "mixed"
		}
		p = rp
	}
	return liveProvenance(p)
}

// rulesByUID keys a group's rules by uid, so that a diff names the rule
// ("rules.api-errors.title"), not its index. The order of rules in a group
// is not compared; apply writes them ordered by uid.
func rulesByUID(rules []any) map[string]any {
	out := make(map[string]any, len(rules))
	for _, r := range rules {
		out[str(r.(map[string]any)["uid"])] = r
	}
	return out
}

// GroupRules are a rule group doc's rules, ordered by uid, for apply.
func GroupRules(doc map[string]any) []map[string]any {
	m, _ := doc["rules"].(map[string]any)
	out := make([]map[string]any, 0, len(m))
	for _, uid := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[uid].(map[string]any))
	}
	return out
}

func contactPointDoc(name, typ string, disableResolve bool, settings map[string]any, fps map[string]any, provenance string) map[string]any {
	s := maps.Clone(settings)
	if s == nil {
		s = map[string]any{}
	}
	delete(s, alerting.MarkerKey)
	return map[string]any{"name": name, "type": typ, "disableResolveMessage": disableResolve, "settings": s,
		secureSettingsPath: fps, alerting.MarkerKey: map[string]any{}, "provenance": provenance}
}

// splitSecrets takes the secure settings out of live settings (Grafana
// answers "[REDACTED]" for each one set) and returns their fingerprints,
// as grafsync stored them in its marker, or unknownFingerprint.
func splitSecrets(settings map[string]any) (map[string]any, map[string]string) {
	out := deepClone(settings)
	mark, _ := settings[alerting.MarkerKey].(map[string]any)
	stored, _ := mark["secrets"].(map[string]any)
	fps := map[string]string{}
	var walk func(m map[string]any, prefix string)
	walk = func(m map[string]any, prefix string) {
		for k, v := range m {
			switch v := v.(type) {
			case string:
				if v == alerting.Redacted {
					key := prefix + k
					fp, _ := stored[key].(string)
					if !strings.HasPrefix(fp, fingerprintPrefix) {
						fp = unknownFingerprint
					}
					fps[key] = fp
					delete(m, k)
				}
			case map[string]any:
				if k != alerting.MarkerKey {
					walk(v, prefix+k+".")
					if len(v) == 0 {
						delete(m, k)
					}
				}
			}
		}
	}
	walk(out, "")
	if m, _ := out[alerting.MarkerKey].(map[string]any); m != nil {
		out[alerting.MarkerKey] = map[string]any{"managed": m["managed"]}
	}
	return out, fps
}

func deepClone(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if mm, ok := v.(map[string]any); ok {
			v = deepClone(mm)
		}
		out[k] = v
	}
	return out
}

// muteTimingDoc drops the empty fields the API model sends as null.
func muteTimingDoc(name string, intervals []any) map[string]any {
	var tis []any
	for _, ti := range intervals {
		m, _ := ti.(map[string]any)
		item := map[string]any{}
		for k, v := range m {
			switch v := v.(type) {
			case nil:
			case []any:
				if len(v) > 0 {
					item[k] = v
				}
			case string:
				if v != "" {
					item[k] = v
				}
			default:
				item[k] = v
			}
		}
		tis = append(tis, item)
	}
	return map[string]any{"name": name, "time_intervals": tis}
}

// ContactPointSecrets maps each desired contact point's secret id
// (AlertingSecretID) to its secrets, for apply to send.
func ContactPointSecrets(org *resource.Org) map[string]map[string]resource.Secret {
	out := map[string]map[string]resource.Secret{}
	if org.Alerting == nil {
		return out
	}
	for _, cp := range org.Alerting.ContactPoints {
		out[AlertingSecretID(cp.UID)] = cp.Secure
	}
	return out
}

// SettingsToWrite are the settings apply sends for a contact point: the
// doc's settings, each secret whose fingerprint changed as its value, the
// others as "[REDACTED]" (Grafana keeps the stored value), and grafsync's
// marker with the fingerprints.
func SettingsToWrite(settings map[string]any, want, have map[string]any, values map[string]resource.Secret) (map[string]any, error) {
	out := deepClone(settings)
	for key, fp := range want {
		v := alerting.Redacted
		if have[key] != fp {
			s, ok := values[key]
			if !ok || s.IsUnset() {
				return nil, &MissingSecretError{Key: key, From: s.From()}
			}
			v = s.Reveal()
		}
		setPath(out, strings.Split(key, "."), v)
	}
	m := marker()
	if len(want) > 0 {
		m["secrets"] = maps.Clone(want)
	}
	out[alerting.MarkerKey] = m
	return out, nil
}

// MissingSecretError is a secret apply must send but has no value for.
type MissingSecretError struct{ Key, From string }

func (e *MissingSecretError) Error() string {
	return "secret " + e.Key + " is not set (" + e.From + "); set it in the environment and run apply again"
}

func setPath(m map[string]any, keys []string, v string) {
	for len(keys) > 1 {
		next, _ := m[keys[0]].(map[string]any)
		if next == nil {
			next = map[string]any{}
			m[keys[0]] = next
		}
		m, keys = next, keys[1:]
	}
	m[keys[0]] = v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

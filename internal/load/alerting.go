package load

import (
	"fmt"
	"io/fs"
	"maps"
	pathpkg "path"
	"slices"
	"strings"
	"text/template/parse"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/alerting"
	"github.com/grafsync/grafsync/internal/resource"
	"github.com/grafsync/grafsync/internal/yamlnode"
)

// Keys of Grafana's alerting file-provisioning format (apiVersion 1), from
// pkg/services/provisioning/alerting/{file,rules_types,contact_point_types,
// notification_policy_types,mute_times_types,text_templates}.go.
var (
	alertFileKeys  = []string{"apiVersion", "groups", "contactPoints", "policies", "muteTimes", "templates", "deleteRules", "deleteContactPoints", "resetPolicies", "deleteMuteTimes", "deleteTemplates"}
	alertGroupKeys = []string{"orgId", "name", "folder", "interval", "rules"}
	alertRuleKeys  = []string{"uid", "title", "condition", "data", "dasboardUid", "dashboardUid", "panelId", "noDataState", "execErrState", "for", "keepFiringFor",
		"missing_series_evals_to_resolve", "annotations", "labels", "isPaused", "notification_settings", "record"}
	alertQueryKeys   = []string{"refId", "queryType", "relativeTimeRange", "datasourceUid", "model"}
	alertNotifyKeys  = []string{"receiver", "group_by", "group_wait", "group_interval", "repeat_interval", "mute_time_intervals", "active_time_intervals"}
	alertCPKeys      = []string{"orgId", "name", "receivers"}
	alertRecvKeys    = []string{"uid", "type", "settings", "disableResolveMessage"}
	alertRouteKeys   = []string{"receiver", "group_by", "matchers", "object_matchers", "match", "match_re", "mute_time_intervals", "active_time_intervals", "group_wait", "group_interval", "repeat_interval", "continue", "routes"}
	alertMuteKeys    = []string{"orgId", "name", "time_intervals"}
	alertTmplKeys    = []string{"orgId", "name", "template"}
	alertDelUIDKeys  = []string{"orgId", "uid"}
	alertDelNameKeys = []string{"orgId", "name"}
)

// alertState gathers an org's alerting while its files load; the checks
// that span files run once all are read.
type alertState struct {
	a *resource.Alerting
	// where each thing was declared, for duplicates and references.
	ruleUIDs, cpUIDs, mutes, tmpls, groups map[string]resource.Pos
	cpNames                                map[string]bool
	// refs to check once everything is loaded.
	folderRefs   []alertRef // rule group folder titles
	dsRefs       []alertRef // query datasource uids
	receiverRefs []alertRef // contact point names
	muteRefs     []alertRef // mute timing names
	groupFolder  []*resource.RuleGroup
}

type alertRef struct {
	name string
	pos  resource.Pos
	at   path
}

// loadAlerting reads every file under dir (and its subdirectories).
func (l *loader) loadAlerting(o *orgState, dir string) {
	s := &alertState{a: &resource.Alerting{}, ruleUIDs: map[string]resource.Pos{}, cpUIDs: map[string]resource.Pos{},
		mutes: map[string]resource.Pos{}, tmpls: map[string]resource.Pos{}, groups: map[string]resource.Pos{}, cpNames: map[string]bool{}}
	err := fs.WalkDir(l.fsys, dir, func(name string, de fs.DirEntry, err error) error {
		if err != nil {
			l.errorf(resource.Pos{File: name}, "", "cannot read: %v", unwrapPath(err))
			return nil
		}
		base := de.Name()
		switch ext := pathpkg.Ext(base); {
		case de.IsDir() && strings.HasPrefix(base, ".") && name != dir:
			return fs.SkipDir
		case de.IsDir(), strings.HasPrefix(base, "."), ext == ".md", ext == ".txt":
		case !l.isFile(name, de):
			// An escaping link, a link to a directory, a pipe: an error
			// whatever its name, as in dashboards/ and datasources/.
		case ext == ".yaml" || ext == ".yml" || ext == ".json":
			l.loadAlertingFile(o, s, name)
		default:
			l.warnf(resource.Pos{File: name}, "alerting files end in .yaml, .yml or .json", "ignored: not an alerting file")
		}
		return nil
	})
	if err != nil {
		l.errorf(resource.Pos{File: dir}, "", "cannot read directory: %v", err)
	}
	o.org.Alerting = s.a
	o.alerting = s
}

// checkAlerting resolves what alerting files refer to: folders (by title,
// from dashboards/), datasources, contact points and mute timings.
func (l *loader) checkAlerting(o *orgState) {
	s := o.alerting
	if s == nil {
		return
	}
	// A folder is named by its title, or (Grafana 11+, nested folders) by
	// the titles of its path joined with "/" (FolderFullpath in
	// rules_types.go).
	byTitle := map[string][]*resource.Folder{}
	byPath := map[string][]*resource.Folder{}
	byUID := map[string]*resource.Folder{}
	for _, f := range o.org.Folders {
		byUID[f.UID] = f
	}
	for _, f := range o.org.Folders {
		byTitle[f.Title] = append(byTitle[f.Title], f)
		full := f.Title
		for p := byUID[f.ParentUID]; p != nil; p = byUID[p.ParentUID] {
			full = p.Title + "/" + full
		}
		if full != f.Title {
			byPath[full] = append(byPath[full], f)
		}
	}
	for i, g := range s.groupFolder {
		ref := s.folderRefs[i]
		fs := byTitle[ref.name]
		if len(fs) != 1 && len(byPath[ref.name]) == 1 {
			fs = byPath[ref.name]
		}
		switch len(fs) {
		case 0:
			l.errorf(ref.pos, "a rule group's folder is the title of a folder under dashboards/ (its _folder.yaml title, or the directory name); add that directory or fix the title",
				"%s: folder %q is not a folder of this repository", ref.at, ref.name)
		case 1:
			g.FolderUID = fs[0].UID
		default:
			l.errorf(ref.pos, "give the folders different titles in their _folder.yaml", "%s: folder %q is ambiguous: %d folders have that title (%s, %s)", ref.at, ref.name, len(fs), fs[0].Path, fs[1].Path)
		}
		if g.FolderUID != "" {
			key := g.FolderUID + "\x00" + g.Name
			if prev, dup := s.groups[key]; dup {
				l.errorf(g.Source, "merge the two groups: Grafana keeps one group of a name per folder", "%s: rule group %q in folder %q is declared twice (first at %s)", ref.at[:2], g.Name, ref.name, prev)
			} else {
				s.groups[key] = g.Source
			}
		}
	}
	for _, ref := range s.dsRefs {
		if ref.name == alerting.ExprDatasourceUID || ref.name == "-100" {
			continue
		}
		if d := o.ds.byUID[ref.name]; d == nil {
			hint := "datasourceUid is the uid of a datasource under datasources/ (or one declared external), or __expr__ for expressions"
			if d := o.ds.byName[ref.name]; d != nil {
				hint = fmt.Sprintf("%q is a datasource name; its uid is %q", ref.name, d.uid)
			}
			l.errorf(ref.pos, hint, "%s: datasource %q does not resolve", ref.at, ref.name)
		}
	}
	// A name alerting/ does not declare may exist in Grafana only (its
	// default contact point, one made by hand): a warning here, an error
	// from plan when Grafana does not have it either.
	for _, ref := range s.receiverRefs {
		if !s.cpNames[ref.name] {
			l.warnf(ref.pos, "declare it in alerting/ contactPoints; plan checks that Grafana has it", "%s: contact point %q is not declared in alerting/", ref.at, ref.name)
			s.a.Undeclared = append(s.a.Undeclared, resource.AlertingUse{What: "contact point", Name: ref.name, Source: ref.pos})
		}
	}
	for _, ref := range s.muteRefs {
		if _, ok := s.mutes[ref.name]; !ok {
			l.warnf(ref.pos, "declare it in alerting/ muteTimes; plan checks that Grafana has it", "%s: mute timing %q is not declared in alerting/", ref.at, ref.name)
			s.a.Undeclared = append(s.a.Undeclared, resource.AlertingUse{What: "mute timing", Name: ref.name, Source: ref.pos})
		}
	}
	for _, d := range s.a.DeleteRules {
		if p, ok := s.ruleUIDs[d.Name]; ok {
			l.warnf(d.Source, "Grafana deletes it, then creates it again; remove one of the two", "deleteRules: rule %q is also declared at %s", d.Name, p)
		}
	}
}

func (l *loader) loadAlertingFile(o *orgState, s *alertState, name string) {
	data, ok := l.readFile(name)
	if !ok {
		return
	}
	f, ok := l.parseYAML(name, data)
	if !ok || f.root == nil {
		return
	}
	top, ok := l.mapping(f, f.root, nil, alertFileKeys...)
	if !ok {
		return
	}
	if fl, ok := top["apiVersion"]; !ok {
		l.errorf(f.pos(f.root), "add apiVersion: 1 (Grafana's alerting provisioning format)", "top level: missing apiVersion")
	} else if v, ok := l.integer(f, fl, path{"apiVersion"}); ok && v != 1 {
		l.errorf(f.pos(fl.val), "", "apiVersion: only version 1 is supported, found %d", v)
	}
	each := func(key string, fn func(n *yaml.Node, at path)) {
		if fl, ok := top[key]; ok {
			for i, n := range l.list(f, fl.val, path{key}) {
				fn(n, path{key, i})
			}
		}
	}
	each("templates", func(n *yaml.Node, at path) { l.alertTemplate(o, s, f, n, at) })
	each("muteTimes", func(n *yaml.Node, at path) { l.alertMuteTiming(o, s, f, n, at) })
	each("contactPoints", func(n *yaml.Node, at path) { l.alertContactPoint(o, s, f, n, at) })
	each("policies", func(n *yaml.Node, at path) { l.alertPolicies(o, s, f, n, at) })
	each("groups", func(n *yaml.Node, at path) { l.alertGroup(o, s, f, n, at) })
	dels := []struct {
		key, id string
		dst     *[]resource.AlertingRef
	}{{"deleteRules", "uid", &s.a.DeleteRules}, {"deleteContactPoints", "uid", &s.a.DeleteContactPoints},
		{"deleteMuteTimes", "name", &s.a.DeleteMuteTimings}, {"deleteTemplates", "name", &s.a.DeleteTemplates}}
	for _, d := range dels {
		keys := alertDelNameKeys
		if d.id == "uid" {
			keys = alertDelUIDKeys
		}
		each(d.key, func(n *yaml.Node, at path) {
			m, ok := l.mapping(f, n, at, keys...)
			if !ok {
				return
			}
			l.alertOrgID(o, f, m, at)
			v := l.alertString(f, m, at, d.id)
			if v == "" {
				l.errorf(f.pos(n), "", "%s: %s is missing", at, d.id)
				return
			}
			*d.dst = append(*d.dst, resource.AlertingRef{Name: v, Source: f.pos(n)})
		})
	}
	each("resetPolicies", func(n *yaml.Node, at path) {
		id, ok := l.integer(f, field{val: n}, at)
		if ok && (id == o.org.ID || (o.org.ID == 0 && id <= 1)) {
			s.a.ResetPolicies = &resource.AlertingRef{Name: "policies", Source: f.pos(n)}
		} else if ok {
			l.checkOrgID(o, f, field{val: n}, at, id)
		}
	})
}

// alertOrgID checks an entry's orgId against the org whose directory holds it.
func (l *loader) alertOrgID(o *orgState, f yfile, m map[string]field, at path) {
	if fl, ok := m["orgId"]; ok {
		if id, ok := l.integer(f, fl, at.with("orgId")); ok {
			l.checkOrgID(o, f, fl, at.with("orgId"), id)
		}
	}
}

// alertString reads an optional string key ("" when absent).
func (l *loader) alertString(f yfile, m map[string]field, at path, key string) string {
	fl, ok := m[key]
	if !ok {
		return ""
	}
	v, _ := l.str(f, fl, at.with(key))
	return strings.TrimSpace(v)
}

// alertDuration reads a duration in Grafana's format (Prometheus's:
// 30s, 5m, 1h30m, 1d, 1w) and returns it canonical; "" when absent.
func (l *loader) alertDuration(f yfile, m map[string]field, at path, key string) (string, bool) {
	v := l.alertString(f, m, at, key)
	if v == "" {
		return "", true
	}
	d, err := model.ParseDuration(v)
	if err != nil {
		l.errorf(f.pos(m[key].val), "write a duration such as 30s, 5m, 1h30m, 1d or 1w", "%s: %v", at.with(key), err)
		return "", false
	}
	return d.String(), true
}

func (l *loader) alertTemplate(o *orgState, s *alertState, f yfile, n *yaml.Node, at path) {
	m, ok := l.mapping(f, n, at, alertTmplKeys...)
	if !ok {
		return
	}
	l.alertOrgID(o, f, m, at)
	t := &resource.Template{Name: l.alertString(f, m, at, "name"), Source: f.pos(n)}
	if fl, ok := m["template"]; ok {
		t.Template, _ = l.str(f, fl, at.with("template"))
	}
	if t.Name == "" {
		l.errorf(t.Source, "", "%s: template name is missing", at)
		return
	}
	if strings.TrimSpace(t.Template) == "" {
		l.errorf(t.Source, "", "%s: template %q has no content (Grafana requires some)", at, t.Name)
		return
	}
	if prev, dup := s.tmpls[t.Name]; dup {
		l.errorf(t.Source, "", "%s: template %q is declared twice (first at %s)", at, t.Name, prev)
		return
	}
	s.tmpls[t.Name] = t.Source
	if err := checkTemplate(t.Name, t.Template); err != nil {
		pos := t.Source
		if fl, ok := m["template"]; ok {
			pos = f.pos(fl.val)
		}
		l.errorf(pos, "notification templates are Go templates: check the {{ }} actions", "%s.template: %v", at, err)
		return
	}
	s.a.Templates = append(s.a.Templates, t)
}

// checkTemplate parses a notification template as Go's text/template does,
// without checking function names: Grafana adds its own functions to
// Alertmanager's, and the set grows with each release.
func checkTemplate(name, text string) error {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck | parse.ParseComments
	_, err := t.Parse(text, "{{", "}}", map[string]*parse.Tree{})
	if err != nil {
		msg := err.Error()
		// "template: name:3: ..." → "line 3: ..."
		if _, rest, ok := strings.Cut(msg, "template: "+name+":"); ok {
			msg = "line " + rest
		}
		return fmt.Errorf("not a valid Go template: %s", msg)
	}
	return nil
}

func (l *loader) alertMuteTiming(o *orgState, s *alertState, f yfile, n *yaml.Node, at path) {
	m, ok := l.mapping(f, n, at, alertMuteKeys...)
	if !ok {
		return
	}
	l.alertOrgID(o, f, m, at)
	mt := &resource.MuteTiming{Name: l.alertString(f, m, at, "name"), Source: f.pos(n)}
	if mt.Name == "" {
		l.errorf(mt.Source, "", "%s: mute timing name is missing", at)
		return
	}
	if prev, dup := s.mutes[mt.Name]; dup {
		l.errorf(mt.Source, "", "%s: mute timing %q is declared twice (first at %s)", at, mt.Name, prev)
		return
	}
	s.mutes[mt.Name] = mt.Source
	if fl, ok := m["time_intervals"]; ok {
		v, _ := l.toJSON(f, fl.val, at.with("time_intervals"), nil).([]any)
		if v == nil && fl.val.Tag != "!!null" {
			l.errorf(f.pos(fl.val), "", "%s: want a list, found %s", at.with("time_intervals"), yamlnode.Describe(fl.val))
		}
		mt.TimeIntervals = v
	}
	s.a.MuteTimings = append(s.a.MuteTimings, mt)
}

func (l *loader) alertContactPoint(o *orgState, s *alertState, f yfile, n *yaml.Node, at path) {
	m, ok := l.mapping(f, n, at, alertCPKeys...)
	if !ok {
		return
	}
	l.alertOrgID(o, f, m, at)
	name := l.alertString(f, m, at, "name")
	if name == "" {
		l.errorf(f.pos(n), "", "%s: contact point name is missing", at)
		return
	}
	s.cpNames[name] = true
	fl, ok := m["receivers"]
	if !ok {
		return
	}
	for i, rn := range l.list(f, fl.val, at.with("receivers")) {
		rat := at.with("receivers", i)
		rm, ok := l.mapping(f, rn, rat, alertRecvKeys...)
		if !ok {
			continue
		}
		cp := &resource.ContactPoint{Name: name, UID: l.alertString(f, rm, rat, "uid"), Type: l.alertString(f, rm, rat, "type"), Source: f.pos(rn)}
		if fl, ok := rm["disableResolveMessage"]; ok {
			cp.DisableResolveMessage, _ = l.boolean(f, fl, rat.with("disableResolveMessage"))
		}
		switch {
		case cp.UID == "":
			l.errorf(cp.Source, "Grafana's provisioning requires a uid on every receiver (the UI's Export includes it)", "%s: uid is missing", rat)
			continue
		case !l.checkUID(func() resource.Pos { return f.pos(rm["uid"].val) }, rat.with("uid"), cp.UID):
			continue
		}
		if prev, dup := s.cpUIDs[cp.UID]; dup {
			l.errorf(cp.Source, "", "%s: contact point uid %q is declared twice (first at %s)", rat, cp.UID, prev)
			continue
		}
		s.cpUIDs[cp.UID] = cp.Source
		if cp.Type == "" {
			l.errorf(cp.Source, "set type: webhook, email, slack, pagerduty, ...", "%s: type is missing", rat)
			continue
		}
		if !alerting.KnownType(cp.Type) {
			l.warnf(f.pos(rm["type"].val), "Grafana refuses a type it does not have; check the spelling", "%s.type: %q is not a notifier type grafsync knows", rat, cp.Type)
		}
		sfl, ok := rm["settings"]
		if !ok || sfl.val.Kind != yaml.MappingNode {
			l.errorf(cp.Source, "", "%s: settings are missing (Grafana requires them)", rat)
			continue
		}
		cp.Settings, cp.Secure = l.alertSettings(f, sfl.val, rat.with("settings"), cp)
		s.a.ContactPoints = append(s.a.ContactPoints, cp)
	}
}

// alertSettings loads an integration's settings: values expand $VAR,
// ${VAR}, $__env{} and $__file{} as Grafana's provisioning does, and the
// notifier type's secure settings must come from the environment or a file,
// never in clear text from Git (the rule and messages of datasources'
// secureJsonData).
func (l *loader) alertSettings(f yfile, n *yaml.Node, at path, cp *resource.ContactPoint) (map[string]any, map[string]resource.Secret) {
	secure := alerting.SecureSettings(cp.Type)
	secrets := map[string]resource.Secret{}
	settings, _ := l.toJSON(f, n, at, func(s string, vn *yaml.Node, p path) string {
		key := settingsKey(p[len(at):])
		x := l.expand(s)
		if !slices.Contains(secure, key) {
			l.reportExpansion(f.pos(vn), p, x, false)
			// Settings other than the secure ones are stored in clear and
			// returned to every reader, as a datasource's url and jsonData
			// are: credentials in a URL there are refused (urlCredentials).
			if what := urlCredentials(x.value, strings.HasSuffix(strings.ToLower(key), "url")); what != "" {
				l.errorf(f.pos(vn), contactPointCredentialsHint(what),
					"%s: holds %s; Grafana stores this setting in clear and shows it to everyone who can read the contact point", p, what)
				return ""
			}
			return x.value
		}
		switch {
		case s == "":
			secrets[key] = resource.NewSecret("", "empty value")
		case len(x.refs) == 0:
			hint := key + ": use ${" + envName(cp.Name, key) + "} and set it in the environment (or $__file{/path/to/secret})"
			if s == alerting.Redacted {
				hint = "Grafana's export replaces secrets with [REDACTED]: " + hint
			}
			l.errorf(f.pos(vn), hint, "%s: a literal secret must not be stored in Git", p)
		case l.reportExpansion(f.pos(vn), p, x, true):
			secrets[key] = resource.NewSecret(x.value, strings.Join(x.refs, ", "))
		case !x.isRefused(): // unset
			secrets[key] = resource.UnsetSecret(strings.Join(x.refs, ", "))
		}
		return ""
	}).(map[string]any)
	for key := range secrets {
		deletePath(settings, strings.Split(key, "."))
	}
	return settings, secrets
}

// settingsKey renders a settings path as Grafana names secure settings:
// nested keys joined by dots ("sigv4.secret_key").
func settingsKey(p path) string {
	var parts []string
	for _, e := range p {
		if s, ok := e.(string); ok {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ".")
}

func deletePath(m map[string]any, keys []string) {
	for len(keys) > 1 {
		next, _ := m[keys[0]].(map[string]any)
		if next == nil {
			return
		}
		m, keys = next, keys[1:]
	}
	delete(m, keys[0])
}

func (l *loader) alertPolicies(o *orgState, s *alertState, f yfile, n *yaml.Node, at path) {
	m, ok := l.mapping(f, n, at, append([]string{"orgId"}, alertRouteKeys...)...)
	if !ok {
		return
	}
	l.alertOrgID(o, f, m, at)
	if s.a.Policies != nil {
		l.errorf(f.pos(n), "an org has one notification policy tree", "%s: policies are declared twice (first at %s)", at, s.a.Policies.Source)
		return
	}
	delete(m, "orgId")
	tree := l.alertRoute(s, f, n, m, at, true)
	if tree != nil {
		s.a.Policies = &resource.Policies{Tree: tree, Source: f.pos(n)}
	}
}

// alertRoute loads one route of the policy tree into the API's Route shape
// (matchers become object_matchers), recording its references.
func (l *loader) alertRoute(s *alertState, f yfile, n *yaml.Node, m map[string]field, at path, root bool) map[string]any {
	out := map[string]any{}
	recv := l.alertString(f, m, at, "receiver")
	switch {
	case recv != "":
		out["receiver"] = recv
		s.receiverRefs = append(s.receiverRefs, alertRef{recv, f.pos(m["receiver"].val), at.with("receiver")})
	case root:
		l.errorf(f.pos(n), "the root policy names the default contact point", "%s: receiver is missing", at)
	}
	for _, k := range []string{"group_wait", "group_interval", "repeat_interval"} {
		if d, ok := l.alertDuration(f, m, at, k); ok && d != "" {
			out[k] = d
		}
	}
	for _, k := range []string{"group_by", "mute_time_intervals", "active_time_intervals"} {
		fl, ok := m[k]
		if !ok {
			continue
		}
		var names []any
		for i, vn := range l.list(f, fl.val, at.with(k)) {
			v, ok := l.str(f, field{val: vn}, at.with(k, i))
			if !ok {
				continue
			}
			names = append(names, v)
			if k != "group_by" {
				s.muteRefs = append(s.muteRefs, alertRef{v, f.pos(vn), at.with(k, i)})
			}
		}
		out[k] = names
	}
	if fl, ok := m["continue"]; ok {
		if b, ok := l.boolean(f, fl, at.with("continue")); ok && b {
			out["continue"] = true
		}
	}
	var matchers []any
	if fl, ok := m["matchers"]; ok {
		for i, vn := range l.list(f, fl.val, at.with("matchers")) {
			v, ok := l.str(f, field{val: vn}, at.with("matchers", i))
			if !ok {
				continue
			}
			om, err := alerting.ParseMatcher(v)
			if err != nil {
				l.errorf(f.pos(vn), `write label="value", label!="value", label=~"regex" or label!~"regex"`, "%s: %v", at.with("matchers", i), err)
				continue
			}
			matchers = append(matchers, om)
		}
	}
	if fl, ok := m["object_matchers"]; ok {
		for i, vn := range l.list(f, fl.val, at.with("object_matchers")) {
			v, _ := l.toJSON(f, vn, at.with("object_matchers", i), nil).([]any)
			if len(v) != 3 || !slices.Contains([]any{"=", "!=", "=~", "!~"}, v[1]) {
				l.errorf(f.pos(vn), `write [label, "=", value] (operators =, !=, =~, !~)`, "%s: not a matcher", at.with("object_matchers", i))
				continue
			}
			for j := range v {
				v[j] = fmt.Sprint(v[j])
			}
			matchers = append(matchers, v)
		}
	}
	for _, k := range []string{"match", "match_re"} {
		if fl, ok := m[k]; ok {
			l.errorf(f.pos(fl.key), "use matchers: [label=value] (Alertmanager deprecated match and match_re)", "%s: %s is not supported", at, k)
		}
	}
	if matchers != nil {
		out["object_matchers"] = matchers
	}
	if fl, ok := m["routes"]; ok {
		var routes []any
		for i, rn := range l.list(f, fl.val, at.with("routes")) {
			rm, ok := l.mapping(f, rn, at.with("routes", i), alertRouteKeys...)
			if !ok {
				continue
			}
			routes = append(routes, l.alertRoute(s, f, rn, rm, at.with("routes", i), false))
		}
		out["routes"] = routes
	}
	return out
}

func (l *loader) alertGroup(o *orgState, s *alertState, f yfile, n *yaml.Node, at path) {
	m, ok := l.mapping(f, n, at, alertGroupKeys...)
	if !ok {
		return
	}
	l.alertOrgID(o, f, m, at)
	g := &resource.RuleGroup{Name: l.alertString(f, m, at, "name"), FolderTitle: l.alertString(f, m, at, "folder"), Source: f.pos(n)}
	if g.Name == "" {
		l.errorf(g.Source, "", "%s: rule group has no name set", at)
		return
	}
	if g.FolderTitle == "" {
		l.errorf(g.Source, "folder is the title of a folder under dashboards/", "%s: rule group has no folder set", at)
		return
	}
	iv := l.alertString(f, m, at, "interval")
	d, err := model.ParseDuration(iv)
	switch {
	case iv == "":
		l.errorf(g.Source, "set interval: 1m (how often the group is evaluated)", "%s: interval is missing", at)
	case err != nil:
		l.errorf(f.pos(m["interval"].val), "write a duration such as 30s, 1m or 1h", "%s.interval: %v", at, err)
	case time.Duration(d) <= 0 || time.Duration(d)%(10*time.Second) != 0:
		l.errorf(f.pos(m["interval"].val), "", "%s.interval: %s is not a positive multiple of Grafana's base interval 10s", at, iv)
	default:
		g.Interval = int64(time.Duration(d) / time.Second)
	}
	if fl, ok := m["rules"]; ok {
		for i, rn := range l.list(f, fl.val, at.with("rules")) {
			if r := l.alertRule(s, f, rn, at.with("rules", i)); r != nil {
				g.Rules = append(g.Rules, r)
			}
		}
	}
	if len(g.Rules) == 0 {
		if _, ok := m["rules"]; !ok || len(yamlnode.Deref(m["rules"].val).Content) == 0 {
			l.errorf(g.Source, "add a rule, or remove the group (to delete its rules, list them in deleteRules)", "%s: rule group %q has no rules; Grafana keeps no empty group", at, g.Name)
		}
		return
	}
	s.groupFolder = append(s.groupFolder, g)
	s.folderRefs = append(s.folderRefs, alertRef{g.FolderTitle, f.pos(m["folder"].val), at.with("folder")})
	s.a.RuleGroups = append(s.a.RuleGroups, g)
}

// alertRule loads a rule into the provisioning API's shape.
func (l *loader) alertRule(s *alertState, f yfile, n *yaml.Node, at path) map[string]any {
	m, ok := l.mapping(f, n, at, alertRuleKeys...)
	if !ok {
		return nil
	}
	r := map[string]any{}
	title := l.alertString(f, m, at, "title")
	uid := l.alertString(f, m, at, "uid")
	switch {
	case title == "":
		l.errorf(f.pos(n), "", "%s: rule has no title set", at)
		return nil
	case uid == "":
		l.errorf(f.pos(n), "give the rule a uid (letters, digits, - and _; at most 40): Grafana's provisioning requires one", "%s: rule %q has no uid", at, title)
		return nil
	case !l.checkUID(func() resource.Pos { return f.pos(m["uid"].val) }, at.with("uid"), uid):
		return nil
	}
	if prev, dup := s.ruleUIDs[uid]; dup {
		l.errorf(f.pos(n), "", "%s: rule uid %q is declared twice (first at %s)", at, uid, prev)
		return nil
	}
	s.ruleUIDs[uid] = f.pos(n)
	r["uid"], r["title"] = uid, title
	for _, k := range []struct{ key, api string }{{"for", "for"}, {"keepFiringFor", "keep_firing_for"}} {
		if d, ok := l.alertDuration(f, m, at, k.key); ok && d != "" {
			r[k.api] = d
		}
	}
	states := []struct {
		key, def string
		allowed  []string
	}{{"noDataState", "NoData", []string{"NoData", "Alerting", "OK", "KeepLast"}}, {"execErrState", "Error", []string{"Error", "Alerting", "OK", "KeepLast"}}}
	for _, st := range states {
		v := l.alertString(f, m, at, st.key)
		if v == "" {
			v = st.def
		} else if !slices.Contains(st.allowed, v) {
			l.errorf(f.pos(m[st.key].val), "use one of "+strings.Join(st.allowed, ", "), "%s: %q is not a valid state", at.with(st.key), v)
		}
		r[st.key] = v
	}
	for _, k := range []string{"annotations", "labels"} {
		if fl, ok := m[k]; ok {
			mm, ok := l.mapping(f, fl.val, at.with(k))
			if !ok {
				continue
			}
			out := map[string]any{}
			for key, v := range mm {
				if s, ok := l.str(f, v, at.with(k, key)); ok {
					out[key] = s
				}
			}
			if len(out) > 0 {
				r[k] = out
			}
		}
	}
	dash := l.alertString(f, m, at, "dashboardUid")
	if dash == "" {
		dash = l.alertString(f, m, at, "dasboardUid")
	}
	if dash != "" {
		ann, _ := r["annotations"].(map[string]any)
		if ann == nil {
			ann = map[string]any{}
			r["annotations"] = ann
		}
		ann["__dashboardUid__"] = dash
		if fl, ok := m["panelId"]; ok {
			if id, ok := l.integer(f, fl, at.with("panelId")); ok {
				ann["__panelId__"] = fmt.Sprint(id)
			}
		}
	}
	if fl, ok := m["isPaused"]; ok {
		if b, ok := l.boolean(f, fl, at.with("isPaused")); ok && b {
			r["isPaused"] = true
		}
	}
	if fl, ok := m["missing_series_evals_to_resolve"]; ok {
		if v, ok := l.integer(f, fl, at.with("missing_series_evals_to_resolve")); ok {
			r["missingSeriesEvalsToResolve"] = float64(v)
		}
	}
	if fl, ok := m["notification_settings"]; ok {
		nat := at.with("notification_settings")
		nm, ok := l.mapping(f, fl.val, nat, alertNotifyKeys...)
		if ok {
			ns := l.alertRoute(s, f, fl.val, nm, nat, false)
			if ns["receiver"] == nil {
				l.errorf(f.pos(fl.val), "", "%s: receiver must not be empty", nat)
			}
			r["notification_settings"] = ns
		}
	}
	if fl, ok := m["record"]; ok {
		r["record"] = l.toJSON(f, fl.val, at.with("record"), nil)
	}
	refIDs := map[string]bool{}
	if fl, ok := m["data"]; ok {
		var data []any
		for i, qn := range l.list(f, fl.val, at.with("data")) {
			qat := at.with("data", i)
			qm, ok := l.mapping(f, qn, qat, alertQueryKeys...)
			if !ok {
				continue
			}
			q := map[string]any{}
			ref := l.alertString(f, qm, qat, "refId")
			if ref == "" {
				l.errorf(f.pos(qn), "", "%s: refId is missing", qat)
			}
			refIDs[ref] = true
			q["refId"] = ref
			if v := l.alertString(f, qm, qat, "queryType"); v != "" {
				q["queryType"] = v
			}
			ds := l.alertString(f, qm, qat, "datasourceUid")
			if ds == "" {
				l.errorf(f.pos(qn), "datasourceUid is a datasource's uid, or __expr__ for an expression", "%s: datasourceUid is missing", qat)
			} else {
				s.dsRefs = append(s.dsRefs, alertRef{ds, f.pos(qm["datasourceUid"].val), qat.with("datasourceUid")})
			}
			q["datasourceUid"] = ds
			var from, to float64
			if fl, ok := qm["relativeTimeRange"]; ok {
				if rt, ok := l.toJSON(f, fl.val, qat.with("relativeTimeRange"), nil).(map[string]any); ok {
					q["relativeTimeRange"] = rt
					from, _ = rt["from"].(float64)
					to, _ = rt["to"].(float64)
				}
			}
			// Grafana refuses a datasource query whose range is empty
			// (AlertQuery.PreSave: from must be greater than to).
			if ds != "" && ds != alerting.ExprDatasourceUID && ds != "-100" && from <= to {
				l.errorf(f.pos(qn), "set relativeTimeRange: {from: 600, to: 0} (seconds before now: the last 10 minutes)",
					"%s: a datasource query needs relativeTimeRange with from greater than to", qat)
			}
			if fl, ok := qm["model"]; ok {
				q["model"] = l.toJSON(f, fl.val, qat.with("model"), nil)
			}
			data = append(data, q)
		}
		r["data"] = data
	}
	if len(refIDs) == 0 {
		l.errorf(f.pos(n), "", "%s: rule %q has no data (queries)", at, title)
	}
	cond := l.alertString(f, m, at, "condition")
	_, isRecord := m["record"]
	switch {
	case cond == "" && !isRecord:
		l.errorf(f.pos(n), "condition is the refId of the query or expression that decides whether the rule fires", "%s: rule %q has no condition set", at, title)
	case cond != "" && len(refIDs) > 0 && !refIDs[cond]:
		l.errorf(f.pos(m["condition"].val), "use one of: "+strings.Join(slices.Sorted(maps.Keys(refIDs)), ", "), "%s: condition %q is not the refId of a query of the rule", at.with("condition"), cond)
	}
	if cond != "" {
		r["condition"] = cond
	}
	return r
}

package load

import (
	"cmp"
	"fmt"
	pathpkg "path"
	"regexp"
	"slices"
	"strings"

	"github.com/grafsync/grafsync/internal/accounts"
	"github.com/grafsync/grafsync/internal/problem"
)

// Built-in datasource names and uids that need no datasource in the org.
var builtinDatasources = []string{"-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana", "__expr__"}

// A template variable reference: $var, ${var}, ${var:fmt}, [[var]], [[var:fmt]].
var varRef = regexp.MustCompile(`^(?:\$(\w+)|\$\{(\w+)(?::[\w-]+)?\}|\[\[(\w+)(?::[\w-]+)?\]\])$`)

// resolveInputs handles dashboards exported "for sharing": every __inputs
// entry of type datasource is mapped to a datasource of the org (the one
// datasourceInputs in grafsync.yaml names, or the only one of its pluginId),
// constants to their value; ${NAME} is replaced throughout the model and
// __inputs, __requires and __elements are dropped.
func (l *loader) resolveInputs(o *orgState, d doc, model map[string]any) (names map[string]bool) {
	inputs, _ := model["__inputs"].([]any)
	delete(model, "__inputs")
	delete(model, "__requires")
	delete(model, "__elements")
	if len(inputs) == 0 {
		return nil
	}
	names = map[string]bool{}
	var repl []string
	for i, in := range inputs {
		at := path{"__inputs", i}
		m, _ := in.(map[string]any)
		name, _ := m["name"].(string)
		typ, _ := m["type"].(string)
		if name == "" {
			l.errorf(d.pos(at, false), "", "%s: input has no name", at)
			continue
		}
		names[name] = true
		switch typ {
		case "constant":
			v, _ := m["value"].(string)
			repl = append(repl, "${"+name+"}", v)
			continue
		case "datasource":
		default:
			l.errorf(d.pos(at.with("type"), false), "", "%s.type: unsupported input type %q (datasource and constant are supported)", at, typ)
			continue
		}
		plugin, _ := m["pluginId"].(string)
		var target *dsInfo
		if mp, ok := o.inputs[name]; ok {
			target = o.ds.lookup(mp.target)
			if target == nil {
				l.errorf(d.pos(at, false), "", "%s: %s is mapped to %q at %s, which is not a datasource of org %q", at, name, mp.target, mp.pos, o.org.Name)
				continue
			}
			if plugin != "" && target.typ != "" && !sameType(target.typ, plugin) {
				l.warnf(d.pos(at, false), "", "%s: %s expects a %s datasource; %q (mapped at %s) is %s", at, name, plugin, mp.target, mp.pos, target.typ)
			}
		} else {
			cands := o.ds.byType[pluginType(plugin)]
			hint := fmt.Sprintf("map it in grafsync.yaml: datasourceInputs: {%s: <datasource uid>}", name)
			switch len(cands) {
			case 0:
				l.errorf(d.pos(at, false), hint, "%s: %s needs a datasource of type %q; org %q has none", at, name, plugin, o.org.Name)
				continue
			case 1:
				target = cands[0]
			default:
				var names []string
				for _, c := range cands {
					names = append(names, cmp.Or(c.name, c.uid))
				}
				l.errorf(d.pos(at, false), hint, "%s: %s could be any of the %d %s datasources (%s)", at, name, len(cands), plugin, strings.Join(names, ", "))
				continue
			}
		}
		// A datasource without a uid is substituted by name: Grafana resolves
		// a datasource reference by uid, then by name, and its own import
		// writes names into old dashboards. The name holds even where the
		// datasource was created, before grafsync gave uid-less datasources
		// Grafana's uid (resource.UIDFromName), with another uid.
		ref := target.uid
		if target.derived || ref == "" {
			ref = target.name
		}
		repl = append(repl, "${"+name+"}", ref)
	}
	if len(repl) > 0 {
		// A constant's value comes from the file itself and may be long:
		// the dashboard may not grow past what grafsync reads from a file.
		sub := &substitution{r: strings.NewReplacer(repl...), pairs: repl, room: l.limits.FileBytes - int64(len(d.data))}
		if !sub.measure(model) {
			l.errorf(d.pos(path{"__inputs"}, false), "reference a long constant less often, or write its value out (docs/hostile-repositories.md)",
				"__inputs: substituting the inputs makes the dashboard larger than the %d bytes grafsync reads from one file", l.limits.FileBytes)
			return names
		}
		sub.replace(model)
	}
	return names
}

// substitution replaces ${NAME} references (pairs: reference, value, ...;
// each reference starts with "${" and ends with "}", so none overlaps
// another) in a dashboard's strings.
type substitution struct {
	r     *strings.Replacer
	pairs []string
	room  int64 // bytes the replacements may add
}

// measure reports whether replacing every string fits in room, without
// building any of them.
func (s *substitution) measure(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			if !s.measure(e) {
				return false
			}
		}
	case []any:
		for _, e := range v {
			if !s.measure(e) {
				return false
			}
		}
	case string:
		if !strings.Contains(v, "${") {
			return true
		}
		for i := 0; i < len(s.pairs); i += 2 {
			if n := strings.Count(v, s.pairs[i]); n > 0 {
				s.room -= int64(n) * int64(len(s.pairs[i+1])-len(s.pairs[i]))
			}
		}
	}
	return s.room >= 0
}

// replace rewrites, in place, every string value containing "${".
func (s *substitution) replace(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = s.replace(e)
		}
	case []any:
		for i, e := range v {
			v[i] = s.replace(e)
		}
	case string:
		if strings.Contains(v, "${") {
			return s.r.Replace(v)
		}
	}
	return v
}

// dashRefs is what checking one dashboard's datasource references needs.
type dashRefs struct {
	o    *orgState
	d    doc
	vars map[string]string // template variable name → type
	// inputs are the dashboard's __inputs names; references to them that
	// remain were not resolved, which resolveInputs already reported.
	inputs map[string]bool
	// varRefs memoises variable: a dashboard repeats its references.
	varRefs map[string]string
}

// variable returns the template variable ref refers to ($var, ${var},
// [[var]]), if it is such a reference.
func (r *dashRefs) variable(ref string) (string, bool) {
	if ref[0] != '$' && ref[0] != '[' {
		return "", false
	}
	if name, ok := r.varRefs[ref]; ok {
		return name, name != ""
	}
	name := ""
	if m := varRef.FindStringSubmatch(ref); m != nil {
		name = m[1] + m[2] + m[3]
	}
	if r.varRefs == nil {
		r.varRefs = map[string]string{}
	}
	r.varRefs[ref] = name
	return name, name != ""
}

// checkRefs checks every datasource reference of a dashboard: on panels
// (nested in rows too), their targets, template variables and annotations.
func (l *loader) checkRefs(o *orgState, d doc, model map[string]any, inputs map[string]bool) {
	r := &dashRefs{o: o, d: d, vars: map[string]string{}, inputs: inputs}
	tl, _ := getPath(model, path{"templating", "list"}).([]any)
	for i, v := range tl {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		typ, _ := m["type"].(string)
		if name == "" {
			continue
		}
		r.vars[name] = typ
		if typ == "datasource" {
			plugin, _ := m["query"].(string)
			if plugin != "" && len(o.ds.byType[pluginType(plugin)]) == 0 {
				at := path{"templating", "list", i, "query"}
				l.warnf(d.pos(at, false), "add a "+plugin+" datasource or declare one in grafsync.yaml externalDatasources",
					"%s: variable %s lists %s datasources, but org %q has none", at, name, plugin, o.org.Name)
			}
		}
	}
	for i, v := range tl {
		if m, ok := v.(map[string]any); ok {
			l.checkRef(r, path{"templating", "list", i, "datasource"}, m)
		}
	}
	al, _ := getPath(model, path{"annotations", "list"}).([]any)
	for i, v := range al {
		if m, ok := v.(map[string]any); ok {
			l.checkRef(r, path{"annotations", "list", i, "datasource"}, m)
		}
	}
	l.checkPanels(r, path{"panels"}, model["panels"])
	rows, _ := model["rows"].([]any)
	for i, row := range rows {
		if m, ok := row.(map[string]any); ok {
			l.checkPanels(r, path{"rows", i, "panels"}, m["panels"])
		}
	}
}

// noQueryPanels are panel types whose plugin.json sets skipDataQuery (and
// rows): Grafana runs no query for them, so their datasource, if any, is
// never used (public/app/plugins/panel/*/plugin.json).
var noQueryPanels = []string{"text", "news", "dashlist", "alertlist", "annolist", "pluginlist", "welcome", "gettingstarted", "row"}

func (l *loader) checkPanels(r *dashRefs, at path, v any) {
	panels, _ := v.([]any)
	for i, p := range panels {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		pat := at.with(i)
		if typ, _ := m["type"].(string); !slices.Contains(noQueryPanels, typ) {
			l.checkRef(r, pat.with("datasource"), m)
			// Grafana runs every target of a panel that names one datasource
			// against that datasource: a target's own reference matters only
			// in a -- Mixed -- panel, or in one that names none.
			strict := m["datasource"] == nil || isMixed(m["datasource"])
			targets, _ := m["targets"].([]any)
			for j, t := range targets {
				if tm, ok := t.(map[string]any); ok {
					l.checkTargetRef(r, pat.with("targets", j, "datasource"), tm, strict)
				}
			}
		}
		if sub, ok := m["panels"]; ok { // a collapsed row holds its panels
			l.checkPanels(r, pat.with("panels"), sub)
		}
	}
}

// isMixed reports whether a panel's datasource is -- Mixed --: by name, or
// as {uid: "-- Mixed --"} (type "datasource" or none).
func isMixed(v any) bool {
	switch v := v.(type) {
	case string:
		return v == mixedDatasource
	case map[string]any:
		uid, _ := v["uid"].(string)
		return uid == mixedDatasource
	}
	return false
}

const mixedDatasource = "-- Mixed --"

// checkTargetRef checks a target's datasource. Outside a mixed panel (strict
// false) Grafana queries the panel's datasource instead, so a target
// reference that resolves nowhere is only a warning.
func (l *loader) checkTargetRef(r *dashRefs, at path, target map[string]any, strict bool) {
	if strict {
		l.checkRef(r, at, target)
		return
	}
	var sub Problems
	saved := l.problems
	l.problems = nil
	l.checkRef(r, at, target)
	sub, l.problems = l.problems, saved
	for _, p := range sub {
		if p.Severity == problem.Error {
			p = problem.Warnf(p.Pos, "Grafana runs this target against the panel's datasource, which is not -- Mixed --; set the target's datasource to the panel's, or remove it",
				"%s (ignored: the panel's datasource is used)", p.Message)
		}
		l.problems = append(l.problems, p)
	}
}

// checkRef checks parent["datasource"]; at is the path of that field.
func (l *loader) checkRef(r *dashRefs, at path, parent map[string]any) {
	l.checkRefAt(r, at, parent, "uid")
}

// checkRefAt is checkRef for a reference whose uid the file holds under
// another key (a v2 DataQuery's datasource.name): problems name that key.
func (l *loader) checkRefAt(r *dashRefs, at path, parent map[string]any, uidKey string) {
	v, ok := parent["datasource"]
	if !ok || v == nil {
		return // the default datasource
	}
	o := r.o
	var ref, typ string
	switch v := v.(type) {
	case string:
		ref = v
	case map[string]any:
		uid, ok := v["uid"]
		if !ok || uid == nil {
			return // {type: x} alone: the default datasource of that type
		}
		if ref, ok = uid.(string); !ok {
			l.errorf(r.d.pos(at.with(uidKey), false), "", "%s.%s: want a string", at, uidKey)
			return
		}
		typ, _ = v["type"].(string)
		at = at.with(uidKey)
	default:
		l.errorf(r.d.pos(at, false), "", "%s: want a datasource uid object {type, uid} or a name", at)
		return
	}
	if ref == "" || slices.Contains(builtinDatasources, ref) {
		return
	}
	if name, ok := r.variable(ref); ok {
		vt, defined := r.vars[name]
		switch {
		case r.inputs[name]:
		case !defined && strings.HasPrefix(name, "DS_"):
			l.errorf(r.d.pos(at, false), "add an __inputs entry for it (export the dashboard \"for sharing\" again) or use the datasource's uid",
				"%s: %q is neither an __inputs entry nor a variable of this dashboard", at, ref)
		case !defined:
			l.errorf(r.d.pos(at, false), "define a variable of type datasource named "+name+" in templating.list, or use a datasource uid",
				"%s: %q refers to variable %s, which is not defined", at, ref, name)
		case vt != "datasource":
			l.errorf(r.d.pos(at, false), "a datasource reference needs a variable of type datasource",
				"%s: %q refers to variable %s of type %s, not datasource", at, ref, name, vt)
		}
		return
	}
	d := o.ds.lookup(ref)
	if d == nil && ref == "default" {
		return // Grafana's datasource service resolves "default" to the org's default datasource
	}
	if d == nil {
		hint := "define it in datasources/ or, if it exists only in Grafana, declare it in grafsync.yaml externalDatasources"
		if o.unexpanded != nil {
			hint = "the CloudWatch template at " + o.unexpanded.String() + " generated no datasources; fix the problems reported there or in " + accounts.DefaultFile + " first, or " + hint
		}
		l.errorf(r.d.pos(at, false), hint, "%s: no datasource with uid or name %q in org %q", at, ref, o.org.Name)
		return
	}
	if typ != "" && d.typ != "" && !sameType(typ, d.typ) && typ != "datasource" {
		l.warnf(r.d.pos(at, false), "", "%s: datasource %q is of type %s, the reference says %s", at, ref, d.typ, typ)
	}
}

// checkOrgRefs checks references from the org config into the org's content.
func (l *loader) checkOrgRefs(o *orgState) {
	p := o.org.Preferences
	if p == nil || p.HomeDashboardUID == "" {
		return
	}
	for _, d := range o.org.Dashboards {
		if d.UID == p.HomeDashboardUID {
			return
		}
	}
	l.errorf(o.home, "use the uid of a dashboard in "+pathpkg.Join(o.org.Dir, "dashboards")+"/",
		"%s: no dashboard with uid %q in org %q", o.homeAt, p.HomeDashboardUID, o.org.Name)
}

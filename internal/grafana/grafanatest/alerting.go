package grafanatest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Alerting provisioning, /api/v1/provisioning (audit §4, from Grafana's
// pkg/services/ngalert/api/api_provisioning.go and
// pkg/services/ngalert/provisioning/*.go). Status codes differ per
// resource: rules 201/200/204, contact points 202, policies 202, mute
// timings 201/202/204, templates 202/204.
//
// Provenance: a write without X-Disable-Provenance stores "api" (the UI
// locks the object); with the header, in any value, "none". A write that
// would change a stored provenance other than "none" to another one is
// refused (audit §4; ErrProvenanceChangeNotAllowed, errutil.Forbidden in
// pkg/services/ngalert/provisioning/validation/errors.go).

// alertingStore is one org's alerting. Guarded by Emulator.mu.
type alertingStore struct {
	rules     map[string]*alertRule // by uid
	intervals map[[2]string]int64   // by folder uid and group title
	receivers []*receiver           // in creation order
	route     map[string]any        // the policy tree without provenance
	routeProv string
	mutes     map[string]*muteTiming
	templates map[string]*notifTemplate
}

type alertRule struct {
	doc              map[string]any // the ProvisionedAlertRule fields grafsync sends
	folderUID, group string
	provenance       string
	id               int64
	updated          time.Time
}

type receiver struct {
	uid, name, typ        string
	disableResolveMessage bool
	settings              map[string]any    // without secure settings
	secure                map[string]string // secure settings, never returned
	provenance            string
}

type muteTiming struct {
	name       string
	intervals  []any
	provenance string
}

type notifTemplate struct {
	name, template, provenance string
}

// defaultRoute is Grafana's default policy tree and contact point
// (pkg/services/ngalert/notifier/alertmanager_config.go, the default config):
// everything goes to grafana-default-email, grouped by folder and alert name.
func defaultRoute() map[string]any {
	return map[string]any{"receiver": "grafana-default-email", "group_by": []any{"grafana_folder", "alertname"}}
}

// newAlertingStore is a new org's alerting: Grafana's default policy tree
// and contact point, nothing else. It is made with the org, never on first
// use: reads hold only the read lock, and run concurrently.
func newAlertingStore() *alertingStore {
	return &alertingStore{
		rules: map[string]*alertRule{}, intervals: map[[2]string]int64{}, mutes: map[string]*muteTiming{},
		templates: map[string]*notifTemplate{}, route: defaultRoute(),
		receivers: []*receiver{{uid: "default-email", name: "grafana-default-email", typ: "email",
			settings: map[string]any{"addresses": "<example@email.com>"}, secure: map[string]string{}}},
	}
}

func (o *org) al() *alertingStore { return o.alerting }

// secureKeys are the notifier types' secure settings the emulator keeps
// apart (channels_config/available_channels.go, Secure: true); a subset.
var secureKeys = map[string][]string{
	"webhook": {"password", "authorization_credentials"}, "slack": {"token", "url"}, "pagerduty": {"integrationKey"},
	"opsgenie": {"apiKey"}, "teams": {"url"}, "discord": {"url"}, "telegram": {"bottoken"}, "googlechat": {"url"},
	"alertmanager": {"basicAuthPassword"}, "victorops": {"url"}, "pushover": {"apiToken", "userKey"},
}

// provenanceOf is the provenance a write asks for (audit §4).
func provenanceOf(r *http.Request) string {
	if _, ok := r.Header["X-Disable-Provenance"]; ok {
		return ""
	}
	return "api"
}

// provenanceRefused answers 403 when stored may not become want.
func provenanceRefused(c *call, stored, want string) bool {
	if stored == "" || stored == want {
		return false
	}
	if want == "" {
		want = "none"
	}
	errUtil(c.w, http.StatusForbidden, "alerting.notifications.invalidProvenance", fmt.Sprintf("cannot change provenance from '%s' to '%s'", stored, want))
	return true
}

// staleVersion answers 409 when the client sent a version that is not the
// stored object's current one; an empty sent version skips the check.
func staleVersion(c *call, sent, current string) bool {
	if sent == "" || sent == current {
		return false
	}
	errMessage(c.w, http.StatusConflict, "version conflict")
	return true
}

// ruleGroupParam is the group the path's {folder} and {group} name and its
// rules; with no rule it answers 404 and returns nil rules.
func ruleGroupParam(c *call) ([2]string, []*alertRule) {
	k := [2]string{c.r.PathValue("folder"), c.r.PathValue("group")}
	rules := c.org().al().groupRules(k)
	if len(rules) == 0 {
		errMessage(c.w, http.StatusNotFound, "rule group not found")
		return k, nil
	}
	return k, rules
}

// withProvenance adds a stored provenance to an object's JSON; none ("")
// leaves the member out, as Grafana's provisioning API does.
func withProvenance(out map[string]any, provenance string) map[string]any {
	if provenance != "" {
		out["provenance"] = provenance
	}
	return out
}

func validationError(c *call, msg string) {
	writeJSON(c.w, http.StatusBadRequest, map[string]any{"message": msg})
}

var alertUIDRE = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

func (e *Emulator) alertingRoutes() {
	const p = "/api/v1/provisioning"
	e.read("GET "+p+"/alert-rules", func(c *call) {
		a := c.org().al()
		out := []any{}
		for _, uid := range slices.Sorted(maps.Keys(a.rules)) {
			out = append(out, a.ruleJSON(c.org().id, a.rules[uid]))
		}
		writeJSON(c.w, http.StatusOK, out)
	})
	e.read("GET "+p+"/alert-rules/{uid}", func(c *call) {
		a := c.org().al()
		r := a.rules[c.r.PathValue("uid")]
		if r == nil {
			c.w.WriteHeader(http.StatusNotFound) // empty body (audit §4)
			return
		}
		writeJSON(c.w, http.StatusOK, a.ruleJSON(c.org().id, r))
	})
	// POST /alert-rules: 201 with the rule; folderUID and ruleGroup are
	// required; a taken uid is a 400 (audit §4). A new group gets the
	// default interval, 60s.
	e.write("POST "+p+"/alert-rules", func(c *call) {
		a := c.org().al()
		var r map[string]any
		if !decodeBody(c.w, c.r, &r) {
			return
		}
		folder, _ := r["folderUID"].(string)
		group, _ := r["ruleGroup"].(string)
		switch {
		case folder == "" || group == "":
			validationError(c, "invalid alert rule: folderUID and ruleGroup are required")
			return
		case c.org().folders[folder] == nil:
			validationError(c, "folder does not exist: "+folder)
			return
		}
		if uid, _ := r["uid"].(string); uid == "" {
			r["uid"] = e.uids.next()
		}
		uid := r["uid"].(string)
		if msg := checkRule(r); msg != "" {
			validationError(c, msg)
			return
		}
		if a.rules[uid] != nil {
			validationError(c, "a conflicting alert rule is found: rule title under the same organisation and folder should be unique")
			return
		}
		k := [2]string{folder, group}
		if _, ok := a.intervals[k]; !ok {
			a.intervals[k] = 60
		}
		a.rules[uid] = &alertRule{doc: cleanRule(r), folderUID: folder, group: group, provenance: provenanceOf(c.r), id: int64(len(a.rules) + 1), updated: e.now()}
		writeJSON(c.w, http.StatusCreated, a.ruleJSON(c.org().id, a.rules[uid]))
	})
	// PUT /alert-rules/:uid: 200 with the rule; unknown 404.
	e.write("PUT "+p+"/alert-rules/{uid}", func(c *call) {
		a := c.org().al()
		old := a.rules[c.r.PathValue("uid")]
		if old == nil {
			errMessage(c.w, http.StatusNotFound, "rule not found")
			return
		}
		var r map[string]any
		if !decodeBody(c.w, c.r, &r) {
			return
		}
		r["uid"] = c.r.PathValue("uid")
		if msg := checkRule(r); msg != "" {
			validationError(c, msg)
			return
		}
		if provenanceRefused(c, old.provenance, provenanceOf(c.r)) {
			return
		}
		old.doc, old.provenance, old.updated = cleanRule(r), provenanceOf(c.r), e.now()
		writeJSON(c.w, http.StatusOK, a.ruleJSON(c.org().id, old))
	})
	e.write("DELETE "+p+"/alert-rules/{uid}", func(c *call) {
		a := c.org().al()
		r := a.rules[c.r.PathValue("uid")]
		if r == nil {
			c.w.WriteHeader(http.StatusNoContent)
			return
		}
		if provenanceRefused(c, r.provenance, provenanceOf(c.r)) {
			return
		}
		delete(a.rules, r.doc["uid"].(string))
		c.w.WriteHeader(http.StatusNoContent)
	})
	e.read("GET "+p+"/folder/{folder}/rule-groups/{group}", func(c *call) {
		a := c.org().al()
		k, rules := ruleGroupParam(c)
		if rules == nil {
			return
		}
		writeJSON(c.w, http.StatusOK, a.groupJSON(c.org().id, k, rules))
	})
	e.write("PUT "+p+"/folder/{folder}/rule-groups/{group}", e.putRuleGroup)
	e.write("DELETE "+p+"/folder/{folder}/rule-groups/{group}", func(c *call) {
		a := c.org().al()
		k, rules := ruleGroupParam(c)
		if rules == nil {
			return
		}
		for _, r := range rules {
			if provenanceRefused(c, r.provenance, provenanceOf(c.r)) {
				return
			}
		}
		for _, r := range rules {
			delete(a.rules, r.doc["uid"].(string))
		}
		delete(a.intervals, k)
		c.w.WriteHeader(http.StatusNoContent)
	})

	e.read("GET "+p+"/contact-points", func(c *call) {
		a := c.org().al()
		out := []any{}
		rs := slices.Clone(a.receivers)
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].name < rs[j].name }) // GetContactPoints sorts by name
		for _, r := range rs {
			out = append(out, r.json())
		}
		writeJSON(c.w, http.StatusOK, out)
	})
	e.write("POST "+p+"/contact-points", func(c *call) {
		a := c.org().al()
		in, ok := receiverInput(c)
		if !ok {
			return
		}
		if in.UID == "" {
			in.UID = e.uids.next()
		}
		if a.receiver(in.UID) != nil {
			validationError(c, "contact point with uid '"+in.UID+"' already exists")
			return
		}
		r := &receiver{uid: in.UID, provenance: provenanceOf(c.r), secure: map[string]string{}}
		r.set(in, nil)
		a.receivers = append(a.receivers, r)
		writeJSON(c.w, http.StatusAccepted, r.json())
	})
	e.write("PUT "+p+"/contact-points/{uid}", func(c *call) {
		a := c.org().al()
		r := a.receiver(c.r.PathValue("uid"))
		if r == nil {
			errMessage(c.w, http.StatusNotFound, "contact point not found")
			return
		}
		in, ok := receiverInput(c)
		if !ok {
			return
		}
		if provenanceRefused(c, r.provenance, provenanceOf(c.r)) {
			return
		}
		// A secure setting sent as [REDACTED] keeps the stored value
		// (ContactPointService.UpdateContactPoint).
		r.set(in, r.secure)
		r.provenance = provenanceOf(c.r)
		writeJSON(c.w, http.StatusAccepted, map[string]any{"message": "contactpoint updated"})
	})
	e.write("DELETE "+p+"/contact-points/{uid}", func(c *call) {
		a := c.org().al()
		i := slices.IndexFunc(a.receivers, func(r *receiver) bool { return r.uid == c.r.PathValue("uid") })
		if i >= 0 {
			name := a.receivers[i].name
			last := !slices.ContainsFunc(a.receivers, func(r *receiver) bool { return r.name == name && r.uid != a.receivers[i].uid })
			if last && routeUses(a.route, "receiver", name) {
				validationError(c, fmt.Sprintf("contact point '%s' is currently used by a notification policy", name))
				return
			}
			a.receivers = slices.Delete(a.receivers, i, i+1)
		}
		writeJSON(c.w, http.StatusAccepted, map[string]any{"message": "contactpoint deleted"})
	})

	e.read("GET "+p+"/policies", func(c *call) {
		a := c.org().al()
		writeJSON(c.w, http.StatusOK, withProvenance(maps.Clone(a.route), a.routeProv))
	})
	e.write("PUT "+p+"/policies", func(c *call) {
		a := c.org().al()
		var tree map[string]any
		if !decodeBody(c.w, c.r, &tree) {
			return
		}
		delete(tree, "provenance")
		if msg := a.checkRoute(tree, true); msg != "" {
			validationError(c, msg)
			return
		}
		if provenanceRefused(c, a.routeProv, provenanceOf(c.r)) {
			return
		}
		a.route, a.routeProv = tree, provenanceOf(c.r)
		writeJSON(c.w, http.StatusAccepted, map[string]any{"message": "policies updated"})
	})
	e.write("DELETE "+p+"/policies", func(c *call) {
		a := c.org().al()
		a.route, a.routeProv = defaultRoute(), ""
		writeJSON(c.w, http.StatusAccepted, map[string]any{"message": "policies resetted"})
	})

	e.read("GET "+p+"/mute-timings", func(c *call) { listByName(c, c.org().al().mutes) })
	e.read("GET "+p+"/mute-timings/{name}", func(c *call) { getByName(c, c.org().al().mutes, "mute timing not found") })
	e.write("POST "+p+"/mute-timings", func(c *call) {
		a := c.org().al()
		var in struct {
			Name          string `json:"name"`
			TimeIntervals []any  `json:"time_intervals"`
		}
		if !decodeBody(c.w, c.r, &in) {
			return
		}
		if in.Name == "" {
			validationError(c, "invalid mute timing: missing name")
			return
		}
		if a.mutes[in.Name] != nil {
			validationError(c, "a mute timing with this name already exists")
			return
		}
		m := &muteTiming{name: in.Name, intervals: in.TimeIntervals, provenance: provenanceOf(c.r)}
		a.mutes[in.Name] = m
		writeJSON(c.w, http.StatusCreated, m.json())
	})
	e.write("PUT "+p+"/mute-timings/{name}", func(c *call) {
		a := c.org().al()
		m := a.mutes[c.r.PathValue("name")]
		if m == nil {
			errMessage(c.w, http.StatusNotFound, "mute timing not found")
			return
		}
		var in struct {
			TimeIntervals []any `json:"time_intervals"`
		}
		if !decodeBody(c.w, c.r, &in) {
			return
		}
		if provenanceRefused(c, m.provenance, provenanceOf(c.r)) {
			return
		}
		m.intervals, m.provenance = in.TimeIntervals, provenanceOf(c.r)
		writeJSON(c.w, http.StatusAccepted, m.json())
	})
	e.write("DELETE "+p+"/mute-timings/{name}", func(c *call) {
		a := c.org().al()
		m := a.mutes[c.r.PathValue("name")]
		if m != nil {
			if staleVersion(c, c.r.URL.Query().Get("version"), m.version()) {
				return
			}
			if routeUses(a.route, "mute_time_intervals", m.name) || routeUses(a.route, "active_time_intervals", m.name) {
				errMessage(c.w, http.StatusConflict, "mute timing is used by a notification policy")
				return
			}
			delete(a.mutes, m.name)
		}
		c.w.WriteHeader(http.StatusNoContent)
	})

	e.read("GET "+p+"/templates", func(c *call) { listByName(c, c.org().al().templates) })
	e.read("GET "+p+"/templates/{name}", func(c *call) { getByName(c, c.org().al().templates, "template not found") })
	e.write("PUT "+p+"/templates/{name}", func(c *call) {
		a := c.org().al()
		var in struct {
			Template string `json:"template"`
			Version  string `json:"version"`
		}
		if !decodeBody(c.w, c.r, &in) {
			return
		}
		name := c.r.PathValue("name")
		if strings.TrimSpace(in.Template) == "" {
			validationError(c, "template must have content")
			return
		}
		t := a.templates[name]
		if t != nil {
			if staleVersion(c, in.Version, t.version()) {
				return
			}
			if provenanceRefused(c, t.provenance, provenanceOf(c.r)) {
				return
			}
		} else {
			t = &notifTemplate{name: name}
			a.templates[name] = t
		}
		t.template, t.provenance = storedTemplate(name, in.Template), provenanceOf(c.r)
		writeJSON(c.w, http.StatusAccepted, t.json())
	})
	e.write("DELETE "+p+"/templates/{name}", func(c *call) {
		a := c.org().al()
		if t := a.templates[c.r.PathValue("name")]; t != nil {
			if staleVersion(c, c.r.URL.Query().Get("version"), t.version()) {
				return
			}
			delete(a.templates, t.name)
		}
		c.w.WriteHeader(http.StatusNoContent)
	})
}

// namedJSON is a provisioning object kept by name (mute timing, template).
type namedJSON interface{ json() map[string]any }

// listByName answers a GET of a whole collection kept by name: every
// object, sorted by name; [] when there is none.
func listByName[T namedJSON](c *call, byName map[string]T) {
	out := []any{}
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[n].json())
	}
	writeJSON(c.w, http.StatusOK, out)
}

// getByName answers a GET of the object the path's {name} names, or a 404
// with notFound as its message.
func getByName[T namedJSON](c *call, byName map[string]T, notFound string) {
	v, ok := byName[c.r.PathValue("name")]
	if !ok {
		errMessage(c.w, http.StatusNotFound, notFound)
		return
	}
	writeJSON(c.w, http.StatusOK, v.json())
}

// putRuleGroup replaces a group whole (RoutePutAlertRuleGroup, 200): rules
// not in the body are deleted, a rule of another group is moved here.
func (e *Emulator) putRuleGroup(c *call) {
	a := c.org().al()
	k := [2]string{c.r.PathValue("folder"), c.r.PathValue("group")}
	var in struct {
		Interval int64            `json:"interval"`
		Rules    []map[string]any `json:"rules"`
	}
	if !decodeBody(c.w, c.r, &in) {
		return
	}
	if c.org().folders[k[0]] == nil {
		validationError(c, fmt.Sprintf("folder does not exist: %s", k[0]))
		return
	}
	if in.Interval <= 0 || in.Interval%10 != 0 {
		validationError(c, "invalid interval: must be a positive multiple of 10s")
		return
	}
	want := provenanceOf(c.r)
	seen := map[string]bool{}
	for _, r := range in.Rules {
		uid, _ := r["uid"].(string)
		if uid == "" {
			uid = e.uids.next()
			r["uid"] = uid
		}
		if msg := checkRule(r); msg != "" {
			validationError(c, msg)
			return
		}
		if seen[uid] {
			validationError(c, "rule uid "+uid+" appears twice")
			return
		}
		seen[uid] = true
		if old := a.rules[uid]; old != nil && provenanceRefused(c, old.provenance, want) {
			return
		}
	}
	replaced := a.groupRules(k)
	for _, old := range replaced {
		if !seen[old.doc["uid"].(string)] {
			if provenanceRefused(c, old.provenance, want) {
				return
			}
		}
	}
	for _, old := range replaced {
		delete(a.rules, old.doc["uid"].(string))
	}
	for _, r := range in.Rules {
		uid := r["uid"].(string)
		id := int64(len(a.rules) + 1)
		if old := a.rules[uid]; old != nil {
			id = old.id
		}
		a.rules[uid] = &alertRule{doc: cleanRule(r), folderUID: k[0], group: k[1], provenance: want, id: id, updated: e.now()}
	}
	a.intervals[k] = in.Interval
	writeJSON(c.w, http.StatusOK, a.groupJSON(c.org().id, k, a.groupRules(k)))
}

// checkRule is the validation a rule gets (validateAlertRule): a title, a
// uid of ≤40 [a-zA-Z0-9_-], queries, a condition naming one of them.
func checkRule(r map[string]any) string {
	uid, _ := r["uid"].(string)
	title, _ := r["title"].(string)
	cond, _ := r["condition"].(string)
	data, _ := r["data"].([]any)
	switch {
	case len(uid) > 40 || !alertUIDRE.MatchString(uid):
		return "invalid rule specification at index 0: cannot create rule with UID '" + uid + "': UID is longer than 40 symbols or contains illegal characters"
	case title == "":
		return "invalid alert rule: title is empty"
	case len(data) == 0:
		return "invalid alert rule: no queries or expressions are found"
	}
	found := false
	for _, q := range data {
		m, _ := q.(map[string]any)
		if m == nil {
			continue
		}
		found = found || m["refId"] == cond
		// AlertQuery.PreSave: a query of a datasource (not an expression)
		// needs a relative time range with from > to.
		ds, _ := m["datasourceUid"].(string)
		rt, _ := m["relativeTimeRange"].(map[string]any)
		from, _ := rt["from"].(float64)
		to, _ := rt["to"].(float64)
		if ds != "__expr__" && ds != "-100" && from <= to {
			return fmt.Sprintf("invalid alert rule: invalid relative time range [From: %vs, To: %vs]", from, to)
		}
	}
	if found {
		return ""
	}
	return fmt.Sprintf("invalid alert rule: condition %s does not exist, must be one of %v", cond, refIDs(data))
}

func refIDs(data []any) []any {
	var out []any
	for _, q := range data {
		if m, _ := q.(map[string]any); m != nil {
			out = append(out, m["refId"])
		}
	}
	return out
}

// cleanRule keeps what a rule stores; server-owned fields are dropped and
// durations are stored as Grafana's model.Duration renders them ("5m").
func cleanRule(r map[string]any) map[string]any {
	out := maps.Clone(r)
	for _, k := range []string{"id", "orgID", "folderUID", "ruleGroup", "provenance", "updated"} {
		delete(out, k)
	}
	for _, k := range []string{"for", "keep_firing_for"} {
		if s, ok := out[k].(string); ok {
			if d, err := time.ParseDuration(s); err == nil {
				out[k] = model.Duration(d).String()
			}
		}
	}
	if out["for"] == nil {
		out["for"] = "0s"
	}
	// AlertQuery.PreSave (pkg/services/ngalert/models/alert_query.go): the
	// model gets maxDataPoints 43200 and intervalMs 1000 when they are
	// missing or not positive, and the query takes the model's queryType.
	if data, ok := out["data"].([]any); ok {
		stored := make([]any, len(data))
		for i, q := range data {
			m, _ := q.(map[string]any)
			m = maps.Clone(m)
			model, _ := m["model"].(map[string]any)
			model = maps.Clone(model)
			if model == nil {
				model = map[string]any{}
			}
			for k, def := range map[string]float64{"maxDataPoints": 43200, "intervalMs": 1000} {
				if n, ok := model[k].(float64); !ok || n <= 0 {
					model[k] = def
				}
			}
			if qt, _ := model["queryType"].(string); qt != "" {
				m["queryType"] = qt
			}
			m["model"] = model
			stored[i] = m
		}
		out["data"] = stored
	}
	return out
}

func (a *alertingStore) groupRules(k [2]string) []*alertRule {
	var out []*alertRule
	for _, uid := range slices.Sorted(maps.Keys(a.rules)) {
		if r := a.rules[uid]; r.folderUID == k[0] && r.group == k[1] {
			out = append(out, r)
		}
	}
	return out
}

func (a *alertingStore) ruleJSON(orgID int64, r *alertRule) map[string]any {
	out := maps.Clone(r.doc)
	out["id"], out["orgID"], out["folderUID"], out["ruleGroup"] = r.id, orgID, r.folderUID, r.group
	out["updated"] = r.updated.Format(time.RFC3339)
	return withProvenance(out, r.provenance)
}

func (a *alertingStore) groupJSON(orgID int64, k [2]string, rules []*alertRule) map[string]any {
	rs := []any{}
	for _, r := range rules {
		rs = append(rs, a.ruleJSON(orgID, r))
	}
	return map[string]any{"folderUid": k[0], "title": k[1], "interval": a.intervals[k], "rules": rs}
}

func (a *alertingStore) receiver(uid string) *receiver {
	for _, r := range a.receivers {
		if r.uid == uid {
			return r
		}
	}
	return nil
}

// checkRoute validates a policy tree as Grafana does before saving it: the
// root names a receiver, and every receiver and time interval exists.
func (a *alertingStore) checkRoute(route map[string]any, root bool) string {
	recv, _ := route["receiver"].(string)
	if root && recv == "" {
		return "invalid object specification: root route must specify a default receiver"
	}
	if recv != "" && !slices.ContainsFunc(a.receivers, func(r *receiver) bool { return r.name == recv }) {
		return fmt.Sprintf("invalid object specification: receiver '%s' does not exist", recv)
	}
	for _, k := range []string{"mute_time_intervals", "active_time_intervals"} {
		names, _ := route[k].([]any)
		for _, n := range names {
			if s, _ := n.(string); a.mutes[s] == nil {
				return fmt.Sprintf("invalid object specification: time interval '%s' does not exist", s)
			}
		}
	}
	routes, _ := route["routes"].([]any)
	for _, r := range routes {
		if m, _ := r.(map[string]any); m != nil {
			if msg := a.checkRoute(m, false); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// routeUses reports whether any route names value under key.
func routeUses(route map[string]any, key, value string) bool {
	switch v := route[key].(type) {
	case string:
		if v == value {
			return true
		}
	case []any:
		if slices.Contains(v, any(value)) {
			return true
		}
	}
	routes, _ := route["routes"].([]any)
	for _, r := range routes {
		if m, _ := r.(map[string]any); m != nil && routeUses(m, key, value) {
			return true
		}
	}
	return false
}

type receiverIn struct {
	UID                   string         `json:"uid"`
	Name                  string         `json:"name"`
	Type                  string         `json:"type"`
	DisableResolveMessage bool           `json:"disableResolveMessage"`
	Settings              map[string]any `json:"settings"`
}

// receiverInput decodes and checks a contact point body, answering 400
// when it is not one Grafana would store.
func receiverInput(c *call) (receiverIn, bool) {
	var in receiverIn
	if !decodeBody(c.w, c.r, &in) {
		return in, false
	}
	if msg := in.check(); msg != "" {
		validationError(c, msg)
		return in, false
	}
	return in, true
}

func (in receiverIn) check() string {
	switch {
	case in.Name == "":
		return "contact point is not valid: name is empty"
	case in.Type == "":
		return "contact point is not valid: type is empty"
	case in.Settings == nil:
		return "contact point is not valid: settings should not be empty"
	case in.UID != "" && (len(in.UID) > 40 || !alertUIDRE.MatchString(in.UID)):
		return "contact point is not valid: uid is invalid"
	}
	return ""
}

// set stores in; secure settings go apart, and a [REDACTED] one keeps the
// value in keep.
func (r *receiver) set(in receiverIn, keep map[string]string) {
	r.name, r.typ, r.disableResolveMessage = in.Name, in.Type, in.DisableResolveMessage
	r.settings = maps.Clone(in.Settings)
	secure := map[string]string{}
	for _, k := range secureKeys[in.Type] {
		v, ok := r.settings[k].(string)
		delete(r.settings, k)
		switch {
		case ok && v == "[REDACTED]":
			if old, had := keep[k]; had {
				secure[k] = old
			}
		case ok && v != "":
			secure[k] = v
		}
	}
	r.secure = secure
}

func (r *receiver) json() map[string]any {
	settings := maps.Clone(r.settings)
	for k := range r.secure {
		settings[k] = "[REDACTED]"
	}
	out := map[string]any{"uid": r.uid, "name": r.name, "type": r.typ, "disableResolveMessage": r.disableResolveMessage, "settings": settings}
	return withProvenance(out, r.provenance)
}

func (m *muteTiming) version() string { return fingerprintOf(m.name, m.intervals) }

func (m *muteTiming) json() map[string]any {
	out := map[string]any{"name": m.name, "time_intervals": m.intervals, "version": m.version()}
	if out["time_intervals"] == nil {
		out["time_intervals"] = []any{}
	}
	return withProvenance(out, m.provenance)
}

func (t *notifTemplate) version() string { return fingerprintOf(t.name, t.template) }

func (t *notifTemplate) json() map[string]any {
	return withProvenance(map[string]any{"name": t.name, "template": t.template, "version": t.version()}, t.provenance)
}

// fingerprintOf is a resource version Grafana derives from the content.
func fingerprintOf(v ...any) string {
	b, _ := json.Marshal(v)
	h := fnv.New64a()
	h.Write(b)
	return fmt.Sprintf("%016x", h.Sum64())
}

// EditAlertRule changes a rule as a hand edit in Grafana's UI would
// (provenance unchanged). It reports whether the rule exists.
func (e *Emulator) EditAlertRule(orgID int64, uid string, edit func(map[string]any)) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil || o.al().rules[uid] == nil {
		return false
	}
	edit(o.al().rules[uid].doc)
	return true
}

// EditContactPoint changes an integration's non-secret settings by hand.
func (e *Emulator) EditContactPoint(orgID int64, uid string, edit func(settings map[string]any)) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil || o.al().receiver(uid) == nil {
		return false
	}
	edit(o.al().receiver(uid).settings)
	return true
}

// EditPolicies changes the policy tree by hand.
func (e *Emulator) EditPolicies(orgID int64, edit func(tree map[string]any)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if o := e.st.orgs[orgID]; o != nil {
		edit(o.al().route)
	}
}

// ContactPointSecret returns a stored secure setting of an integration.
func (e *Emulator) ContactPointSecret(orgID int64, uid, key string) (string, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	o := e.st.orgs[orgID]
	if o == nil || o.alerting == nil || o.al().receiver(uid) == nil {
		return "", false
	}
	v, ok := o.al().receiver(uid).secure[key]
	return v, ok
}

// AlertingProvenance returns the stored provenance of a rule ("rule"), a
// contact point ("contact-point"), or the policy tree ("policies", id "").
func (e *Emulator) AlertingProvenance(orgID int64, kind, id string) string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	o := e.st.orgs[orgID]
	if o == nil || o.alerting == nil {
		return ""
	}
	a := o.alerting
	switch kind {
	case "rule":
		if r := a.rules[id]; r != nil {
			return r.provenance
		}
	case "contact-point":
		if r := a.receiver(id); r != nil {
			return r.provenance
		}
	case "policies":
		return a.routeProv
	}
	return ""
}

var defineRE = regexp.MustCompile(`\{\{\s*define`)

// storedTemplate is a template as Grafana stores it
// (NotificationTemplate.Validate): trimmed; without a define, its lines
// indented by two spaces inside {{ define "name" }} ... {{ end }}.
func storedTemplate(name, text string) string {
	content := strings.TrimSpace(text)
	if defineRE.MatchString(content) {
		return content
	}
	lines := strings.Split(content, "\n")
	for i := range lines {
		lines[i] = "  " + lines[i]
	}
	return "{{ define \"" + name + "\" }}\n" + strings.Join(lines, "\n") + "\n{{ end }}"
}

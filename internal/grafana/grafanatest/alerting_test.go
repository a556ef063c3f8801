package grafanatest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const prov = "/api/v1/provisioning"

func testRule(uid, title string) map[string]any {
	return map[string]any{"uid": uid, "title": title, "condition": "A", "for": "5m0s",
		"data": []any{map[string]any{"refId": "A", "datasourceUid": "prom", "relativeTimeRange": map[string]any{"from": 600, "to": 0}, "model": map[string]any{"expr": "up"}}}}
}

// Audit §4, alert rules: PUT /folder/:uid/rule-groups/:group replaces the
// whole group (200); GET of a missing rule is 404 with an empty body;
// DELETE is 204; a rule's uid follows the dashboard rules; a write
// without X-Disable-Provenance stores provenance api, with it none.
func TestAlertRuleGroups(t *testing.T) {
	e, admin := newClient(t, Options{})
	if _, err := e.SeedFolder(1, FolderSpec{UID: "f", Title: "F"}); err != nil {
		t.Fatal(err)
	}
	group := map[string]any{"interval": 60, "rules": []any{testRule("r1", "One"), testRule("r2", "Two")}}
	got := admin.expect("PUT", prov+"/folder/f/rule-groups/g", group, 200, map[string]any{"folderUid": "f", "title": "g", "interval": float64(60)})
	if rules, _ := got["rules"].([]any); len(rules) != 2 {
		t.Errorf("group answer holds %d rules, want 2", len(rules))
	}
	admin.expect("GET", prov+"/alert-rules/r1", nil, 200, map[string]any{"uid": "r1", "folderUID": "f", "ruleGroup": "g", "provenance": "api", "for": "5m"})

	// Replaced whole: r2 is gone, r3 is new.
	group["rules"] = []any{testRule("r1", "One"), testRule("r3", "Three")}
	admin.expect("PUT", prov+"/folder/f/rule-groups/g", group, 200, nil)
	status, raw := admin.do("GET", prov+"/alert-rules/r2", nil)
	if status != 404 || len(raw) != 0 {
		t.Errorf("GET missing rule: %d %q, want 404 with an empty body", status, raw)
	}
	status, list := admin.call("GET", prov+"/alert-rules", nil)
	if rules, _ := list.([]any); status != 200 || len(rules) != 2 {
		t.Errorf("GET alert-rules: %d, %d rules, want 2", status, len(rules))
	}

	// Validation: a condition that names no query, an illegal uid, a bad interval, a missing folder: 400.
	bad := testRule("r4", "Four")
	bad["condition"] = "Z"
	admin.expect("PUT", prov+"/folder/f/rule-groups/g", map[string]any{"interval": 60, "rules": []any{bad}}, 400, nil)
	admin.expect("PUT", prov+"/folder/f/rule-groups/g", map[string]any{"interval": 60, "rules": []any{testRule("a b", "x")}}, 400, nil)
	admin.expect("PUT", prov+"/folder/f/rule-groups/g", map[string]any{"interval": 15, "rules": []any{testRule("r5", "x")}}, 400, nil)
	admin.expect("PUT", prov+"/folder/nope/rule-groups/g", group, 400, nil)

	// AlertQuery.PreSave: a datasource query with an empty relative time
	// range is refused; the stored model gets maxDataPoints and intervalMs.
	empty := testRule("r6", "Six")
	empty["data"] = []any{map[string]any{"refId": "A", "datasourceUid": "prom", "model": map[string]any{}}}
	admin.expect("PUT", prov+"/folder/f/rule-groups/g", map[string]any{"interval": 60, "rules": []any{empty}}, 400, nil)
	got = admin.expect("GET", prov+"/alert-rules/r1", nil, 200, nil)
	q := got["data"].([]any)[0].(map[string]any)
	if diff := cmp.Diff(map[string]any{"expr": "up", "maxDataPoints": float64(43200), "intervalMs": float64(1000)}, q["model"]); diff != "" {
		t.Errorf("stored model (-want +got):\n%s", diff)
	}

	// Provenance api may not become none (audit §4): refused, nothing changed.
	admin.withHeader("X-Disable-Provenance", "true").expect("PUT", prov+"/folder/f/rule-groups/g", group, 403,
		map[string]any{"message": "cannot change provenance from 'api' to 'none'"})

	// The folder's counts include its rules (§5.7).
	admin.expect("GET", "/api/folders/f/counts", nil, 200, map[string]any{"alertrule": float64(2)})

	admin.expect("DELETE", prov+"/alert-rules/r3", nil, 204, nil)
	admin.expect("DELETE", prov+"/folder/f/rule-groups/g", nil, 204, nil)
	admin.expect("GET", prov+"/folder/f/rule-groups/g", nil, 404, nil)
}

// Audit §4, contact points: POST 202 with the object, PUT 202
// {"message":"contactpoint updated"}, unknown 404, DELETE 202. Secure
// settings read back as [REDACTED], and an update that sends [REDACTED]
// keeps the stored value (ContactPointService.UpdateContactPoint).
func TestContactPoints(t *testing.T) {
	e, admin := newClient(t, Options{})
	cp := map[string]any{"uid": "hook", "name": "ops", "type": "webhook", "settings": map[string]any{"url": "https://x", "password": "s3cret", "grafsync": map[string]any{"managed": true}}}
	admin.expect("POST", prov+"/contact-points", cp, 202, map[string]any{"uid": "hook", "name": "ops", "provenance": "api",
		"settings": map[string]any{"url": "https://x", "password": "[REDACTED]", "grafsync": map[string]any{"managed": true}}})
	if v, _ := e.ContactPointSecret(1, "hook", "password"); v != "s3cret" {
		t.Errorf("stored password = %q", v)
	}
	cp["settings"] = map[string]any{"url": "https://y", "password": "[REDACTED]"}
	admin.expect("PUT", prov+"/contact-points/hook", cp, 202, map[string]any{"message": "contactpoint updated"})
	if v, _ := e.ContactPointSecret(1, "hook", "password"); v != "s3cret" {
		t.Errorf("[REDACTED] changed the stored password to %q", v)
	}
	admin.expect("PUT", prov+"/contact-points/nope", cp, 404, nil)
	admin.withHeader("X-Disable-Provenance", "").expect("PUT", prov+"/contact-points/hook", cp, 403, nil)

	status, v := admin.call("GET", prov+"/contact-points", nil)
	list, _ := v.([]any)
	var names []string
	for _, x := range list {
		names = append(names, x.(map[string]any)["name"].(string))
	}
	// Grafana's default contact point is there; the list is sorted by name.
	if diff := cmp.Diff([]string{"grafana-default-email", "ops"}, names); status != 200 || diff != "" {
		t.Errorf("GET contact-points %d (-want +got):\n%s", status, diff)
	}
	admin.expect("DELETE", prov+"/contact-points/hook", nil, 202, map[string]any{"message": "contactpoint deleted"})
}

// Audit §4, notification policies: GET/PUT the whole tree (202 "policies
// updated"), DELETE resets to the default (202). A tree that names a
// missing contact point or mute timing is refused (400); a contact point a
// policy uses cannot be deleted.
func TestPoliciesAndMuteTimingsAndTemplates(t *testing.T) {
	_, admin := newClient(t, Options{})
	admin.expect("GET", prov+"/policies", nil, 200, map[string]any{"receiver": "grafana-default-email"})
	admin.expect("POST", prov+"/contact-points", map[string]any{"uid": "h", "name": "ops", "type": "email", "settings": map[string]any{"addresses": "a@b"}}, 202, nil)

	// Mute timings: POST 201, PUT 202, DELETE 204 (optionally ?version=).
	admin.expect("POST", prov+"/mute-timings", map[string]any{"name": "weekends", "time_intervals": []any{map[string]any{"weekdays": []any{"saturday"}}}}, 201, map[string]any{"name": "weekends"})
	admin.expect("PUT", prov+"/mute-timings/weekends", map[string]any{"name": "weekends", "time_intervals": []any{}}, 202, nil)

	tree := map[string]any{"receiver": "ops", "routes": []any{map[string]any{"receiver": "ops", "mute_time_intervals": []any{"weekends"}}}}
	admin.expect("PUT", prov+"/policies", tree, 202, map[string]any{"message": "policies updated"})
	admin.expect("GET", prov+"/policies", nil, 200, map[string]any{"receiver": "ops", "provenance": "api"})
	admin.expect("PUT", prov+"/policies", map[string]any{"receiver": "nobody"}, 400, nil)
	admin.expect("DELETE", prov+"/contact-points/h", nil, 400, nil)
	admin.expect("DELETE", prov+"/mute-timings/weekends", nil, 409, nil)
	admin.expect("DELETE", prov+"/policies", nil, 202, nil)
	admin.expect("GET", prov+"/policies", nil, 200, map[string]any{"receiver": "grafana-default-email"})
	admin.expect("DELETE", prov+"/mute-timings/weekends?version=stale", nil, 409, nil)
	admin.expect("DELETE", prov+"/mute-timings/weekends", nil, 204, nil)

	// Templates: PUT {template, version} 202; a stale version 409; DELETE 204.
	got := admin.expect("PUT", prov+"/templates/t", map[string]any{"template": "{{ define \"t\" }}x{{ end }}"}, 202, map[string]any{"name": "t", "provenance": "api"})
	admin.expect("PUT", prov+"/templates/t", map[string]any{"template": "y", "version": "stale"}, 409, nil)
	admin.expect("PUT", prov+"/templates/t", map[string]any{"template": "y", "version": got["version"]}, 202, nil)
	admin.expect("DELETE", prov+"/templates/t", nil, 204, nil)
	// NotificationTemplate.Validate: content without a define is wrapped;
	// empty content is refused.
	admin.expect("PUT", prov+"/templates/bare", map[string]any{"template": "hello\n"}, 202, map[string]any{"template": "{{ define \"bare\" }}\n  hello\n{{ end }}"})
	admin.expect("PUT", prov+"/templates/empty", map[string]any{"template": " "}, 400, nil)
}

// Audit §4: POST /alert-rules → 201 (folderUID and ruleGroup required, a
// taken uid refused with 400), PUT /alert-rules/:uid → 200, unknown 404.
func TestAlertRuleSingle(t *testing.T) {
	e, admin := newClient(t, Options{})
	if _, err := e.SeedFolder(1, FolderSpec{UID: "f", Title: "F"}); err != nil {
		t.Fatal(err)
	}
	r := testRule("one", "One")
	admin.expect("POST", prov+"/alert-rules", r, 400, nil)
	r["folderUID"], r["ruleGroup"] = "f", "g"
	admin.expect("POST", prov+"/alert-rules", r, 201, map[string]any{"uid": "one", "ruleGroup": "g", "provenance": "api"})
	admin.expect("POST", prov+"/alert-rules", r, 400, nil)
	admin.expect("GET", prov+"/folder/f/rule-groups/g", nil, 200, map[string]any{"interval": float64(60)})
	r["title"] = "Renamed"
	admin.expect("PUT", prov+"/alert-rules/one", r, 200, map[string]any{"title": "Renamed"})
	admin.expect("PUT", prov+"/alert-rules/nope", r, 404, nil)
	admin.expect("GET", prov+"/templates/nope", nil, 404, nil)
	admin.expect("GET", prov+"/mute-timings/nope", nil, 404, nil)
}

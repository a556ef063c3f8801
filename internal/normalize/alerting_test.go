package normalize

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/resource"
)

// A rule as Git has it and as Grafana's API returns it (server fields,
// Go-style durations, explicit defaults, an empty relative time range)
// normalise to the same doc.
func TestRuleDocBothSides(t *testing.T) {
	desired := map[string]any{"uid": "r", "title": "R", "condition": "A", "for": "5m",
		"data": []any{map[string]any{"refId": "A", "datasourceUid": "prom", "model": map[string]any{"expr": "up"}}}}
	live := map[string]any{"id": float64(7), "orgID": float64(1), "folderUID": "f", "ruleGroup": "g", "updated": "2026-01-01T00:00:00Z",
		"uid": "r", "title": "R", "condition": "A", "for": "5m0s", "noDataState": "NoData", "execErrState": "Error", "provenance": "api",
		"isPaused": false, "annotations": map[string]any{}, "notification_settings": map[string]any{},
		"data": []any{map[string]any{"refId": "A", "datasourceUid": "prom", "relativeTimeRange": map[string]any{}, "model": map[string]any{"expr": "up"}}}}
	if diff := cmp.Diff(RuleDoc(desired), RuleDoc(live)); diff != "" {
		t.Errorf("desired vs live rule (-want +got):\n%s", diff)
	}
}

// Policy routes: matchers in the API's object form and durations in any
// form normalise alike.
func TestRouteDoc(t *testing.T) {
	a := map[string]any{"receiver": "ops", "group_wait": "30s", "object_matchers": []any{[]any{"a", "=~", "b"}}, "routes": []any{}}
	b := map[string]any{"receiver": "ops", "group_wait": "30s", "group_by": nil, "routes": nil,
		"matchers": []any{map[string]any{"name": "a", "value": "b", "isEqual": true, "isRegex": true}}}
	if diff := cmp.Diff(routeDoc(a), routeDoc(b)); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
}

// Contact point secrets: Grafana answers [REDACTED] for each set secret;
// the fingerprint grafsync stored in its marker stands for it, and a
// secret set by someone else is "unknown". Only changed secrets are sent.
func TestContactPointSecrets(t *testing.T) {
	fp := NewFingerprinter()
	known := fp.Fingerprint(AlertingSecretID("h"), "password", "pw")
	live := []grafana.ContactPoint{{UID: "h", Name: "ops", Type: "webhook", Provenance: "api", Settings: map[string]any{
		"url": "https://x", "password": "[REDACTED]", "sigv4": map[string]any{"secret_key": "[REDACTED]"},
		"grafsync": map[string]any{"managed": true, "secrets": map[string]any{"password": known}}}}}
	org := &resource.Org{Alerting: &resource.Alerting{ContactPoints: []*resource.ContactPoint{{UID: "h", Name: "ops", Type: "webhook",
		Settings: map[string]any{"url": "https://x"}, Secure: map[string]resource.Secret{"password": resource.NewSecret("pw", "env PW")}}}}}

	l := LiveAlerting(org, &grafana.Alerting{ContactPoints: live}, 1)
	d := DesiredAlerting(org, 1, &grafana.Alerting{ContactPoints: live}, ProvenanceAPI, fp)
	if len(l) != 1 || len(d) != 1 || !l[0].Managed {
		t.Fatalf("live %+v desired %+v", l, d)
	}
	wantLive := map[string]any{"password": known, "sigv4.secret_key": unknownFingerprint}
	if diff := cmp.Diff(wantLive, l[0].Doc["secureSettings"]); diff != "" {
		t.Errorf("live fingerprints (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"url": "https://x"}, l[0].Doc["settings"]); diff != "" {
		t.Errorf("live settings hold no secret (-want +got):\n%s", diff)
	}
	sent, err := SettingsToWrite(map[string]any{"url": "https://x"}, d[0].Doc["secureSettings"].(map[string]any), l[0].Doc["secureSettings"].(map[string]any), org.Alerting.ContactPoints[0].Secure)
	if err != nil {
		t.Fatal(err)
	}
	if sent["password"] != "[REDACTED]" {
		t.Errorf("an unchanged secret is sent as %v, want [REDACTED]", sent["password"])
	}
	rotated := map[string]any{"password": fp.Fingerprint(AlertingSecretID("h"), "password", "new")}
	sent, err = SettingsToWrite(map[string]any{}, rotated, l[0].Doc["secureSettings"].(map[string]any), map[string]resource.Secret{"password": resource.NewSecret("new", "env PW")})
	if err != nil || sent["password"] != "new" {
		t.Errorf("a rotated secret is sent as %v (%v), want its value", sent["password"], err)
	}
	if _, err := SettingsToWrite(map[string]any{}, rotated, nil, map[string]resource.Secret{"password": resource.UnsetSecret("env PW")}); err == nil {
		t.Error("an unset secret that must be sent is not an error")
	}
}

// A live object of provenance api cannot be written as none (audit §4):
// the desired resource says why; file provenance is read-only.
func TestAlertingProvenance(t *testing.T) {
	org := &resource.Org{Alerting: &resource.Alerting{Templates: []*resource.Template{{Name: "t", Template: "x"}}}}
	live := &grafana.Alerting{Templates: []grafana.Template{{Name: "t", Template: "x", Provenance: "api"}}}
	d := DesiredAlerting(org, 1, live, ProvenanceNone, NewFingerprinter())
	if d[0].Unwritable == "" {
		t.Error("api → none is not marked unwritable")
	}
	if d := DesiredAlerting(org, 1, live, ProvenanceAPI, NewFingerprinter()); d[0].Unwritable != "" {
		t.Errorf("api → api is unwritable: %s", d[0].Unwritable)
	}
	live.Templates[0].Provenance = "file"
	if l := LiveAlerting(org, live, 1); !l[0].ReadOnly {
		t.Error("a template provisioned from files is not read-only")
	}
}

// A contact point or mute timing that Git names without declaring it must
// exist in Grafana; Grafana's default contact point does.
func TestCheckUndeclared(t *testing.T) {
	a := &resource.Alerting{Undeclared: []resource.AlertingUse{{What: "contact point", Name: DefaultContactPoint, Source: resource.Pos{File: "alerting/a.yaml", Line: 3, Col: 5}}}}
	live := &grafana.Alerting{ContactPoints: []grafana.ContactPoint{{Name: DefaultContactPoint}}}
	if err := CheckUndeclared(a, live); err != nil {
		t.Errorf("the default contact point: %v", err)
	}
	a.Undeclared = append(a.Undeclared, resource.AlertingUse{What: "mute timing", Name: "never", Source: resource.Pos{File: "alerting/a.yaml", Line: 9, Col: 7}})
	err := CheckUndeclared(a, live)
	if want := `alerting/a.yaml:9:7: mute timing "never" is neither declared in alerting/ nor in Grafana; declare it, or fix the name`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

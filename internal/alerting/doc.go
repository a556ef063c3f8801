// Package alerting is what grafsync knows about Grafana alerting as such,
// apart from any pipeline stage: which settings of each notifier type are
// secret, how policy matchers, durations and templates are written, the
// expressions datasource, and how grafsync marks the alerting it manages.
// load, normalize and apply all read it here, so the facts live in one place.
//
// It is pure: no I/O.
//
// The alerting kinds, in apply order (plan.Kind; deletes run in reverse),
// and where each stage of them lives:
//
//	kind                   identity        marker (ownership)          written with (/api/v1/provisioning)
//	notification-template  name            none: deleteTemplates only  PUT /templates/:name
//	mute-timing            name            none: deleteMuteTimes only  POST /mute-timings, PUT /mute-timings/:name
//	contact-point          integration uid settings key MarkerKey      POST /contact-points, PUT /contact-points/:uid
//	notification-policies  "policies"      none: managed when declared PUT /policies (DELETE resets)
//	alert-rule-group       folder uid/name annotation MarkerKey        PUT /folder/:uid/rule-groups/:group
//	alert-rule             uid             deleteRules entries only    DELETE /alert-rules/:uid
//
// Read: internal/load/alerting.go (files, checks). Live:
// internal/grafana/alerting.go (the openapi client's provisioning
// service). Normalised, both sides: internal/normalize/alerting.go. Written:
// internal/apply/alerting.go. Emulated: internal/grafana/grafanatest/alerting.go.
// An org's alerting joins its plan in internal/reconcile (addAlerting).
package alerting

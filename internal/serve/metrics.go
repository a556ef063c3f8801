package serve

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/plan"
)

// Metrics are the daemon's Prometheus metrics. They live on a registry of
// their own (never the global default one), served at /metrics.
type Metrics struct {
	Registry *prometheus.Registry

	runs            *prometheus.CounterVec // result: success, failure
	runDuration     prometheus.Histogram
	applied         *prometheus.CounterVec // kind, action
	drift           *prometheus.GaugeVec   // kind
	lastSuccess     prometheus.Gauge
	revision        *prometheus.GaugeVec // revision
	grafanaRequests *prometheus.CounterVec
	triggers        *prometheus.CounterVec // source, result
	lockHeld        prometheus.Gauge       // registered only when a lock is used
	datasourceUp    *prometheus.GaugeVec   // org, uid, name, type
	checkDuration   *prometheus.GaugeVec   // org, uid, name, type
}

// Run results, the values of grafsync_runs_total's result label.
const (
	resultSuccess = "success"
	resultFailure = "failure"
)

// Trigger results, the values of grafsync_triggers_total's result label.
const (
	triggerAccepted = "accepted" // a run was queued
	triggerRejected = "rejected" // bad or missing signature or token: nothing was queued
	triggerIgnored  = "ignored"  // authentic, but not a push to the watched ref
)

// driftKinds always have a drift series, so a dashboard can show 0.
func driftKinds() []plan.Kind { return []plan.Kind{plan.Folder, plan.Datasource, plan.Dashboard} }

// NewMetrics creates the metrics and their registry, with the Go runtime and
// process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grafsync_runs_total", Help: "Reconcile runs, by result (success or failure).",
		}, []string{"result"}),
		runDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "grafsync_run_duration_seconds", Help: "Duration of reconcile runs: fetch, plan and apply.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grafsync_changes_applied_total", Help: "Changes applied to Grafana, by kind and action (create, update, delete).",
		}, []string{"kind", "action"}),
		drift: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "grafsync_drift_resources",
			Help: "Resources that differ between Git and Grafana, by kind, as of the last plan, less what the apply after it fixed.",
		}, []string{"kind"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "grafsync_last_success_timestamp_seconds", Help: "Unix time of the end of the last successful run.",
		}),
		revision: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "grafsync_last_applied_revision_info",
			Help: "Always 1; the revision label is the Git revision Grafana was last converged to (empty for a plain directory).",
		}, []string{"revision"}),
		grafanaRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grafsync_grafana_requests_total",
			Help: "HTTP requests to Grafana (each retry counts), by status code; code 0: no response (refused, timed out, dropped).",
		}, []string{"code"}),
		triggers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grafsync_triggers_total",
			Help: "Trigger requests by source (webhook, api) and result (accepted, rejected: bad signature or token, ignored: not the watched ref).",
		}, []string{"source", "result"}),
		lockHeld: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "grafsync_lock_held", Help: "1 when this replica holds the sync lock and syncs, 0 while it waits on standby.",
		}),
		datasourceUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "grafsync_datasource_up",
			Help: "1 when the datasource's health check, run by Grafana after the last run, passed; 0 when it failed. One series per declared datasource.",
		}, datasourceLabels()),
		checkDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "grafsync_datasource_check_duration_seconds",
			Help: "How long the datasource's last health check took (Grafana and the plugin's own check).",
		}, datasourceLabels()),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.runs, m.runDuration, m.applied, m.drift, m.lastSuccess, m.revision, m.grafanaRequests, m.triggers,
		m.datasourceUp, m.checkDuration,
	)
	for _, r := range []string{resultSuccess, resultFailure} {
		m.runs.WithLabelValues(r)
	}
	for _, k := range driftKinds() {
		m.drift.WithLabelValues(string(k))
	}
	return m
}

// GrafanaResponse counts one response from Grafana; it is the
// grafana.Config.OnResponse hook.
func (m *Metrics) GrafanaResponse(status int) {
	m.grafanaRequests.WithLabelValues(strconv.Itoa(status)).Inc()
}

// setDrift replaces the drift gauges with counts by kind.
func (m *Metrics) setDrift(byKind map[plan.Kind]int) {
	m.drift.Reset()
	for _, k := range driftKinds() {
		m.drift.WithLabelValues(string(k))
	}
	for k, n := range byKind {
		m.drift.WithLabelValues(string(k)).Set(float64(n))
	}
}

// datasourceLabels name a checked datasource: its org (by name), Grafana
// uid, name and plugin type.
func datasourceLabels() []string { return []string{"org", "uid", "name", "type"} }

// setDatasourceHealth replaces the datasource series with the last check's:
// a datasource that left the repository loses its series.
func (m *Metrics) setDatasourceHealth(r *check.Report) {
	m.datasourceUp.Reset()
	m.checkDuration.Reset()
	for _, res := range r.Results {
		labels := prometheus.Labels{"org": res.Org, "uid": res.UID, "name": res.Name, "type": res.Type}
		up := 0.0
		if res.OK {
			up = 1
		}
		m.datasourceUp.With(labels).Set(up)
		m.checkDuration.With(labels).Set(res.Duration.Seconds())
	}
}

func (m *Metrics) setRevision(rev string) {
	m.revision.Reset()
	m.revision.WithLabelValues(rev).Set(1)
}

// Package benchrepo generates realistic repositories for benchmarks and
// load tests: real-sized dashboards (panels, targets, variables, field
// config) in folders, and datasources linked the way real stacks are.
// It is test support; nothing in the product imports it.
package benchrepo

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// FS builds a repository of n real-sized dashboards (see Dashboard: 10–200
// KB, about 40 KB on average) in 20 folders, and 30
// datasources (10 Prometheus, 10 Loki linked to Tempo, 10 CloudWatch).
func FS(tb testing.TB, n int) (fstest.MapFS, int) {
	fsys := fstest.MapFS{}
	var ds strings.Builder
	ds.WriteString("apiVersion: 1\ndatasources:\n  - {name: Tempo, type: tempo, uid: tempo}\n")
	for i := range 10 {
		fmt.Fprintf(&ds, "  - name: Prometheus %d\n    type: prometheus\n    uid: prom-%d\n    url: http://prom-%d:9090\n    isDefault: %v\n    jsonData:\n      timeInterval: 30s\n      exemplarTraceIdDestinations: [{name: trace_id, datasourceUid: tempo}]\n", i, i, i, i == 0)
		fmt.Fprintf(&ds, "  - name: Loki %d\n    type: loki\n    uid: loki-%d\n    url: http://loki-%d:3100\n    jsonData:\n      derivedFields: [{name: TraceID, matcherRegex: 'trace_id=(\\w+)', datasourceUid: tempo, url: '$${__value.raw}'}]\n", i, i, i)
		if i < 9 {
			fmt.Fprintf(&ds, "  - name: CloudWatch %d\n    type: cloudwatch\n    uid: cw-%d\n    jsonData: {authType: default, assumeRoleArn: 'arn:aws:iam::%012d:role/grafana/read', externalId: ext-%d, defaultRegion: eu-west-1}\n", i, i, 100000000000+i, i)
		}
	}
	fsys["datasources/all.yaml"] = &fstest.MapFile{Data: []byte(ds.String())}
	total := len(ds.String())
	for i := range n {
		data := Dashboard(tb, i)
		name := fmt.Sprintf("dashboards/team-%02d/service-%04d.json", i%20, i)
		fsys[name] = &fstest.MapFile{Data: data}
		total += len(data)
	}
	return fsys, total
}

// Dashboard is the JSON of generated dashboard i (uid svc-NNNN), shaped like
// real ones (exports in the wild, as in ../shared/corpus): pretty-printed,
// collapsed and open rows with nested panels, panels of several types with
// 1–8 targets and long PromQL/SQL/CloudWatch expressions, field config with
// overrides, transformations, links, 4–10 template variables and
// annotations. Its size is drawn from 10–200 KB, skewed small (median about
// 25 KB, mean about 40 KB), as real dashboards are; the same i always gives
// the same bytes.
func Dashboard(tb testing.TB, i int) []byte {
	rng := rand.New(rand.NewPCG(uint64(i), 0x9e3779b97f4a7c15))
	target := int(12e3 * math.Pow(16, math.Pow(rng.Float64(), 1.8)))
	g := gen{rng: rng, svc: i}
	ds := map[string]any{"type": "prometheus", "uid": "${datasource}"}
	model := map[string]any{
		"id": i, "uid": fmt.Sprintf("svc-%04d", i), "title": fmt.Sprintf("Service %d / %s", i, g.pick(words)),
		"description": g.sentence(12), "editable": true, "graphTooltip": 1, "fiscalYearStartMonth": 0, "liveNow": false,
		"tags": []any{"generated", g.pick(words), g.pick(words)}, "schemaVersion": 39, "version": 1 + rng.IntN(40),
		"time": map[string]any{"from": "now-6h", "to": "now"}, "refresh": g.pick([]string{"", "30s", "1m", "5m"}),
		"timepicker": map[string]any{"refresh_intervals": []any{"10s", "30s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"}},
		"timezone":   "browser", "weekStart": "",
		"links": []any{map[string]any{"asDropdown": true, "icon": "external link", "includeVars": true, "keepTime": true,
			"tags": []any{g.pick(words)}, "targetBlank": false, "title": "Related", "type": "dashboards"}},
		"annotations": map[string]any{"list": []any{
			map[string]any{"builtIn": 1, "datasource": map[string]any{"type": "grafana", "uid": "-- Grafana --"}, "enable": true, "hide": true,
				"iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"},
			map[string]any{"datasource": ds, "enable": true, "iconColor": "red", "name": "Deploys",
				"expr": fmt.Sprintf(`changes(kube_deployment_status_observed_generation{namespace="$namespace", deployment=~"svc-%d.*"}[5m]) > 0`, i),
				"step": "60s", "titleFormat": "Deploy {{deployment}}", "tagKeys": "deployment,namespace"},
		}},
		"templating": map[string]any{"list": g.variables(ds)},
	}
	var panels []any
	size := 6000
	id, y := 1, 0
	for size < target {
		row := map[string]any{"type": "row", "title": g.sentence(3), "id": id, "gridPos": map[string]any{"h": 1, "w": 24, "x": 0, "y": y},
			"collapsed": rng.IntN(3) == 0, "datasource": ds}
		if rng.IntN(4) == 0 {
			row["repeat"] = "instance"
		}
		id++
		y++
		var children []any
		for p := range 3 + rng.IntN(8) {
			panel := g.panel(id, p, y, ds)
			b, _ := json.Marshal(panel)
			size += len(b) * 9 / 4 // indented
			children = append(children, panel)
			id++
			if size >= target {
				break
			}
		}
		y += 8 * ((len(children) + 2) / 3)
		if row["collapsed"] == true {
			row["panels"] = children
			panels = append(panels, row)
		} else {
			row["panels"] = []any{}
			panels = append(panels, row)
			panels = append(panels, children...)
		}
	}
	model["panels"] = panels
	data, err := json.MarshalIndent(model, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

var (
	words   = []string{"checkout", "payments", "ledger", "search", "gateway", "auth", "inventory", "billing", "orders", "catalog", "shipping", "notifications", "profile", "sessions", "reports"}
	metrics = []string{"http_requests_total", "http_request_duration_seconds_bucket", "grpc_server_handled_total", "process_cpu_seconds_total",
		"container_memory_working_set_bytes", "node_network_receive_bytes_total", "kafka_consumergroup_lag", "pg_stat_database_xact_commit",
		"go_gc_duration_seconds", "jvm_memory_used_bytes", "redis_commands_processed_total", "nginx_ingress_controller_requests"}
	panelTypes = []string{"timeseries", "timeseries", "timeseries", "stat", "table", "graph", "gauge", "bargauge", "heatmap", "logs"}
	units      = []string{"reqps", "s", "ms", "bytes", "percentunit", "short", "ops", "Bps", "none"}
	colors     = []string{"green", "red", "orange", "yellow", "blue", "purple", "#EAB839", "#6ED0E0", "rgba(237, 129, 40, 0.89)", "dark-red"}
)

type gen struct {
	rng *rand.Rand
	svc int
}

func (g gen) pick(s []string) string { return s[g.rng.IntN(len(s))] }

func (g gen) sentence(n int) string {
	ws := make([]string, 1+g.rng.IntN(n))
	for i := range ws {
		ws[i] = g.pick(words)
	}
	return strings.Join(ws, " ")
}

func (g gen) variables(ds map[string]any) []any {
	vars := []any{
		map[string]any{"name": "datasource", "type": "datasource", "query": "prometheus", "hide": 0, "includeAll": false, "multi": false,
			"current": map[string]any{"selected": false, "text": "Prometheus 1", "value": "prom-1"}, "options": []any{}, "refresh": 1, "regex": "", "skipUrlSync": false},
		map[string]any{"name": "namespace", "type": "query", "datasource": ds, "query": map[string]any{"query": "label_values(kube_pod_info, namespace)", "refId": "PrometheusVariableQueryEditor-VariableQuery"},
			"definition": "label_values(kube_pod_info, namespace)", "refresh": 2, "sort": 1, "includeAll": false, "multi": false, "hide": 0,
			"current": map[string]any{"selected": true, "text": "prod", "value": "prod"}, "options": []any{}, "regex": ""},
		map[string]any{"name": "interval", "type": "interval", "query": "1m,5m,10m,30m,1h,6h,12h,1d", "auto": true, "auto_count": 30, "auto_min": "10s",
			"current": map[string]any{"text": "5m", "value": "5m"}, "hide": 0, "refresh": 2},
	}
	for v := range 1 + g.rng.IntN(7) {
		label := []string{"instance", "pod", "job", "container", "route", "status", "method", "cluster"}[v]
		vars = append(vars, map[string]any{"name": label, "type": "query", "datasource": ds, "includeAll": true, "multi": true, "allValue": ".*",
			"query":      fmt.Sprintf(`label_values(%s{namespace="$namespace", service="svc-%d"}, %s)`, g.pick(metrics), g.svc, label),
			"definition": fmt.Sprintf(`label_values(%s{namespace="$namespace"}, %s)`, g.pick(metrics), label),
			"current":    map[string]any{"selected": true, "text": []any{"All"}, "value": []any{"$__all"}}, "options": []any{},
			"refresh": 2, "regex": "/^(?!canary).*$/", "sort": 1 + g.rng.IntN(6), "hide": 0, "tagValuesQuery": "", "tagsQuery": "", "useTags": false})
	}
	return vars
}

func (g gen) expr(ref int) string {
	m := g.pick(metrics)
	switch g.rng.IntN(4) {
	case 0:
		return fmt.Sprintf(`histogram_quantile(0.%d, sum by (le, %s) (rate(%s{namespace="$namespace", service="svc-%d", instance=~"$instance", route!~"/healthz|/metrics"}[$__rate_interval])))`, 90+ref%10, g.pick([]string{"route", "pod", "method"}), m, g.svc)
	case 1:
		return fmt.Sprintf(`sum by (status) (rate(%s{namespace="$namespace", service="svc-%d", status=~"5.."}[$__rate_interval])) / ignoring(status) group_left sum(rate(%s{namespace="$namespace", service="svc-%d"}[$__rate_interval]))`, m, g.svc, m, g.svc)
	case 2:
		return fmt.Sprintf(`topk(10, avg_over_time(%s{namespace="$namespace", pod=~"svc-%d-.*", container!="POD"}[$interval]) * on(pod) group_left(node) kube_pod_info{namespace="$namespace"})`, m, g.svc)
	}
	return fmt.Sprintf(`label_replace(increase(%s{job="svc-%d", cluster="$cluster"}[1h]), "hour", "$1", "le", "(.*)") or vector(0)`, m, g.svc)
}

func (g gen) panel(id, p, y int, ds map[string]any) map[string]any {
	typ := g.pick(panelTypes)
	var targets []any
	for t := range 1 + g.rng.IntN(8) {
		targets = append(targets, map[string]any{"datasource": ds, "refId": string(rune('A' + t)), "expr": g.expr(t),
			"legendFormat": "{{" + g.pick([]string{"route", "pod", "instance", "status"}) + "}}", "interval": "", "intervalFactor": 2,
			"format": "time_series", "instant": false, "range": true, "editorMode": "code", "exemplar": g.rng.IntN(2) == 0, "hide": false})
	}
	var overrides []any
	for o := range g.rng.IntN(4) {
		overrides = append(overrides, map[string]any{
			"matcher":    map[string]any{"id": "byName", "options": fmt.Sprintf("%s %d", g.pick(words), o)},
			"properties": []any{map[string]any{"id": "color", "value": map[string]any{"fixedColor": g.pick(colors), "mode": "fixed"}}, map[string]any{"id": "custom.axisPlacement", "value": "right"}},
		})
	}
	panel := map[string]any{
		"id": id, "type": typ, "title": g.sentence(5), "description": g.sentence(20), "datasource": ds, "targets": targets,
		"gridPos":  map[string]any{"h": 8, "w": 8, "x": (p % 3) * 8, "y": y + p/3*8},
		"interval": "1m", "maxDataPoints": 1000 + g.rng.IntN(1000), "pluginVersion": "10.4.1",
		"links": []any{map[string]any{"title": "Runbook", "url": fmt.Sprintf("https://runbooks.example.com/svc-%d/%s?var-namespace=${namespace}&from=${__from}&to=${__to}", g.svc, g.pick(words)), "targetBlank": true}},
		"fieldConfig": map[string]any{
			"defaults": map[string]any{
				"color": map[string]any{"mode": "palette-classic"}, "unit": g.pick(units), "decimals": g.rng.IntN(4), "min": 0,
				"custom": map[string]any{"axisBorderShow": false, "axisCenteredZero": false, "axisColorMode": "text", "axisLabel": "", "axisPlacement": "auto",
					"barAlignment": 0, "drawStyle": "line", "fillOpacity": 10 + g.rng.IntN(30), "gradientMode": "opacity", "hideFrom": map[string]any{"legend": false, "tooltip": false, "viz": false},
					"insertNulls": false, "lineInterpolation": "smooth", "lineWidth": 1, "pointSize": 5, "scaleDistribution": map[string]any{"type": "linear"},
					"showPoints": "never", "spanNulls": false, "stacking": map[string]any{"group": "A", "mode": "none"}, "thresholdsStyle": map[string]any{"mode": "off"}},
				"mappings":   []any{map[string]any{"type": "value", "options": map[string]any{"0": map[string]any{"color": "red", "index": 0, "text": "Down"}, "1": map[string]any{"color": "green", "index": 1, "text": "Up"}}}},
				"thresholds": map[string]any{"mode": "absolute", "steps": []any{map[string]any{"color": "green", "value": nil}, map[string]any{"color": "#EAB839", "value": 0.75 + float64(g.rng.IntN(20))/100}, map[string]any{"color": "red", "value": 80 + g.rng.IntN(20)}}},
			},
			"overrides": append([]any{}, overrides...),
		},
		"options": map[string]any{"legend": map[string]any{"calcs": []any{"mean", "max", "lastNotNull"}, "displayMode": "table", "placement": "bottom", "showLegend": true, "sortBy": "Max", "sortDesc": true},
			"tooltip": map[string]any{"mode": "multi", "sort": "desc"}, "reduceOptions": map[string]any{"calcs": []any{"lastNotNull"}, "fields": "", "values": false}},
	}
	if g.rng.IntN(3) == 0 {
		panel["transformations"] = []any{
			map[string]any{"id": "organize", "options": map[string]any{"excludeByName": map[string]any{"Time": true, "__name__": true}, "indexByName": map[string]any{}, "renameByName": map[string]any{"Value": g.pick(words)}}},
			map[string]any{"id": "sortBy", "options": map[string]any{"fields": map[string]any{}, "sort": []any{map[string]any{"desc": true, "field": "Value"}}}},
		}
	}
	if typ == "graph" {
		panel["aliasColors"] = map[string]any{}
		panel["seriesOverrides"] = []any{map[string]any{"alias": "/5../", "color": "#BF1B00", "yaxis": 2}}
		panel["yaxes"] = []any{map[string]any{"format": "short", "logBase": 1, "show": true, "min": 0}, map[string]any{"format": "short", "logBase": 1, "show": false}}
		panel["xaxis"] = map[string]any{"mode": "time", "show": true, "values": []any{}}
		panel["nullPointMode"], panel["lines"], panel["linewidth"], panel["fill"] = "null", true, 1, 1
	}
	return panel
}

// Write puts FS(tb, n) into dir and returns the bytes written.
func Write(tb testing.TB, dir string, n int) int {
	fsys, size := FS(tb, n)
	for name, f := range fsys {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return size
}

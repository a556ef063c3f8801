// Package benchrepo generates realistic repositories for benchmarks and
// load tests: real-sized dashboards (panels, targets, variables, field
// config) in folders, and datasources linked the way real stacks are.
// It is test support; nothing in the product imports it.
package benchrepo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// FS builds a repository of n real-sized dashboards (about 8.5 KB each,
// 4 panels with targets, variables and field config) in 20 folders, and 30
// datasources (10 Prometheus, 10 Loki linked to Tempo, 10 CloudWatch).
func FS(tb testing.TB, n int) (fstest.MapFS, int) {
	fsys := fstest.MapFS{}
	var ds strings.Builder
	ds.WriteString("apiVersion: 1\ndatasources:\n  - {name: Tempo, type: tempo, uid: tempo}\n")
	for i := range 10 {
		fmt.Fprintf(&ds, "  - name: Prometheus %d\n    type: prometheus\n    uid: prom-%d\n    url: http://prom-%d:9090\n    jsonData:\n      timeInterval: 30s\n      exemplarTraceIdDestinations: [{name: trace_id, datasourceUid: tempo}]\n", i, i, i)
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

// Dashboard is the JSON of generated dashboard i (uid svc-NNNN).
func Dashboard(tb testing.TB, i int) []byte {
	ds := map[string]any{"type": "prometheus", "uid": "${datasource}"}
	var panels []any
	for p := range 4 {
		panels = append(panels, map[string]any{
			"id": p + 1, "type": "timeseries", "title": fmt.Sprintf("Panel %d of service %d", p, i), "datasource": ds,
			"gridPos": map[string]any{"h": 8, "w": 12, "x": (p % 2) * 12, "y": p / 2 * 8},
			"fieldConfig": map[string]any{
				"defaults": map[string]any{
					"color":      map[string]any{"mode": "palette-classic"},
					"custom":     map[string]any{"drawStyle": "line", "fillOpacity": 10, "lineWidth": 1, "showPoints": "never", "spanNulls": false, "stacking": map[string]any{"group": "A", "mode": "none"}},
					"thresholds": map[string]any{"mode": "absolute", "steps": []any{map[string]any{"color": "green", "value": nil}, map[string]any{"color": "red", "value": 80}}},
					"unit":       "reqps",
				},
				"overrides": []any{},
			},
			"options": map[string]any{"legend": map[string]any{"calcs": []any{"mean", "max"}, "displayMode": "table", "placement": "bottom", "showLegend": true}, "tooltip": map[string]any{"mode": "multi", "sort": "desc"}},
			"targets": []any{
				map[string]any{"datasource": ds, "refId": "A", "expr": fmt.Sprintf(`sum by (route) (rate(http_requests_total{service="svc-%d", env="$env"}[$__rate_interval]))`, i), "legendFormat": "{{route}}"},
				map[string]any{"datasource": ds, "refId": "B", "expr": fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="svc-%d"}[$__rate_interval])))`, i), "legendFormat": "p99"},
			},
		})
	}
	model := map[string]any{
		"id": i, "uid": fmt.Sprintf("svc-%04d", i), "title": fmt.Sprintf("Service %d", i), "tags": []any{"generated", "service"},
		"schemaVersion": 39, "time": map[string]any{"from": "now-6h", "to": "now"}, "refresh": "1m",
		"annotations": map[string]any{"list": []any{map[string]any{"builtIn": 1, "datasource": map[string]any{"type": "grafana", "uid": "-- Grafana --"}, "enable": true, "name": "Annotations & Alerts"}}},
		"templating": map[string]any{"list": []any{
			map[string]any{"name": "datasource", "type": "datasource", "query": "prometheus", "current": map[string]any{"text": "Prometheus 1", "value": "prom-1"}},
			map[string]any{"name": "env", "type": "query", "datasource": ds, "query": "label_values(up, env)", "refresh": 1},
		}},
		"panels": panels,
	}
	data, err := json.MarshalIndent(model, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return data
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

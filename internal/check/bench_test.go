package check

import (
	"fmt"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/resource"
)

// BenchmarkRun30Datasources20ms checks 30 datasources through an emulator
// that adds 20 ms to every request, 4 at a time: the lower bound is one
// list plus ceil(30/4) rounds of health checks, 9 × 20 ms. It reports the
// wall time of a run over that bound.
func BenchmarkRun30Datasources20ms(b *testing.B) {
	const n, concurrency, latency = 30, 4, 20 * time.Millisecond
	emu, rep := grafanatest.Start(b, grafanatest.Options{Faults: grafanatest.Faults{Latency: latency}})
	var decl []*resource.Datasource
	for i := range n {
		uid := fmt.Sprintf("ds-%02d", i)
		typ := []string{"prometheus", "loki", "tempo"}[i%3]
		if _, err := emu.SeedDatasource(1, grafanatest.DatasourceSpec{UID: uid, Name: uid, Type: typ, URL: "http://x:1"}); err != nil {
			b.Fatal(err)
		}
		decl = append(decl, &resource.Datasource{UID: uid, Name: uid, Type: typ})
	}
	c, err := grafana.New(grafana.Config{URLs: []string{rep.URL()}, User: "admin", Password: "admin", Concurrency: concurrency})
	if err != nil {
		b.Fatal(err)
	}
	targets := []Target{{OrgID: 1, Client: c, Datasources: decl}}
	bound := time.Duration(1+(n+concurrency-1)/concurrency) * latency
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		r, err := Run(b.Context(), targets, Options{Concurrency: concurrency})
		if err != nil || r.Failed() != 0 {
			b.Fatalf("%v: %s", err, r.Summary())
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(bound), "wall/bound")
}

package main

import (
	"os"
	"testing"

	"github.com/grafsync/grafsync/internal/benchrepo"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// BenchmarkPull1000 measures grafsync pull as users run it: the real binary
// against an emulator holding benchrepo's 1,000 real-sized dashboards
// (about 45 MB) in 20 folders and 30 datasources, with 20 ms latency per
// request, at --concurrency 8 and 32, into an empty directory. It reports
// the metrics of BenchmarkSync1000 (wall/bound: target ≤ 1.5; rss/(3×MB+50):
// target ≤ 1) and fails when pull writes to Grafana or exits non-zero.
//
// Run: go test ./cmd/grafsync -run '^$' -bench Pull1000 -benchtime 1x -v
func BenchmarkPull1000(b *testing.B) {
	src := b.TempDir()
	size := benchrepo.Write(b, src, benchDashboards)
	emu, url, token := benchEmulator(b)
	benchRun(b, emu, url, token, src, 16, "", "apply") // fill Grafana, without latency
	emu.SetFaults(grafanatest.Faults{Latency: benchLatency})
	for _, conc := range []int{8, 32} {
		b.Run("concurrency="+itoaBench(conc), func(b *testing.B) {
			for b.Loop() {
				dir := b.TempDir()
				m := benchRun(b, emu, url, token, dir, conc, "pull-"+itoaBench(conc), "pull")
				if m.writes != 0 {
					b.Fatalf("pull made %d write requests", m.writes)
				}
				m.report(b, size)
				b.StopTimer()
				os.RemoveAll(dir)
				b.StartTimer()
			}
		})
	}
}

func itoaBench(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoaBench(n/10) + string(rune('0'+n%10))
}

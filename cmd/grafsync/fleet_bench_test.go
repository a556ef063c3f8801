package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/benchrepo"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// Fleet benchmark sizes: each instance holds fleetBenchDashboards
// real-sized dashboards (benchrepo) and fleetBenchDatasources datasources.
const (
	fleetBenchDashboards  = 25
	fleetBenchDatasources = 5
	fleetBenchRequests    = 64 // --fleet-concurrency
)

// BenchmarkFleetPlan measures a no-op plan over a converged fleet as users
// run it: the real binary against N emulators in this process (separate
// state each), each holding 25 real-sized dashboards and 5 datasources
// with ${fleet.KEY} values, 20 ms latency per request, --fleet-concurrency
// 64. Reported: wall-s; bound-s = requests ÷ 64 × 20 ms and wall/bound
// (target ≤ 1.5); requests; cpu-s of grafsync and emu-cpu-s of the
// emulators (this process): on a 2-core machine wall cannot be below their
// sum ÷ 2; maxrss-MB, the grafsync process's peak resident memory (its
// VmHWM), at 50 and 200 instances (it must not grow with the
// fleet: only the instances in flight hold their dashboards).
//
// Run: go test ./cmd/grafsync -run '^$' -bench FleetPlan -benchtime 1x -v
func BenchmarkFleetPlan(b *testing.B) {
	for _, n := range []int{50, 200} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			dir, env, emus := fleetBenchSetup(b, n)
			// Converge first, without latency.
			if m := fleetBenchRun(b, emus, dir, env, "apply"); m.exit != 0 {
				b.Fatalf("apply exited %d", m.exit)
			}
			for _, e := range emus {
				e.SetFaults(grafanatest.Faults{Latency: benchLatency})
			}
			for b.Loop() {
				m := fleetBenchRun(b, emus, dir, env, "plan", "--detailed-exitcode")
				if m.exit != 0 || m.writes != 0 {
					b.Fatalf("a no-op fleet plan exited %d with %d writes", m.exit, m.writes)
				}
				bound := time.Duration(float64(m.requests) / fleetBenchRequests * float64(benchLatency))
				b.ReportMetric(m.wall.Seconds(), "wall-s")
				b.ReportMetric(bound.Seconds(), "bound-s")
				b.ReportMetric(m.wall.Seconds()/bound.Seconds(), "wall/bound")
				b.ReportMetric(float64(m.requests), "requests")
				b.ReportMetric(m.cpu.Seconds(), "cpu-s")
				b.ReportMetric(m.emuCPU.Seconds(), "emu-cpu-s")
				b.ReportMetric(float64(m.maxRSS)/1e6, "maxrss-MB")
				b.ReportMetric(float64(n), "instances")
			}
		})
	}
}

// fleetBenchSetup writes the fleet repository and starts n emulators.
func fleetBenchSetup(b *testing.B, n int) (string, []string, []*grafanatest.Emulator) {
	dir := b.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for i := range fleetBenchDashboards {
		write(fmt.Sprintf("dashboards/team-%02d/service-%04d.json", i%5, i), benchrepo.Dashboard(b, i))
	}
	var ds strings.Builder
	ds.WriteString("apiVersion: 1\ndatasources:\n")
	for i := range fleetBenchDatasources {
		fmt.Fprintf(&ds, "  - name: Prometheus %d\n    type: prometheus\n    uid: prom-%d\n    url: http://prom-%d.${fleet.tenant}.svc:9090\n    isDefault: %v\n    jsonData:\n      timeInterval: 30s\n", i, i, i, i == 0)
	}
	write("datasources/all.yaml", []byte(ds.String()))
	write("grafsync.yaml", []byte("instancesFrom:\n  - file: customers.yaml\n    template:\n      name: c${item.n}\n      url: ${URL_${item.n}}\n      token: ${TOK_${item.n}}\n      vars:\n        tenant: tenant-${item.n}\n"))
	var list strings.Builder
	var env []string
	var emus []*grafanatest.Emulator
	for i := range n {
		emu, url, token := benchEmulator(b)
		emus = append(emus, emu)
		fmt.Fprintf(&list, "- n: \"%d\"\n", i)
		env = append(env, fmt.Sprintf("URL_%d=%s", i, url), fmt.Sprintf("TOK_%d=%s", i, token))
	}
	write("customers.yaml", []byte(list.String()))
	return dir, env, emus
}

func fleetBenchRun(b *testing.B, emus []*grafanatest.Emulator, dir string, env []string, args ...string) runMeasure {
	for _, e := range emus {
		e.ResetCounters()
	}
	cmd := exec.Command("grafsync", append(args, "--repo", dir, "--fleet-concurrency", fmt.Sprint(fleetBenchRequests), "--log-level", "warn")...)
	hwm := filepath.Join(b.TempDir(), "hwm")
	cmd.Env = append(append(cleanEnv(), env...), "GRAFSYNC_CACHE_DIR="+b.TempDir(), "GRAFSYNC_BENCH_HWMFILE="+hwm)
	cmd.Env = append(cmd.Env, benchProfileEnv(fmt.Sprintf("fleet-%s-%d", args[0], len(emus)))...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	emuBefore := selfCPU()
	start := time.Now()
	err := cmd.Run()
	m := runMeasure{wall: time.Since(start), emuCPU: selfCPU() - emuBefore}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			b.Fatalf("grafsync %s: %v\n%s", strings.Join(args, " "), err, tail(out.String(), 3000))
		}
		m.exit = ee.ExitCode()
	}
	for _, e := range emus {
		m.writes += e.Writes()
		for _, c := range e.RouteCounts() {
			m.requests += c
		}
	}
	m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	// Not rusage's maxrss: see profiled in main_test.go.
	data, err := os.ReadFile(hwm)
	if err != nil {
		b.Fatalf("grafsync did not report its peak RSS: %v", err)
	}
	kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(data)), " kB"), 10, 64)
	if err != nil {
		b.Fatalf("VmHWM %q: %v", data, err)
	}
	m.maxRSS = kb * 1024
	return m
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/benchrepo"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// benchLatency is the latency the emulator adds to every request, as a
// Grafana behind a load balancer in another availability zone might.
const benchLatency = 20 * time.Millisecond

// benchDashboards is how many dashboards the sync benchmarks hold.
const benchDashboards = 1000

// BenchmarkSync1000 measures grafsync as users run it: the real binary (the
// test binary acting as grafsync) against an emulator in this process (the
// legacy /api of the default Grafana version) that holds 1,000 real-sized
// dashboards (benchrepo: 10–200 KB, about 45 MB in all) in 20 folders and
// 30 datasources, with 20 ms latency per request, at --concurrency 8 and 32.
// Reported per run:
//   - wall-s and bound-s: wall time, and the lower bound requests ÷
//     concurrency × latency; wall/bound = wall-s ÷ bound-s (target ≤ 1.2);
//   - cpu-s: user + system CPU time of the grafsync process (rusage), and
//     cpu-s/MB, per MB of dashboard files (target ≤ 0.04); emu-cpu-s, the
//     CPU the emulator (this process) used meanwhile: on a 2-core machine
//     wall cannot be below (cpu-s + emu-cpu-s) ÷ 2;
//   - requests and writes, with the breakdown by route in the log (-v);
//   - maxrss-MB: the grafsync process's peak resident memory, and
//     rss/(3×MB+50), against the target 3 × dashboards-MB + 50 MB (≤ 1).
//
// Run: go test ./cmd/grafsync -run '^$' -bench Sync1000 -benchtime 1x -v
//
// With GRAFSYNC_BENCH_PROFILE=DIR set, each run writes the grafsync
// process's CPU and allocation profiles to DIR/<run>.cpu and DIR/<run>.mem
// (go tool pprof -top DIR/noop-plan-8.cpu); go test's own -cpuprofile
// would profile only the emulator.
func BenchmarkSync1000(b *testing.B) {
	dir := b.TempDir()
	size := benchrepo.Write(b, dir, benchDashboards)
	for _, conc := range []int{8, 32} {
		b.Run(fmt.Sprintf("apply-from-empty/concurrency=%d", conc), func(b *testing.B) {
			for b.Loop() {
				emu, url, token := benchEmulator(b)
				emu.SetFaults(grafanatest.Faults{Latency: benchLatency})
				m := benchRun(b, emu, url, token, dir, conc, fmt.Sprintf("apply-%d", conc), "apply")
				m.report(b, size)
				// One write per created resource: nothing is corrected after.
				// The ownership ledger is one more resource, and restricting
				// its permissions to grafsync one more write (README
				// "Ownership and prune").
				if want := benchDashboards + 20 + 30 + 2; m.writes != want {
					b.Errorf("apply from empty made %d writes, want %d (one per created resource)", m.writes, want)
				}
			}
		})
		b.Run(fmt.Sprintf("noop-plan/concurrency=%d", conc), func(b *testing.B) {
			emu, url, token := benchEmulator(b)
			benchRun(b, emu, url, token, dir, 16, "", "apply") // converge first, without latency
			emu.SetFaults(grafanatest.Faults{Latency: benchLatency})
			for b.Loop() {
				m := benchRun(b, emu, url, token, dir, conc, fmt.Sprintf("noop-plan-%d", conc), "plan", "--detailed-exitcode")
				if m.writes != 0 {
					b.Fatalf("a no-op plan made %d write requests", m.writes)
				}
				if m.exit != 0 {
					b.Fatalf("a no-op plan after apply exited %d (changes planned)", m.exit)
				}
				m.report(b, size)
			}
		})
	}
}

func benchEmulator(b *testing.B) (*grafanatest.Emulator, string, string) {
	return benchEmulatorWith(b, grafanatest.Options{Seed: 1})
}

// benchEmulatorWith starts an emulator with opts on loopback and returns
// it, its URL and an Admin service-account token of org 1.
func benchEmulatorWith(b *testing.B, opts grafanatest.Options) (*grafanatest.Emulator, string, string) {
	emu := grafanatest.New(opts)
	rep, err := emu.StartReplica("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(emu.Close)
	token, err := emu.AddServiceAccountToken(1, "grafsync", "Admin")
	if err != nil {
		b.Fatal(err)
	}
	return emu, rep.URL(), token
}

// benchProfileEnv is the environment that makes the grafsync process
// write its CPU and heap profiles as name.cpu and name.mem under
// $GRAFSYNC_BENCH_PROFILE (none when that or name is empty).
func benchProfileEnv(name string) []string {
	pdir := os.Getenv("GRAFSYNC_BENCH_PROFILE")
	if pdir == "" || name == "" {
		return nil
	}
	return []string{"GRAFSYNC_BENCH_CPUPROFILE=" + filepath.Join(pdir, name+".cpu"), "GRAFSYNC_BENCH_MEMPROFILE=" + filepath.Join(pdir, name+".mem")}
}

type runMeasure struct {
	wall        time.Duration
	cpu         time.Duration // user + system of the grafsync process
	emuCPU      time.Duration // user + system of this process (the emulator) meanwhile
	requests    int
	writes      int
	concurrency int
	maxRSS      int64 // bytes
	exit        int
	latency     time.Duration // per request; 0: benchLatency
	routes      map[string]int
}

// benchRun runs grafsync once as a separate process and measures it. name,
// when set, names its profiles under $GRAFSYNC_BENCH_PROFILE.
func benchRun(b *testing.B, emu *grafanatest.Emulator, url, token, dir string, conc int, name string, args ...string) runMeasure {
	emu.ResetCounters()
	cmd := exec.Command("grafsync", append(args, "--repo", dir, "--concurrency", fmt.Sprint(conc), "--log-level", "warn")...)
	cmd.Env = append(cmd.Environ(), "GRAFANA_URL="+url, "GRAFANA_TOKEN="+token, "GRAFANA_USER=", "GRAFANA_PASSWORD=")
	cmd.Env = append(cmd.Env, benchProfileEnv(name)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	emuBefore := selfCPU()
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	m := runMeasure{wall: wall, emuCPU: selfCPU() - emuBefore, writes: emu.Writes(), concurrency: conc, routes: emu.RouteCounts()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 2 {
			b.Fatalf("grafsync %s: %v\n%s", strings.Join(args, " "), err, tail(out.String(), 2000))
		}
		m.exit = ee.ExitCode()
	}
	for _, n := range m.routes {
		m.requests += n
	}
	m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = ru.Maxrss * 1024 // Linux reports KiB
	}
	return m
}

// selfCPU is the user + system CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m runMeasure) report(b *testing.B, dashboardBytes int) {
	mb := float64(dashboardBytes) / 1e6
	lat := m.latency
	if lat == 0 {
		lat = benchLatency
	}
	bound := time.Duration(float64(m.requests) / float64(m.concurrency) * float64(lat))
	b.ReportMetric(m.wall.Seconds(), "wall-s")
	b.ReportMetric(bound.Seconds(), "bound-s")
	b.ReportMetric(m.wall.Seconds()/bound.Seconds(), "wall/bound")
	b.ReportMetric(m.cpu.Seconds(), "cpu-s")
	b.ReportMetric(m.cpu.Seconds()/mb, "cpu-s/MB")
	b.ReportMetric(m.emuCPU.Seconds(), "emu-cpu-s")
	b.ReportMetric(float64(m.requests), "requests")
	b.ReportMetric(float64(m.writes), "writes")
	b.ReportMetric(float64(m.maxRSS)/1e6, "maxrss-MB")
	b.ReportMetric(float64(m.maxRSS)/1e6/(3*mb+50), "rss/(3×MB+50)")
	b.ReportMetric(mb, "dashboards-MB")
	routes := make([]string, 0, len(m.routes))
	for r := range m.routes {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	var lines []string
	for _, r := range routes {
		lines = append(lines, fmt.Sprintf("%6d %s", m.routes[r], r))
	}
	b.Logf("requests by route:\n%s", strings.Join(lines, "\n"))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// BenchmarkValidate1000 runs grafsync validate as a process over the same
// 1,000-dashboard repository and reports its wall time, CPU and peak RSS.
func BenchmarkValidate1000(b *testing.B) {
	dir := b.TempDir()
	size := benchrepo.Write(b, dir, benchDashboards)
	for b.Loop() {
		cmd := exec.Command("grafsync", "validate", "--repo", dir)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("validate: %v\n%s", err, tail(string(out), 2000))
		}
		b.ReportMetric(time.Since(start).Seconds(), "wall-s")
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(cpu.Seconds()/(float64(size)/1e6), "cpu-s/MB")
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			b.ReportMetric(float64(ru.Maxrss*1024)/1e6, "maxrss-MB")
		}
		b.ReportMetric(float64(size)/1e6, "dashboards-MB")
	}
}

// BenchmarkSync1000Paths compares the two paths grafsync speaks to a
// Grafana 13 (the emulator's 13.x mode) holding the same 1,000 real-sized
// dashboards, at --concurrency 8: /apis (dashboards and folders read by
// paged LIST, grafana-source-audit.md §3) and the legacy /api
// (--grafana-api legacy: a search, then one GET per dashboard). It runs a
// no-op plan on each path at 20 ms and 100 ms latency per request, and an
// apply from empty on /apis at 20 ms, with the wall time of a plan of the
// same repository first (plan-wall-s: what the apply does before its first
// write) and the rest's ratio to the bound (writes-wall/bound). Reported
// as in BenchmarkSync1000;
// a no-op plan on /apis must make at most 5 % of the legacy path's
// requests (checked: request counts are deterministic); the time ratio at
// 100 ms is reported as wall-vs-legacy (target ≤ 1/3).
//
// Run: go test ./cmd/grafsync -run '^$' -bench Sync1000Paths -benchtime 1x -v
func BenchmarkSync1000Paths(b *testing.B) {
	dir := b.TempDir()
	size := benchrepo.Write(b, dir, benchDashboards)
	const conc = 8
	b.Run("apply-from-empty/apis", func(b *testing.B) {
		for b.Loop() {
			emu, url, token := benchEmulatorVersion(b, "13")
			emu.SetFaults(grafanatest.Faults{Latency: benchLatency})
			// What the apply does before its first write (load the
			// repository, read Grafana, plan) is what a plan of the same
			// repository does: its wall time splits the apply's into that
			// and the writes, whose own ratio to the bound is
			// writes-wall/bound.
			pre := benchRun(b, emu, url, token, dir, conc, "", "plan")
			m := benchRun(b, emu, url, token, dir, conc, "apply-apis", "apply")
			m.report(b, size)
			b.ReportMetric(pre.wall.Seconds(), "plan-wall-s")
			b.ReportMetric((m.wall-pre.wall).Seconds()/(float64(m.requests)/conc*benchLatency.Seconds()), "writes-wall/bound")
		}
	})
	emu, url, token := benchEmulatorVersion(b, "13")
	benchRun(b, emu, url, token, dir, 16, "", "apply") // converge first, without latency
	for _, lat := range []time.Duration{benchLatency, 100 * time.Millisecond} {
		var legacy runMeasure
		for _, path := range []string{"legacy", "apis"} {
			b.Run(fmt.Sprintf("noop-plan/%s/latency=%v", path, lat), func(b *testing.B) {
				emu.SetFaults(grafanatest.Faults{Latency: lat})
				for b.Loop() {
					m := benchRun(b, emu, url, token, dir, conc, fmt.Sprintf("noop-plan-%s-%v", path, lat), "plan", "--detailed-exitcode", "--grafana-api", path)
					if m.writes != 0 || m.exit != 0 {
						b.Fatalf("a no-op plan on %s made %d writes and exited %d", path, m.writes, m.exit)
					}
					m.latency = lat
					m.report(b, size)
					if path == "legacy" {
						legacy = m
						continue
					}
					b.ReportMetric(float64(m.requests)/float64(legacy.requests), "requests-vs-legacy")
					b.ReportMetric(m.wall.Seconds()/legacy.wall.Seconds(), "wall-vs-legacy")
					if m.requests*20 > legacy.requests {
						b.Errorf("no-op plan on /apis made %d requests, more than 5 %% of the legacy path's %d", m.requests, legacy.requests)
					}
				}
			})
		}
	}
}

func benchEmulatorVersion(b *testing.B, version string) (*grafanatest.Emulator, string, string) {
	v, err := grafanatest.ParseVersion(version)
	if err != nil {
		b.Fatal(err)
	}
	return benchEmulatorWith(b, grafanatest.Options{Seed: 1, Version: v})
}

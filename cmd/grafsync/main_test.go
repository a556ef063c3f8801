package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"grafsync": func() { os.Exit(profiled(func() int { return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr) })) },
	})
}

// profiled runs f, writing a CPU profile of the grafsync process to
// $GRAFSYNC_BENCH_CPUPROFILE and a heap profile (allocations) to
// $GRAFSYNC_BENCH_MEMPROFILE when they are set: the benchmarks run grafsync
// as a child process, which go test's -cpuprofile does not see.
func profiled(f func() int) int {
	if p := os.Getenv("GRAFSYNC_BENCH_CPUPROFILE"); p != "" {
		if out, err := os.Create(p); err == nil {
			defer out.Close() // after StopCPUProfile (deferred calls run last-in first-out)
			if pprof.StartCPUProfile(out) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	code := f()
	if p := os.Getenv("GRAFSYNC_BENCH_HWMFILE"); p != "" {
		// The process's own peak RSS (VmHWM of its memory since exec).
		// rusage's maxrss is not it: os/exec starts the child with vfork,
		// and Linux keeps the parent's RSS at that moment as the child's
		// maxrss across exec, so a benchmark whose process holds the
		// emulators would be measured, not grafsync.
		if status, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, line := range strings.Split(string(status), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					os.WriteFile(p, []byte(strings.TrimSpace(v)), 0o644)
				}
			}
		}
	}
	if p := os.Getenv("GRAFSYNC_BENCH_MEMPROFILE"); p != "" {
		if out, err := os.Create(p); err == nil {
			pprof.Lookup("allocs").WriteTo(out, 0)
			out.Close()
		}
	}
	return code
}

// TestScripts runs the CLI scripts in testdata/script: each .txtar holds a
// script and its fixture repository. The emu command (emu_test.go) runs a
// Grafana emulator inside the test process for grafsync to talk to. `emu
// start` without version= imitates GRAFSYNC_TEST_GRAFANA_VERSION, or the
// emulator's default (11.x) when it is unset; run the whole suite against
// another release with e.g. GRAFSYNC_TEST_GRAFANA_VERSION=13 go test ./cmd/grafsync.
func TestScripts(t *testing.T) {
	version := grafanatest.DefaultVersion()
	if v := os.Getenv(scriptVersionEnv); v != "" {
		var err error
		if version, err = grafanatest.ParseVersion(v); err != nil {
			t.Fatalf("%s: %v", scriptVersionEnv, err)
		}
	}
	runScripts(t, "testdata/script", version)
}

// scriptVersionEnv names the Grafana release `emu start` imitates by default.
const scriptVersionEnv = "GRAFSYNC_TEST_GRAFANA_VERSION"

func runScripts(t *testing.T, dir string, version grafanatest.Version) {
	testscript.Run(t, testscript.Params{
		Dir:   dir,
		Setup: func(env *testscript.Env) error { return setupHarness(env, version) },
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"emu":       cmdEmu,
			"exits":     cmdExits,
			"jsonq":     cmdJSONQ,
			"example":   cmdExample,
			"doc-shows": cmdDocShows,
			"fleetemu":  cmdFleetEmu,
			"serve":     cmdServe,
			"trap":      cmdTrap,
		},
	})
}

// versionModes are the emulator's Grafana version modes the scripts in
// testdata/versions run against, each with how that version shows a
// service account named "grafsync" as a folder's creator (source audit
// rows 25, 39). Add a mode here and every script runs on it.
var versionModes = []struct{ version, createdBy string }{
	{"10", "Anonymous"},
	{"11.2", "Anonymous"},
	{"11.4", "Anonymous"},
	{"11", "grafsync"}, // 11.6
	{"12", "grafsync"},
	{"13", "grafsync"},
}

// TestVersionScripts runs the scripts in testdata/versions once per
// version mode; each script starts its emulator with
// "emu start version=$GRAFANA_VERSION".
func TestVersionScripts(t *testing.T) {
	for _, m := range versionModes {
		t.Run(m.version, func(t *testing.T) {
			testscript.Run(t, testscript.Params{
				Dir: "testdata/versions",
				Setup: func(env *testscript.Env) error {
					env.Setenv("GRAFANA_VERSION", m.version)
					env.Setenv("CREATED_BY", m.createdBy)
					v, err := grafanatest.ParseVersion(m.version)
					if err != nil {
						return err
					}
					return setupHarness(env, v)
				},
				// [grafana12plus]: the mode serves /apis and schema v2 dashboards.
				Condition: func(cond string) (bool, error) {
					if cond != "grafana12plus" {
						return false, fmt.Errorf("unknown condition %q", cond)
					}
					v, err := grafanatest.ParseVersion(m.version)
					return err == nil && v.APIsServed(), err
				},
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					"emu":   cmdEmu,
					"exits": cmdExits,
					"jsonq": cmdJSONQ,
				},
			})
		})
	}
}

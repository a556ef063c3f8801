package main

import (
	"os"
	"runtime/pprof"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
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
// Grafana emulator inside the test process for grafsync to talk to.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   "testdata/script",
		Setup: setupHarness,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"emu":   cmdEmu,
			"exits": cmdExits,
			"jsonq": cmdJSONQ,
		},
	})
}

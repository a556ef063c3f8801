package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"grafsync": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scripts in testdata/script: each .txtar holds a
// script and its fixture repository. The emu command (emu_test.go) runs a
// Grafana emulator inside the test process for grafsync to talk to.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   "testdata/script",
		Setup: setupHarness,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"emu":     cmdEmu,
			"exits":   cmdExits,
			"jsonq":   cmdJSONQ,
			"example": cmdExample,
		},
	})
}

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
			"emu":   cmdEmu,
			"exits": cmdExits,
			"jsonq": cmdJSONQ,
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
					return setupHarness(env)
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

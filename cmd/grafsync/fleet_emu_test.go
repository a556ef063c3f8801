package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

type fleetHarness struct {
	emus []*grafanatest.Emulator
	reps []*grafanatest.Replica
}

// cmdFleetEmu drives a fleet of independent emulators (separate state):
//
//	fleetemu start N [version=V1,V2,...]  # sets URL_i and TOKEN_i (i from 1) for each
//	fleetemu dashboard I UID     # prints the dashboard of emulator I, or fails
//	fleetemu edit-dashboard I UID key=value...
//	fleetemu stop I              # emulator I refuses connections
//	fleetemu writes I N
func cmdFleetEmu(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: fleetemu start N | dashboard I UID | edit-dashboard I UID k=v... | stop I | writes I N")
	}
	var h *fleetHarness
	if args[0] == "start" {
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		// version=V1,V2,...: the Grafana release each imitates (default:
		// the emulator's).
		versions := make([]grafanatest.Version, n)
		for _, a := range args[2:] {
			list, ok := strings.CutPrefix(a, "version=")
			if !ok {
				ts.Fatalf("fleetemu start: unknown option %q (want version=V1,V2,...)", a)
			}
			for i, v := range strings.Split(list, ",") {
				if i < n {
					versions[i], err = grafanatest.ParseVersion(v)
					ts.Check(err)
				}
			}
		}
		h = &fleetHarness{}
		for i := range n {
			emu := grafanatest.New(grafanatest.Options{Seed: uint64(i + 1), Version: versions[i]})
			ts.Defer(emu.Close)
			rep, err := emu.StartReplica("127.0.0.1:0")
			ts.Check(err)
			key, err := emu.AddServiceAccountToken(1, "grafsync", "Admin")
			ts.Check(err)
			ts.Setenv(fmt.Sprintf("URL_%d", i+1), rep.URL())
			ts.Setenv(fmt.Sprintf("TOKEN_%d", i+1), key)
			h.emus, h.reps = append(h.emus, emu), append(h.reps, rep)
		}
		harnessOf(ts).fleet = h
		return
	}
	h = harnessOf(ts).fleet
	if h == nil {
		ts.Fatalf("fleetemu %s: run fleetemu start first", args[0])
	}
	i, err := strconv.Atoi(args[1])
	if err != nil || i < 1 || i > len(h.emus) {
		ts.Fatalf("fleetemu: instance %q: want 1..%d", args[1], len(h.emus))
	}
	emu := h.emus[i-1]
	switch args[0] {
	case "dashboard":
		data, folder, _, ok := emu.GetDashboard(1, args[2])
		if ok == neg {
			ts.Fatalf("dashboard %s on emulator %d exists: %v", args[2], i, ok)
		}
		if ok {
			fmt.Fprintf(ts.Stdout(), "folder=%s\n%s\n", folder, data)
		}
	case "edit-dashboard":
		ts.Check(emu.EditDashboard(1, args[2], func(m map[string]any) {
			for k, v := range keyValues(ts, args[3:]) {
				m[k] = v
			}
		}))
	case "stop":
		h.reps[i-1].Stop()
	case "writes":
		n, _ := strconv.Atoi(args[2])
		if got := emu.Writes(); got != n {
			ts.Fatalf("emulator %d saw %d writes, want %d", i, got, n)
		}
	default:
		ts.Fatalf("fleetemu %s: unknown", args[0])
	}
}

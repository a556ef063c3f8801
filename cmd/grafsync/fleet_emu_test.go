package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

type fleetHarness struct {
	emus []*grafanatest.Emulator
	reps []*grafanatest.Replica
}

// cmdFleetEmu drives a fleet of independent emulators (separate state):
//
//	fleetemu start N [version=V1,V2,...]  # sets URL_i, HOST_i (host:port) and TOKEN_i (i from 1) for each
//	fleetemu dashboard I UID     # prints the dashboard of emulator I, or fails
//	fleetemu edit-dashboard I UID key=value...
//	fleetemu stop I              # emulator I refuses connections
//	fleetemu writes I N
//	fleetemu race-edit I UID key=value...  # a hand edit racing in (below)
//	fleetemu unhealthy I DSUID [message...] # the datasource's health check fails
//	fleetemu seed-dashboard I UID title=T [folder=F] # a dashboard made by hand
//	fleetemu seed-folder I UID title=T
//	fleetemu save-as-v2 I UID    # a person's UI save as schema v2 (12.x, 13.x)
func cmdFleetEmu(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: fleetemu start N | dashboard I UID | edit-dashboard I UID k=v... | stop I | writes I N | race-edit I UID k=v... | unhealthy I DSUID [message...] | seed-dashboard I UID title=T [folder=F] | seed-folder I UID title=T | save-as-v2 I UID")
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
			ts.Setenv(fmt.Sprintf("HOST_%d", i+1), strings.TrimPrefix(rep.URL(), "http://"))
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
	case "race-edit":
		url := raceEdit(ts, emu, args[2], keyValues(ts, args[3:]))
		ts.Setenv(fmt.Sprintf("URL_%d", i), url)
	case "seed-dashboard": // fleetemu seed-dashboard I UID title=T [folder=F]: made by hand in that Grafana
		kv := keyValues(ts, args[3:])
		_, err := emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: map[string]any{"uid": args[2], "title": kv["title"], "panels": []any{}}, FolderUID: kv["folder"]})
		ts.Check(err)
	case "seed-folder": // fleetemu seed-folder I UID title=T
		_, err := emu.SeedFolder(1, grafanatest.FolderSpec{UID: args[2], Title: keyValues(ts, args[3:])["title"]})
		ts.Check(err)
	case "save-as-v2": // fleetemu save-as-v2 I UID: a person saves it in the UI as schema v2 (12.x, 13.x)
		ts.Check(emu.ConvertDashboardToV2(1, args[2], 0))
	case "unhealthy":
		emu.SetHealthFault(args[2], &grafanatest.HealthFault{Message: strings.Join(args[3:], " ")})
	default:
		ts.Fatalf("fleetemu %s: unknown", args[0])
	}
}

// raceEdit serves emu on a new loopback address (returned; the script
// points the instance at it) where a person saves dashboard uid in
// Grafana's UI right after grafsync's first write that leaves it in place:
// the edit (EditDashboard, the emulator's UI save) lands after Grafana has
// stored grafsync's write and before grafsync has its answer, so whatever
// grafsync reads next sees the edit. It happens once. The response is
// held back until the edit is done, which makes the race deterministic.
func raceEdit(ts *testscript.TestScript, emu *grafanatest.Emulator, uid string, kv map[string]string) string {
	var once sync.Once
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		emu.Handler().ServeHTTP(rec, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead && rec.Code < 300 {
			if _, _, _, ok := emu.GetDashboard(1, uid); ok {
				once.Do(func() {
					err := emu.EditDashboard(1, uid, func(m map[string]any) {
						for k, v := range kv {
							m[k] = v
						}
					})
					if err != nil { // the script sees it as grafsync's failure
						rec = httptest.NewRecorder()
						http.Error(rec, "race-edit: "+err.Error(), http.StatusInternalServerError)
					}
				})
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	ts.Defer(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

type harnessKey struct{}

// harness is one script's emulator.
type harness struct {
	emu *grafanatest.Emulator
	// version is what `emu start` imitates when the script names none.
	version grafanatest.Version
	fleet   *fleetHarness    // fleetemu start (fleet_emu_test.go)
	serve   *scriptServe     // serve start (serve_script_test.go)
	traps   map[string]*trap // trap listen|redirect (trap_test.go)
}

func setupHarness(env *testscript.Env, version grafanatest.Version) error {
	h := &harness{version: version}
	env.Values[harnessKey{}] = h
	env.Defer(func() {
		if h.emu != nil {
			h.emu.Close()
		}
	})
	// Scripts never see the developer's Grafana or secrets.
	for _, k := range []string{"GRAFANA_URL", "GRAFANA_TOKEN", "GRAFANA_USER", "GRAFANA_PASSWORD"} {
		env.Setenv(k, "")
	}
	return nil
}

func harnessOf(ts *testscript.TestScript) *harness { return ts.Value(harnessKey{}).(*harness) }

// cmdExits runs grafsync with args and checks its exit status:
//
//	exits 2 grafsync plan --detailed-exitcode
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %q is not an exit status", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// cmdEmu drives the emulator: emu start, emu writes N, emu seed-dashboard...
// See the usage below; every subcommand fails the script on misuse.
func cmdEmu(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: emu start|reset|writes|requests|statuses|dashboard|folder|datasource|secret|secret-writes|edit-dashboard|delete-dashboard|seed-dashboard|library|edit-library|seed-library|seed-datasource|faults|stop-replica|start-replica ...")
	}
	h := harnessOf(ts)
	if args[0] != "start" && h.emu == nil {
		ts.Fatalf("emu %s: run emu start first", args[0])
	}
	kv := keyValues(ts, args[1:])
	switch args[0] {
	case "start":
		h.start(ts, kv)
	case "reset":
		h.emu.ResetCounters()
	case "writes":
		n, _ := strconv.Atoi(args[1])
		got := h.emu.Writes()
		if (got == n) == neg {
			ts.Fatalf("emulator saw %d write requests, want %s%d", got, map[bool]string{true: "not ", false: ""}[neg], n)
		}
	case "requests":
		counts := h.emu.RouteCounts()
		routes := make([]string, 0, len(counts))
		for r := range counts {
			routes = append(routes, r)
		}
		sort.Strings(routes)
		for _, r := range routes {
			fmt.Fprintf(ts.Stdout(), "%d %s\n", counts[r], r)
		}
	case "statuses": // emu statuses: requests per answered status, e.g. "3 429"
		counts := map[int]int{}
		for _, rc := range h.emu.Requests() {
			counts[rc.Status] += rc.Count
		}
		statuses := make([]int, 0, len(counts))
		for s := range counts {
			statuses = append(statuses, s)
		}
		sort.Ints(statuses)
		for _, s := range statuses {
			fmt.Fprintf(ts.Stdout(), "%d %d\n", counts[s], s)
		}
	case "dashboard":
		data, folder, version, ok := h.emu.GetDashboard(1, args[1])
		if ok == neg {
			ts.Fatalf("dashboard %s exists: %v", args[1], ok)
		}
		if ok {
			fmt.Fprintf(ts.Stdout(), "folder=%s version=%d\n%s\n", folder, version, data)
		}
	case "folder":
		f, ok := h.emu.GetFolder(1, args[1])
		if ok == neg {
			ts.Fatalf("folder %s exists: %v", args[1], ok)
		}
		if ok {
			fmt.Fprintf(ts.Stdout(), "title=%s parent=%s version=%d createdBy=%s\n", f.Title, f.ParentUID, f.Version, f.CreatedBy)
		}
	case "datasource":
		d, ok := h.emu.GetDatasource(1, args[1])
		if ok == neg {
			ts.Fatalf("datasource %s exists: %v", args[1], ok)
		}
		if ok {
			b, _ := json.Marshal(d)
			fmt.Fprintf(ts.Stdout(), "%s\n", b)
		}
	case "secret":
		v, _ := h.emu.SecretValue(1, args[1], args[2])
		fmt.Fprintf(ts.Stdout(), "%s\n", v)
	case "secret-writes":
		n, _ := strconv.Atoi(args[3])
		if got := h.emu.SecretWrites(1, args[1], args[2]); got != n {
			ts.Fatalf("secret %s of %s written %d times, want %d", args[2], args[1], got, n)
		}
	case "edit-dashboard": // emu edit-dashboard UID key=value...: a hand edit in the UI
		err := h.emu.EditDashboard(1, args[1], func(m map[string]any) {
			for k, v := range keyValues(ts, args[2:]) {
				m[k] = v
			}
		})
		ts.Check(err)
	case "save-as-v2": // emu save-as-v2 UID: a person saves the dashboard in Grafana 13's UI (schema v2)
		ts.Check(h.emu.ConvertDashboardToV2(1, args[1], 0))
	case "stored-as": // emu stored-as UID: the schema Grafana holds ("" printed as v1)
		v := h.emu.DashboardStoredVersion(1, args[1])
		if v == "" {
			v = "v1"
		}
		fmt.Fprintf(ts.Stdout(), "%s\n", v)
	case "annotation", "folder-annotation": // emu annotation UID KEY: a dashboard's (folder's) /apis annotation ("" printed as -)
		get := h.emu.DashboardAnnotations
		if args[0] == "folder-annotation" {
			get = h.emu.FolderAnnotations
		}
		v := get(1, args[1])[args[2]]
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(ts.Stdout(), "%s\n", v)
	case "source": // emu source UID: the dashboard's grafana.app/sourcePath and sourceHash annotations (12.x, 13.x)
		a := h.emu.DashboardAnnotations(1, args[1])
		fmt.Fprintf(ts.Stdout(), "path=%s\nhash=%s\n", a["grafana.app/sourcePath"], a["grafana.app/sourceHash"])
	case "delete-dashboard": // emu delete-dashboard UID: a hand delete in the UI
		ts.Check(h.emu.DeleteDashboard(1, args[1]))
	case "seed-dashboard": // emu seed-dashboard UID title=T [folder=F] [provisioned=true] [managed=true] [library=L]
		model := map[string]any{"uid": args[1], "title": kv["title"], "panels": []any{}}
		if kv["managed"] == "true" {
			model["grafsync"] = map[string]any{"managed": true}
		}
		if kv["library"] != "" { // library=UID: one panel uses that library panel
			model["panels"] = []any{map[string]any{"id": 1, "libraryPanel": map[string]any{"uid": kv["library"], "name": kv["library"]}}}
		}
		_, err := h.emu.SeedDashboard(1, grafanatest.DashboardSpec{JSON: model, FolderUID: kv["folder"], Provisioned: kv["provisioned"] == "true"})
		ts.Check(err)
	case "library": // emu library UID: a library panel, with the dashboards connected to it
		lp, ok := h.emu.GetLibraryElement(1, args[1])
		if ok == neg {
			ts.Fatalf("library panel %s exists: %v", args[1], ok)
		}
		if ok {
			fmt.Fprintf(ts.Stdout(), "name=%s folder=%s version=%d connected=%s\n%s\n", lp.Name, lp.FolderUID, lp.Version, strings.Join(lp.Connected, ","), lp.Model)
		}
	case "edit-library": // emu edit-library UID key=value...: a hand edit of its model in the UI
		ts.Check(h.emu.EditLibraryElement(1, args[1], func(m map[string]any) {
			for k, v := range keyValues(ts, args[2:]) {
				m[k] = v
			}
		}))
	case "seed-library": // emu seed-library UID name=N [folder=F]: a hand-made library panel
		ts.Check(h.emu.SeedLibraryElement(1, grafanatest.LibraryElementSpec{UID: args[1], Name: kv["name"], FolderUID: kv["folder"],
			Model: map[string]any{"type": "stat", "title": kv["name"]}}))
	case "dashboard-permissions": // emu dashboard-permissions UID: one line per entry, "user LOGIN Admin"
		names := map[int]string{1: "View", 2: "Edit", 4: "Admin"}
		for _, p := range h.emu.DashboardPermissions(1, args[1]) {
			switch {
			case p.UserID != 0:
				fmt.Fprintf(ts.Stdout(), "user %s %s\n", h.emu.UserLogin(p.UserID), names[p.Permission])
			case p.TeamID != 0:
				fmt.Fprintf(ts.Stdout(), "team %s %s\n", h.emu.TeamName(1, p.TeamID), names[p.Permission])
			default:
				fmt.Fprintf(ts.Stdout(), "role %s %s\n", p.Role, names[p.Permission])
			}
		}
	case "seed-folder": // emu seed-folder UID title=T [parent=P]
		_, err := h.emu.SeedFolder(1, grafanatest.FolderSpec{UID: args[1], Title: kv["title"], ParentUID: kv["parent"]})
		ts.Check(err)
	case "seed-datasource": // emu seed-datasource UID name=N type=T [url=U] [readonly=true] [managed=true] [jsonkey=K]
		jd := map[string]any{}
		if kv["managed"] == "true" {
			jd["grafsync"] = map[string]any{"managed": true}
		}
		if kv["jsonkey"] != "" { // a jsonData key set by hand in Grafana, value "all"
			jd[kv["jsonkey"]] = "all"
		}
		_, err := h.emu.SeedDatasource(1, grafanatest.DatasourceSpec{UID: args[1], Name: kv["name"], Type: kv["type"], URL: kv["url"], Access: "proxy", ReadOnly: kv["readonly"] == "true", JSONData: jd})
		ts.Check(err)
	case "faults": // emu faults errors=0.1 toomany=0.05 drop=0.05 latency=20ms
		f := grafanatest.Faults{RetryAfter: time.Second}
		f.ErrorRate, _ = strconv.ParseFloat(kv["errors"], 64)
		f.TooManyRate, _ = strconv.ParseFloat(kv["toomany"], 64)
		f.DropRate, _ = strconv.ParseFloat(kv["drop"], 64)
		if kv["latency"] != "" {
			d, err := time.ParseDuration(kv["latency"])
			ts.Check(err)
			f.Latency = d
		}
		if kv["retryafter"] != "" {
			d, err := time.ParseDuration(kv["retryafter"])
			ts.Check(err)
			f.RetryAfter = d
		}
		h.emu.SetFaults(f)
	case "unhealthy": // emu unhealthy UID [message...]: its health check fails
		h.emu.SetHealthFault(args[1], &grafanatest.HealthFault{Message: strings.Join(args[2:], " ")})
	case "stop-replica", "start-replica":
		i, _ := strconv.Atoi(args[1])
		reps := h.emu.Replicas()
		if i >= len(reps) {
			ts.Fatalf("no replica %d", i)
		}
		if args[0] == "stop-replica" {
			reps[i].Stop()
		} else {
			ts.Check(reps[i].Start())
		}
	default:
		if !h.orgCommand(ts, neg, args, kv) && !h.alertingCommand(ts, args, kv) {
			ts.Fatalf("emu: unknown subcommand %q", args[0])
		}
	}
}

// start runs the emulator with replicas on free loopback ports and points
// grafsync at it through GRAFANA_URL and an Admin GRAFANA_TOKEN.
//
//	emu start [version=11] [replicas=1] [seed=1] [lag=2s (12.x and 13.x search lag)]
//	          [nested=on|off (the version's default)] [maxdepth=4 (nested folder levels)] [aws-roles=DIR]
//
// Without version= it imitates the suite's version (TestScripts).
func (h *harness) start(ts *testscript.TestScript, kv map[string]string) {
	if h.emu != nil {
		h.emu.Close() // a script may start a fresh Grafana, e.g. another version
	}
	opts := grafanatest.Options{Seed: 1, Version: h.version}
	if v := kv["version"]; v != "" {
		ver, err := grafanatest.ParseVersion(v)
		ts.Check(err)
		opts.Version = ver
	}
	switch kv["nested"] {
	case "on":
		on := true
		opts.NestedFolders = &on
	case "off":
		off := false
		opts.NestedFolders = &off
	case "":
	default:
		ts.Fatalf("emu start: nested=%s: want on or off", kv["nested"])
	}
	if d := kv["maxdepth"]; d != "" {
		n, err := strconv.Atoi(d)
		ts.Check(err)
		opts.MaxNestedFolderDepth = n
	}
	if l := kv["lag"]; l != "" {
		d, err := time.ParseDuration(l)
		ts.Check(err)
		opts.SearchLag = d
	}
	if s := kv["seed"]; s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		ts.Check(err)
		opts.Seed = n
	}
	if dir := kv["aws-roles"]; dir != "" { // CloudWatch checks against a roles/generated
		aws, err := sandboxAWS(ts.MkAbs(dir), "")
		ts.Check(err)
		opts.AWS = aws
	}
	h.emu = grafanatest.New(opts)
	n := 1
	if r := kv["replicas"]; r != "" {
		n, _ = strconv.Atoi(r)
	}
	var urls []string
	for range n {
		rep, err := h.emu.StartReplica("127.0.0.1:0")
		ts.Check(err)
		urls = append(urls, rep.URL())
	}
	key, err := h.emu.AddServiceAccountToken(1, "grafsync", "Admin")
	ts.Check(err)
	ts.Setenv("GRAFANA_URL", strings.Join(urls, ","))
	ts.Setenv("GRAFANA_TOKEN", key)
}

func keyValues(ts *testscript.TestScript, args []string) map[string]string {
	kv := map[string]string{}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok {
			kv[k] = v
		}
	}
	return kv
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/serve/servetest"
)

// serveProc is a real `grafsync serve` process (the test binary, on $PATH
// as grafsync under testscript.Main) with its stderr log collected.
type serveProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://addr of its endpoints
	serveLog
}

// serveLog is a serve process's stderr, one JSON record a line, as it
// arrives; exited is closed once the process has exited.
type serveLog struct {
	exited chan struct{}

	mu  sync.Mutex
	log []string
}

// follow reads stderr of cmd (started) into l until cmd exits, and sends
// the address of the "serving" record to the channel it returns.
func (l *serveLog) follow(cmd *exec.Cmd, stderr io.Reader) <-chan string {
	l.exited = make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			l.mu.Lock()
			l.log = append(l.log, line)
			l.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
				addr <- rec.Addr
			}
		}
		cmd.Wait()
		close(l.exited)
	}()
	return addr
}

// startServe starts grafsync serve on a free loopback port against emu and
// waits until it listens.
func startServe(t *testing.T, emu *grafanatest.Emulator, repo string, env []string, args ...string) *serveProc {
	t.Helper()
	key, err := emu.AddServiceAccountToken(1, fmt.Sprintf("grafsync-%d", time.Now().UnixNano()), "Admin")
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, r := range emu.Replicas() {
		urls = append(urls, r.URL())
	}
	cmd := exec.Command("grafsync", append([]string{"serve", "--listen", "127.0.0.1:0", "--repo", repo}, args...)...)
	cmd.Env = append(cleanEnv(), append([]string{"GRAFANA_URL=" + strings.Join(urls, ","), "GRAFANA_TOKEN=" + key}, env...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start grafsync serve: %v (is the test binary on $PATH as grafsync? TestMain must use testscript.Main)", err)
	}
	p := &serveProc{t: t, cmd: cmd}
	addr := p.follow(cmd, stderr)
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("grafsync serve (pid %d) log:\n%s", cmd.Process.Pid, p.logText())
		}
	})
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-p.exited:
		t.Fatalf("grafsync serve exited at start:\n%s", p.logText())
	case <-time.After(15 * time.Second):
		t.Fatalf("grafsync serve did not listen within 15s:\n%s", p.logText())
	}
	return p
}

// cleanEnv is the environment without Grafana or grafsync settings.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GRAFANA_") && !strings.HasPrefix(kv, "GRAFSYNC_") {
			out = append(out, kv)
		}
	}
	return out
}

func (p *serveProc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log, "\n")
}

// logged reports whether a log record has msg and, for each k=v in attrs,
// that attribute (compared as text).
func (p *serveProc) logged(msg string, attrs ...string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, line := range p.log {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != msg {
			continue
		}
		ok := true
		for _, a := range attrs {
			k, v, _ := strings.Cut(a, "=")
			ok = ok && fmt.Sprint(rec[k]) == v
		}
		if ok {
			return true
		}
	}
	return false
}

func (p *serveProc) metric(key string) float64 {
	return servetest.Scrape(p.t, p.base+"/metrics")[key]
}

// signal sends sig and waits for the exit, at most limit; it returns the
// exit status and how long the exit took.
func (p *serveProc) signal(sig syscall.Signal, limit time.Duration) (int, time.Duration) {
	p.t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(limit):
		p.t.Fatalf("grafsync serve did not exit within %v of %v", limit, sig)
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeServeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func dashboardTitle(emu *grafanatest.Emulator, uid string) string {
	data, _, _, ok := emu.GetDashboard(1, uid)
	if !ok {
		return ""
	}
	var d struct{ Title string }
	json.Unmarshal(data, &d)
	return d.Title
}

// TestServeSIGTERM: SIGTERM in the middle of an apply lets the writes in
// flight finish, starts no more, and exits 0 well within Fargate's 30s.
func TestServeSIGTERM(t *testing.T) {
	const n = 40
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("dashboards/d%02d.json", i)] = fmt.Sprintf(`{"uid": "d%02d", "title": "Dashboard %d", "panels": []}`, i, i)
	}
	repo := writeServeRepo(t, files)
	emu, _ := grafanatest.Start(t, grafanatest.Options{Seed: 1})
	emu.SetFaults(grafanatest.Faults{Latency: 100 * time.Millisecond})
	p := startServe(t, emu, repo, nil, "--interval", "1h")

	waitUntil(t, "the apply to start", func() bool { return emu.Writes() > 0 })
	code, took := p.signal(syscall.SIGTERM, 10*time.Second)
	t.Logf("exited %d in %v after SIGTERM, with %d of %d dashboards written", code, took.Round(time.Millisecond), emu.Writes(), n)
	if code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	if w := emu.Writes(); w >= n {
		t.Errorf("%d writes: the run was not interrupted (want fewer than %d)", w, n)
	}
	if !p.logged("run", "result=interrupted") || !p.logged("stopped") {
		t.Errorf("want an interrupted run and a stop in the log")
	}
	if p.logged("change failed") {
		t.Errorf("a write in flight was cut off instead of finishing")
	}
}

// TestServeLock: two replicas share a PostgreSQL lock; one syncs, the other
// waits on standby, and takes over when the first is killed.
func TestServeLock(t *testing.T) {
	dsn := servetest.Postgres(t)
	repo := writeServeRepo(t, map[string]string{
		"dashboards/ecs.json": `{"uid": "ecs", "title": "ECS", "panels": []}`,
	})
	emu, _ := grafanatest.Start(t, grafanatest.Options{Seed: 1})
	env := []string{"GRAFSYNC_LOCK_DSN=" + dsn}
	args := []string{"--interval", "100ms", "--lock-retry", "100ms"}
	const (
		held = "grafsync_lock_held"
		runs = `grafsync_runs_total{result="success"}`
	)

	a := startServe(t, emu, repo, env, args...)
	waitUntil(t, "replica A to take the lock and sync", func() bool { return a.metric(held) == 1 && a.metric(runs) >= 1 })
	b := startServe(t, emu, repo, env, args...)
	waitUntil(t, "replica B on standby", func() bool { return b.logged("another replica holds the lock; waiting on standby") })
	runsA := a.metric(runs)
	waitUntil(t, "three more runs of A", func() bool { return a.metric(runs) >= runsA+3 })
	if n, h := b.metric(runs)+b.metric(`grafsync_runs_total{result="failure"}`), b.metric(held); n != 0 || h != 0 {
		t.Fatalf("replica B on standby: %v runs, lock held %v; want 0, 0", n, h)
	}

	if code, _ := a.signal(syscall.SIGKILL, 10*time.Second); code != -1 {
		t.Errorf("replica A after SIGKILL: exit status %d, want -1 (killed)", code)
	}
	if err := emu.EditDashboard(1, "ecs", func(m map[string]any) { m["title"] = "Edited by hand" }); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	waitUntil(t, "replica B to take over", func() bool { return b.metric(held) == 1 })
	t.Logf("replica B took the lock %v after A was killed (--lock-retry 100ms)", time.Since(killed).Round(time.Millisecond))
	waitUntil(t, "replica B to revert the hand edit", func() bool { return dashboardTitle(emu, "ecs") == "ECS" })
	if code, _ := b.signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Errorf("replica B after SIGTERM: exit status %d, want 0", code)
	}
}

// TestHealthcheckCommand: grafsync healthcheck exits 0 on a 2xx and 1
// otherwise (what an ECS container health check sees).
func TestHealthcheckCommand(t *testing.T) {
	repo := writeServeRepo(t, map[string]string{"dashboards/ecs.json": `{"uid": "ecs", "title": "ECS", "panels": []}`})
	emu, _ := grafanatest.Start(t, grafanatest.Options{Seed: 1})
	p := startServe(t, emu, repo, nil, "--interval", "1h")
	waitUntil(t, "the first run", func() bool { return p.metric(`grafsync_runs_total{result="success"}`) == 1 })
	tests := []struct {
		url  string
		code int
	}{
		{p.base + "/healthz", 0},
		{p.base + "/readyz", 0},
		{p.base + "/nothing-here", 1},
		{"http://127.0.0.1:1/healthz", 1},
	}
	for _, tt := range tests {
		out, err := exec.Command("grafsync", "healthcheck", "--url", tt.url, "--timeout", "2s").CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tt.code {
			t.Errorf("grafsync healthcheck --url %s: exit %d, want %d\n%s", tt.url, code, tt.code, out)
		}
	}
}

package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/grafsync/grafsync/internal/serve/servetest"
)

// scriptServe is the grafsync serve process a script started.
type scriptServe struct {
	cmd  *exec.Cmd
	base string
	serveLog
}

// serveEnv are the script variables a serve process gets (with the test
// process's environment but its GRAFANA_ and GRAFSYNC_ variables).
var serveEnv = []string{"GRAFSYNC_WEBHOOK_SECRET", "GRAFSYNC_TRIGGER_TOKEN", "GRAFSYNC_CACHE_DIR", "HOME"}

// cmdServe runs grafsync serve as a real process in the background:
//
//	serve start ARGS...            # grafsync serve --listen 127.0.0.1:0 ARGS... in $WORK; waits until it listens
//	serve webhook SECRET REF       # POST a GitHub push to REF signed with SECRET; prints "STATUS body"
//	serve trigger TOKEN            # POST /trigger with the bearer token; prints "STATUS body"
//	serve wait-metric SERIES VALUE # until /metrics has SERIES (labels sorted) at VALUE, at most 15s
//	serve readyz [QUERY]           # GET /readyz?QUERY; prints "STATUS body"
//	serve stop                     # SIGTERM; fails unless it exits 0 within 10s
//	serve log                      # its stderr so far, on stdout
//
// URL_i and TOKEN_i (fleetemu start) and serveEnv pass through.
func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: serve start ARGS... | webhook SECRET REF | trigger TOKEN | wait-metric SERIES VALUE | readyz [QUERY] | stop | log")
	}
	h := harnessOf(ts)
	if args[0] == "start" {
		h.serve = startScriptServe(ts, args[1:])
		return
	}
	p := h.serve
	if p == nil {
		ts.Fatalf("serve %s: run serve start first", args[0])
	}
	switch args[0] {
	case "webhook":
		body := fmt.Sprintf(`{"ref": %q, "after": "0000000"}`, args[2])
		mac := hmac.New(sha256.New, []byte(args[1]))
		mac.Write([]byte(body))
		p.post(ts, "/webhook/github", body, map[string]string{"X-GitHub-Event": "push", "Content-Type": "application/json",
			"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(mac.Sum(nil))})
	case "trigger":
		p.post(ts, "/trigger", "", map[string]string{"Authorization": "Bearer " + args[1]})
	case "readyz":
		q := ""
		if len(args) > 1 {
			q = "?" + args[1]
		}
		resp, err := http.Get(p.base + "/readyz" + q)
		ts.Check(err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(ts.Stdout(), "%d %s", resp.StatusCode, b)
	case "wait-metric":
		want, err := strconv.ParseFloat(args[2], 64)
		ts.Check(err)
		var got float64
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			m, err := servetest.ScrapeErr(p.base + "/metrics")
			ts.Check(err)
			v, ok := m[args[1]]
			if got = v; !ok {
				got = -1
			}
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s is %v after 15s, want %v (-1: absent)\nlog:\n%s", args[1], got, want, p.logText())
			}
		}
	case "stop":
		ts.Check(p.cmd.Process.Signal(syscall.SIGTERM))
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			ts.Fatalf("grafsync serve did not stop within 10s of SIGTERM")
		}
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			ts.Fatalf("grafsync serve exited %d after SIGTERM, want 0\n%s", code, p.logText())
		}
	case "log":
		fmt.Fprintln(ts.Stdout(), p.logText())
	default:
		ts.Fatalf("serve %s: unknown", args[0])
	}
}

func startScriptServe(ts *testscript.TestScript, args []string) *scriptServe {
	cmd := exec.Command("grafsync", append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = cleanEnv()
	names := slices.Clone(serveEnv)
	for i := 1; i <= 9; i++ {
		names = append(names, fmt.Sprintf("URL_%d", i), fmt.Sprintf("TOKEN_%d", i))
	}
	for _, n := range names {
		if v := ts.Getenv(n); v != "" {
			cmd.Env = append(cmd.Env, n+"="+v)
		}
	}
	stderr, err := cmd.StderrPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	p := &scriptServe{cmd: cmd}
	addr := p.follow(cmd, stderr)
	ts.Defer(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-p.exited:
		ts.Fatalf("grafsync serve exited at start:\n%s", p.logText())
	case <-time.After(15 * time.Second):
		ts.Fatalf("grafsync serve did not listen within 15s:\n%s", p.logText())
	}
	return p
}

func (p *scriptServe) post(ts *testscript.TestScript, path, body string, header map[string]string) {
	req, err := http.NewRequest(http.MethodPost, p.base+path, strings.NewReader(body))
	ts.Check(err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Fprintf(ts.Stdout(), "%d %s", resp.StatusCode, b)
}

func (p *scriptServe) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log, "\n")
}

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// grafsync sandbox --instances 3 as a user runs it: three independent
// emulators, an instances: block that works as printed, and state that is
// each instance's own.
func TestSandboxFleetProcess(t *testing.T) {
	cmd, stdout := startSandbox(t, "--instances", "3")
	var block, exports strings.Builder
	sc := bufio.NewScanner(stdout)
	inBlock := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Stop them with"):
		case line == "instances:":
			inBlock = true
		case line == "":
			inBlock = false
		case strings.HasPrefix(line, "export "):
			exports.WriteString(strings.TrimPrefix(line, "export ") + "\n")
		}
		if inBlock {
			block.WriteString(line + "\n")
		}
		if strings.HasPrefix(line, "Stop them with") {
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	env := strings.Fields(exports.String())
	if len(env) != 3 || strings.Count(block.String(), "- name: sandbox-") != 3 {
		t.Fatalf("cannot read 3 instances and their tokens from:\n%s\n%s", block.String(), exports.String())
	}

	repo := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(repo, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("grafsync.yaml", block.String())
	write("dashboards/t.json", `{"uid": "t", "title": "Tenant ${fleet.tenant}", "panels": []}`)
	// The block's labels work with --selector as printed: only sandbox-1
	// is gold.
	sel := exec.Command("grafsync", "plan", "--repo", repo, "--selector", "tier=gold", "--log-level", "warn")
	sel.Env = append(os.Environ(), env...)
	if out, err := sel.CombinedOutput(); err != nil || !regexp.MustCompile(`(?m)^sandbox-1 `).Match(out) || regexp.MustCompile(`(?m)^sandbox-[23] `).Match(out) {
		t.Fatalf("plan --selector tier=gold: %v, want sandbox-1 alone:\n%s", err, out)
	}
	apply := exec.Command("grafsync", "apply", "--repo", repo, "--instance", "sandbox-1,sandbox-3")
	apply.Env = append(os.Environ(), env...)
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	urls := regexp.MustCompile(`url: (http://\S+)`).FindAllStringSubmatch(block.String(), -1)
	for i, want := range []string{"Tenant sandbox-1", "", "Tenant sandbox-3"} {
		token := strings.SplitN(env[i], "=", 2)[1]
		req, _ := http.NewRequest("GET", urls[i][1]+"/api/dashboards/uid/t", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Dashboard map[string]any }
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		title, _ := got.Dashboard["title"].(string)
		if title != want {
			t.Errorf("instance %d: dashboard title %q (status %d), want %q", i+1, title, resp.StatusCode, want)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sandbox stopped by SIGTERM: %v, want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop within 10 s of SIGTERM")
	}
}

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startSandbox starts grafsync sandbox on loopback port 0 with args as a
// separate process, killed when the test ends, and returns its stdout.
func startSandbox(t *testing.T, args ...string) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command("grafsync", append([]string{"sandbox", "--listen", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, stdout
}

// grafsync sandbox as a user runs it: a real process serving HTTP on
// loopback, printing its URLs and token, stopped by SIGTERM with status 0.
func TestSandboxProcess(t *testing.T) {
	cmd, stdout := startSandbox(t, "--replicas", "2", "--token", "--grafana-version", "12")

	var banner strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Stop it with") {
			break
		}
	}
	out := banner.String()
	for _, want := range []string{"in-memory emulator of the Grafana 12.2.0 HTTP API", "It is not a real Grafana", "replica 0: http://127.0.0.1:", "replica 1: http://127.0.0.1:", "token (Admin, org 1): glsa_"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	urls := regexp.MustCompile(`replica \d: (http://\S+)`).FindAllStringSubmatch(out, -1)
	token := regexp.MustCompile(`glsa_\S+`).FindString(out)
	if len(urls) != 2 || token == "" {
		t.Fatalf("cannot read URLs and token from:\n%s", out)
	}
	// Both replicas serve one state; the token works on each.
	for _, u := range urls {
		req, _ := http.NewRequest("GET", u[1]+"/api/user", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var user map[string]any
		json.NewDecoder(resp.Body).Decode(&user)
		resp.Body.Close()
		if resp.StatusCode != 200 || user["login"] != "sa-1-sandbox" {
			t.Errorf("%s/api/user: %d %v", u[1], resp.StatusCode, user)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { io.Copy(io.Discard, stdout); done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sandbox stopped by SIGTERM: %v, want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop within 10 s of SIGTERM")
	}
}

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// Fargate stops a task with SIGTERM and kills it 30 s later: grafsync must
// finish the requests in flight, stop, and exit 143 well within that (design:
// 10 s). Grafana is left consistent, so the next apply converges.
func TestSIGTERMDuringApply(t *testing.T) {
	emu, rep := grafanatest.Start(t, grafanatest.Options{Faults: grafanatest.Faults{Latency: 50 * time.Millisecond}})
	token, err := emu.AddServiceAccountToken(1, "grafsync", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	const n = 40
	for i := range n {
		dir := filepath.Join(repo, "dashboards", fmt.Sprintf("team%d", i%4))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf(`{"uid": "d%02d", "title": "Dashboard %02d", "panels": []}`, i, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("d%02d.json", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	grafsync := func(args ...string) *exec.Cmd {
		cmd := exec.Command("grafsync", append(args, "--repo", repo, "--log-level", "warn")...)
		cmd.Env = append(os.Environ(), "GRAFANA_URL="+rep.URL(), "GRAFANA_TOKEN="+token, "GRAFANA_USER=", "GRAFANA_PASSWORD=")
		return cmd
	}

	var stdout, stderr bytes.Buffer
	cmd := grafsync("apply")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// 44 creates at 4 in flight and 50 ms each, after a plan of several
	// round trips: the apply is well under way, and far from done, at 300 ms.
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	err = cmd.Wait()
	took := time.Since(signalled)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 143 {
		t.Errorf("apply exited with %v, want status 143\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	if took > 10*time.Second {
		t.Errorf("apply took %v to exit after SIGTERM, want at most 10s", took)
	}
	t.Logf("exited %v after SIGTERM; %d of %d dashboards created", took, len(emu.DashboardUIDs(1)), n)
	if !bytes.Contains(stderr.Bytes(), []byte("interrupted by SIGTERM")) {
		t.Errorf("stderr does not say why it stopped:\n%s", &stderr)
	}
	if got := len(emu.DashboardUIDs(1)); got == n {
		t.Errorf("all %d dashboards were created before the signal: it fell after the apply", n)
	}

	// Grafana was left consistent: the next apply converges, and the
	// re-plan is empty.
	if out, err := grafsync("apply").CombinedOutput(); err != nil {
		t.Fatalf("second apply: %v\n%s", err, out)
	}
	if out, err := grafsync("plan", "--detailed-exitcode").CombinedOutput(); err != nil {
		t.Fatalf("re-plan after the second apply: %v\n%s", err, out)
	}
	if got := len(emu.DashboardUIDs(1)); got != n {
		t.Errorf("%d dashboards after the second apply, want %d", got, n)
	}
}

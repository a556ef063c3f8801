package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/normalize"
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
	t.Logf("exited %v after SIGTERM; %d of %d dashboards created", took, repoDashboards(emu), n)
	if !bytes.Contains(stderr.Bytes(), []byte("interrupted by SIGTERM")) {
		t.Errorf("stderr does not say why it stopped:\n%s", &stderr)
	}
	if got := repoDashboards(emu); got == n {
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
	if got := repoDashboards(emu); got != n {
		t.Errorf("%d dashboards after the second apply, want %d", got, n)
	}
}

// slowRepo is a repository that takes tens of seconds to load while every
// file stays within grafsync's limits: YAML dashboards whose aliases expand
// each to about 560,000 values (6 levels of 8). Loading must stop on a
// signal, not after the last file.
func slowRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	dir := filepath.Join(repo, "dashboards")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		var b bytes.Buffer
		fmt.Fprintf(&b, "uid: slow%02d\ntitle: Slow %02d\na0: &a0 [lol]\n", i, i)
		for l := 1; l <= 6; l++ {
			fmt.Fprintf(&b, "a%d: &a%d [%s]\n", l, l, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", l-1), 8), ", "))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("d%02d.yaml", i)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return repo
}

// TestSignalWhileLoading: SIGTERM or SIGINT while the repository is loading
// stops validate and apply at once (143, 130), and serve within Fargate's
// grace period; loading does not run to the end first.
func TestSignalWhileLoading(t *testing.T) {
	repo := slowRepo(t)
	emu, rep := grafanatest.Start(t, grafanatest.Options{})
	token, err := emu.AddServiceAccountToken(1, "grafsync", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		sig  syscall.Signal
		want int
	}{
		{[]string{"validate"}, syscall.SIGTERM, 143},
		{[]string{"apply"}, syscall.SIGINT, 130},
	} {
		t.Run(tt.args[0], func(t *testing.T) {
			cmd := exec.Command("grafsync", append(tt.args, "--repo", repo)...)
			cmd.Env = append(cleanEnv(), "GRAFANA_URL="+rep.URL(), "GRAFANA_TOKEN="+token)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond) // loading the first files
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			signalled := time.Now()
			err := cmd.Wait()
			took := time.Since(signalled)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tt.want {
				t.Errorf("exited with %v, want status %d\n%s", err, tt.want, &out)
			}
			if took > 5*time.Second {
				t.Errorf("took %v to exit after %v, want at most 5s: loading ignored the signal", took, tt.sig)
			}
			t.Logf("exited %v after %v", took.Round(time.Millisecond), tt.sig)
		})
	}
	if n := len(emu.DashboardUIDs(1)); n != 0 {
		t.Errorf("%d dashboards written by an interrupted run", n)
	}

	t.Run("serve", func(t *testing.T) {
		p := startServe(t, emu, repo, nil, "--interval", "1h")
		time.Sleep(500 * time.Millisecond)
		code, took := p.signal(syscall.SIGTERM, 5*time.Second)
		if code != 0 {
			t.Errorf("exit status %d after SIGTERM, want 0", code)
		}
		t.Logf("serve exited in %v after SIGTERM", took.Round(time.Millisecond))
	})
}

// repoDashboards counts the dashboards in org 1 besides grafsync's
// ownership ledger.
func repoDashboards(emu *grafanatest.Emulator) int {
	n := 0
	for _, uid := range emu.DashboardUIDs(1) {
		if uid != normalize.LedgerUID {
			n++
		}
	}
	return n
}

package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// --timeout bounds the whole run, fetching the repository included: a Git
// server that never answers is given up on.
func TestTimeoutBoundsTheFetch(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) })
	t.Setenv("GRAFSYNC_CACHE_DIR", t.TempDir())
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"plan", "--sandbox", "--repo", srv.URL + "/repo.git", "--timeout", "200ms", "--log-level", "error"}, nil, &stdout, &stderr)
	}()
	select {
	case code := <-done:
		if code != exitError || !strings.Contains(stderr.String(), "deadline exceeded") {
			t.Errorf("exit %d, stderr %q; want 1 and the deadline named", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("plan --timeout 200ms still fetching after 10s")
	}
}

// A replica that accepts connections and never answers: plan fails over to
// the healthy one after --request-timeout, succeeds, and says why in its log.
func TestPlanFailsOverFromSilentReplica(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	_, live := grafanatest.Start(t, grafanatest.Options{})
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "dashboards"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "dashboards", "home.json"), []byte(`{"uid": "home", "title": "Home", "panels": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GRAFANA_USER", "admin")
	t.Setenv("GRAFANA_PASSWORD", "admin")
	t.Setenv("GRAFANA_TOKEN", "")
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"plan", "--repo", repo, "--grafana-url", "http://" + ln.Addr().String() + "," + live.URL(),
			"--request-timeout", "300ms", "--timeout", "20s"}, nil, &stdout, &stderr)
	}()
	select {
	case code := <-done:
		if code != exitOK || !strings.Contains(stdout.String(), "+ dashboard home") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("plan still running after 30s")
	}
	log := stderr.String()
	if n := strings.Count(log, "did not answer"); n != 1 || !strings.Contains(log, `"skip_for":"30s"`) || !strings.Contains(log, `"next":"`+live.URL()+`"`) {
		t.Errorf("want one log line saying the replica did not answer, for how long it is skipped, and where requests go:\n%s", log)
	}
}

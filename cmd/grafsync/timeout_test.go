package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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

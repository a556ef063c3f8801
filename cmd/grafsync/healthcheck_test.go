package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// healthcheck succeeds on any 2xx (as README says) and fails on anything
// else, redirects to a non-2xx included.
func TestHealthcheckStatuses(t *testing.T) {
	for _, tt := range []struct {
		status int
		ok     bool
	}{{200, true}, {204, true}, {299, true}, {304, false}, {404, false}, {503, false}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tt.status) }))
		err := runHealthcheck(t.Context(), srv.URL, 2*time.Second, io.Discard)
		if (err == nil) != tt.ok {
			t.Errorf("status %d: error %v, want success %v", tt.status, err, tt.ok)
		}
		srv.Close()
	}
}

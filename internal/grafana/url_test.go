package grafana

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/logtest"
)

// A GRAFANA_URL copied with /api at its end (the API's address) works: the
// suffix is dropped, with a warning saying so.
func TestURLEndingInAPI(t *testing.T) {
	_, rep := grafanatest.Start(t, grafanatest.Options{})
	for _, suffix := range []string{"/api", "/api/"} {
		var logs logtest.Buffer
		c := newTestClient(t, Config{URLs: []string{rep.URL() + suffix}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if id, err := c.Whoami(context.Background()); err != nil || id.Login != "admin" {
			t.Fatalf("GRAFANA_URL ending in %s: %+v, %v", suffix, id, err)
		}
		if got := c.URLs(); len(got) != 1 || got[0] != rep.URL() {
			t.Errorf("GRAFANA_URL ending in %s: URLs %v, want %s", suffix, got, rep.URL())
		}
		if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "ends in /api") {
			t.Errorf("GRAFANA_URL ending in %s: no warning:\n%s", suffix, out)
		}
	}
}

// A URL that answers with an HTML page (a login page of an auth proxy, the
// wrong service) gets an error that says so, not a JSON decoding error.
func TestHTMLAnswer(t *testing.T) {
	for _, ct := range []string{"text/html; charset=utf-8", "application/json", ""} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			w.Write([]byte("<!DOCTYPE html>\n<html><body>Sign in</body></html>"))
		}))
		c := newTestClient(t, Config{URLs: []string{srv.URL}})
		_, err := c.Whoami(context.Background())
		if err == nil || !strings.Contains(err.Error(), "answered with an HTML page, not the Grafana API") || !strings.Contains(err.Error(), "auth proxy") {
			t.Errorf("Content-Type %q: error %v, want one saying an HTML page answered", ct, err)
		}
		_, err = c.Health(context.Background())
		if err == nil || !strings.Contains(err.Error(), "HTML page") {
			t.Errorf("Content-Type %q: health error %v, want one saying an HTML page answered", ct, err)
		}
		srv.Close()
	}
}

package grafana

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// A Grafana URL that redirects must not carry the credentials, or a write's
// body (datasource secrets), to another server, on /api (the openapi
// client) as on /apis (client-go, whose round trippers set the token again
// after net/http drops it on a redirect to another host); and a redirect
// must not turn a write into a GET. Same-origin redirects of the same
// method are followed. The servers are real HTTP on loopback: a front that
// redirects some requests and passes the rest to the emulator, and a trap
// on another port that must receive nothing (redirect.go).
func TestRedirectsStayOnTheHost(t *testing.T) {
	isRead := func(method, path string) func(*http.Request) bool {
		return func(r *http.Request) bool {
			return r.Method == method && r.URL.Path == path && r.URL.Query().Get("moved") == ""
		}
	}
	whoami := func(ctx context.Context, c *Client) error { _, err := c.Whoami(ctx); return err }
	createDS := func(ctx context.Context, c *Client) error {
		_, err := c.CreateDatasource(ctx, DatasourceSpec{UID: "loki", Name: "Loki", Type: "loki", Access: "proxy", URL: "http://loki:3100",
			BasicAuth: true, BasicAuthUser: "u", Secure: map[string]string{"basicAuthPassword": "s3cret-body"}})
		return err
	}
	readState := func(ctx context.Context, c *Client) error { _, err := c.ReadState(ctx, nil, nil); return err }
	tests := []struct {
		name, version string
		redirect      func(*http.Request) bool
		status        int
		toTrap        bool // else to the same path on the front, with ?moved=1
		call          func(context.Context, *Client) error
		wantErr       string // "" when the call succeeds
	}{
		{"/api read to another port", "11", isRead("GET", "/api/user"), http.StatusTemporaryRedirect, true, whoami, "answered GET with a 307 redirect to http://127.0.0.1:"},
		{"/api read moved to another port", "11", isRead("GET", "/api/user"), http.StatusMovedPermanently, true, whoami, "answered GET with a 301 redirect"},
		{"/api write with a secret to another port", "11", isRead("POST", "/api/datasources"), http.StatusPermanentRedirect, true, createDS, "answered POST with a 308 redirect"},
		{"/api write turned into a GET on the same host", "11", isRead("POST", "/api/datasources"), http.StatusFound, false, createDS, "answered POST with a 302 redirect"},
		{"/api write kept a write on the same host", "11", isRead("POST", "/api/datasources"), http.StatusTemporaryRedirect, false, createDS, ""},
		{"/api read on the same host", "11", isRead("GET", "/api/user"), http.StatusMovedPermanently, false, whoami, ""},
		{"/apis discovery to another port", "13", isRead("GET", "/apis"), http.StatusTemporaryRedirect, true, readState, "answered GET with a 307 redirect"},
		{"/apis dashboards to another port", "13", func(r *http.Request) bool {
			return strings.HasPrefix(r.URL.Path, "/apis/dashboard.grafana.app/") && strings.HasSuffix(r.URL.Path, "/dashboards")
		}, http.StatusTemporaryRedirect, true, readState, "answered GET with a 307 redirect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := grafanatest.ParseVersion(tt.version)
			if err != nil {
				t.Fatal(err)
			}
			emu, rep := grafanatest.Start(t, grafanatest.Options{Version: v})
			key, err := emu.AddServiceAccountToken(1, "grafsync", "Admin")
			if err != nil {
				t.Fatal(err)
			}
			var trapHits atomic.Int32
			trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				trapHits.Add(1)
				if r.Header.Get("Authorization") != "" {
					t.Errorf("the trap received credentials on %s %s", r.Method, r.URL)
				}
			}))
			defer trap.Close()
			target, _ := url.Parse(rep.URL())
			proxy := httputil.NewSingleHostReverseProxy(target)
			var redirected atomic.Int32
			var front *httptest.Server
			front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !tt.redirect(r) {
					proxy.ServeHTTP(w, r)
					return
				}
				redirected.Add(1)
				to := trap.URL + r.URL.Path
				if !tt.toTrap {
					to = front.URL + r.URL.Path + "?moved=1"
				}
				http.Redirect(w, r, to, tt.status)
			}))
			defer front.Close()
			c := newTestClient(t, Config{URLs: []string{front.URL}, Token: key})
			err = tt.call(t.Context(), c)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("a same-origin redirect of the same method is followed: %v", err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "does not follow it") {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "s3cret") {
					t.Errorf("the error holds a secret: %v", err)
				}
				if n := redirected.Load(); n != 1 {
					t.Errorf("the redirecting request was sent %d times; a refused redirect is not retried", n)
				}
			}
			if n := trapHits.Load(); n != 0 {
				t.Errorf("the other host received %d requests", n)
			}
			if redirected.Load() == 0 {
				t.Error("no request was redirected: the test tested nothing")
			}
		})
	}
}

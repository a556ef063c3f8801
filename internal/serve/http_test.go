package serve

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/reconcile"
	"github.com/grafsync/grafsync/internal/serve/servetest"
)

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// idleServer is a Server whose loop is not running, behind a loopback HTTP
// server: what a request queues stays in s.triggers for the test to see.
func idleServer(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	client, err := grafana.New(grafana.Config{URLs: []string{"http://127.0.0.1:1"}, Token: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	opts.Fetch = func(context.Context) (fs.FS, string, error) { panic("the loop is not running") }
	opts.Inputs = reconcile.Inputs{Client: client}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// TestTriggerAuth: only a verified request queues a run; everything else is
// refused or ignored with nothing queued, and no response shows a secret.
func TestTriggerAuth(t *testing.T) {
	const secret, token = "webhook-s3cret", "trigger-t0ken"
	push := `{"ref": "refs/heads/main"}`
	other := `{"ref": "refs/heads/feature"}`
	tests := []struct {
		name   string
		path   string
		body   string
		header map[string]string
		code   int
		queued bool
	}{
		{"signed push to the watched branch", "/webhook/github", push,
			map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(secret, push)}, 202, true},
		{"push signed with another secret", "/webhook/github", push,
			map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": sign("guess", push)}, 401, false},
		{"signature of another body", "/webhook/github", push,
			map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(secret, other)}, 401, false},
		{"no signature", "/webhook/github", push,
			map[string]string{"X-GitHub-Event": "push"}, 401, false},
		{"sha1 signature only", "/webhook/github", push,
			map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature": "sha1=0000"}, 401, false},
		{"signature not hex", "/webhook/github", push,
			map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=zz"}, 401, false},
		{"signed push to another branch", "/webhook/github", other,
			map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(secret, other)}, 202, false},
		{"signed ping", "/webhook/github", `{"zen": "x"}`,
			map[string]string{"X-GitHub-Event": "ping", "X-Hub-Signature-256": sign(secret, `{"zen": "x"}`)}, 200, false},
		{"signed issue event", "/webhook/github", push,
			map[string]string{"X-GitHub-Event": "issues", "X-Hub-Signature-256": sign(secret, push)}, 202, false},
		{"bearer token", "/trigger", "", map[string]string{"Authorization": "Bearer " + token}, 202, true},
		{"wrong token", "/trigger", "", map[string]string{"Authorization": "Bearer " + token + "x"}, 401, false},
		{"token prefix", "/trigger", "", map[string]string{"Authorization": "Bearer " + token[:5]}, 401, false},
		{"basic auth", "/trigger", "", map[string]string{"Authorization": "Basic " + token}, 401, false},
		{"no token", "/trigger", "", nil, 401, false},
	}
	s, base := idleServer(t, Options{WebhookSecret: secret, TriggerToken: token, Ref: "main"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, base+tt.path, tt.body, tt.header)
			queued := false
			select {
			case <-s.triggers:
				queued = true
			default:
			}
			if code != tt.code || queued != tt.queued {
				t.Errorf("status %d, queued %v; want %d, %v (body %q)", code, queued, tt.code, tt.queued, body)
			}
			if strings.Contains(body, secret) || strings.Contains(body, token) {
				t.Errorf("the response shows a secret: %q", body)
			}
		})
	}
	got := servetest.Scrape(t, base+"/metrics")
	want := map[string]float64{
		`grafsync_triggers_total{result="accepted",source="webhook"}`: 1,
		`grafsync_triggers_total{result="rejected",source="webhook"}`: 5,
		`grafsync_triggers_total{result="ignored",source="webhook"}`:  2,
		`grafsync_triggers_total{result="accepted",source="api"}`:     1,
		`grafsync_triggers_total{result="rejected",source="api"}`:     4,
	}
	if diff := cmp.Diff(want, servetest.Pick(got, want)); diff != "" {
		t.Errorf("trigger metrics (-want +got):\n%s", diff)
	}
}

// TestTriggersDisabled: without a secret or token the endpoints refuse
// everything, whatever the request carries.
func TestTriggersDisabled(t *testing.T) {
	s, base := idleServer(t, Options{})
	for _, path := range []string{"/webhook/github", "/trigger"} {
		code, _ := post(t, base+path, "{}", map[string]string{
			"X-GitHub-Event": "push", "X-Hub-Signature-256": sign("", "{}"), "Authorization": "Bearer "})
		if code != http.StatusNotFound || len(s.triggers) != 0 {
			t.Errorf("%s: status %d, %d queued; want 404, none", path, code, len(s.triggers))
		}
	}
	resp, err := http.Get(base + "/trigger")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /trigger: %d, want 405", resp.StatusCode)
	}
}

// TestTriggersCoalesce: triggers that arrive before the loop takes one are
// one run.
func TestTriggersCoalesce(t *testing.T) {
	s, _ := idleServer(t, Options{})
	for range 3 {
		s.Trigger("api")
	}
	if n := len(s.triggers); n != 1 {
		t.Errorf("%d triggers queued, want 1", n)
	}
}

func TestValidSignature(t *testing.T) {
	body := []byte(`{"ref":"refs/heads/main"}`)
	good := sign("s", string(body))
	tests := []struct {
		header string
		want   bool
	}{
		{good, true},
		{strings.ToUpper(good[:7]) + good[7:], false}, // the prefix is exact
		{good[:len(good)-2], false},
		{"sha256=", false},
		{"", false},
		{strings.TrimPrefix(good, "sha256="), false},
	}
	for _, tt := range tests {
		if got := validSignature("s", tt.header, body); got != tt.want {
			t.Errorf("validSignature(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestRefMatches(t *testing.T) {
	tests := []struct {
		watched, pushed string
		want            bool
	}{
		{"", "refs/heads/anything", true},
		{"main", "refs/heads/main", true},
		{"refs/heads/main", "refs/heads/main", true},
		{"v1.2", "refs/tags/v1.2", true},
		{"main", "refs/heads/main-old", false},
		{"main", "refs/heads/feature", false},
		{"0123abcd", "refs/heads/main", false},
	}
	for _, tt := range tests {
		if got := refMatches(tt.watched, tt.pushed); got != tt.want {
			t.Errorf("refMatches(%q, %q) = %v, want %v", tt.watched, tt.pushed, got, tt.want)
		}
	}
}

func TestDelay(t *testing.T) {
	const min = time.Minute
	tests := []struct {
		name     string
		failures int
		jitter   float64
		r        float64
		want     time.Duration
	}{
		{"healthy", 0, 0, 0, 5 * min},
		{"one failure doubles", 1, 0, 0, 10 * min},
		{"capped", 2, 0, 0, 15 * min},
		{"many failures stay capped", 1000, 0, 0, 15 * min},
		{"jitter adds up to its share", 0, 0.1, 0.5, 5*min + 15*time.Second},
		{"jitter on the cap", 5, 0.1, 0.99, 15*min + time.Duration(float64(15*min)*0.099)},
	}
	for _, tt := range tests {
		if got := delay(5*min, 15*min, tt.failures, tt.jitter, tt.r); got != tt.want {
			t.Errorf("%s: delay = %v, want %v", tt.name, got, tt.want)
		}
	}
}

package serve

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxWebhookBody is GitHub's cap on a webhook payload (25 MB).
const maxWebhookBody = 25 << 20

// Trigger sources, the values of grafsync_triggers_total's source label.
const (
	sourceWebhook = "webhook"
	sourceAPI     = "api"
)

// Handler serves /healthz, /readyz, /metrics, POST /webhook/github and
// POST /trigger.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.m.Registry, promhttp.HandlerOpts{Registry: s.m.Registry}))
	mux.HandleFunc("POST /webhook/github", githubWebhook(s.opts.WebhookSecret, s.opts.Ref, s))
	mux.HandleFunc("POST /trigger", apiTrigger(s.opts.TriggerToken, s))
	return mux
}

// triggerSink is what the trigger endpoints report to: the single-Grafana
// Server and the FleetServer, each with its own way to queue a run.
type triggerSink interface {
	// accept queues a run and answers 202.
	accept(w http.ResponseWriter, r *http.Request, source string)
	// refuse answers 401: nothing is queued.
	refuse(w http.ResponseWriter, r *http.Request, source, why string)
	// ignore answers 202 for an authentic request that runs nothing.
	ignore(w http.ResponseWriter, r *http.Request, source, why string)
}

// readyz is 200 when the last run succeeded (or this replica waits on
// standby behind the lock) and Grafana answers its health check; 503
// otherwise. The body says why in a few words; details are in the logs,
// never in the response.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ok, why := s.ready(r.Context())
	if !ok {
		http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready:", why)
}

func (s *Server) ready(ctx context.Context) (bool, string) {
	s.mu.Lock()
	st := s.status
	s.mu.Unlock()
	why := "the last run succeeded"
	switch {
	case st.lockErr:
		return false, "the lock's database cannot be reached"
	case st.standby:
		why = "standby: another replica holds the lock"
	case !st.ran:
		return false, "no run has finished yet"
	case !st.lastOK:
		return false, "the last run failed"
	}
	hctx, cancel := context.WithTimeout(ctx, s.opts.ReadyTimeout)
	defer cancel()
	if _, err := s.opts.Inputs.Client.Health(hctx); err != nil {
		return false, "grafana does not answer its health check"
	}
	return true, why
}

// githubWebhook queues a run for a GitHub push to ref ("" any ref). The
// signature is checked over the raw body before anything else is looked at.
func githubWebhook(secret, ref string, s triggerSink) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { githubPush(w, r, secret, ref, s) }
}

func githubPush(w http.ResponseWriter, r *http.Request, secret, ref string, s triggerSink) {
	if secret == "" {
		http.Error(w, "the GitHub webhook is disabled: set GRAFSYNC_WEBHOOK_SECRET", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	if !validSignature(secret, r.Header.Get("X-Hub-Signature-256"), body) {
		s.refuse(w, r, sourceWebhook, "bad or missing X-Hub-Signature-256")
		return
	}
	switch event := r.Header.Get("X-GitHub-Event"); event {
	case "ping":
		fmt.Fprintln(w, "pong")
		return
	case "push":
	default:
		s.ignore(w, r, sourceWebhook, fmt.Sprintf("event %q is not a push", event))
		return
	}
	var push struct {
		Ref string `json:"ref"`
	}
	if err := json.Unmarshal(body, &push); err != nil {
		http.Error(w, "the push payload is not JSON: set the webhook's content type to application/json", http.StatusBadRequest)
		return
	}
	if !refMatches(ref, push.Ref) {
		s.ignore(w, r, sourceWebhook, fmt.Sprintf("push to %s, not to %s", push.Ref, ref))
		return
	}
	s.accept(w, r, sourceWebhook)
}

// apiTrigger queues a run for a caller holding the trigger token ("":
// the endpoint is disabled).
func apiTrigger(want string, s triggerSink) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if want == "" {
			http.Error(w, "the trigger endpoint is disabled: set GRAFSYNC_TRIGGER_TOKEN", http.StatusNotFound)
			return
		}
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !equalSecret(token, want) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="grafsync"`)
			s.refuse(w, r, sourceAPI, "bad or missing bearer token")
			return
		}
		s.accept(w, r, sourceAPI)
	}
}

func (s *Server) accept(w http.ResponseWriter, r *http.Request, source string) {
	s.m.triggers.WithLabelValues(source, triggerAccepted).Inc()
	s.Trigger(source)
	s.mu.Lock()
	standby := s.status.standby
	s.mu.Unlock()
	s.log.Debug("trigger accepted", "source", source, "remote", r.RemoteAddr, "standby", standby)
	w.WriteHeader(http.StatusAccepted)
	if standby {
		fmt.Fprintln(w, "accepted; this replica is on standby: the replica holding the lock syncs at its next interval")
		return
	}
	fmt.Fprintln(w, "accepted; a run is queued")
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, source, why string) {
	refuseTrigger(w, r, s.m.triggers, s.log, source, why)
}

func (s *Server) ignore(w http.ResponseWriter, r *http.Request, source, why string) {
	ignoreTrigger(w, r, s.m.triggers, s.log, source, why)
}

// refuseTrigger answers a trigger without a valid signature or token (401),
// counted and logged; ignoreTrigger one that asks for nothing to run (202).
// Single and fleet serve answer alike.
func refuseTrigger(w http.ResponseWriter, r *http.Request, triggers *prometheus.CounterVec, log *slog.Logger, source, why string) {
	triggers.WithLabelValues(source, triggerRejected).Inc()
	log.Warn("trigger refused", "source", source, "remote", r.RemoteAddr, "reason", why)
	http.Error(w, why, http.StatusUnauthorized)
}

func ignoreTrigger(w http.ResponseWriter, r *http.Request, triggers *prometheus.CounterVec, log *slog.Logger, source, why string) {
	triggers.WithLabelValues(source, triggerIgnored).Inc()
	log.Debug("trigger ignored", "source", source, "remote", r.RemoteAddr, "reason", why)
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintln(w, "ignored:", why)
}

// validSignature checks GitHub's X-Hub-Signature-256 ("sha256=" and the hex
// HMAC-SHA256 of body under secret) in constant time.
func validSignature(secret, header string, body []byte) bool {
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}

// equalSecret compares two secrets in time independent of their contents
// and lengths.
func equalSecret(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// refMatches reports whether a push to pushed ("refs/heads/main") concerns
// the watched ref ("main", "refs/heads/main", a tag; "" watches all). A
// watched commit never matches: no push moves it.
func refMatches(watched, pushed string) bool {
	if watched == "" {
		return true
	}
	return pushed == watched || pushed == "refs/heads/"+watched || pushed == "refs/tags/"+watched
}

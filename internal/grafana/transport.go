package grafana

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// downFor is how long a replica that refused a connection is skipped.
const downFor = 30 * time.Second

// replicas tracks which replica URLs answer. Requests go to the first replica
// that is not marked down; a failed attempt moves the retry to the next one.
type replicas struct {
	urls []*url.URL
	now  func() time.Time

	mu        sync.Mutex
	downUntil []time.Time
}

func newReplicas(urls []*url.URL) *replicas {
	return &replicas{urls: urls, now: time.Now, downUntil: make([]time.Time, len(urls))}
}

// pick returns the first replica at or after start that is not marked down;
// when all are down, the one whose cool-down ends first (it may be back).
func (r *replicas) pick(start int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	best := start % len(r.urls)
	for i := range r.urls {
		j := (start + i) % len(r.urls)
		if !now.Before(r.downUntil[j]) {
			return j
		}
		if r.downUntil[j].Before(r.downUntil[best]) {
			best = j
		}
	}
	return best
}

func (r *replicas) markDown(i int) {
	r.mu.Lock()
	r.downUntil[i] = r.now().Add(downFor)
	r.mu.Unlock()
}

func (r *replicas) markUp(i int) {
	r.mu.Lock()
	r.downUntil[i] = time.Time{}
	r.mu.Unlock()
}

// index finds the replica a request was sent to.
func (r *replicas) index(u *url.URL) int {
	for i, ru := range r.urls {
		if ru.Host == u.Host {
			return i
		}
	}
	return 0
}

// target points req at replica i, keeping the path the client built.
func (r *replicas) target(req *http.Request, i int) {
	req.URL.Scheme = r.urls[i].Scheme
	req.URL.Host = r.urls[i].Host
	req.Host = r.urls[i].Host
}

// newTransport builds the round tripper every Grafana request goes through:
// replica choice, then retries (go-retryablehttp) over the base transport.
func newTransport(cfg Config, reps *replicas) http.RoundTripper {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: cfg.Transport, Timeout: cfg.Timeout}
	rc.Logger = nil // we log retries ourselves, without URLs' secrets
	rc.RetryMax = cfg.Retry.MaxAttempts - 1
	rc.RetryWaitMin = cfg.Retry.MinWait
	rc.RetryWaitMax = cfg.Retry.MaxWait
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	rc.Backoff = backoff
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		if cfg.OnResponse != nil && ctx.Err() == nil {
			cfg.OnResponse(status)
		}
		if err != nil && ctx.Err() == nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				if u, perr := url.Parse(ue.URL); perr == nil && isRefused(err) {
					i := reps.index(u)
					reps.markDown(i)
					cfg.Logger.Warn("grafana replica refused the connection; skipping it", "replica", reps.urls[i].String(), "for", downFor)
				}
			}
		}
		if retry && ctx.Err() == nil {
			cfg.Logger.Debug("retrying grafana request", "status", status, "error", errString(err))
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return retry, nil
	}
	rc.PrepareRetry = func(req *http.Request) error {
		reps.target(req, reps.pick(reps.index(req.URL)+1))
		return nil
	}
	retrying := &retryablehttp.RoundTripper{Client: rc}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		i := reps.pick(0)
		reps.target(req, i)
		resp, err := retrying.RoundTrip(req)
		if err == nil {
			reps.markUp(reps.index(resp.Request.URL))
			keepErrorBody(resp)
		}
		return resp, err
	})
}

// maxErrorBody bounds how much of an error answer is kept for its message.
const maxErrorBody = 64 << 10

// keepErrorBody buffers an error answer's body so that it survives the
// openapi client closing it. The client decodes the statuses the OpenAPI
// spec lists, and hands any other (e.g. the 409 Grafana 13 answers a stale
// dashboard save with, grafana-source-audit.md row 3) back undecoded, after
// closing the body: wrap then reads Grafana's message from the buffer.
func keepErrorBody(resp *http.Response) {
	if resp.StatusCode < 400 || resp.Body == nil {
		return
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if err != nil {
		b = nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// backoff waits as long as a 429 or 503 asks (Retry-After, capped at hi),
// otherwise a full-jitter exponential backoff: a random wait in
// [lo, lo·2^(attempt+1)], capped at hi. A refused connection (no response)
// retries at once on the next replica.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp == nil {
		return lo
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			return minDuration(time.Duration(s)*time.Second, hi)
		}
		if t, err := http.ParseTime(resp.Header.Get("Retry-After")); err == nil {
			return minDuration(hi, time.Until(t))
		}
	}
	ceiling := lo << min(attempt+1, 20)
	if ceiling < lo || ceiling > hi {
		ceiling = hi
	}
	return lo + time.Duration(rand.Int64N(int64(ceiling-lo)+1))
}

func minDuration(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

// isRefused reports a dial that found nobody listening (a stopped replica).
func isRefused(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

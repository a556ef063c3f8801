package grafana

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unicode"

	"github.com/hashicorp/go-retryablehttp"
)

// downFor is how long a replica that refused a connection or did not
// answer in time is skipped; each further failure after a skip doubles it,
// up to maxDownFor, so a hung replica costs one timeout now and then, not
// one per request.
const (
	downFor    = 30 * time.Second
	maxDownFor = 4 * time.Minute
)

// replicas tracks which replica URLs answer. Requests go to the first replica
// that is not marked down; a failed attempt moves the retry to the next one.
type replicas struct {
	urls []*url.URL
	now  func() time.Time
	log  *slog.Logger

	mu        sync.Mutex
	downUntil []time.Time
	failures  []int // consecutive skips of each replica
}

func newReplicas(urls []*url.URL, log *slog.Logger) *replicas {
	return &replicas{urls: urls, now: time.Now, log: log, downUntil: make([]time.Time, len(urls)), failures: make([]int, len(urls))}
}

// pick returns the first replica at or after start that is not marked down;
// when all are down, the one whose cool-down ends first (it may be back).
func (r *replicas) pick(start int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pickLocked(start)
}

func (r *replicas) pickLocked(start int) int {
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

// markDown skips replica i after a failed attempt (why says how it failed).
// A replica already skipped stays as it is: the requests in flight when it
// failed, and their retries, neither extend the skip nor log again. So the
// log has one line per replica going down, saying which, why, for how
// long and where requests go next.
func (r *replicas) markDown(i int, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Before(r.downUntil[i]) {
		return
	}
	r.failures[i]++
	d := min(downFor<<min(r.failures[i]-1, 8), maxDownFor)
	r.downUntil[i] = now.Add(d)
	next := "no other replica: retrying it with backoff"
	if j := r.pickLocked(i + 1); j != i {
		next = r.urls[j].String()
	}
	r.log.Warn("grafana replica "+why+"; skipping it", "replica", r.urls[i].String(), "skip_for", d.String(), "next", next)
}

// markUp records that replica i answered, and says so when it was skipped.
func (r *replicas) markUp(i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures[i] > 0 {
		r.log.Info("grafana replica answers again", "replica", r.urls[i].String())
	}
	r.downUntil[i] = time.Time{}
	r.failures[i] = 0
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
// replica choice, then retries (go-retryablehttp), each attempt bounded by
// the header timeout, over the base transport.
func newTransport(cfg Config, reps *replicas) http.RoundTripper {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: headerTimeout{base: cfg.Transport, d: cfg.Timeout}, CheckRedirect: checkRedirect}
	rc.Logger = nil // we log retries ourselves, without URLs' secrets
	rc.RetryMax = cfg.Retry.MaxAttempts - 1
	rc.RetryWaitMin = cfg.Retry.MinWait
	rc.RetryWaitMax = cfg.Retry.MaxWait
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	rc.Backoff = backoff
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		retry, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		if isRedirectRefused(err) {
			retry = false
		}
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
				var na *noAnswerError
				if u, perr := url.Parse(ue.URL); perr == nil {
					switch {
					case errors.As(err, &na):
						reps.markDown(reps.index(u), fmt.Sprintf("did not answer (no response within %v)", na.after))
					case isRefused(err):
						reps.markDown(reps.index(u), "refused the connection")
					}
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
		if err != nil {
			// PassthroughErrorHandler may hand back the last response with
			// the error; net/http would log "RoundTripper returned a
			// response & error" on stderr and drop the response anyway.
			if resp != nil {
				resp.Body.Close()
			}
			return nil, err
		}
		reps.markUp(reps.index(resp.Request.URL))
		keepErrorBody(resp)
		return notHTML(resp)
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

// HTMLPageError is a success status whose body is an HTML page: a login
// page of an auth proxy, a redirect to one, or another service than
// Grafana's API at the URL. Grafana's /api answers JSON only.
type HTMLPageError struct {
	URL string // the page's address, without query or credentials
}

func (e *HTMLPageError) Error() string {
	return fmt.Sprintf("GRAFANA_URL answered with an HTML page, not the Grafana API (%s); is it the right URL (Grafana's address, without /api), or is Grafana behind an auth proxy that wants a browser login? Then give grafsync an address that reaches Grafana's API directly", e.URL)
}

// notHTML turns a 2xx response whose body starts with '<' (after white
// space) into an HTMLPageError, whatever its Content-Type says; the body is
// left intact otherwise.
func notHTML(resp *http.Response) (*http.Response, error) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 || resp.Body == nil || resp.Body == http.NoBody {
		return resp, nil
	}
	br := bufio.NewReader(resp.Body)
	for {
		b, err := br.Peek(1)
		if err != nil || !unicode.IsSpace(rune(b[0])) {
			if err == nil && b[0] == '<' {
				resp.Body.Close()
				u := *resp.Request.URL
				u.RawQuery, u.User, u.Fragment = "", nil, ""
				return nil, &HTMLPageError{URL: u.String()}
			}
			break
		}
		br.ReadByte()
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{br, resp.Body}
	return resp, nil
}

// attemptTimeoutKey carries a shorter per-request bound than Config.Timeout
// (health probes wait less; never more).
type attemptTimeoutKey struct{}

func withAttemptTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, attemptTimeoutKey{}, d)
}

// slowAttemptKey carries a longer bound than Config.Timeout for a request
// whose answer legitimately waits on something behind Grafana (a
// datasource health check runs the plugin's own query; never shorter).
type slowAttemptKey struct{}

func withSlowAttempt(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, slowAttemptKey{}, d)
}

// noAnswerError is an attempt that got no response headers in time.
type noAnswerError struct{ after time.Duration }

func (e *noAnswerError) Error() string {
	return fmt.Sprintf("no response within %v; raise --request-timeout if this Grafana is slow rather than down", e.after)
}

// Timeout makes net.Error-aware code (and go-retryablehttp) see a timeout.
func (e *noAnswerError) Timeout() bool { return true }

// headerTimeout bounds one attempt's wait for response headers (dialing
// included) to d, or to the request context's attemptTimeoutKey. The body
// is read under the request's own context: once headers arrive, the timer
// is stopped and the attempt's context lives until the body is closed.
type headerTimeout struct {
	base http.RoundTripper
	d    time.Duration
}

func (h headerTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	d := h.d
	if v, ok := req.Context().Value(attemptTimeoutKey{}).(time.Duration); ok && v > 0 {
		d = min(d, v)
	}
	if v, ok := req.Context().Value(slowAttemptKey{}).(time.Duration); ok {
		d = max(d, v)
	}
	ctx, cancel := context.WithCancel(req.Context())
	timer := time.AfterFunc(d, cancel)
	resp, err := h.base.RoundTrip(req.WithContext(ctx))
	if !timer.Stop() && req.Context().Err() == nil {
		// The timer fired: whatever came back came too late.
		if err == nil {
			resp.Body.Close()
		}
		cancel()
		return nil, &noAnswerError{after: d}
	}
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases the attempt's context with its body.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
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

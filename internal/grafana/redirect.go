package grafana

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// maxRedirects is how many same-origin redirects one request follows (as
// net/http's default policy).
const maxRedirects = 10

// RedirectError is a redirect grafsync refused to follow. Every client
// that speaks to Grafana (the /api client, client-go's for /apis, and the
// retrying client under both) follows a redirect only to the scheme, host
// and port the request was sent to, and only when the method stays the
// same: the request carries the credentials (a bearer token or basic auth,
// which client-go's round trippers would add again after net/http dropped
// them) and, on a write, a body that may hold datasource secrets, so
// neither may reach another server; and a 301/302/303 would turn a write
// into a GET that answers 200 without writing anything.
type RedirectError struct {
	From, To string // scheme://host of the request, and the redirect's target without query or credentials
	Method   string
	Status   int
}

func (e *RedirectError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("grafana at %s redirected %s more than %d times; set the Grafana URL to the address Grafana answers at", e.From, e.Method, maxRedirects)
	}
	return fmt.Sprintf("grafana at %s answered %s with a %d redirect to %s; grafsync does not follow it (it follows a redirect only to the same scheme, host and port with the same method, so that credentials and request bodies never reach another server): set the Grafana URL to the address Grafana answers at",
		e.From, e.Method, e.Status, e.To)
}

// checkRedirect is every Grafana client's http.Client.CheckRedirect.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	from := (&url.URL{Scheme: first.URL.Scheme, Host: first.URL.Host}).String()
	if len(via) >= maxRedirects {
		return &RedirectError{From: from, Method: first.Method}
	}
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	if req.URL.Scheme != first.URL.Scheme || req.URL.Host != first.URL.Host || req.Method != first.Method {
		to := *req.URL
		to.User, to.RawQuery, to.Fragment = nil, "", ""
		return &RedirectError{From: from, To: to.String(), Method: first.Method, Status: status}
	}
	return nil
}

// isRedirectRefused reports a refused redirect, which no retry changes.
func isRedirectRefused(err error) bool {
	var re *RedirectError
	return errors.As(err, &re)
}

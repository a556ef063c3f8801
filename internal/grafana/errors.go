package grafana

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-openapi/runtime"
	"github.com/grafana/grafana-openapi-client-go/models"
)

// APIError is an answer from Grafana other than success. Callers branch on
// Status (and Reason, Grafana's "status" field such as "version-mismatch");
// Message is Grafana's own text.
type APIError struct {
	Op      string // what grafsync was doing, e.g. "save dashboard platform/ecs"
	Status  int
	Reason  string
	Message string
	// Credentials names where the client's credentials come from, for the
	// hint of a 401 ("SANDBOX_TOKEN_2 (instance sandbox-2's token)");
	// empty: the process's GRAFANA_TOKEN or GRAFANA_USER and
	// GRAFANA_PASSWORD. A fleet sets it on the error an instance returns.
	Credentials string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: grafana answered %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if hint := e.hint(); hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

// hint says what to do about the statuses a user can fix.
func (e *APIError) hint() string {
	switch {
	case e.Status == http.StatusUnauthorized && e.Credentials != "":
		return "check " + e.Credentials + "; a token only works for the org it was made in"
	case e.Status == http.StatusBadRequest && strings.Contains(e.Message, "Cannot save provisioned dashboard"):
		return "the dashboard is provisioned from files in Grafana, or locked by a manager: a dashboard grafsync wrote with --lock-dashboards on Grafana 12 or later (grafana.app/managerAllowsEdits=false) cannot be saved through /api; drop --grafana-api legacy so that grafsync writes it through /apis (apply without --lock-dashboards also unlocks it)"
	case e.Status == http.StatusUnauthorized && strings.Contains(e.Message, orgMismatch):
		return "the service-account token belongs to another org than the one asked for with --org-id or in grafsync.yaml: use a token of a service account created in that org (GRAFANA_TOKEN, or GRAFANA_TOKEN_<ORG> per org), or GRAFANA_USER and GRAFANA_PASSWORD of a server admin that is a member of the org"
	}
	switch e.Status {
	case http.StatusUnauthorized:
		return "check GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD; a service-account token only works for its own org"
	case http.StatusForbidden:
		return "the credentials lack a permission: use a service account with the Admin role"
	}
	return ""
}

// IsStatus reports whether err is an APIError with that status.
func IsStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// wrap turns an openapi client error into an APIError naming op, or keeps a
// transport error (dial, timeout, cancellation) as it is, with op in front.
func (c *Client) wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	var html *HTMLPageError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &html) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		ae := &APIError{Op: op, Status: coded.Code()}
		var withBody interface {
			GetPayload() *models.ErrorResponseBody
		}
		if errors.As(err, &withBody) && withBody.GetPayload() != nil {
			p := withBody.GetPayload()
			ae.Reason = p.Status
			if p.Message != nil {
				ae.Message = *p.Message
			}
		}
		return ae
	}
	var raw *runtime.APIError
	if errors.As(err, &raw) {
		ae := &APIError{Op: op, Status: raw.Code}
		// A status the OpenAPI spec does not list for the operation: its
		// body was kept by keepErrorBody; Grafana's message is in it.
		if resp, ok := raw.Response.(interface{ Body() io.ReadCloser }); ok && resp.Body() != nil {
			var body struct {
				Message string `json:"message"`
				Status  string `json:"status"`
			}
			if json.NewDecoder(resp.Body()).Decode(&body) == nil {
				ae.Message, ae.Reason = body.Message, body.Status
			}
		}
		return ae
	}
	// Nothing answered: what grafsync was doing comes second, so that "check
	// credentials" does not read as the advice for a Grafana that is down.
	return fmt.Errorf("cannot reach grafana at %s to %s: %w", c.reps.urls[0].Host, op, err)
}

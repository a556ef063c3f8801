package grafana

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A 401's hint names where the credentials come from: the process's
// variables, or those a caller (a fleet instance) set on the error.
func TestAPIErrorCredentialsHint(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  APIError
		want string
	}{
		{
			name: "single Grafana",
			err:  APIError{Op: "check credentials", Status: http.StatusUnauthorized, Message: "invalid API key"},
			want: "check credentials: grafana answered 401 Unauthorized: invalid API key (check GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD; a service-account token only works for its own org)",
		},
		{
			name: "fleet instance",
			err:  APIError{Op: "check credentials", Status: http.StatusUnauthorized, Message: "invalid API key", Credentials: "TOKEN_2 (the token of instance b)"},
			want: "check credentials: grafana answered 401 Unauthorized: invalid API key (check TOKEN_2 (the token of instance b); a token only works for the org it was made in)",
		},
		{
			name: "fleet instance, another org",
			err:  APIError{Op: "read", Status: http.StatusUnauthorized, Message: orgMismatch, Credentials: "TOKEN_2 (the token of instance b)"},
			want: "read: grafana answered 401 Unauthorized: " + orgMismatch + " (check TOKEN_2 (the token of instance b); a token only works for the org it was made in)",
		},
		{
			name: "403 is not about which variables",
			err:  APIError{Op: "save", Status: http.StatusForbidden, Credentials: "TOKEN_2"},
			want: "save: grafana answered 403 Forbidden (the credentials lack a permission: use a service account with the Admin role)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.err.Error()); diff != "" {
				t.Errorf("Error() (-want +got):\n%s", diff)
			}
		})
	}
}

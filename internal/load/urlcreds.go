package load

import (
	"net/url"
	"slices"
	"strings"
)

// urlCredentials describes the credentials a URL holds — "a user name and
// password", "a user name", "query parameter api_key" — or returns "" when
// it holds none. Grafana stores a datasource's url and jsonData in clear and
// returns them to everyone who can read the datasource, and every plan view
// prints them, so grafsync refuses credentials there rather than masking
// them in some outputs and not others. The text is never parsed for more
// than its shape: the value itself is never part of the answer.
func urlCredentials(s string, withQuery bool) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		if strings.Contains(authority[:i], ":") {
			return "a user name and password"
		}
		return "a user name"
	}
	if !withQuery {
		return ""
	}
	_, query, ok := strings.Cut(rest, "?")
	if !ok {
		return ""
	}
	query, _, _ = strings.Cut(query, "#")
	var names []string
	for part := range strings.SplitSeq(query, "&") {
		name, value, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if value != "" && credentialParam(name) && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	switch slices.Sort(names); len(names) {
	case 0:
		return ""
	case 1:
		return "query parameter " + names[0]
	}
	return "query parameters " + strings.Join(names, ", ")
}

// credentialParam reports whether a query parameter's name says it holds a
// credential: a token, key, password, secret or signature (api_key,
// access_token, X-Amz-Signature, sig as in Azure SAS URLs).
func credentialParam(name string) bool {
	n := strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		}
		return -1
	}, name)
	switch n {
	case "key", "sig", "pass", "pwd", "passwd", "auth", "authorization", "jwt", "code":
		return true
	}
	for _, suffix := range []string{"token", "apikey", "password", "secret", "signature", "credential", "credentials"} {
		if strings.HasSuffix(n, suffix) {
			return true
		}
	}
	return false
}

// urlCredentialsHint says where the credentials go instead.
func urlCredentialsHint(what string) string {
	if strings.HasPrefix(what, "query") {
		return "send it in a header instead: jsonData.httpHeaderName1: <the header the server reads> and secureJsonData.httpHeaderValue1: ${VAR} (or the plugin's own secureJsonData field)"
	}
	return "use basicAuth: true, basicAuthUser: <user> and secureJsonData.basicAuthPassword: ${VAR}, which Grafana encrypts and never returns"
}

// contactPointCredentialsHint says where a contact point's credentials go
// instead: its notifier's secure settings (alerting.SecureSettings).
func contactPointCredentialsHint(what string) string {
	if strings.HasPrefix(what, "query") {
		return "send it from the notifier's secure settings instead (a webhook's authorization_credentials: ${VAR}), which Grafana encrypts and never returns"
	}
	return "take them from the notifier's secure settings instead (a webhook's username and password: ${VAR}), which Grafana encrypts and never returns"
}

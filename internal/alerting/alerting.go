package alerting

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// ExprDatasourceUID is the uid of Grafana's expressions datasource in a
// rule's queries ("-100" is its legacy id, also accepted).
const ExprDatasourceUID = "__expr__"

// MarkerKey is grafsync's ownership marker on alerting it manages:
//   - on a rule, the annotation grafsync=managed (Grafana keeps a rule's
//     annotations verbatim; neither its labels, which route and group
//     alerts, nor its queries are touched);
//   - on a contact point, the settings key "grafsync": {"managed": true,
//     "secrets": fingerprints}. Grafana stores an integration's settings as
//     JSON and keeps keys its notifier does not read
//     (pkg/services/ngalert/provisioning/contactpoints.go stores
//     contactPoint.Settings as given).
//
// Mute timings and templates have no free-form field Grafana keeps, and the
// policy tree is one object per org: they carry no marker, are never
// pruned, and are deleted only through the delete lists.
const MarkerKey = "grafsync"

// MarkerValue is the rule annotation's value.
const MarkerValue = "managed"

// Redacted is what Grafana answers in place of a set secure setting
// (apimodels.RedactedValue), and what it reads as "keep the stored value"
// in an update (ContactPointService.UpdateContactPoint).
const Redacted = "[REDACTED]"

// secure lists each notifier type's secure settings, the ones Grafana
// encrypts and never returns (Secure: true in Grafana's
// pkg/services/ngalert/notifier/channels_config/available_channels.go).
// Nested settings are written with dots.
var secure = map[string][]string{
	"alertmanager": {"basicAuthPassword"},
	"dingding":     {"url"},
	"discord":      {"url"},
	"googlechat":   {"url"},
	"jira":         {"password", "api_token"},
	"kafka":        {"password"},
	"line":         {"token"},
	"mqtt":         {"password", "tlsConfig.clientKey"},
	"oncall":       {"password", "authorization_credentials"},
	"opsgenie":     {"apiKey"},
	"pagerduty":    {"integrationKey"},
	"pushover":     {"apiToken", "userKey"},
	"sensugo":      {"apikey"},
	"slack":        {"token", "url"},
	"sns":          {"sigv4.access_key", "sigv4.secret_key"},
	"teams":        {"url"},
	"telegram":     {"bottoken"},
	"threema":      {"api_secret"},
	"victorops":    {"url"},
	"webex":        {"bot_token"},
	"webhook":      {"password", "authorization_credentials", "hmac_config.secret", "tlsConfig.clientKey"},
	"wecom":        {"url", "secret"},
}

// types are the notifier types of Grafana 10-12 (available_channels.go).
var types = []string{"alertmanager", "dingding", "discord", "email", "googlechat", "jira", "kafka", "line", "mqtt", "oncall",
	"opsgenie", "pagerduty", "pushover", "sensugo", "slack", "sns", "teams", "telegram", "threema", "victorops", "webex", "webhook", "wecom"}

// KnownType reports whether typ is a notifier type grafsync knows.
func KnownType(typ string) bool { return slices.Contains(types, strings.ToLower(typ)) }

// SecureSettings are the secure setting keys of a notifier type (nil for
// a type without secrets, or one grafsync does not know).
func SecureSettings(typ string) []string { return secure[strings.ToLower(typ)] }

// ParseMatcher parses an Alertmanager matcher as a policy's matchers list
// writes it (`severity="critical"`, `team=~"a|b"`) into the API's
// object_matchers triple [name, op, value].
func ParseMatcher(s string) ([]any, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return nil, fmt.Errorf("%q is not a matcher: want label=value, label!=value, label=~regex or label!~regex", s)
	}
	name := strings.TrimSpace(s[:i])
	rest := s[i:]
	var op string
	for _, o := range []string{"=~", "!~", "!=", "="} {
		if strings.HasPrefix(rest, o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, fmt.Errorf("%q is not a matcher: want label=value, label!=value, label=~regex or label!~regex", s)
	}
	value := strings.TrimSpace(rest[len(op):])
	if strings.HasPrefix(value, `"`) {
		v, err := strconv.Unquote(value)
		if err != nil {
			return nil, fmt.Errorf("%q: the value's quotes do not match", s)
		}
		value = v
	}
	name = strings.Trim(name, `"`)
	if name == "" {
		return nil, fmt.Errorf("%q has no label name", s)
	}
	return []any{name, op, value}, nil
}

// CanonicalDuration renders a duration as Prometheus does ("5m", "1h30m",
// "1d"), whether it was written in Prometheus's format or Go's ("5m0s").
// A string that is neither is returned unchanged.
func CanonicalDuration(s string) string {
	if d, err := model.ParseDuration(s); err == nil {
		return d.String()
	}
	if d, err := time.ParseDuration(s); err == nil {
		return model.Duration(d).String()
	}
	return s
}

var defineRE = regexp.MustCompile(`\{\{\s*define`)

// TemplateContent is a notification template as Grafana stores it
// (NotificationTemplate.Validate in Grafana's provisioning definitions):
// trimmed, and, when it defines no template, each line indented by two
// spaces and wrapped in {{ define "name" }} ... {{ end }}.
func TemplateContent(name, text string) string {
	content := strings.TrimSpace(text)
	if defineRE.MatchString(content) {
		return content
	}
	lines := strings.Split(content, "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return fmt.Sprintf("{{ define %q }}\n%s\n{{ end }}", name, strings.Join(lines, "\n"))
}

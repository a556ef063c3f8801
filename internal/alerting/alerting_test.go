package alerting

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMatcher(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []any
		wantErr bool
	}{
		{`severity="critical"`, []any{"severity", "=", "critical"}, false},
		{`team=~"a|b"`, []any{"team", "=~", "a|b"}, false},
		{`env != prod`, []any{"env", "!=", "prod"}, false},
		{`x!~"y.*"`, []any{"x", "!~", "y.*"}, false},
		{`=value`, nil, true},
		{`novalue`, nil, true},
		{`a="unterminated`, nil, true},
	} {
		got, err := ParseMatcher(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseMatcher(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseMatcher(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCanonicalDuration(t *testing.T) {
	for in, want := range map[string]string{"5m": "5m", "5m0s": "5m", "300s": "5m", "1d": "1d", "24h": "1d", "1w": "1w", "90m": "1h30m", "bogus": "bogus"} {
		if got := CanonicalDuration(in); got != want {
			t.Errorf("CanonicalDuration(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecureSettings(t *testing.T) {
	if got := SecureSettings("Webhook"); len(got) == 0 || got[0] != "password" {
		t.Errorf("SecureSettings(webhook) = %v", got)
	}
	if got := SecureSettings("email"); got != nil {
		t.Errorf("SecureSettings(email) = %v, want none", got)
	}
}

func TestTemplateContent(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"  {{ define \"a\" }}x{{ end }}\n", `{{ define "a" }}x{{ end }}`},
		{"hello\nworld", "{{ define \"t\" }}\n  hello\n  world\n{{ end }}"},
	} {
		if got := TemplateContent("t", tt.in); got != tt.want {
			t.Errorf("TemplateContent(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

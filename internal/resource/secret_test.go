package resource

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("hunter2", "env DB_PASSWORD")
	ds := Datasource{Name: "db", Secure: map[string]Secret{"password": s}}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "secret", s, "ds", ds)
	js, _ := json.Marshal(ds)
	text, _ := s.MarshalText()
	renderings := map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%q": fmt.Sprintf("%q", s), "%d": fmt.Sprintf("%d", s),
		"%x": fmt.Sprintf("%x", s), "%#v": fmt.Sprintf("%#v", s), "%+v struct": fmt.Sprintf("%+v", ds), "%#v struct": fmt.Sprintf("%#v", ds),
		"json": string(js), "text": string(text), "slog": logged.String(),
	}
	for how, out := range renderings {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s leaks the secret: %s", how, out)
		}
		if !strings.Contains(out, "(secret)") {
			t.Errorf("%s does not say (secret): %s", how, out)
		}
	}
	if got := s.Reveal(); got != "hunter2" {
		t.Errorf("Reveal() = %q, want hunter2", got)
	}
	if got := s.From(); got != "env DB_PASSWORD" {
		t.Errorf("From() = %q", got)
	}
	if u := UnsetSecret("env X"); !u.IsUnset() || u.Reveal() != "" || s.IsUnset() {
		t.Errorf("IsUnset wrong: unset=%v set=%v", u.IsUnset(), s.IsUnset())
	}
}

func TestPosString(t *testing.T) {
	for _, tt := range []struct {
		p    Pos
		want string
	}{{Pos{"a.json", 3, 7}, "a.json:3:7"}, {Pos{File: "dashboards/x/"}, "dashboards/x/"}} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

package resource

import (
	"fmt"
	"log/slog"
)

const masked = "(secret)"

// Secret is a sensitive value (a datasource's secureJsonData entry). Every way
// of printing, logging or marshalling it renders "(secret)"; only Reveal
// returns the value, and only the Grafana client may call it.
type Secret struct {
	value string
	from  string
	unset bool
}

// NewSecret holds value, which came from from ("env LOKI_PASSWORD",
// "file /run/secrets/x").
func NewSecret(value, from string) Secret { return Secret{value: value, from: from} }

// UnsetSecret is a secret whose environment variable or file was missing.
func UnsetSecret(from string) Secret { return Secret{from: from, unset: true} }

// Reveal returns the value. Only the Grafana client calls it, to send it.
func (s Secret) Reveal() string { return s.value }

// From says where the value came from, for messages ("env LOKI_PASSWORD").
func (s Secret) From() string { return s.from }

// IsUnset reports whether the variable or file the secret refers to was missing.
func (s Secret) IsUnset() bool { return s.unset }

// Equal compares two secrets, value included (go-cmp uses it).
func (s Secret) Equal(o Secret) bool { return s == o }

func (Secret) String() string               { return masked }
func (Secret) GoString() string             { return masked }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + masked + `"`), nil }
func (Secret) MarshalText() ([]byte, error) { return []byte(masked), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue(masked) }
func (Secret) Format(f fmt.State, _ rune)   { fmt.Fprint(f, masked) }

package load

import (
	"os"
	"regexp"
	"strings"
)

// expansion is the result of interpolating one provisioning value.
type expansion struct {
	value string
	// refs are the sources the value used: "env LOKI_PASSWORD", "file /run/x".
	refs []string
	// missing are the refs that were unset or unreadable.
	missing []string
}

var grafanaVar = regexp.MustCompile(`\$__(\w+)\{(.*?)\}`)

// expand interpolates a provisioning value exactly as Grafana does
// (pkg/services/provisioning/values): the value is split at "$$" (which
// becomes a literal "$"), then in each part $__env{NAME} and $__file{path}
// are replaced, then $NAME and ${NAME} are expanded as os.Expand does.
// An unset variable expands to "" and is listed in missing.
func (l *loader) expand(s string) expansion {
	var x expansion
	if !strings.Contains(s, "$") {
		x.value = s
		return x
	}
	getenv := func(name string) string {
		x.refs = append(x.refs, "env "+name)
		v := ""
		if l.opts.Getenv != nil {
			v = l.opts.Getenv(name)
		}
		if v == "" {
			x.missing = append(x.missing, "env "+name)
		}
		return v
	}
	parts := strings.Split(s, "$$")
	for i, p := range parts {
		p = grafanaVar.ReplaceAllStringFunc(p, func(m string) string {
			sub := grafanaVar.FindStringSubmatch(m)
			switch sub[1] {
			case "env":
				return getenv(sub[2])
			case "file":
				x.refs = append(x.refs, "file "+sub[2])
				if l.opts.ReadFile != nil {
					if data, err := l.opts.ReadFile(sub[2]); err == nil {
						return strings.TrimSpace(string(data))
					}
				}
				x.missing = append(x.missing, "file "+sub[2])
				return ""
			}
			x.refs = append(x.refs, "unsupported $__"+sub[1])
			x.missing = append(x.missing, "unsupported $__"+sub[1])
			return ""
		})
		parts[i] = os.Expand(p, getenv)
	}
	x.value = strings.Join(parts, "$")
	return x
}

// describeMissing renders missing refs for a message:
// "environment variable LOKI_PASSWORD is not set".
func describeMissing(missing []string) string {
	var out []string
	for _, m := range missing {
		kind, name, _ := strings.Cut(m, " ")
		switch kind {
		case "env":
			out = append(out, "environment variable "+name+" is not set")
		case "file":
			out = append(out, "file "+name+" cannot be read")
		default:
			out = append(out, m+" is not supported (use $__env{} or $__file{})")
		}
	}
	return strings.Join(out, "; ")
}

// envName suggests an environment variable for a secret: "Loki", "password"
// → LOKI_PASSWORD.
func envName(dsName, key string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range dsName + "_" + key {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
			prevLower = true
		case r >= 'A' && r <= 'Z':
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			prevLower = false
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			prevLower = true
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "_") {
				b.WriteByte('_')
			}
			prevLower = false
		}
	}
	return strings.Trim(b.String(), "_")
}

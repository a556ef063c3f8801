package load

import (
	"errors"
	"fmt"
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
	// refused are the environment variables that hold grafsync's own
	// credentials; they were not read and expanded to "".
	refused []string
	// forbidden describe the $__file{} paths grafsync never reads
	// (ErrRefusedFile): "file /proc/self/environ: grafsync never reads it: ...".
	forbidden []string
	// over is set when a reference was refused because the values of
	// references add up to more than Limits.ExpandedBytes; overMsg
	// describes the first such reference of the Load ("" for later ones,
	// which are refused without another message).
	over    bool
	overMsg string
}

// isRefused reports whether the value used what grafsync never reads: its
// own credentials or a refused file.
func (x expansion) isRefused() bool { return len(x.refused) > 0 || len(x.forbidden) > 0 || x.over }

// ownCredential reports whether an environment variable holds credentials of
// the process running grafsync rather than of a datasource: GRAFANA_TOKEN,
// GRAFANA_TOKEN_<ORG>, GRAFANA_PASSWORD, every GRAFSYNC_* setting (Git
// credentials, webhook and trigger secrets, the lock DSN, --secrets-dir), and
// what a CI runner or container holds: the AWS keys an OIDC step exports,
// ECS's container credentials token, GitHub's runner tokens (GITHUB_TOKEN,
// GH_TOKEN, every ACTIONS_*_TOKEN), GitLab's job token and JWTs. A datasource
// value never takes them: a pull request could otherwise print them in its
// plan comment, or send them to a server of its choosing. The check is on the
// name whichever syntax reads it ($NAME, ${NAME}, $__env{NAME}); a file that
// holds the environment (/proc/*/environ) is refused by SecretFiles.
func ownCredential(name string) bool {
	switch name {
	case "GRAFANA_TOKEN", "GRAFANA_PASSWORD", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "CI_JOB_TOKEN":
		return true
	}
	return strings.HasPrefix(name, "GRAFANA_TOKEN_") || strings.HasPrefix(name, "GRAFSYNC_") ||
		strings.HasPrefix(name, "ACTIONS_") && strings.HasSuffix(name, "_TOKEN") ||
		strings.HasPrefix(name, "CI_JOB_JWT")
}

// forbiddenFileHint is the hint of a refused $__file{} path.
const forbiddenFileHint = "$__file{} reads only regular files of at most 1 MiB inside a --secrets-dir, never /proc, /sys, /dev, a .git directory or a service-account token (docs/hostile-repositories.md)"

// expandedBytesHint is the hint of a reference past MaxExpandedBytes.
const expandedBytesHint = "each reference is a copy of the value; reference a large secret (a CA bundle) once per datasource or contact point (docs/hostile-repositories.md)"

// ownCredentialHint is the hint of a refused reference.
const ownCredentialHint = "give the datasource a variable of its own; the credentials grafsync and its CI run with (GRAFANA_TOKEN, GRAFANA_TOKEN_<ORG>, GRAFANA_PASSWORD, GRAFSYNC_*, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN, GITHUB_TOKEN, GH_TOKEN, ACTIONS_*_TOKEN, CI_JOB_TOKEN, CI_JOB_JWT*) never leave it"

// grafanaVar is Grafana's $__name{argument} (pkg/setting/expanders.go).
var grafanaVar = regexp.MustCompile(`\$__(\w+)\{([^}]+)\}`)

// expand interpolates a provisioning value as Grafana does
// (pkg/services/provisioning/values): the value is split at "$$" (which
// becomes a literal "$"), then in each part $__env{NAME} and $__file{path}
// are replaced and $NAME and ${NAME} are expanded as os.Expand does.
// An unset variable expands to "" and is listed in missing.
//
// Text taken from the environment or a file is used as it is and never
// scanned for references again (Grafana would expand a "$" in it once more,
// changing a secret that holds one, and a warning would then name the text
// after the "$", a piece of the secret).
func (l *loader) expand(s string) expansion {
	var x expansion
	if !strings.Contains(s, "$") {
		x.value = s
		return x
	}
	// spend counts a reference's value against the Load's expansion
	// budget; past it, the value is refused.
	spend := func(what, v string) string {
		if l.budget.expanded+int64(len(v)) > l.limits.ExpandedBytes {
			l.budget.overExpanded, x.over = true, true
			x.overMsg = fmt.Sprintf("%s is refused: the values of $VAR and $__file{} references add up to more than %d bytes in this repository", what, l.limits.ExpandedBytes)
			return ""
		}
		l.budget.expanded += int64(len(v))
		return v
	}
	getenv := func(name string) string {
		x.refs = append(x.refs, "env "+name)
		if ownCredential(name) {
			x.refused = append(x.refused, name)
			return ""
		}
		if l.budget.overExpanded {
			x.over = true
			return ""
		}
		v := ""
		if l.opts.Getenv != nil {
			v = l.opts.Getenv(name)
		}
		if v == "" {
			x.missing = append(x.missing, "env "+name)
		}
		return spend("environment variable "+name, v)
	}
	expander := func(name, arg string) string {
		switch name {
		case "env":
			return getenv(arg)
		case "file":
			x.refs = append(x.refs, "file "+arg)
			if l.opts.ReadFile == nil {
				x.missing = append(x.missing, "file "+arg)
				return ""
			}
			if l.budget.overExpanded {
				x.over = true
				return ""
			}
			data, err := l.opts.ReadFile(arg)
			switch {
			case err == nil:
				return spend("file "+arg, strings.TrimSpace(string(data)))
			case errors.Is(err, ErrRefusedFile):
				x.forbidden = append(x.forbidden, "file "+arg+" is refused: "+err.Error())
			case errors.Is(err, errOutsideSecretsDirs):
				x.missing = append(x.missing, "file "+arg+"\t"+err.Error())
			default:
				x.missing = append(x.missing, "file "+arg)
			}
			return ""
		}
		x.refs = append(x.refs, "unsupported $__"+name)
		x.missing = append(x.missing, "unsupported $__"+name)
		return ""
	}
	parts := strings.Split(s, "$$")
	for i, p := range parts {
		var b strings.Builder
		last := 0
		for _, m := range grafanaVar.FindAllStringSubmatchIndex(p, -1) {
			b.WriteString(os.Expand(p[last:m[0]], getenv))
			b.WriteString(expander(p[m[2]:m[3]], p[m[4]:m[5]]))
			last = m[1]
		}
		b.WriteString(os.Expand(p[last:], getenv))
		parts[i] = b.String()
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
			if name, why, ok := strings.Cut(name, "\t"); ok {
				out = append(out, "file "+name+" is not read: "+why)
				continue
			}
			out = append(out, "file "+name+" cannot be read")
		default:
			out = append(out, m+" is not supported (use $__env{} or $__file{})")
		}
	}
	return strings.Join(out, "; ")
}

// grafanaVariable reports whether a missing reference looks like one of
// Grafana's own template variables (${__value.raw}, ${__span.tags.x}) rather
// than an environment variable: its name starts with "__" or holds a
// character no environment variable name has.
func grafanaVariable(missing []string) bool {
	for _, m := range missing {
		name, ok := strings.CutPrefix(m, "env ")
		if ok && (strings.HasPrefix(name, "__") || strings.ContainsFunc(name, func(r rune) bool {
			return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		})) {
			return true
		}
	}
	return false
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

// EnvName is envName for grafsync pull, which names the variables of the
// secrets it writes as the loader's hints suggest.
func EnvName(dsName, key string) string { return envName(dsName, key) }

// OwnCredential reports whether the loader refuses to read the environment
// variable name (see ownCredential): grafsync pull never names a secret's
// variable so.
func OwnCredential(name string) bool { return ownCredential(name) }

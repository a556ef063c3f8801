package source

import "strings"

// Redact returns repo with any credentials removed, fit for errors and logs.
// For http and https the whole user-info part is replaced with "***" (a
// token is often passed as the user name); for other schemes the user name is
// kept and a password is replaced with "***". Strings that are not URLs are
// returned unchanged.
func Redact(repo string) string {
	i := strings.Index(repo, "://")
	if i < 0 {
		return repo
	}
	scheme := strings.ToLower(repo[:i])
	rest := repo[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return repo
	}
	userinfo := rest[:at]
	switch {
	case scheme == "http" || scheme == "https":
		userinfo = "***"
	case strings.Contains(userinfo, ":"):
		userinfo = userinfo[:strings.Index(userinfo, ":")] + ":***"
	}
	return repo[:i+3] + userinfo + rest[at:]
}

// scrubber removes known secret values from text that may have come from a
// library (an error message quoting a URL, for example).
type scrubber []string

func (s scrubber) scrub(text string) string {
	for _, secret := range s {
		if len(secret) >= 3 {
			text = strings.ReplaceAll(text, secret, "***")
		}
	}
	return text
}

// scrubbedError is an error whose message has had secrets removed; it still
// unwraps to the original so callers can branch on it with errors.Is.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func (s scrubber) wrap(err error) error {
	if err == nil {
		return nil
	}
	msg := s.scrub(err.Error())
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

package view

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/grafsync/grafsync/internal/plan"
)

// secretMark replaces every secret value in every view.
const secretMark = "(secret)"

// compact renders a field value as one line of JSON, cut to max runes.
func compact(v any, max int) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	s := string(b)
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max-1]) + "…"
	}
	return s
}

// fieldLine is one field change as "~ path: before → after".
func fieldLine(f plan.FieldDiff, max int) string {
	switch {
	case f.Secret && f.BeforeAbsent:
		return "+ " + f.Path + ": " + secretMark
	case f.Secret && f.AfterAbsent:
		return "- " + f.Path + ": " + secretMark
	case f.Secret:
		return "~ " + f.Path + ": " + secretMark + " changed"
	case f.BeforeAbsent:
		return "+ " + f.Path + ": " + compact(f.After, max)
	case f.AfterAbsent:
		return "- " + f.Path + ": " + compact(f.Before, max)
	}
	return "~ " + f.Path + ": " + compact(f.Before, max) + " → " + compact(f.After, max)
}

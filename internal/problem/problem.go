package problem

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/grafsync/grafsync/internal/resource"
)

// Severity says whether a problem blocks the run.
type Severity int

const (
	// Error problems make the input unusable: nothing is planned, applied or
	// generated from it.
	Error Severity = iota
	// Warning problems are reported and do not block.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one finding, at a position in the repository.
type Problem struct {
	Pos      resource.Pos
	Severity Severity
	// Message names the field ("panels[2].datasource: ...") and what is wrong.
	Message string
	// Hint says what to do about it; may be empty.
	Hint string
}

// Errorf returns an Error problem at pos.
func Errorf(pos resource.Pos, hint, format string, args ...any) Problem {
	return Problem{Pos: pos, Severity: Error, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// Warnf returns a Warning problem at pos.
func Warnf(pos resource.Pos, hint, format string, args ...any) Problem {
	return Problem{Pos: pos, Severity: Warning, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// String renders "path:line:col: message" (warnings say so), and the hint on
// a second, indented line.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Pos.String())
	b.WriteString(": ")
	if p.Severity == Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Message)
	if p.Hint != "" {
		b.WriteString("\n\thint: ")
		b.WriteString(p.Hint)
	}
	return b.String()
}

// List is the findings of one run.
type List []Problem

// Count returns the number of errors and of warnings.
func (ps List) Count() (errors, warnings int) {
	for _, p := range ps {
		if p.Severity == Warning {
			warnings++
		} else {
			errors++
		}
	}
	return errors, warnings
}

// HasErrors reports whether any problem is an error.
func (ps List) HasErrors() bool {
	n, _ := ps.Count()
	return n > 0
}

// Summary is the one-line count, e.g. "3 errors, 1 warning".
func (ps List) Summary() string {
	e, w := ps.Count()
	return plural(e, "error") + ", " + plural(w, "warning")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Sort orders the list by path, line, column and message, so that the
// output does not depend on the order the checks ran in.
func (ps List) Sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

package load

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
	Error Severity = iota
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

// Problems is every finding of one load, sorted by position.
type Problems []Problem

// Count returns the number of errors and of warnings.
func (ps Problems) Count() (errors, warnings int) {
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
func (ps Problems) HasErrors() bool {
	n, _ := ps.Count()
	return n > 0
}

// Summary is the one-line count, e.g. "3 errors, 1 warning".
func (ps Problems) Summary() string {
	e, w := ps.Count()
	return plural(e, "error") + ", " + plural(w, "warning")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

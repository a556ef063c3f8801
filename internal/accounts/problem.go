package accounts

import "fmt"

// Severity says whether a problem blocks generation.
type Severity int

const (
	// Error problems make the configuration unusable.
	Error Severity = iota
	// Warning problems are reported but do not block generation.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one finding about an input file, located at a YAML node.
type Problem struct {
	File     string
	Line     int
	Col      int
	Severity Severity
	Message  string
	// Hint says what to do about it; may be empty.
	Hint string
}

// String is "file:line:col: message" (severity and hint are not included).
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Message)
}

// HasErrors reports whether any problem has Error severity.
func HasErrors(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// Pos is a position in the accounts file (1-based).
type Pos struct{ Line, Col int }

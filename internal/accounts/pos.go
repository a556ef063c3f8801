package accounts

import "github.com/grafsync/grafsync/internal/resource"

// Pos is a position in the accounts file (1-based).
type Pos struct{ Line, Col int }

// In is the position in file, for a problem.
func (p Pos) In(file string) resource.Pos {
	return resource.Pos{File: file, Line: p.Line, Col: p.Col}
}

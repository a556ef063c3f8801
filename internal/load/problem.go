package load

import "github.com/grafsync/grafsync/internal/problem"

// Problem is one finding, at a position in the repository.
type Problem = problem.Problem

// Problems is every finding of one load, sorted by position.
type Problems = problem.List

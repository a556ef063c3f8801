// Package logtest holds what tests use to read logs written by goroutines
// they do not control.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a log sink safe for concurrent writers while a test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

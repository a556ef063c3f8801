package grafanatest

import (
	"math"
	"testing"
)

// §12: pages are 1-based; a page far past the end is empty, never a panic
// or the first page again (the offset must not overflow).
func TestPageBounds(t *testing.T) {
	tests := []struct {
		n, page, perPage int
		start, end       int
	}{
		{10, 1, 4, 0, 4},
		{10, 3, 4, 8, 10},
		{10, 4, 4, 10, 10},
		{0, 1, 1000, 0, 0},
		{10, math.MaxInt/2 + 2, 2, 10, 10},
		{10, math.MaxInt, math.MaxInt, 10, 10},
		{10, 0, 4, 10, 10},
	}
	for _, tt := range tests {
		start, end := pageBounds(tt.n, tt.page, tt.perPage)
		if start != tt.start || end != tt.end {
			t.Errorf("pageBounds(%d, %d, %d) = %d, %d; want %d, %d", tt.n, tt.page, tt.perPage, start, end, tt.start, tt.end)
		}
	}
}

// The routes that page answer an empty page for a huge page number.
func TestHugePageIsEmpty(t *testing.T) {
	_, admin := newClient(t, Options{})
	for _, path := range []string{
		"/api/orgs?page=4611686018427387905&perpage=2",
		"/api/search?page=4611686018427387905&limit=2",
		"/api/folders?page=4611686018427387905&limit=2",
	} {
		status, v := admin.call("GET", path, nil)
		if status != 200 {
			t.Errorf("%s: status %d", path, status)
			continue
		}
		if list, ok := v.([]any); !ok || len(list) != 0 {
			t.Errorf("%s: %v, want an empty list", path, v)
		}
	}
	status, v := admin.obj("GET", "/api/teams/search?page=4611686018427387905&perpage=4", nil)
	if teams, _ := v["teams"].([]any); status != 200 || len(teams) != 0 {
		t.Errorf("teams search far past the end: %d %v", status, v)
	}
}

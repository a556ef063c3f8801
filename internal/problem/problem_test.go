package problem

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/resource"
)

func TestString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Errorf(resource.Pos{File: "a.yaml", Line: 3, Col: 7}, "", "uid: %q is bad", "x y"), `a.yaml:3:7: uid: "x y" is bad`},
		{Warnf(resource.Pos{File: "dashboards/a/"}, "move it up", "nested too deep"), "dashboards/a/: warning: nested too deep\n\thint: move it up"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.p.String()); diff != "" {
			t.Errorf("String() (-want +got):\n%s", diff)
		}
	}
}

func TestListSortAndSummary(t *testing.T) {
	at := func(file string, line, col int) resource.Pos { return resource.Pos{File: file, Line: line, Col: col} }
	ps := List{
		Warnf(at("b.yaml", 1, 1), "", "w"),
		Errorf(at("a.yaml", 2, 1), "", "z"),
		Errorf(at("a.yaml", 2, 1), "", "y"),
		Errorf(at("a.yaml", 1, 9), "", "x"),
	}
	ps.Sort()
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{"a.yaml:1:9: x", "a.yaml:2:1: y", "a.yaml:2:1: z", "b.yaml:1:1: warning: w"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sorted (-want +got):\n%s", diff)
	}
	if got, want := ps.Summary(), "3 errors, 1 warning"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if !ps.HasErrors() || ps[3:].HasErrors() {
		t.Errorf("HasErrors wrong: all %v, warnings only %v", ps.HasErrors(), ps[3:].HasErrors())
	}
}

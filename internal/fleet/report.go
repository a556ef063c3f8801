package fleet

import (
	"fmt"
	"strings"

	"github.com/grafsync/grafsync/internal/problem"
)

// maxNames bounds the instance names one merged problem lists, so a
// problem shared by hundreds of instances stays one readable line.
const maxNames = 10

// Names lists instance names for a message: all of them up to maxNames,
// then how many more ("a, b, c and 290 more").
func Names(names []string) string {
	if len(names) <= maxNames {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNames], ", "), len(names)-maxNames)
}

// Merge turns the problems each instance found (per[i] is instances[i]'s)
// into one list in which a problem several instances share is one entry
// naming them (bounded by maxNames): "instances a, b, c: ${fleet.region}
// has no value". A problem of one instance names it as
// Instance.Problems does ("instance a: ..."). Problems are shared when
// they are equal once the instance's own name and declaration are taken
// out of them. The result is sorted by position.
func Merge(instances []Instance, per []problem.List) problem.List {
	type group struct {
		first problem.Problem // as the first instance reported it
		names []string
	}
	var order []problem.Problem
	groups := map[problem.Problem]*group{}
	for i, ps := range per {
		in := instances[i]
		for _, p := range ps {
			k := neutral(in, p)
			g, ok := groups[k]
			if !ok {
				g = &group{first: p}
				groups[k] = g
				order = append(order, k)
			}
			if len(g.names) == 0 || g.names[len(g.names)-1] != in.Name {
				g.names = append(g.names, in.Name)
			}
		}
	}
	out := make(problem.List, 0, len(order))
	for _, k := range order {
		g := groups[k]
		p := g.first
		if len(g.names) == 1 {
			if !strings.HasPrefix(p.Message, "instance "+g.names[0]+": ") {
				p.Message = "instance " + g.names[0] + ": " + p.Message
			}
			out = append(out, p)
			continue
		}
		p.Message = fmt.Sprintf("%d instances (%s): %s", len(g.names), Names(g.names), k.Message)
		p.Hint = strings.ReplaceAll(k.Hint, instanceMark, "each of these instances")
		out = append(out, p)
	}
	out.Sort()
	return out
}

// instanceMark stands for an instance's name and declaration in a hint
// while problems are compared.
const instanceMark = "\x00instance\x00"

// neutral is p without what only its instance says: the "instance NAME: "
// prefix and `instance "NAME" (SOURCE)` in the hint (see Problems).
func neutral(in Instance, p problem.Problem) problem.Problem {
	p.Message = strings.TrimPrefix(p.Message, "instance "+in.Name+": ")
	p.Hint = strings.ReplaceAll(p.Hint, fmt.Sprintf("instance %q (%s)", in.Name, in.Source), instanceMark)
	return p
}

package fleet

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/resource"
)

func TestMerge(t *testing.T) {
	at := func(line int) resource.Pos { return resource.Pos{File: "dashboards/d.json", Line: line, Col: 3} }
	decl := func(line int) resource.Pos { return resource.Pos{File: ConfigFile, Line: line, Col: 5} }
	fleet := func(n int) []Instance {
		var out []Instance
		for i := range n {
			out = append(out, Instance{Name: fmt.Sprintf("i%d", i+1), Source: decl(i + 2)})
		}
		return out
	}
	missing := func(in Instance, key string, line int) problem.Problem {
		return in.Problems([]Missing{{Key: key, Pos: at(line)}})[0]
	}
	unset := problem.Warnf(resource.Pos{File: "datasources/l.yaml", Line: 7, Col: 5}, "", "secureJsonData.basicAuthPassword: LOKI_PASSWORD is not set")
	three := fleet(3)
	many := fleet(300)
	manyPer := make([]problem.List, len(many))
	for i, in := range many {
		manyPer[i] = problem.List{missing(in, "region", 1)}
	}
	for _, tc := range []struct {
		name string
		ins  []Instance
		per  []problem.List
		want []string
	}{
		{
			name: "a value every instance lacks is one error naming them",
			ins:  three,
			per:  []problem.List{{missing(three[0], "region", 1)}, {missing(three[1], "region", 1)}, {missing(three[2], "region", 1)}},
			want: []string{"dashboards/d.json:1:3: 3 instances (i1, i2, i3): ${fleet.region} has no value\n\thint: add region to vars of each of these instances, or write $${fleet.region} for a literal"},
		},
		{
			name: "one instance's problem is as Problems says it, with where it is declared",
			ins:  three,
			per:  []problem.List{nil, {missing(three[1], "team", 2)}, nil},
			want: []string{`dashboards/d.json:2:3: instance i2: ${fleet.team} has no value` + "\n\thint: add team to vars of instance \"i2\" (grafsync.yaml:3:5), or write $${fleet.team} for a literal"},
		},
		{
			name: "a warning of the pipelines is shared when equal, and names its instance when not",
			ins:  three,
			per:  []problem.List{{unset}, {unset}, {problem.Warnf(unset.Pos, "", "LOKI_ORG_S3 is not set")}},
			want: []string{
				"datasources/l.yaml:7:5: warning: 2 instances (i1, i2): secureJsonData.basicAuthPassword: LOKI_PASSWORD is not set",
				"datasources/l.yaml:7:5: warning: instance i3: LOKI_ORG_S3 is not set",
			},
		},
		{
			name: "hundreds of instances: the names are bounded",
			ins:  many,
			per:  manyPer,
			want: []string{"dashboards/d.json:1:3: 300 instances (i1, i2, i3, i4, i5, i6, i7, i8, i9, i10 and 290 more): ${fleet.region} has no value\n\thint: add region to vars of each of these instances, or write $${fleet.region} for a literal"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range Merge(tc.ins, tc.per) {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
		})
	}
}

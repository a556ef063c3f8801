package serve

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/apply"
)

// NotApplied gives a datasource check the reason its run's apply did not
// create what the repository declares: nothing to add when it applied, the
// refusal and where to see why when the plan was blocked, the error else.
func TestNotApplied(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"applied", nil, ""},
		{"blocked", &apply.Blocked{Subjects: []string{"dashboard v2"}},
			"not created, because this run's apply was refused: the plan has changes Grafana will not accept ([dashboard v2]); nothing was applied; resolve the blocked changes first (grafsync plan says why each is blocked)"},
		{"failed", errors.New("grafana answered 500"), "not created, because this run's apply failed: grafana answered 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, NotApplied(tt.err, "grafsync plan")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

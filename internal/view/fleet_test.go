package view

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFleetText(t *testing.T) {
	planned := func(name string, s JSONSummary) FleetRow {
		return FleetRow{Instance: name, Summary: s, Drift: s.Create+s.Update+s.Delete+s.Blocked > 0, Plan: &JSONPlan{Summary: s}}
	}
	for _, tc := range []struct {
		name string
		rows []FleetRow
		want string
	}{
		{
			name: "blocked changes count and the row says apply refuses it",
			rows: []FleetRow{planned("a", JSONSummary{Create: 2, Blocked: 1}), planned("b", JSONSummary{})},
			want: `INSTANCE  CREATE  UPDATE  DELETE  BLOCKED  DRIFT  ERROR
a         2       0       0       1        yes    blocked: 1 change Grafana will not accept; apply refuses this instance
b         0       0       0       0        no     

Fleet: 2 instances, 1 with changes, 0 failed. 1 with changes Grafana will not accept (apply refuses it).
`,
		},
		{
			name: "an instance not planned has unknown counts; a multi-line error is folded and printed in full below",
			rows: []FleetRow{{Instance: "down", Error: "f.plan: stale. What moved:\n  - dashboard x\nRun plan again."}, planned("up", JSONSummary{Update: 1})},
			want: `INSTANCE  CREATE  UPDATE  DELETE  BLOCKED  DRIFT  ERROR
down      -       -       -       -        ?      f.plan: stale. What moved: (full text below)
up        0       1       0       0        yes    

down:
  f.plan: stale. What moved:
    - dashboard x
  Run plan again.

Fleet: 2 instances, 1 with changes, 1 failed.
`,
		},
		{
			name: "one instance is one instance",
			rows: []FleetRow{planned("a", JSONSummary{})},
			want: `INSTANCE  CREATE  UPDATE  DELETE  BLOCKED  DRIFT  ERROR
a         0       0       0       0        no     

Fleet: 1 instance, 0 with changes, 0 failed.
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := FleetText(&b, tc.rows, true); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("FleetText (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFleetApplyText(t *testing.T) {
	rows := []FleetRow{
		{Instance: "a", Done: &FleetDone{Created: 1, Updated: 2}, Plan: &JSONPlan{}},
		{Instance: "b", Done: &FleetDone{}, Plan: &JSONPlan{}},
		{Instance: "c", Done: &FleetDone{Updated: 1, Failed: 1}, Error: "save dashboard x: 500", Plan: &JSONPlan{}},
		{Instance: "d", Error: "the plan has changes Grafana will not accept ([dashboard v2]); nothing was applied", Plan: &JSONPlan{}},
		{Instance: "e", Skipped: "canary a failed"},
	}
	want := `INSTANCE  CREATED  UPDATED  DELETED  RESULT       ERROR
a         1        2        0        applied      
b         0        0        0        in step      
c         0        1        0        failed       save dashboard x: 500
d         -        -        -        not applied  the plan has changes Grafana will not accept ([dashboard v2]); nothing was applied
e         -        -        -        skipped      not reached: canary a failed

Fleet apply: 5 instances, 2 applied (1 changed, 1 already in step), 2 failed. 1 not reached.
`
	var b strings.Builder
	if err := FleetApplyText(&b, rows); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("FleetApplyText (-want +got):\n%s", diff)
	}
}

// Hundreds of instances with changes: the comment keeps its table and
// summary, stays within GitHub's limit and says what it left out.
func TestFleetMarkdownBounded(t *testing.T) {
	var rows []FleetRow
	for i := range 400 {
		jp := &JSONPlan{Summary: JSONSummary{Update: 20}}
		for j := range 20 {
			jp.Changes = append(jp.Changes, JSONChange{Action: "update", Subject: fmt.Sprintf("dashboard team/a-rather-long-dashboard-title-%d", j)})
		}
		rows = append(rows, FleetRow{Instance: fmt.Sprintf("customer-%03d", i), Summary: jp.Summary, Drift: true, Plan: jp})
	}
	var b strings.Builder
	if err := FleetMarkdown(&b, rows, "grafsync fleet plan", "0123456789abcdef0123"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := len(out); n > GitHubCommentLimit-CommentReserve {
		t.Errorf("comment is %d bytes, over %d", n, GitHubCommentLimit-CommentReserve)
	}
	for _, want := range []string{"Revision `0123456789ab`\n", "| customer-399 | 0 | 20 | 0 | 0 | yes |  |\n", "<summary>instance customer-000: 0 create, 20 update, 0 delete, 0 blocked</summary>", "are left out to fit the comment", "Fleet: 400 instances, 400 with changes, 0 failed.\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("comment lacks %q", want)
		}
	}
}

package serve

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/grafsync/grafsync/internal/apply"
	"github.com/grafsync/grafsync/internal/check"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/reconcile"
	"github.com/grafsync/grafsync/internal/view"
)

// maxLoggedChanges caps the changes named in a run's summary line.
const maxLoggedChanges = 20

// report is what one run did.
type report struct {
	revision string
	problems int // warnings from loading the repository
	plan     *plan.Plan
	applied  *apply.Result
	err      error
	checked  *check.Report // nil when the datasources were not checked
}

// runOnce runs the pipeline once, then records it: metrics, status, and one
// summary log line. It returns the wait before the next run.
func (s *Server) runOnce(ctx context.Context, trigger string) time.Duration {
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, s.opts.RunTimeout)
	r := s.reconcile(rctx)
	cancel()
	took := time.Since(start)

	attrs := []any{"trigger", trigger, "mode", string(s.opts.Mode), "revision", r.revision, "duration_seconds", took.Seconds()}
	if r.plan != nil {
		attrs = append(attrs, "plan", r.plan.Summary(), "changes", changeList(r.plan))
	}
	if r.applied != nil {
		attrs = append(attrs, "applied", r.applied.Summary())
	}
	if r.problems > 0 {
		attrs = append(attrs, "warnings", r.problems)
	}
	if r.checked != nil {
		attrs = append(attrs, "datasource_check", r.checked.Summary())
		s.m.setDatasourceHealth(r.checked)
		for _, res := range r.checked.Results {
			if !res.OK {
				s.log.Warn("datasource check failed", "subject", res.Subject(), "source", res.Source, "message", res.Message)
			}
		}
	}
	if ctx.Err() != nil {
		// Stopping: the run was cut short on purpose. It is logged, not
		// counted as a failure, and the status is left as it was.
		s.recordChanges(r)
		s.log.Info("run", append(attrs, "result", "interrupted", "error", errString(r.err))...)
		return 0
	}

	s.m.runDuration.Observe(took.Seconds())
	s.recordChanges(r)
	ok := r.err == nil
	s.mu.Lock()
	s.status.ran, s.status.lastOK = true, ok
	s.mu.Unlock()
	if !ok {
		s.failures++
		s.m.runs.WithLabelValues(resultFailure).Inc()
		next := s.nextDelay()
		s.log.Error("run", append(attrs, "result", resultFailure, "error", r.err.Error(),
			"consecutive_failures", s.failures, "next_run_in", next.Round(time.Millisecond).String())...)
		return next
	}
	s.failures = 0
	s.m.runs.WithLabelValues(resultSuccess).Inc()
	s.m.lastSuccess.Set(float64(time.Now().UnixNano()) / 1e9)
	if s.opts.Mode == ModeApply {
		s.m.setRevision(r.revision)
	}
	s.log.Info("run", append(attrs, "result", resultSuccess)...)
	return s.nextDelay()
}

// reconcile fetches the repository, plans, and (in apply mode) applies.
func (s *Server) reconcile(ctx context.Context) (r report) {
	fsys, rev, err := s.opts.Fetch(ctx)
	if err != nil {
		r.err = fmt.Errorf("fetch the repository: %w", err)
		return r
	}
	r.revision = rev
	in := s.opts.Inputs
	in.Repo, in.Revision, in.Logger = fsys, rev, s.pipeLog
	out, err := reconcile.Plan(ctx, in)
	if out != nil {
		r.problems = len(out.Problems)
	}
	var pe *reconcile.ProblemsError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			s.log.Error("repository problem", "revision", rev, "problem", p.String())
		}
		r.err = err
		return r
	}
	// From here the repository loaded: its datasources are checked
	// whatever planning or applying did (a check only reads).
	defer s.checkDatasources(ctx, in, out, &r)
	if err != nil {
		r.err = err
		return r
	}
	r.plan = out.Plan
	if s.opts.Mode == ModePlan || !out.Plan.HasChanges() {
		return r
	}
	r.applied, r.err = reconcile.Apply(ctx, in, out, apply.Options{
		Message: "grafsync serve " + view.RevisionLabel(rev),
		Grace:   s.opts.ApplyGrace,
		Logger:  s.pipeLog,
	})
	return r
}

// checkDatasources health-checks the datasources of a loaded repository
// when the server is asked to, within the run's time.
func (s *Server) checkDatasources(ctx context.Context, in reconcile.Inputs, out *reconcile.Outcome, r *report) {
	if !s.opts.CheckDatasources || out == nil || out.State == nil || ctx.Err() != nil {
		return
	}
	opts := s.opts.Check
	if r.plan != nil { // planned: r.err is the apply's
		opts.NotApplied = NotApplied(r.err, "grafsync plan")
	}
	rep, err := reconcile.CheckState(ctx, in, out.State, opts)
	if err != nil {
		s.log.Warn("datasource check did not run", "error", err.Error())
		return
	}
	r.checked = rep
}

// recordChanges updates the applied counters and the drift gauges: what
// the plan found, less what the apply fixed. A run that did not plan leaves
// the drift gauges as the last plan left them.
func (s *Server) recordChanges(r report) {
	if r.plan == nil {
		return
	}
	drift := map[plan.Kind]int{}
	for _, ch := range r.plan.Changes {
		if ch.Action != plan.NoOp {
			drift[ch.Resource().Kind]++
		}
	}
	if r.applied != nil {
		for kind, byAction := range r.applied.ByKind {
			for action, n := range byAction {
				s.m.applied.WithLabelValues(string(kind), string(action)).Add(float64(n))
				drift[kind] -= n
			}
		}
	}
	s.m.setDrift(drift)
}

// changeList names a plan's changes for the summary line, e.g.
// "update dashboard platform/ecs", at most maxLoggedChanges of them.
func changeList(p *plan.Plan) []string {
	out := []string{}
	n := 0
	for _, ch := range p.Changes {
		if ch.Action == plan.NoOp {
			continue
		}
		n++
		if len(out) < maxLoggedChanges {
			out = append(out, string(ch.Action)+" "+ch.Subject)
		}
	}
	if n > len(out) {
		out = append(out, fmt.Sprintf("... and %d more", n-len(out)))
	}
	return out
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// NotApplied is check.Options.NotApplied for a run whose apply returned
// err (nil: it applied, or had nothing to apply, so a datasource Grafana
// lacks needs no other reason). Applying again does not help a refused
// plan, so it says why and what to run (planCmd) to see the blocked
// changes.
func NotApplied(err error, planCmd string) string {
	var blocked *apply.Blocked
	switch {
	case err == nil:
		return ""
	case errors.As(err, &blocked):
		return fmt.Sprintf("not created, because this run's apply was refused: %v; resolve the blocked changes first (%s says why each is blocked)", err, planCmd)
	}
	return fmt.Sprintf("not created, because this run's apply failed: %v", err)
}

package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/resource"
)

// Client is what a check needs from Grafana; *grafana.Client has it.
type Client interface {
	ListDatasources(ctx context.Context) ([]grafana.DatasourceRef, error)
	CheckDatasourceHealth(ctx context.Context, uid string) (grafana.DatasourceHealth, error)
}

// Target is one org to check: the datasources the repository declares
// there and a client working in that org.
type Target struct {
	OrgID int64
	// Org is the org's name (for metrics and JSON); Label names it in
	// subjects when the repository declares several orgs ("" for one).
	Org, Label  string
	Datasources []*resource.Datasource
	// Client is nil when the org cannot be reached; Err says why, and
	// every datasource of the org fails with it.
	Client Client
	Err    error
}

// Result is one datasource's check.
type Result struct {
	OrgID      int64
	Org, Label string
	// UID is Grafana's uid of the datasource ("" when Grafana has none by
	// the repository's uid or name).
	UID, Name, Type string
	Source          string // where the repository declares it (file:line)
	OK              bool
	// Message is the plugin's message, or why the check could not run.
	Message  string
	Duration time.Duration
}

// Subject names the datasource as every grafsync message does.
func (r Result) Subject() string {
	s := "datasource " + r.Name
	if r.Label != "" {
		s += " (org " + r.Label + ")"
	}
	return s
}

// Report is every datasource's Result, orgs in target order and
// datasources in repository order.
type Report struct {
	Results []Result
}

// Failed counts the failed checks.
func (r *Report) Failed() int {
	n := 0
	for _, res := range r.Results {
		if !res.OK {
			n++
		}
	}
	return n
}

// Summary is the one summary line: "Check: 4 ok, 1 failed."
func (r *Report) Summary() string {
	f := r.Failed()
	return fmt.Sprintf("Check: %d ok, %d failed.", len(r.Results)-f, f)
}

// Options bound a run.
type Options struct {
	Concurrency int           // checks in flight at once; default 4
	Timeout     time.Duration // per datasource; default DefaultTimeout
	Now         func() time.Time
	// NotApplied, when set, says why the run that checks did not apply the
	// repository (its apply was refused or failed): a datasource Grafana
	// lacks is then reported with it instead of "apply the repository
	// first", which would not help.
	NotApplied string
}

// DefaultTimeout bounds one datasource's check: Grafana's own datasource
// HTTP timeout is 30 s, and a CloudWatch check makes two AWS calls.
const DefaultTimeout = 60 * time.Second

// Run checks every datasource of every target. The error is only ever the
// context's: a cancelled run returns the results it has, the others failed
// with the cancellation.
func Run(ctx context.Context, targets []Target, opts Options) (*Report, error) {
	opts.Concurrency = cmp.Or(max(opts.Concurrency, 0), 4)
	opts.Timeout = cmp.Or(max(opts.Timeout, 0), DefaultTimeout)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rep := &Report{}
	type job struct {
		i   int
		c   Client
		uid string
	}
	var jobs []job
	for _, t := range targets {
		var live []grafana.DatasourceRef
		err := t.Err
		if err == nil && t.Client == nil {
			err = errors.New("no client for this org")
		}
		if err == nil {
			live, err = t.Client.ListDatasources(ctx)
		}
		for _, d := range t.Datasources {
			r := Result{OrgID: t.OrgID, Org: t.Org, Label: t.Label, Name: d.Name, Type: d.Type, Source: d.Source.String()}
			switch ref, found := find(live, d); {
			case err != nil:
				r.Message = "cannot check: " + message(err)
			case !found && opts.NotApplied != "":
				r.Message = "Grafana has no such datasource (" + identity(d) + "): " + opts.NotApplied
			case !found:
				r.Message = "Grafana has no such datasource (" + identity(d) + "): apply the repository first (grafsync apply)"
			default:
				r.UID, r.Type = ref.UID, cmp.Or(ref.Type, d.Type)
				jobs = append(jobs, job{len(rep.Results), t.Client, ref.UID})
			}
			rep.Results = append(rep.Results, r)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	for _, j := range jobs {
		g.Go(func() error {
			r := &rep.Results[j.i]
			cctx, cancel := context.WithTimeout(gctx, opts.Timeout)
			defer cancel()
			start := opts.Now()
			h, err := j.c.CheckDatasourceHealth(cctx, j.uid)
			r.Duration = opts.Now().Sub(start)
			switch {
			case err == nil:
				r.OK, r.Message = h.OK, h.Message
				if !h.OK && r.Message == "" {
					r.Message = "the health check failed without a message"
				}
			case ctx.Err() != nil:
				r.Message = "not checked: " + context.Cause(ctx).Error()
			case cctx.Err() != nil:
				r.Message = fmt.Sprintf("no answer within %s: the datasource (or Grafana) is too slow", opts.Timeout)
			default:
				r.Message = message(err)
			}
			return nil
		})
	}
	g.Wait()
	return rep, ctx.Err()
}

// find is Grafana's datasource for a declared one: by uid, or by name for
// one declared without a uid (names are unique within an org).
func find(live []grafana.DatasourceRef, d *resource.Datasource) (grafana.DatasourceRef, bool) {
	for _, l := range live {
		if (d.UID != "" && l.UID == d.UID) || (d.UID == "" && l.Name == d.Name) {
			return l, true
		}
	}
	return grafana.DatasourceRef{}, false
}

func identity(d *resource.Datasource) string {
	if d.UID != "" {
		return "uid " + d.UID
	}
	return "name " + d.Name
}

// message is an error as a check line shows it: Grafana's answer without
// grafsync's operation in front, with a hint where Grafana's is terse.
func message(err error) string {
	var ae *grafana.APIError
	if !errors.As(err, &ae) {
		return err.Error()
	}
	msg := strings.TrimPrefix(ae.Error(), ae.Op+": ")
	switch ae.Status {
	case 404:
		msg += " (Grafana answers 404 when the datasource's plugin is not installed, or has no health check)"
	case 501:
		msg += " (the datasource's plugin has no health check)"
	}
	return msg
}

package view

import (
	"fmt"
	"io"
	"strings"

	"github.com/grafsync/grafsync/internal/plan"
)

// TextOptions shape the terminal view.
type TextOptions struct {
	Color     bool // ANSI colours, for terminals only
	ShowNoOps bool // list unchanged resources too
	MaxFields int  // field lines per change before "… and N more"; 0 = 20
}

const (
	ansiReset   = "\x1b[0m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiRed     = "\x1b[31m"
	ansiMagenta = "\x1b[35m"
	ansiBold    = "\x1b[1m"
)

func actionColor(a plan.Action) string {
	switch a {
	case plan.Create:
		return ansiGreen
	case plan.Update:
		return ansiYellow
	case plan.Delete:
		return ansiRed
	case plan.Blocked:
		return ansiMagenta
	}
	return ""
}

// Text writes the plan for a terminal: one line per change, its changed
// fields indented below, then the summary line.
func Text(w io.Writer, p *plan.Plan, opts TextOptions) error {
	if opts.MaxFields <= 0 {
		opts.MaxFields = 20
	}
	paint := func(color, s string) string {
		if !opts.Color || color == "" {
			return s
		}
		return color + s + ansiReset
	}
	ew := &errWriter{w: w}
	if p.Revision != "" {
		ew.printf("grafsync plan for revision %s\n\n", ShortRevision(p.Revision))
	}
	if line, secrets := AdoptionLine(p); line != "" {
		ew.printf("  %s %s\n", paint(ansiYellow, plan.Update.Symbol()), line)
		for _, s := range secrets {
			ew.printf("      %s\n", s)
		}
	}
	for _, c := range p.Changes {
		if c.Action == plan.NoOp && !opts.ShowNoOps || c.Adopt {
			continue
		}
		ew.printf("  %s %s\n", paint(actionColor(c.Action), c.Action.Symbol()), c.Subject)
		if c.Action == plan.Blocked {
			ew.printf("      %s\n", paint(ansiMagenta, "cannot change it: "+c.Reason))
		} else if c.Reason != "" {
			ew.printf("      note: %s\n", c.Reason)
		}
		for i, f := range c.Diff {
			if i == opts.MaxFields {
				ew.printf("      … and %d more fields\n", len(c.Diff)-i)
				break
			}
			ew.printf("      %s\n", fieldLine(f, 60))
		}
	}
	if !p.HasChanges() {
		ew.printf("No changes: Grafana matches the repository.\n")
	}
	for _, o := range p.Orphans {
		ew.printf("  note: %s is managed by grafsync but no longer in Git; --prune would delete it\n", o)
	}
	for _, k := range p.Kept {
		ew.printf("  note: %s\n", k)
	}
	ew.printf("\n%s\n", paint(ansiBold, p.Summary()))
	return ew.err
}

// AdoptionLine is the one line that stands for every adoption of a plan
// ("adopt 120 dashboards, 5 datasources, 22 folders: only grafsync's
// ownership marker is added"), "" when there is none, and the lines that
// name the secrets apply writes once.
func AdoptionLine(p *plan.Plan) (string, []string) {
	byKind, secrets := p.Adoption()
	var parts []string
	for _, k := range []struct {
		kind      plan.Kind
		one, many string
	}{{plan.Dashboard, "dashboard", "dashboards"}, {plan.LibraryPanel, "library panel", "library panels"}, {plan.Datasource, "datasource", "datasources"}, {plan.Team, "team", "teams"}, {plan.Folder, "folder", "folders"}} {
		if n := byKind[k.kind]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, k.one, k.many)))
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	line := "adopt " + strings.Join(parts, ", ") + ": only grafsync's ownership marker is added"
	var out []string
	if len(secrets) > 0 {
		out = append(out, "secrets written once, because Grafana never returns them (apply needs their variables set):")
		for _, s := range secrets {
			out = append(out, "  "+s)
		}
	}
	return line, out
}

// RevisionLabel names a revision in messages (a dashboard's version history
// note): ShortRevision, or "(a plain directory)" when there is no commit.
func RevisionLabel(rev string) string {
	if rev == "" {
		return "(a plain directory)"
	}
	return ShortRevision(rev)
}

// ShortRevision shortens a commit hash to 12 characters, keeping a "-dirty" mark.
func ShortRevision(rev string) string {
	base, dirty := strings.CutSuffix(rev, "-dirty")
	if len(base) > 12 {
		base = base[:12]
	}
	if dirty {
		return base + "-dirty"
	}
	return base
}

// errWriter keeps the first write error so views can write line by line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

package view

import (
	"fmt"
	"io"
	"strings"

	"github.com/grafsync/grafsync/internal/plan"
)

// GitHubCommentLimit is the most characters a GitHub comment may hold.
const GitHubCommentLimit = 65536

// MarkdownOptions shape the pull-request view.
type MarkdownOptions struct {
	// Limit is the most characters the output may have; 0 = GitHubCommentLimit.
	Limit int
	// Title heads the comment; CI sets it to something like "grafsync plan for abc123".
	Title string
	// Marker is an HTML comment placed first, so CI can find and update the
	// one comment it owns instead of adding one per push.
	Marker string
}

// Markdown writes the plan as a pull-request comment: a title naming the
// revision, a summary table, then one collapsible section per change with
// its field diff. When the whole would exceed Limit, per-change diffs are
// dropped from the end, and then change lines, and the comment says so.
func Markdown(w io.Writer, p *plan.Plan, opts MarkdownOptions) error {
	if opts.Limit <= 0 {
		opts.Limit = GitHubCommentLimit
	}
	var head strings.Builder
	if opts.Marker != "" {
		head.WriteString("<!-- " + opts.Marker + " -->\n")
	}
	title := opts.Title
	if title == "" {
		title = "grafsync plan"
	}
	fmt.Fprintf(&head, "### %s\n\n", title)
	if p.Revision != "" {
		fmt.Fprintf(&head, "Revision `%s`\n\n", ShortRevision(p.Revision))
	}
	n := p.Counts()
	head.WriteString("| Action | Count |\n|---|---:|\n")
	fmt.Fprintf(&head, "| ➕ create | %d |\n| 🔄 update | %d |\n| ➖ delete | %d |\n", n[plan.Create], n[plan.Update], n[plan.Delete])
	if n[plan.Blocked] > 0 {
		fmt.Fprintf(&head, "| ⛔ blocked | %d |\n", n[plan.Blocked])
	}
	head.WriteString("\n")

	var sections []string // one per change: full (with diff) and short forms
	var shorts []string
	for _, c := range p.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		short := fmt.Sprintf("- `%s` %s", c.Action.Symbol(), mdEscape(c.Subject))
		if c.Action == plan.Blocked {
			short += " — cannot change it: " + mdEscape(c.Reason)
		}
		shorts = append(shorts, short+"\n")
		if len(c.Diff) == 0 {
			sections = append(sections, short+"\n")
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "\n<details><summary><code>%s</code> %s (%d %s)</summary>\n\n```diff\n", c.Action.Symbol(), htmlEscape(c.Subject), len(c.Diff), plural(len(c.Diff), "field", "fields"))
		for _, f := range c.Diff {
			b.WriteString(strings.ReplaceAll(fieldLine(f, 200), "```", "`\u200b``") + "\n")
		}
		b.WriteString("```\n\n</details>\n\n")
		if c.Action == plan.Blocked {
			b.WriteString("  cannot change it: " + mdEscape(c.Reason) + "\n")
		}
		sections = append(sections, b.String())
	}
	var tail strings.Builder
	if len(shorts) == 0 {
		tail.WriteString("No changes: Grafana matches the repository.\n")
	}
	for _, o := range p.Orphans {
		fmt.Fprintf(&tail, "\n> note: %s is managed by grafsync but no longer in Git; `--prune` would delete it\n", mdEscape(o))
	}
	for _, k := range p.Kept {
		fmt.Fprintf(&tail, "\n> note: %s\n", mdEscape(k))
	}
	fmt.Fprintf(&tail, "\n**%s**\n", p.Summary())

	body := fitSections(opts.Limit-len(head.String())-len(tail.String()), sections, shorts)
	_, err := io.WriteString(w, head.String()+body+tail.String())
	return err
}

// fitSections joins the per-change sections, replacing full sections by
// short lines from the end, then dropping short lines, until the result fits
// in limit characters; what was left out is said in a closing line.
func fitSections(limit int, full, short []string) string {
	const reserve = 200 // room for the closing line
	total := func(parts []string) int {
		n := 0
		for _, p := range parts {
			n += len(p)
		}
		return n
	}
	parts := append([]string(nil), full...)
	if total(parts) <= limit {
		return strings.Join(parts, "")
	}
	for i := len(parts) - 1; i >= 0 && total(parts) > limit-reserve; i-- {
		parts[i] = short[i]
	}
	dropped := 0
	for len(parts) > 0 && total(parts) > limit-reserve {
		parts = parts[:len(parts)-1]
		dropped++
	}
	collapsed := 0
	for i := range parts {
		if parts[i] != full[i] {
			collapsed++
		}
	}
	note := fmt.Sprintf("\n> ✂️ This comment is shortened to fit GitHub's limit: %d of %d changes are listed without their field diffs", collapsed, len(full))
	if dropped > 0 {
		note += fmt.Sprintf(", and %d changes are not listed", dropped)
	}
	note += ". Run `grafsync plan` for the full plan.\n"
	return strings.Join(parts, "") + note
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mdEscape keeps subjects from turning into markdown.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "'", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

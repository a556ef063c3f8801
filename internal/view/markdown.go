package view

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/grafsync/grafsync/internal/plan"
)

// GitHubCommentLimit is the most characters a GitHub comment (or issue
// body) may hold.
const GitHubCommentLimit = 65536

// CommentReserve is what the default limit leaves free under
// GitHubCommentLimit, so that CI can add a line naming the commit and the
// run (see docs/ci.md) without GitHub refusing the comment.
const CommentReserve = 1024

// MarkdownOptions shape the pull-request view.
type MarkdownOptions struct {
	// Limit is the most bytes the output may have (bytes, so never more
	// characters than that); 0 = GitHubCommentLimit - CommentReserve.
	Limit int
	// Title heads the comment; CI sets it to something like "grafsync plan for abc123".
	Title string
	// Marker is an HTML comment placed first, so CI can find and update the
	// one comment it owns instead of adding one per push.
	Marker string
}

// Markdown writes the plan as a pull-request comment: a title naming the
// revision, a summary table, then one collapsible section per change with
// its field diff, then notes and the summary line. The title, table and
// summary line are always there. When the whole would exceed Limit, the
// largest field diffs are folded into one-line entries first, then entries
// are dropped from the end, deletes and blocked changes last, and notes
// beyond a quarter of the room are dropped; a closing line says what was
// left out.
func Markdown(w io.Writer, p *plan.Plan, opts MarkdownOptions) error {
	if opts.Limit <= 0 {
		opts.Limit = GitHubCommentLimit - CommentReserve
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

	var entries []mdEntry
	if line, secrets := AdoptionLine(p); line != "" {
		e := mdEntry{action: plan.Update, short: "- `~` " + mdEscape(line) + "\n"}
		e.full = e.short
		for _, s := range secrets {
			e.full += "  - " + mdEscape(strings.TrimSpace(s)) + "\n"
		}
		entries = append(entries, e)
	}
	for _, c := range p.Changes {
		if c.Action == plan.NoOp || c.Adopt {
			continue
		}
		short := fmt.Sprintf("- `%s` %s", c.Action.Symbol(), mdEscape(c.Subject))
		if c.Action == plan.Blocked {
			short += " — cannot change it: " + mdEscape(c.Reason)
		} else if c.Reason != "" {
			short += " — note: " + mdEscape(c.Reason)
		}
		e := mdEntry{action: c.Action, short: short + "\n"}
		if len(c.Diff) == 0 {
			e.full = e.short
			entries = append(entries, e)
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "\n<details><summary><code>%s</code> %s (%d %s)</summary>\n\n```diff\n", c.Action.Symbol(), htmlEscape(c.Subject), len(c.Diff), plural(len(c.Diff), "field", "fields"))
		for _, f := range c.Diff {
			b.WriteString(strings.ReplaceAll(fieldLine(f, 200), "```", "`\u200b``") + "\n")
		}
		b.WriteString("```\n\n</details>\n\n")
		if c.Action == plan.Blocked {
			b.WriteString("⛔ cannot change it: " + mdEscape(c.Reason) + "\n\n")
		} else if c.Reason != "" {
			// The same note the text and JSON views carry (e.g. a dashboard
			// Grafana holds as schema v2): never only in the folded line.
			b.WriteString("> note: " + mdEscape(c.Reason) + "\n\n")
		}
		e.full = b.String()
		entries = append(entries, e)
	}
	var notes []string
	for _, o := range p.Orphans {
		notes = append(notes, fmt.Sprintf("\n> note: %s is managed by grafsync but no longer in Git; `--prune` would delete it\n", mdEscape(o)))
	}
	for _, k := range p.Kept {
		notes = append(notes, fmt.Sprintf("\n> note: %s\n", mdEscape(k)))
	}
	var tail strings.Builder
	if len(entries) == 0 {
		tail.WriteString("No changes: Grafana matches the repository.\n")
	}
	fmt.Fprintf(&tail, "\n**%s**\n", p.Summary())

	body := fitEntries(opts.Limit-head.Len()-tail.Len(), entries, notes)
	_, err := io.WriteString(w, head.String()+body+tail.String())
	return err
}

// mdEntry is one change in the markdown view, in two sizes.
type mdEntry struct {
	action plan.Action
	full   string // with its field diff; equal to short when there is none
	short  string // one line
}

// fitEntries joins the entries and notes within limit bytes. When they do
// not fit it folds the largest diffs into one-line entries first (so one
// huge dashboard does not hide the diffs of small changes), then drops
// entries from the end, creates and updates before deletes and blocked
// changes (the ones a reviewer must see); notes are kept as room allows but
// never take more than a quarter of it from changes. A closing line says
// what was left out.
func fitEntries(limit int, entries []mdEntry, notes []string) string {
	const reserve = 300 // room for the closing line
	parts := make([]string, len(entries))
	size := 0
	for i, e := range entries {
		parts[i] = e.full
		size += len(e.full)
	}
	if size+totalLen(notes) <= limit {
		return strings.Join(parts, "") + strings.Join(notes, "")
	}
	// Changes get the room but a quarter kept for notes, if they need it.
	budget := limit - reserve - min(totalLen(notes), (limit-reserve)/4)

	// Fold the diffs that save the most first; among equals, later ones.
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	saving := func(i int) int { return len(entries[i].full) - len(entries[i].short) }
	sort.SliceStable(order, func(a, b int) bool {
		if saving(order[a]) != saving(order[b]) {
			return saving(order[a]) > saving(order[b])
		}
		return order[a] > order[b]
	})
	for _, i := range order {
		if size <= budget || saving(i) == 0 {
			break
		}
		parts[i] = entries[i].short
		size -= saving(i)
	}

	dropped := make([]bool, len(entries))
	droppedBy := map[plan.Action]int{}
	for _, mustSee := range []bool{false, true} {
		for i := len(entries) - 1; i >= 0 && size > budget; i-- {
			a := entries[i].action
			if dropped[i] || (a == plan.Delete || a == plan.Blocked) != mustSee {
				continue
			}
			dropped[i] = true
			droppedBy[a]++
			size -= len(parts[i])
		}
	}

	// Notes get what the changes left.
	kept, room := 0, limit-reserve-size
	for _, n := range notes {
		if len(n) > room {
			break
		}
		room -= len(n)
		kept++
	}
	keptNotes := notes[:kept]

	var b strings.Builder
	folded := 0
	for i, part := range parts {
		if dropped[i] {
			continue
		}
		if part != entries[i].full {
			folded++
		}
		b.WriteString(part)
	}
	fmt.Fprintf(&b, "\n> ✂️ This comment is shortened to fit GitHub's limit: %d of %d changes are listed without their field diffs", folded, len(entries))
	if n := totalCount(droppedBy); n > 0 {
		fmt.Fprintf(&b, ", and %d changes are not listed (%s)", n, countList(droppedBy))
	}
	if n := len(notes) - len(keptNotes); n > 0 {
		fmt.Fprintf(&b, "; %d of %d notes are left out", n, len(notes))
	}
	b.WriteString(". Run `grafsync plan` for the full plan.\n")
	b.WriteString(strings.Join(keptNotes, ""))
	return b.String()
}

func totalCount(by map[plan.Action]int) int {
	n := 0
	for _, c := range by {
		n += c
	}
	return n
}

// countList says "3 to create, 1 to delete", leaving out actions with none.
func countList(by map[plan.Action]int) string {
	var out []string
	for _, a := range []struct {
		action plan.Action
		say    string
	}{{plan.Create, "to create"}, {plan.Update, "to update"}, {plan.Delete, "to delete"}, {plan.Blocked, "blocked"}} {
		if by[a.action] > 0 {
			out = append(out, fmt.Sprintf("%d %s", by[a.action], a.say))
		}
	}
	return strings.Join(out, ", ")
}

func totalLen(parts []string) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mdEscaper and htmlEscaper are built once; a Replacer is immutable and
// safe for concurrent use, and costly to build.
var (
	mdEscaper   = strings.NewReplacer("\n", " ", "\r", " ", "|", `\|`, "*", `\*`, "_", `\_`, "`", "'", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`)
	htmlEscaper = strings.NewReplacer("\n", " ", "\r", " ", "&", "&amp;", "<", "&lt;", ">", "&gt;")
)

// mdEscape keeps subjects on one line and from turning into markdown.
func mdEscape(s string) string { return mdEscaper.Replace(s) }

// htmlEscape keeps subjects on one line and from turning into HTML.
func htmlEscape(s string) string { return htmlEscaper.Replace(s) }

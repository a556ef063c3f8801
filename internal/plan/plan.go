package plan

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/grafsync/grafsync/internal/jsonc"
)

// Action is what apply does to one resource.
type Action string

const (
	NoOp    Action = "no-op"
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Blocked Action = "blocked" // differs, but Grafana will not let grafsync change it
)

// Symbol is the one-character mark views print before a change.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Delete:
		return "-"
	case Blocked:
		return "!"
	}
	return " "
}

// Kind is a kind of Grafana resource, in apply (dependency) order.
type Kind string

const (
	Org               Kind = "org"
	Ownership         Kind = "ownership" // grafsync's record of the folders it made (see Make)
	Folder            Kind = "folder"
	Datasource        Kind = "datasource"
	Dashboard         Kind = "dashboard"
	Team              Kind = "team"
	FolderPermissions Kind = "folder-permissions"
	Preferences       Kind = "preferences"

	// Alerting, in dependency order: templates and mute timings before the
	// contact points that use them, contact points before the policies
	// that route to them, and rule groups (in folders) last.
	NotificationTemplate Kind = "notification-template"
	MuteTiming           Kind = "mute-timing"
	ContactPoint         Kind = "contact-point"
	NotificationPolicies Kind = "notification-policies"
	AlertRuleGroup       Kind = "alert-rule-group"
	AlertRule            Kind = "alert-rule" // only deleteRules entries: rules are written by group
)

// LibraryPanel comes before the dashboards that use it: Grafana connects
// a saved dashboard to its library panels, and fails when one does not exist.
const LibraryPanel Kind = "library-panel"

// kindOrder is the order in which creates and updates run; deletes run in
// the reverse order. Preferences come last: a home dashboard must exist first.
// The ownership record is written before any folder is created, so that a
// folder grafsync creates is never unrecorded.
func kindOrder(k Kind) int {
	for i, o := range []Kind{Org, Ownership, Folder, Datasource, LibraryPanel, Dashboard,
		NotificationTemplate, MuteTiming, ContactPoint, NotificationPolicies, AlertRuleGroup, AlertRule,
		Team, FolderPermissions, Preferences} {
		if k == o {
			return i
		}
	}
	return 99
}

// Resource is one resource on one side, already normalized: Doc is what is
// compared, field by field. Desired and live resources are the same type so
// that both sides pass through the same code.
type Resource struct {
	Kind  Kind
	OrgID int64  // the org it lives in; 0 = the only org
	ID    string // identity within kind and org: a uid, or a name where no uid exists
	Name  string // how people name it, e.g. "platform/ecs-services"; for subjects
	Doc   map[string]any
	// Raw, when set, is Doc encoded as canonical JSON (jsonc.Canonical: keys
	// sorted, numbers as written) and Doc is nil: large documents (dashboards) stay encoded, equal
	// bytes mean equal documents, and only changed ones are decoded to diff.
	Raw []byte
	// Parent is the folder a dashboard, folder, library panel or alert rule
	// group sits in ("" at the root).
	Parent string
	// Depth orders folders parents-first (1 = top level); 0 for other kinds.
	Depth int
	// Source is where a desired resource was declared (file:line); empty live.
	Source string
	// SourceHash is the git blob id of a desired dashboard's file: written
	// with it on Grafana 12/13 (the sourceHash annotation), never compared,
	// so a file changed only in form is no difference.
	SourceHash string
	// OrgName names the org in subjects when a plan spans several orgs ("" for
	// one org); OrgID < 0 then stands for an org that apply creates first.
	OrgName string

	// Live-only facts.
	Version int  // Grafana's version of it, for optimistic locking and stale plans
	Managed bool // carries grafsync's marker: grafsync created or updated it
	// Unproven, on an unmanaged live resource, says why grafsync cannot
	// prove it made a resource that looks like its own (a folder created
	// under grafsync's identity but not in its ownership record) and how
	// to adopt it. Such a resource is never deleted; when it is not in
	// Git, the plan keeps it with this reason.
	Unproven string
	ReadOnly bool // provisioned from files in Grafana: the API refuses changes
	// Secrets lists document paths that hold secret fingerprints; a change
	// there is shown masked.
	Secrets []string
	// Marker is the document path of grafsync's ownership marker on a
	// desired resource ("" = none). A read-only live resource can never
	// carry it, so against one it is not a difference.
	Marker string
	// Tombstone marks a desired resource that Git asks to delete (Grafana
	// provisioning's deleteDatasources). It pairs with the live resource of
	// its ID and becomes a Delete whether grafsync manages it or not: the
	// request is explicit. It needs no Prune but counts against MaxDeletions.
	Tombstone bool
	// Uses, on a desired dashboard, are the IDs of the library panels its
	// panels use (Grafana reconnects a dashboard to what it uses when it is
	// saved). Live dashboards leave it empty: what Grafana has connected is
	// the live library panel's UsedBy.
	Uses []string
	// UsedBy, on a live library panel, are the dashboards Grafana has it
	// connected to: Grafana refuses to delete it while any remains.
	UsedBy []string
	// Unwritable, on a desired resource, says why Grafana will refuse to
	// create or change it as it stands (e.g. its name is held by another
	// resource), and what to do: such a change is Blocked, not attempted.
	Unwritable string
	// LiveNote, on a live resource, is what a person must know about how
	// Grafana holds it when its Schema is not the desired one (a dashboard
	// a person saved as schema v2: which schema, who, when, and that apply
	// writes the Git version back). Such an update carries the note as its
	// Reason; with the same schema on both sides it is ordinary drift.
	LiveNote string
	// Schema is the schema family version of a document a kind has several
	// of: a dashboard's "" (classic JSON, v0/v1) or its v2 version
	// ("v2beta1"). Documents of two families are not compared field by
	// field (see schemaDiff).
	Schema string
	// Lock, on a dashboard or folder of the /apis path, is its lock state in
	// Grafana's UI ("editable" or "locked", grafana.EditLock): on both
	// sides, part of what is compared (a resource whose lock differs is an
	// update, shown as LockPath); "" where the path cannot lock (/api) or
	// the live dashboard has another manager.
	Lock string
}

// LockPath is how a plan names a change of Resource.Lock: the annotation
// Grafana keeps it in.
const LockPath = "grafana.app/managerAllowsEdits"

// Subject names the resource in every message, log line and plan line:
// "dashboard platform/ecs-services", "datasource cw-prod".
func (r *Resource) Subject() string {
	name := r.Name
	if name == "" {
		name = r.ID
	}
	s := string(r.Kind) + " " + name
	if r.OrgName != "" {
		return s + " (org " + r.OrgName + ")"
	}
	if r.OrgID > 1 {
		s += fmt.Sprintf(" (org %d)", r.OrgID)
	}
	return s
}

// Document is the resource's document, decoded from Raw when needed (a
// fresh map each time then).
func (r *Resource) Document() (map[string]any, error) {
	if r.Doc != nil || r.Raw == nil {
		return r.Doc, nil
	}
	// Numbers decode as json.Number: a diff shows them as written.
	m, err := jsonc.Unmarshal(r.Raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Subject(), err)
	}
	return m, nil
}

// key is a resource's identity.
type key struct {
	kind  Kind
	orgID int64
	id    string
}

func (r *Resource) key() key { return key{r.Kind, r.OrgID, r.ID} }

// Change is one step of a plan. Before == nil: create. After == nil: delete.
type Change struct {
	Action  Action
	Subject string
	Before  *Resource
	After   *Resource
	Diff    []FieldDiff // for updates and blocked changes
	Reason  string      // for blocked changes and notes: why, and what to do
	// Adopt marks an update that only takes over a resource made outside
	// grafsync: every field it changes is grafsync's ownership marker
	// (Resource.Marker) or a secret Grafana holds but never returned, or
	// for the ownership record a folder added to it. Views summarise
	// adoptions in one line instead of a diff each.
	Adopt bool
	// SecretsOnce are the secret keys of an adopted datasource that apply
	// writes once, because Grafana never returns secrets.
	SecretsOnce []string
}

// Resource is the side that identifies the change: After, or Before for deletes.
func (c *Change) Resource() *Resource {
	if c.After != nil {
		return c.After
	}
	return c.Before
}

// Plan is the ordered list of changes that brings Grafana to the desired state.
type Plan struct {
	Revision string   // the Git revision the desired state came from
	Changes  []Change // in apply order; no-ops included, views may hide them
	// Unmanaged counts live resources that are not in Git and carry no
	// marker: grafsync leaves them alone.
	Unmanaged int
	// Orphans are managed resources that left Git while prune is off:
	// "--prune would delete" them.
	Orphans []string
	// Kept are managed resources that left Git but that prune keeps, each
	// with the reason (a folder that still holds what grafsync may not delete).
	Kept []string
}

// Options shape a plan.
type Options struct {
	Prune        bool // delete managed resources that left Git
	MaxDeletions int  // refuse a prune that would delete more; 0 = no deletions allowed
	// AllowEmpty lets a prune delete every managed resource of a kind when
	// the repository declares none of that kind (EmptyKindError).
	AllowEmpty bool
}

// EmptyKindError is returned when a prune would delete every managed
// resource of a kind in an org while the repository declares none of that
// kind there: a repository whose dashboards/ went missing (a broken
// checkout, a wrong --repo or --ref) looks exactly like one emptied on
// purpose, and only the user can tell them apart. Nothing has been deleted.
type EmptyKindError struct {
	What      string // "dashboards or folders", "datasources"
	OrgID     int64
	Deletions int
	Subjects  []string
}

func (e *EmptyKindError) Error() string {
	return fmt.Sprintf("the repository declares no %s in org %d but the plan would delete all %d that grafsync manages there; nothing was deleted. Check --repo, --ref and that the org's %s is in the repository; if the removal is intended, confirm it with --allow-empty: %s",
		e.What, e.OrgID, e.Deletions, groupSource(e.What), strings.Join(e.Subjects, ", "))
}

// kindGroup is the group a kind is counted in by the empty-kind guard: the
// kinds that come from one place in the repository, whose absence as a
// whole is what a broken checkout looks like. Dashboards, folders and
// library panels all come from dashboards/; every alerting kind comes from
// alerting/, so the last rule group leaving Git while a contact point stays
// is an ordinary prune.
func kindGroup(k Kind) string {
	switch k {
	case Dashboard, Folder, LibraryPanel:
		return "dashboards or folders"
	case Datasource:
		return "datasources"
	case NotificationTemplate, MuteTiming, ContactPoint, NotificationPolicies, AlertRuleGroup, AlertRule:
		return "alerting"
	}
	return string(k) + "s"
}

// groupSource is where the repository declares a kind group.
func groupSource(group string) string {
	switch group {
	case "dashboards or folders":
		return "dashboards/ directory"
	case "datasources":
		return "datasources/ directory"
	case "alerting":
		return "alerting/ directory"
	}
	return "grafsync.yaml"
}

// checkEmptyKinds refuses prune deletions of a kind group in an org where
// desired declares nothing of that group (see EmptyKindError).
func checkEmptyKinds(pruned []Change, desired []Resource) error {
	type groupKey struct {
		org   int64
		group string
	}
	declared := map[groupKey]bool{}
	for i := range desired {
		if !desired[i].Tombstone {
			declared[groupKey{desired[i].OrgID, kindGroup(desired[i].Kind)}] = true
		}
	}
	subjects := map[groupKey][]string{}
	var order []groupKey
	for _, c := range pruned {
		k := groupKey{c.Before.OrgID, kindGroup(c.Before.Kind)}
		if declared[k] {
			continue
		}
		if subjects[k] == nil {
			order = append(order, k)
		}
		subjects[k] = append(subjects[k], c.Subject)
	}
	if len(order) == 0 {
		return nil
	}
	k := order[0]
	sort.Strings(subjects[k])
	return &EmptyKindError{What: k.group, OrgID: k.org, Deletions: len(subjects[k]), Subjects: subjects[k]}
}

// TooManyDeletionsError is returned when a prune would delete more than
// MaxDeletions resources. Nothing has been deleted.
type TooManyDeletionsError struct {
	Deletions, Max int
	Subjects       []string
}

func (e *TooManyDeletionsError) Error() string {
	return fmt.Sprintf("the plan would delete %d resources, more than --max-deletions %d; nothing was deleted. Check that the repo and --org-id are right, then raise --max-deletions if these deletions are intended: %s",
		e.Deletions, e.Max, strings.Join(e.Subjects, ", "))
}

// Make pairs desired and live resources and returns the plan. Resources are
// paired by kind, org and ID; desired IDs must be unique (the loader
// guarantees it).
//
// The Ownership kind is grafsync's record of the folders it made, one per
// org (normalize.DesiredLedger). It is never deleted, and it is paired
// last: the folders this plan deletes leave the record in the same write,
// so the record names exactly the folders grafsync manages once the plan
// is applied.
func Make(revision string, desired, live []Resource, opts Options) (*Plan, error) {
	p := &Plan{Revision: revision}
	liveByKey := make(map[key]*Resource, len(live))
	for i := range live {
		liveByKey[live[i].key()] = &live[i]
	}
	seen := make(map[key]bool, len(desired))
	var deletions []Change
	for i := range desired {
		d := &desired[i]
		if d.Tombstone || d.Kind == Ownership {
			continue
		}
		if seen[d.key()] {
			return nil, fmt.Errorf("%s is declared twice (second at %s); each resource may appear once", d.Subject(), d.Source)
		}
		seen[d.key()] = true
		c, err := pair(d, liveByKey[d.key()])
		if err != nil {
			return nil, err
		}
		p.Changes = append(p.Changes, c)
	}
	// Explicit deletions come after every declaration, which wins over them.
	for i := range desired {
		d := &desired[i]
		l := liveByKey[d.key()]
		if !d.Tombstone || l == nil || seen[d.key()] {
			continue
		}
		seen[d.key()] = true
		c := Change{Action: Delete, Subject: l.Subject(), Before: l}
		if l.ReadOnly {
			c.Action = Blocked
			c.Reason = "it is provisioned from files in Grafana (read-only to the API); delete it from Grafana's provisioning instead"
			p.Changes = append(p.Changes, c)
			continue
		}
		deletions = append(deletions, c)
	}
	explicit := len(deletions)
	for i := range live {
		l := &live[i]
		if seen[l.key()] || l.Kind == Ownership {
			continue
		}
		if !l.Managed || l.ReadOnly {
			p.Unmanaged++
			if l.Unproven != "" {
				p.Kept = append(p.Kept, l.Subject()+" is kept: "+l.Unproven)
			}
			continue
		}
		deletions = append(deletions, Change{Action: Delete, Subject: l.Subject(), Before: l})
	}
	// Library panels still in use are not deleted: blocked with a prune,
	// kept without one (so "--prune would delete" never names them).
	deletions, inUse := libraryPanelsInUse(deletions, explicit, desired, opts.Prune)
	// Kept is worked out with or without Prune, so that "--prune would
	// delete" never names a folder that a prune would keep.
	var keptNonEmpty []string
	deletions, keptNonEmpty = keepNonEmptyFolders(deletions, desired, live)
	p.Kept = append(p.Kept, keptNonEmpty...)
	for _, c := range inUse {
		if opts.Prune {
			p.Changes = append(p.Changes, c)
		} else {
			p.Kept = append(p.Kept, c.Subject+" is kept: "+c.Reason)
		}
	}
	sort.Strings(p.Kept)
	pruned := deletions[explicit:]
	if !opts.Prune {
		for _, d := range deletions[explicit:] {
			p.Orphans = append(p.Orphans, d.Subject)
		}
		sort.Strings(p.Orphans)
		deletions = deletions[:explicit]
	}
	if len(deletions) > opts.MaxDeletions {
		subjects := make([]string, len(deletions))
		for i, d := range deletions {
			subjects[i] = d.Subject
		}
		sort.Strings(subjects)
		return nil, &TooManyDeletionsError{Deletions: len(deletions), Max: opts.MaxDeletions, Subjects: subjects}
	}
	if opts.Prune && !opts.AllowEmpty {
		if err := checkEmptyKinds(pruned, desired); err != nil {
			return nil, err
		}
	}
	owned, err := recordOwnership(desired, liveByKey, deletions)
	if err != nil {
		return nil, err
	}
	p.Changes = append(p.Changes, owned...)
	sortApplyOrder(p.Changes, false)
	sortApplyOrder(deletions, true)
	p.Changes = append(p.Changes, deletions...)
	return p, nil
}

// recordOwnership pairs each org's desired ownership record with the live
// one, after removing the folders the plan deletes from it. The record's
// document is {"folders": {uid: true, ...}}.
func recordOwnership(desired []Resource, live map[key]*Resource, deletions []Change) ([]Change, error) {
	var out []Change
	for i := range desired {
		d := desired[i]
		if d.Kind != Ownership {
			continue
		}
		folders, _ := d.Doc["folders"].(map[string]any)
		kept := make(map[string]any, len(folders))
		for uid, v := range folders {
			kept[uid] = v
		}
		for _, c := range deletions {
			if b := c.Before; b.Kind == Folder && b.OrgID == d.OrgID {
				delete(kept, b.ID)
			}
		}
		d.Doc = map[string]any{"folders": kept}
		c, err := pair(&d, live[d.key()])
		if err != nil {
			return nil, err
		}
		if c.Action == Create {
			// What it records is what a reviewer needs to see.
			c.Diff = Diff(map[string]any{"folders": map[string]any{}}, d.Doc, nil)
		}
		out = append(out, c)
	}
	return out, nil
}

// keepNonEmptyFolders drops folder deletions that would take something
// with them, or that Grafana would refuse: it deletes a folder's dashboards
// and sub-folders too, and refuses while the folder holds library panels or
// alert rules (grafana-api.md §5.6; source audit row 55). A folder is deleted
// only when every dashboard, folder, library panel and rule group under it
// that the plan read is also being deleted or is moved out by the plan.
func keepNonEmptyFolders(deletions []Change, desired, live []Resource) ([]Change, []string) {
	deleting := map[key]bool{}
	for _, d := range deletions {
		deleting[d.Before.key()] = true
	}
	// Where each live dashboard and folder will be after creates and updates.
	parentAfter := map[key]string{}
	for i := range live {
		parentAfter[live[i].key()] = live[i].Parent
	}
	for i := range desired {
		parentAfter[desired[i].key()] = desired[i].Parent
	}
	var keptNotes []string
	for changed := true; changed; {
		changed = false
		for i := range live {
			l := &live[i]
			if deleting[l.key()] || (l.Kind != Dashboard && l.Kind != Folder && l.Kind != LibraryPanel && l.Kind != AlertRuleGroup) {
				continue
			}
			parent := key{Folder, l.OrgID, parentAfter[l.key()]}
			if parent.id != "" && deleting[parent] {
				delete(deleting, parent)
				keptNotes = append(keptNotes, fmt.Sprintf("folder %s is kept: it still holds %s, which grafsync does not delete", parent.id, l.Subject()))
				changed = true
			}
		}
	}
	var out []Change
	for _, d := range deletions {
		if deleting[d.Before.key()] {
			out = append(out, d)
		}
	}
	sort.Strings(keptNotes)
	return out, keptNotes
}

// DiffResources lists the fields that differ between two resources' documents,
// with either side's secret paths masked. Equal encoded documents are not
// decoded at all.
func DiffResources(before, after *Resource) ([]FieldDiff, error) {
	if before.Raw != nil && after.Raw != nil && bytes.Equal(before.Raw, after.Raw) {
		return nil, nil
	}
	b, err := before.Document()
	if err != nil {
		return nil, err
	}
	a, err := after.Document()
	if err != nil {
		return nil, err
	}
	return Diff(b, a, append(slices.Clone(before.Secrets), after.Secrets...)), nil
}

// pair compares one desired resource with its live counterpart (nil: absent).
func pair(d, l *Resource) (Change, error) {
	if l == nil {
		if d.Unwritable != "" {
			return Change{Action: Blocked, Subject: d.Subject(), After: d, Reason: d.Unwritable}, nil
		}
		return Change{Action: Create, Subject: d.Subject(), After: d}, nil
	}
	c := Change{Action: NoOp, Subject: d.Subject(), Before: l, After: d}
	var err error
	if c.Diff, err = DiffResources(l, d); err != nil {
		return c, err
	}
	if l.ReadOnly && d.Marker != "" {
		c.Diff = slices.DeleteFunc(c.Diff, func(f FieldDiff) bool { return underPath(f.Path, d.Marker) })
	}
	cross := d.Kind == Dashboard && schemaFamily(d.Schema) != schemaFamily(l.Schema)
	if d.Kind == Dashboard {
		c.Diff = schemaDiff(l, d, c.Diff, cross)
	}
	lockNote := ""
	if d.Lock != "" && l.Lock != "" && d.Lock != l.Lock && !l.ReadOnly {
		c.Diff = append(c.Diff, FieldDiff{Path: LockPath, Before: allowsEdits(l.Lock), After: allowsEdits(d.Lock)})
		lockNote = "without --lock-dashboards, people may edit it in Grafana's UI again (pass --lock-dashboards to keep it locked)"
		if d.Lock == "locked" {
			lockNote = "--lock-dashboards locks it: Grafana will refuse edits by people in its UI"
		}
	}
	switch {
	case len(c.Diff) == 0:
	case l.ReadOnly:
		c.Action = Blocked
		c.Reason = "it is provisioned from files in Grafana (read-only to the API); change it there, or remove it from Grafana's provisioning and let grafsync own it"
	case d.Unwritable != "":
		c.Action = Blocked
		c.Reason = d.Unwritable
	default:
		c.Action = Update
		schemaNote := ""
		if cross {
			schemaNote = l.LiveNote
		}
		c.Reason = joinNotes(schemaNote, lockNote)
		c.Adopt, c.SecretsOnce = adoption(l, d, c.Diff)
	}
	return c, nil
}

// allowsEdits is the managerAllowsEdits value of a lock state.
func allowsEdits(lock string) string {
	if lock == "locked" {
		return "false"
	}
	return "true"
}

// joinNotes joins the non-empty notes with "; ".
func joinNotes(notes ...string) string {
	return strings.Join(slices.DeleteFunc(notes, func(s string) bool { return s == "" }), "; ")
}

// unknownSecret is the fingerprint normalize gives a secret Grafana holds
// but grafsync never wrote (normalize/datasources.go, unknownFingerprint).
const unknownSecret = "unknown"

// adoption reports whether an update of an unmanaged live resource
// changes nothing but grafsync's marker and secrets Grafana never
// returned, and lists the secrets apply writes once: every secret the
// desired side sets that Grafana holds unfingerprinted, whether or not its
// value is known to this run (a pull request's CI has no secrets).
func adoption(l, d *Resource, diff []FieldDiff) (bool, []string) {
	if l.Managed || d.Marker == "" {
		return false, nil
	}
	marker := false
	for _, f := range diff {
		switch {
		case underPath(f.Path, d.Marker):
			marker = true
		case f.Secret && !f.BeforeAbsent && liveValue(l, f.Path) == unknownSecret:
		default:
			return false, nil
		}
	}
	if !marker {
		return false, nil
	}
	var once []string
	for _, root := range d.Secrets {
		want, _ := d.Doc[root].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(want)) {
			if liveValue(l, root+"."+k) == unknownSecret {
				once = append(once, k)
			}
		}
	}
	return true, once
}

// liveValue is the string at a dotted path of a live resource's Doc ("" if
// none): the value the diff masked.
func liveValue(l *Resource, path string) string {
	var v any = l.Doc
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// Adoption tallies a plan's adoptions: the resources taken over by kind,
// and the secrets written once, as "subject: key, key". Folders count as
// adopted when the ownership record's change records a folder that exists
// in Grafana already (the record itself stays a change of its own).
func (p *Plan) Adoption() (byKind map[Kind]int, secrets []string) {
	byKind = map[Kind]int{}
	existing := map[key]bool{}
	for _, c := range p.Changes {
		if r := c.Resource(); r != nil && r.Kind == Folder && c.Before != nil && c.After != nil {
			existing[r.key()] = true
		}
	}
	for _, c := range p.Changes {
		r := c.Resource()
		if r == nil {
			continue
		}
		if r.Kind == Ownership && c.After != nil {
			for _, f := range c.Diff {
				if uid, ok := strings.CutPrefix(f.Path, "folders."); ok && f.BeforeAbsent && existing[key{Folder, r.OrgID, uid}] {
					byKind[Folder]++
				}
			}
		}
		if !c.Adopt {
			continue
		}
		byKind[r.Kind]++
		if len(c.SecretsOnce) > 0 {
			secrets = append(secrets, c.Subject+": "+strings.Join(c.SecretsOnce, ", "))
		}
	}
	return byKind, secrets
}

// sortApplyOrder orders changes for apply: by kind (reversed for deletes),
// then folders by depth (parents first; children first for deletes), then by
// org and ID, so the same inputs always give the same order.
func sortApplyOrder(cs []Change, deleting bool) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i].Resource(), cs[j].Resource()
		ka, kb := kindOrder(a.Kind), kindOrder(b.Kind)
		if ka != kb {
			return (ka < kb) != deleting
		}
		if a.Depth != b.Depth {
			return (a.Depth < b.Depth) != deleting
		}
		if a.OrgID != b.OrgID {
			return a.OrgID < b.OrgID
		}
		return a.ID < b.ID
	})
}

// Counts tallies the changes by action.
func (p *Plan) Counts() map[Action]int {
	n := map[Action]int{}
	for _, c := range p.Changes {
		n[c.Action]++
	}
	return n
}

// HasChanges reports whether applying the plan would change Grafana (or
// would be refused because of a blocked change).
func (p *Plan) HasChanges() bool {
	for _, c := range p.Changes {
		if c.Action != NoOp {
			return true
		}
	}
	return false
}

// Summary is the one-line summary every view ends with.
func (p *Plan) Summary() string {
	n := p.Counts()
	s := fmt.Sprintf("Plan: %d to create, %d to update, %d to delete.", n[Create], n[Update], n[Delete])
	if n[Blocked] > 0 {
		s += fmt.Sprintf(" %d blocked.", n[Blocked])
	}
	adopt := 0
	for _, c := range p.Changes {
		if c.Adopt {
			adopt++
		}
	}
	if adopt > 0 {
		s += fmt.Sprintf(" (%d of them only adopt.)", adopt)
	}
	return s
}

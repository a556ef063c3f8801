package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// Options shape one apply.
type Options struct {
	// Message is recorded in each saved dashboard's version history.
	Message string
	// Secrets are the secret values of the desired datasources, by the
	// datasource identity normalize gives (normalize.DatasourceSecrets).
	Secrets map[string]map[string]resource.Secret
	// Grace is how long writes in flight may finish after ctx is cancelled; default 5s.
	Grace time.Duration
	// Progress, when set, is told after each change how many are done.
	Progress func(done, total int)
	Logger   *slog.Logger
	// Orgs, when set, routes each change to its org's client (a plan that
	// spans several orgs); nil: every change goes to the one client.
	Orgs *Orgs
	// AlertingEditable writes alerting with X-Disable-Provenance (editable
	// in Grafana's UI) where a change's doc does not say; see docs/alerting.md.
	AlertingEditable bool
}

// Result is what an apply did.
type Result struct {
	Done   map[plan.Action]int
	ByKind map[plan.Kind]map[plan.Action]int // Done, split by kind
	Failed []error
}

// Summary is the one line every apply prints.
func (r *Result) Summary() string {
	s := fmt.Sprintf("Apply: %d created, %d updated, %d deleted.", r.Done[plan.Create], r.Done[plan.Update], r.Done[plan.Delete])
	if len(r.Failed) > 0 {
		s += fmt.Sprintf(" %d failed.", len(r.Failed))
	}
	return s
}

// Conflict is a change Grafana refused because the resource changed there
// since it was read (a 409 or 412): the plan is stale for it.
type Conflict struct {
	Subject string
	Err     error
}

func (c *Conflict) Error() string {
	return fmt.Sprintf("%s was changed in Grafana since it was read; nothing was overwritten: run grafsync plan again to see the change (%v)", c.Subject, c.Err)
}

func (c *Conflict) Unwrap() error { return c.Err }

// Blocked is returned, before anything is written, for a plan that holds a
// blocked change.
type Blocked struct{ Subjects []string }

func (b *Blocked) Error() string {
	return fmt.Sprintf("the plan has changes Grafana will not accept (%v); nothing was applied", b.Subjects)
}

// Apply runs the plan's changes against c. It returns the result and, when
// anything failed or ctx ended early, an error: ctx's error, or the first
// failure (all are in Result.Failed).
func Apply(ctx context.Context, c *grafana.Client, p *plan.Plan, opts Options) (*Result, error) {
	if opts.Grace <= 0 {
		opts.Grace = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var blocked []string
	for _, ch := range p.Changes {
		if ch.Action == plan.Blocked {
			blocked = append(blocked, ch.Subject)
		}
	}
	res := &Result{Done: map[plan.Action]int{}, ByKind: map[plan.Kind]map[plan.Action]int{}}
	if len(blocked) > 0 {
		return res, &Blocked{Subjects: blocked}
	}
	// Writes run on a context that outlives ctx by Grace, so a signal lets
	// the requests in flight finish instead of cutting them off mid-write.
	writeCtx, cancelWrites := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWrites()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(opts.Grace, cancelWrites) })
	defer stop()

	steps := stepsOf(p.Changes)
	total := 0
	for _, s := range steps {
		total += len(s)
	}
	a := &applier{c: c, opts: opts, res: res, total: total, ids: &identities{m: map[*grafana.Client]grafana.Identity{}}}
	for _, step := range steps {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		g := new(errgroup.Group)
		g.SetLimit(c.Concurrency())
		for _, ch := range step {
			if ctx.Err() != nil {
				break
			}
			g.Go(func() error {
				a.run(writeCtx, ch)
				return nil
			})
		}
		g.Wait()
		a.relistKept(writeCtx)
		if len(res.Failed) > 0 {
			return res, res.Failed[0]
		}
	}
	return res, ctx.Err()
}

// stepsOf cuts the plan's changes (already in apply order) into steps of one
// kind, depth and phase (deletes apart); no-ops are dropped.
func stepsOf(changes []plan.Change) [][]plan.Change {
	var steps [][]plan.Change
	type stepKey struct {
		kind   plan.Kind
		depth  int
		delete bool
	}
	var last stepKey
	for _, ch := range changes {
		if ch.Action == plan.NoOp {
			continue
		}
		r := ch.Resource()
		k := stepKey{r.Kind, r.Depth, ch.Action == plan.Delete}
		if len(steps) == 0 || k != last {
			steps = append(steps, nil)
			last = k
		}
		steps[len(steps)-1] = append(steps[len(steps)-1], ch)
	}
	return defaultsFirst(steps)
}

// defaultsFirst moves the creation of each declared default datasource into
// a step of its own, before the other datasource creates. Grafana makes an
// org's first datasource its default whatever the request says (audit row
// 58, grafana-api.md §6.3): created concurrently, any of them may come
// first and need a corrective update; created first, the declared default
// is the default, and the rest are created as they are declared.
func defaultsFirst(steps [][]plan.Change) [][]plan.Change {
	var out [][]plan.Change
	for _, step := range steps {
		var defaults, rest []plan.Change
		for _, ch := range step {
			if ch.Action == plan.Create && ch.After.Kind == plan.Datasource && ch.After.Doc["isDefault"] == true {
				defaults = append(defaults, ch)
			} else {
				rest = append(rest, ch)
			}
		}
		if len(defaults) > 0 && len(rest) > 0 {
			out = append(out, defaults, rest)
		} else {
			out = append(out, step)
		}
	}
	return out
}

type applier struct {
	c     *grafana.Client
	opts  Options
	total int
	ids   *identities // shared by the per-org workers of one apply

	mu   sync.Mutex
	res  *Result
	done int
	// kept are the folder deletes not made for what the folders hold
	// (FolderKept): the plan took them out of the ownership ledger,
	// relistKept puts them back. A folder whose version moved (Conflict)
	// is not: it may be a person's, made again with the same uid.
	kept []plan.Change
}

// identities remembers who each client is for the length of one apply: a
// client's credentials and org do not change, so neither does the answer.
type identities struct {
	mu sync.Mutex
	m  map[*grafana.Client]grafana.Identity
}

// whoami is the identity of a's client, asked of Grafana once per apply.
func (a *applier) whoami(ctx context.Context) (grafana.Identity, error) {
	a.ids.mu.Lock()
	id, ok := a.ids.m[a.c]
	a.ids.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := a.c.Whoami(ctx)
	if err != nil {
		return id, err
	}
	a.ids.mu.Lock()
	a.ids.m[a.c] = id
	a.ids.mu.Unlock()
	return id, nil
}

func (a *applier) run(ctx context.Context, ch plan.Change) {
	w, err := a.inOrg(ch)
	if err == nil {
		err = w.change(ctx, ch)
	}
	switch {
	case ch.Action == plan.Delete && grafana.IsStatus(err, http.StatusNotFound):
		// Gone already: a retried delete whose first attempt landed, or a
		// hand delete. Either way Grafana is as the plan wants it.
		a.opts.Logger.Debug("already deleted", "subject", ch.Subject)
		err = nil
	case isRefused(err) && ch.After != nil:
		same, verr := w.verify(ctx, ch)
		switch {
		case verr == nil && same:
			a.opts.Logger.Debug("write verified after a refusal: grafana holds what was asked", "subject", ch.Subject)
			err = nil
		case verr != nil:
			a.opts.Logger.Warn("could not read back a refused write", "subject", ch.Subject, "error", verr)
		}
		if err != nil && isVersionConflict(err) {
			err = &Conflict{Subject: ch.Subject, Err: err}
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.done++
	var folderKept *FolderKept
	if ch.Action == plan.Delete && errors.As(err, &folderKept) {
		a.kept = append(a.kept, ch)
	}
	if err != nil {
		a.res.Failed = append(a.res.Failed, named(fmt.Sprintf("%s %s", ch.Action, ch.Subject), err))
		a.opts.Logger.Error("change failed", "action", ch.Action, "subject", ch.Subject, "error", err)
	} else {
		a.res.Done[ch.Action]++
		kind := ch.Resource().Kind
		if a.res.ByKind[kind] == nil {
			a.res.ByKind[kind] = map[plan.Action]int{}
		}
		a.res.ByKind[kind][ch.Action]++
		a.opts.Logger.Debug("change applied", "action", ch.Action, "subject", ch.Subject)
	}
	if a.opts.Progress != nil {
		a.opts.Progress(a.done, a.total)
	}
}

// change makes the requests for one change.
func (a *applier) change(ctx context.Context, ch plan.Change) error {
	r := ch.Resource()
	switch r.Kind {
	case plan.Org:
		return a.org(ctx, ch)
	case plan.Team:
		return a.team(ctx, ch)
	case plan.FolderPermissions:
		return a.folderPermissions(ctx, ch)
	case plan.Preferences:
		return a.preferences(ctx, ch)
	case plan.Ownership:
		return a.ownership(ctx, ch)
	case plan.Folder:
		return a.folder(ctx, ch)
	case plan.Dashboard:
		return a.dashboard(ctx, ch)
	case plan.Datasource:
		return a.datasource(ctx, ch)
	case plan.LibraryPanel:
		return a.libraryPanel(ctx, ch)
	}
	if isAlerting(r.Kind) {
		return a.alerting(ctx, ch)
	}
	return fmt.Errorf("grafsync cannot apply %s changes yet", r.Kind)
}

func str(doc map[string]any, k string) string {
	s, _ := doc[k].(string)
	return s
}

func (a *applier) folder(ctx context.Context, ch plan.Change) error {
	err := a.folderChange(ctx, ch)
	if isMaxDepth(err) {
		return depthError(ch, err)
	}
	return err
}

func (a *applier) folderChange(ctx context.Context, ch plan.Change) error {
	switch ch.Action {
	case plan.Create:
		d := ch.After
		return a.c.CreateFolder(ctx, d.ID, str(d.Doc, "title"), str(d.Doc, "parentUid"))
	case plan.Delete:
		return a.deleteFolder(ctx, ch)
	}
	before, after := ch.Before.Doc, ch.After.Doc
	version := ch.Before.Version
	moved := str(before, "parentUid") != str(after, "parentUid")
	if moved {
		// Grafana's move takes no version (§5.5), and the retitle below
		// states the version the move left: check the planned one first,
		// so that an edit made since the plan is not overwritten.
		f, err := a.c.GetFolder(ctx, ch.After.ID)
		if err != nil {
			return err
		}
		if f.Version != version {
			return &Conflict{Subject: ch.Subject, Err: fmt.Errorf("its version is %d, the plan read %d; it was not moved", f.Version, version)}
		}
		v, err := a.c.MoveFolder(ctx, ch.After.ID, str(after, "parentUid"))
		if err != nil {
			return err
		}
		version = v
	}
	if str(before, "title") == str(after, "title") && (moved || ch.Before.Lock == ch.After.Lock) {
		return nil // a move on /apis writes the lock too; a lock alone is an update below
	}
	if moved && version == 0 {
		// The move answered without a version: the retitle must state the
		// one the move left, so read it (this folder was just written by us).
		f, err := a.c.GetFolder(ctx, ch.After.ID)
		if err != nil {
			return err
		}
		version = f.Version
	}
	return a.c.UpdateFolder(ctx, ch.After.ID, str(after, "title"), version)
}

// deleteFolder deletes a folder the plan found holding nothing it does not
// delete. Grafana deletes a folder's contents with it (§5.6), and its
// managed contents were deleted by earlier steps, so a folder that still
// holds something got it since the plan, or holds what the plan does not
// read (alert rules, which are read only for an org whose repository has
// an alerting/ directory): it is kept, as a FolderKept. Grafana's
// counts decide (§5.7); search, which lags on 12.x, only names what it can.
// A folder whose version moved since the plan (renamed, moved, or deleted
// and made again by hand) is not the folder the plan proved grafsync's: it
// is kept too.
func (a *applier) deleteFolder(ctx context.Context, ch plan.Change) error {
	uid := ch.Before.ID
	f, err := a.c.GetFolder(ctx, uid)
	if err != nil {
		return err
	}
	if f.Version != ch.Before.Version {
		return &Conflict{Subject: ch.Subject, Err: fmt.Errorf("its version is %d, the plan read %d; the folder was kept", f.Version, ch.Before.Version)}
	}
	counts, err := a.c.FolderCounts(ctx, uid)
	if err != nil {
		return err
	}
	if len(counts) == 0 {
		return a.c.DeleteFolder(ctx, uid)
	}
	holds := describeCounts(counts)
	if names, err := a.c.FolderContents(ctx, uid); err == nil && len(names) > 0 {
		holds += " (" + strings.Join(names, ", ") + ")"
	}
	return &FolderKept{Subject: ch.Subject, Holds: holds}
}

// relistKept puts the folders kept for what they hold (FolderKept, still the
// version the plan proved grafsync's) back in their org's ownership ledger. The plan removed them from it in an earlier step (the
// ledger names the folders grafsync manages once the plan is applied), but
// they are still there and still grafsync's: left out, a folder kept for
// what search did not list yet, or for alert rules the plan did not read,
// would never be pruned once it is empty. A failure is logged: the apply
// has failed already, and the folder is kept either way.
func (a *applier) relistKept(ctx context.Context) {
	byOrg := map[int64][]plan.Change{}
	for _, ch := range a.kept {
		byOrg[ch.Before.OrgID] = append(byOrg[ch.Before.OrgID], ch)
	}
	a.kept = nil
	for _, org := range slices.Sorted(maps.Keys(byOrg)) {
		kept := byOrg[org]
		w, err := a.inOrg(kept[0])
		if err == nil {
			err = w.relist(ctx, org, kept)
		}
		if err != nil {
			a.opts.Logger.Warn("could not put kept folders back in the ownership ledger; grafsync will not prune them: declare them in Git and apply once to manage them again",
				"folders", kept[0].Subject, "error", err)
		}
	}
}

// relist adds the kept folders to the ledger as Grafana holds it now.
func (a *applier) relist(ctx context.Context, org int64, kept []plan.Change) error {
	cur, version, exists, err := a.readLedger(ctx)
	if err != nil {
		return err
	}
	want := maps.Clone(cur)
	for _, ch := range kept {
		want[ch.Before.ID] = true
	}
	if exists && maps.Equal(want, cur) {
		return nil
	}
	ch := plan.Change{Action: plan.Update, Subject: "ownership ledger",
		After: &plan.Resource{Kind: plan.Ownership, OrgID: org, Doc: ledgerDoc(want)}}
	if exists {
		ch.Before = &plan.Resource{Kind: plan.Ownership, OrgID: org, Doc: ledgerDoc(cur), Version: version}
	}
	return a.ownership(ctx, ch)
}

// ledgerDoc is an ownership ledger's plan document.
func ledgerDoc(folders map[string]bool) map[string]any {
	m := make(map[string]any, len(folders))
	for uid := range folders {
		m[uid] = true
	}
	return map[string]any{"folders": m}
}

// FolderKept is a folder delete that was not made: Grafana says the folder
// holds what the plan did not list, and would delete it with the folder.
// Nothing need have changed in Grafana: on 12.x, search (which the plan
// lists folders' contents with) lags recent writes.
type FolderKept struct {
	Subject string // "folder team"
	Holds   string // "30 dashboards", with names where search gives them
}

func (k *FolderKept) Error() string {
	return fmt.Sprintf("%s was kept, not deleted: Grafana says it holds %s that the plan did not list, and would delete them with it. "+
		"They were written since the plan, are alert rules of an org whose repository has no alerting/ (the plan does not read them), or were written recently and Grafana 12.x's search does not list them yet; "+
		"run grafsync plan --prune again to see them (on 12.x, once search has caught up)", k.Subject, k.Holds)
}

// describeCounts says FolderCounts in words: "1 dashboard, 2 library panels".
func describeCounts(counts map[string]int64) string {
	names := map[string]string{"folder": "folder", "dashboard": "dashboard", "librarypanel": "library panel", "alertrule": "alert rule"}
	var parts []string
	for _, kind := range slices.Sorted(maps.Keys(counts)) {
		name := names[kind]
		if name == "" {
			name = kind
		}
		if counts[kind] != 1 {
			name += "s"
		}
		parts = append(parts, fmt.Sprintf("%d %s", counts[kind], name))
	}
	return strings.Join(parts, ", ")
}

func (a *applier) dashboard(ctx context.Context, ch plan.Change) error {
	if ch.Action == plan.Delete {
		return a.c.DeleteDashboard(ctx, ch.Before.ID)
	}
	// The document is sent encoded, as planned: no map is built, and
	// numbers keep their text. Its folder is the resource's Parent (the
	// normaliser's folderUid, which SaveDashboard drops from the body).
	version := 0
	if ch.Before != nil {
		version = ch.Before.Version
	}
	raw := ch.After.Raw
	if raw == nil {
		var err error
		if raw, err = json.Marshal(ch.After.Doc); err != nil {
			return fmt.Errorf("%s: %w", ch.Subject, err)
		}
	}
	// On Grafana 12/13 the file's path and git blob id go with it as the
	// sourcePath and sourceHash annotations (docs/apis.md).
	_, err := a.c.SaveDashboardFrom(ctx, raw, ch.After.Parent, version, a.opts.Message, grafana.Source{Path: ch.After.Source, Hash: ch.After.SourceHash})
	return err
}

// libraryPanel writes one library panel. An update states the live
// version, which Grafana requires (412 when it moved since the plan).
func (a *applier) libraryPanel(ctx context.Context, ch plan.Change) error {
	switch ch.Action {
	case plan.Delete:
		return a.c.DeleteLibraryPanel(ctx, ch.Before.ID)
	case plan.Create:
		return a.c.CreateLibraryPanel(ctx, normalize.LibraryPanelSpec(ch.After))
	}
	return a.c.UpdateLibraryPanel(ctx, normalize.LibraryPanelSpec(ch.After), ch.Before.Version)
}

func (a *applier) datasource(ctx context.Context, ch plan.Change) error {
	if ch.Action == plan.Delete {
		return a.c.DeleteDatasource(ctx, ch.Before.ID)
	}
	spec, err := a.datasourceSpec(ch)
	if err != nil {
		return err
	}
	if ch.Action == plan.Create {
		created, err := a.c.CreateDatasource(ctx, spec)
		if err != nil {
			return err
		}
		// Grafana makes an org's first datasource its default whatever was
		// asked (grafana-api.md §6.3); put back what Git says.
		if created.IsDefault != spec.IsDefault {
			spec.UID = created.UID
			spec.Secure = nil
			return a.c.UpdateDatasource(ctx, created.UID, spec, created.Version)
		}
		return nil
	}
	return a.c.UpdateDatasource(ctx, ch.Before.ID, spec, ch.Before.Version)
}

// datasourceSpec builds what to send for a datasource: every field from the
// doc, jsonData with grafsync's marker and fingerprints, and only the secrets
// whose fingerprints changed (the others stay as Grafana has them; §6.4
// merges secureJsonData). Secrets Grafana has but Git does not are cleared.
func (a *applier) datasourceSpec(ch plan.Change) (grafana.DatasourceSpec, error) {
	d := ch.After.Doc
	want, _ := d["secureJsonData"].(map[string]any)
	have := map[string]any{}
	if ch.Before != nil {
		have, _ = ch.Before.Doc["secureJsonData"].(map[string]any)
	}
	values := a.opts.Secrets[ch.After.ID]
	send := map[string]string{}
	for key, fp := range want {
		if have[key] == fp {
			continue
		}
		s, ok := values[key]
		if !ok || s.IsUnset() {
			return grafana.DatasourceSpec{}, fmt.Errorf("secret %s is not set (%s); set it in the environment and run apply again", key, s.From())
		}
		send[key] = s.Reveal()
	}
	for key := range have {
		if _, ok := want[key]; !ok {
			send[key] = ""
		}
	}
	jd, _ := d["jsonData"].(map[string]any)
	b := func(k string) bool { v, _ := d[k].(bool); return v }
	uid := ch.After.ID
	if ch.Before == nil && len(uid) > 5 && uid[:5] == "name:" {
		uid = "" // no uid in Git: Grafana generates one
	}
	return grafana.DatasourceSpec{
		UID: uid, Name: str(d, "name"), Type: str(d, "type"), Access: str(d, "access"), URL: str(d, "url"),
		User: str(d, "user"), Database: str(d, "database"), BasicAuthUser: str(d, "basicAuthUser"),
		BasicAuth: b("basicAuth"), WithCredentials: b("withCredentials"), IsDefault: b("isDefault"),
		JSONData: normalize.JSONDataToWrite(jd, want), Secure: send,
	}, nil
}

// IsConflict reports whether err holds a Conflict or a FolderKept (the plan
// is stale for that change).
func IsConflict(err error) bool {
	var k *FolderKept
	if errors.As(err, &k) {
		return true
	}
	var c *Conflict
	return errors.As(err, &c)
}

// named puts the change's name in front of err, unless err starts with it
// already (the client names its call "create folder x" too).
func named(change string, err error) error {
	if strings.HasPrefix(err.Error(), change+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", change, err)
}

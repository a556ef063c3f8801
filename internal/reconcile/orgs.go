package reconcile

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/grafsync/grafsync/internal/apply"
	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// Access says how to reach each org of a repository that declares several.
// cmd builds it from the environment (docs/orgs.md).
type Access interface {
	// Admin is a client logged in as a Grafana server admin (basic auth,
	// no org header), or nil when only tokens were given.
	Admin() *grafana.Client
	// ForOrg is a client working in the named org: the org's own token when
	// the environment has one, else the admin login with X-Grafana-Org-Id id,
	// else the shared token. id 0 means the id is not known (a token then
	// works in its own org).
	ForOrg(name string, id int64) (*grafana.Client, error)
	// Describe says which credentials ForOrg uses for the org, for errors
	// ("GRAFANA_TOKEN_TENANT_A"); never a secret.
	Describe(name string) string
}

// orgTarget is one declared org, resolved against Grafana.
type orgTarget struct {
	org    *resource.Org
	id     int64           // the live org id; < 0: the org does not exist yet
	client *grafana.Client // nil when the org does not exist yet
	live   grafana.OrgInfo // the live org (zero when it does not exist)
}

// resolveOrgs finds every declared org in Grafana and builds its client.
// A missing org gets a placeholder id (-1, -2, ...) that apply replaces
// once it has created the org.
func resolveOrgs(ctx context.Context, in Inputs, orgs []*resource.Org) ([]orgTarget, error) {
	admin := in.Access.Admin()
	var out []orgTarget
	for i, o := range orgs {
		t := orgTarget{org: o}
		if admin != nil {
			var found bool
			var err error
			if o.ID != 0 {
				t.live, found, err = admin.OrgByID(ctx, o.ID)
			} else {
				t.live, found, err = admin.OrgByName(ctx, o.Name)
			}
			if err != nil {
				return nil, fmt.Errorf("org %q: %w", o.Name, err)
			}
			if !found && o.ID != 0 {
				return nil, fmt.Errorf("org %q (%s): Grafana has no org with id %d; Grafana picks the id of a new org: remove id to let grafsync create the org by name", o.Name, o.Source, o.ID)
			}
			if !found {
				t.id = -int64(i + 1)
				out = append(out, t)
				continue
			}
			t.id = t.live.ID
		}
		c, err := in.Access.ForOrg(o.Name, max(t.id, o.ID))
		if err != nil {
			return nil, fmt.Errorf("org %q: %w", o.Name, err)
		}
		cur, err := c.CurrentOrg(ctx)
		if err != nil {
			return nil, orgAccessError(in.Access, o, err)
		}
		if o.ID == 0 && cur.Name != o.Name {
			return nil, fmt.Errorf("org %q (%s): %s works in org %q (id %d), not in this one. A service-account token belongs to exactly one org: set %s to a token of a service account of org %q; if the org does not exist yet, give GRAFANA_USER and GRAFANA_PASSWORD of a Grafana server admin, which can create it",
				o.Name, o.Source, in.Access.Describe(o.Name), cur.Name, cur.ID, TokenEnv(o.Name), o.Name)
		}
		t.id, t.live, t.client = cur.ID, cur, c
		out = append(out, t)
	}
	return out, nil
}

// orgAccessError explains why an org's client cannot work in it.
func orgAccessError(a Access, o *resource.Org, err error) error {
	switch {
	case grafana.IsOrgMismatch(err):
		return fmt.Errorf("org %q (%s): %s belongs to another org (Grafana answered 401 api-key.organization-mismatch: a service-account token works only in its own org). Set %s to a token of a service account created in org %q, or give GRAFANA_USER and GRAFANA_PASSWORD of a server admin that is a member of every org: %w",
			o.Name, o.Source, a.Describe(o.Name), TokenEnv(o.Name), o.Name, err)
	case grafana.IsStatus(err, http.StatusForbidden):
		return fmt.Errorf("org %q (%s): %s is not a member of this org (Grafana answered 403). Add that user to org %q with the Admin role (Administration → Organizations), or set %s to a token of that org: %w",
			o.Name, o.Source, a.Describe(o.Name), o.Name, TokenEnv(o.Name), err)
	}
	return fmt.Errorf("org %q: %w", o.Name, err)
}

// TokenEnv is the environment variable holding the service-account token of
// an org: GRAFANA_TOKEN_ and the org name upper-cased, with every character
// that is not A-Z or 0-9 as "_" ("Tenant A" → GRAFANA_TOKEN_TENANT_A).
func TokenEnv(org string) string {
	var b strings.Builder
	b.WriteString("GRAFANA_TOKEN_")
	for _, r := range strings.ToUpper(org) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// checkPinnedOrg refuses to plan the one org of a grafsync.yaml that pins
// its id in another org (the credentials' org, or --org-id): its
// dashboards would land in the wrong org. Without grafsync.yaml nothing is
// pinned.
func checkPinnedOrg(o *resource.Org, orgID int64) error {
	if o.Source.File == "" || o.ID == 0 || o.ID == orgID {
		return nil
	}
	return fmt.Errorf("org %q (%s) has id %d, but grafsync works in org %d: pass --org-id %d, or use credentials of that org (a service-account token works only in its own org)", o.Name, o.Source, o.ID, orgID, o.ID)
}

// orgPart is what one org contributes to the plan.
type orgPart struct {
	desired, live []plan.Resource
	secrets       map[string]map[string]resource.Secret
	notes         []string
}

// readOrg reads one existing org and normalises both sides.
func readOrg(ctx context.Context, in Inputs, t orgTarget) (orgPart, error) {
	dashboards := &liveDashboards{orgID: t.id}
	live, err := t.client.ReadState(ctx, dashboards.add, func() []string { return dashboardUIDs(t.org) })
	if err == nil {
		err = dashboards.err
	}
	if err != nil {
		return orgPart{}, fmt.Errorf("org %q: %w", t.org.Name, err)
	}
	me, err := t.client.Whoami(ctx)
	if err != nil {
		return orgPart{}, fmt.Errorf("org %q: %w", t.org.Name, err)
	}
	desiredDash, err := desiredDashboards(t.org, t.id)
	if err != nil {
		return orgPart{}, err
	}
	return normalizeOrg(ctx, in, t.client, t.org, t.id, me, live, dashboards.ledger, desiredDash, dashboards.out)
}

// normalizeOrg normalises both sides of one existing org, as c reads it:
// folders (and the ownership ledger that says which are grafsync's),
// datasources, dashboards (already normalised, both sides) and the org
// config the repository manages there.
func normalizeOrg(ctx context.Context, in Inputs, c *grafana.Client, o *resource.Org, orgID int64, me grafana.Identity, live *grafana.State, ledger normalize.Ledger, desiredDash, liveDash []plan.Resource) (orgPart, error) {
	if err := checkNested(ctx, c, o); err != nil {
		return orgPart{}, err
	}
	if err := checkFolderLevels(ctx, c, o, live.Folders); err != nil {
		return orgPart{}, err
	}
	// Both sides' numbers as this Grafana stores them (exact, or float64).
	if err := normalize.DashboardNumbers(desiredDash, live.Version); err != nil {
		return orgPart{}, err
	}
	if err := normalize.DashboardNumbers(liveDash, live.Version); err != nil {
		return orgPart{}, err
	}
	if err := checkLibraryPanelRefs(o, live.LibraryPanels); err != nil {
		return orgPart{}, err
	}
	part := orgPart{
		desired: slices.Concat(
			normalize.DesiredLedger(o, orgID, ledger, live.Folders),
			normalize.DesiredFolders(o, orgID),
			normalize.DesiredDatasources(o, orgID, live.Datasources, in.Fingerprinter),
			normalize.DatasourceTombstones(o, orgID, live.Datasources),
			normalize.DesiredLibraryPanels(o, orgID, live.LibraryPanels),
			desiredDash),
		live: slices.Concat(
			normalize.LiveLedger(ledger, orgID),
			normalize.LiveFolders(live.Folders, orgID, normalize.FolderOwnership{Ledger: ledger, Me: me}),
			normalize.LiveDatasources(live.Datasources, orgID),
			normalize.LiveLibraryPanels(live.LibraryPanels, orgID),
			liveDash),
		secrets: normalize.DatasourceSecrets(o, live.Datasources),
	}
	if err := titleClashes(ctx, c, live.Version, part.desired, part.live); err != nil {
		return orgPart{}, err
	}
	switch {
	case live.APIs:
		normalize.LockDashboards(part.desired, c.LocksDashboards())
	case c.LocksDashboards():
		return orgPart{}, lockOnLegacy(live.Version, c.ForcesLegacy())
	default:
		normalize.BlockSchemaV2(part.desired, grafana.SchemaV2Advice(live.Version, c.ForcesLegacy()))
	}
	if err := addAlerting(ctx, in, c, o, orgID, &part); err != nil {
		return orgPart{}, err
	}
	d, l, notes, err := orgConfig(ctx, c, o, orgID, me, live)
	if err != nil {
		return orgPart{}, err
	}
	part.desired = append(part.desired, d...)
	part.live = append(part.live, l...)
	part.notes = notes
	return part, nil
}

// lockOnLegacy is the error for --lock-dashboards where grafsync writes
// through /api: a lock is Grafana's managerAllowsEdits annotation, which
// only /apis writes, so the run cannot give what it was asked for.
func lockOnLegacy(version string, forced bool) error {
	what := "drop --lock-dashboards, or use Grafana 12 or later (which serves /apis)"
	if forced {
		what = "drop --grafana-api legacy so that grafsync uses /apis, or drop --lock-dashboards"
	}
	return fmt.Errorf("--lock-dashboards: grafsync writes dashboards to this Grafana (%s) through /api, which cannot lock them (the lock is the grafana.app/managerAllowsEdits annotation, written only through /apis); nothing was written: %s", version, what)
}

// checkNested refuses a repository with nested directories when Grafana
// has nested folders off (10.x without the toggle): it would put every
// folder at the root, and the plan would never converge.
func checkNested(ctx context.Context, c *grafana.Client, o *resource.Org) error {
	i := slices.IndexFunc(o.Folders, func(f *resource.Folder) bool { return f.ParentUID != "" })
	if i < 0 {
		return nil
	}
	nested, err := c.NestedFolders(ctx)
	if err != nil || nested {
		return err
	}
	f := o.Folders[i]
	return fmt.Errorf("folder %s is nested (%s), but this Grafana has nested folders off (Grafana 10.x without the nestedFolders feature toggle); nothing was written: enable the toggle, upgrade to Grafana 11, or move the directory to the top of dashboards/", f.Path, f.Source)
}

// checkFolderLevels refuses, before anything is written, a folder that the
// Grafana release is known to refuse at its level: validate allows Grafana's
// default (a top-level folder plus 4 nested levels), but 12.0–12.1 create,
// and 12.0–12.2 move, one level less (grafana-source-audit.md row 40). A
// folder already where Git wants it is fine. Grafana's version is asked
// only when a folder reaches the deepest default level. A lower configured
// limit cannot be read through the API: apply names the folder and the
// level when Grafana refuses one.
func checkFolderLevels(ctx context.Context, c *grafana.Client, o *resource.Org, live []grafana.Folder) error {
	liveParent := map[string]string{}
	for _, f := range live {
		liveParent[f.UID] = f.ParentUID
	}
	level := map[string]int{}
	moved := map[string]bool{} // the folder, or a folder above it, changes parent
	type arrival struct {
		f      *resource.Folder
		create bool
	}
	var deepest []arrival
	for _, f := range o.Folders { // parents first
		level[f.UID] = level[f.ParentUID] + 1
		parent, exists := liveParent[f.UID]
		moved[f.UID] = exists && (parent != f.ParentUID || moved[f.ParentUID])
		if level[f.UID] >= grafana.DefaultFolderLevels && (!exists || moved[f.UID]) {
			deepest = append(deepest, arrival{f, !exists})
		}
	}
	if len(deepest) == 0 {
		return nil
	}
	h, err := c.Health(ctx)
	if err != nil {
		return err
	}
	create, move := grafana.FolderLevelLimits(h.Version)
	for _, a := range deepest {
		verb, limit := "moved", move
		if a.create {
			verb, limit = "created", create
		}
		if level[a.f.UID] > limit {
			return fmt.Errorf("folder %s (%s) would be %s at level %d, but Grafana %s refuses folders below level %d "+
				"(its unified-storage folder writes allowed one level less than Grafana's default of a top-level folder plus 4 nested levels); "+
				"nothing was written: upgrade Grafana (12.2 fixed creates, 12.3 moves) or move the directory up",
				a.f.Path, a.f.Source, verb, level[a.f.UID], h.Version, limit)
		}
	}
	return nil
}

// titleClashes marks the desired folders and dashboards that Grafana of
// version ("": ask it) would refuse for their title
// (normalize.TitleClashes): the plan then blocks them, before anything is
// written.
func titleClashes(ctx context.Context, c *grafana.Client, version string, desired, live []plan.Resource) error {
	if !slices.ContainsFunc(desired, func(r plan.Resource) bool { return r.Kind == plan.Folder || r.Kind == plan.Dashboard }) {
		return nil
	}
	if version == "" {
		h, err := c.Health(ctx)
		if err != nil {
			return err
		}
		version = h.Version
	}
	return normalize.TitleClashes(desired, live, version)
}

// newOrgPart is what an org that apply creates contributes: everything is
// a create. grafsync (the server admin creating it) becomes its Admin, and
// asks Grafana, whose nested-folders setting is the same for every org,
// whether its folders can nest.
func newOrgPart(ctx context.Context, in Inputs, t orgTarget) (orgPart, error) {
	var part orgPart
	if err := checkNested(ctx, in.Access.Admin(), t.org); err != nil {
		return part, err
	}
	if err := checkFolderLevels(ctx, in.Access.Admin(), t.org, nil); err != nil {
		return part, err
	}
	desiredDash, err := desiredDashboards(t.org, t.id)
	if err != nil {
		return part, err
	}
	part.desired = append(part.desired, normalize.DesiredLedger(t.org, t.id, normalize.Ledger{}, nil)...)
	part.desired = append(part.desired, normalize.DesiredFolders(t.org, t.id)...)
	part.desired = append(part.desired, normalize.DesiredDatasources(t.org, t.id, nil, in.Fingerprinter)...)
	if err := checkLibraryPanelRefs(t.org, nil); err != nil {
		return part, err
	}
	part.desired = append(part.desired, normalize.DesiredLibraryPanels(t.org, t.id, nil)...)
	part.desired = append(part.desired, desiredDash...)
	if err := titleClashes(ctx, in.Access.Admin(), "", part.desired, nil); err != nil {
		return part, err
	}
	part.desired = append(part.desired, normalize.DesiredTeams(t.org, t.id)...)
	perms, _ := normalize.DesiredFolderPermissions(t.org, t.id, normalize.Self{OrgAdmin: true})
	part.desired = append(part.desired, perms...)
	if p := normalize.DesiredPreferences(t.org, t.id); p != nil {
		part.desired = append(part.desired, *p)
	}
	part.secrets = normalize.DatasourceSecrets(t.org, nil)
	if t.org.Alerting != nil {
		// A new org has Grafana's default contact point and nothing else.
		if err := normalize.CheckUndeclared(t.org.Alerting, &grafana.Alerting{ContactPoints: []grafana.ContactPoint{{Name: normalize.DefaultContactPoint}}}); err != nil {
			return part, err
		}
	}
	part.desired = append(part.desired, normalize.DesiredAlerting(t.org, t.id, nil, alertingProvenance(in), in.Fingerprinter)...)
	maps.Copy(part.secrets, normalize.ContactPointSecrets(t.org))
	return part, nil
}

// addAlerting reads and normalises an org's alerting when the repository
// has an alerting/ directory for it; without one, alerting is left alone.
func addAlerting(ctx context.Context, in Inputs, c *grafana.Client, o *resource.Org, orgID int64, part *orgPart) error {
	if o.Alerting == nil {
		return nil
	}
	live, err := c.ReadAlerting(ctx)
	if err != nil {
		return fmt.Errorf("org %q: %w", o.Name, err)
	}
	if err := normalize.CheckUndeclared(o.Alerting, live); err != nil {
		return err
	}
	part.desired = append(part.desired, normalize.DesiredAlerting(o, orgID, live, alertingProvenance(in), in.Fingerprinter)...)
	part.live = append(part.live, normalize.LiveAlerting(o, live, orgID)...)
	maps.Copy(part.secrets, normalize.ContactPointSecrets(o))
	return nil
}

// alertingProvenance is the provenance grafsync writes alerting with.
func alertingProvenance(in Inputs) string {
	if in.AlertingEditable {
		return normalize.ProvenanceNone
	}
	return normalize.ProvenanceAPI
}

// orgConfig reads and normalises the org config grafsync manages in one
// org: teams (when declared), preferences (when declared) and the
// permissions of folders whose _folder.yaml sets them. Members and users
// named in the repository must be users of the org.
func orgConfig(ctx context.Context, c *grafana.Client, o *resource.Org, orgID int64, me grafana.Identity, live *grafana.State) (desired, current []plan.Resource, notes []string, err error) {
	wantsPerms := false
	for _, f := range o.Folders {
		wantsPerms = wantsPerms || f.Permissions != nil
	}
	if o.Teams == nil && o.Preferences == nil && !wantsPerms {
		return nil, nil, nil, nil
	}
	self := normalize.Self{UserID: me.ID, Login: me.Login}
	users, err := c.OrgUsers(ctx)
	switch {
	case err == nil:
		self.OrgAdmin = true
	case grafana.IsStatus(err, http.StatusForbidden):
		users = nil
	default:
		return nil, nil, nil, fmt.Errorf("org %q: %w", o.Name, err)
	}
	if self.OrgAdmin {
		if err := checkUsers(o, users, me.Login); err != nil {
			return nil, nil, nil, err
		}
	}
	teamExists := map[string]bool{}
	if o.Teams != nil {
		teams, err := c.Teams(ctx)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("org %q: %w", o.Name, err)
		}
		desired = append(desired, normalize.DesiredTeams(o, orgID)...)
		current = append(current, normalize.LiveTeams(teams, o.Teams, orgID, self.UserID)...)
		for _, t := range teams {
			teamExists[t.Name] = true
		}
		for _, t := range o.Teams {
			teamExists[t.Name] = true
		}
	} else if wantsPerms && self.OrgAdmin {
		ids, err := c.TeamIDs(ctx)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("org %q: %w", o.Name, err)
		}
		for name := range ids {
			teamExists[name] = true
		}
	}
	if self.OrgAdmin {
		if err := checkTeams(o, teamExists); err != nil {
			return nil, nil, nil, err
		}
	}
	if p := normalize.DesiredPreferences(o, orgID); p != nil {
		lp, err := c.OrgPreferences(ctx)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("org %q: %w", o.Name, err)
		}
		desired = append(desired, *p)
		current = append(current, normalize.LivePreferences(o.Name, lp, orgID))
	}
	if wantsPerms {
		perms, selfKept := normalize.DesiredFolderPermissions(o, orgID, self)
		exists := map[string]bool{}
		for _, f := range live.Folders {
			exists[f.UID] = true
		}
		for _, f := range o.Folders {
			if f.Permissions == nil || !exists[f.UID] {
				continue
			}
			ps, err := c.FolderPermissions(ctx, f.UID)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("org %q: %w", o.Name, err)
			}
			current = append(current, normalize.LiveFolderPermissions(f.UID, f.Path, ps, f.Permissions, orgID))
		}
		desired = append(desired, perms...)
		if selfKept {
			for _, p := range perms {
				notes = append(notes, normalize.SelfKeptNote(p.Subject(), self))
			}
		}
	}
	return desired, current, notes, nil
}

// checkTeams reports the first folder permission that names a team that
// neither grafsync.yaml nor Grafana has.
func checkTeams(o *resource.Org, exists map[string]bool) error {
	for _, f := range o.Folders {
		for _, p := range f.Permissions {
			if p.Team != "" && !exists[p.Team] {
				return fmt.Errorf("%s: permissions: team %q is not a team of org %q: declare it in grafsync.yaml teams, or create it in Grafana", f.Source, p.Team, o.Name)
			}
		}
	}
	return nil
}

// checkUsers reports the first team member or folder permission that names
// no user of the org, at its position in the repository.
func checkUsers(o *resource.Org, users []grafana.OrgUser, self string) error {
	known := func(name string) bool {
		_, ok := normalize.FindUser(users, name)
		return ok || strings.EqualFold(name, self)
	}
	for _, t := range o.Teams {
		for i, m := range t.Members {
			if !known(m) {
				at := t.Source
				if i < len(t.MemberSources) {
					at = t.MemberSources[i]
				}
				return fmt.Errorf("%s: team %s: member %q is not a user of org %q (by login or email): add the user to the org in Grafana, or fix the name in grafsync.yaml", at, t.Name, m, o.Name)
			}
		}
	}
	for _, f := range o.Folders {
		for _, p := range f.Permissions {
			if p.User != "" && !known(p.User) {
				return fmt.Errorf("%s: permissions: user %q is not a user of org %q (by login or email): add the user to the org in Grafana, or fix the name", f.Source, p.User, o.Name)
			}
		}
	}
	return nil
}

// planOrgs plans a repository that declares several orgs: every org is
// resolved (and, when missing, planned for creation), read with its own
// client, and planned with its own org id; subjects carry the org name.
func planOrgs(ctx context.Context, in Inputs, out *Outcome) (*Outcome, error) {
	if in.Access == nil {
		return out, fmt.Errorf("the repository declares %d orgs in grafsync.yaml, and no per-org credentials were set up", len(out.State.Orgs))
	}
	if in.OrgID != 0 {
		return out, fmt.Errorf("--org-id %d: grafsync.yaml declares %d orgs, each planned in its own org; remove --org-id (pin an org's id with id: in grafsync.yaml)", in.OrgID, len(out.State.Orgs))
	}
	targets, err := resolveOrgs(ctx, in, out.State.Orgs)
	if err != nil {
		return out, err
	}
	routes := &apply.Orgs{
		Admin: in.Access.Admin(), Clients: map[int64]*grafana.Client{},
		Secrets: map[int64]map[string]map[string]resource.Secret{},
	}
	var desired, current []plan.Resource
	var notes []string
	for _, t := range targets {
		var part orgPart
		if t.client == nil {
			part, err = newOrgPart(ctx, in, t)
		} else {
			part, err = readOrg(ctx, in, t)
			routes.Clients[t.id] = t.client
		}
		if err != nil {
			return out, err
		}
		routes.Secrets[t.id] = part.secrets
		org := normalize.DesiredOrg(t.org, t.id)
		if t.client != nil {
			part.live = append(part.live, normalize.LiveOrg(t.org.Name, t.live))
		}
		part.desired = append(part.desired, org)
		for _, rs := range [][]plan.Resource{part.desired, part.live} {
			for i := range rs {
				if rs[i].Kind != plan.Org && rs[i].Kind != plan.Preferences { // already named after the org
					rs[i].OrgName = t.org.Name
				}
			}
		}
		desired = append(desired, part.desired...)
		current = append(current, part.live...)
		notes = append(notes, part.notes...)
	}
	routes.Connect = in.Access.ForOrg
	p, err := plan.Make(in.Revision, desired, current, in.Plan)
	if err != nil {
		return out, err
	}
	p.Kept = append(p.Kept, notes...)
	out.Plan, out.orgs = p, routes
	in.Logger.Info("planned", "revision", in.Revision, "summary", p.Summary(), "orgs", len(targets))
	return out, nil
}

package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// Orgs routes the changes of a plan that spans several orgs: each org's
// changes go to that org's client. An org the plan creates has a negative
// id in the plan; once its create step has run, its changes go to the
// client Connect made for the new id. Orgs run first (plan kind order), so
// every later step finds its client.
type Orgs struct {
	// Admin is a Grafana server admin's client (basic auth); it creates
	// orgs. Nil when only tokens were given: no org can be created.
	Admin *grafana.Client
	// Clients by plan org id.
	Clients map[int64]*grafana.Client
	// Secrets by plan org id, as Options.Secrets for one org.
	Secrets map[int64]map[string]map[string]resource.Secret
	// Connect makes a client for an org this apply created.
	Connect func(orgName string, orgID int64) (*grafana.Client, error)

	mu sync.Mutex
}

// AnyClient is one of the clients (Apply takes its concurrency limit).
func (o *Orgs) AnyClient() *grafana.Client {
	if o.Admin != nil {
		return o.Admin
	}
	for _, c := range o.Clients {
		return c
	}
	return nil
}

// client is the client of a plan org id.
func (o *Orgs) client(orgID int64) (*grafana.Client, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.Clients[orgID]
	if c == nil {
		return nil, fmt.Errorf("no Grafana client for org %d: its org was not created", orgID)
	}
	return c, nil
}

// inOrg is the applier for one change: a itself for a plan of one org and
// for orgs (created by the admin), else one with the client and secrets of
// the change's org, so that the change and the read-back verifying a
// refusal of it both happen in that org.
func (a *applier) inOrg(ch plan.Change) (*applier, error) {
	o, r := a.opts.Orgs, ch.Resource()
	if o == nil || r.Kind == plan.Org {
		return a, nil
	}
	c, err := o.client(r.OrgID)
	if err != nil {
		return nil, err
	}
	w := &applier{c: c, opts: a.opts, ids: a.ids}
	w.opts.Orgs = nil
	w.opts.Secrets = o.Secrets[r.OrgID]
	return w, nil
}

// org creates a missing org (server admin) or renames one pinned by id.
func (a *applier) org(ctx context.Context, ch plan.Change) error {
	o := a.opts.Orgs
	name := str(ch.After.Doc, "name")
	switch {
	case ch.Action == plan.Create && (o == nil || o.Admin == nil):
		return fmt.Errorf("org %q does not exist and only a service-account token was given, which cannot create orgs: set GRAFANA_USER and GRAFANA_PASSWORD of a Grafana server admin, or create the org in Grafana", name)
	case ch.Action == plan.Create:
		id, err := o.Admin.CreateOrg(ctx, name)
		if err != nil {
			return err
		}
		c, err := o.Connect(name, id)
		if err != nil {
			return err
		}
		o.mu.Lock()
		o.Clients[ch.After.OrgID] = c
		o.mu.Unlock()
		return nil
	case ch.Action == plan.Update:
		c := a.c
		if o != nil {
			var err error
			if c, err = o.client(ch.After.OrgID); err != nil {
				return err
			}
		}
		return c.RenameCurrentOrg(ctx, name)
	}
	return fmt.Errorf("grafsync never deletes orgs")
}

// preferences replaces the org preferences: the managed fields from the
// plan, the others as Grafana has them (PUT resets what it is not sent).
func (a *applier) preferences(ctx context.Context, ch plan.Change) error {
	p, err := a.c.OrgPreferences(ctx)
	if err != nil {
		return err
	}
	d := ch.After.Doc
	p.Theme, p.Timezone, p.WeekStart, p.HomeDashboardUID = str(d, "theme"), str(d, "timezone"), str(d, "weekStart"), str(d, "homeDashboardUid")
	return a.c.SetOrgPreferences(ctx, p)
}

// team creates, updates or deletes a team and brings its members in line.
// grafsync's own identity stays a member: that membership marks the team
// as managed (normalize.LiveTeams). Grafana adds a basic-auth creator
// itself; a service account is added here.
func (a *applier) team(ctx context.Context, ch plan.Change) error {
	name := ch.Resource().ID
	if ch.Action == plan.Delete {
		id, err := a.teamID(ctx, name)
		if err != nil {
			return err
		}
		return a.c.DeleteTeam(ctx, id)
	}
	d := ch.After.Doc
	var id int64
	var err error
	if ch.Action == plan.Create {
		if id, err = a.c.CreateTeam(ctx, name, str(d, "email")); err != nil {
			return err
		}
	} else {
		if id, err = a.teamID(ctx, name); err != nil {
			return err
		}
		if str(ch.Before.Doc, "email") != str(d, "email") {
			if err := a.c.UpdateTeam(ctx, id, name, str(d, "email")); err != nil {
				return err
			}
		}
	}
	return a.teamMembers(ctx, id, d)
}

// teamMembers adds grafsync's identity and the desired members that are
// missing, and removes the members that are not desired (when the doc
// manages members).
func (a *applier) teamMembers(ctx context.Context, teamID int64, d map[string]any) error {
	me, err := a.whoami(ctx)
	if err != nil {
		return err
	}
	self := me.ID
	live, err := a.c.TeamMembers(ctx, teamID)
	if err != nil {
		return err
	}
	have := map[int64]bool{}
	for _, m := range live {
		have[m.UserID] = true
	}
	if !have[self] {
		if err := a.c.AddTeamMember(ctx, teamID, self); err != nil {
			return err
		}
	}
	want, managed := d["members"].(map[string]any)
	if !managed {
		return nil
	}
	users, err := a.c.OrgUsers(ctx)
	if err != nil {
		return err
	}
	keep := map[int64]bool{self: true}
	for _, name := range normalize.SortedKeys(want) {
		u, ok := normalize.FindUser(users, name)
		if !ok {
			return fmt.Errorf("member %q is not a user of the org: add the user to the org in Grafana, or remove it from the team in grafsync.yaml", name)
		}
		keep[u.ID] = true
		if !have[u.ID] {
			if err := a.c.AddTeamMember(ctx, teamID, u.ID); err != nil {
				return err
			}
		}
	}
	for _, m := range live {
		if !keep[m.UserID] {
			if err := a.c.RemoveTeamMember(ctx, teamID, m.UserID); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *applier) teamID(ctx context.Context, name string) (int64, error) {
	ids, err := a.c.TeamIDs(ctx)
	if err != nil {
		return 0, err
	}
	id, ok := ids[name]
	if !ok {
		return 0, fmt.Errorf("team %q is not in Grafana any more: run grafsync plan again", name)
	}
	return id, nil
}

// folderPermissions replaces a folder's permissions with the planned list
// (Grafana's POST replaces the whole list, §5.8).
func (a *applier) folderPermissions(ctx context.Context, ch plan.Change) error {
	if ch.Action == plan.Delete {
		return errors.New("grafsync never removes a folder's permissions by deleting them; set permissions: [] in _folder.yaml")
	}
	d := ch.After.Doc
	var items []grafana.Permission
	group := func(k string) map[string]any { g, _ := d[k].(map[string]any); return g }
	for _, role := range normalize.SortedKeys(group("role")) {
		items = append(items, grafana.Permission{Role: role, Permission: normalize.PermissionLevel(str(group("role"), role))})
	}
	if teams := group("team"); len(teams) > 0 {
		ids, err := a.c.TeamIDs(ctx)
		if err != nil {
			return err
		}
		for _, name := range normalize.SortedKeys(teams) {
			id, ok := ids[name]
			if !ok {
				return fmt.Errorf("team %q does not exist in the org: declare it in grafsync.yaml teams, or create it in Grafana", name)
			}
			items = append(items, grafana.Permission{TeamID: id, Permission: normalize.PermissionLevel(str(teams, name))})
		}
	}
	if users := group("user"); len(users) > 0 {
		// Only an org Admin lists users; grafsync's own entry needs no list.
		list, err := a.c.OrgUsers(ctx)
		if err != nil && !grafana.IsStatus(err, http.StatusForbidden) {
			return err
		}
		me, err := a.whoami(ctx)
		if err != nil {
			return err
		}
		for _, name := range normalize.SortedKeys(users) {
			var id int64
			if u, ok := normalize.FindUser(list, name); ok {
				id = u.ID
			} else if strings.EqualFold(name, me.Login) {
				id = me.ID
			} else {
				return fmt.Errorf("user %q is not a user of the org: add the user to the org in Grafana, or remove the entry from _folder.yaml", name)
			}
			items = append(items, grafana.Permission{UserID: id, Permission: normalize.PermissionLevel(str(users, name))})
		}
	}
	return a.c.SetFolderPermissions(ctx, ch.After.ID, items)
}

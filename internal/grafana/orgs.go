package grafana

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/grafana/grafana-openapi-client-go/client/dashboards"
	"github.com/grafana/grafana-openapi-client-go/client/folders"
	"github.com/grafana/grafana-openapi-client-go/client/org"
	"github.com/grafana/grafana-openapi-client-go/client/orgs"
	"github.com/grafana/grafana-openapi-client-go/client/teams"
	"github.com/grafana/grafana-openapi-client-go/models"
	"golang.org/x/sync/errgroup"
)

// Org config calls: orgs (§7.2, server admin), the client's own org and its
// users and preferences (§7.1, §7.3), teams (§8) and folder permissions
// (§5.8). Every call works in the client's org (Config.OrgID).

// OrgInfo is an org's id and name.
type OrgInfo struct {
	ID   int64
	Name string
}

// orgMismatch is the message of Grafana's 401 for a token sent to another
// org (messageId api-key.organization-mismatch, §1.2).
const orgMismatch = "does not belong to the requested organization"

// IsOrgMismatch reports whether err is Grafana's 401 for a service-account
// token used with an X-Grafana-Org-Id other than its own org.
func IsOrgMismatch(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusUnauthorized && strings.Contains(ae.Message, orgMismatch)
}

// CurrentOrg is the org the client works in (/api/org): any member may ask.
func (c *Client) CurrentOrg(ctx context.Context) (OrgInfo, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return OrgInfo{}, err
	}
	defer release()
	ok, err := c.api.Org.GetCurrentOrgWithParams(org.NewGetCurrentOrgParamsWithContext(ctx))
	if err != nil {
		return OrgInfo{}, c.wrap(err, "read the current org")
	}
	return OrgInfo{ID: ok.Payload.ID, Name: ok.Payload.Name}, nil
}

// OrgByName finds an org by its exact name; found is false when there is
// none. Needs a server admin (basic auth).
func (c *Client) OrgByName(ctx context.Context, name string) (o OrgInfo, found bool, err error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return OrgInfo{}, false, err
	}
	defer release()
	ok, err := c.api.Orgs.GetOrgByNameWithParams(orgs.NewGetOrgByNameParamsWithContext(ctx).WithOrgName(name))
	if err != nil {
		err = c.wrap(err, "find org "+strconv.Quote(name))
		if IsStatus(err, http.StatusNotFound) {
			return OrgInfo{}, false, nil
		}
		return OrgInfo{}, false, err
	}
	return OrgInfo{ID: ok.Payload.ID, Name: ok.Payload.Name}, true, nil
}

// OrgByID reads an org by id; found is false when there is none. Needs a
// server admin (basic auth).
func (c *Client) OrgByID(ctx context.Context, id int64) (o OrgInfo, found bool, err error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return OrgInfo{}, false, err
	}
	defer release()
	ok, err := c.api.Orgs.GetOrgByIDWithParams(orgs.NewGetOrgByIDParamsWithContext(ctx).WithOrgID(id))
	if err != nil {
		err = c.wrap(err, "read org "+strconv.FormatInt(id, 10))
		if IsStatus(err, http.StatusNotFound) {
			return OrgInfo{}, false, nil
		}
		return OrgInfo{}, false, err
	}
	return OrgInfo{ID: ok.Payload.ID, Name: ok.Payload.Name}, true, nil
}

// CreateOrg creates an org and returns its id; Grafana makes the creating
// user an Admin of it. Needs a server admin (basic auth).
func (c *Client) CreateOrg(ctx context.Context, name string) (int64, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	ok, err := c.api.Orgs.CreateOrgWithParams(orgs.NewCreateOrgParamsWithContext(ctx).WithBody(&models.CreateOrgCommand{Name: name}))
	if err != nil {
		return 0, c.wrap(err, "create org "+strconv.Quote(name))
	}
	if ok.Payload == nil || ok.Payload.OrgID == nil {
		return 0, &APIError{Op: "create org " + strconv.Quote(name), Status: ok.Code(), Message: "the answer holds no orgId"}
	}
	return *ok.Payload.OrgID, nil
}

// RenameCurrentOrg renames the client's org (org Admin).
func (c *Client) RenameCurrentOrg(ctx context.Context, name string) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Org.UpdateCurrentOrgWithParams(org.NewUpdateCurrentOrgParamsWithContext(ctx).WithBody(&models.UpdateOrgForm{Name: name}))
	return c.wrap(err, "rename org to "+strconv.Quote(name))
}

// OrgUser is a (human) user of the client's org. Service accounts are not listed.
type OrgUser struct {
	ID           int64
	Login, Email string
	Role         string
}

// OrgUsers lists the users of the client's org (org Admin).
func (c *Client) OrgUsers(ctx context.Context) ([]OrgUser, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ok, err := c.api.Org.GetOrgUsersForCurrentOrg(org.NewGetOrgUsersForCurrentOrgParamsWithContext(ctx))
	if err != nil {
		return nil, c.wrap(err, "list the org's users")
	}
	out := make([]OrgUser, 0, len(ok.Payload))
	for _, u := range ok.Payload {
		out = append(out, OrgUser{ID: u.UserID, Login: u.Login, Email: u.Email, Role: u.Role})
	}
	return out, nil
}

// Preferences are an org's preferences (§7.3). HomeDashboardUID is "" when
// there is no home dashboard (or it was deleted). The fields grafsync does
// not manage are kept so that a PUT, which replaces, can send them back.
type Preferences struct {
	Theme, Timezone, WeekStart, HomeDashboardUID string

	Language, RegionalFormat, QueryHistoryHomeTab string
	NavbarBookmarkURLs                            []string
}

// OrgPreferences reads the client's org preferences (org Admin).
func (c *Client) OrgPreferences(ctx context.Context) (Preferences, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return Preferences{}, err
	}
	defer release()
	ok, err := c.api.Org.GetOrgPreferencesWithParams(org.NewGetOrgPreferencesParamsWithContext(ctx))
	if err != nil {
		return Preferences{}, c.wrap(err, "read org preferences")
	}
	p := ok.Payload
	out := Preferences{
		Theme: p.Theme, Timezone: p.Timezone, WeekStart: p.WeekStart, HomeDashboardUID: p.HomeDashboardUID,
		Language: p.Language, RegionalFormat: p.RegionalFormat,
	}
	if p.QueryHistory != nil {
		out.QueryHistoryHomeTab = p.QueryHistory.HomeTab
	}
	if p.Navbar != nil {
		out.NavbarBookmarkURLs = append(out.NavbarBookmarkURLs, p.Navbar.BookmarkUrls...)
	}
	return out, nil
}

// SetOrgPreferences replaces the client's org preferences (PUT: every field
// is sent; an empty one resets to Grafana's default).
func (c *Client) SetOrgPreferences(ctx context.Context, p Preferences) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	cmd := &models.UpdatePrefsCmd{
		Theme: p.Theme, Timezone: p.Timezone, WeekStart: p.WeekStart, HomeDashboardUID: p.HomeDashboardUID,
		Language: p.Language, RegionalFormat: p.RegionalFormat,
	}
	if p.QueryHistoryHomeTab != "" {
		cmd.QueryHistory = &models.QueryHistoryPreference{HomeTab: p.QueryHistoryHomeTab}
	}
	if len(p.NavbarBookmarkURLs) > 0 {
		cmd.Navbar = &models.NavbarPreference{BookmarkUrls: p.NavbarBookmarkURLs}
	}
	_, err = c.api.Org.UpdateOrgPreferencesWithParams(org.NewUpdateOrgPreferencesParamsWithContext(ctx).WithBody(cmd))
	return c.wrap(err, "save org preferences")
}

// Team is a live team with its members.
type Team struct {
	ID      int64
	Name    string
	Email   string
	Members []TeamMember
}

// TeamMember is one member of a team; Permission 4 is team Admin.
type TeamMember struct {
	UserID       int64
	Login, Email string
	Permission   int64
}

// teamPageSize is the page size of team search (§8, §12).
const teamPageSize = 1000

// Teams lists every team of the client's org with its members, sorted by
// name (org Admin sees them all).
func (c *Client) Teams(ctx context.Context) ([]Team, error) {
	var out []Team
	for page := int64(1); ; page++ {
		batch, total, err := c.searchTeams(ctx, page)
		if err != nil {
			return nil, err
		}
		out = append(out, batch...)
		if len(batch) == 0 || int64(len(out)) >= total {
			break
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := range out {
		g.Go(func() (err error) {
			out[i].Members, err = c.TeamMembers(gctx, out[i].ID)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (c *Client) searchTeams(ctx context.Context, page int64) ([]Team, int64, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer release()
	perPage := int64(teamPageSize)
	ok, err := c.api.Teams.SearchTeams(teams.NewSearchTeamsParamsWithContext(ctx).WithPage(&page).WithPerpage(&perPage))
	if err != nil {
		return nil, 0, c.wrap(err, "list teams")
	}
	var out []Team
	for _, t := range ok.Payload.Teams {
		if t == nil || t.ID == nil || t.Name == nil {
			continue
		}
		out = append(out, Team{ID: *t.ID, Name: *t.Name, Email: t.Email})
	}
	return out, ok.Payload.TotalCount, nil
}

// TeamMembers lists a team's members sorted by login.
func (c *Client) TeamMembers(ctx context.Context, teamID int64) ([]TeamMember, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ok, err := c.api.Teams.GetTeamMembersWithParams(teams.NewGetTeamMembersParamsWithContext(ctx).WithTeamID(strconv.FormatInt(teamID, 10)))
	if err != nil {
		return nil, c.wrap(err, "list members of team "+strconv.FormatInt(teamID, 10))
	}
	out := make([]TeamMember, 0, len(ok.Payload))
	for _, m := range ok.Payload {
		out = append(out, TeamMember{UserID: m.UserID, Login: m.Login, Email: m.Email, Permission: int64(m.Permission)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Login < out[j].Login })
	return out, nil
}

// CreateTeam creates a team and returns its id. A basic-auth user creating
// it becomes its Admin member (§8); a token adds nobody.
func (c *Client) CreateTeam(ctx context.Context, name, email string) (int64, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	ok, err := c.api.Teams.CreateTeamWithParams(teams.NewCreateTeamParamsWithContext(ctx).WithBody(&models.CreateTeamCommand{Name: &name, Email: email}))
	if err != nil {
		return 0, c.wrap(err, "create team "+strconv.Quote(name))
	}
	return ok.Payload.TeamID, nil
}

// UpdateTeam sets a team's name and email (both are replaced).
func (c *Client) UpdateTeam(ctx context.Context, id int64, name, email string) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Teams.UpdateTeamWithParams(teams.NewUpdateTeamParamsWithContext(ctx).WithTeamID(strconv.FormatInt(id, 10)).WithBody(&models.UpdateTeamCommand{Name: name, Email: email}))
	return c.wrap(err, "update team "+strconv.Quote(name))
}

// DeleteTeam deletes a team (its folder permissions go with it).
func (c *Client) DeleteTeam(ctx context.Context, id int64) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Teams.DeleteTeamByIDWithParams(teams.NewDeleteTeamByIDParamsWithContext(ctx).WithTeamID(strconv.FormatInt(id, 10)))
	return c.wrap(err, "delete team "+strconv.FormatInt(id, 10))
}

// AddTeamMember adds a user (or service account) to a team as a plain member.
func (c *Client) AddTeamMember(ctx context.Context, teamID, userID int64) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Teams.AddTeamMemberWithParams(teams.NewAddTeamMemberParamsWithContext(ctx).WithTeamID(strconv.FormatInt(teamID, 10)).WithBody(&models.AddTeamMemberCommand{UserID: &userID}))
	return c.wrap(err, "add user "+strconv.FormatInt(userID, 10)+" to team "+strconv.FormatInt(teamID, 10))
}

// RemoveTeamMember removes a user from a team.
func (c *Client) RemoveTeamMember(ctx context.Context, teamID, userID int64) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Teams.RemoveTeamMemberWithParams(teams.NewRemoveTeamMemberParamsWithContext(ctx).WithTeamID(strconv.FormatInt(teamID, 10)).WithUserID(userID))
	return c.wrap(err, "remove user "+strconv.FormatInt(userID, 10)+" from team "+strconv.FormatInt(teamID, 10))
}

// Permission is one managed folder permission entry: exactly one of
// UserID, TeamID and Role is set. Permission is 1 View, 2 Edit, 4 Admin.
type Permission struct {
	UserID     int64
	UserLogin  string
	UserEmail  string
	TeamID     int64
	Team       string
	Role       string
	Permission int64
	Inherited  bool
}

// FolderPermissions lists a folder's directly assigned permissions (§5.8).
func (c *Client) FolderPermissions(ctx context.Context, uid string) ([]Permission, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ok, err := c.api.Folders.GetFolderPermissionListWithParams(folders.NewGetFolderPermissionListParamsWithContext(ctx).WithFolderUID(uid))
	if err != nil {
		return nil, c.wrap(err, "read permissions of folder "+uid)
	}
	out := make([]Permission, 0, len(ok.Payload))
	for _, p := range ok.Payload {
		out = append(out, Permission{
			UserID: p.UserID, UserLogin: p.UserLogin, UserEmail: p.UserEmail, TeamID: p.TeamID, Team: p.Team,
			Role: p.Role, Permission: int64(p.Permission), Inherited: p.Inherited,
		})
	}
	return out, nil
}

// SetFolderPermissions replaces every managed permission of a folder
// (§5.8: entries not sent are removed).
func (c *Client) SetFolderPermissions(ctx context.Context, uid string, ps []Permission) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Folders.UpdateFolderPermissionsWithParams(folders.NewUpdateFolderPermissionsParamsWithContext(ctx).WithFolderUID(uid).WithBody(aclUpdate(ps)))
	return c.wrap(err, "set permissions of folder "+uid)
}

// aclUpdate is the body that replaces every managed permission of a folder
// or a dashboard with ps: both endpoints take the same command.
func aclUpdate(ps []Permission) *models.UpdateDashboardACLCommand {
	items := make([]*models.DashboardACLUpdateItem, 0, len(ps))
	for _, p := range ps {
		items = append(items, &models.DashboardACLUpdateItem{
			UserID: p.UserID, TeamID: p.TeamID, Role: p.Role, Permission: models.PermissionType(p.Permission),
		})
	}
	return &models.UpdateDashboardACLCommand{Items: items}
}

// TeamIDs maps the name of every team of the client's org to its id.
func (c *Client) TeamIDs(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for page := int64(1); ; page++ {
		batch, total, err := c.searchTeams(ctx, page)
		if err != nil {
			return nil, err
		}
		for _, t := range batch {
			out[t.Name] = t.ID
		}
		if len(batch) == 0 || int64(len(out)) >= total {
			return out, nil
		}
	}
}

// SetDashboardPermissions replaces every managed permission of a dashboard
// (§5.8: entries not sent are removed; org Admins keep Admin implicitly).
func (c *Client) SetDashboardPermissions(ctx context.Context, uid string, ps []Permission) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Dashboards.UpdateDashboardPermissionsByUIDWithParams(dashboards.NewUpdateDashboardPermissionsByUIDParamsWithContext(ctx).WithUID(uid).WithBody(aclUpdate(ps)))
	return c.wrap(err, "set permissions of dashboard "+uid)
}

package normalize

import (
	"slices"
	"sort"
	"strings"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// Org config: orgs, preferences, teams and folder permissions. As for the
// other kinds, desired and live sides go through the same doc builders.

// Org is the one normaliser for an org: its name is all grafsync manages.
func Org(name string) map[string]any { return map[string]any{"name": name} }

// DesiredOrg is a declared org. Its ID is the declared name (orgs are
// paired by how they were resolved, not by their live name, so a rename
// of an org pinned by id shows as a change of name).
func DesiredOrg(o *resource.Org, orgID int64) plan.Resource {
	return plan.Resource{Kind: plan.Org, OrgID: orgID, ID: o.Name, Name: o.Name, Doc: Org(o.Name), Source: o.Source.String()}
}

// LiveOrg is the live org a declared org resolved to.
func LiveOrg(declared string, live grafana.OrgInfo) plan.Resource {
	return plan.Resource{Kind: plan.Org, OrgID: live.ID, ID: declared, Name: declared, Doc: Org(live.Name), Managed: true}
}

// Preferences is the one normaliser for org preferences: the four fields
// grafsync manages ("" is Grafana's default).
func Preferences(theme, timezone, weekStart, homeDashboardUID string) map[string]any {
	return map[string]any{"theme": theme, "timezone": timezone, "weekStart": weekStart, "homeDashboardUid": homeDashboardUID}
}

// prefsID is the identity of an org's preferences: there is one per org.
const prefsID = "org"

// DesiredPreferences are an org's declared preferences; nil when the org
// does not manage them.
func DesiredPreferences(o *resource.Org, orgID int64) *plan.Resource {
	p := o.Preferences
	if p == nil {
		return nil
	}
	return &plan.Resource{
		Kind: plan.Preferences, OrgID: orgID, ID: prefsID, Name: o.Name,
		Doc: Preferences(p.Theme, p.Timezone, p.WeekStart, p.HomeDashboardUID), Source: p.Source.String(),
	}
}

// LivePreferences are an org's preferences as Grafana has them.
func LivePreferences(orgName string, p grafana.Preferences, orgID int64) plan.Resource {
	return plan.Resource{
		Kind: plan.Preferences, OrgID: orgID, ID: prefsID, Name: orgName, Managed: true,
		Doc: Preferences(p.Theme, p.Timezone, p.WeekStart, p.HomeDashboardUID),
	}
}

// member is the value of a member in a team doc.
const member = "member"

// Team is the one normaliser for teams: email, the members (by the name
// the repository uses for each, only when membership is managed: members
// nil leaves it alone), and grafsync's marker.
func Team(email string, members []string, managed bool) map[string]any {
	doc := map[string]any{"email": email}
	if members != nil {
		ms := map[string]any{}
		for _, m := range members {
			ms[m] = member
		}
		doc["members"] = ms
	}
	own := map[string]any{}
	if managed {
		own["managed"] = true
	}
	doc[MarkerKey] = own
	return doc
}

// DesiredTeams are an org's declared teams; nil when it does not manage teams.
func DesiredTeams(o *resource.Org, orgID int64) []plan.Resource {
	if o.Teams == nil {
		return nil
	}
	out := make([]plan.Resource, 0, len(o.Teams))
	for _, t := range o.Teams {
		out = append(out, plan.Resource{
			Kind: plan.Team, OrgID: orgID, ID: t.Name, Name: t.Name, Doc: Team(t.Email, t.Members, true), Source: t.Source.String(), Marker: MarkerKey,
		})
	}
	return out
}

// LiveTeams are the teams of an org as Grafana has them. Grafana keeps no
// free-form field on a team, so ownership is membership: a team is managed
// when grafsync's own identity (self, a user or service-account id) is one
// of its members — Grafana adds a basic-auth creator itself, and apply adds
// a service account. That membership is the marker: it is never listed as a
// member. Members are named as the repository names them (login or email,
// any case), otherwise by login.
func LiveTeams(ts []grafana.Team, desired []*resource.Team, orgID, self int64) []plan.Resource {
	byName := map[string]*resource.Team{}
	for _, t := range desired {
		byName[t.Name] = t
	}
	out := make([]plan.Resource, 0, len(ts))
	for _, t := range ts {
		d := byName[t.Name]
		var members []string
		managed := false
		if d == nil || d.Members != nil {
			members = []string{}
		}
		var named []string
		if d != nil {
			named = d.Members
		}
		for _, m := range t.Members {
			if m.UserID == self {
				managed = true
				if !names(named, m.Login, m.Email) {
					continue // the marker, unless the repository lists grafsync as a member
				}
			}
			if members != nil {
				members = append(members, userName(m.Login, m.Email, named))
			}
		}
		out = append(out, plan.Resource{
			Kind: plan.Team, OrgID: orgID, ID: t.Name, Name: t.Name, Doc: Team(t.Email, members, managed), Managed: managed,
		})
	}
	return out
}

// names reports whether named holds this login or email (case-insensitive).
func names(named []string, login, email string) bool {
	return slices.ContainsFunc(named, func(n string) bool { return sameUser(n, login, email) })
}

// sameUser reports whether name is this login or email, in any case.
func sameUser(name, login, email string) bool {
	return strings.EqualFold(name, login) || (email != "" && strings.EqualFold(name, email))
}

// FindUser finds the user of an org that name (a login or an email, in
// any case) names, as the repository names members and permission users.
func FindUser(users []grafana.OrgUser, name string) (grafana.OrgUser, bool) {
	i := slices.IndexFunc(users, func(u grafana.OrgUser) bool { return sameUser(name, u.Login, u.Email) })
	if i < 0 {
		return grafana.OrgUser{}, false
	}
	return users[i], true
}

// userName is how the repository names a user with this login and email:
// the entry of named that matches either (case-insensitive), else the login.
func userName(login, email string, named []string) string {
	if i := slices.IndexFunc(named, func(n string) bool { return sameUser(n, login, email) }); i >= 0 {
		return named[i]
	}
	return login
}

// PermissionLevel is the API value of a permission name (§5.8; 0 if unknown).
func PermissionLevel(name string) int64 {
	switch name {
	case "View":
		return 1
	case "Edit":
		return 2
	case "Admin":
		return 4
	}
	return 0
}

// permissionName is the name of an API permission value ("" if unknown).
func permissionName(level int64) string {
	switch level {
	case 1:
		return "View"
	case 2:
		return "Edit"
	case 4:
		return "Admin"
	}
	return ""
}

// FolderPermissions is the one normaliser for a folder's permissions: one
// field per entry, grouped by kind — {"role": {"Viewer": "View"}, "team":
// {"platform": "Edit"}, "user": {"ana": "Admin"}} — so a plan shows
// `team.platform: "Edit" → "Admin"`. The three groups are always there,
// so an entry added or removed is one field too.
func FolderPermissions(ps []resource.Permission) map[string]any {
	doc := map[string]any{"role": map[string]any{}, "team": map[string]any{}, "user": map[string]any{}}
	add := func(group, who, level string) { doc[group].(map[string]any)[who] = level }
	for _, p := range ps {
		switch {
		case p.Role != "":
			add("role", p.Role, p.Permission)
		case p.Team != "":
			add("team", p.Team, p.Permission)
		case p.User != "":
			add("user", p.User, p.Permission)
		}
	}
	return doc
}

// Self is grafsync's own identity in an org, for the permissions it must keep.
type Self struct {
	UserID int64
	Login  string
	// OrgAdmin: grafsync holds the Admin role in the org, which gives Admin
	// on every folder without any entry.
	OrgAdmin bool
}

// DesiredFolderPermissions are the permissions of the org's folders whose
// _folder.yaml sets them (nil Permissions: left alone, not listed). When
// grafsync is not an org Admin, each keeps an Admin entry for grafsync's
// own identity, or it would lock itself out; selfKept says so (for a note
// in the plan, SelfKeptNote).
func DesiredFolderPermissions(o *resource.Org, orgID int64, self Self) (out []plan.Resource, selfKept bool) {
	for _, f := range o.Folders {
		if f.Permissions == nil {
			continue
		}
		ps := f.Permissions
		if !self.OrgAdmin && self.Login != "" {
			ps = keepSelf(ps, self.Login)
			selfKept = true
		}
		out = append(out, plan.Resource{
			Kind: plan.FolderPermissions, OrgID: orgID, ID: f.UID, Name: f.Path, Doc: FolderPermissions(ps), Source: f.Source.String(),
		})
	}
	return out, selfKept
}

// SelfKeptNote is the plan note for a folder whose permissions keep an
// Admin entry for grafsync's own identity.
func SelfKeptNote(subject string, self Self) string {
	return subject + ": keeps an Admin entry for grafsync's own identity (" + self.Login + "): grafsync is not an org Admin and needs it to manage the folder"
}

// keepSelf makes sure ps holds an Admin entry for login.
func keepSelf(ps []resource.Permission, login string) []resource.Permission {
	out := make([]resource.Permission, 0, len(ps)+1)
	for _, p := range ps {
		if p.User != "" && strings.EqualFold(p.User, login) {
			continue
		}
		out = append(out, p)
	}
	return append(out, resource.Permission{User: login, Permission: "Admin"})
}

// LiveFolderPermissions are a folder's permissions as Grafana has them;
// users and teams are named as the desired entries name them (named) where
// they match, otherwise by login and team name. Inherited entries (from a
// parent folder) are not the folder's own and are left out.
func LiveFolderPermissions(uid, path string, ps []grafana.Permission, named []resource.Permission, orgID int64) plan.Resource {
	var users []string
	for _, p := range named {
		if p.User != "" {
			users = append(users, p.User)
		}
	}
	entries := make([]resource.Permission, 0, len(ps))
	for _, p := range ps {
		if p.Inherited {
			continue
		}
		level := permissionName(p.Permission)
		switch {
		case p.Role != "":
			entries = append(entries, resource.Permission{Role: p.Role, Permission: level})
		case p.TeamID != 0:
			entries = append(entries, resource.Permission{Team: p.Team, Permission: level})
		case p.UserID != 0:
			entries = append(entries, resource.Permission{User: userName(p.UserLogin, p.UserEmail, users), Permission: level})
		}
	}
	return plan.Resource{Kind: plan.FolderPermissions, OrgID: orgID, ID: uid, Name: path, Doc: FolderPermissions(entries), Managed: true}
}

// SortedKeys lists a doc group's keys in order (for apply).
func SortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

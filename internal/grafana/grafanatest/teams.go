package grafanatest

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// teamRoutes: reference §8 (teams and members) and §7.3 (team preferences).
//
// Role model (Grafana RBAC): org Admins read and write every team; any other
// identity reads only the teams it is a member of (teams:read is granted per
// team by membership) and writes only those it is a team Admin (4) of.
// Creating a team needs org Admin (teams:create).
func (e *Emulator) teamRoutes() {
	e.read("GET /api/teams/search", e.searchTeams)
	e.read("GET /api/teams/{id}", func(c *call) {
		t, ok := e.teamForRead(c)
		if !ok || !requireTeam(c, t) {
			return
		}
		writeJSON(c.w, http.StatusOK, teamJSON(c, t))
	})
	e.write("POST /api/teams", e.createTeam)
	e.write("PUT /api/teams/{id}", e.updateTeam)
	e.write("DELETE /api/teams/{id}", func(c *call) {
		t, ok := e.teamForWrite(c, "teams:delete")
		if !ok {
			return
		}
		if t == nil {
			errMessage(c.w, http.StatusNotFound, "Failed to delete Team. ID not found")
			return
		}
		delete(c.org().teams, t.id)
		removePermissions(c.org(), 0, t.id)
		errMessage(c.w, http.StatusOK, "Team deleted")
	})
	e.read("GET /api/teams/{id}/members", func(c *call) {
		t, ok := e.teamForRead(c)
		if !ok {
			return
		}
		// Grafana queries team_member by team id: an unknown team has none.
		out := []map[string]any{}
		if t != nil {
			for _, u := range e.teamUsers(t) {
				out = append(out, map[string]any{
					"orgId": c.org().id, "teamId": t.id, "teamUID": t.uid, "userId": u.id, "userUID": u.uid,
					"auth_module": "", "email": u.email, "name": u.name, "login": u.login,
					"avatarUrl": avatarURL(u.email), "labels": []string{}, "permission": t.members[u.id],
				})
			}
		}
		writeJSON(c.w, http.StatusOK, out)
	})
	e.write("POST /api/teams/{id}/members", e.addTeamMember)
	e.write("PUT /api/teams/{id}/members", e.setTeamMembers)
	e.write("DELETE /api/teams/{id}/members/{userId}", func(c *call) {
		t, ok := e.teamForWrite(c, "teams.permissions:write")
		if !ok || !requireTeam(c, t) {
			return
		}
		userID, ok := pathInt(c, "userId")
		if !ok {
			return
		}
		if _, member := t.members[userID]; !member {
			errMessage(c.w, http.StatusNotFound, "Team member not found")
			return
		}
		delete(t.members, userID)
		errMessage(c.w, http.StatusOK, "Team Member removed")
	})

	// §7.3 team preferences. Grafana does not look the team up here; the
	// emulator answers 404 "Team not found" rather than keep preferences of
	// a team that does not exist.
	e.read("GET /api/teams/{id}/preferences", func(c *call) {
		t, ok := e.teamForRead(c)
		if !ok || !requireTeam(c, t) {
			return
		}
		writeJSON(c.w, http.StatusOK, e.prefsJSON(c.org(), &t.prefs))
	})
	e.write("PUT /api/teams/{id}/preferences", func(c *call) {
		t, ok := e.teamForWrite(c, "teams:write")
		if !ok || !requireTeam(c, t) {
			return
		}
		e.savePrefs(c, &t.prefs)
	})
}

// teamParam resolves {id} in the caller's org; nil when unknown. It answers
// 400 for a non-number and reports false.
func teamParam(c *call) (*team, bool) {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil {
		errMessage(c.w, http.StatusBadRequest, "teamId is invalid")
		return nil, false
	}
	return c.org().teams[id], true
}

// teamForRead applies the read rule of the role model before anything else,
// as Grafana's RBAC middleware runs before the handler: a non-Admin who is
// not a member gets 403 even for an unknown team.
func (e *Emulator) teamForRead(c *call) (*team, bool) {
	t, ok := teamParam(c)
	if !ok {
		return nil, false
	}
	if c.id.atLeast("Admin") {
		return t, true
	}
	if t != nil {
		if _, member := t.members[c.id.user.id]; member {
			return t, true
		}
	}
	errAccessDenied(c.w, "teams:read")
	return nil, false
}

// teamForWrite: org Admins, or the team's own Admins (permission 4).
func (e *Emulator) teamForWrite(c *call, action string) (*team, bool) {
	t, ok := teamParam(c)
	if !ok {
		return nil, false
	}
	if c.id.atLeast("Admin") || (t != nil && t.members[c.id.user.id] == 4) {
		return t, true
	}
	errAccessDenied(c.w, action)
	return nil, false
}

// requireTeam answers 404 "Team not found" unless the route's team exists.
func requireTeam(c *call, t *team) bool {
	if t == nil {
		errMessage(c.w, http.StatusNotFound, "Team not found")
		return false
	}
	return true
}

// teamJSON is the TeamDTO of search and GET; permission is the caller's own
// permission in the team (0 when not a member).
func teamJSON(c *call, t *team) map[string]any {
	avatar := t.email
	if avatar == "" {
		avatar = t.name
	}
	return map[string]any{
		"id": t.id, "uid": t.uid, "orgId": c.org().id, "name": t.name, "email": t.email,
		"avatarUrl": avatarURL(avatar), "memberCount": len(t.members),
		"permission": t.members[c.id.user.id], "isProvisioned": false,
	}
}

// teamUsers lists a team's members sorted by login.
func (e *Emulator) teamUsers(t *team) []*user {
	var users []*user
	for id := range t.members {
		if u := e.st.users[id]; u != nil {
			users = append(users, u)
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i].login < users[j].login })
	return users
}

// searchTeams: GET /api/teams/search (§8, §12). query is a case-insensitive
// substring (SQL LIKE), name an exact match; sorted by name bytewise, as
// SQL orders it; totalCount counts every match, not the page.
func (e *Emulator) searchTeams(c *call) {
	q := c.r.URL.Query()
	query, name := strings.ToLower(q.Get("query")), q.Get("name")
	admin := c.id.atLeast("Admin")
	readable := 0
	var teams []*team
	for _, t := range c.org().teams {
		if _, member := t.members[c.id.user.id]; !admin && !member {
			continue
		}
		readable++
		if (query == "" || strings.Contains(strings.ToLower(t.name), query)) && (name == "" || t.name == name) {
			teams = append(teams, t)
		}
	}
	if !admin && readable == 0 {
		// No teams:read on any team at all: the RBAC middleware refuses.
		errAccessDenied(c.w, "teams:read")
		return
	}
	sort.Slice(teams, func(i, j int) bool {
		if teams[i].name != teams[j].name {
			return teams[i].name < teams[j].name
		}
		return teams[i].id < teams[j].id
	})
	writeSearchPage(c, "teams", teams, func(t *team) map[string]any { return teamJSON(c, t) })
}

type teamBody struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// teamByName finds a team of o by exact name; names are unique per org.
func teamByName(o *org, name string) *team {
	for _, t := range o.teams {
		if t.name == name {
			return t
		}
	}
	return nil
}

// createTeam: POST /api/teams (§8). A user signed in with basic auth becomes
// the team's Admin member (4); a service-account token does not.
func (e *Emulator) createTeam(c *call) {
	if !c.requireRole("Admin", "teams:create") {
		return
	}
	var body teamBody
	if !decodeBody(c.w, c.r, &body) {
		return
	}
	if body.Name == "" {
		errMessage(c.w, http.StatusBadRequest, "bad request data") // binding:"Required"
		return
	}
	if teamByName(c.org(), body.Name) != nil {
		errMessage(c.w, http.StatusConflict, "Team name taken")
		return
	}
	t := e.addTeamLocked(c.org(), body.Name, body.Email)
	if c.id.token == nil && !c.id.user.serviceAccount {
		t.members[c.id.user.id] = 4
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"message": "Team created", "teamId": t.id, "uid": t.uid})
}

func (e *Emulator) addTeamLocked(o *org, name, email string) *team {
	e.st.nextTeamID++
	now := e.now()
	t := &team{id: e.st.nextTeamID, uid: e.uids.next(), name: name, email: email, members: map[int64]int{}, created: now, updated: now}
	o.teams[t.id] = t
	return t
}

// updateTeam: PUT /api/teams/:id (§8). A taken name is 400, not 409; name and
// email are both replaced (an omitted email clears it).
func (e *Emulator) updateTeam(c *call) {
	t, ok := e.teamForWrite(c, "teams:write")
	if !ok {
		return
	}
	var body teamBody
	if !decodeBody(c.w, c.r, &body) {
		return
	}
	if t == nil {
		if e.version.TeamUpdateChecksExistence() {
			errMessage(c.w, http.StatusNotFound, "Team not found")
		} else {
			errMessage(c.w, http.StatusInternalServerError, "Failed to update Team")
		}
		return
	}
	if other := teamByName(c.org(), body.Name); other != nil && other != t {
		errMessage(c.w, http.StatusBadRequest, "Team name taken")
		return
	}
	t.name, t.email, t.updated = body.Name, body.Email, e.now()
	errMessage(c.w, http.StatusOK, "Team updated")
}

// orgMember finds a user of the caller's org by id: Grafana's team
// permission service resolves members within the org.
func (e *Emulator) orgMember(c *call, id int64) *user {
	if _, ok := c.org().members[id]; !ok {
		return nil
	}
	return e.st.users[id]
}

// addTeamMember: POST {userId} (§8); the new member has permission 0.
func (e *Emulator) addTeamMember(c *call) {
	t, ok := e.teamForWrite(c, "teams.permissions:write")
	if !ok {
		return
	}
	var body struct {
		UserID int64 `json:"userId"`
	}
	if !decodeBody(c.w, c.r, &body) {
		return
	}
	if body.UserID == 0 {
		errMessage(c.w, http.StatusBadRequest, "bad request data") // binding:"Required"
		return
	}
	if !requireTeam(c, t) {
		return
	}
	if _, member := t.members[body.UserID]; member {
		errMessage(c.w, http.StatusBadRequest, "User is already added to this team")
		return
	}
	if e.orgMember(c, body.UserID) == nil {
		errMessage(c.w, http.StatusNotFound, "User not found")
		return
	}
	t.members[body.UserID] = 0
	errMessage(c.w, http.StatusOK, "Member added to Team")
}

// setTeamMembers: PUT {"members":[...],"admins":[...]} (§8) replaces the
// whole membership. Grafana looks every entry up by email (GetByEmail), so a
// login is "user not found" (404) unless it is also the user's email; a user
// in both lists becomes an admin.
func (e *Emulator) setTeamMembers(c *call) {
	t, ok := e.teamForWrite(c, "teams.permissions:write")
	if !ok {
		return
	}
	var body struct {
		Members []string `json:"members"`
		Admins  []string `json:"admins"`
	}
	if !decodeBody(c.w, c.r, &body) {
		return
	}
	if !requireTeam(c, t) {
		return
	}
	next := map[int64]int{}
	for _, group := range []struct {
		emails     []string
		permission int
	}{{body.Members, 0}, {body.Admins, 4}} {
		for _, email := range group.emails {
			u := e.userByEmail(email)
			if u == nil || e.orgMember(c, u.id) == nil {
				errMessage(c.w, http.StatusNotFound, "user not found")
				return
			}
			next[u.id] = max(next[u.id], group.permission)
		}
	}
	t.members = next
	errMessage(c.w, http.StatusOK, "Team memberships have been updated")
}

func (e *Emulator) userByEmail(email string) *user {
	for _, u := range e.st.users {
		if !u.serviceAccount && email != "" && u.email == email {
			return u
		}
	}
	return nil
}

// AddTeam creates a team in org with the given users as plain members (0)
// and returns its id; 0 if the org does not exist. Unlike POST /api/teams it
// adds no creator.
func (e *Emulator) AddTeam(orgID int64, name, email string, memberIDs ...int64) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil {
		return 0
	}
	t := e.addTeamLocked(o, name, email)
	for _, id := range memberIDs {
		t.members[id] = 0
	}
	return t.id
}

// TeamMembers lists the logins of a team's members, sorted; nil if the team
// does not exist in org.
func (e *Emulator) TeamMembers(orgID, teamID int64) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	o := e.st.orgs[orgID]
	if o == nil || o.teams[teamID] == nil {
		return nil
	}
	logins := []string{}
	for _, u := range e.teamUsers(o.teams[teamID]) {
		logins = append(logins, u.login)
	}
	return logins
}

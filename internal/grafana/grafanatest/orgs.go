package grafanatest

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// orgRoutes: reference §7.1 (the current org and its users), §7.2 (orgs
// admin, server admin over basic auth only) and §7.3 (org and user
// preferences; team preferences are in teams.go).
//
// Role model: GET /api/org is open to any member; everything else under
// /api/org needs org Admin (RBAC actions orgs:write, org.users:*,
// orgs.preferences:*, granted to Admin only). /api/orgs needs a server admin;
// Grafana 10+ answers a non-admin there in the RBAC shape, the emulator in
// the legacy one (§0.1) — clients match on the 403 status.
func (e *Emulator) orgRoutes() {
	e.read("GET /api/org", func(c *call) { writeJSON(c.w, http.StatusOK, orgDetails(c.org())) })
	e.write("PUT /api/org", currentOrgAdmin("orgs:write", e.updateOrg))
	e.read("GET /api/org/users", currentOrgAdmin("org.users:read", e.listOrgUsers))
	e.write("POST /api/org/users", currentOrgAdmin("org.users:add", e.addOrgUser))
	e.write("PATCH /api/org/users/{userId}", currentOrgAdmin("org.users:write", e.updateOrgUser))
	// The current-org route deletes a user left in no org at all.
	e.write("DELETE /api/org/users/{userId}", currentOrgAdmin("org.users:remove", func(c *call, o *org) {
		e.removeOrgUser(c, o, true)
	}))

	e.read("GET /api/orgs", e.searchOrgs)
	e.read("GET /api/orgs/{orgId}", func(c *call) {
		if !c.requireServerAdmin() {
			return
		}
		if o, ok := e.orgParam(c); ok {
			writeJSON(c.w, http.StatusOK, orgDetails(o))
		}
	})
	// /api/orgs/name/{name} and /api/orgs/{orgId}/users overlap in net/http
	// patterns (neither is more specific), so one route serves both; the
	// literal "name" wins, as in Grafana's router.
	e.read("GET /api/orgs/{orgId}/{sub}", func(c *call) {
		if !c.requireServerAdmin() {
			return
		}
		switch {
		case c.r.PathValue("orgId") == "name":
			o := e.st.orgByName(c.r.PathValue("sub"))
			if o == nil {
				errMessage(c.w, http.StatusNotFound, "Organization not found")
				return
			}
			writeJSON(c.w, http.StatusOK, orgDetails(o))
		case c.r.PathValue("sub") == "users":
			// Grafana queries org_user by org id: an unknown org has no users.
			if id, ok := pathInt(c, "orgId"); ok {
				e.listOrgUsers(c, e.st.orgs[id])
			}
		default:
			errMessage(c.w, http.StatusNotFound, "Not found")
		}
	})
	e.write("POST /api/orgs", e.createOrg)
	e.write("PUT /api/orgs/{orgId}", func(c *call) {
		if !c.requireServerAdmin() {
			return
		}
		if id, ok := pathInt(c, "orgId"); ok {
			e.updateOrg(c, e.st.orgs[id])
		}
	})
	e.write("DELETE /api/orgs/{orgId}", e.deleteOrg)
	e.write("POST /api/orgs/{orgId}/users", func(c *call) {
		if !c.requireServerAdmin() {
			return
		}
		if o, ok := e.orgParam(c); ok {
			e.addOrgUser(c, o)
		}
	})
	e.write("PATCH /api/orgs/{orgId}/users/{userId}", func(c *call) {
		if c.requireServerAdmin() {
			e.updateOrgUser(c, e.orgOrNil(c))
		}
	})
	e.write("DELETE /api/orgs/{orgId}/users/{userId}", func(c *call) {
		if c.requireServerAdmin() {
			e.removeOrgUser(c, e.orgOrNil(c), false)
		}
	})

	// §7.3 org preferences: org Admin (orgs.preferences:read/write).
	e.read("GET /api/org/preferences", currentOrgAdmin("orgs.preferences:read", func(c *call, o *org) {
		writeJSON(c.w, http.StatusOK, e.prefsJSON(o, &o.prefs))
	}))
	for _, method := range []string{"PUT", "PATCH"} {
		e.write(method+" /api/org/preferences", currentOrgAdmin("orgs.preferences:write", func(c *call, o *org) {
			e.savePrefs(c, &o.prefs)
		}))
	}
	// §7.3 user preferences: the caller's own, per org; any signed-in identity.
	e.read("GET /api/user/preferences", func(c *call) {
		p := c.id.user.prefs[c.org().id]
		if p == nil {
			p = &preferences{}
		}
		writeJSON(c.w, http.StatusOK, e.prefsJSON(c.org(), p))
	})
	for _, method := range []string{"PUT", "PATCH"} {
		e.write(method+" /api/user/preferences", func(c *call) {
			u := c.id.user
			if u.prefs == nil {
				u.prefs = map[int64]*preferences{}
			}
			p := u.prefs[c.org().id]
			if p == nil {
				p = &preferences{}
			}
			if e.savePrefs(c, p) {
				u.prefs[c.org().id] = p
			}
		})
	}
}

// currentOrgAdmin serves h on the caller's current org to its Admins; others
// get the RBAC 403 naming action.
func currentOrgAdmin(action string, h func(*call, *org)) func(*call) {
	return func(c *call) {
		if c.requireRole("Admin", action) {
			h(c, c.org())
		}
	}
}

// orgDetails is the OrgDetailsDTO of GET /api/org and /api/orgs/:id (§7.2).
func orgDetails(o *org) map[string]any {
	return map[string]any{"id": o.id, "name": o.name, "address": o.address}
}

// orgParam resolves {orgId}, writing 400 for a non-number and 404
// "Organization not found" for an unknown org.
func (e *Emulator) orgParam(c *call) (*org, bool) {
	id, ok := pathInt(c, "orgId")
	if !ok {
		return nil, false
	}
	o := e.st.orgs[id]
	if o == nil {
		errMessage(c.w, http.StatusNotFound, "Organization not found")
		return nil, false
	}
	return o, true
}

// orgOrNil resolves {orgId} without failing: Grafana's org-user updates do
// not look the org up, they just find no membership in it.
func (e *Emulator) orgOrNil(c *call) *org {
	id, _ := strconv.ParseInt(c.r.PathValue("orgId"), 10, 64)
	return e.st.orgs[id]
}

// searchOrgs: GET /api/orgs?perpage&page&query&name (§7.2, §12): query is a
// case-insensitive substring, name an exact match, sorted by name.
func (e *Emulator) searchOrgs(c *call) {
	if !c.requireServerAdmin() {
		return
	}
	q := c.r.URL.Query()
	query, name := strings.ToLower(q.Get("query")), q.Get("name")
	var orgs []*org
	for _, o := range e.st.orgs {
		if (query == "" || strings.Contains(strings.ToLower(o.name), query)) && (name == "" || o.name == name) {
			orgs = append(orgs, o)
		}
	}
	sort.Slice(orgs, func(i, j int) bool { return orgs[i].name < orgs[j].name })
	page, perPage := paging(c.r, "perpage")
	out := []map[string]any{}
	for _, o := range pageOf(orgs, page, perPage) {
		out = append(out, map[string]any{"id": o.id, "name": o.name})
	}
	writeJSON(c.w, http.StatusOK, out)
}

// createOrg: POST /api/orgs (§7.2). The creating user becomes Admin of the
// new org, as Grafana adds the creator.
func (e *Emulator) createOrg(c *call) {
	if !c.requireServerAdmin() {
		return
	}
	name, ok := bindOrgName(c)
	if !ok {
		return
	}
	if e.st.orgByName(name) != nil {
		errMessage(c.w, http.StatusConflict, "Organization name taken")
		return
	}
	o := e.st.addOrg(name)
	o.members[c.id.user.id] = "Admin"
	writeJSON(c.w, http.StatusOK, map[string]any{"orgId": o.id, "message": "Organization created"})
}

// bindOrgName binds the {name} body of an org create or update; name is
// required (binding:"Required"), so "" is 400 "bad request data".
func bindOrgName(c *call) (string, bool) {
	var body struct {
		Name string `json:"name"`
	}
	if !decodeBody(c.w, c.r, &body) {
		return "", false
	}
	if body.Name == "" {
		errMessage(c.w, http.StatusBadRequest, "bad request data")
		return "", false
	}
	return body.Name, true
}

// updateOrg: PUT /api/org and /api/orgs/:id (§7.1, §7.2). An unknown org is
// 500 "Failed to update organization", as Grafana 10.4+ answers.
func (e *Emulator) updateOrg(c *call, o *org) {
	name, ok := bindOrgName(c)
	if !ok {
		return
	}
	if other := e.st.orgByName(name); other != nil && other != o {
		errMessage(c.w, http.StatusBadRequest, "Organization name taken")
		return
	}
	if o == nil {
		errMessage(c.w, http.StatusInternalServerError, "Failed to update organization")
		return
	}
	o.name = name
	errMessage(c.w, http.StatusOK, "Organization updated")
}

// deleteOrg: DELETE /api/orgs/:id (§7.2). The org the request runs in (the
// caller's active org, or the one X-Grafana-Org-Id selects) cannot be deleted.
func (e *Emulator) deleteOrg(c *call) {
	if !c.requireServerAdmin() {
		return
	}
	id, ok := pathInt(c, "orgId")
	if !ok {
		return
	}
	if id == c.org().id {
		errMessage(c.w, http.StatusBadRequest, e.version.DeleteActiveOrgMessage())
		return
	}
	o := e.st.orgs[id]
	if o == nil {
		errMessage(c.w, http.StatusNotFound, "Failed to delete organization. ID not found")
		return
	}
	delete(e.st.orgs, id)
	for _, u := range e.st.users {
		if u.serviceAccount && u.orgID == id {
			e.deleteUserLocked(u)
			continue
		}
		delete(u.prefs, id)
		if u.orgID == id {
			u.orgID = e.firstOrgOf(u.id)
		}
	}
	errMessage(c.w, http.StatusOK, "Organization deleted")
}

// firstOrgOf is the lowest-id org the user is a member of, 0 if none; it
// becomes the user's active org when theirs goes away.
func (e *Emulator) firstOrgOf(userID int64) int64 {
	first := int64(0)
	for id, o := range e.st.orgs {
		if _, ok := o.members[userID]; ok && (first == 0 || id < first) {
			first = id
		}
	}
	return first
}

// orgUser is one row of GET /api/org/users (§7.1). Grafana sets a new
// user's lastSeenAt ten years back, so an unseen user reads "10 years".
func orgUser(o *org, u *user, role string) map[string]any {
	return map[string]any{
		"orgId": o.id, "userId": u.id, "uid": u.uid, "email": u.email, "name": u.name,
		"avatarUrl": avatarURL(u.email), "login": u.login, "role": role,
		"lastSeenAt": u.created.AddDate(-10, 0, 0), "lastSeenAtAge": "10 years",
		"authLabels": []string{}, "isDisabled": u.disabled, "isExternallySynced": false,
	}
}

// listOrgUsers: service accounts are org members but never listed; sorted by login.
func (e *Emulator) listOrgUsers(c *call, o *org) {
	out := []map[string]any{}
	if o != nil {
		for _, u := range e.orgUsers(o) {
			out = append(out, orgUser(o, u, o.members[u.id]))
		}
	}
	writeJSON(c.w, http.StatusOK, out)
}

// orgUsers lists the org's human members sorted by login.
func (e *Emulator) orgUsers(o *org) []*user {
	var users []*user
	for id := range o.members {
		if u := e.st.users[id]; u != nil && !u.serviceAccount {
			users = append(users, u)
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i].login < users[j].login })
	return users
}

// addOrgUser: POST {loginOrEmail, role} (§7.1).
func (e *Emulator) addOrgUser(c *call, o *org) {
	var body struct {
		LoginOrEmail string `json:"loginOrEmail"`
		Role         string `json:"role"`
	}
	if !decodeBody(c.w, c.r, &body) {
		return
	}
	if body.LoginOrEmail == "" || body.Role == "" {
		errMessage(c.w, http.StatusBadRequest, "bad request data")
		return
	}
	if !validOrgRole(body.Role) {
		errMessage(c.w, http.StatusBadRequest, "Invalid role specified")
		return
	}
	u := e.st.userByLogin(body.LoginOrEmail)
	if u == nil {
		errMessage(c.w, http.StatusNotFound, "User not found")
		return
	}
	if _, ok := o.members[u.id]; ok {
		errMessage(c.w, http.StatusConflict, "User is already member of this organization")
		return
	}
	o.members[u.id] = body.Role
	if e.st.orgs[u.orgID] == nil {
		u.orgID = o.id
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"message": "User added to organization", "userId": u.id})
}

// updateOrgUser: PATCH {role} (§7.1). A user who is not a member (or an
// unknown org) fails in Grafana's store: 500 "Failed update org user".
func (e *Emulator) updateOrgUser(c *call, o *org) {
	var body struct {
		Role string `json:"role"`
	}
	if !decodeBody(c.w, c.r, &body) {
		return
	}
	if !validOrgRole(body.Role) {
		errMessage(c.w, http.StatusBadRequest, "Invalid role specified")
		return
	}
	userID, ok := pathInt(c, "userId")
	if !ok {
		return
	}
	var role string
	member := false
	if o != nil {
		role, member = o.members[userID]
	}
	if !member {
		errMessage(c.w, http.StatusInternalServerError, "Failed update org user")
		return
	}
	if role == "Admin" && body.Role != "Admin" && countAdmins(o) == 1 {
		errMessage(c.w, http.StatusBadRequest, "Cannot change role so that there is no organization admin left")
		return
	}
	o.members[userID] = body.Role
	errMessage(c.w, http.StatusOK, "Organization user updated")
}

// removeOrgUser: DELETE (§7.1). With deleteOrphan (the current-org route),
// a user left in no org is deleted entirely: "User deleted".
func (e *Emulator) removeOrgUser(c *call, o *org, deleteOrphan bool) {
	userID, ok := pathInt(c, "userId")
	if !ok {
		return
	}
	u := e.st.users[userID]
	if u == nil || o == nil {
		errMessage(c.w, http.StatusInternalServerError, "Failed to remove user from organization")
		return
	}
	if o.members[userID] == "Admin" && countAdmins(o) == 1 {
		errMessage(c.w, http.StatusBadRequest, "Cannot remove last organization admin")
		return
	}
	delete(o.members, userID)
	for _, t := range o.teams {
		delete(t.members, userID)
	}
	removePermissions(o, userID, 0)
	if next := e.firstOrgOf(userID); next != 0 {
		if u.orgID == o.id {
			u.orgID = next
		}
	} else if deleteOrphan {
		e.deleteUserLocked(u)
		errMessage(c.w, http.StatusOK, "User deleted")
		return
	}
	errMessage(c.w, http.StatusOK, "User removed from organization")
}

// countAdmins counts the org's Admin rows; service accounts count, as they
// are org_user rows in Grafana too.
func countAdmins(o *org) int {
	n := 0
	for _, role := range o.members {
		if role == "Admin" {
			n++
		}
	}
	return n
}

func validOrgRole(role string) bool {
	switch role {
	case "Viewer", "Editor", "Admin", "None":
		return true
	}
	return false
}

// deleteUserLocked removes a user or service account with everything that
// refers to it: memberships, team memberships, permissions, tokens.
func (e *Emulator) deleteUserLocked(u *user) {
	for _, o := range e.st.orgs {
		delete(o.members, u.id)
		for _, t := range o.teams {
			delete(t.members, u.id)
		}
		removePermissions(o, u.id, 0)
	}
	for hash, t := range e.st.tokens {
		if t.saID == u.id {
			delete(e.st.tokens, hash)
		}
	}
	delete(e.st.users, u.id)
}

// removePermissions drops the folder and dashboard permission entries of a
// user (userID) or team (teamID) in o, as Grafana does when either goes away.
func removePermissions(o *org, userID, teamID int64) {
	keep := func(ps []permission) []permission {
		out := ps[:0]
		for _, p := range ps {
			if (userID != 0 && p.userID == userID) || (teamID != 0 && p.teamID == teamID) {
				continue
			}
			out = append(out, p)
		}
		return out
	}
	for _, f := range o.folders {
		f.permissions = keep(f.permissions)
	}
	for _, d := range o.dashboards {
		d.permissions = keep(d.permissions)
	}
}

// prefsBody is a PUT or PATCH preferences body (§7.3); a nil field was
// omitted, which PUT resets and PATCH keeps.
type prefsBody struct {
	Theme            *string `json:"theme"`
	HomeDashboardID  *int64  `json:"homeDashboardId"`
	HomeDashboardUID *string `json:"homeDashboardUID"`
	Timezone         *string `json:"timezone"`
	WeekStart        *string `json:"weekStart"`
	Language         *string `json:"language"`
	RegionalFormat   *string `json:"regionalFormat"`
	QueryHistory     *struct {
		HomeTab string `json:"homeTab"`
	} `json:"queryHistory"`
	Navbar *struct {
		BookmarkUrls []string `json:"bookmarkUrls"`
	} `json:"navbar"`
	Cookies []string `json:"cookies"`
}

// savePrefs validates a PUT (replace) or PATCH (partial) body in Grafana's
// order — theme, then home dashboard — and stores it into p. The timezone is
// not checked: prefapi.UpdatePreferencesFor stores any string (audit row 76,
// ids 1676319849, 221376659). It
// reports whether it stored anything; on failure it has answered.
func (e *Emulator) savePrefs(c *call, p *preferences) bool {
	var b prefsBody
	if !decodeBody(c.w, c.r, &b) {
		return false
	}
	if b.Theme != nil && !e.validTheme(*b.Theme) {
		errMessage(c.w, http.StatusBadRequest, "Invalid theme")
		return false
	}
	next := *p
	if c.r.Method == http.MethodPut {
		next = preferences{}
	}
	switch {
	case b.HomeDashboardUID != nil && *b.HomeDashboardUID == "":
		next.HomeDashboardID, next.HomeDashboardUID = 0, ""
	case b.HomeDashboardUID != nil:
		d := c.org().dashboards[*b.HomeDashboardUID]
		if d == nil {
			errMessage(c.w, http.StatusNotFound, "Dashboard not found")
			return false
		}
		next.HomeDashboardID, next.HomeDashboardUID = d.id, d.uid
	case b.HomeDashboardID != nil && *b.HomeDashboardID == 0:
		next.HomeDashboardID, next.HomeDashboardUID = 0, ""
	case b.HomeDashboardID != nil:
		d := dashboardByID(c.org(), *b.HomeDashboardID)
		if d == nil {
			errMessage(c.w, http.StatusNotFound, "Dashboard not found")
			return false
		}
		next.HomeDashboardID, next.HomeDashboardUID = d.id, d.uid
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&next.Theme, b.Theme)
	set(&next.Timezone, b.Timezone)
	set(&next.WeekStart, b.WeekStart)
	set(&next.Language, b.Language)
	set(&next.RegionalFormat, b.RegionalFormat)
	if b.QueryHistory != nil {
		next.QueryHistoryHomeTab = b.QueryHistory.HomeTab
	}
	if b.Navbar != nil {
		next.NavbarBookmarkURLs = append([]string(nil), b.Navbar.BookmarkUrls...)
	}
	if b.Cookies != nil {
		next.Cookies = append([]string(nil), b.Cookies...)
	}
	*p = next
	errMessage(c.w, http.StatusOK, "Preferences updated")
	return true
}

// validTheme is pref.IsValidThemeID plus "" (no preference) (audit row 75;
// pkg/services/preference themes list, 11.x: light, dark, system, debug; 12.x
// adds the GrafanaCON themes). "system" exists from 11.0 (§7.3, §14). 10.x
// was not read (CAN'T TELL): the emulator keeps light and dark only there.
func (e *Emulator) validTheme(theme string) bool {
	switch {
	case theme == "" || theme == "light" || theme == "dark":
		return true
	case theme == "system" || theme == "debug":
		return e.version.ThemeSystem()
	}
	return e.version.ExtraThemes() && slices.Contains(extraThemes12, theme)
}

// extraThemes12 are the extra theme ids of 12.x's pref.IsValidThemeID: the
// IsExtra entries of pkg/services/preference's themes list in a 12.x copy of
// Grafana's source (stored copy id 850941447; the 11.x copy, id 2408566,
// lists only light, dark, system and debug).
var extraThemes12 = []string{
	"aubergine", "desertbloom", "gildedgrove", "gloom", "mars", "matrix",
	"sapphiredusk", "synthwave", "tron", "victorian", "zen",
}

// prefsJSON is the GET preferences body of §7.3; the home dashboard uid is
// resolved from the stored id, "" once it is gone. 10.x answers every field;
// from 11.0 GetPreferencesFor answers a preferences.Spec holding only the
// fields that are set (audit row 78).
func (e *Emulator) prefsJSON(o *org, p *preferences) map[string]any {
	uid := ""
	if d := dashboardByID(o, p.HomeDashboardID); d != nil && p.HomeDashboardID != 0 {
		uid = d.uid
	}
	cookies := map[string]any{}
	for _, k := range p.Cookies {
		cookies[k] = map[string]any{}
	}
	bookmarks := append([]string{}, p.NavbarBookmarkURLs...)
	full := map[string]any{
		"theme": p.Theme, "homeDashboardId": p.HomeDashboardID, "homeDashboardUID": uid,
		"timezone": p.Timezone, "weekStart": p.WeekStart, "language": p.Language,
		"regionalFormat": p.RegionalFormat, "navbar": map[string]any{"bookmarkUrls": bookmarks},
		"queryHistory": map[string]any{"homeTab": p.QueryHistoryHomeTab}, "cookiePreferences": cookies,
	}
	if !e.version.PreferencesOmitEmpty() {
		return full
	}
	if uid == "" {
		delete(full, "homeDashboardId")
	}
	if len(bookmarks) == 0 {
		delete(full, "navbar")
	}
	if p.QueryHistoryHomeTab == "" {
		delete(full, "queryHistory")
	}
	if len(cookies) == 0 {
		delete(full, "cookiePreferences")
	}
	for k, v := range full {
		if v == "" {
			delete(full, k)
		}
	}
	return full
}

// PreferencesInfo is an org's preferences as the test-facing API reads and
// sets them (§7.3). HomeDashboardUID is resolved from the stored id.
type PreferencesInfo struct {
	Theme, HomeDashboardUID, Timezone, WeekStart, Language, RegionalFormat string
	HomeDashboardID                                                        int64
	QueryHistoryHomeTab                                                    string
	NavbarBookmarkURLs                                                     []string
}

// Preferences reads an org's preferences; the zero value for an unknown org.
func (e *Emulator) Preferences(orgID int64) PreferencesInfo {
	e.mu.RLock()
	defer e.mu.RUnlock()
	o := e.st.orgs[orgID]
	if o == nil {
		return PreferencesInfo{}
	}
	p := o.prefs
	uid := ""
	if d := dashboardByID(o, p.HomeDashboardID); d != nil && p.HomeDashboardID != 0 {
		uid = d.uid
	}
	return PreferencesInfo{
		Theme: p.Theme, HomeDashboardUID: uid, Timezone: p.Timezone, WeekStart: p.WeekStart,
		Language: p.Language, RegionalFormat: p.RegionalFormat, HomeDashboardID: p.HomeDashboardID,
		QueryHistoryHomeTab: p.QueryHistoryHomeTab, NavbarBookmarkURLs: append([]string(nil), p.NavbarBookmarkURLs...),
	}
}

// SetPreferences replaces an org's preferences without the API's validation,
// e.g. to seed drift. A HomeDashboardUID must name a dashboard of the org;
// it wins over HomeDashboardID.
func (e *Emulator) SetPreferences(orgID int64, p PreferencesInfo) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil {
		return fmt.Errorf("org %d does not exist", orgID)
	}
	id := p.HomeDashboardID
	if p.HomeDashboardUID != "" {
		d := o.dashboards[p.HomeDashboardUID]
		if d == nil {
			return fmt.Errorf("org %d preferences: home dashboard %s does not exist", orgID, p.HomeDashboardUID)
		}
		id = d.id
	}
	o.prefs = preferences{
		Theme: p.Theme, HomeDashboardUID: p.HomeDashboardUID, Timezone: p.Timezone, WeekStart: p.WeekStart,
		Language: p.Language, HomeDashboardID: id, RegionalFormat: p.RegionalFormat,
		QueryHistoryHomeTab: p.QueryHistoryHomeTab, NavbarBookmarkURLs: append([]string(nil), p.NavbarBookmarkURLs...),
	}
	return nil
}

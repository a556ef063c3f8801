package grafanatest

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// userRoutes: the user lookups of §8. /api/users needs a server admin over
// basic auth (users:read is granted to Grafana admins only);
// /api/org/users/lookup needs org Admin. Service accounts are users in
// Grafana's table but none of these routes return them.
func (e *Emulator) userRoutes() {
	e.read("GET /api/users/lookup", func(c *call) {
		if !c.requireServerAdmin() {
			return
		}
		u := e.st.userByLogin(c.r.URL.Query().Get("loginOrEmail"))
		if u == nil {
			errMessage(c.w, http.StatusNotFound, "user not found")
			return
		}
		writeJSON(c.w, http.StatusOK, userProfile(u))
	})
	e.read("GET /api/users/search", func(c *call) {
		if !c.requireServerAdmin() {
			return
		}
		query := strings.ToLower(c.r.URL.Query().Get("query"))
		var users []*user
		for _, u := range e.st.users {
			if !u.serviceAccount && matchesAny(query, u.login, u.email, u.name) {
				users = append(users, u)
			}
		}
		sort.Slice(users, func(i, j int) bool { return users[i].login < users[j].login })
		writeSearchPage(c, "users", users, userSearchHit)
	})
	e.read("GET /api/users/{id}", func(c *call) {
		if !c.requireServerAdmin() {
			return
		}
		id, ok := pathInt(c, "id")
		if !ok {
			return
		}
		u := e.st.users[id]
		if u == nil || u.serviceAccount {
			errMessage(c.w, http.StatusNotFound, "user not found")
			return
		}
		writeJSON(c.w, http.StatusOK, userProfile(u))
	})
	e.read("GET /api/org/users/lookup", func(c *call) {
		if !c.requireRole("Admin", "org.users:read") {
			return
		}
		q := c.r.URL.Query()
		query := strings.ToLower(q.Get("query"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		out := []map[string]any{}
		for _, u := range e.orgUsers(c.org()) {
			if limit > 0 && len(out) == limit {
				break
			}
			if matchesAny(query, u.login, u.email, u.name) {
				out = append(out, map[string]any{"userId": u.id, "uid": u.uid, "login": u.login, "avatarUrl": avatarURL(u.email)})
			}
		}
		writeJSON(c.w, http.StatusOK, out)
	})
}

// userSearchHit is one user of GET /api/users/search.
func userSearchHit(u *user) map[string]any {
	return map[string]any{
		"id": u.id, "uid": u.uid, "name": u.name, "login": u.login, "email": u.email,
		"avatarUrl": avatarURL(u.email), "isAdmin": u.serverAdmin, "isDisabled": u.disabled,
		"lastSeenAt": u.created.AddDate(-10, 0, 0), "lastSeenAtAge": "10 years", "authLabels": []string{},
	}
}

// userProfile is the UserProfileDTO of /api/users/lookup and /api/users/:id.
func userProfile(u *user) map[string]any {
	return map[string]any{
		"id": u.id, "uid": u.uid, "email": u.email, "name": u.name, "login": u.login, "theme": "",
		"orgId": u.orgID, "isGrafanaAdmin": u.serverAdmin, "isDisabled": u.disabled, "isExternal": false,
		"isExternallySynced": false, "isGrafanaAdminExternallySynced": false, "authLabels": []string{},
		"updatedAt": u.updated, "createdAt": u.created, "avatarUrl": avatarURL(u.email),
	}
}

// matchesAny reports whether lowercase query is a substring of any field,
// case-insensitively, as SQL LIKE '%q%' is in Grafana's default database.
func matchesAny(query string, fields ...string) bool {
	if query == "" {
		return true
	}
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), query) {
			return true
		}
	}
	return false
}

// avatarURL is Grafana's gravatar path: /avatar/<md5 of the lowercased email>.
func avatarURL(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "/avatar/" + hex.EncodeToString(sum[:])
}

package grafanatest

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// serviceAccountRoutes: reference §9. Every route needs org Admin
// (serviceaccounts:* actions) and sees only the caller's org: a service
// account of another org is "not found".
func (e *Emulator) serviceAccountRoutes() {
	e.read("GET /api/serviceaccounts/search", e.searchServiceAccounts)
	e.write("POST /api/serviceaccounts", e.createServiceAccount)
	e.read("GET /api/serviceaccounts/{id}", func(c *call) {
		if !c.requireRole("Admin", "serviceaccounts:read") {
			return
		}
		if sa := e.serviceAccountParam(c, true); sa != nil {
			writeJSON(c.w, http.StatusOK, e.serviceAccountJSON(c.org(), sa))
		}
	})
	e.write("PATCH /api/serviceaccounts/{id}", e.updateServiceAccount)
	e.write("DELETE /api/serviceaccounts/{id}", func(c *call) {
		if !c.requireRole("Admin", "serviceaccounts:delete") {
			return
		}
		if sa := e.serviceAccountParam(c, true); sa != nil {
			e.deleteUserLocked(sa)
			errMessage(c.w, http.StatusOK, "Service account deleted")
		}
	})
	e.read("GET /api/serviceaccounts/{id}/tokens", func(c *call) {
		if !c.requireRole("Admin", "serviceaccounts:read") {
			return
		}
		// Grafana lists tokens by service-account id without looking the
		// account up: an unknown one has no tokens.
		out := []map[string]any{}
		if sa := e.serviceAccountParam(c, false); sa != nil {
			for _, t := range e.tokensOf(sa) {
				out = append(out, e.tokenJSON(t))
			}
		}
		writeJSON(c.w, http.StatusOK, out)
	})
	e.write("POST /api/serviceaccounts/{id}/tokens", e.createToken)
	e.write("DELETE /api/serviceaccounts/{id}/tokens/{tokenId}", func(c *call) {
		if !c.requireRole("Admin", "serviceaccounts:write") {
			return
		}
		sa := e.serviceAccountParam(c, true)
		if sa == nil {
			return
		}
		id, _ := strconv.ParseInt(c.r.PathValue("tokenId"), 10, 64)
		for hash, t := range e.st.tokens {
			if t.id == id && t.saID == sa.id {
				delete(e.st.tokens, hash)
				errMessage(c.w, http.StatusOK, "Service account token deleted")
				return
			}
		}
		errUtil(c.w, http.StatusNotFound, "serviceaccounts.ErrTokenNotFound", "service account token not found")
	})
}

// serviceAccountParam resolves {id} to a service account of the caller's
// org. When report is set, an unknown one gets errutil 404
// serviceaccounts.ErrNotFound; otherwise nil is returned silently.
func (e *Emulator) serviceAccountParam(c *call, report bool) *user {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	u := e.st.users[id]
	if err == nil && u != nil && u.serviceAccount && u.orgID == c.org().id {
		return u
	}
	if report {
		errUtil(c.w, http.StatusNotFound, "serviceaccounts.ErrNotFound", "service account not found")
	}
	return nil
}

// serviceAccountJSON is the ServiceAccountDTO (§9).
func (e *Emulator) serviceAccountJSON(o *org, sa *user) map[string]any {
	return map[string]any{
		"id": sa.id, "uid": sa.uid, "name": sa.name, "login": sa.login, "orgId": sa.orgID,
		"isDisabled": sa.disabled, "role": o.members[sa.id], "tokens": len(e.tokensOf(sa)),
		"avatarUrl": avatarURL(sa.name), "isExternal": false,
	}
}

// tokensOf lists a service account's tokens sorted by name.
func (e *Emulator) tokensOf(sa *user) []*token {
	var out []*token
	for _, t := range e.st.tokens {
		if t.saID == sa.id {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// tokenJSON is a TokenDTO: never the key or its hash. expiration and
// lastUsedAt are null when unset; secondsUntilExpiration is 0 without expiry.
func (e *Emulator) tokenJSON(t *token) map[string]any {
	var expiration, lastUsed any
	seconds, expired := 0.0, false
	if !t.expires.IsZero() {
		expiration = t.expires
		seconds = math.Max(0, t.expires.Sub(e.now()).Seconds())
		expired = !e.now().Before(t.expires)
	}
	if sec := t.lastUsed.Load(); sec != 0 {
		lastUsed = time.Unix(sec, 0).UTC()
	}
	return map[string]any{
		"id": t.id, "name": t.name, "created": t.created, "expiration": expiration,
		"secondsUntilExpiration": seconds, "hasExpired": expired, "lastUsedAt": lastUsed, "isRevoked": t.revoked,
	}
}

// searchServiceAccounts: GET /api/serviceaccounts/search?query&perpage&page&disabled
// (§9, §12): query matches name or login case-insensitively; sorted by name.
func (e *Emulator) searchServiceAccounts(c *call) {
	if !c.requireRole("Admin", "serviceaccounts:read") {
		return
	}
	q := c.r.URL.Query()
	query, onlyDisabled := strings.ToLower(q.Get("query")), q.Get("disabled") == "true"
	var sas []*user
	for _, u := range e.st.users {
		if u.serviceAccount && u.orgID == c.org().id && matchesAny(query, u.name, u.login) && (!onlyDisabled || u.disabled) {
			sas = append(sas, u)
		}
	}
	sort.Slice(sas, func(i, j int) bool {
		if sas[i].name != sas[j].name {
			return sas[i].name < sas[j].name
		}
		return sas[i].id < sas[j].id
	})
	writeSearchPage(c, "serviceAccounts", sas, func(sa *user) map[string]any {
		return e.serviceAccountJSON(c.org(), sa)
	})
}

// checkSARole validates a requested role: one of the org roles (None
// included), and no stronger than the caller's own (errutil, §9).
func checkSARole(c *call, role string) bool {
	if !validOrgRole(role) {
		errUtil(c.w, http.StatusBadRequest, "serviceaccounts.ErrInvalidRoleSpecified", "invalid role specified")
		return false
	}
	if !c.id.atLeast(role) {
		errUtil(c.w, http.StatusForbidden, "serviceaccounts.ErrRoleForbidden", "can not assign a role higher than user's role")
		return false
	}
	return true
}

// serviceAccountLogin is sa-<orgId>-<slug> from 10.4, sa-<slug> before (§9, §14).
func (e *Emulator) serviceAccountLogin(orgID int64, name string) string {
	if e.version.ServiceAccountLoginHasOrg() {
		return fmt.Sprintf("sa-%d-%s", orgID, slugify(name))
	}
	return "sa-" + slugify(name)
}

// serviceAccountExists reports a clash for a new name in o: the same name
// in the org, or the generated login already taken anywhere (logins are
// global, so before 10.4 two orgs cannot have a same-named account).
func (e *Emulator) serviceAccountExists(o *org, name string, except *user) bool {
	login := e.serviceAccountLogin(o.id, name)
	for _, u := range e.st.users {
		if u == except {
			continue
		}
		if u.login == login || (u.serviceAccount && u.orgID == o.id && u.name == name) {
			return true
		}
	}
	return false
}

// createServiceAccount: POST /api/serviceaccounts (§9) → 201. An omitted
// role is Viewer.
func (e *Emulator) createServiceAccount(c *call) {
	if !c.requireRole("Admin", "serviceaccounts:create") {
		return
	}
	var body struct {
		Name       string  `json:"name"`
		Role       *string `json:"role"`
		IsDisabled bool    `json:"isDisabled"`
	}
	if !decodeBody(c.w, c.r, &body) {
		return
	}
	if body.Name == "" {
		errMessage(c.w, http.StatusBadRequest, "Bad request data") // binding:"Required"
		return
	}
	role := "Viewer"
	if body.Role != nil {
		if !checkSARole(c, *body.Role) {
			return
		}
		role = *body.Role
	}
	if e.serviceAccountExists(c.org(), body.Name, nil) {
		errUtil(c.w, http.StatusBadRequest, "serviceaccounts.ErrAlreadyExists", "service account already exists")
		return
	}
	sa := e.addServiceAccountLocked(c.org(), body.Name, role)
	sa.disabled = body.IsDisabled
	writeJSON(c.w, http.StatusCreated, e.serviceAccountJSON(c.org(), sa))
}

// updateServiceAccount: PATCH {name, role, isDisabled} (§9); only given
// fields change, and the login keeps the name it was created with.
func (e *Emulator) updateServiceAccount(c *call) {
	if !c.requireRole("Admin", "serviceaccounts:write") {
		return
	}
	var body struct {
		Name       *string `json:"name"`
		Role       *string `json:"role"`
		IsDisabled *bool   `json:"isDisabled"`
	}
	if !decodeBody(c.w, c.r, &body) {
		return
	}
	if body.Role != nil && !checkSARole(c, *body.Role) {
		return
	}
	sa := e.serviceAccountParam(c, true)
	if sa == nil {
		return
	}
	if body.Name != nil && *body.Name != sa.name && e.serviceAccountExists(c.org(), *body.Name, sa) {
		errUtil(c.w, http.StatusBadRequest, "serviceaccounts.ErrAlreadyExists", "service account already exists")
		return
	}
	if body.Name != nil {
		sa.name = *body.Name
	}
	if body.Role != nil {
		c.org().members[sa.id] = *body.Role
	}
	if body.IsDisabled != nil {
		sa.disabled = *body.IsDisabled
	}
	sa.updated = e.now()
	writeJSON(c.w, http.StatusOK, map[string]any{
		"message": "Service account updated", "id": sa.id, "name": sa.name, "serviceaccount": e.serviceAccountJSON(c.org(), sa),
	})
}

// createToken: POST {name, secondsToLive} (§9). The key is in this answer
// only; token names are unique per org, across service accounts.
func (e *Emulator) createToken(c *call) {
	if !c.requireRole("Admin", "serviceaccounts:write") {
		return
	}
	sa := e.serviceAccountParam(c, true)
	if sa == nil {
		return
	}
	var body struct {
		Name          string `json:"name"`
		SecondsToLive int64  `json:"secondsToLive"`
	}
	if !decodeBody(c.w, c.r, &body) {
		return
	}
	if body.Name == "" {
		errMessage(c.w, http.StatusBadRequest, "Bad request data") // binding:"Required"
		return
	}
	if body.SecondsToLive < 0 {
		errMessage(c.w, http.StatusBadRequest, "Number of seconds before expiration should be set")
		return
	}
	for _, t := range e.st.tokens {
		if owner := e.st.users[t.saID]; owner != nil && owner.orgID == sa.orgID && t.name == body.Name {
			errUtil(c.w, http.StatusBadRequest, "serviceaccounts.ErrTokenAlreadyExists",
				"service account token with given name already exists in the organization")
			return
		}
	}
	key, t := e.addTokenLocked(sa, body.Name, time.Duration(body.SecondsToLive)*time.Second)
	writeJSON(c.w, http.StatusOK, map[string]any{"id": t.id, "name": t.name, "key": key})
}

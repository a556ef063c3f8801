package grafanatest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// roleRank orders org roles, weakest first; unknown roles rank with None.
func roleRank(role string) int {
	switch role {
	case "Viewer":
		return 1
	case "Editor":
		return 2
	case "Admin":
		return 3
	}
	return 0
}

// identity is the authenticated caller of one request, resolved to one org.
type identity struct {
	user  *user
	org   *org
	role  string // the caller's role in org
	token *token // nil for basic auth
}

// atLeast reports whether the caller's org role is role or stronger.
func (id *identity) atLeast(role string) bool { return roleRank(id.role) >= roleRank(role) }

// authenticate implements reference §1: credentials, then the target org.
// On failure it has written the response and returns nil. The caller holds
// the store lock (read or write).
func (e *Emulator) authenticate(w http.ResponseWriter, r *http.Request) *identity {
	s := e.st
	auth := r.Header.Get("Authorization")
	var u *user
	var tok *token
	switch {
	case auth == "":
		errUtil(w, http.StatusUnauthorized, "auth.unauthorized", "Unauthorized")
		return nil
	case strings.HasPrefix(auth, "Bearer "):
		if tok = e.lookupToken(w, strings.TrimPrefix(auth, "Bearer ")); tok == nil {
			return nil
		}
	case strings.HasPrefix(auth, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "Basic "))
		login, password, ok := strings.Cut(string(raw), ":")
		if err != nil || !ok {
			errUtil(w, http.StatusUnauthorized, "auth.unauthorized", "Unauthorized")
			return nil
		}
		if login == "api_key" {
			if tok = e.lookupToken(w, password); tok == nil {
				return nil
			}
			break
		}
		u = s.userByLogin(login)
		if u == nil || u.password != password {
			errUtil(w, http.StatusUnauthorized, "password-auth.failed", "Invalid username or password")
			return nil
		}
		if u.disabled {
			errUtil(w, http.StatusUnauthorized, "user.disabled", "User is disabled")
			return nil
		}
	default:
		errUtil(w, http.StatusUnauthorized, "auth.unauthorized", "Unauthorized")
		return nil
	}
	if tok != nil {
		u = s.users[tok.saID]
		if u == nil || u.disabled {
			errUtil(w, http.StatusUnauthorized, "service-account.disabled", "Service account is disabled")
			return nil
		}
		tok.lastUsed.Store(e.now().Unix())
	}

	orgID := u.orgID
	if requested, ok := requestedOrg(r); ok {
		if tok != nil && requested != u.orgID {
			errUtil(w, http.StatusUnauthorized, "api-key.organization-mismatch", "API key does not belong to the requested organization")
			return nil
		}
		orgID = requested
	}
	o := s.orgs[orgID]
	role, member := "", false
	if o != nil {
		role, member = o.members[u.id]
	}
	if !member {
		// §1.2: a basic-auth user asking for an org they are not in gets 403.
		errMessage(w, http.StatusForbidden, "Access denied to the organization")
		return nil
	}
	return &identity{user: u, org: o, role: role, token: tok}
}

// lookupToken resolves a service-account token, writing the 401 of §1.3 when
// it is unknown, expired or revoked.
func (e *Emulator) lookupToken(w http.ResponseWriter, key string) *token {
	tok := e.st.tokens[hashKey(key)]
	switch {
	case tok == nil:
		errUtil(w, http.StatusUnauthorized, "api-key.invalid", "Invalid API key")
		return nil
	case tok.revoked:
		errUtil(w, http.StatusUnauthorized, "api-key.revoked", "Revoked API key")
		return nil
	case !tok.expires.IsZero() && e.now().After(tok.expires):
		errUtil(w, http.StatusUnauthorized, "api-key.expired", "Expired API key")
		return nil
	}
	return tok
}

// requestedOrg is the org a request asks for: targetOrgId wins over
// X-Grafana-Org-Id; non-numeric values are ignored (§1.2).
func requestedOrg(r *http.Request) (int64, bool) {
	for _, v := range []string{r.URL.Query().Get("targetOrgId"), r.Header.Get("X-Grafana-Org-Id")} {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			return id, true
		}
	}
	return 0, false
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

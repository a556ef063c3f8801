package grafanatest

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"time"
)

// This file is the test-facing side of the emulator: seeding identities and
// reading them back, without going through HTTP. Each resource area adds its
// own Seed*/Get* methods in its own file.

// UserSpec describes a user to create. OrgRoles maps org id to role
// (Viewer, Editor, Admin); a user with none is a member of org 1 as Viewer.
type UserSpec struct {
	Login, Email, Name, Password string
	ServerAdmin                  bool
	OrgRoles                     map[int64]string
}

// AddUser creates a user and returns its id.
func (e *Emulator) AddUser(spec UserSpec) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	u := e.addUserLocked(spec)
	roles := spec.OrgRoles
	if len(roles) == 0 {
		roles = map[int64]string{1: "Viewer"}
	}
	first := int64(0)
	for orgID, role := range roles {
		if o := e.st.orgs[orgID]; o != nil {
			o.members[u.id] = role
			if first == 0 || orgID < first {
				first = orgID
			}
		}
	}
	u.orgID = first
	return u.id
}

func (e *Emulator) addUserLocked(spec UserSpec) *user {
	s := e.st
	s.nextUserID++
	now := e.now()
	u := &user{
		id: s.nextUserID, uid: e.uids.next(), login: spec.Login, email: spec.Email, name: spec.Name,
		password: spec.Password, serverAdmin: spec.ServerAdmin, orgID: 1, created: now, updated: now,
	}
	s.users[u.id] = u
	return u
}

// AddOrg creates an org and returns its id. The server admin is not made a
// member: Grafana adds only the creating user.
func (e *Emulator) AddOrg(name string) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.addOrg(name).id
}

// AddServiceAccountToken creates a service account with role in org and a
// token for it, and returns the token's key (glsa_...).
func (e *Emulator) AddServiceAccountToken(orgID int64, name, role string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil {
		return "", fmt.Errorf("org %d does not exist", orgID)
	}
	sa := e.addServiceAccountLocked(o, name, role)
	key, _ := e.addTokenLocked(sa, name+"-token", 0)
	return key, nil
}

func (e *Emulator) addServiceAccountLocked(o *org, name, role string) *user {
	u := e.addUserLocked(UserSpec{Login: e.serviceAccountLogin(o.id, name), Name: name})
	u.serviceAccount, u.orgID = true, o.id
	o.members[u.id] = role
	return u
}

// addTokenLocked creates a token glsa_<32 alnum>_<8 hex> (§9) and stores only its hash.
func (e *Emulator) addTokenLocked(sa *user, name string, ttl time.Duration) (string, *token) {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 32)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		b[i] = alnum[n.Int64()]
	}
	key := "glsa_" + string(b) + "_" + hashKey(string(b))[:8]
	s := e.st
	s.nextTokenID++
	t := &token{id: s.nextTokenID, name: name, saID: sa.id, hash: hashKey(key), created: e.now()}
	if ttl > 0 {
		t.expires = t.created.Add(ttl)
	}
	s.tokens[t.hash] = t
	return key, t
}

// OrgIDByName finds an org by its exact name.
func (e *Emulator) OrgIDByName(name string) (int64, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if o := e.st.orgByName(name); o != nil {
		return o.id, true
	}
	return 0, false
}

// UserIDByLogin finds a user or service account by its exact login.
func (e *Emulator) UserIDByLogin(login string) (int64, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, u := range e.st.users {
		if u.login == login {
			return u.id, true
		}
	}
	return 0, false
}

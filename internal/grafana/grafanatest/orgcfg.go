package grafanatest

import "fmt"

// Test-facing helpers for org config scenarios (grafsync's org config).

// TeamIDByName finds a team of an org by its exact name.
func (e *Emulator) TeamIDByName(orgID int64, name string) (int64, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	o := e.st.orgs[orgID]
	if o == nil {
		return 0, false
	}
	if t := teamByName(o, name); t != nil {
		return t.id, true
	}
	return 0, false
}

// AddOrgMember makes an existing user a member of an org with role, as an
// admin adding the user in the UI would.
func (e *Emulator) AddOrgMember(orgID, userID int64, role string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil || e.st.users[userID] == nil {
		return fmt.Errorf("org %d or user %d does not exist", orgID, userID)
	}
	o.members[userID] = role
	return nil
}

// RemoveTeamMember removes a user from a team, as a hand edit would.
func (e *Emulator) RemoveTeamMember(orgID, teamID, userID int64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.st.orgs[orgID]
	if o == nil || o.teams[teamID] == nil {
		return fmt.Errorf("team %d does not exist in org %d", teamID, orgID)
	}
	delete(o.teams[teamID].members, userID)
	return nil
}

// TeamName is a team's name by id ("" when there is none).
func (e *Emulator) TeamName(orgID, teamID int64) string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if o := e.st.orgs[orgID]; o != nil && o.teams[teamID] != nil {
		return o.teams[teamID].name
	}
	return ""
}

// UserLogin is a user's (or service account's) login by id ("" when there is none).
func (e *Emulator) UserLogin(id int64) string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if u := e.st.users[id]; u != nil {
		return u.login
	}
	return ""
}

package grafanatest

// anonymous is what Grafana shows as createdBy/updatedBy when the writer is
// nobody (provisioning), cannot be found (a deleted user), or, before 11.5,
// is a service account (audit rows 25, 39).
const anonymous = "Anonymous"

// identityName renders a stored writer (a user or service-account id; 0:
// none) as Grafana's createdBy/updatedBy show it in this version: the
// writer is looked up when the answer is rendered, as Grafana does, so a
// renamed service account shows its new name.
// Grafana: pkg/api/folder.go newToFolderDto and pkg/api/dashboard.go
// GetDashboard / GetDashboardVersions: getUserLogin (≤11.4:
// userService.GetByID, which filters out service accounts) and
// getIdentityName (≥11.5: a user's login, a service account's name).
func (e *Emulator) identityName(id int64) string {
	u := e.st.users[id]
	switch {
	case u == nil:
		return anonymous
	case !u.serviceAccount:
		return u.login
	case e.version.CreatorShowsServiceAccountName():
		return u.name
	}
	return anonymous
}

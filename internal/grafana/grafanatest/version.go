package grafanatest

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is the Grafana release the emulator imitates. Behaviours that
// changed between releases (reference §14) are methods below.
type Version struct {
	Major, Minor, Patch int
}

// DefaultVersion is the release emulated when none is asked for: the newest
// 11.x, after duplicate titles became legal (11.3).
func DefaultVersion() Version { return Version{11, 6, 0} }

// ParseVersion accepts "10", "11.2", "12.0.1", "11.x" and suffixed forms such
// as "11.3.0-pre" or "12.0.1+security-01". A bare major picks the newest minor
// the reference describes for it.
func ParseVersion(s string) (Version, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) > 3 || s == "" {
		return Version{}, fmt.Errorf("grafana version %q: want MAJOR[.MINOR[.PATCH]], e.g. 11.3.0", s)
	}
	var n [3]int
	for i, p := range parts {
		if p == "x" && i > 0 {
			break
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Version{}, fmt.Errorf("grafana version %q: %q is not a number", s, p)
		}
		n[i] = v
	}
	v := Version{n[0], n[1], n[2]}
	if len(parts) == 1 || parts[1] == "x" {
		switch v.Major {
		case 10:
			v.Minor = 4
		case 11:
			v.Minor = 6
		case 12:
			v.Minor = 2
		}
	}
	if v.Major < 10 || v.Major > 12 {
		return Version{}, fmt.Errorf("grafana version %s: the emulator imitates 10.x, 11.x and 12.x", v)
	}
	return v, nil
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

func (v Version) atLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// UniqueTitles: a dashboard title must be unique within its folder, and a
// folder title at its level, up to 11.2 (§3.1 name-exists, §5.3, §14).
func (v Version) UniqueTitles() bool { return !v.atLeast(11, 3) }

// VersionsAsObject: the dashboard versions list is {"versions":[...],
// "continueToken":...} from 11.0, a bare array before (§3.4, §14).
func (v Version) VersionsAsObject() bool { return v.Major >= 11 }

// SaveReturnsFolderUID: the dashboard save response has folderUid from 11.0 (§3.1, §14).
func (v Version) SaveReturnsFolderUID() bool { return v.Major >= 11 }

// DuplicateFolderUIDStatus: 409 on the legacy SQL path, 412 on the 12.x k8s path (§5.3, §14).
func (v Version) DuplicateFolderUIDStatus() int {
	if v.Major >= 12 {
		return 412
	}
	return 409
}

// UnknownSearchTypeFails: 12.x answers 500 "Search failed" for an unknown type (§4, §14).
func (v Version) UnknownSearchTypeFails() bool { return v.Major >= 12 }

// ThemeSystem: the "system" theme preference exists from 11.0 (§7.3, §14).
func (v Version) ThemeSystem() bool { return v.Major >= 11 }

// NestedFoldersByDefault: nested folders are GA and on from 11.0; in 10.x they
// are a preview behind the nestedFolders toggle (§5, §14).
func (v Version) NestedFoldersByDefault() bool { return v.Major >= 11 }

// ServiceAccountLoginHasOrg: service-account logins are sa-<orgId>-<name> from
// 10.4, sa-<name> before (§1.1, §9, §14).
func (v Version) ServiceAccountLoginHasOrg() bool { return v.atLeast(10, 4) }

// UnifiedStorage: 12.x serves dashboards and folders through the k8s path:
// meta.apiVersion in GETs and eventually consistent search (§3.2, §4, §13, §14).
func (v Version) UnifiedStorage() bool { return v.Major >= 12 }

// DeleteActiveOrgMessage is the 400 message for deleting the caller's active
// org: "Can not delete org for current user" up to 11.x, reworded in 12.0 (§7.2).
func (v Version) DeleteActiveOrgMessage() string {
	if v.Major >= 12 {
		return "Cannot delete your active organization"
	}
	return "Can not delete org for current user"
}

// TeamUpdateChecksExistence: PUT /api/teams/:id on an unknown team is 404
// "Team not found" from 12.0; before, the SQL update fails and Grafana
// answers 500 "Failed to update Team" (§8; grafana-client integration tests).
func (v Version) TeamUpdateChecksExistence() bool { return v.Major >= 12 }

// DatasourceAutoName: a datasource created without a name is named after its
// type (<type>, <type>-1, ...) from 10.3; before, name is a required field
// and an empty one is 400 "bad request data" (§6.3; grafana#78479).
func (v Version) DatasourceAutoName() bool { return v.atLeast(10, 3) }

// DatasourceNameExistsMessage is the 409 message for a datasource name taken
// in the org; 10.x capitalises it (§6.3).
func (v Version) DatasourceNameExistsMessage() string {
	if v.Major == 10 {
		return "Data source with the same name already exists"
	}
	return "data source with the same name already exists"
}

// DatasourceAPIVersionField: the datasource DTO carries "apiVersion" (usually
// "") from 11.0 (§6.2).
func (v Version) DatasourceAPIVersionField() bool { return v.Major >= 11 }

// DashboardNotFoundHasStatus: from 11.0 a missing dashboard is answered through
// apierrors, adding "status":"not-found" to the 404 (§3.2).
func (v Version) DashboardNotFoundHasStatus() bool { return v.Major >= 11 }

// SaveFolderNotFoundMessage is the 400 a dashboard save into an unknown folder
// gets: 10.x capitalizes it (§3.1).
func (v Version) SaveFolderNotFoundMessage() string {
	if v.Major < 11 {
		return "Folder not found"
	}
	return "folder not found"
}

// ProvisionedDashboardDeleteMessage is the 400 for deleting a provisioned
// dashboard; the wording changed after 10.x (§3.3).
func (v Version) ProvisionedDashboardDeleteMessage() string {
	if v.Major < 11 {
		return "Dashboard cannot be deleted because it was provisioned"
	}
	return "provisioned dashboard cannot be deleted"
}

// DeleteDashboardReturnsID: the 10.x delete response also carries "id" (§3.3).
func (v Version) DeleteDashboardReturnsID() bool { return v.Major < 11 }

// CreatorShowsServiceAccountName: createdBy/updatedBy of folders, dashboards
// and dashboard versions written by a service account show the account's
// name from 11.5 (pkg/api getIdentityName, PR #98719, merged 2025-01-09);
// before, getUserLogin looks the writer up with userService.GetByID, which
// excludes service accounts, and shows "Anonymous" (audit rows 25, 39).
// A user is shown by login in every version.
func (v Version) CreatorShowsServiceAccountName() bool { return v.atLeast(11, 5) }

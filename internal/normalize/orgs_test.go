package normalize

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// A team's members are compared by the names the repository uses; grafsync's
// own membership is the ownership marker, never a member.
func TestLiveTeams(t *testing.T) {
	const self = 99
	ana := grafana.TeamMember{UserID: 1, Login: "ana", Email: "ana@example.com"}
	bob := grafana.TeamMember{UserID: 2, Login: "bob", Email: "Bob@Example.com"}
	grafsync := grafana.TeamMember{UserID: self, Login: "sa-1-grafsync", Permission: 4}
	tests := []struct {
		name    string
		live    grafana.Team
		desired []*resource.Team
		want    map[string]any
		managed bool
	}{{
		name:    "members named by login and by email, in any case",
		live:    grafana.Team{Name: "sre", Email: "sre@example.com", Members: []grafana.TeamMember{ana, bob, grafsync}},
		desired: []*resource.Team{{Name: "sre", Members: []string{"ANA", "bob@example.com"}}},
		want: map[string]any{"email": "sre@example.com", "members": map[string]any{"ANA": "member", "bob@example.com": "member"},
			MarkerKey: map[string]any{"managed": true}},
		managed: true,
	}, {
		name:    "membership not managed (members absent in grafsync.yaml)",
		live:    grafana.Team{Name: "sre", Members: []grafana.TeamMember{ana, grafsync}},
		desired: []*resource.Team{{Name: "sre"}},
		want:    map[string]any{"email": "", MarkerKey: map[string]any{"managed": true}},
		managed: true,
	}, {
		name:    "grafsync listed as a member of its own team",
		live:    grafana.Team{Name: "sre", Members: []grafana.TeamMember{ana, grafsync}},
		desired: []*resource.Team{{Name: "sre", Members: []string{"ana", "sa-1-grafsync"}}},
		want: map[string]any{"email": "", "members": map[string]any{"ana": "member", "sa-1-grafsync": "member"},
			MarkerKey: map[string]any{"managed": true}},
		managed: true,
	}, {
		name: "a team not in the repository, made by hand",
		live: grafana.Team{Name: "hand-made", Members: []grafana.TeamMember{bob}},
		want: map[string]any{"email": "", "members": map[string]any{"bob": "member"}, MarkerKey: map[string]any{}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LiveTeams([]grafana.Team{tt.live}, tt.desired, 1, self)
			if len(got) != 1 {
				t.Fatalf("got %d teams", len(got))
			}
			if diff := cmp.Diff(tt.want, got[0].Doc); diff != "" {
				t.Errorf("doc (-want +got):\n%s", diff)
			}
			if got[0].Managed != tt.managed {
				t.Errorf("managed = %v, want %v", got[0].Managed, tt.managed)
			}
		})
	}
}

// What apply creates reads back as the desired doc: no change.
func TestTeamBothSidesAgree(t *testing.T) {
	org := &resource.Org{Name: "Main Org.", Teams: []*resource.Team{{Name: "sre", Email: "sre@example.com", Members: []string{"ana"}}}}
	desired := DesiredTeams(org, 1)
	live := LiveTeams([]grafana.Team{{Name: "sre", Email: "sre@example.com", Members: []grafana.TeamMember{
		{UserID: 1, Login: "ana"}, {UserID: 7, Login: "admin", Permission: 4},
	}}}, org.Teams, 1, 7)
	if diff := cmp.Diff(desired[0].Doc, live[0].Doc); diff != "" {
		t.Errorf("(-desired +live):\n%s", diff)
	}
	if DesiredTeams(&resource.Org{}, 1) != nil {
		t.Error("an org without teams: in grafsync.yaml manages teams")
	}
}

func TestFolderPermissions(t *testing.T) {
	declared := []resource.Permission{
		{Role: "Viewer", Permission: "View"}, {Team: "platform", Permission: "Edit"}, {User: "ANA@example.com", Permission: "Admin"},
	}
	tests := []struct {
		name string
		live []grafana.Permission
		want map[string]any
	}{{
		name: "the same entries, the user named by email",
		live: []grafana.Permission{
			{Role: "Viewer", Permission: 1}, {TeamID: 3, Team: "platform", Permission: 2},
			{UserID: 5, UserLogin: "ana", UserEmail: "ana@example.com", Permission: 4},
		},
		want: map[string]any{"role": map[string]any{"Viewer": "View"}, "team": map[string]any{"platform": "Edit"},
			"user": map[string]any{"ANA@example.com": "Admin"}},
	}, {
		name: "inherited entries are not the folder's; unknown users by login",
		live: []grafana.Permission{
			{Role: "Editor", Permission: 2, Inherited: true}, {TeamID: 3, Team: "platform", Permission: 4},
			{UserID: 6, UserLogin: "bob", Permission: 1},
		},
		want: map[string]any{"role": map[string]any{}, "team": map[string]any{"platform": "Admin"}, "user": map[string]any{"bob": "View"}},
	}, {
		name: "none",
		want: map[string]any{"role": map[string]any{}, "team": map[string]any{}, "user": map[string]any{}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LiveFolderPermissions("platform", "platform", tt.live, declared, 1)
			if diff := cmp.Diff(tt.want, got.Doc); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// The first live case equals the declared entries: no change.
	org := &resource.Org{Folders: []*resource.Folder{{UID: "platform", Path: "platform", Permissions: declared}}}
	desired, _ := DesiredFolderPermissions(org, 1, Self{OrgAdmin: true})
	if diff := cmp.Diff(tests[0].want, desired[0].Doc); diff != "" {
		t.Errorf("desired (-want +got):\n%s", diff)
	}
}

// A change of one entry is one field of the plan.
func TestFolderPermissionsDiffOneFieldPerEntry(t *testing.T) {
	before := FolderPermissions([]resource.Permission{{Team: "platform", Permission: "Edit"}, {User: "carol", Permission: "Edit"}})
	after := FolderPermissions([]resource.Permission{{Team: "platform", Permission: "Admin"}, {Role: "Viewer", Permission: "View"}})
	want := []plan.FieldDiff{
		{Path: "role.Viewer", After: "View", BeforeAbsent: true},
		{Path: "team.platform", Before: "Edit", After: "Admin"},
		{Path: "user.carol", Before: "Edit", AfterAbsent: true},
	}
	if diff := cmp.Diff(want, plan.Diff(before, after, nil)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDesiredFolderPermissionsKeepsSelf(t *testing.T) {
	org := &resource.Org{Folders: []*resource.Folder{
		{UID: "a", Path: "a", Permissions: []resource.Permission{{User: "SA-1-grafsync", Permission: "View"}, {Role: "Viewer", Permission: "View"}}},
		{UID: "b", Path: "b"}, // permissions not managed
	}}
	tests := []struct {
		name     string
		self     Self
		want     map[string]any
		selfKept bool
	}{{
		name: "an org Admin needs no entry",
		self: Self{Login: "sa-1-grafsync", OrgAdmin: true},
		want: map[string]any{"role": map[string]any{"Viewer": "View"}, "team": map[string]any{}, "user": map[string]any{"SA-1-grafsync": "View"}},
	}, {
		name:     "otherwise grafsync keeps Admin on the folder",
		self:     Self{Login: "sa-1-grafsync"},
		want:     map[string]any{"role": map[string]any{"Viewer": "View"}, "team": map[string]any{}, "user": map[string]any{"sa-1-grafsync": "Admin"}},
		selfKept: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kept := DesiredFolderPermissions(org, 1, tt.self)
			if len(got) != 1 || got[0].ID != "a" {
				t.Fatalf("got %+v, want folder a only", got)
			}
			if diff := cmp.Diff(tt.want, got[0].Doc); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if kept != tt.selfKept {
				t.Errorf("selfKept = %v, want %v", kept, tt.selfKept)
			}
		})
	}
}

func TestPreferencesBothSidesAgree(t *testing.T) {
	org := &resource.Org{Name: "Main Org.", Preferences: &resource.Preferences{Theme: "dark", Timezone: "utc", WeekStart: "monday", HomeDashboardUID: "home"}}
	desired := DesiredPreferences(org, 1)
	live := LivePreferences("Main Org.", grafana.Preferences{Theme: "dark", Timezone: "utc", WeekStart: "monday", HomeDashboardUID: "home", Language: "de-DE"}, 1)
	if diff := cmp.Diff(desired.Doc, live.Doc); diff != "" {
		t.Errorf("(-desired +live):\n%s", diff)
	}
	if desired.Subject() != "preferences Main Org." {
		t.Errorf("subject %q", desired.Subject())
	}
	if DesiredPreferences(&resource.Org{}, 1) != nil {
		t.Error("an org without preferences: manages them")
	}
}

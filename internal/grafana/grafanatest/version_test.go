package grafanatest

import (
	"testing"
)

// §14: the release strings a user may give, and the behaviours each mode switches.
func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want Version
		err  bool
	}{
		{"10", Version{10, 4, 0}, false},
		{"11", Version{11, 6, 0}, false},
		{"11.x", Version{11, 6, 0}, false},
		{"11.2", Version{11, 2, 0}, false},
		{"12.0.1+security-01", Version{12, 0, 1}, false},
		{"v11.3.0-pre", Version{11, 3, 0}, false},
		{"9.5", Version{}, true},
		{"13", Version{13, 2, 0}, false},
		{"13.0.1", Version{13, 0, 1}, false},
		{"14", Version{}, true},
		{"eleven", Version{}, true},
		{"", Version{}, true},
	}
	for _, tt := range tests {
		got, err := ParseVersion(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestVersionMatrix(t *testing.T) {
	type row struct {
		unique, versionsObj, saveFolderUID, searchTypeFails, themeSystem, nested, saOrg, unified bool
		dashUIDTypeMismatch, createShort, moveShort, conflict409, extraThemes                    bool
	}
	tests := map[Version]row{
		{10, 3, 0}: {unique: true, dashUIDTypeMismatch: true},
		{10, 4, 0}: {unique: true, saOrg: true, dashUIDTypeMismatch: true},
		{11, 2, 0}: {unique: true, versionsObj: true, saveFolderUID: true, themeSystem: true, nested: true, saOrg: true, dashUIDTypeMismatch: true},
		{11, 3, 0}: {versionsObj: true, saveFolderUID: true, themeSystem: true, nested: true, saOrg: true, dashUIDTypeMismatch: true},
		// Audit row 40: 12.0–12.1 create and 12.0–12.2 move one level short.
		{12, 0, 0}: {versionsObj: true, saveFolderUID: true, searchTypeFails: true, themeSystem: true, nested: true, saOrg: true, unified: true, createShort: true, moveShort: true, extraThemes: true},
		{12, 2, 0}: {versionsObj: true, saveFolderUID: true, searchTypeFails: true, themeSystem: true, nested: true, saOrg: true, unified: true, moveShort: true, extraThemes: true},
		{12, 3, 0}: {versionsObj: true, saveFolderUID: true, searchTypeFails: true, themeSystem: true, nested: true, saOrg: true, unified: true, extraThemes: true},
		// Audit row 3 and §3: 13.x answers a stale save with 409.
		{13, 2, 0}: {versionsObj: true, saveFolderUID: true, searchTypeFails: true, themeSystem: true, nested: true, saOrg: true, unified: true, conflict409: true, extraThemes: true},
	}
	for v, want := range tests {
		got := row{v.UniqueTitles(), v.VersionsAsObject(), v.SaveReturnsFolderUID(), v.UnknownSearchTypeFails(),
			v.ThemeSystem(), v.NestedFoldersByDefault(), v.ServiceAccountLoginHasOrg(), v.UnifiedStorage(),
			v.FolderUIDOfDashboardIsTypeMismatch(), v.FolderCreateOneLevelShort(), v.FolderMoveOneLevelShort(),
			v.SaveConflictIs409(), v.ExtraThemes()}
		if got != want {
			t.Errorf("%s: got %+v, want %+v", v, got, want)
		}
	}
}

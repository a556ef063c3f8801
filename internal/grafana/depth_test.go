package grafana

import "testing"

// grafana-source-audit.md row 40: a top-level folder plus 4 nested levels,
// one less on 12.0–12.1 create and 12.0–12.2 move.
func TestFolderLevelLimits(t *testing.T) {
	for _, tt := range []struct {
		version      string
		create, move int
	}{
		{"10.4.3", 5, 5},
		{"11.6.0", 5, 5},
		{"12.0.1", 4, 4},
		{"12.1.0+security-01", 4, 4},
		{"v12.2.0", 5, 4},
		{"12.3.0", 5, 5},
		{"13.0.1", 5, 5},
		{"", 5, 5},
		{"twelve", 5, 5},
	} {
		create, move := FolderLevelLimits(tt.version)
		if create != tt.create || move != tt.move {
			t.Errorf("FolderLevelLimits(%q) = %d, %d; want %d, %d", tt.version, create, move, tt.create, tt.move)
		}
	}
}

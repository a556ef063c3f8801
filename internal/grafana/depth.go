package grafana

import (
	"strconv"
	"strings"
)

// DefaultFolderLevels is how deep a folder may sit in Grafana by default: a
// top-level folder (level 1) plus 4 nested levels, [folder]
// max_nested_folder_depth = 4 (grafana-source-audit.md row 40).
const DefaultFolderLevels = 5

// FolderLevelLimits gives the deepest level a Grafana release lets a folder
// be created at and moved to, for the default max_nested_folder_depth. 12.0–
// 12.1's unified-storage create, and 12.0–12.2's update (which moves), refused
// one level early (grafana PRs #110907, #112570; audit row 40). A release
// string that does not parse gets the default. A server's configured limit is
// not visible through the API.
func FolderLevelLimits(version string) (create, move int) {
	create, move = DefaultFolderLevels, DefaultFolderLevels
	parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(version), "v"), ".", 3)
	if len(parts) < 2 {
		return create, move
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || major != 12 {
		return create, move
	}
	if minor < 2 {
		create--
	}
	if minor < 3 {
		move--
	}
	return create, move
}

package main

import "testing"

// readsPath decides which changes make a working tree "-dirty": everything
// internal/load may open, nothing else.
func TestReadsPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"grafsync.yaml", true},
		{"roles/accounts.yaml", true},
		{"dashboards/home.json", true},
		{"dashboards/platform/_folder.yaml", true},
		{"datasources/loki.yaml", true},
		{"orgs/tenant-a/dashboards/x.json", true},
		{"orgs/tenant-a/datasources/x.yaml", true},
		{"alerting/rules.yaml", true},
		{"orgs/tenant-a/alerting/notify.json", true},
		{"dashboards/platform/cpu.libpanel.json", true},
		{"plan.json", false},
		{"README.md", false},
		{".github/workflows/ci.yml", false},
		{"roles/generated/trust.json", false},
		{"dashboards", false}, // a file named like the directory is not read as one
		{"docs/dashboards.md", false},
	}
	for _, tt := range tests {
		if got := readsPath(tt.path); got != tt.want {
			t.Errorf("readsPath(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

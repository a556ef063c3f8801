package reconcile

import "testing"

func TestTokenEnv(t *testing.T) {
	tests := []struct{ org, want string }{
		{"Tenant A", "GRAFANA_TOKEN_TENANT_A"},
		{"Main Org.", "GRAFANA_TOKEN_MAIN_ORG_"},
		{"team-42", "GRAFANA_TOKEN_TEAM_42"},
		{"Zürich", "GRAFANA_TOKEN_Z_RICH"},
	}
	for _, tt := range tests {
		if got := TokenEnv(tt.org); got != tt.want {
			t.Errorf("TokenEnv(%q) = %q, want %q", tt.org, got, tt.want)
		}
	}
}

package reconcile

import "testing"

// Grafana up to 11.2 refuses two dashboards with one title in a folder; 11.3
// dropped the check (audit rows 17, 18). /api/health reports versions such
// as "11.2.0", "v10.4.3" or "11.3.0-pre".
func TestUniqueTitles(t *testing.T) {
	for version, want := range map[string]bool{
		"10.0.0":     true,
		"v10.4.3":    true,
		"11.2.9":     true,
		"11.3.0-pre": false,
		"11.6.0":     false,
		"12.0.1":     false,
		"":           false,
		"main":       false,
	} {
		if got := uniqueTitles(version); got != want {
			t.Errorf("uniqueTitles(%q) = %v, want %v", version, got, want)
		}
	}
}

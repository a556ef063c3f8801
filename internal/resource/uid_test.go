package resource

import "testing"

// The expected values are uids Grafana gave uid-less provisioned datasources
// (pkg/services/provisioning/datasources/types.go, safeUIDFromName): the
// first is the example in issue 14, the others are checked by hand with
// printf NAME | sha256sum.
func TestUIDFromName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"Prometheus", "PBFA97CFB590B2093"},
		{"Loki", "P8E80F9AEF21F6940"},
		{"", "PE3B0C44298FC1C14"},
	} {
		if got := UIDFromName(tc.name); got != tc.want {
			t.Errorf("UIDFromName(%q) = %s, want %s", tc.name, got, tc.want)
		}
	}
	d := &Datasource{Name: "Prometheus"}
	if got := d.ProvisionedUID(); got != "PBFA97CFB590B2093" {
		t.Errorf("ProvisionedUID without uid = %s", got)
	}
	d.UID = "prom"
	if got := d.ProvisionedUID(); got != "prom" {
		t.Errorf("ProvisionedUID with uid = %s", got)
	}
}

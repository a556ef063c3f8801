package resource

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// UIDFromName is the uid Grafana's datasource provisioning gives a
// datasource whose file sets no uid: "P" and the first 8 bytes of the
// SHA-256 of its name, in upper-case hex ("Prometheus" → PBFA97CFB590B2093).
// Grafana: pkg/services/provisioning/datasources/types.go, createInsertCommand
// and safeUIDFromName. It depends only on the name, so dashboards exported
// from a Grafana provisioned that way reference this uid.
func UIDFromName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "P" + strings.ToUpper(hex.EncodeToString(sum[:8]))
}

// ProvisionedUID is the uid the datasource has once created: its own, or
// UIDFromName of its name when the file sets none.
func (d *Datasource) ProvisionedUID() string {
	if d.UID != "" {
		return d.UID
	}
	return UIDFromName(d.Name)
}

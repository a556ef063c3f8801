package view

import (
	"fmt"

	"github.com/grafsync/grafsync/internal/resource"
)

// DatasourceNotes are what validate tells about the repository's datasources
// beyond problems: how each one without a uid is identified, and what
// becomes of editable: false. One line each, "path:line:col: note: ...".
func DatasourceNotes(st *resource.State) []string {
	var out []string
	readOnly := 0
	for _, o := range st.Orgs {
		for _, d := range o.Datasources {
			if d.EditableSet && !d.Editable {
				readOnly++
			}
			if d.UID != "" || d.Name == "" {
				continue
			}
			out = append(out, fmt.Sprintf("%s: note: datasource %q has no uid: grafsync creates it with uid %s, as Grafana's provisioning does "+
				"(\"P\" and the first 16 hex digits of the SHA-256 of its name, upper case); a datasource of that name already in Grafana keeps its uid",
				d.Source, d.Name, d.ProvisionedUID()))
		}
	}
	if readOnly > 0 {
		out = append(out, fmt.Sprintf("note: editable: false (%d datasources) is not applied: Grafana's provisioning makes such a datasource read-only, "+
			"but grafsync writes through Grafana's HTTP API, which cannot; it stays editable in Grafana's UI, plan shows edits made there as drift and apply reverts them", readOnly))
	}
	return out
}

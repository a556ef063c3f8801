package grafanatest

import "net/http"

// sandboxRoutes are NOT Grafana's: controls `grafsync sandbox` offers so a
// person can reproduce what happens in a real Grafana's UI, which the
// emulator does not have. They live under /sandbox/, never /api or /apis,
// and exist only with Options.SandboxControls.
//
//	POST /sandbox/dashboards/{uid}/save-as-v2
//	  stores the caller's org's dashboard as schema v2, as saving it in the
//	  Grafana 13 UI with dynamic dashboards on does (12.x and 13.x only);
//	  refused 403 to a person when the dashboard's manager does not allow
//	  edits, as that UI's save through /apis is.
func (e *Emulator) sandboxRoutes() {
	if !e.sandboxControls {
		return
	}
	e.handle("POST /sandbox/dashboards/{uid}/save-as-v2", func(w http.ResponseWriter, r *http.Request) {
		e.mu.RLock()
		id := e.authenticate(w, r)
		e.mu.RUnlock()
		if id == nil {
			return
		}
		if !id.atLeast("Editor") {
			errAccessDenied(w, "dashboards:write")
			return
		}
		if !e.version.APIsServed() {
			errMessage(w, http.StatusBadRequest, "schema v2 dashboards exist from Grafana 12; start the sandbox with --grafana-version 13")
			return
		}
		// The UI saves through /apis, sending the metadata it read, so the
		// stored annotations are the new object's: a dashboard whose manager
		// does not allow edits refuses a person as the PUT does
		// (checkManager: apistore checkManagerPropertiesOnUpdate).
		e.mu.Lock()
		var refusal string
		if d := e.dashboardLocked(id.org.id, r.PathValue("uid")); d != nil {
			refusal = managerRefusal(d.meta.annotations, id.user.serviceAccount)
		}
		var err error
		if refusal == "" {
			err = e.convertDashboardToV2Locked(id.org.id, r.PathValue("uid"), id.user.id)
		}
		e.mu.Unlock()
		if refusal != "" {
			k8sStatus(w, http.StatusForbidden, "Forbidden", refusal, nil)
			return
		}
		if err != nil {
			errMessage(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"message": "dashboard saved as v2beta1", "uid": r.PathValue("uid")})
	})
}

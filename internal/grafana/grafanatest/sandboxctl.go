package grafanatest

import "net/http"

// sandboxRoutes are NOT Grafana's: controls `grafsync sandbox` offers so a
// person can reproduce what happens in a real Grafana's UI, which the
// emulator does not have. They live under /sandbox/, never /api or /apis,
// and exist only with Options.SandboxControls.
//
//	POST /sandbox/dashboards/{uid}/save-as-v2
//	  stores the caller's org's dashboard as schema v2, as saving it in the
//	  Grafana 13 UI with dynamic dashboards on does (12.x and 13.x only).
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
		if err := e.ConvertDashboardToV2(id.org.id, r.PathValue("uid"), id.user.id); err != nil {
			errMessage(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"message": "dashboard saved as v2beta1", "uid": r.PathValue("uid")})
	})
}

package grafanatest

import (
	"encoding/json"
	"net/http"
)

// fakeCommit is the build commit the emulator reports in /api/health.
const fakeCommit = "0000000emulator"

// healthRoutes: reference §2.
func (e *Emulator) healthRoutes() {
	health := func(w http.ResponseWriter, r *http.Request) {
		e.mu.RLock()
		down := e.st.dbDown
		e.mu.RUnlock()
		body := map[string]string{"commit": fakeCommit, "database": "ok", "version": e.version.String()}
		status := http.StatusOK
		if down {
			body["database"], status = "failing", http.StatusServiceUnavailable
		}
		b, _ := json.MarshalIndent(body, "", "  ") // §0.2: pretty-printed
		writeRaw(w, status, b)
	}
	e.handle("GET /api/health", health)
	e.handle("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("Ok"))
	})
	e.read("GET /api/user", func(c *call) {
		u := c.id.user
		writeJSON(c.w, http.StatusOK, map[string]any{
			"id": u.id, "uid": u.uid, "email": u.email, "name": u.name, "login": u.login,
			"theme": "", "orgId": c.org().id, "isGrafanaAdmin": u.serverAdmin, "isDisabled": u.disabled,
			"isExternal": false, "updatedAt": u.updated, "createdAt": u.created, "avatarUrl": avatarURL(u.email),
		})
	})
	e.read("GET /api/frontend/settings", func(c *call) {
		writeJSON(c.w, http.StatusOK, map[string]any{
			"buildInfo":      map[string]any{"version": e.version.String(), "commit": fakeCommit, "edition": "Open Source"},
			"featureToggles": map[string]bool{"nestedFolders": e.nested, "kubernetesClientDashboardsFolders": e.version.UnifiedStorage()},
		})
	})
}

// SetDatabaseDown makes /api/health report the database failing (503), as
// Grafana does when its DB ping fails; other routes keep working.
func (e *Emulator) SetDatabaseDown(down bool) {
	e.mu.Lock()
	e.st.dbDown = down
	e.mu.Unlock()
}

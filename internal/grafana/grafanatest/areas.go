package grafanatest

// areaRoutes lists each resource area's route registration, one file per area.
func (e *Emulator) areaRoutes() []func() {
	return []func(){
		e.dashboardRoutes,
		e.searchRoutes,
		e.folderRoutes,
		e.libraryRoutes,
		e.datasourceRoutes,
		e.datasourceHealthRoutes,
		e.orgRoutes,
		e.teamRoutes,
		e.userRoutes,
		e.serviceAccountRoutes,
		e.apisRoutes,
		e.sandboxRoutes,
		e.alertingRoutes,
	}
}

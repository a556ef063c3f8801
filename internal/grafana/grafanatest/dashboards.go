package grafanatest

func (e *Emulator) dashboardRoutes() {}

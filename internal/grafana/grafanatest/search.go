package grafanatest

func (e *Emulator) searchRoutes() {}

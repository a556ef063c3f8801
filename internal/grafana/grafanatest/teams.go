package grafanatest

func (e *Emulator) teamRoutes() {}

package grafanatest

func (e *Emulator) orgRoutes() {}

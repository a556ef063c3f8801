package grafanatest

func (e *Emulator) userRoutes() {}

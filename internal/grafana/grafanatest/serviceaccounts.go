package grafanatest

func (e *Emulator) serviceAccountRoutes() {}

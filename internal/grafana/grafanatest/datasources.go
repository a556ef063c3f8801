package grafanatest

func (e *Emulator) datasourceRoutes() {}

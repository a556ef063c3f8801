package grafanatest

func (e *Emulator) folderRoutes() {}

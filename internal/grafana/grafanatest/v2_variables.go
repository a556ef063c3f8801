package grafanatest

// v2Variables is transformVariables of Grafana's v1→v2 conversion
// (apps/dashboard/pkg/migration/conversion/v1beta1_to_v2alpha1.go:
// transformVariables, extractCommonVariableProperties and the
// build*Variable functions), in v2beta1's shape (a query variable's query
// is a DataQuery with the datasource type as its group and its uid as
// datasource.name, as panel queries are: dataQuery). Query, datasource,
// custom, constant, interval and textbox variables are converted; adhoc
// and groupby variables are left out (the emulator does not model their
// filters), as are unknown types, which Grafana skips too.
func v2Variables(data map[string]any) []any {
	out := []any{}
	templating, _ := data["templating"].(map[string]any)
	list, _ := templating["list"].([]any)
	for _, v := range list {
		vm, _ := v.(map[string]any)
		if vm == nil {
			continue
		}
		// extractCommonVariableProperties
		spec := map[string]any{
			"name": jsonString(vm["name"]), "hide": variableHide(vm["hide"]), "skipUrlSync": boolOr(vm["skipUrlSync"], false),
		}
		for _, k := range []string{"label", "description"} {
			if s := jsonString(vm[k]); s != "" {
				spec[k] = s
			}
		}
		current := variableCurrent(vm["current"])
		kind := ""
		switch jsonString(vm["type"]) {
		case "query":
			kind = "QueryVariable"
			typ, uid := dsRef(vm["datasource"])
			var q map[string]any
			switch qv := vm["query"].(type) {
			case string:
				q = map[string]any{"__legacyStringValue": qv}
			case map[string]any:
				q = qv
			default:
				q = map[string]any{}
			}
			spec["query"] = dataQuery(typ, uid, q)
			spec["current"], spec["options"] = current, variableOptions(vm["options"])
			spec["multi"], spec["includeAll"] = boolOr(vm["multi"], false), boolOr(vm["includeAll"], false)
			spec["refresh"], spec["sort"] = variableRefresh(vm["refresh"]), variableSort(vm["sort"])
			spec["regex"], spec["allowCustomValue"] = jsonString(vm["regex"]), boolOr(vm["allowCustomValue"], true)
			allValue(spec, vm)
		case "datasource":
			kind = "DatasourceVariable"
			spec["pluginId"] = jsonString(vm["query"])
			spec["current"], spec["options"] = current, variableOptions(vm["options"])
			spec["multi"], spec["includeAll"] = boolOr(vm["multi"], false), boolOr(vm["includeAll"], false)
			spec["refresh"], spec["regex"] = variableRefresh(vm["refresh"]), jsonString(vm["regex"])
			spec["allowCustomValue"] = boolOr(vm["allowCustomValue"], true)
			allValue(spec, vm)
		case "custom":
			kind = "CustomVariable"
			spec["query"], spec["current"], spec["options"] = jsonString(vm["query"]), current, variableOptions(vm["options"])
			spec["multi"], spec["includeAll"] = boolOr(vm["multi"], false), boolOr(vm["includeAll"], false)
			spec["allowCustomValue"] = boolOr(vm["allowCustomValue"], true)
			allValue(spec, vm)
		case "constant":
			kind = "ConstantVariable"
			spec["query"], spec["current"] = jsonString(vm["query"]), current
		case "interval":
			kind = "IntervalVariable"
			spec["query"], spec["current"], spec["options"] = jsonString(vm["query"]), current, variableOptions(vm["options"])
			spec["refresh"] = "onTimeRangeChanged" // always, for an interval
			spec["auto"], spec["auto_min"], spec["auto_count"] = boolOr(vm["auto"], false), jsonString(vm["auto_min"]), jsonInt(vm["auto_count"])
		case "textbox":
			kind = "TextVariable"
			spec["query"], spec["current"] = jsonString(vm["query"]), current
		default:
			continue
		}
		out = append(out, map[string]any{"kind": kind, "spec": spec})
	}
	return out
}

// allValue sets allValue when the v1 variable has a non-empty one.
func allValue(spec, vm map[string]any) {
	if s := jsonString(vm["allValue"]); s != "" {
		spec["allValue"] = s
	}
}

// variableHide is transformVariableHideToEnum.
func variableHide(v any) string {
	switch jsonInt(v) {
	case 1:
		return "hideLabel"
	case 2:
		return "hideVariable"
	}
	if s, ok := v.(string); ok && (s == "hideLabel" || s == "hideVariable") {
		return s
	}
	return "dontHide"
}

// variableRefresh is transformVariableRefreshToEnum.
func variableRefresh(v any) string {
	switch jsonInt(v) {
	case 1:
		return "onDashboardLoad"
	case 2:
		return "onTimeRangeChanged"
	}
	if s, ok := v.(string); ok && (s == "onDashboardLoad" || s == "onTimeRangeChanged") {
		return s
	}
	return "never"
}

// variableSort is transformVariableSortToEnum.
func variableSort(v any) string {
	if s, ok := v.(string); ok {
		switch s {
		case "alphabeticalAsc", "alphabeticalDesc", "numericalAsc", "numericalDesc", "alphabeticalCaseInsensitiveAsc",
			"alphabeticalCaseInsensitiveDesc", "naturalAsc", "naturalDesc":
			return s
		}
		return "disabled"
	}
	switch jsonInt(v) {
	case 1:
		return "alphabeticalAsc"
	case 2:
		return "alphabeticalDesc"
	case 3:
		return "numericalAsc"
	case 4:
		return "numericalDesc"
	}
	return "disabled"
}

// variableCurrent is buildVariableCurrent.
func variableCurrent(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return map[string]any{"text": stringOrArray(m["text"]), "value": stringOrArray(m["value"])}
	}
	return map[string]any{"text": "", "value": ""}
}

// variableOptions is buildVariableOptions.
func variableOptions(v any) []any {
	opts, _ := v.([]any)
	out := []any{}
	for _, o := range opts {
		if m, ok := o.(map[string]any); ok {
			out = append(out, map[string]any{"text": stringOrArray(m["text"]), "value": stringOrArray(m["value"]), "selected": boolOr(m["selected"], false)})
		}
	}
	return out
}

// stringOrArray is buildStringOrArrayOfString.
func stringOrArray(v any) any {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		out := []any{}
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case map[string]any:
		if s, ok := v["__legacyStringValue"].(string); ok {
			return s
		}
	}
	return ""
}

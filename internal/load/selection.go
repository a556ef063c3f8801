package load

import "github.com/grafsync/grafsync/internal/jsonc"

// dashboardSelection is what the loader's checks read from a JSON
// dashboard: ReadSelected builds maps of these parts only and reads the
// rest (most of a dashboard: field config, options, queries' text) without
// building anything. Top-level members are all kept in full but for the
// lists below, whose elements keep only the members named here.
//
// Invariant: every member of a panel, row, target, variable, annotation or
// link that a check reads is named here — checkShape (shape.go),
// checkRefs (refs.go), libraryRefs (librarypanels.go); a value of a kind
// the Selection does not describe (panels as an object, a panel as a
// string) is kept in full, so "want a list, found ..." still sees it.
// TestSelectedChecksMatchFullDecode loads hostile dashboards both ways.
func dashboardSelection() *jsonc.Selection {
	type members = map[string]*jsonc.Selection
	link := &jsonc.Selection{Members: members{}} // only whether it is an object
	target := &jsonc.Selection{Members: members{"datasource": nil}}
	panel := &jsonc.Selection{Members: members{
		"type": nil, "datasource": nil, "libraryPanel": nil,
		"targets": {Elems: target}, "links": {Elems: link},
	}}
	panel.Members["panels"] = &jsonc.Selection{Elems: panel} // a collapsed row's
	row := &jsonc.Selection{Members: members{"panels": {Elems: panel}}}
	variable := &jsonc.Selection{Members: members{"name": nil, "type": nil, "query": nil, "datasource": nil}}
	annotation := &jsonc.Selection{Members: members{"datasource": nil}}
	return &jsonc.Selection{Others: true, Members: members{
		"panels":      {Elems: panel},
		"rows":        {Elems: row},
		"templating":  {Members: members{"list": {Elems: variable}}},
		"annotations": {Members: members{"list": {Elems: annotation}}},
		"links":       {Elems: link},
	}}
}

package grafanatest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"strconv"
	"strings"
)

// dashboardsAPI serves /apis/dashboard.grafana.app/<version>/namespaces/<ns>/dashboards
// (audit §3). Role model as /api: Viewer reads, Editor writes.
func (e *Emulator) dashboardsAPI(k *apiCall, verb string) {
	need := "Viewer"
	if verb != "get" && verb != "list" {
		need = "Editor"
	}
	if !k.id.atLeast(need) {
		k8sStatus(k.w, http.StatusForbidden, "Forbidden", fmt.Sprintf("dashboards.%s is forbidden: you do not have permission to %s dashboards", dashboardGroup, verb), k.details("Dashboard"))
		return
	}
	o := k.org()
	switch verb {
	case "list":
		ds := make([]*dashboard, 0, len(o.dashboards))
		for _, d := range o.dashboards {
			ds = append(ds, d)
		}
		listSorted(k, "Dashboard", ds, func(d *dashboard) int64 { return d.id }, func(d *dashboard) json.RawMessage { return e.dashboardObject(k, d) })
	case "get":
		d := o.dashboards[k.name]
		if d == nil {
			e.apisNotFound(k, "dashboards")
			return
		}
		writeRaw(k.w, http.StatusOK, e.dashboardObject(k, d))
	case "create", "update":
		e.writeDashboardAPI(k, verb)
	case "delete":
		d := o.dashboards[k.name]
		if d == nil {
			e.apisNotFound(k, "dashboards")
			return
		}
		if d.provisioned {
			k8sStatus(k.w, http.StatusBadRequest, "BadRequest", e.version.ProvisionedDashboardDeleteMessage(), k.details("Dashboard"))
			return
		}
		e.deleteDashboardLocked(o, d)
		e.apisDeleted(k, "dashboards", d.uid)
	}
}

func (e *Emulator) apisNotFound(k *apiCall, resource string) {
	k8sStatus(k.w, http.StatusNotFound, "NotFound", fmt.Sprintf("%s.%s %q not found", resource, k.group, k.name),
		map[string]any{"name": k.name, "group": k.group, "kind": resource})
}

// apisDeleted answers a DELETE with a Status Success (audit §3 "Errors").
func (e *Emulator) apisDeleted(k *apiCall, resource, name string) {
	writeJSON(k.w, http.StatusOK, map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Success",
		"details": map[string]any{"name": name, "group": k.group, "kind": resource}})
}

// isV2 reports whether an API version is of the dynamic-dashboards schema.
func isV2(version string) bool { return strings.HasPrefix(version, "v2") }

// writeDashboardAPI is create (POST) and update (PUT). Legacy-storage mode
// saves through SaveDashboard with Overwrite after the resourceVersion check
// (audit §3 "How /api and /apis coexist"): the version becomes the stored
// one + 1, as a legacy save's does.
func (e *Emulator) writeDashboardAPI(k *apiCall, verb string) {
	var obj *k8sObject
	var spec map[string]any // decoded here for v0/v1; nil: not an object
	if isV2(k.version) {
		var ok bool
		if obj, ok = decodeK8sObject(k); !ok {
			return
		}
		s, err := decodeDashboardJSON(obj.Spec)
		if err == nil {
			spec = s
		}
	} else {
		var ok bool
		if obj, spec, ok = decodeK8sObjectSpec(k); !ok {
			return
		}
	}
	o := k.org()
	var existing *dashboard
	if verb == "create" {
		k.name = obj.Metadata.Name
		if k.name == "" && obj.Metadata.GenerateName != "" {
			k.name = obj.Metadata.GenerateName + e.uids.next()[:5]
		}
		if k.name == "" {
			k8sStatus(k.w, http.StatusUnprocessableEntity, "Invalid", "metadata.name: Required value: name or generateName is required", k.details("Dashboard"))
			return
		}
		if o.dashboards[k.name] != nil || o.folders[k.name] != nil {
			k8sStatus(k.w, http.StatusConflict, "AlreadyExists", fmt.Sprintf("dashboards.%s %q already exists", dashboardGroup, k.name), k.details("Dashboard"))
			return
		}
	} else {
		if existing = o.dashboards[k.name]; existing == nil {
			e.apisNotFound(k, "dashboards")
			return
		}
		if rv := obj.Metadata.ResourceVersion; rv != "" && rv != strconv.Itoa(existing.version) {
			k8sConflict(k, "dashboards")
			return
		}
	}
	if !uidPattern.MatchString(k.name) || len(k.name) > maxUIDLength {
		k8sStatus(k.w, http.StatusUnprocessableEntity, "Invalid", "metadata.name: Invalid value: "+strconv.Quote(k.name)+": at most 40 of [a-zA-Z0-9_-]", k.details("Dashboard"))
		return
	}
	if !checkManager(k, obj.Metadata.Annotations) {
		return
	}
	if existing != nil && existing.provisioned {
		k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "Cannot save provisioned dashboard", k.details("Dashboard"))
		return
	}
	if spec == nil {
		k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "spec must be a JSON object", k.details("Dashboard"))
		return
	}
	title := strings.TrimSpace(jsonString(spec["title"]))
	if title == "" {
		// The 13.x message of the k8s dashboard validation (audit §3, PR #122027).
		k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "Dashboard spec is missing required title property", k.details("Dashboard"))
		return
	}
	folderUID := obj.Metadata.Annotations[annoFolder]
	if folderUID != "" && o.folders[folderUID] == nil {
		// The 13.x save maps a missing folder to 400 "folder not found" (audit §3 "Errors").
		k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "folder not found", k.details("Dashboard"))
		return
	}
	data := spec
	var encoded []byte // data encoded before the lock, when it was
	if isV2(k.version) {
		// The legacy row keeps what search needs; the spec is stored as v2.
		data = map[string]any{"title": title, "description": spec["description"], "tags": spec["tags"]}
	} else if k.body != nil {
		encoded = k.body.encoded
	}
	d := e.storeDashboardLocked(o, dashboardWrite{
		existing: existing, uid: k.name, folderUID: folderUID, data: data, title: title,
		message: obj.Metadata.Annotations["grafana.app/message"], by: k.id.user.id, encoded: encoded,
	})
	d.meta.annotations = keepClientAnnotations(obj.Metadata.Annotations)
	if isV2(k.version) {
		d.v2, d.storedVersion = obj.Spec, k.version
	} else if err := e.connectLibraryPanelsLocked(o, d, data, k.id.user); err != nil {
		// The dashboard storage's after-save hook connects library panels
		// as the legacy save does (pkg/registry/apis/dashboard legacy storage).
		k8sStatus(k.w, http.StatusInternalServerError, "InternalError", msgLibraryConnect, k.details("Dashboard"))
		return
	}
	status := http.StatusOK
	if verb == "create" {
		status = http.StatusCreated
	}
	writeRaw(k.w, status, e.dashboardObject(k, d))
}

// lockedByManager: a managed object whose manager does not allow edits
// (utils.GetManagerProperties). The 13.x overwrite-on-create path refuses
// to save over one with 400 ErrDashboardCannotSaveProvisionedDashboard
// (pkg/registry/apis/dashboard, read with the search tool); the UI shows it
// read-only.
func lockedByManager(a map[string]string) bool {
	m, ok := managerOf(a)
	return ok && !m.allowsEdits && m.kind != "plugin"
}

// dashboardObject renders a stored dashboard as the k8s object of k's API
// version. In legacy-storage mode the spec is the stored JSON without id,
// uid and version, the numeric id is the deprecatedInternalID label (until
// 13), and resourceVersion = generation = the legacy version (audit §3).
// A dashboard stored in the other schema family is not converted: its
// status.conversion says it failed and which version it is stored as (the
// shape Grafana uses; whether a given release converts v1↔v2 on read was not
// determined, so the emulator never does).
func (e *Emulator) dashboardObject(k *apiCall, d *dashboard) json.RawMessage {
	meta, annotations := e.k8sMetadata(k, legacyRow{
		uid: d.uid, id: d.id, version: d.version, folder: d.folderUID,
		created: d.created, updated: d.updated, createdBy: d.createdBy, updatedBy: d.updatedBy,
		kept: d.meta.annotations,
	})
	if d.provisioned {
		// File-provisioned dashboards in legacy mode (audit §3 "Annotations").
		annotations[annoManagedBy] = "classic-file-provisioning"
		annotations[annoManagerID] = "default"
		annotations[annoSourcePath] = d.provisionedExternalID
	}
	obj := map[string]any{"kind": "Dashboard", "apiVersion": dashboardGroup + "/" + k.version, "metadata": meta}
	storedV2 := d.v2 != nil
	switch {
	case storedV2 == isV2(k.version) && storedV2:
		obj["spec"] = d.v2
		obj["status"] = map[string]any{}
	case storedV2 == isV2(k.version):
		// The spec is the stored JSON without id, uid and version. d.data
		// is json.Marshal's encoding of a map (storeDashboardLocked), so
		// cutting those members out of it gives the bytes a decode, delete
		// and re-encode would, without decoding 40 KB dashboards into maps
		// on every create, update, get and list.
		if spec, ok := withoutTopLevelKeys(d.data, "id", "uid", "version"); ok {
			head, err := json.Marshal(obj) // keys sort before "spec" and "status"
			if err != nil {
				panic(fmt.Sprintf("dashboard %s: encode: %v", d.uid, err)) // built from JSON values only
			}
			b := make([]byte, 0, len(head)+len(spec)+len(`,"spec":,"status":{}}`))
			b = append(b, head[:len(head)-1]...)
			b = append(b, `,"spec":`...)
			b = append(b, spec...)
			return append(b, `,"status":{}}`...)
		}
		spec, err := decodeDashboardJSON(d.data)
		if err != nil {
			panic(fmt.Sprintf("dashboard %s: stored JSON: %v", d.uid, err)) // stored JSON is always an object
		}
		delete(spec, "id")
		delete(spec, "uid")
		delete(spec, "version")
		obj["spec"] = spec
		obj["status"] = map[string]any{}
	default:
		stored := d.storedVersion
		if stored == "" {
			stored = "v0alpha1"
		}
		obj["spec"] = map[string]any{"title": d.title}
		obj["status"] = map[string]any{"conversion": map[string]any{
			"failed": true, "storedVersion": stored,
			"error": fmt.Sprintf("dashboard is stored as %s and is not converted to %s", stored, k.version)}}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("dashboard %s: encode: %v", d.uid, err)) // built from JSON values only
	}
	return b
}

// k8sUID is a stable k8s metadata.uid; it is NOT the Grafana uid (audit §3).
func k8sUID(orgID, id int64) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", orgID, id)
	s := fmt.Sprintf("%016x%016x", h.Sum64(), uint64(id))
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// ConvertDashboardToV2 stores a dashboard as schema v2, as a person saving it
// in the Grafana 13 UI with dynamic dashboards on would (audit §4): the
// version is bumped, updatedBy is the user userID (0: the server admin), and
// from then on the legacy GET answers 406. The v2 spec is derived from the
// v1 JSON: each panel becomes an element, the grid a GridLayout.
func (e *Emulator) ConvertDashboardToV2(orgID int64, uid string, userID int64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.convertDashboardToV2Locked(orgID, uid, userID)
}

func (e *Emulator) convertDashboardToV2Locked(orgID int64, uid string, userID int64) error {
	d := e.dashboardLocked(orgID, uid)
	if d == nil {
		return fmt.Errorf("convert dashboard %s to v2: not found in org %d", uid, orgID)
	}
	if d.v2 != nil {
		return fmt.Errorf("convert dashboard %s to v2: it is already stored as %s", uid, d.storedVersion)
	}
	if userID == 0 {
		userID = 1
	}
	if e.st.users[userID] == nil {
		return fmt.Errorf("convert dashboard %s to v2: user %d does not exist", uid, userID)
	}
	data, err := decodeDashboardJSON(d.data)
	if err != nil {
		return fmt.Errorf("convert dashboard %s to v2: stored JSON: %w", uid, err)
	}
	spec, err := json.Marshal(v1ToV2Spec(data))
	if err != nil {
		return fmt.Errorf("convert dashboard %s to v2: encode: %w", uid, err)
	}
	annotations := d.meta.annotations
	d = e.storeDashboardLocked(e.st.orgs[orgID], dashboardWrite{
		existing: d, uid: d.uid, folderUID: d.folderUID, title: d.title, by: userID,
		data: map[string]any{"title": d.title, "description": data["description"], "tags": data["tags"]},
	})
	d.meta.annotations = annotations
	d.v2, d.storedVersion = spec, "v2beta1"
	return nil
}

// v1ToV2Spec converts a v1 dashboard to a v2beta1 spec as Grafana does
// when a person saves it with dynamic dashboards on, following Grafana's
// own conversion (apps/dashboard/pkg/migration/conversion/
// v1beta1_to_v2alpha1.go, convertDashboardSpec_V1beta1_to_V2alpha1,
// transformTimeSettings, transformLinks, transformAnnotations,
// buildAnnotationQuery, transformSingleQuery; then v2alpha1→v2beta1, which
// moves a query's datasource into the DataQuery as datasource.name and its
// type into group): editable (default true), liveNow, preload, revision,
// graphTooltip as cursorSync, time, timezone, refresh as autoRefresh,
// timepicker, links, every annotation (the built-in one too), panels as
// elements in a GridLayout. Not converted here: template variables
// (variables stay empty) and rows (their panels join the grid).
func v1ToV2Spec(data map[string]any) map[string]any {
	elements := map[string]any{}
	items := []any{}
	var walk func(panels []any)
	walk = func(panels []any) {
		for i, p := range panels {
			pm, _ := p.(map[string]any)
			if pm == nil {
				continue
			}
			if jsonString(pm["type"]) == "row" {
				sub, _ := pm["panels"].([]any)
				walk(sub)
				continue
			}
			id := jsonInt(pm["id"])
			if id == 0 {
				id = int64(i + 1)
			}
			name := "panel-" + strconv.FormatInt(id, 10)
			panelType, panelUID := dsRef(pm["datasource"])
			queries := []any{}
			targets, _ := pm["targets"].([]any)
			for _, t := range targets {
				tm, _ := t.(map[string]any)
				if tm == nil {
					continue
				}
				typ, uid := dsRef(tm["datasource"])
				if uid == "" && typ == "" || panelUID != "" && panelUID != "-- Mixed --" && uid != "__expr__" && uid != panelUID {
					typ, uid = panelType, panelUID // transformSingleQuery: the panel's ref applies
				}
				spec := map[string]any{}
				for k, v := range tm {
					if k != "refId" && k != "hide" && k != "datasource" {
						spec[k] = v
					}
				}
				refID := jsonString(tm["refId"])
				if refID == "" {
					refID = "A"
				}
				queries = append(queries, map[string]any{"kind": "PanelQuery", "spec": map[string]any{
					"refId": refID, "hidden": tm["hide"] == true, "query": dataQuery(typ, uid, spec)}})
			}
			elements[name] = map[string]any{"kind": "Panel", "spec": map[string]any{
				"id": id, "title": jsonString(pm["title"]), "description": jsonString(pm["description"]), "links": []any{},
				"data":      map[string]any{"kind": "QueryGroup", "spec": map[string]any{"queries": queries, "transformations": []any{}, "queryOptions": map[string]any{}}},
				"vizConfig": map[string]any{"kind": "VizConfig", "group": jsonString(pm["type"]), "spec": map[string]any{"options": pm["options"], "fieldConfig": pm["fieldConfig"]}},
			}}
			gp, _ := pm["gridPos"].(map[string]any)
			items = append(items, map[string]any{"kind": "GridLayoutItem", "spec": map[string]any{
				"x": gp["x"], "y": gp["y"], "width": gp["w"], "height": gp["h"],
				"element": map[string]any{"kind": "ElementReference", "name": name}}})
		}
	}
	panels, _ := data["panels"].([]any)
	walk(panels)
	tags := []any{}
	if ts, ok := data["tags"].([]any); ok {
		for _, t := range ts {
			if s, ok := t.(string); ok {
				tags = append(tags, s)
			}
		}
	}
	spec := map[string]any{
		"title": jsonString(data["title"]), "tags": tags,
		"cursorSync": cursorSync(jsonInt(data["graphTooltip"])),
		"editable":   boolOr(data["editable"], true), "liveNow": boolOr(data["liveNow"], false), "preload": boolOr(data["preload"], false),
		"links": v2Links(data["links"]), "annotations": v2Annotations(data["annotations"]), "variables": v2Variables(data),
		"timeSettings": v2TimeSettings(data),
		"elements":     elements,
		"layout":       map[string]any{"kind": "GridLayout", "spec": map[string]any{"items": items}},
	}
	if d := jsonString(data["description"]); d != "" {
		spec["description"] = d
	}
	if r, ok := data["revision"].(json.Number); ok {
		spec["revision"] = r
	}
	return spec
}

// dsRef is a v1 datasource reference's type and uid ({type, uid}; a
// "$var" string is a uid).
func dsRef(v any) (typ, uid string) {
	switch v := v.(type) {
	case map[string]any:
		return jsonString(v["type"]), jsonString(v["uid"])
	case string:
		if strings.HasPrefix(v, "$") {
			return "", v
		}
	}
	return "", ""
}

// dataQuery is a v2beta1 DataQueryKind: the datasource type as its group,
// its uid as datasource.name.
func dataQuery(typ, uid string, spec map[string]any) map[string]any {
	q := map[string]any{"kind": "DataQuery", "group": typ, "version": "v0", "spec": spec}
	if uid != "" {
		q["datasource"] = map[string]any{"name": uid}
	}
	return q
}

// cursorSync is transformCursorSyncToEnum.
func cursorSync(graphTooltip int64) string {
	switch graphTooltip {
	case 1:
		return "Crosshair"
	case 2:
		return "Tooltip"
	}
	return "Off"
}

func boolOr(v any, def bool) bool {
	if b, ok := v.(bool); ok {
		return b
	}
	return def
}

// v2TimeSettings is transformTimeSettings over Grafana's defaults
// (NewDashboardTimeSettingsSpec; docs/sources/observability-as-code/
// schema-v2/timesettings-schema.md).
func v2TimeSettings(data map[string]any) map[string]any {
	ts := map[string]any{
		"from": "now-6h", "to": "now", "timezone": "browser", "autoRefresh": "",
		"autoRefreshIntervals": []any{"5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"},
		"fiscalYearStartMonth": jsonInt(data["fiscalYearStartMonth"]), "hideTimepicker": false,
	}
	if tr, ok := data["time"].(map[string]any); ok {
		if f := jsonString(tr["from"]); f != "" {
			ts["from"] = f
		}
		if t := jsonString(tr["to"]); t != "" {
			ts["to"] = t
		}
	}
	if tz, ok := data["timezone"].(string); ok {
		ts["timezone"] = tz
	}
	if r := jsonString(data["refresh"]); r != "" {
		ts["autoRefresh"] = r
	}
	if ws := jsonString(data["weekStart"]); ws != "" {
		ts["weekStart"] = ws
	}
	if tp, ok := data["timepicker"].(map[string]any); ok {
		var intervals []any
		if ri, ok := tp["refresh_intervals"].([]any); ok {
			for _, i := range ri {
				if s, ok := i.(string); ok {
					intervals = append(intervals, s)
				}
			}
		}
		if len(intervals) > 0 {
			ts["autoRefreshIntervals"] = intervals
		}
		ts["hideTimepicker"] = boolOr(tp["hidden"], false)
		if nd := jsonString(tp["nowDelay"]); nd != "" {
			ts["nowDelay"] = nd
		}
	}
	return ts
}

// v2Links is transformLinks.
func v2Links(v any) []any {
	links, _ := v.([]any)
	out := []any{}
	for _, l := range links {
		lm, _ := l.(map[string]any)
		if lm == nil {
			continue
		}
		typ := jsonString(lm["type"])
		if typ == "" {
			typ = "link"
		}
		tags := []any{}
		if ts, ok := lm["tags"].([]any); ok {
			tags = ts
		}
		link := map[string]any{
			"title": jsonString(lm["title"]), "type": typ, "icon": jsonString(lm["icon"]), "tooltip": jsonString(lm["tooltip"]), "tags": tags,
			"asDropdown": boolOr(lm["asDropdown"], false), "targetBlank": boolOr(lm["targetBlank"], false),
			"includeVars": boolOr(lm["includeVars"], false), "keepTime": boolOr(lm["keepTime"], false),
		}
		for _, k := range []string{"url", "placement"} {
			if s, ok := lm[k].(string); ok {
				link[k] = s
			}
		}
		out = append(out, link)
	}
	return out
}

// v2Annotations is transformAnnotations and buildAnnotationQuery: every
// entry of annotations.list, the built-in "Annotations & Alerts" one too
// (builtIn 1 becomes true); type and unknown fields go to legacyOptions.
func v2Annotations(v any) []any {
	am, _ := v.(map[string]any)
	list, _ := am["list"].([]any)
	out := []any{}
	for _, a := range list {
		m, _ := a.(map[string]any)
		if m == nil {
			continue
		}
		typ, uid := dsRef(m["datasource"])
		target, _ := m["target"].(map[string]any)
		if target == nil {
			target = map[string]any{}
		}
		spec := map[string]any{
			"name": jsonString(m["name"]), "enable": boolOr(m["enable"], false), "hide": boolOr(m["hide"], false),
			"iconColor": jsonString(m["iconColor"]), "query": dataQuery(typ, uid, target),
		}
		switch b := m["builtIn"].(type) {
		case json.Number:
			f, _ := b.Float64()
			spec["builtIn"] = f != 0
		case bool:
			spec["builtIn"] = b
		}
		if f, ok := m["filter"].(map[string]any); ok {
			spec["filter"] = f
		}
		legacy := map[string]any{}
		for k, v := range m {
			switch k {
			case "name", "datasource", "enable", "hide", "iconColor", "filter", "target", "builtIn", "mappings":
			default:
				legacy[k] = v
			}
		}
		if len(legacy) > 0 {
			spec["legacyOptions"] = legacy
		}
		out = append(out, map[string]any{"kind": "AnnotationQuery", "spec": spec})
	}
	return out
}

// DashboardStoredVersion is the API version a dashboard is stored as:
// "v2beta1" (or another v2) after a v2 save, "" for v0/v1.
func (e *Emulator) DashboardStoredVersion(orgID int64, uid string) string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if d := e.dashboardLocked(orgID, uid); d != nil {
		return d.storedVersion
	}
	return ""
}

// DashboardAnnotations returns the writer-set annotations (manager, source)
// of a dashboard.
func (e *Emulator) DashboardAnnotations(orgID int64, uid string) map[string]string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := map[string]string{}
	if d := e.dashboardLocked(orgID, uid); d != nil {
		maps.Copy(out, d.meta.annotations)
	}
	return out
}

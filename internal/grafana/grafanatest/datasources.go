package grafanatest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Reference §6: data sources. The rules below follow Grafana's handler
// (pkg/api/datasources.go), service and xorm store, in their order:
//
//   - binding: type and access are required on create, name, type and access
//     on update (binding:"Required"); an empty one is 400 "bad request data".
//   - create: URL parse, first-in-org becomes default, auto name, name/url
//     length, name 409, uid generated or 409, version 1.
//   - update: URL parse, 404, read-only 403, name/url length, name 409, the
//     `stored <= request` version check (409), then the xorm column rules:
//     empty name/type/access/url/uid/basicAuthUser keep the stored value,
//     user/database/booleans are always written, jsonData is replaced,
//     secureJsonData merged, version = request version + 1.
//
// Secrets (secureJSON) never leave the store through any route: DTOs carry
// only secureJsonFields, the names of non-empty secrets.

// Role model: in OSS (no datasource-permission enforcement) every org role
// has datasources:read, datasources:query and datasources.id:read; only Admin
// has datasources:create, :write and :delete (pkg/api/accesscontrol.go).
func (e *Emulator) datasourceRoutes() {
	e.read("GET /api/datasources", e.listDatasources)
	e.read("GET /api/datasources/uid/{uid}", e.getDatasourceByUID)
	e.read("GET /api/datasources/name/{name}", e.getDatasourceByName)
	e.read("GET /api/datasources/{id}", e.getDatasourceByID)
	e.read("GET /api/datasources/id/{name}", e.getDatasourceIDByName)
	e.write("POST /api/datasources", e.createDatasource)
	e.write("PUT /api/datasources/uid/{uid}", e.updateDatasourceByUID)
	e.write("PUT /api/datasources/{id}", e.updateDatasourceByID)
	e.write("DELETE /api/datasources/uid/{uid}", e.deleteDatasourceByUID)
	e.write("DELETE /api/datasources/name/{name}", e.deleteDatasourceByName)
	e.write("DELETE /api/datasources/{id}", e.deleteDatasourceByID)
}

const (
	maxDatasourceNameLen = 190 // §6.3, §12
	maxDatasourceURLLen  = 255
	datasourceLimit      = 5000 // [datasources] datasource_limit default (§6.1, §12)

	msgDatasourceNotFound = "Data source not found"
)

// dsError is a refused datasource request in one of §0.1's shapes: errutil
// when messageID is set, {"message"} otherwise.
type dsError struct {
	status    int
	messageID string
	msg       string
}

func (err *dsError) Error() string { return err.msg }

func (err *dsError) write(w http.ResponseWriter) {
	if err.messageID != "" {
		errUtil(w, err.status, err.messageID, err.msg)
		return
	}
	errMessage(w, err.status, err.msg)
}

// datasourceBody is the create and update body (§6.3, §6.4). readOnly and the
// plain-text password fields of old releases are not decoded: Grafana 10+
// ignores them. jsonData stays raw so numbers keep their exact text.
type datasourceBody struct {
	Name            string            `json:"name"`
	Type            string            `json:"type"`
	Access          string            `json:"access"`
	URL             string            `json:"url"`
	User            string            `json:"user"`
	Database        string            `json:"database"`
	BasicAuth       bool              `json:"basicAuth"`
	BasicAuthUser   string            `json:"basicAuthUser"`
	WithCredentials bool              `json:"withCredentials"`
	IsDefault       bool              `json:"isDefault"`
	JSONData        json.RawMessage   `json:"jsonData"`
	SecureJSONData  map[string]string `json:"secureJsonData"`
	UID             string            `json:"uid"`
	Version         int               `json:"version"` // update only
}

// decodeDatasourceBody binds a body as Grafana's web.Bind does: malformed
// JSON or an empty required field is 400 "bad request data" (§0.2). It
// returns the decoded jsonData ({} for null or absent).
func decodeDatasourceBody(c *call, b *datasourceBody, update bool, autoName bool) (map[string]any, bool) {
	if !decodeBody(c.w, c.r, b) {
		return nil, false
	}
	jsonData, err := parseJSONData(b.JSONData)
	missing := b.Type == "" || b.Access == "" || (b.Name == "" && (update || !autoName))
	if err != nil || missing {
		errMessage(c.w, http.StatusBadRequest, "bad request data")
		return nil, false
	}
	return jsonData, true
}

// parseJSONData decodes jsonData keeping numbers verbatim; null or absent is
// {}. A non-object jsonData is an error (400 "bad request data"), where
// Grafana's simplejson would store it: a deliberate strictness.
func parseJSONData(raw json.RawMessage) (map[string]any, error) {
	m := map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// urlScheme is how Grafana decides a URL already names its scheme.
var urlScheme = regexp.MustCompile(`^[^:]*://`)

// validateDatasourceURL is datasource.ValidateURL: a URL without a scheme is
// parsed as http://<url>; a parse failure is 400 (§6.3).
func validateDatasourceURL(raw string) *dsError {
	if !urlScheme.MatchString(raw) {
		raw = "http://" + raw
	}
	if _, err := url.Parse(raw); err != nil {
		return &dsError{status: http.StatusBadRequest, msg: "Validation error, invalid URL"}
	}
	return nil
}

// validateDatasourceLengths is the service's global validation (§6.3, §12).
func validateDatasourceLengths(name, rawURL string) *dsError {
	if len(name) > maxDatasourceNameLen {
		return &dsError{status: http.StatusBadRequest, messageID: "datasource.nameInvalid", msg: "Invalid datasource name."}
	}
	if len(rawURL) > maxDatasourceURLLen {
		return &dsError{status: http.StatusBadRequest, messageID: "datasource.urlInvalid", msg: "Invalid datasource url."}
	}
	return nil
}

// availableDatasourceName is <type>, else <type>-1, <type>-2, ...; taken
// names are compared case-insensitively (§6.3).
func availableDatasourceName(o *org, typ string) string {
	taken := map[string]bool{}
	for _, ds := range o.datasources {
		taken[strings.ToLower(ds.name)] = true
	}
	name := typ
	for n := 1; taken[strings.ToLower(name)]; n++ {
		name = fmt.Sprintf("%s-%d", typ, n)
	}
	return name
}

func datasourceByName(o *org, name string) *datasource {
	for _, ds := range o.datasources {
		if ds.name == name {
			return ds
		}
	}
	return nil
}

func datasourceByID(o *org, id int64) *datasource {
	for _, ds := range o.datasources {
		if ds.id == id {
			return ds
		}
	}
	return nil
}

// makeDefault gives ds the default flag and takes it from every other
// datasource of the org: at most one default (§6.3).
func makeDefault(o *org, ds *datasource) {
	for _, other := range o.datasources {
		other.isDefault = other == ds
	}
}

// settleDatasource finishes an update of ds: it moves ds to uid (unless uid is "" or
// unchanged) and, when ds is the default, takes the flag from the others.
func settleDatasource(o *org, ds *datasource, uid string) {
	if uid != "" && uid != ds.uid {
		delete(o.datasources, ds.uid)
		ds.uid = uid
		o.datasources[ds.uid] = ds
	}
	if ds.isDefault {
		makeDefault(o, ds)
	}
}

// createDatasourceLocked stores a new datasource following §6.3 from the
// URL check on (binding is the caller's). The caller holds e.mu.
func (e *Emulator) createDatasourceLocked(o *org, b datasourceBody, jsonData map[string]any, readOnly bool) (*datasource, *dsError) {
	if b.URL != "" {
		if err := validateDatasourceURL(b.URL); err != nil {
			return nil, err
		}
	}
	isDefault := b.IsDefault || len(o.datasources) == 0
	if b.Name == "" {
		b.Name = availableDatasourceName(o, b.Type)
	}
	if err := validateDatasourceLengths(b.Name, b.URL); err != nil {
		return nil, err
	}
	if datasourceByName(o, b.Name) != nil {
		return nil, &dsError{status: http.StatusConflict, msg: e.version.DatasourceNameExistsMessage()}
	}
	// An invalid uid (characters or length) is only logged without the
	// failWrongDSUID toggle (§6.3), so it is stored as given.
	if b.UID == "" {
		for b.UID == "" || o.datasources[b.UID] != nil {
			b.UID = e.uids.next()
		}
	} else if o.datasources[b.UID] != nil {
		return nil, &dsError{status: http.StatusConflict, msg: "data source with the same uid already exists"}
	}
	e.st.nextDatasourceID++
	ds := &datasource{
		id: e.st.nextDatasourceID, uid: b.UID, name: b.Name, typ: b.Type, access: b.Access,
		url: b.URL, user: b.User, database: b.Database, basicAuth: b.BasicAuth,
		basicAuthUser: b.BasicAuthUser, withCredentials: b.WithCredentials,
		jsonData: jsonData, secureJSON: mergeSecrets(nil, b.SecureJSONData),
		version: 1, readOnly: readOnly, secretWrites: map[string]int{},
	}
	countSecretWrites(ds, b.SecureJSONData)
	o.datasources[ds.uid] = ds
	if isDefault {
		makeDefault(o, ds)
	}
	return ds, nil
}

// mergeSecrets is secureJsonData's update rule (§6.4): keys absent from
// update keep their stored value, "" clears a key. A cleared key is dropped
// rather than stored empty; through the API the two are indistinguishable.
func mergeSecrets(stored, update map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range stored {
		out[k] = v
	}
	for k, v := range update {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// countSecretWrites records which secrets a create or update sent, for
// SecretWrites.
func countSecretWrites(ds *datasource, sent map[string]string) {
	if ds.secretWrites == nil {
		ds.secretWrites = map[string]int{}
	}
	for k := range sent {
		ds.secretWrites[k]++
	}
}

// updateDatasourceLocked applies a PUT to ds following §6.4 from the
// read-only check on. The caller holds e.mu.
func (e *Emulator) updateDatasourceLocked(o *org, ds *datasource, b datasourceBody, jsonData map[string]any) *dsError {
	if ds.readOnly {
		return &dsError{status: http.StatusForbidden, msg: "Cannot update read-only data source"}
	}
	if err := validateDatasourceLengths(b.Name, b.URL); err != nil {
		return err
	}
	if b.Name != "" && b.Name != ds.name && datasourceByName(o, b.Name) != nil {
		return &dsError{status: http.StatusConflict, msg: "Failed to update datasource: " + e.version.DatasourceNameExistsMessage()}
	}
	// The store's `WHERE version < request+1`: a request version may be ahead
	// of the stored one; 0 (or omitted) skips the check.
	if b.Version != 0 && ds.version >= b.Version+1 {
		return &dsError{status: http.StatusConflict, msg: "Datasource has already been updated by someone else. Please reload and try again"}
	}
	if b.UID != "" && b.UID != ds.uid && o.datasources[b.UID] != nil {
		// A unique-index violation surfaces as the handler's fallback 500.
		return &dsError{status: http.StatusInternalServerError, msg: "Failed to update datasource"}
	}

	// xorm skips zero-valued string columns except those in MustCols.
	keep := func(stored *string, v string) {
		if v != "" {
			*stored = v
		}
	}
	keep(&ds.name, b.Name)
	keep(&ds.typ, b.Type)
	keep(&ds.access, b.Access)
	keep(&ds.url, b.URL)
	keep(&ds.basicAuthUser, b.BasicAuthUser)
	ds.user, ds.database = b.User, b.Database
	ds.basicAuth, ds.withCredentials, ds.isDefault = b.BasicAuth, b.WithCredentials, b.IsDefault
	ds.jsonData = jsonData
	ds.secureJSON = mergeSecrets(ds.secureJSON, b.SecureJSONData)
	countSecretWrites(ds, b.SecureJSONData)
	ds.version = b.Version + 1
	settleDatasource(o, ds, b.UID)
	return nil
}

// pluginInfo is what the plugin store says about a core datasource type:
// its display name and small logo. Unknown types are "not installed" (§6.3
// accepts them) and get the generic icon.
func pluginInfo(typ string) (name, logo string, installed bool) {
	logoDir := "public/app/plugins/datasource/" + typ + "/img/"
	switch typ {
	case "prometheus":
		return "Prometheus", logoDir + "prometheus_logo.svg", true
	case "loki":
		return "Loki", logoDir + "loki_icon.svg", true
	case "tempo":
		return "Tempo", logoDir + "tempo_logo.svg", true
	case "cloudwatch":
		return "CloudWatch", logoDir + "amazon-web-services.png", true
	case "elasticsearch":
		return "Elasticsearch", logoDir + "elasticsearch.svg", true
	case "graphite":
		return "Graphite", logoDir + "graphite_logo.png", true
	case "influxdb":
		return "InfluxDB", logoDir + "influxdb_logo.svg", true
	case "jaeger":
		return "Jaeger", logoDir + "jaeger_logo.svg", true
	case "alertmanager":
		return "Alertmanager", logoDir + "logo.svg", true
	case "mysql":
		return "MySQL", logoDir + "mysql_logo.svg", true
	}
	return typ, "public/img/icn-datasource.svg", false
}

// datasourceDTO is the single-datasource shape of §6.2.
type datasourceDTO struct {
	ID               int64           `json:"id"`
	UID              string          `json:"uid"`
	OrgID            int64           `json:"orgId"`
	Name             string          `json:"name"`
	Type             string          `json:"type"`
	TypeLogoURL      string          `json:"typeLogoUrl"`
	Access           string          `json:"access"`
	URL              string          `json:"url"`
	User             string          `json:"user"`
	Database         string          `json:"database"`
	BasicAuth        bool            `json:"basicAuth"`
	BasicAuthUser    string          `json:"basicAuthUser"`
	WithCredentials  bool            `json:"withCredentials"`
	IsDefault        bool            `json:"isDefault"`
	JSONData         map[string]any  `json:"jsonData"`
	SecureJSONFields map[string]bool `json:"secureJsonFields"`
	Version          int             `json:"version"`
	ReadOnly         bool            `json:"readOnly"`
	AccessControl    map[string]bool `json:"accessControl,omitempty"`
	APIVersion       *string         `json:"apiVersion,omitempty"` // nil before 11.x
}

func (e *Emulator) datasourceDTO(o *org, ds *datasource) datasourceDTO {
	_, logo, _ := pluginInfo(ds.typ)
	fields := map[string]bool{}
	for k, v := range ds.secureJSON {
		if v != "" {
			fields[k] = true
		}
	}
	dto := datasourceDTO{
		ID: ds.id, UID: ds.uid, OrgID: o.id, Name: ds.name, Type: ds.typ, TypeLogoURL: logo,
		Access: ds.access, URL: ds.url, User: ds.user, Database: ds.database,
		BasicAuth: ds.basicAuth, BasicAuthUser: ds.basicAuthUser, WithCredentials: ds.withCredentials,
		IsDefault: ds.isDefault, JSONData: ds.jsonData, SecureJSONFields: fields,
		Version: ds.version, ReadOnly: ds.readOnly,
	}
	if dto.JSONData == nil {
		dto.JSONData = map[string]any{}
	}
	if e.version.DatasourceAPIVersionField() {
		dto.APIVersion = new(string)
	}
	return dto
}

// datasourceListItem is one element of GET /api/datasources (§6.1): no
// basicAuthUser, withCredentials, secureJsonFields or version.
type datasourceListItem struct {
	ID          int64          `json:"id"`
	UID         string         `json:"uid"`
	OrgID       int64          `json:"orgId"`
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	TypeName    string         `json:"typeName"`
	TypeLogoURL string         `json:"typeLogoUrl"`
	Access      string         `json:"access"`
	URL         string         `json:"url"`
	User        string         `json:"user"`
	Database    string         `json:"database"`
	BasicAuth   bool           `json:"basicAuth"`
	IsDefault   bool           `json:"isDefault"`
	JSONData    map[string]any `json:"jsonData"`
	ReadOnly    bool           `json:"readOnly"`
}

// listedDatasources is what GET /api/datasources returns (§6.1): the SQL
// query keeps the first datasourceLimit by byte order of name, then the
// handler sorts them by name case-insensitively; ties (names differing only
// in case) go by id.
func listedDatasources(o *org) []*datasource {
	out := make([]*datasource, 0, len(o.datasources))
	for _, ds := range o.datasources {
		out = append(out, ds)
	}
	if len(out) > datasourceLimit {
		sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
		out = out[:datasourceLimit]
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i].name), strings.ToLower(out[j].name)
		if a != b {
			return a < b
		}
		return out[i].id < out[j].id
	})
	return out
}

func (e *Emulator) listDatasources(c *call) {
	if !c.requireRole("Viewer", "datasources:read") {
		return
	}
	o := c.org()
	items := []datasourceListItem{}
	for _, ds := range listedDatasources(o) {
		typeName, logo, _ := pluginInfo(ds.typ)
		jsonData := ds.jsonData
		if jsonData == nil {
			jsonData = map[string]any{}
		}
		items = append(items, datasourceListItem{
			ID: ds.id, UID: ds.uid, OrgID: o.id, Name: ds.name, Type: ds.typ, TypeName: typeName,
			TypeLogoURL: logo, Access: ds.access, URL: ds.url, User: ds.user, Database: ds.database,
			BasicAuth: ds.basicAuth, IsDefault: ds.isDefault, JSONData: jsonData, ReadOnly: ds.readOnly,
		})
	}
	writeJSON(c.w, http.StatusOK, items)
}

// accessControlMetadata is the ?accesscontrol=true map of §6.2: the
// datasource actions the caller holds on it.
func accessControlMetadata(c *call) map[string]bool {
	if ok, _ := strconv.ParseBool(c.r.URL.Query().Get("accesscontrol")); !ok {
		return nil
	}
	m := map[string]bool{"datasources:read": true, "datasources:query": true, "datasources.id:read": true}
	if c.id.atLeast("Admin") {
		m["datasources:write"], m["datasources:delete"] = true, true
	}
	return m
}

func (e *Emulator) getDatasourceByUID(c *call) {
	if c.requireRole("Viewer", "datasources:read") {
		e.writeDatasource(c, c.org().datasources[c.r.PathValue("uid")], true)
	}
}

// getDatasourceByName never adds accessControl, as Grafana's by-name
// handler does not.
func (e *Emulator) getDatasourceByName(c *call) {
	if c.requireRole("Viewer", "datasources:read") {
		e.writeDatasource(c, datasourceByName(c.org(), c.r.PathValue("name")), false)
	}
}

func (e *Emulator) getDatasourceByID(c *call) {
	if !c.requireRole("Viewer", "datasources:read") {
		return
	}
	id, ok := pathInt(c, "id")
	if !ok {
		return
	}
	if id == 0 {
		// The store refuses a query with no identifier at all.
		errMessage(c.w, http.StatusBadRequest, "Datasource id is missing")
		return
	}
	e.writeDatasource(c, datasourceByID(c.org(), id), true)
}

// writeDatasource answers a single-datasource GET (§6.2): the DTO of ds,
// with accessControl when the route offers it, or 404 when ds is nil.
func (e *Emulator) writeDatasource(c *call, ds *datasource, withAccessControl bool) {
	if ds == nil {
		errMessage(c.w, http.StatusNotFound, msgDatasourceNotFound)
		return
	}
	dto := e.datasourceDTO(c.org(), ds)
	if withAccessControl {
		dto.AccessControl = accessControlMetadata(c)
	}
	writeJSON(c.w, http.StatusOK, dto)
}

func (e *Emulator) getDatasourceIDByName(c *call) {
	if !c.requireRole("Viewer", "datasources.id:read") {
		return
	}
	ds := datasourceByName(c.org(), c.r.PathValue("name"))
	if ds == nil {
		errMessage(c.w, http.StatusNotFound, msgDatasourceNotFound)
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"id": ds.id})
}

func (e *Emulator) createDatasource(c *call) {
	if !c.requireRole("Admin", "datasources:create") {
		return
	}
	var b datasourceBody
	jsonData, ok := decodeDatasourceBody(c, &b, false, e.version.DatasourceAutoName())
	if !ok {
		return
	}
	o := c.org()
	ds, err := e.createDatasourceLocked(o, b, jsonData, false)
	if err != nil {
		err.write(c.w)
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]any{
		"message": "Datasource added", "id": ds.id, "name": ds.name, "datasource": e.datasourceDTO(o, ds),
	})
}

func (e *Emulator) updateDatasourceByUID(c *call) {
	b, jsonData, ok := bindDatasourceUpdate(c)
	if !ok {
		return
	}
	if err := validateDatasourceURL(b.URL); err != nil {
		err.write(c.w)
		return
	}
	e.finishUpdate(c, c.org().datasources[c.r.PathValue("uid")], b, jsonData)
}

func (e *Emulator) updateDatasourceByID(c *call) {
	b, jsonData, ok := bindDatasourceUpdate(c)
	if !ok {
		return
	}
	id, ok := pathInt(c, "id")
	if !ok {
		return
	}
	if err := validateDatasourceURL(b.URL); err != nil {
		err.write(c.w)
		return
	}
	if id == 0 {
		errMessage(c.w, http.StatusInternalServerError, "Failed to update datasource")
		return
	}
	e.finishUpdate(c, datasourceByID(c.org(), id), b, jsonData)
}

// bindDatasourceUpdate is the shared head of both PUT routes (§6.4): the
// role check, then binding. On false it has answered.
func bindDatasourceUpdate(c *call) (datasourceBody, map[string]any, bool) {
	var b datasourceBody
	if !c.requireRole("Admin", "datasources:write") {
		return b, nil, false
	}
	jsonData, ok := decodeDatasourceBody(c, &b, true, false)
	return b, jsonData, ok
}

// finishUpdate is the shared tail of both PUT routes (§6.4). The answer's
// "name" is the request's, as in Grafana; binding makes it non-empty, so it
// is also the stored name.
func (e *Emulator) finishUpdate(c *call, ds *datasource, b datasourceBody, jsonData map[string]any) {
	if ds == nil {
		errMessage(c.w, http.StatusNotFound, msgDatasourceNotFound)
		return
	}
	o := c.org()
	if err := e.updateDatasourceLocked(o, ds, b, jsonData); err != nil {
		err.write(c.w)
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]any{
		"message": "Datasource updated", "id": ds.id, "name": b.Name, "datasource": e.datasourceDTO(o, ds),
	})
}

// deleteDatasourceLocked removes ds unless it is provisioned (§6.5) and
// answers; only the by-id route leaves the id out of its answer. The default
// flag is not handed to another datasource.
func deleteDatasourceLocked(c *call, ds *datasource, answerID bool) {
	if ds == nil {
		errMessage(c.w, http.StatusNotFound, msgDatasourceNotFound)
		return
	}
	if ds.readOnly {
		errMessage(c.w, http.StatusForbidden, "Cannot delete read-only data source")
		return
	}
	delete(c.org().datasources, ds.uid)
	answer := map[string]any{"message": "Data source deleted"}
	if answerID {
		answer["id"] = ds.id
	}
	writeJSON(c.w, http.StatusOK, answer)
}

func (e *Emulator) deleteDatasourceByUID(c *call) {
	if c.requireRole("Admin", "datasources:delete") {
		deleteDatasourceLocked(c, c.org().datasources[c.r.PathValue("uid")], true)
	}
}

func (e *Emulator) deleteDatasourceByName(c *call) {
	if c.requireRole("Admin", "datasources:delete") {
		deleteDatasourceLocked(c, datasourceByName(c.org(), c.r.PathValue("name")), true)
	}
}

func (e *Emulator) deleteDatasourceByID(c *call) {
	if !c.requireRole("Admin", "datasources:delete") {
		return
	}
	id, ok := pathInt(c, "id")
	if !ok {
		return
	}
	if id <= 0 {
		errMessage(c.w, http.StatusBadRequest, "Missing valid datasource id")
		return
	}
	deleteDatasourceLocked(c, datasourceByID(c.org(), id), false)
}

// The test-facing side of datasources: seed, read and edit state without
// HTTP. Each method takes e.mu and returns copies, never store pointers.

// DatasourceSpec describes a datasource to seed; its fields mirror the create
// body of §6.3. Empty Access means "proxy", as provisioning defaults it.
type DatasourceSpec struct {
	UID, Name, Type, Access, URL, User, Database string
	BasicAuth                                    bool
	BasicAuthUser                                string
	WithCredentials, IsDefault                   bool
	JSONData                                     map[string]any
	SecureJSONData                               map[string]string
	// ReadOnly marks the datasource as provisioned: the API refuses to
	// update (403) or delete (403) it (§6.4, §6.5).
	ReadOnly bool
}

// DatasourceInfo is a datasource as stored. It carries secret names only;
// SecretValue reads a value.
type DatasourceInfo struct {
	ID                                           int64
	UID, Name, Type, Access, URL, User, Database string
	BasicAuth                                    bool
	BasicAuthUser                                string
	WithCredentials, IsDefault, ReadOnly         bool
	// JSONData is a deep copy; numbers are float64, as encoding/json decodes them.
	JSONData map[string]any
	// SecureJSONFields names the non-empty secrets, sorted: what the API's
	// secureJsonFields reports.
	SecureJSONFields []string
	Version          int
}

// SeedDatasource creates a datasource in an org by the create rules of §6.3
// (first in org becomes default, empty name auto-named, uid generated when
// empty, name and uid unique) without auth checks, and returns its uid.
func (e *Emulator) SeedDatasource(orgID int64, spec DatasourceSpec) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	subject := cmp.Or(spec.Name, spec.UID, spec.Type)
	o := e.st.orgs[orgID]
	if o == nil {
		return "", fmt.Errorf("seed datasource %s: org %d does not exist; create it with AddOrg", subject, orgID)
	}
	if spec.Type == "" {
		return "", fmt.Errorf("seed datasource %s: type is required, e.g. prometheus", subject)
	}
	if spec.Access == "" {
		spec.Access = "proxy"
	}
	jsonData, err := copyJSONData(spec.JSONData, true)
	if err != nil {
		return "", fmt.Errorf("seed datasource %s: jsonData: %w", subject, err)
	}
	b := datasourceBody{
		Name: spec.Name, Type: spec.Type, Access: spec.Access, URL: spec.URL, User: spec.User,
		Database: spec.Database, BasicAuth: spec.BasicAuth, BasicAuthUser: spec.BasicAuthUser,
		WithCredentials: spec.WithCredentials, IsDefault: spec.IsDefault,
		SecureJSONData: spec.SecureJSONData, UID: spec.UID,
	}
	ds, derr := e.createDatasourceLocked(o, b, jsonData, spec.ReadOnly)
	if derr != nil {
		return "", fmt.Errorf("seed datasource %s: %d %s", subject, derr.status, derr.msg)
	}
	return ds.uid, nil
}

// GetDatasource returns the stored datasource uid of an org.
func (e *Emulator) GetDatasource(orgID int64, uid string) (DatasourceInfo, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ds := e.datasourceLocked(orgID, uid)
	if ds == nil {
		return DatasourceInfo{}, false
	}
	return datasourceInfo(ds), true
}

// SecretValue returns one stored secureJsonData value; ok is false when the
// key is absent or was cleared. Test-only: the HTTP API never exposes a
// secret, so this is the one way to check that a rotation reached Grafana.
func (e *Emulator) SecretValue(orgID int64, uid, key string) (string, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ds := e.datasourceLocked(orgID, uid)
	if ds == nil {
		return "", false
	}
	v, ok := ds.secureJSON[key]
	return v, ok && v != ""
}

// SecretWrites counts the successful creates and updates whose
// secureJsonData carried key (a new value, the same value again, or "" to
// clear it). Test-only: it shows whether a client re-sends unchanged
// secrets, which the HTTP API cannot tell.
func (e *Emulator) SecretWrites(orgID int64, uid, key string) int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if ds := e.datasourceLocked(orgID, uid); ds != nil {
		return ds.secretWrites[key]
	}
	return 0
}

// DatasourceUIDs lists the uids of an org's datasources, sorted.
func (e *Emulator) DatasourceUIDs(orgID int64) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	uids := []string{}
	if o := e.st.orgs[orgID]; o != nil {
		for uid := range o.datasources {
			uids = append(uids, uid)
		}
	}
	sort.Strings(uids)
	return uids
}

// EditDatasource simulates an edit in Grafana's UI (or a provisioning
// reload): edit changes a copy, which is written back with version+1.
// ID, Version and SecureJSONFields edits are ignored; an empty UID or Name
// keeps the stored one; IsDefault true takes the flag from the others. It
// bypasses the read-only rule, as provisioning does. edit runs under the
// emulator's lock and must not call the emulator.
func (e *Emulator) EditDatasource(orgID int64, uid string, edit func(*DatasourceInfo)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	ds := e.datasourceLocked(orgID, uid)
	if ds == nil {
		return fmt.Errorf("edit datasource %s: not found in org %d", uid, orgID)
	}
	o := e.st.orgs[orgID]
	info := datasourceInfo(ds)
	edit(&info)
	jsonData, err := copyJSONData(info.JSONData, true)
	if err != nil {
		return fmt.Errorf("edit datasource %s: jsonData: %w", uid, err)
	}
	if info.Name != "" && info.Name != ds.name && datasourceByName(o, info.Name) != nil {
		return fmt.Errorf("edit datasource %s: name %q is taken in org %d", uid, info.Name, orgID)
	}
	if info.UID != "" && info.UID != ds.uid && o.datasources[info.UID] != nil {
		return fmt.Errorf("edit datasource %s: uid %q is taken in org %d", uid, info.UID, orgID)
	}
	if info.Name != "" {
		ds.name = info.Name
	}
	ds.typ, ds.access, ds.url, ds.user, ds.database = info.Type, info.Access, info.URL, info.User, info.Database
	ds.basicAuth, ds.basicAuthUser, ds.withCredentials = info.BasicAuth, info.BasicAuthUser, info.WithCredentials
	ds.isDefault, ds.readOnly, ds.jsonData = info.IsDefault, info.ReadOnly, jsonData
	ds.version++
	settleDatasource(o, ds, info.UID)
	return nil
}

func (e *Emulator) datasourceLocked(orgID int64, uid string) *datasource {
	if o := e.st.orgs[orgID]; o != nil {
		return o.datasources[uid]
	}
	return nil
}

func datasourceInfo(ds *datasource) DatasourceInfo {
	jsonData, _ := copyJSONData(ds.jsonData, false) // stored jsonData always re-encodes
	fields := []string{}
	for k, v := range ds.secureJSON {
		if v != "" {
			fields = append(fields, k)
		}
	}
	sort.Strings(fields)
	return DatasourceInfo{
		ID: ds.id, UID: ds.uid, Name: ds.name, Type: ds.typ, Access: ds.access, URL: ds.url,
		User: ds.user, Database: ds.database, BasicAuth: ds.basicAuth, BasicAuthUser: ds.basicAuthUser,
		WithCredentials: ds.withCredentials, IsDefault: ds.isDefault, ReadOnly: ds.readOnly,
		JSONData: jsonData, SecureJSONFields: fields, Version: ds.version,
	}
}

// copyJSONData deep-copies jsonData through its JSON encoding: into the store
// (numbers kept verbatim) or out of it (numbers as float64). nil is {}.
func copyJSONData(m map[string]any, toStore bool) (map[string]any, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if toStore {
		return parseJSONData(raw)
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

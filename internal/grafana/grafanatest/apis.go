package grafanatest

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The k8s-style /apis of Grafana 12.x and 13.x for dashboards and folders
// (audit §3). They run over the same store as /api: a dashboard or folder
// saved through either API is visible through both, with metadata.name the
// legacy uid and generation (= resourceVersion, legacy-storage mode,
// pkg/registry/apis/dashboard/legacy/sql_dashboards.go) the legacy version.

const (
	dashboardGroup = "dashboard.grafana.app"
	folderGroup    = "folder.grafana.app"

	// maxPageBytes is the unified resource server's cut of one LIST page
	// (audit §3 "LIST and paging": about 2 MiB whatever limit says).
	maxPageBytes = 2 << 20
	// defaultListLimit is the page size when a LIST has no limit (audit §3).
	defaultListLimit = 50

	annoFolder       = "grafana.app/folder"
	annoCreatedBy    = "grafana.app/createdBy"
	annoUpdatedBy    = "grafana.app/updatedBy"
	annoUpdatedTS    = "grafana.app/updatedTimestamp"
	annoManagedBy    = "grafana.app/managedBy"
	annoManagerID    = "grafana.app/managerId"
	annoManagerEdits = "grafana.app/managerAllowsEdits"
	annoManagerSusp  = "grafana.app/managerSuspended"
	annoSourcePath   = "grafana.app/sourcePath"
	annoSourceHash   = "grafana.app/sourceHash"
	annoSourceTS     = "grafana.app/sourceTimestamp"
	labelInternalID  = "grafana.app/deprecatedInternalID"
)

// clientAnnotations are the annotations a writer sets and the store keeps
// (pkg/apimachinery/utils/meta.go, audit §3 "Annotations"); the others are
// the server's and are recomputed on every read.
var clientAnnotations = []string{annoManagedBy, annoManagerID, annoManagerEdits, annoManagerSusp, annoSourcePath, annoSourceHash, annoSourceTS}

// apiVersions lists the versions each group serves, preferred first (audit
// §3 "Paths, groups and versions"): 12.x prefers dashboard v1beta1 and
// folder v1beta1; 13.x adds and prefers v1 (and dashboard v2).
func (v Version) apiVersions(group string) []string {
	switch {
	case group == dashboardGroup && v.Major >= 13:
		return []string{"v1", "v0alpha1", "v1beta1", "v2beta1", "v2"}
	case group == dashboardGroup:
		return []string{"v1beta1", "v0alpha1", "v2beta1"}
	case group == folderGroup && v.Major >= 13:
		return []string{"v1", "v1beta1"}
	case group == folderGroup:
		return []string{"v1beta1"}
	}
	return nil
}

// APIsServed reports whether this release serves /apis for dashboards and
// folders (12.x and 13.x, audit §3).
func (v Version) APIsServed() bool { return v.Major >= 12 }

func (e *Emulator) apisRoutes() {
	if !e.version.APIsServed() {
		return
	}
	e.read("GET /apis", e.apisDiscovery)
	e.read("GET /apis/{group}", e.apisGroup)
	e.read("GET /apis/{group}/{version}", e.apisGroupVersion)
	col := "/apis/{group}/{version}/namespaces/{ns}/{resource}"
	e.read("GET "+col, func(c *call) { e.apisDispatch(c, "list", nil) })
	e.writeDecoded("POST "+col, e.predecodeAPIsBody, func(c *call, b *k8sSpecBody) { e.apisDispatch(c, "create", b) })
	e.read("GET "+col+"/{name}", func(c *call) { e.apisDispatch(c, "get", nil) })
	e.writeDecoded("PUT "+col+"/{name}", e.predecodeAPIsBody, func(c *call, b *k8sSpecBody) { e.apisDispatch(c, "update", b) })
	e.write("DELETE "+col+"/{name}", func(c *call) { e.apisDispatch(c, "delete", nil) })
}

func (e *Emulator) apisGroupsJSON() []map[string]any {
	var groups []map[string]any
	for _, g := range []string{dashboardGroup, folderGroup} {
		var vs []map[string]any
		for _, v := range e.version.apiVersions(g) {
			vs = append(vs, map[string]any{"groupVersion": g + "/" + v, "version": v})
		}
		groups = append(groups, map[string]any{"name": g, "versions": vs, "preferredVersion": vs[0]})
	}
	return groups
}

// apisDiscovery is GET /apis: an APIGroupList (k8s discovery).
func (e *Emulator) apisDiscovery(c *call) {
	writeJSON(c.w, http.StatusOK, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": e.apisGroupsJSON()})
}

// apisGroup is GET /apis/<group>: an APIGroup.
func (e *Emulator) apisGroup(c *call) {
	for _, g := range e.apisGroupsJSON() {
		if g["name"] == c.r.PathValue("group") {
			g["kind"], g["apiVersion"] = "APIGroup", "v1"
			writeJSON(c.w, http.StatusOK, g)
			return
		}
	}
	k8sStatus(c.w, http.StatusNotFound, "NotFound", "the server could not find the requested resource", nil)
}

// apisGroupVersion is GET /apis/<group>/<version>: an APIResourceList.
func (e *Emulator) apisGroupVersion(c *call) {
	group, version := c.r.PathValue("group"), c.r.PathValue("version")
	if !e.servesVersion(group, version) {
		k8sStatus(c.w, http.StatusNotFound, "NotFound", "the server could not find the requested resource", nil)
		return
	}
	res, kind := "dashboards", "Dashboard"
	if group == folderGroup {
		res, kind = "folders", "Folder"
	}
	writeJSON(c.w, http.StatusOK, map[string]any{
		"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group + "/" + version,
		"resources": []map[string]any{{"name": res, "singularName": strings.TrimSuffix(res, "s"), "namespaced": true, "kind": kind,
			"verbs": []string{"create", "delete", "get", "list", "update"}}},
	})
}

func (e *Emulator) servesVersion(group, version string) bool {
	for _, v := range e.version.apiVersions(group) {
		if v == version {
			return true
		}
	}
	return false
}

// apisDispatch resolves group, version, namespace and resource, then runs
// the resource's verb. body is what writeDecoded decoded before the lock
// (nil: nothing, the handler reads the body itself).
func (e *Emulator) apisDispatch(c *call, verb string, body *k8sSpecBody) {
	group, version, res := c.r.PathValue("group"), c.r.PathValue("version"), c.r.PathValue("resource")
	if !e.servesVersion(group, version) || (group == dashboardGroup) != (res == "dashboards") || (group == folderGroup) != (res == "folders") {
		k8sStatus(c.w, http.StatusNotFound, "NotFound", "the server could not find the requested resource", nil)
		return
	}
	if !e.apisNamespace(c) {
		return
	}
	k := apiCall{call: c, group: group, version: version, ns: c.r.PathValue("ns"), name: c.r.PathValue("name"), body: body}
	if group == dashboardGroup {
		e.dashboardsAPI(&k, verb)
	} else {
		e.foldersAPI(&k, verb)
	}
}

// apiCall is one /apis request resolved to its group, version and namespace.
type apiCall struct {
	*call
	group, version, ns, name string
	body                     *k8sSpecBody // decoded before the lock; nil if not
}

// details is a Status's details for this call's object.
func (k *apiCall) details(kind string) map[string]any {
	return map[string]any{"name": k.name, "group": k.group, "kind": strings.ToLower(kind) + "s"}
}

// apisNamespace resolves {ns} to an org (audit §3 "Namespaces";
// pkg/services/apiserver/endpoints/request/namespace.go ParseNamespace):
// "default" is org 1, "org-<id>" another org ("org-1" is refused). The
// namespace takes the place of X-Grafana-Org-Id: a token is refused outside
// its org; a user must be a member. It reports false once it has answered.
func (e *Emulator) apisNamespace(c *call) bool {
	ns := c.r.PathValue("ns")
	orgID, ok := namespaceOrg(ns)
	if !ok {
		k8sStatus(c.w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("invalid namespace %q: expected default or org-<id>", ns), nil)
		return false
	}
	if orgID == c.id.org.id {
		return true
	}
	o := e.st.orgs[orgID]
	role, member := "", false
	if o != nil {
		role, member = o.members[c.id.user.id]
	}
	if c.id.token != nil || !member {
		k8sStatus(c.w, http.StatusForbidden, "Forbidden", fmt.Sprintf("namespace %s is not accessible to this identity", ns), nil)
		return false
	}
	c.id = &identity{user: c.id.user, org: o, role: role}
	return true
}

func namespaceOrg(ns string) (int64, bool) {
	if ns == "default" {
		return 1, true
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(ns, "org-"), 10, 64)
	if !strings.HasPrefix(ns, "org-") || err != nil || id <= 1 {
		return 0, false
	}
	return id, true
}

// NamespaceOf is the /apis namespace of an org: "default" for org 1.
func NamespaceOf(orgID int64) string {
	if orgID == 1 {
		return "default"
	}
	return "org-" + strconv.FormatInt(orgID, 10)
}

// k8sStatus writes a k8s Status failure (audit §3 "Errors").
func k8sStatus(w http.ResponseWriter, code int, reason, msg string, details map[string]any) {
	body := map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
		"message": msg, "reason": reason, "code": code}
	if details != nil {
		body["details"] = details
	}
	writeJSON(w, code, body)
}

// k8sConflict is the 409 of an update whose resourceVersion is stale: the
// generic registry's precondition failure (k8s.io/apiserver
// registry/generic/registry/store.go, "the object has been modified").
func k8sConflict(k *apiCall, resource string) {
	k8sStatus(k.w, http.StatusConflict, "Conflict", fmt.Sprintf("Operation cannot be fulfilled on %s.%s %q: the object has been modified; please apply your changes to the latest version and try again", resource, k.group, k.name),
		map[string]any{"name": k.name, "group": k.group, "kind": resource})
}

// typedIdentity is the typed createdBy/updatedBy of meta.go: "user:<uid>" or
// "service-account:<uid>"; "" for the provisioning writer (id 0).
func (e *Emulator) typedIdentity(id int64) string {
	u := e.st.users[id]
	switch {
	case u == nil:
		return ""
	case u.serviceAccount:
		return "service-account:" + u.uid
	}
	return "user:" + u.uid
}

// objMeta is what the apis area keeps per dashboard and folder beyond the
// legacy columns: the writer-set annotations (manager and source).
type objMeta struct {
	annotations map[string]string
}

// legacyRow is what the k8s metadata of a dashboard or a folder is built
// from: its legacy columns and the annotations the apis area keeps.
type legacyRow struct {
	uid                  string
	id                   int64
	version              int
	folder               string // the parent folder's uid; "" at the root
	created, updated     time.Time
	createdBy, updatedBy int64 // user ids, rendered by typedIdentity
	kept                 map[string]string
}

// k8sMetadata renders row as the metadata of a k8s object of k's API
// version (audit §3): the kept annotations plus folder, createdBy, updatedBy
// and updatedTimestamp; resourceVersion = generation = the legacy version;
// the numeric id as the deprecatedInternalID label until 13. It returns the
// annotations map the metadata holds too, for the caller to add to.
func (e *Emulator) k8sMetadata(k *apiCall, row legacyRow) (meta map[string]any, annotations map[string]string) {
	annotations = map[string]string{}
	for key, v := range row.kept {
		annotations[key] = v
	}
	if row.folder != "" {
		annotations[annoFolder] = row.folder
	}
	if by := e.typedIdentity(row.createdBy); by != "" {
		annotations[annoCreatedBy] = by
	}
	if by := e.typedIdentity(row.updatedBy); by != "" {
		annotations[annoUpdatedBy] = by
	}
	annotations[annoUpdatedTS] = rfc3339(row.updated)
	meta = map[string]any{
		"name": row.uid, "namespace": NamespaceOf(k.org().id), "uid": k8sUID(k.org().id, row.id),
		"resourceVersion": strconv.Itoa(row.version), "generation": row.version,
		"creationTimestamp": rfc3339(row.created), "annotations": annotations,
	}
	if e.version.Major < 13 {
		meta["labels"] = map[string]string{labelInternalID: strconv.FormatInt(row.id, 10)}
	}
	return meta, annotations
}

// keepClientAnnotations copies the writer-settable annotations of a request.
func keepClientAnnotations(in map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range clientAnnotations {
		if v, ok := in[k]; ok {
			out[k] = v
		}
	}
	return out
}

// managerProps is utils.GetManagerProperties (pkg/apimachinery/utils/meta.go):
// without a managerId the object is not managed, whatever else is set.
type managerProps struct {
	kind, id    string
	allowsEdits bool
}

func managerOf(a map[string]string) (managerProps, bool) {
	id := a[annoManagerID]
	if id == "" {
		return managerProps{}, false
	}
	return managerProps{kind: a[annoManagedBy], id: id, allowsEdits: a[annoManagerEdits] == "true"}, true
}

// checkManager is apistore checkManagerPropertiesOnCreate/OnUpdate
// (pkg/storage/unified/apistore/managed.go, read with the search tool): an
// object marked managedBy=repo may only be written by the provisioning
// access policy (never a token or user here, so 403); plugin and
// classic-file-provisioning pass; any other manager with
// managerAllowsEdits not "true" may be written by service accounts only,
// users get 403 "Resource is not configured to allow editing". The check
// reads the NEW object's annotations, as Grafana's does.
func checkManager(k *apiCall, a map[string]string) bool {
	if msg := managerRefusal(a, k.id.user.serviceAccount); msg != "" {
		k8sStatus(k.w, http.StatusForbidden, "Forbidden", msg, nil)
		return false
	}
	return true
}

// managerRefusal is checkManager's decision for an object with annotations
// a written by a service account or a user: the 403's message, or "" when
// the write may go on.
func managerRefusal(a map[string]string, serviceAccount bool) string {
	m, ok := managerOf(a)
	if !ok {
		return ""
	}
	switch m.kind {
	case "repo":
		return "Provisioned resources must be manaaged by the provisioing servie account"
	case "plugin", "classic-file-provisioning":
		return ""
	}
	if !m.allowsEdits && !serviceAccount {
		return "Resource is not configured to allow editing"
	}
	return ""
}

// k8sObjectMeta is the metadata of a create or update body. It is an alias
// of an unnamed struct so encoding/json's errors name the field as they did
// when each body type spelled the struct out (UnmarshalTypeError.Struct is
// the innermost struct's name, "" here).
type k8sObjectMeta = struct {
	Name            string            `json:"name"`
	GenerateName    string            `json:"generateName"`
	ResourceVersion string            `json:"resourceVersion"`
	Annotations     map[string]string `json:"annotations"`
	Labels          map[string]string `json:"labels"`
}

// k8sObject is the request body of a create or update.
type k8sObject struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   k8sObjectMeta   `json:"metadata"`
	Spec       json.RawMessage `json:"spec"`
}

// badK8sBody answers a create or update body that does not decode.
func badK8sBody(k *apiCall, err error) {
	k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "the body of the request was in an unknown format: "+err.Error(), nil)
}

func decodeK8sObject(k *apiCall) (*k8sObject, bool) {
	var obj k8sObject
	if err := json.NewDecoder(k.r.Body).Decode(&obj); err != nil {
		badK8sBody(k, err)
		return nil, false
	}
	return &obj, k8sNameMatches(k, &obj)
}

// k8sSpecBody is a create or update body of a v0/v1 dashboard decoded in
// one pass (parseK8sObjectSpec): the object without its Spec, the spec as
// decodeDashboardJSON would give it (an empty map when absent or null, nil
// when not an object), or the decode error.
type k8sSpecBody struct {
	obj     *k8sObject
	spec    map[string]any
	err     error
	encoded []byte // encodeStoredSpec(spec), made before the lock too
}

// parseK8sObjectSpec reads and decodes a body in one pass, numbers kept
// exact as decodeDashboardJSON keeps them, instead of scanning the spec into
// a RawMessage and decoding it again. It touches no store state, so
// writeDecoded runs it before taking the write lock. A body
// parseK8sObjectSpecFast decodes exactly is decoded there; any other with
// encoding/json, whose errors are the answer's.
func parseK8sObjectSpec(r io.Reader) *k8sSpecBody {
	data, body, err := readBody(r)
	if err == nil {
		if b, ok := parseK8sObjectSpecFast(data); ok {
			return b
		}
	}
	return parseK8sObjectSpecStd(body)
}

// parseK8sObjectSpecStd is parseK8sObjectSpec with encoding/json.
func parseK8sObjectSpecStd(body io.Reader) *k8sSpecBody {
	obj := &k8sObject{}
	var rawSpec any
	{
		// The same shape and type name as k8sObject (this block only), so
		// a body of the wrong type gets the very error message
		// decodeK8sObject gives (it names the type).
		type k8sObject struct {
			APIVersion string        `json:"apiVersion"`
			Kind       string        `json:"kind"`
			Metadata   k8sObjectMeta `json:"metadata"`
			Spec       any           `json:"spec"`
		}
		var in k8sObject
		dec := json.NewDecoder(body)
		dec.UseNumber()
		if err := dec.Decode(&in); err != nil {
			return &k8sSpecBody{err: err}
		}
		obj.APIVersion, obj.Kind, obj.Metadata, rawSpec = in.APIVersion, in.Kind, in.Metadata, in.Spec
	}
	b := &k8sSpecBody{obj: obj}
	switch s := rawSpec.(type) {
	case nil:
		b.spec = map[string]any{}
	case map[string]any:
		b.spec = s
	}
	return b
}

// decodeK8sObjectSpec is decodeK8sObject for a body whose spec the caller
// needs as a map (a v0/v1 dashboard), answering exactly as decodeK8sObject
// then decodeDashboardJSON did. It uses the body writeDecoded decoded
// before the lock when there is one. The returned object's Spec is nil;
// spec is nil when the spec is not an object (the caller answers that where
// it checks the spec).
func decodeK8sObjectSpec(k *apiCall) (obj *k8sObject, spec map[string]any, ok bool) {
	b := k.body
	if b == nil {
		b = parseK8sObjectSpec(k.r.Body)
	}
	if b.err != nil {
		badK8sBody(k, b.err)
		return nil, nil, false
	}
	return b.obj, b.spec, k8sNameMatches(k, b.obj)
}

// predecodeAPIsBody decodes, before the write lock is taken, the body of a
// create or update that decodeK8sObjectSpec will read: a v0/v1 dashboard
// of a served version. Any other request is left alone (nil).
func (e *Emulator) predecodeAPIsBody(r *http.Request) *k8sSpecBody {
	group, version := r.PathValue("group"), r.PathValue("version")
	if group != dashboardGroup || r.PathValue("resource") != "dashboards" || isV2(version) || !e.servesVersion(group, version) {
		return nil
	}
	b := parseK8sObjectSpec(r.Body)
	b.encoded = encodeStoredSpec(b.spec)
	return b
}

// k8sNameMatches answers 400 and reports false when the body names another
// object than the URL does.
func k8sNameMatches(k *apiCall, obj *k8sObject) bool {
	if k.name != "" && obj.Metadata.Name != "" && obj.Metadata.Name != k.name {
		k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "the name of the object ("+obj.Metadata.Name+") does not match the name on the URL ("+k.name+")", nil)
		return false
	}
	return true
}

// pageToken is the LIST continue token: the last id served (legacy SQL
// storage pages by id, sql_dashboards.go). It is opaque to clients.
func pageToken(lastID int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(lastID, 10)))
}

func parsePageToken(s string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), "id:") {
		return 0, false
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(string(b), "id:"), 10, 64)
	return id, err == nil
}

// listSorted answers a LIST of items (taken in any order) through listPage,
// in id order as legacy SQL storage serves them.
func listSorted[T any](k *apiCall, kind string, items []T, id func(T) int64, encode func(T) json.RawMessage) {
	slices.SortFunc(items, func(a, b T) int { return cmp.Compare(id(a), id(b)) })
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = id(it)
	}
	listPage(k, kind, ids, func(i int) json.RawMessage { return encode(items[i]) })
}

// listPage cuts a LIST page: at most limit items (default 50) and at most
// maxPageBytes of encoded items, but never fewer than one (audit §3 "LIST
// and paging"). encoded are the candidate items in id order, ids their ids.
// It answers the list or a Status.
func listPage(k *apiCall, kind string, ids []int64, encode func(i int) json.RawMessage) {
	q := k.r.URL.Query()
	limit := defaultListLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "invalid limit "+strconv.Quote(s), nil)
			return
		}
		if n > 0 {
			limit = n
		}
	}
	after, ok := parsePageToken(q.Get("continue"))
	if !ok {
		k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "invalid continue token", nil)
		return
	}
	var items []json.RawMessage
	size, next := 0, ""
	for i, id := range ids {
		if id <= after {
			continue
		}
		if len(items) == limit {
			next = pageToken(ids[i-1])
			break
		}
		b := encode(i)
		if len(items) > 0 && size+len(b) > maxPageBytes {
			next = pageToken(ids[i-1])
			break
		}
		items, size = append(items, b), size+len(b)
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	writeJSON(k.w, http.StatusOK, map[string]any{
		"kind": kind + "List", "apiVersion": k.group + "/" + k.version,
		"metadata": map[string]any{"continue": next, "resourceVersion": ""}, "items": items,
	})
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

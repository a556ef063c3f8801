package grafana

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/grafana/grafana-openapi-client-go/client/dashboards"
	"github.com/grafsync/grafsync/internal/jsonc"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/pager"

	"golang.org/x/sync/errgroup"
)

// The /apis path (grafana-source-audit.md §3): on Grafana 12 and 13
// dashboards and folders are k8s-style resources. grafsync reads them with
// LIST, page after page (k8s.io/client-go's pager, as Grafana's own CLI
// tools do), and writes them with their resourceVersion. Everything else
// (datasources, teams, preferences, permissions, folder counts) stays on
// /api, which Grafana serves next to /apis over the same store.

// API modes of Config.API.
const (
	APIAuto   = ""       // /apis where Grafana serves dashboards and folders there (12+), else /api
	APILegacy = "legacy" // /api only
	APIK8s    = "apis"   // /apis; an error when Grafana does not serve it
)

// The manager annotations grafsync writes on every dashboard and folder it
// creates or updates through /apis (pkg/apimachinery/utils/meta.go). Grafana
// knows the kinds repo, terraform, kubectl, plugin, grafana and the classic
// provisioning ones; repo may only be written by Grafana's provisioning
// identity (apistore checkManagerPropertiesOnCreate), and an unknown kind
// counts as not managed. grafsync is a kubectl-like client, so it writes
// managedBy=kubectl with managerId=grafsync: together they are its
// ownership marker.
const (
	ManagerKind = "kubectl"
	ManagerID   = "grafsync"

	annoFolder       = "grafana.app/folder"
	annoManagedBy    = "grafana.app/managedBy"
	annoManagerID    = "grafana.app/managerId"
	annoManagerEdits = "grafana.app/managerAllowsEdits"
	annoUpdatedBy    = "grafana.app/updatedBy"
	annoCreatedBy    = "grafana.app/createdBy"
	annoUpdatedTS    = "grafana.app/updatedTimestamp"
	annoMessage      = "grafana.app/message"
	annoSourcePath   = "grafana.app/sourcePath"
	annoSourceHash   = "grafana.app/sourceHash"
)

// listPageSize is what a LIST asks for; Grafana cuts a page at about 2 MiB
// whatever the limit, so pages are often shorter: the pager follows
// metadata.continue until it is empty, never trusting a short page.
const listPageSize = 500

// apisPath is a client's /apis session: the resources and namespace to use.
type apisPath struct {
	dyn               dynamic.Interface
	hc                *http.Client // client-go's, with its auth, over grafsync's transport
	host              string
	dashboard, folder schema.GroupVersionResource
	ns                string

	mu  sync.Mutex
	rvs map[string]string // "d/<uid>" or "f/<uid>" → resourceVersion last read, when it differs from the generation
}

// apisState is the detection, done once per client.
type apisState struct {
	mu   sync.Mutex
	done bool
	path *apisPath // nil: the legacy path
}

// UsesAPIs reports whether the client reads and writes dashboards and folders
// through /apis, detecting it on first use.
func (c *Client) UsesAPIs(ctx context.Context) (bool, error) {
	p, err := c.apis(ctx)
	return p != nil, err
}

// apis detects (once) which path the server speaks: the version from
// /api/health (12 and later may serve /apis), then discovery (GET /apis)
// for the dashboard and folder groups. Config.API may force either path.
func (c *Client) apis(ctx context.Context) (*apisPath, error) {
	return c.apisFor(ctx, "")
}

// apisFor is apis for a caller that already asked /api/health for the
// server's version (version; "" to ask it), so a run asks it once.
func (c *Client) apisFor(ctx context.Context, version string) (*apisPath, error) {
	c.k8s.mu.Lock()
	defer c.k8s.mu.Unlock()
	if c.k8s.done {
		return c.k8s.path, nil
	}
	p, err := c.detectAPIs(ctx, version)
	if err != nil {
		return nil, err
	}
	c.k8s.path, c.k8s.done = p, true
	return p, nil
}

func (c *Client) detectAPIs(ctx context.Context, version string) (*apisPath, error) {
	switch c.cfg.API {
	case APILegacy:
		return nil, nil
	case APIAuto, APIK8s:
	default:
		return nil, fmt.Errorf("grafana api %q: use auto, legacy or apis", c.cfg.API)
	}
	if c.cfg.API == APIAuto {
		if version == "" {
			h, err := c.Health(ctx)
			if err != nil {
				return nil, err
			}
			version = h.Version
		}
		major, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
		if n, err := strconv.Atoi(major); err != nil || n < 12 {
			return nil, nil
		}
	}
	rc := c.restConfig()
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, fmt.Errorf("grafana /apis client: %w", err)
	}
	// client-go's round trippers set the credentials again on every
	// request, a redirected one too (redirect.go).
	hcc := *hc
	hcc.CheckRedirect = checkRedirect
	hc = &hcc
	groups, err := c.discover(ctx, hc, rc.Host)
	if err != nil {
		return nil, err
	}
	dv, fv := pickVersion(groups["dashboard.grafana.app"], "v1", "v1beta1"), pickVersion(groups["folder.grafana.app"], "v1", "v1beta1")
	if dv == "" || fv == "" {
		if c.cfg.API == APIK8s {
			return nil, fmt.Errorf("grafana does not serve dashboards and folders under /apis (%s): use --grafana-api legacy, or auto (the default)", discovered(groups))
		}
		return nil, nil
	}
	dyn, err := dynamic.NewForConfigAndClient(rc, hc)
	if err != nil {
		return nil, fmt.Errorf("grafana /apis client: %w", err)
	}
	orgID := c.cfg.OrgID
	if orgID <= 0 {
		me, err := c.Whoami(ctx)
		if err != nil {
			return nil, err
		}
		orgID = me.OrgID
	}
	ns := "default"
	if orgID != 1 {
		ns = "org-" + strconv.FormatInt(orgID, 10)
	}
	c.cfg.Logger.Debug("grafana serves /apis", "dashboards", dv, "folders", fv, "namespace", ns)
	return &apisPath{
		dyn:       dyn,
		hc:        hc,
		host:      strings.TrimSuffix(rc.Host, "/"),
		dashboard: schema.GroupVersionResource{Group: "dashboard.grafana.app", Version: dv, Resource: "dashboards"},
		folder:    schema.GroupVersionResource{Group: "folder.grafana.app", Version: fv, Resource: "folders"},
		ns:        ns, rvs: map[string]string{},
	}, nil
}

// discovered says what GET /apis listed, for a person: "its discovery
// lists no API groups (Grafana before 12)" or the groups with versions.
func discovered(groups map[string][]string) string {
	if len(groups) == 0 {
		return "its discovery lists no API groups: Grafana before 12"
	}
	names := make([]string, 0, len(groups))
	for g, vs := range groups {
		names = append(names, g+" "+strings.Join(vs, ","))
	}
	slices.Sort(names)
	return "its discovery lists " + strings.Join(names, "; ")
}

// pickVersion is the first of want that the group serves.
func pickVersion(served []string, want ...string) string {
	for _, w := range want {
		for _, s := range served {
			if s == w {
				return w
			}
		}
	}
	return ""
}

// discover is GET /apis: group name → versions served. A 404 (Grafana
// before 12) is no groups.
func (c *Client) discover(ctx context.Context, hc *http.Client, host string) (map[string][]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(host, "/")+"/apis", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discover grafana /apis: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return map[string][]string{}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &APIError{Op: "discover grafana /apis", Status: resp.StatusCode}
	}
	var list metav1.APIGroupList
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("discover grafana /apis: %w", err)
	}
	out := map[string][]string{}
	for _, g := range list.Groups {
		for _, v := range g.Versions {
			out[g.Name] = append(out[g.Name], v.Version)
		}
	}
	return out, nil
}

// restConfig is client-go's configuration over the client's own transport
// (retries, replica failover, timeouts) and credentials. The namespace, not
// X-Grafana-Org-Id, selects the org.
func (c *Client) restConfig() *rest.Config {
	u := *c.reps.urls[0]
	u.RawQuery, u.Fragment = "", ""
	rc := &rest.Config{
		Host:        (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String(),
		Transport:   newTransport(c.cfg, c.reps),
		QPS:         -1, // no client-side rate limit: Concurrency bounds requests
		UserAgent:   "grafsync",
		BearerToken: c.cfg.Token,
		Username:    c.cfg.User,
		Password:    c.cfg.Password,
	}
	return rc
}

// k8sErr turns a client-go error into an APIError (Reason is the k8s
// reason, e.g. Conflict, AlreadyExists, NotFound).
func (c *Client) k8sErr(err error, op string) error {
	if err == nil {
		return nil
	}
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		st := se.Status()
		return &APIError{Op: op, Status: int(st.Code), Reason: string(st.Reason), Message: st.Message}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("cannot reach grafana at %s to %s: %w", c.reps.urls[0].Host, op, err)
}

func (p *apisPath) dashboards() dynamic.ResourceInterface {
	return p.dyn.Resource(p.dashboard).Namespace(p.ns)
}

func (p *apisPath) folders() dynamic.ResourceInterface {
	return p.dyn.Resource(p.folder).Namespace(p.ns)
}

// remember keeps an object's resourceVersion for the next write.
func (p *apisPath) remember(key string, obj *unstructured.Unstructured) {
	p.rememberRV(key, obj.GetResourceVersion(), obj.GetGeneration())
}

func (p *apisPath) rememberRV(key, rv string, generation int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rvs[key] = rv + "@" + strconv.FormatInt(generation, 10)
}

// resourceVersion is what a write of an object read at generation version
// states: the resourceVersion read with it (unified storage makes it an
// opaque number), else the generation itself (legacy storage, where
// resourceVersion = generation, audit §3).
func (p *apisPath) resourceVersion(key string, version int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	rv, gen, ok := strings.Cut(p.rvs[key], "@")
	if ok && gen == strconv.Itoa(version) {
		return rv
	}
	return strconv.Itoa(version)
}

// each lists every object of r, page by page, following metadata.continue
// to its end (client-go's pager).
func each(ctx context.Context, r dynamic.ResourceInterface, fn func(*unstructured.Unstructured) error) error {
	p := pager.New(pager.SimplePageFunc(func(opts metav1.ListOptions) (runtime.Object, error) {
		return r.List(ctx, opts)
	}))
	p.PageSize = listPageSize
	// A decoded 2 MiB page is several times that in maps: keep two pages
	// ahead, not client-go's default ten, to bound memory.
	p.PageBufferSize = 2
	return p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return fmt.Errorf("unexpected list item %T", obj)
		}
		return fn(u)
	})
}

func folderOf(u *unstructured.Unstructured) Folder {
	a := u.GetAnnotations()
	title, _, _ := unstructured.NestedString(u.Object, "spec", "title")
	return Folder{
		UID: u.GetName(), Title: title, ParentUID: a[annoFolder], Version: int(u.GetGeneration()),
		CreatedBy: a[annoCreatedBy], ManagedBy: a[annoManagedBy], ManagerID: a[annoManagerID], Lock: lockOf(a),
	}
}

// rawList is a LIST page whose items stay as the bytes Grafana sent
// (runtime.Unknown): client-go's pager pages it like any list, and no
// dashboard is decoded into maps on the way. It implements runtime.Object
// and metav1.ListInterface (through the embedded types).
type rawList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata"`
	Items           []runtime.Unknown `json:"items"`
}

func (l *rawList) DeepCopyObject() runtime.Object { c := *l; return &c }

// listRaw is one LIST page of a resource, as a rawList.
func (p *apisPath) listRaw(ctx context.Context, gvr schema.GroupVersionResource, opts metav1.ListOptions) (*rawList, error) {
	q := url.Values{}
	if opts.Limit > 0 {
		q.Set("limit", strconv.FormatInt(opts.Limit, 10))
	}
	if opts.Continue != "" {
		q.Set("continue", opts.Continue)
	}
	var l rawList
	err := p.do(ctx, http.MethodGet, "/apis/"+gvr.Group+"/"+gvr.Version+"/namespaces/"+p.ns+"/"+gvr.Resource+"?"+q.Encode(), nil, &l)
	return &l, err
}

// rawDashboard is what grafsync reads of a dashboard object's bytes; Spec
// stays encoded.
type rawDashboard struct {
	Metadata struct {
		Name            string            `json:"name"`
		ResourceVersion string            `json:"resourceVersion"`
		Generation      int64             `json:"generation"`
		Annotations     map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec   json.RawMessage `json:"spec"`
	Status struct {
		Conversion struct {
			Failed        bool   `json:"failed"`
			StoredVersion string `json:"storedVersion"`
		} `json:"conversion"`
	} `json:"status"`
}

// dashboardOfRaw turns a k8s dashboard object's bytes into a Dashboard: its
// spec kept as sent, with its uid (metadata.name) put back as /api returns
// it (jsonc.Rewrite: numbers keep their text). A dashboard stored in another
// schema (v2, which the v1 API reports as a failed conversion) has Schema
// set and a JSON of only its title and uid: getDashboardV2 reads it whole.
func dashboardOfRaw(b []byte) (Dashboard, string, error) {
	var r rawDashboard
	if err := json.Unmarshal(b, &r); err != nil {
		return Dashboard{}, "", fmt.Errorf("decode a listed dashboard: %w", err)
	}
	a := r.Metadata.Annotations
	d := Dashboard{
		UID: r.Metadata.Name, FolderUID: a[annoFolder], Version: int(r.Metadata.Generation),
		ManagedBy: a[annoManagedBy], ManagerID: a[annoManagerID], SavedBy: a[annoUpdatedBy],
		Provisioned: a[annoManagedBy] == "classic-file-provisioning", Lock: lockOf(a),
	}
	if t, err := time.Parse(time.RFC3339, a[annoUpdatedTS]); err == nil {
		d.SavedAt = t
	}
	spec := []byte(r.Spec)
	if len(spec) == 0 || spec[0] != '{' {
		spec = []byte("{}")
	}
	if r.Status.Conversion.Failed {
		d.Schema = r.Status.Conversion.StoredVersion
		var t struct {
			Title any `json:"title"`
		}
		json.Unmarshal(spec, &t)
		spec, _ = json.Marshal(map[string]any{"title": t.Title})
	}
	uid, _ := json.Marshal(d.UID)
	out, err := jsonc.Rewrite(spec, nil, map[string][]byte{"uid": uid})
	if err != nil {
		return Dashboard{}, "", fmt.Errorf("dashboard %s: its spec: %w", d.UID, err)
	}
	d.JSON = out
	return d, r.Metadata.ResourceVersion, nil
}

// readDashboardsAPIs lists every dashboard through /apis and hands each to
// each. LIST is consistent (it is not search), so nothing is read by uid.
// Pages come through client-go's pager, one after another, as bytes; their
// dashboards are taken apart and handed to each_ (which normalises them)
// by Concurrency workers, as the legacy path's GETs are.
func (c *Client) readDashboardsAPIs(ctx context.Context, p *apisPath, each_ func(Dashboard)) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	var (
		v2   []Dashboard
		v2mu sync.Mutex
	)
	items := make(chan []byte, 64)
	g, gctx := errgroup.WithContext(ctx)
	for range c.Concurrency() {
		g.Go(func() error {
			for b := range items {
				d, rv, err := dashboardOfRaw(b)
				if err != nil {
					return err
				}
				p.rememberRV("d/"+d.UID, rv, int64(d.Version))
				if strings.HasPrefix(d.Schema, "v2") {
					v2mu.Lock()
					v2 = append(v2, d)
					v2mu.Unlock()
					continue
				}
				each_(d)
			}
			return nil
		})
	}
	pg := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return p.listRaw(ctx, p.dashboard, opts)
	})
	pg.PageSize, pg.PageBufferSize = listPageSize, 2
	err = pg.EachListItem(gctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		u, ok := obj.(*runtime.Unknown)
		if !ok {
			return fmt.Errorf("unexpected list item %T", obj)
		}
		select {
		case items <- u.Raw:
			return nil
		case <-gctx.Done():
			return gctx.Err()
		}
	})
	close(items)
	release()
	if werr := g.Wait(); werr != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = werr
	}
	if err != nil {
		return c.k8sErr(err, "list dashboards")
	}
	// A dashboard stored as schema v2 is read again in its own version:
	// its spec, for a field-level plan.
	for _, d := range v2 {
		full, err := c.getDashboardV2(ctx, p, d)
		if IsStatus(err, 404) {
			continue // deleted since the LIST
		}
		if err != nil {
			return err
		}
		each_(full)
	}
	return nil
}

// savedByName is who saved a dashboard last, as a person names them.
// grafana.app/updatedBy holds a typed identity ("user:<uid>",
// "service-account:<uid>", e.g. "access-policy:provisioning"), which tells a
// person nothing; Grafana's versions list resolves the same identity to the
// login (pkg/services/dashboardversion: "if updated by is set, that is the
// version creator"). One request, only for a dashboard a plan explains (a
// v2 one); when it fails, the typed identity is kept.
func (c *Client) savedByName(ctx context.Context, uid, typed string) string {
	if !strings.Contains(typed, ":") {
		return typed
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return typed
	}
	defer release()
	limit := int64(1)
	ok, err := c.api.Dashboards.GetDashboardVersionsByUID(dashboards.NewGetDashboardVersionsByUIDParamsWithContext(ctx).WithUID(uid).WithLimit(&limit))
	if err != nil {
		c.cfg.Logger.Debug("who saved a dashboard: keeping the typed identity", "dashboard", uid, "err", c.wrap(err, "read its versions"))
		return typed
	}
	if p := ok.GetPayload(); p != nil && len(p.Versions) > 0 && p.Versions[0] != nil && p.Versions[0].CreatedBy != "" {
		return p.Versions[0].CreatedBy
	}
	return typed
}

// getDashboardV2 reads a dashboard stored as schema v2 in its version: its
// JSON is the spec as Grafana sent it (numbers as written) with uid,
// apiVersion (which marks the schema for the plan, as a v2 file from Git
// has it) and, when its manager annotations are grafsync's, grafsync's
// marker, which a v2 spec cannot carry; SavedBy is the login (savedByName).
func (c *Client) getDashboardV2(ctx context.Context, p *apisPath, d Dashboard) (Dashboard, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	gvr := p.dashboard
	gvr.Version = d.Schema
	var raw json.RawMessage
	err = p.do(ctx, http.MethodGet, p.objectPath(gvr, d.UID), nil, &raw)
	release()
	if err != nil {
		return Dashboard{}, c.k8sErr(err, "read dashboard "+d.UID+" ("+d.Schema+")")
	}
	var r rawDashboard
	if err := json.Unmarshal(raw, &r); err != nil {
		return Dashboard{}, fmt.Errorf("read dashboard %s (%s): %w", d.UID, d.Schema, err)
	}
	p.rememberRV("d/"+d.UID, r.Metadata.ResourceVersion, r.Metadata.Generation)
	spec := []byte(r.Spec)
	if len(spec) == 0 || spec[0] != '{' {
		spec = []byte("{}")
	}
	set := [][2]string{{"uid", string(quoteJSON(d.UID))}, {"apiVersion", string(quoteJSON(gvr.GroupVersion().String()))}}
	if d.ManagedBy == ManagerKind && d.ManagerID == ManagerID {
		set = append(set, [2]string{markerKey, `{"managed":true}`})
	}
	// One member per rewrite: the members are added in this order, so two
	// reads of one dashboard give the same bytes (a v2 dashboard is rare).
	for _, m := range set {
		if spec, err = jsonc.Rewrite(spec, nil, map[string][]byte{m[0]: []byte(m[1])}); err != nil {
			return Dashboard{}, fmt.Errorf("dashboard %s: its spec: %w", d.UID, err)
		}
	}
	d.JSON = spec
	d.SavedBy = c.savedByName(ctx, d.UID, d.SavedBy)
	return d, nil
}

// quoteJSON is s as a JSON string.
func quoteJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// objectPath is the /apis path of one object of gvr in the namespace.
func (p *apisPath) objectPath(gvr schema.GroupVersionResource, name string) string {
	return "/apis/" + gvr.Group + "/" + gvr.Version + "/namespaces/" + p.ns + "/" + gvr.Resource + "/" + url.PathEscape(name)
}

// markerKey is grafsync's dashboard ownership marker (normalize.MarkerKey):
// written into v0/v1 JSON, kept out of a v2 spec (the manager annotations
// mark it there).
const markerKey = "grafsync"

// v2Version is the /apis version of a dashboard JSON that carries a schema
// v2 "apiVersion" member (a v2 file from Git), or "".
func v2Version(spec map[string]any) string {
	av, _ := spec["apiVersion"].(string)
	v, ok := strings.CutPrefix(av, "dashboard.grafana.app/")
	if !ok || !strings.HasPrefix(v, "v2") {
		return ""
	}
	return v
}

func (c *Client) readFoldersAPIs(ctx context.Context, p *apisPath) ([]Folder, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var out []Folder
	err = each(ctx, p.folders(), func(u *unstructured.Unstructured) error {
		p.remember("f/"+u.GetName(), u)
		out = append(out, folderOf(u))
		return nil
	})
	return out, c.k8sErr(err, "list folders")
}

// LocksDashboards reports whether the client writes dashboards locked
// (Config.LockDashboards): on /apis, part of the desired state.
func (c *Client) LocksDashboards() bool { return c.cfg.LockDashboards }

// ForcesLegacy reports whether --grafana-api legacy forces the /api path.
func (c *Client) ForcesLegacy() bool { return c.cfg.API == APILegacy }

// managerAnnotations are grafsync's ownership marker. managerAllowsEdits is
// "true" unless Config.LockDashboards: then Grafana refuses edits by users
// (service accounts, grafsync's usual identity, may still write).
func (c *Client) managerAnnotations(folder string) map[string]any {
	edits := "true"
	if c.cfg.LockDashboards {
		edits = "false"
	}
	a := map[string]any{annoManagedBy: ManagerKind, annoManagerID: ManagerID, annoManagerEdits: edits}
	if folder != "" {
		a[annoFolder] = folder
	}
	return a
}

// saveDashboardAPIs creates (version 0) or updates a dashboard through /apis
// with its resourceVersion; a stale one is 409 Conflict. The request is
// built from the planned bytes in one pass over their top level (numbers
// as written; apisSpec), and only the answer's metadata is decoded: a save
// costs no map of the dashboard on either side of the wire, unlike
// client-go's unstructured objects.
func (c *Client) saveDashboardAPIs(ctx context.Context, p *apisPath, dashboard []byte, folderUID string, version int, message string, src Source) (int, error) {
	spec, uid, apiVersion, err := apisSpec(dashboard)
	if err != nil {
		return 0, fmt.Errorf("save dashboard: %w", err)
	}
	gvr := p.dashboard
	if apiVersion != "" {
		gvr.Version = apiVersion
	}
	a := c.managerAnnotations(folderUID)
	if message != "" {
		a[annoMessage] = message
	}
	if src.Path != "" {
		a[annoSourcePath] = src.Path
	}
	if src.Hash != "" {
		a[annoSourceHash] = src.Hash
	}
	meta := map[string]any{"name": uid, "annotations": a}
	method, where := http.MethodPost, ""
	if version == 0 && uid == "" {
		meta["generateName"] = "g"
		delete(meta, "name")
	}
	if version > 0 {
		method, where = http.MethodPut, "/"+url.PathEscape(uid)
		meta["resourceVersion"] = p.resourceVersion("d/"+uid, version)
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return 0, err
	}
	obj := make([]byte, 0, len(spec)+len(mj)+128)
	obj = append(obj, `{"apiVersion":"`+gvr.GroupVersion().String()+`","kind":"Dashboard","metadata":`...)
	obj = append(append(append(obj, mj...), `,"spec":`...), spec...)
	obj = append(obj, '}')
	release, err := c.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	path := "/apis/" + gvr.Group + "/" + gvr.Version + "/namespaces/" + p.ns + "/dashboards" + where
	var out objectMeta
	if err := p.do(ctx, method, path, obj, metadataOnly{&out}); err != nil {
		return 0, c.k8sErr(err, "save dashboard "+uid)
	}
	p.rememberRV("d/"+out.Name, out.ResourceVersion, out.Generation)
	return int(out.Generation), nil
}

// apisSpec is the spec of a dashboard written through /apis: the planned
// JSON's members but id, uid, version and folderUid (the object's metadata
// holds those), and, for a schema v2 document (an apiVersion of
// dashboard.grafana.app/v2…), also apiVersion and grafsync's marker, which
// a v2 spec cannot carry. It returns the uid and that v2 version ("" for
// v0/v1). One pass over the top level; member values are copied as written.
func apisSpec(src []byte) (spec []byte, uid, v2 string, err error) {
	dec := jsontext.NewDecoder(bytes.NewReader(src), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, "", "", fmt.Errorf("the dashboard is not a JSON object")
	}
	out := make([]byte, 0, len(src))
	out = append(out, '{')
	// The spans in out of the members a v2 spec drops, known to be
	// dropped only once apiVersion has been read.
	var v2Only [][2]int
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, "", "", err
		}
		name := tok.String() // before the next read voids tok
		v, err := dec.ReadValue()
		if err != nil {
			return nil, "", "", err
		}
		switch name {
		case "id", "version", "folderUid":
			continue
		case "uid":
			json.Unmarshal(v, &uid)
			continue
		case "apiVersion":
			var av string
			json.Unmarshal(v, &av)
			v2 = v2Version(map[string]any{"apiVersion": av})
		}
		start := len(out)
		if len(out) > 1 {
			out = append(out, ',')
		}
		out, _ = jsontext.AppendQuote(out, name)
		out = append(append(out, ':'), v...)
		if name == "apiVersion" || name == markerKey {
			v2Only = append(v2Only, [2]int{start, len(out)})
		}
	}
	if v2 != "" {
		for i := len(v2Only) - 1; i >= 0; i-- {
			out = append(out[:v2Only[i][0]], out[v2Only[i][1]:]...)
		}
		if len(out) > 1 && out[1] == ',' { // the first member was cut
			out = append(out[:1], out[2:]...)
		}
	}
	return append(out, '}'), uid, v2, nil
}

// objectMeta is what grafsync reads of a written object's metadata.
type objectMeta struct {
	Name            string `json:"name"`
	ResourceVersion string `json:"resourceVersion"`
	Generation      int64  `json:"generation"`
}

// metadataOnly decodes only the "metadata" member of an object answer and
// stops reading there: a write's answer echoes the whole object, and its
// spec (tens of KB for a dashboard) need not be scanned.
type metadataOnly struct{ into *objectMeta }

func (m metadataOnly) decode(r io.Reader) error {
	dec := jsontext.NewDecoder(r, jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return fmt.Errorf("decode an object: not a JSON object")
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return fmt.Errorf("decode an object: %w", err)
		}
		if tok.String() != "metadata" {
			if err := dec.SkipValue(); err != nil {
				return fmt.Errorf("decode an object: %w", err)
			}
			continue
		}
		v, err := dec.ReadValue()
		if err != nil {
			return fmt.Errorf("decode an object's metadata: %w", err)
		}
		return json.Unmarshal(v, m.into)
	}
	return fmt.Errorf("decode an object: it has no metadata")
}

// do sends one raw request to /apis and decodes a 2xx answer into out; any
// other answer becomes an apierrors.StatusError from its k8s Status body.
func (p *apisPath) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, p.host+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer func() {
		io.Copy(io.Discard, resp.Body) // what a decode left unread: the connection is reused
		resp.Body.Close()
	}()
	if resp.StatusCode >= 300 {
		var st metav1.Status
		if json.NewDecoder(resp.Body).Decode(&st) != nil || st.Code == 0 {
			st = metav1.Status{Code: int32(resp.StatusCode), Message: http.StatusText(resp.StatusCode)}
		}
		return &apierrors.StatusError{ErrStatus: st}
	}
	if m, ok := out.(metadataOnly); ok {
		return m.decode(resp.Body)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// getDashboardAPIs reads one dashboard through /apis, as bytes (numbers as
// written). One stored as schema v2, which the v0/v1 GET answers with only
// a failed conversion and its title, is read again in its own version:
// whoever reads one dashboard (the ownership ledger, the check after an
// apply) gets the real object, as the LIST path does.
func (c *Client) getDashboardAPIs(ctx context.Context, p *apisPath, uid string) (Dashboard, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	var raw json.RawMessage
	err = p.do(ctx, http.MethodGet, p.objectPath(p.dashboard, uid), nil, &raw)
	release()
	if err != nil {
		return Dashboard{}, c.k8sErr(err, "read dashboard "+uid)
	}
	d, rv, err := dashboardOfRaw(raw)
	if err != nil {
		return Dashboard{}, err
	}
	p.rememberRV("d/"+d.UID, rv, int64(d.Version))
	if strings.HasPrefix(d.Schema, "v2") {
		return c.getDashboardV2(ctx, p, d)
	}
	return d, nil
}

func (c *Client) deleteAPIs(ctx context.Context, r dynamic.ResourceInterface, what, uid string) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return c.k8sErr(r.Delete(ctx, uid, metav1.DeleteOptions{}), "delete "+what+" "+uid)
}

func (c *Client) getFolderAPIs(ctx context.Context, p *apisPath, uid string) (*unstructured.Unstructured, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	u, err := p.folders().Get(ctx, uid, metav1.GetOptions{})
	if err != nil {
		return nil, c.k8sErr(err, "read folder "+uid)
	}
	p.remember("f/"+uid, u)
	return u, nil
}

// writeFolderAPIs creates a folder (u nil) or updates u, with grafsync's
// manager annotations, and returns its generation.
func (c *Client) writeFolderAPIs(ctx context.Context, p *apisPath, u *unstructured.Unstructured, uid, title, parentUID string, version int) (int, error) {
	create := u == nil
	if create {
		u = &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": p.folder.GroupVersion().String(), "kind": "Folder",
			"metadata": map[string]any{"name": uid}, "spec": map[string]any{"title": title},
		}}
	}
	a := u.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	for k, v := range c.managerAnnotations(parentUID) {
		a[k] = v.(string)
	}
	if parentUID == "" {
		delete(a, annoFolder)
	}
	u.SetAnnotations(a)
	if err := unstructured.SetNestedField(u.Object, title, "spec", "title"); err != nil {
		return 0, err
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	var out *unstructured.Unstructured
	if create {
		out, err = p.folders().Create(ctx, u, metav1.CreateOptions{})
	} else {
		u.SetResourceVersion(p.resourceVersion("f/"+uid, version))
		out, err = p.folders().Update(ctx, u, metav1.UpdateOptions{})
	}
	if err != nil {
		return 0, c.k8sErr(err, "write folder "+uid)
	}
	p.remember("f/"+uid, out)
	return int(out.GetGeneration()), nil
}

// schemaV2Legacy reads what /api can tell of a dashboard whose GET answered
// 406 (stored as schema v2, grafana-source-audit.md §4; pkg/api/dashboard.go
// GetDashboard names the /apis URL of its version): the stored version from
// that message, and the latest version, writer and time from the versions
// list. Its JSON holds only the uid (and the title search gave), so a plan
// shows it as drift and apply writes the Git version back.
func (c *Client) schemaV2Legacy(ctx context.Context, uid, title, folderUID string, notAcceptable error) (Dashboard, error) {
	var ae *APIError
	errors.As(notAcceptable, &ae)
	schema := "v2"
	if ae != nil {
		if _, rest, ok := strings.Cut(ae.Message, "/apis/dashboard.grafana.app/"); ok {
			schema, _, _ = strings.Cut(rest, "/")
		}
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	defer release()
	limit := int64(1)
	ok, err := c.api.Dashboards.GetDashboardVersionsByUID(dashboards.NewGetDashboardVersionsByUIDParamsWithContext(ctx).WithUID(uid).WithLimit(&limit))
	if err != nil {
		return Dashboard{}, c.wrap(err, "read the versions of dashboard "+uid+" (stored as "+schema+")")
	}
	d := Dashboard{UID: uid, FolderUID: folderUID, Schema: schema}
	if p := ok.GetPayload(); p != nil && len(p.Versions) > 0 && p.Versions[0] != nil {
		v := p.Versions[0]
		d.Version, d.SavedBy, d.SavedAt = int(v.Version), v.CreatedBy, time.Time(v.Created)
	}
	b, err := json.Marshal(map[string]any{"uid": uid, "title": title})
	if err != nil {
		return Dashboard{}, err
	}
	d.JSON = b
	return d, nil
}

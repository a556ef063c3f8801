package grafana

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/go-openapi/runtime"
	"github.com/grafana/grafana-openapi-client-go/client/dashboards"
	"github.com/grafana/grafana-openapi-client-go/client/datasources"
	"github.com/grafana/grafana-openapi-client-go/client/folders"
	"github.com/grafana/grafana-openapi-client-go/client/search"
	"github.com/grafana/grafana-openapi-client-go/models"
	"golang.org/x/sync/errgroup"
)

// Folder is a live folder as Grafana reports it.
type Folder struct {
	UID, Title, ParentUID string
	Version               int
	CreatedBy             string
	// On the /apis path: the manager annotations (grafsync's ownership marker).
	ManagedBy, ManagerID string
	// Lock is, on the /apis path, whether Grafana lets people edit it
	// (EditLock); "" on /api.
	Lock EditLock
}

// Dashboard is a live dashboard: its stored JSON, as Grafana sent it, and
// the meta grafsync needs.
type Dashboard struct {
	UID         string
	FolderUID   string
	Version     int
	JSON        []byte // a JSON object
	Provisioned bool
	// Appended for /apis and schema v2 (apis.go). Schema is the API version
	// Grafana stores the dashboard in when it is not v0/v1 (e.g. "v2beta1",
	// after a person saved it in Grafana 13's UI): JSON then holds only its
	// uid and title. SavedBy and SavedAt say who saved it last and when,
	// where Grafana tells.
	Schema               string
	SavedBy              string
	SavedAt              time.Time
	ManagedBy, ManagerID string
	// Lock is, on the /apis path, whether Grafana lets people edit the
	// dashboard in its UI (EditLock); "" on /api, which cannot tell.
	Lock EditLock
}

// EditLock is a dashboard's lock state on /apis: Grafana refuses edits by
// users of an object that has a manager (grafana.app/managerId) whose
// grafana.app/managerAllowsEdits is not "true" (apistore
// checkManagerPropertiesOnUpdate); --lock-dashboards asks for Locked.
type EditLock string

const (
	Editable EditLock = "editable"
	Locked   EditLock = "locked"
)

// lockOf is the lock state the annotations of an /apis object give.
func lockOf(a map[string]string) EditLock {
	if a[annoManagerID] != "" && a[annoManagerEdits] != "true" {
		return Locked
	}
	return Editable
}

// Datasource is a live datasource. Grafana never returns secret values, only
// which secret keys are set (SecureJSONFields).
type Datasource struct {
	ID                                                          int64
	UID, Name, Type, Access, URL, User, Database, BasicAuthUser string
	BasicAuth, WithCredentials, IsDefault, ReadOnly             bool
	JSONData                                                    map[string]any
	SecureJSONFields                                            []string
	Version                                                     int
}

// State is everything grafsync manages, as one org of Grafana has it now.
type State struct {
	// Version is the Grafana version (/api/health), which decides how it
	// stores what grafsync writes.
	Version     string
	Folders     []Folder
	Dashboards  []Dashboard // empty when ReadState was given a callback
	Datasources []Datasource
	// APIs says dashboards and folders were read through /apis (apis.go).
	APIs bool
	// LibraryPanels are sorted by uid, each with its connected dashboards.
	LibraryPanels []LibraryPanel
}

// searchPageSize is Grafana's maximum search page (§4); fewer pages, fewer requests.
const searchPageSize = 5000

// folderPageSize is /api/folders' default and largest sensible page.
const folderPageSize = 1000

// ReadState reads the folders, dashboards, datasources and library panels of the client's
// org, with at most Concurrency requests in flight. It asks /api/health for
// the version first. Dashboards are listed by search, then each is read by
// uid. On 12.x and 13.x search lags writes (§4, §13) while GET by uid is consistent:
// there the expected dashboard uids that search does not list are read by
// uid too (expected is called once search has answered, and only on 12.x and 13.x,
// so it may wait for the repository to load), and a listed one that is gone
// is skipped, so a plan right after an apply sees what the apply did.
//
// When each is not nil, every dashboard is handed to it as soon as it is
// read, from as many goroutines as requests run at once, and not kept in
// the State: a caller that keeps only what it needs of each holds a few
// dashboards' JSON at a time, not thousands.
func (c *Client) ReadState(ctx context.Context, each func(Dashboard), expected func() []string) (*State, error) {
	h, err := c.Health(ctx)
	if err != nil {
		return nil, err
	}
	st := &State{Version: h.Version}
	lags := searchLags(h.Version)
	k8s, err := c.apisFor(ctx, h.Version)
	if err != nil {
		return nil, err
	}
	st.APIs = k8s != nil
	if each == nil {
		var mu sync.Mutex
		each = func(d Dashboard) {
			mu.Lock()
			defer mu.Unlock()
			st.Dashboards = append(st.Dashboards, d)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if k8s != nil {
			fs, err := c.readFoldersAPIs(gctx, k8s)
			st.Folders = fs
			return err
		}
		fs, err := c.readFolders(gctx, lags)
		st.Folders = fs
		return err
	})
	// Without expected uids there is nothing to add to what search lists;
	// folders are still walked where search lags (lags itself is shared by
	// both readers, so it is never written once they start).
	dashboardsLag := lags && expected != nil
	g.Go(func() error {
		if k8s != nil {
			return c.readDashboardsAPIs(gctx, k8s, each)
		}
		return c.readDashboards(gctx, each, dashboardsLag, expected)
	})
	g.Go(func() error {
		ds, err := c.readDatasources(gctx)
		st.Datasources = ds
		return err
	})
	g.Go(func() (err error) {
		st.LibraryPanels, err = c.readLibraryPanels(gctx)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(st.Dashboards, func(i, j int) bool { return st.Dashboards[i].UID < st.Dashboards[j].UID })
	return st, nil
}

// readFolders lists the folders, then reads each once for its version and
// creator. A listed folder that is gone by then is left out, as dashboards
// are. Where search is consistent (before 12.x), one search for
// type=dash-folder lists every level (§5.1); on 12.x, whose search lags
// writes, the tree is walked level by level through /api/folders (which
// lists direct children only).
func (c *Client) readFolders(ctx context.Context, lags bool) ([]Folder, error) {
	var uids []string
	var err error
	if lags {
		uids, err = c.walkFolders(ctx)
	} else {
		uids, err = c.searchFolders(ctx)
	}
	if err != nil {
		return nil, err
	}
	read := make([]Folder, len(uids))
	g, gctx := errgroup.WithContext(ctx)
	for i, uid := range uids {
		g.Go(func() error {
			f, err := c.GetFolder(gctx, uid)
			if IsStatus(err, 404) {
				return nil // deleted since it was listed: left out (its UID stays "")
			}
			read[i] = f
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(read, func(f Folder) bool { return f.UID == "" })
	sort.Slice(out, func(i, j int) bool { return out[i].UID < out[j].UID })
	return out, nil
}

// searchFolders lists the uids of every folder, at every level, by search.
func (c *Client) searchFolders(ctx context.Context) ([]string, error) {
	var uids []string
	typ := "dash-folder"
	for page := int64(1); ; page++ {
		release, err := c.acquire(ctx)
		if err != nil {
			return nil, err
		}
		limit := int64(searchPageSize)
		ok, err := c.api.Search.Search(search.NewSearchParamsWithContext(ctx).WithType(&typ).WithLimit(&limit).WithPage(&page))
		release()
		if err != nil {
			return nil, c.wrap(err, "search folders")
		}
		for _, h := range ok.GetPayload() {
			uids = append(uids, h.UID)
		}
		if len(ok.GetPayload()) < searchPageSize {
			return uids, nil
		}
	}
}

// walkFolders lists the uids of every folder by walking the tree level by
// level through /api/folders.
func (c *Client) walkFolders(ctx context.Context) ([]string, error) {
	var uids []string
	seen := map[string]bool{}
	parents := []string{""}
	for depth := 0; len(parents) > 0 && depth < 8; depth++ {
		children := make([][]string, len(parents))
		g, gctx := errgroup.WithContext(ctx)
		for i, parent := range parents {
			g.Go(func() (err error) {
				children[i], err = c.listFolders(gctx, parent)
				if parent != "" && IsStatus(err, 404) {
					return nil // deleted since it was listed
				}
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		var next []string
		for _, cs := range children {
			// With nested folders off (10.x), parentUid is ignored and every
			// level lists the root again: a folder is taken once.
			for _, uid := range cs {
				if !seen[uid] {
					seen[uid] = true
					next = append(next, uid)
				}
			}
		}
		uids = append(uids, next...)
		parents = next
	}
	return uids, nil
}

// listFolders pages through the direct children of parent ("" = root),
// skipping Grafana's virtual "Shared with me" entry (§5.1).
func (c *Client) listFolders(ctx context.Context, parent string) ([]string, error) {
	var uids []string
	for page := int64(1); ; page++ {
		release, err := c.acquire(ctx)
		if err != nil {
			return nil, err
		}
		limit := int64(folderPageSize)
		p := folders.NewGetFoldersParamsWithContext(ctx).WithLimit(&limit).WithPage(&page)
		if parent != "" {
			p = p.WithParentUID(&parent)
		}
		ok, err := c.api.Folders.GetFolders(p)
		release()
		if err != nil {
			return nil, c.wrap(err, "list folders under "+orRoot(parent))
		}
		for _, h := range ok.GetPayload() {
			if h.UID != "sharedwithme" {
				uids = append(uids, h.UID)
			}
		}
		if len(ok.GetPayload()) < folderPageSize {
			return uids, nil
		}
	}
}

func orRoot(uid string) string {
	if uid == "" {
		return "the root"
	}
	return "folder " + uid
}

// GetFolder reads one folder.
func (c *Client) GetFolder(ctx context.Context, uid string) (Folder, error) {
	if p, err := c.apis(ctx); err != nil || p != nil {
		if err != nil {
			return Folder{}, err
		}
		u, err := c.getFolderAPIs(ctx, p, uid)
		if err != nil {
			return Folder{}, err
		}
		return folderOf(u), nil
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return Folder{}, err
	}
	defer release()
	ok, err := c.api.Folders.GetFolderByUIDWithParams(folders.NewGetFolderByUIDParamsWithContext(ctx).WithFolderUID(uid))
	if err != nil {
		return Folder{}, c.wrap(err, "read folder "+uid)
	}
	p := ok.GetPayload()
	return Folder{UID: p.UID, Title: p.Title, ParentUID: p.ParentUID, Version: int(p.Version), CreatedBy: p.CreatedBy}, nil
}

// readDashboards lists every dashboard by search, then reads each by uid and
// hands it to each. lags says search lags writes (12.x): expected's uids are
// read too.
func (c *Client) readDashboards(ctx context.Context, each func(Dashboard), lags bool, expected func() []string) error {
	var uids []string
	hits := map[string][2]string{} // uid → title, folder uid: for a dashboard stored as v2 (406)
	typ := "dash-db"
	for page := int64(1); ; page++ {
		release, err := c.acquire(ctx)
		if err != nil {
			return err
		}
		limit := int64(searchPageSize)
		ok, err := c.api.Search.Search(search.NewSearchParamsWithContext(ctx).WithType(&typ).WithLimit(&limit).WithPage(&page))
		release()
		if err != nil {
			return c.wrap(err, "search dashboards")
		}
		for _, h := range ok.GetPayload() {
			uids = append(uids, h.UID)
			hits[h.UID] = [2]string{h.Title, h.FolderUID}
		}
		if len(ok.GetPayload()) < searchPageSize {
			break
		}
	}
	if lags {
		listed := make(map[string]bool, len(uids))
		for _, uid := range uids {
			listed[uid] = true
		}
		for _, uid := range expected() {
			if !listed[uid] {
				listed[uid] = true
				uids = append(uids, uid)
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, uid := range uids {
		g.Go(func() error {
			d, err := c.GetDashboard(gctx, uid)
			if IsStatus(err, 404) {
				return nil // not written yet, or deleted since search listed it
			}
			if IsStatus(err, 406) {
				d, err = c.schemaV2Legacy(gctx, uid, hits[uid][0], hits[uid][1], err)
			}
			if err != nil {
				return err
			}
			each(d)
			return nil
		})
	}
	return g.Wait()
}

// searchLags reports whether a Grafana version's search is eventually
// consistent: 12.x and later serve it from an index (§13, §14).
func searchLags(version string) bool {
	major, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	n, err := strconv.Atoi(major)
	return err == nil && n >= 12
}

// UniqueTitles reports whether a Grafana version refuses a folder whose
// title a sibling already has (409) and a dashboard whose title another in
// its folder has (412 name-exists): up to 11.2 (grafana-api.md §3.1, §5.3,
// §14; allowed from 11.3, PR grafana/grafana#90687). A version that does
// not parse ("dev") is taken as a new one.
func UniqueTitles(version string) bool {
	major, rest, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	maj, err := strconv.Atoi(major)
	if err != nil {
		return false
	}
	digits := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if digits < 0 {
		digits = len(rest)
	}
	mnr, err := strconv.Atoi(rest[:digits])
	if err != nil {
		return maj < 11
	}
	return maj < 11 || maj == 11 && mnr <= 2
}

// GetDashboard reads one dashboard by uid. Its JSON is taken from the
// response as it streams in and kept as Grafana sent it (numbers exact):
// nothing decodes it into a map.
func (c *Client) GetDashboard(ctx context.Context, uid string) (Dashboard, error) {
	if p, err := c.apis(ctx); err != nil || p != nil {
		if err != nil {
			return Dashboard{}, err
		}
		return c.getDashboardAPIs(ctx, p, uid)
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	defer release()
	d := Dashboard{UID: uid}
	_, err = c.api.Dashboards.GetDashboardByUIDWithParams(dashboards.NewGetDashboardByUIDParamsWithContext(ctx).WithUID(uid),
		func(op *runtime.ClientOperation) { op.Reader = dashboardReader{next: op.Reader, into: &d} })
	if err != nil {
		return Dashboard{}, c.wrap(err, "read dashboard "+uid)
	}
	if d.JSON == nil {
		return Dashboard{}, fmt.Errorf("read dashboard %s: grafana returned no dashboard JSON", uid)
	}
	return d, nil
}

// dashboardReader reads a 200 answer of GET /api/dashboards/uid/{uid}
// (§3.2) with jsontext into a Dashboard; other answers go to the generated
// reader, which makes them errors.
type dashboardReader struct {
	next runtime.ClientResponseReader
	into *Dashboard
}

func (r dashboardReader) ReadResponse(resp runtime.ClientResponse, consumer runtime.Consumer) (any, error) {
	if resp.Code() != 200 {
		return r.next.ReadResponse(resp, consumer)
	}
	// The body is read whole, into a buffer of its announced size, and
	// parsed in place: the dashboard's JSON is a slice of it, not a copy.
	var body bytes.Buffer
	if n, err := strconv.Atoi(resp.GetHeader("Content-Length")); err == nil && n > 0 && n < 1<<30 {
		body.Grow(n + bytes.MinRead)
	}
	if _, err := body.ReadFrom(resp.Body()); err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	dec := jsontext.NewDecoder(&body, jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, fmt.Errorf("decode the answer: not a JSON object (%v)", err)
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, fmt.Errorf("decode the answer: %w", err)
		}
		name := tok.String() // before the next read voids tok
		v, err := dec.ReadValue()
		if err != nil {
			return nil, fmt.Errorf("decode the answer: %w", err)
		}
		switch name {
		case "dashboard":
			if v.Kind() == '{' {
				r.into.JSON = v // a slice of body, which nothing else uses
			}
		case "meta":
			// Only what grafsync reads of models.DashboardMeta (same names
			// and types): decoding its twenty-odd fields, times included,
			// took a fifth of reading a fleet's dashboards.
			var meta struct {
				FolderUID   string `json:"folderUid"`
				Version     int64  `json:"version"`
				Provisioned bool   `json:"provisioned"`
			}
			if err := json.Unmarshal(v, &meta); err != nil {
				return nil, fmt.Errorf("decode the answer's meta: %w", err)
			}
			r.into.FolderUID, r.into.Version, r.into.Provisioned = meta.FolderUID, int(meta.Version), meta.Provisioned
		}
	}
	return dashboards.NewGetDashboardByUIDOK(), nil
}

// readDatasources lists datasources, then reads each by uid: only the single
// GET reports version and secureJsonFields (§6.1, §6.2).
func (c *Client) readDatasources(ctx context.Context) ([]Datasource, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := c.api.Datasources.GetDataSourcesWithParams(datasources.NewGetDataSourcesParamsWithContext(ctx))
	release()
	if err != nil {
		return nil, c.wrap(err, "list datasources")
	}
	list := ok.GetPayload()
	out := make([]Datasource, len(list))
	g, gctx := errgroup.WithContext(ctx)
	for i, item := range list {
		g.Go(func() error {
			d, err := c.GetDatasource(gctx, item.UID)
			out[i] = d
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// GetDatasource reads one datasource by uid.
func (c *Client) GetDatasource(ctx context.Context, uid string) (Datasource, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return Datasource{}, err
	}
	defer release()
	ok, err := c.api.Datasources.GetDataSourceByUIDWithParams(datasources.NewGetDataSourceByUIDParamsWithContext(ctx).WithUID(uid))
	if err != nil {
		return Datasource{}, c.wrap(err, "read datasource "+uid)
	}
	return datasourceOf(ok.GetPayload()), nil
}

// datasourceOf converts Grafana's datasource DTO (§6.2).
func datasourceOf(p *models.DataSource) Datasource {
	jd, _ := p.JSONData.(map[string]any)
	if jd == nil {
		jd = map[string]any{}
	}
	var secure []string
	for k, set := range p.SecureJSONFields {
		if set {
			secure = append(secure, k)
		}
	}
	sort.Strings(secure)
	return Datasource{
		ID: p.ID, UID: p.UID, Name: p.Name, Type: p.Type, Access: string(p.Access), URL: p.URL, User: p.User,
		Database: p.Database, BasicAuthUser: p.BasicAuthUser, BasicAuth: p.BasicAuth, WithCredentials: p.WithCredentials,
		IsDefault: p.IsDefault, ReadOnly: p.ReadOnly, JSONData: jd, SecureJSONFields: secure, Version: int(p.Version),
	}
}

// GetDatasourceByName reads one datasource by its name (§6.2).
func (c *Client) GetDatasourceByName(ctx context.Context, name string) (Datasource, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return Datasource{}, err
	}
	defer release()
	ok, err := c.api.Datasources.GetDataSourceByNameWithParams(datasources.NewGetDataSourceByNameParamsWithContext(ctx).WithName(name))
	if err != nil {
		return Datasource{}, c.wrap(err, "read datasource "+name)
	}
	return datasourceOf(ok.GetPayload()), nil
}

// FolderCounts counts what Grafana holds under folder uid, sub-folders
// included, by kind ("folder", "dashboard", "librarypanel", "alertrule";
// §5.7): what deleting the folder would delete with it, or refuse over.
// Only kinds with a count above zero are in the map.
func (c *Client) FolderCounts(ctx context.Context, uid string) (map[string]int64, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ok, err := c.api.Folders.GetFolderDescendantCountsWithParams(folders.NewGetFolderDescendantCountsParamsWithContext(ctx).WithFolderUID(uid))
	if err != nil {
		return nil, c.wrap(err, "count the contents of folder "+uid)
	}
	out := map[string]int64{}
	for kind, n := range ok.GetPayload() {
		if n > 0 {
			out[kind] = n
		}
	}
	return out, nil
}

// FolderContents names what Grafana has directly in folder uid
// ("dashboard <uid>", "folder <uid>"): what deleting the folder would
// delete with it (§5.6). Search lists it; on 12.x search lags writes, so
// each hit is confirmed by a read by uid, and one gone since is left out.
func (c *Client) FolderContents(ctx context.Context, uid string) ([]string, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	limit := int64(searchPageSize)
	ok, err := c.api.Search.Search(search.NewSearchParamsWithContext(ctx).WithFolderUIDs([]string{uid}).WithLimit(&limit))
	release()
	if err != nil {
		return nil, c.wrap(err, "list the contents of folder "+uid)
	}
	var out []string
	for _, h := range ok.GetPayload() {
		kind := "dashboard"
		if h.Type == "dash-folder" {
			kind = "folder"
			_, err = c.GetFolder(ctx, h.UID)
		} else {
			_, err = c.GetDashboard(ctx, h.UID)
		}
		switch {
		case IsStatus(err, 404):
		case err != nil:
			return nil, err
		default:
			out = append(out, kind+" "+h.UID)
		}
	}
	return out, nil
}

// nestedProbe is a valid folder uid that nobody uses.
const nestedProbe = "grafsync-probe-no-such-folder-7c1e9a"

// NestedFolders reports whether Grafana has nested folders (on from 11.0; a
// feature toggle in 10.x). With them on, listing the children of a folder
// that does not exist is a 404 (§5.1); with them off, parentUid is ignored.
func (c *Client) NestedFolders(ctx context.Context) (bool, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	parent, limit := nestedProbe, int64(1)
	_, err = c.api.Folders.GetFolders(folders.NewGetFoldersParamsWithContext(ctx).WithParentUID(&parent).WithLimit(&limit))
	if IsStatus(c.wrap(err, "list folders"), 404) {
		return true, nil
	}
	return false, c.wrap(err, "check for nested folders")
}

package grafana

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/grafana/grafana-openapi-client-go/client/dashboards"
	"github.com/grafana/grafana-openapi-client-go/client/datasources"
	"github.com/grafana/grafana-openapi-client-go/client/folders"
	"github.com/grafana/grafana-openapi-client-go/models"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Every update states the version it expects to replace (optimistic
// locking), so an edit made in Grafana since the plan was read surfaces as a
// 409/412 APIError instead of being overwritten. None of them sends
// overwrite=true. Grafana's folder move takes no version (§5.5): its caller
// checks the folder's version first.

// CreateFolder creates a folder; parentUID "" puts it at the root.
func (c *Client) CreateFolder(ctx context.Context, uid, title, parentUID string) error {
	if p, err := c.apis(ctx); err != nil || p != nil {
		if err == nil {
			_, err = c.writeFolderAPIs(ctx, p, nil, uid, title, parentUID, 0)
		}
		return err
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Folders.CreateFolderWithParams(folders.NewCreateFolderParamsWithContext(ctx).
		WithBody(&models.CreateFolderCommand{UID: uid, Title: title, ParentUID: parentUID}))
	return c.wrap(err, "create folder "+uid)
}

// UpdateFolder retitles a folder whose live version is version.
func (c *Client) UpdateFolder(ctx context.Context, uid, title string, version int) error {
	if p, err := c.apis(ctx); err != nil || p != nil {
		if err != nil {
			return err
		}
		u, err := c.getFolderAPIs(ctx, p, uid)
		if err != nil {
			return err
		}
		if int(u.GetGeneration()) != version {
			return &APIError{Op: "update folder " + uid, Status: http.StatusConflict, Reason: "Conflict", Message: "the folder has been modified since it was read"}
		}
		_, err = c.writeFolderAPIs(ctx, p, u, uid, title, u.GetAnnotations()[annoFolder], version)
		return err
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Folders.UpdateFolderWithParams(folders.NewUpdateFolderParamsWithContext(ctx).WithFolderUID(uid).
		WithBody(&models.UpdateFolderCommand{Title: title, Version: int64(version)}))
	return c.wrap(err, "update folder "+uid)
}

// MoveFolder moves a folder under parentUID ("" = root) and returns the
// folder's version after the move, which a retitle must state next (§5.4).
// A response without a version (0) means: read the folder to know it.
func (c *Client) MoveFolder(ctx context.Context, uid, parentUID string) (int, error) {
	if p, err := c.apis(ctx); err != nil || p != nil {
		if err != nil {
			return 0, err
		}
		u, err := c.getFolderAPIs(ctx, p, uid)
		if err != nil {
			return 0, err
		}
		title, _, _ := unstructured.NestedString(u.Object, "spec", "title")
		return c.writeFolderAPIs(ctx, p, u, uid, title, parentUID, int(u.GetGeneration()))
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	ok, err := c.api.Folders.MoveFolderWithParams(folders.NewMoveFolderParamsWithContext(ctx).WithFolderUID(uid).
		WithBody(&models.MoveFolderCommand{ParentUID: parentUID}))
	if err != nil {
		return 0, c.wrap(err, "move folder "+uid)
	}
	if p := ok.GetPayload(); p != nil {
		return int(p.Version), nil
	}
	return 0, nil
}

// DeleteFolder deletes a folder. Grafana deletes everything in it too (§5.6):
// callers must have checked it holds nothing they may not delete.
func (c *Client) DeleteFolder(ctx context.Context, uid string) error {
	if p, err := c.apis(ctx); err != nil || p != nil {
		if err != nil {
			return err
		}
		return c.deleteAPIs(ctx, p.folders(), "folder", uid)
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Folders.DeleteFolder(folders.NewDeleteFolderParamsWithContext(ctx).WithFolderUID(uid))
	// Grafana 10.0–10.1 answer a successful delete with the JSON string ""
	// (grafana-source-audit.md row 56), which the client cannot decode into
	// the spec's object. Grafana's error answers are objects, so a bare
	// string means the 200: the folder was deleted.
	var notObject *json.UnmarshalTypeError
	if errors.As(err, &notObject) && notObject.Value == "string" {
		return nil
	}
	return c.wrap(err, "delete folder "+uid)
}

// SaveDashboard creates or updates a dashboard from its JSON (an object; its
// id, version and folderUid members are dropped), in folderUID, at version
// (0: create). The JSON is sent as it is otherwise: numbers keep their text.
// A schema v2 dashboard is refused on the legacy path (IsSchemaV2); the plan
// blocks it before anything is written.
func (c *Client) SaveDashboard(ctx context.Context, dashboard []byte, folderUID string, version int, message string) (int, error) {
	return c.SaveDashboardFrom(ctx, dashboard, folderUID, version, message, Source{})
}

// Source is where a dashboard comes from in the repository: the file's path
// from the repository root and its git blob id. On /apis they are written
// as the grafana.app/sourcePath and grafana.app/sourceHash annotations
// (docs/apis.md); the legacy API has no place for them.
type Source struct {
	Path, Hash string
}

// SaveDashboardFrom is SaveDashboard for a dashboard read from src.
func (c *Client) SaveDashboardFrom(ctx context.Context, dashboard []byte, folderUID string, version int, message string, src Source) (int, error) {
	if p, err := c.apis(ctx); err != nil || p != nil {
		if err != nil {
			return 0, err
		}
		return c.saveDashboardAPIs(ctx, p, dashboard, folderUID, version, message, src)
	}
	body, uid, err := dashboardBody(dashboard, version)
	if err != nil {
		return 0, fmt.Errorf("save dashboard: %w", err)
	}
	if IsSchemaV2(body) {
		return 0, fmt.Errorf("save dashboard %s: %s", uid, SchemaV2OnLegacy)
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	ok, err := c.api.Dashboards.PostDashboardWithParams(dashboards.NewPostDashboardParamsWithContext(ctx).
		WithBody(&models.SaveDashboardCommand{Dashboard: body, FolderUID: folderUID, Message: message}))
	if err != nil {
		return 0, c.wrap(err, "save dashboard "+uid)
	}
	if v := ok.GetPayload().Version; v != nil {
		return int(*v), nil
	}
	return 0, nil
}

// dashboardBody is the "dashboard" of a save: src's members but id,
// version and folderUid, plus version when it is above 0; and its uid.
func dashboardBody(src []byte, version int) (json.RawMessage, string, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(src), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, "", fmt.Errorf("the dashboard is not a JSON object")
	}
	out := make([]byte, 0, len(src)+32)
	out = append(out, '{')
	if version > 0 {
		out = append(out, `"version":`+strconv.Itoa(version)...)
	}
	var uid string
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, "", err
		}
		name := tok.String() // before the next read voids tok
		v, err := dec.ReadValue()
		if err != nil {
			return nil, "", err
		}
		switch name {
		case "id", "version", "folderUid":
			continue
		case "uid":
			json.Unmarshal(v, &uid)
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out, _ = jsontext.AppendQuote(out, name)
		out = append(append(out, ':'), v...)
	}
	return append(out, '}'), uid, nil
}

// DeleteDashboard deletes a dashboard by uid.
func (c *Client) DeleteDashboard(ctx context.Context, uid string) error {
	if p, err := c.apis(ctx); err != nil || p != nil {
		if err != nil {
			return err
		}
		return c.deleteAPIs(ctx, p.dashboards(), "dashboard", uid)
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Dashboards.DeleteDashboardByUIDWithParams(dashboards.NewDeleteDashboardByUIDParamsWithContext(ctx).WithUID(uid))
	return c.wrap(err, "delete dashboard "+uid)
}

// DatasourceSpec is what grafsync writes for a datasource. Secure holds the
// secret values to set; a key with "" clears that secret (§6.4).
type DatasourceSpec struct {
	UID, Name, Type, Access, URL, User, Database, BasicAuthUser string
	BasicAuth, WithCredentials, IsDefault                       bool
	JSONData                                                    map[string]any
	Secure                                                      map[string]string
}

// CreateDatasource creates a datasource and returns what Grafana stored
// (Grafana may make it the default: the first datasource of an org always
// is; it generates the uid when s.UID is empty, §6.3).
func (c *Client) CreateDatasource(ctx context.Context, s DatasourceSpec) (Datasource, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return Datasource{}, err
	}
	ok, err := c.api.Datasources.AddDataSourceWithParams(datasources.NewAddDataSourceParamsWithContext(ctx).WithBody(&models.AddDataSourceCommand{
		UID: s.UID, Name: s.Name, Type: s.Type, Access: models.DsAccess(s.Access), URL: s.URL, User: s.User, Database: s.Database,
		BasicAuth: s.BasicAuth, BasicAuthUser: s.BasicAuthUser, WithCredentials: s.WithCredentials, IsDefault: s.IsDefault,
		JSONData: s.JSONData, SecureJSONData: s.Secure,
	}))
	release()
	if err != nil {
		return Datasource{}, c.wrap(err, "create datasource "+s.Name)
	}
	if p := ok.GetPayload(); p != nil && p.Datasource != nil && p.Datasource.UID != "" {
		return datasourceOf(p.Datasource), nil
	}
	// An answer without the stored datasource: read it back by the uid
	// asked for, or by name when Grafana generated the uid.
	if s.UID != "" {
		return c.GetDatasource(ctx, s.UID)
	}
	return c.GetDatasourceByName(ctx, s.Name)
}

// UpdateDatasource replaces datasource uid, whose live version is version.
// Grafana refuses (409) when the stored version is newer (§6.4).
func (c *Client) UpdateDatasource(ctx context.Context, uid string, s DatasourceSpec, version int) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Datasources.UpdateDataSourceByUIDWithParams(datasources.NewUpdateDataSourceByUIDParamsWithContext(ctx).WithUID(uid).WithBody(&models.UpdateDataSourceCommand{
		UID: s.UID, Name: s.Name, Type: s.Type, Access: models.DsAccess(s.Access), URL: s.URL, User: s.User, Database: s.Database,
		BasicAuth: s.BasicAuth, BasicAuthUser: s.BasicAuthUser, WithCredentials: s.WithCredentials, IsDefault: s.IsDefault,
		JSONData: s.JSONData, SecureJSONData: s.Secure, Version: int64(version),
	}))
	return c.wrap(err, "update datasource "+s.Name)
}

// DeleteDatasource deletes a datasource by uid.
func (c *Client) DeleteDatasource(ctx context.Context, uid string) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.Datasources.DeleteDataSourceByUIDWithParams(datasources.NewDeleteDataSourceByUIDParamsWithContext(ctx).WithUID(uid))
	return c.wrap(err, "delete datasource "+uid)
}

// IsSchemaV2 reports whether an encoded (canonical, compact) dashboard is a
// schema v2 resource (apiVersion dashboard.grafana.app/v2…), which Grafana
// takes only through /apis.
func IsSchemaV2(dashboard []byte) bool {
	return bytes.Contains(dashboard, []byte(`"apiVersion":"dashboard.grafana.app/v2`))
}

// SchemaV2OnLegacy says why a schema v2 dashboard cannot be written on the
// legacy path, and what to do, when the case is not known (SchemaV2Advice).
const SchemaV2OnLegacy = "it is a schema v2 dashboard, which Grafana takes only through /apis (Grafana 12 and later); " +
	"the path in use is /api (Grafana before 12, or --grafana-api legacy): export it from Grafana as classic JSON, or use Grafana 12 or later"

// SchemaV2Advice says why a schema v2 dashboard cannot be written on the
// legacy path of a Grafana of version, and the fix that fits: on 12 or
// later with --grafana-api legacy (forced), dropping that flag; before 12,
// classic JSON or an upgrade.
func SchemaV2Advice(version string, forced bool) string {
	const why = "it is a schema v2 dashboard, which Grafana takes only through /apis; "
	if forced && majorAtLeast(version, 12) {
		return why + "--grafana-api legacy makes grafsync use /api although this Grafana (" + version + ") serves /apis: drop --grafana-api legacy"
	}
	if forced {
		return why + "the path in use is /api (--grafana-api legacy): drop --grafana-api legacy on Grafana 12 or later, or export it from Grafana as classic JSON"
	}
	if majorAtLeast(version, 12) {
		return why + "this Grafana (" + version + ") does not serve dashboards under /apis (its discovery does not list them): enable the dashboard and folder APIs, or export it from Grafana as classic JSON"
	}
	return why + "this Grafana (" + version + ") is older than 12 and has only /api: export it from Grafana as classic JSON, or upgrade to Grafana 12 or later"
}

// majorAtLeast reports whether a Grafana version's major number is at least n.
func majorAtLeast(version string, n int) bool {
	major, _, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	m, err := strconv.Atoi(major)
	return err == nil && m >= n
}

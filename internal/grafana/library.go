package grafana

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/grafana/grafana-openapi-client-go/client/library_elements"
	"github.com/grafana/grafana-openapi-client-go/models"
	"golang.org/x/sync/errgroup"
)

// LibraryPanelKind is a library element's kind for a panel (2 is a variable,
// which grafsync does not manage).
const LibraryPanelKind = 1

// libraryPageSize is the page grafsync asks /api/library-elements for;
// Grafana applies no maximum to perPage (getAllLibraryElements).
const libraryPageSize = 500

// LibraryPanel is a live library panel (grafana-api.md §10).
type LibraryPanel struct {
	UID, Name string
	FolderUID string // "" = General
	Model     map[string]any
	Version   int
	// ConnectedDashboards are the uids of the dashboards using it (its
	// connections); Grafana refuses to delete it while there are any.
	ConnectedDashboards []string
}

// readLibraryPanels lists every library panel of the org, then reads the
// connections of the ones the list says are connected.
func (c *Client) readLibraryPanels(ctx context.Context) ([]LibraryPanel, error) {
	var out []LibraryPanel
	kind := int64(LibraryPanelKind)
	for page := int64(1); ; page++ {
		release, err := c.acquire(ctx)
		if err != nil {
			return nil, err
		}
		perPage := int64(libraryPageSize)
		ok, err := c.api.LibraryElements.GetLibraryElements(library_elements.NewGetLibraryElementsParamsWithContext(ctx).
			WithKind(&kind).WithPerPage(&perPage).WithPage(&page))
		release()
		if err != nil {
			return nil, c.wrap(err, "list library panels")
		}
		var els []*models.LibraryElementDTO
		if p := ok.GetPayload(); p != nil && p.Result != nil {
			els = p.Result.Elements
		}
		for _, el := range els {
			if el == nil || el.Kind != LibraryPanelKind {
				continue
			}
			out = append(out, libraryPanelOf(el))
		}
		if len(els) < libraryPageSize {
			break
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := range out {
		if out[i].ConnectedDashboards == nil {
			continue // the list said none
		}
		g.Go(func() (err error) {
			out[i].ConnectedDashboards, err = c.LibraryPanelConnections(gctx, out[i].UID)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UID < out[j].UID })
	return out, nil
}

// libraryPanelOf converts Grafana's element DTO. ConnectedDashboards is an
// empty non-nil slice when meta counts connections (to be read), nil when
// it counts none.
func libraryPanelOf(el *models.LibraryElementDTO) LibraryPanel {
	model, _ := el.Model.(map[string]any)
	p := LibraryPanel{UID: el.UID, Name: el.Name, FolderUID: el.FolderUID, Model: model, Version: int(el.Version)}
	if p.FolderUID == "general" {
		p.FolderUID = ""
	}
	if el.Meta != nil && el.Meta.ConnectedDashboards > 0 {
		p.ConnectedDashboards = []string{}
	}
	return p
}

// GetLibraryPanel reads one library panel (connections not included).
func (c *Client) GetLibraryPanel(ctx context.Context, uid string) (LibraryPanel, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return LibraryPanel{}, err
	}
	defer release()
	ok, err := c.api.LibraryElements.GetLibraryElementByUIDWithParams(library_elements.NewGetLibraryElementByUIDParamsWithContext(ctx).WithLibraryElementUID(uid))
	if err != nil {
		return LibraryPanel{}, c.wrap(err, "read library panel "+uid)
	}
	p := ok.GetPayload()
	if p == nil || p.Result == nil {
		return LibraryPanel{}, fmt.Errorf("read library panel %s: grafana returned no element", uid)
	}
	lp := libraryPanelOf(p.Result)
	lp.ConnectedDashboards = nil
	return lp, nil
}

// LibraryPanelConnections names the dashboards connected to library panel
// uid, sorted ("id N" where Grafana gives no connectionUid).
func (c *Client) LibraryPanelConnections(ctx context.Context, uid string) ([]string, error) {
	release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	ok, err := c.api.LibraryElements.GetLibraryElementConnectionsWithParams(library_elements.NewGetLibraryElementConnectionsParamsWithContext(ctx).WithLibraryElementUID(uid))
	if err != nil {
		return nil, c.wrap(err, "read the connections of library panel "+uid)
	}
	out := []string{}
	if p := ok.GetPayload(); p != nil {
		for _, conn := range p.Result {
			switch {
			case conn == nil:
			case conn.ConnectionUID != "":
				out = append(out, conn.ConnectionUID)
			default:
				out = append(out, "id "+strconv.FormatInt(conn.ConnectionID, 10))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// LibraryPanelSpec is what grafsync writes for a library panel.
type LibraryPanelSpec struct {
	UID, Name, FolderUID string // FolderUID "" = General
	Model                map[string]any
}

// CreateLibraryPanel creates a library panel.
func (c *Client) CreateLibraryPanel(ctx context.Context, s LibraryPanelSpec) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.LibraryElements.CreateLibraryElementWithParams(library_elements.NewCreateLibraryElementParamsWithContext(ctx).
		WithBody(&models.CreateLibraryElementCommand{UID: s.UID, Name: s.Name, FolderUID: s.FolderUID, Kind: LibraryPanelKind, Model: s.Model}))
	return c.wrap(err, "create library panel "+s.UID)
}

// UpdateLibraryPanel replaces library panel uid, whose live version is
// version: Grafana requires it and refuses a stale one with 412 (§10).
func (c *Client) UpdateLibraryPanel(ctx context.Context, s LibraryPanelSpec, version int) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	// The command omits an empty folderUid, which keeps the folder:
	// "general" names the General folder.
	folder := s.FolderUID
	if folder == "" {
		folder = "general"
	}
	_, err = c.api.LibraryElements.UpdateLibraryElementWithParams(library_elements.NewUpdateLibraryElementParamsWithContext(ctx).
		WithLibraryElementUID(s.UID).
		WithBody(&models.PatchLibraryElementCommand{UID: s.UID, Name: s.Name, FolderUID: folder, Kind: LibraryPanelKind, Model: s.Model, Version: int64(version)}))
	return c.wrap(err, "update library panel "+s.UID)
}

// DeleteLibraryPanel deletes a library panel. Grafana refuses (403) while a
// dashboard is connected to it.
func (c *Client) DeleteLibraryPanel(ctx context.Context, uid string) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.api.LibraryElements.DeleteLibraryElementByUIDWithParams(library_elements.NewDeleteLibraryElementByUIDParamsWithContext(ctx).WithLibraryElementUID(uid))
	return c.wrap(err, "delete library panel "+uid)
}

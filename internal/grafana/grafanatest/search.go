package grafanatest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Search limits of reference §4 and §12.
const (
	defaultSearchLimit = 1000
	maxSearchLimit     = 5000
)

// searchRoutes: reference §4.
//
// Visibility follows the role model: Viewer sees everything in the org,
// permission=Edit needs Editor; role None sees nothing. Folder and dashboard
// permission entries are not consulted. No stars exist, so starred=true
// finds nothing and isStarred is always false.
func (e *Emulator) searchRoutes() {
	e.read("GET /api/search", e.search)
}

// searchEntry is what search knows of a dashboard. In 12.x mode search is
// eventually consistent (§4, §13): a dashboard written less than Options.SearchLag
// ago shows the entry it had before its latest burst of writes (a burst is
// writes less than the lag apart), or nothing if it was created in that burst.
// Deletes reach search at once. Time has the emulator clock's 1 s resolution.
type searchEntry struct {
	title       string
	tags        []string
	folderUID   string
	description string
}

func (d *dashboard) searchEntry() *searchEntry {
	tags := d.tags
	if tags == nil {
		tags = []string{}
	}
	return &searchEntry{title: d.title, tags: tags, folderUID: d.folderUID, description: d.description}
}

// searchLagging reports whether d's latest write has not reached search yet.
func (e *Emulator) searchLagging(d *dashboard) bool {
	return e.lag > 0 && e.now().Sub(d.searchAt) < e.lag
}

// searchView is d as search sees it now; nil when d is not visible yet.
func (e *Emulator) searchView(d *dashboard) *searchEntry {
	if e.version.UnifiedStorage() && e.searchLagging(d) {
		return d.searchPrev
	}
	return d.searchEntry()
}

// searchHit is a hit item of §4. Folder fields are omitted at the root;
// description only appears in 12.x.
type searchHit struct {
	ID          int64    `json:"id"`
	UID         string   `json:"uid"`
	OrgID       int64    `json:"orgId"`
	Title       string   `json:"title"`
	URI         string   `json:"uri"`
	URL         string   `json:"url"`
	Slug        string   `json:"slug"`
	Type        string   `json:"type"`
	Tags        []string `json:"tags"`
	IsStarred   bool     `json:"isStarred"`
	FolderID    int64    `json:"folderId,omitempty"`
	FolderUID   string   `json:"folderUid,omitempty"`
	FolderTitle string   `json:"folderTitle,omitempty"`
	FolderURL   string   `json:"folderUrl,omitempty"`
	SortMeta    int64    `json:"sortMeta"`
	Description string   `json:"description,omitempty"`
}

const (
	hitDashboard = "dash-db"
	hitFolder    = "dash-folder"
)

// searchQuery is the parsed query string of §4. A nil set means "no filter".
type searchQuery struct {
	query      string // lower-cased
	tags       []string
	typ        string // "", dash-db or dash-folder
	uids       map[string]bool
	ids        map[int64]bool
	folderUIDs map[string]bool // "" is the root
	folderIDs  map[int64]bool  // 0 is the root
	starred    bool
	deleted    bool
	limit      int
	page       int
	sort       string
	minRole    string
}

// search is GET /api/search (§4): checks in the handler's order (deleted
// for a non-Admin, limit, UIDs with IDs, for dashboards or for folders, then
// a failing search for an unknown type in 12.x), then filter, order, page.
func (e *Emulator) search(c *call) {
	// pkg/api/search.go Search: deleted=true needs the org role Admin, else
	// 401 "Unauthorized" (audit row 35, id 18052720008). There is no deleted
	// dashboard to list, so an Admin gets [].
	if c.r.URL.Query().Get("deleted") == "true" && c.id.role != "Admin" {
		errMessage(c.w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	q, ok := e.parseSearch(c.w, c.r)
	if !ok {
		return
	}
	hits := []searchHit{}
	if c.id.atLeast(q.minRole) && !q.starred && !q.deleted {
		hits = e.searchHits(c.org(), q)
	}
	sortHits(hits, q.sort)
	from, to := pageBounds(len(hits), q.page, q.limit)
	writeJSON(c.w, http.StatusOK, hits[from:to])
}

func (e *Emulator) parseSearch(w http.ResponseWriter, r *http.Request) (searchQuery, bool) {
	v := r.URL.Query()
	q := searchQuery{
		query:   strings.ToLower(v.Get("query")),
		tags:    v["tag"],
		typ:     v.Get("type"),
		starred: v.Get("starred") == "true",
		deleted: v.Get("deleted") == "true",
		sort:    v.Get("sort"),
		minRole: "Viewer",
	}
	q.limit, _ = strconv.Atoi(v.Get("limit"))
	if q.limit > maxSearchLimit {
		errMessage(w, http.StatusUnprocessableEntity, "Limit is above maximum allowed (5000), use page parameter to access hits beyond limit")
		return q, false
	}
	if q.limit <= 0 {
		q.limit = defaultSearchLimit
	}
	q.page, _ = strconv.Atoi(v.Get("page"))
	q.page = max(q.page, 1)
	if v.Get("permission") == "Edit" {
		q.minRole = "Editor"
	}
	uids := v["dashboardUIDs"]
	if len(uids) == 0 {
		uids = v["dashboardUID"]
	}
	ids := parseIDs(v["dashboardIds"])
	folderIDs := parseIDs(v["folderIds"])
	if len(uids) > 0 && len(ids) > 0 || len(v["folderUIDs"]) > 0 && len(folderIDs) > 0 {
		errMessage(w, http.StatusBadRequest, "search supports UIDs or IDs, not both")
		return q, false
	}
	if len(uids) > 0 {
		q.uids = map[string]bool{}
		for _, u := range uids {
			q.uids[u] = true
		}
	}
	if len(ids) > 0 {
		q.ids = map[int64]bool{}
		for _, id := range ids {
			q.ids[id] = true
		}
	}
	if f, ok := v["folderUIDs"]; ok {
		q.folderUIDs = map[string]bool{}
		for _, u := range f {
			if u == "general" {
				u = ""
			}
			q.folderUIDs[u] = true
		}
	}
	if len(folderIDs) > 0 {
		q.folderIDs = map[int64]bool{}
		for _, id := range folderIDs {
			q.folderIDs[id] = true
		}
	}
	switch q.typ {
	case "", hitDashboard, hitFolder:
	default:
		if e.version.UnknownSearchTypeFails() {
			errMessage(w, http.StatusInternalServerError, "Search failed")
			return q, false
		}
		q.typ = "" // before 12.x an unknown type filters nothing
	}
	return q, true
}

// parseIDs keeps the values that are integers, as Grafana does.
func parseIDs(values []string) []int64 {
	var out []int64
	for _, s := range values {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// searchHits lists every folder and dashboard of o that q matches, unordered.
func (e *Emulator) searchHits(o *org, q searchQuery) []searchHit {
	hits := []searchHit{}
	if q.typ != hitDashboard && len(q.tags) == 0 {
		for _, f := range o.folders {
			if e.folderMatches(o, f, q) {
				hits = append(hits, folderHit(o, f))
			}
		}
	}
	if q.typ != hitFolder {
		for _, d := range o.dashboards {
			if s := e.searchView(d); s != nil && dashboardMatches(o, d, s, q) {
				hits = append(hits, e.dashboardHit(o, d, s))
			}
		}
	}
	return hits
}

func (e *Emulator) folderMatches(o *org, f *folder, q searchQuery) bool {
	if q.uids != nil && !q.uids[f.uid] || q.ids != nil && !q.ids[f.id] {
		return false
	}
	if !strings.Contains(strings.ToLower(f.title), q.query) {
		return false
	}
	if q.folderUIDs != nil && !q.folderUIDs[f.parentUID] {
		return false
	}
	if q.folderIDs != nil {
		// §4: 12.x answers folderIds + type=dash-folder with the folders themselves.
		if e.version.UnifiedStorage() && q.typ == hitFolder {
			return q.folderIDs[f.id]
		}
		return q.folderIDs[folderIDOf(o, f.parentUID)]
	}
	return true
}

func dashboardMatches(o *org, d *dashboard, s *searchEntry, q searchQuery) bool {
	if q.uids != nil && !q.uids[d.uid] || q.ids != nil && !q.ids[d.id] {
		return false
	}
	if !strings.Contains(strings.ToLower(s.title), q.query) {
		return false
	}
	for _, t := range q.tags {
		if !slices.Contains(s.tags, t) {
			return false
		}
	}
	if q.folderUIDs != nil && !q.folderUIDs[s.folderUID] {
		return false
	}
	if q.folderIDs != nil && !q.folderIDs[folderIDOf(o, s.folderUID)] {
		return false
	}
	return true
}

// folderIDOf is the id of folder uid; 0 for the root.
func folderIDOf(o *org, uid string) int64 {
	if f := o.folders[uid]; f != nil {
		return f.id
	}
	return 0
}

func folderHit(o *org, f *folder) searchHit {
	slug := slugify(f.title)
	h := searchHit{
		ID: f.id, UID: f.uid, OrgID: o.id, Title: f.title, URI: "db/" + slug, URL: folderURL(f),
		Slug: slug, Type: hitFolder, Tags: []string{},
	}
	if p := o.folders[f.parentUID]; p != nil {
		h.FolderID, h.FolderUID, h.FolderTitle, h.FolderURL = p.id, p.uid, p.title, folderURL(p)
	}
	return h
}

func (e *Emulator) dashboardHit(o *org, d *dashboard, s *searchEntry) searchHit {
	slug := slugify(s.title)
	h := searchHit{
		ID: d.id, UID: d.uid, OrgID: o.id, Title: s.title, URI: "db/" + slug, URL: dashboardURL(d.uid, slug),
		Slug: slug, Type: hitDashboard, Tags: s.tags,
	}
	if f := o.folders[s.folderUID]; f != nil {
		h.FolderID, h.FolderUID, h.FolderTitle, h.FolderURL = f.id, f.uid, f.title, folderURL(f)
	}
	if e.version.UnifiedStorage() {
		h.Description = s.description
	}
	return h
}

// sortHits orders hits: by default folders first, then dashboards, each
// case-insensitively by title; alpha-asc and alpha-desc order all hits by
// title alone. Ties fall back to uid so pages are stable.
func sortHits(hits []searchHit, sortBy string) {
	byTitle := func(a, b searchHit) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title)), strings.Compare(a.UID, b.UID))
	}
	switch sortBy {
	case "alpha-asc":
		slices.SortFunc(hits, byTitle)
	case "alpha-desc":
		slices.SortFunc(hits, func(a, b searchHit) int { return byTitle(b, a) })
	default:
		slices.SortFunc(hits, func(a, b searchHit) int {
			return cmp.Or(cmp.Compare(typeRank(a.Type), typeRank(b.Type)), byTitle(a, b))
		})
	}
}

func typeRank(t string) int {
	if t == hitFolder {
		return 0
	}
	return 1
}

package grafanatest

import (
	"encoding/json"
	"sync/atomic"
	"time"
)

// store is the shared database of all replicas. Every field is guarded by
// Emulator.mu. Ids come from one sequence per table, as SQL auto-increment
// columns do; dashboards and folders share a table (and so an id sequence and
// a uid space) as in Grafana's legacy schema.
type store struct {
	nextDashboardID  int64
	nextUserID       int64
	nextOrgID        int64
	nextTeamID       int64
	nextDatasourceID int64
	nextPermissionID int64
	nextTokenID      int64
	nextVersionID    int64
	nextLibraryID    int64 // library elements and their connections (libraryelements.go)

	orgs   map[int64]*org
	users  map[int64]*user   // users and service accounts: one table, as in Grafana
	tokens map[string]*token // by sha256 of the key; the key itself is never stored
	dbDown bool              // when true, /api/health reports the database failing
}

// org holds everything Grafana scopes to an organization: uids and names are
// unique per org, and the same uid may exist in two orgs (§1.2).
type org struct {
	id      int64
	name    string
	address map[string]string
	members map[int64]string // user id → org role (Viewer, Editor, Admin, None)
	// library elements by uid; nil until first used (libraryelements.go).
	library map[string]*libraryElement

	folders     map[string]*folder     // by uid
	dashboards  map[string]*dashboard  // by uid
	datasources map[string]*datasource // by uid
	teams       map[int64]*team
	prefs       preferences
	alerting    *alertingStore // made with the org (newAlertingStore); see alerting.go
}

type user struct {
	id             int64
	uid            string
	login          string
	email          string
	name           string
	password       string
	serverAdmin    bool
	serviceAccount bool
	disabled       bool
	orgID          int64 // a user's current org; a service account's only org
	created        time.Time
	updated        time.Time
	prefs          map[int64]*preferences // per org (§7.3 /api/user/preferences); appended by the orgs area
}

// token is a service-account token. Only the sha256 of the key is kept.
type token struct {
	id      int64
	name    string
	saID    int64
	hash    string
	created time.Time
	expires time.Time // zero: never
	revoked bool
	// lastUsed is unix seconds; atomic because reads (under the read lock)
	// record it too.
	lastUsed atomic.Int64
}

type folder struct {
	id          int64
	uid         string
	title       string
	description string
	parentUID   string // "" at the root
	version     int
	created     time.Time
	updated     time.Time
	createdBy   int64 // the writer's user id (0: none); rendered by identityName
	updatedBy   int64
	permissions []permission
	// Appended by the apis area (apis.go): writer-set k8s annotations.
	meta objMeta
}

// dashboard is a stored dashboard. data is the stored JSON with id, uid,
// version and title already rewritten by the server (§3.1); it is immutable
// once stored: a save replaces it, never edits it in place.
type dashboard struct {
	id                    int64
	uid                   string
	title                 string
	folderUID             string // "" at the root (General)
	data                  json.RawMessage
	version               int
	created               time.Time
	updated               time.Time
	createdBy             int64 // the writer's user id (0: none); rendered by identityName
	updatedBy             int64
	provisioned           bool
	provisionedExternalID string
	pluginID              string
	versions              []dashboardVersion // oldest first
	permissions           []permission
	// Appended by the dashboards area (dashboards.go, search.go).
	tags        []string     // data's "tags": sorted, de-duplicated, never nil after a save
	description string       // data's "description" (12.x search hits)
	searchPrev  *searchEntry // what 12.x search shows until searchAt+lag; nil: not yet visible (§4, §13)
	searchAt    time.Time    // when the latest write happened
	// Appended by the apis area (apis.go, apis_dashboards.go).
	meta objMeta
	// v2 is the schema v2 spec when the dashboard is stored as v2 (a UI save
	// with dynamic dashboards, or a write through a v2 API); nil for v0/v1.
	// storedVersion is then the API version it was written with.
	v2            json.RawMessage
	storedVersion string
}

type dashboardVersion struct {
	id            int64
	parentVersion int
	restoredFrom  int
	version       int
	created       time.Time
	createdBy     int64 // the writer's user id (0: none); rendered by identityName
	message       string
	data          json.RawMessage
}

// permission is one managed folder or dashboard permission entry: exactly one
// of userID, teamID and role is set.
type permission struct {
	id         int64
	userID     int64
	teamID     int64
	role       string
	permission int // 1 View, 2 Edit, 4 Admin
	created    time.Time
	updated    time.Time
}

type datasource struct {
	id              int64
	uid             string
	name            string
	typ             string
	access          string
	url             string
	user            string
	database        string
	basicAuth       bool
	basicAuthUser   string
	withCredentials bool
	isDefault       bool
	jsonData        map[string]any
	secureJSON      map[string]string // never returned by any route
	version         int
	readOnly        bool // provisioned

	// Appended by the datasources area.
	secretWrites map[string]int // per secureJsonData key: creates/updates that set or cleared it; test-only
}

type team struct {
	id      int64
	uid     string
	name    string
	email   string
	members map[int64]int // user id → team permission (0 member, 4 admin)
	created time.Time
	updated time.Time
	prefs   preferences // §7.3 /api/teams/:id/preferences; appended by the orgs area
}

type preferences struct {
	Theme            string `json:"theme"`
	HomeDashboardUID string `json:"homeDashboardUID"`
	Timezone         string `json:"timezone"`
	WeekStart        string `json:"weekStart"`
	Language         string `json:"language"`
	// Appended by the orgs area (§7.3). Grafana stores the home dashboard by
	// id and resolves its uid on read, so HomeDashboardID is authoritative and
	// HomeDashboardUID is only the uid it had when it was set.
	HomeDashboardID     int64    `json:"homeDashboardId"`
	RegionalFormat      string   `json:"regionalFormat"`
	QueryHistoryHomeTab string   `json:"-"`
	NavbarBookmarkURLs  []string `json:"-"`
	Cookies             []string `json:"-"`
}

func newStore() *store {
	return &store{orgs: map[int64]*org{}, users: map[int64]*user{}, tokens: map[string]*token{}}
}

func (s *store) addOrg(name string) *org {
	s.nextOrgID++
	o := &org{
		id:          s.nextOrgID,
		name:        name,
		address:     map[string]string{"address1": "", "address2": "", "city": "", "zipCode": "", "state": "", "country": ""},
		members:     map[int64]string{},
		folders:     map[string]*folder{},
		dashboards:  map[string]*dashboard{},
		datasources: map[string]*datasource{},
		teams:       map[int64]*team{},
		alerting:    newAlertingStore(),
	}
	s.orgs[o.id] = o
	return o
}

func (s *store) orgByName(name string) *org {
	for _, o := range s.orgs {
		if o.name == name {
			return o
		}
	}
	return nil
}

func (s *store) userByLogin(loginOrEmail string) *user {
	for _, u := range s.users {
		if !u.serviceAccount && (u.login == loginOrEmail || (u.email != "" && u.email == loginOrEmail)) {
			return u
		}
	}
	return nil
}

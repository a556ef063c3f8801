package resource

import (
	"encoding/json"
	"fmt"
)

// Pos is a position in the repository: a slash-separated path relative to the
// repository root, and a 1-based line and column. Line 0 means the whole file
// (or directory).
type Pos struct {
	File      string
	Line, Col int
}

// String renders file:line:col, or just file when the line is unknown.
func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// State is the whole desired state read from one revision of a repository.
type State struct {
	// Revision identifies the snapshot (a commit hash); empty for a plain directory.
	Revision string
	// Orgs in the order the org config lists them; the first is the default org.
	Orgs []*Org
}

// Org is one Grafana organization and everything the repository manages in it.
type Org struct {
	Name string
	// ID is the Grafana org id when the config pins it; 0 means look it up by Name.
	ID int64
	// Dir is the repository directory holding this org's dashboards/ and
	// datasources/ ("." for the first org).
	Dir string

	// Folders lists parents before children.
	Folders     []*Folder
	Dashboards  []*Dashboard
	Datasources []*Datasource
	// LibraryPanels are the *.libpanel.json files under dashboards/.
	LibraryPanels []*LibraryPanel
	// DeleteDatasources are the provisioning files' deleteDatasources entries.
	DeleteDatasources []DatasourceRef
	// PruneDatasources is true when a provisioning file says prune: true.
	PruneDatasources bool
	// External datasources exist only in live Grafana; the repository declares
	// them so references to them validate. They are never created or changed.
	External []ExternalDatasource

	// Teams nil means the repository does not manage teams in this org.
	Teams []*Team
	// Preferences nil means the org preferences are not managed.
	Preferences *Preferences
	// Alerting nil means the org has no alerting/ directory: grafsync
	// leaves its alerting alone.
	Alerting *Alerting

	Source Pos
}

// Folder is a dashboards/ directory.
type Folder struct {
	UID   string
	Title string
	// ParentUID is empty for a folder at the root.
	ParentUID string
	// Path is the directory relative to the org's dashboards/ ("platform/ecs").
	Path string
	// Permissions nil means _folder.yaml sets none and live permissions are
	// left alone; an empty non-nil slice means "no managed permissions".
	Permissions []Permission
	// Source is the _folder.yaml, or the directory itself when there is none.
	Source Pos
}

// Dashboard is one file under dashboards/.
type Dashboard struct {
	UID   string
	Title string
	// FolderUID is empty for the General (root) folder.
	FolderUID string
	// Path is the file relative to the org's dashboards/ ("platform/ecs.json").
	Path string
	// JSON is the dashboard JSON, canonical (jsonc.Canonical: compact, keys
	// sorted, numbers as written in the file), with id, __inputs, __requires and
	// __elements removed and ${DS_X} inputs replaced by datasource uids; its
	// "uid" and "title" equal UID and Title. It is kept encoded, not as a map,
	// because a map costs about four times the bytes and a repository may hold
	// thousands of dashboards; Decode it where a map is needed.
	JSON json.RawMessage
	// LibraryPanels are the library panels its panels (and rows' panels)
	// use, each with the position of its libraryPanel.uid.
	LibraryPanels []LibraryPanelRef
	// Source is the file (line 0).
	Source Pos
	// SourceHash is the file's git blob id (the SHA-1 `git hash-object`
	// prints, of the bytes as stored), written on Grafana 12/13 as the
	// dashboard's grafana.app/sourceHash annotation (docs/apis.md).
	SourceHash string
}

// LibraryPanelRef is a dashboard panel's libraryPanel reference.
type LibraryPanelRef struct {
	UID    string
	Source Pos
}

// LibraryPanel is one <name>.libpanel.json file under dashboards/: a
// Grafana library element of kind 1 (a panel) in the folder of its
// directory. Library panel uids are unique within an org (their own
// namespace, apart from dashboards and folders); names within a folder.
type LibraryPanel struct {
	UID, Name string
	// FolderUID is empty for the General (root) folder.
	FolderUID string
	// Path is the file relative to the org's dashboards/.
	Path string
	// Model is the panel model, as the file gives it.
	Model  map[string]any
	Source Pos
}

// Datasource is one entry of a datasources/ provisioning file, with
// environment references expanded.
type Datasource struct {
	UID, Name, Type, Access, URL, User, Database, BasicAuthUser string
	BasicAuth, WithCredentials, IsDefault, Editable             bool
	// EditableSet: the file writes editable out (Grafana's provisioning
	// makes a datasource read-only unless editable is true).
	EditableSet bool
	JSONData    map[string]any
	// Secure holds secureJsonData; values are never printed.
	Secure map[string]Secret
	Source Pos
}

// DatasourceRef names a datasource to delete (provisioning deleteDatasources).
type DatasourceRef struct {
	Name   string
	OrgID  int64
	Source Pos
}

// ExternalDatasource is a datasource that exists only in live Grafana.
// UID or Name is set; Type may be empty (unknown).
type ExternalDatasource struct {
	UID, Name, Type string
	Source          Pos
}

// Permission is one folder permission entry: exactly one of Role, Team, User.
type Permission struct {
	Role string // Viewer or Editor
	Team string // team name
	User string // login or email
	// Permission is View, Edit or Admin.
	Permission string
}

// Team is a team in an org; Members are logins or emails.
type Team struct {
	Name, Email string
	Members     []string
	Source      Pos
	// MemberSources are the positions of Members, index by index.
	MemberSources []Pos
}

// Preferences are an org's preferences; empty strings mean Grafana's default.
type Preferences struct {
	Theme, Timezone, WeekStart, HomeDashboardUID string
	Source                                       Pos
}

// Decode returns the dashboard JSON as a map (a fresh one on every call).
func (d *Dashboard) Decode() (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(d.JSON, &m); err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", d.Path, err)
	}
	return m, nil
}

// ReservedUID is the uid of grafsync's ownership ledger, a dashboard it
// keeps in every org it manages (normalize/ownership.go): no dashboard or
// folder of a repository may use it.
const ReservedUID = "grafsync-ownership"

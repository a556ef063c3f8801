package normalize

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// Folder ownership.
//
// A legacy folder has no field grafsync can write and read back: the
// folder API accepts a description but never returns it (Grafana's
// dtos.Folder; grafana-openapi-client-go models.Folder has no description,
// models.CreateFolderCommand has), and createdBy is no proof: a service
// account shows as "Anonymous" up to 11.4 and by its display name from
// 11.5, and a login shows every folder a person made under it (source
// audit rows 25, 39). So grafsync keeps its own evidence in Grafana, one
// record per org: the ownership ledger, a dashboard with a fixed uid whose
// JSON lists the uids of the folders grafsync created or adopted. It is
// written (with the dashboard version as the lock) before any folder is
// created, and the folders a prune deletes leave it in the same write.
//
// A live folder is managed exactly when its uid is in the ledger. That
// decision is made here and only here (FolderOwnership), so that another
// source of evidence (the /apis manager annotations of 12.x) can be added
// in one place.

// LedgerUID is the uid of the ownership ledger dashboard in every org. The
// repository may not use it (load refuses it).
const LedgerUID = resource.ReservedUID

// ledgerKey is the top-level key of the ledger dashboard's JSON holding the
// record: {"version": 1, "folders": [uid, ...]} (sorted).
const ledgerKey = "grafsyncOwnership"

// ledgerVersion is the format of the record this grafsync reads and writes.
const ledgerVersion = 1

// LedgerTitle is the ledger dashboard's title, as people see it in Grafana.
const LedgerTitle = "grafsync ownership ledger (do not edit)"

// Ledger is the ownership record as Grafana has it in one org.
type Ledger struct {
	Exists  bool
	Version int             // the ledger dashboard's version, for optimistic locking
	Folders map[string]bool // uids of the folders grafsync created or adopted
}

// ParseLedger reads the record out of the ledger dashboard.
func ParseLedger(d grafana.Dashboard) (Ledger, error) {
	l := Ledger{Exists: true, Version: d.Version, Folders: map[string]bool{}}
	var model map[string]any
	_ = json.Unmarshal(d.JSON, &model) // not an object: no record, said below
	rec, _ := model[ledgerKey].(map[string]any)
	list, ok := rec["folders"].([]any)
	if rec == nil || (!ok && rec["folders"] != nil) {
		return l, fmt.Errorf("dashboard %s is grafsync's ownership ledger, but its %q record is missing or damaged (edited by hand?): restore it from the dashboard's version history (Dashboard settings → Versions), or delete the dashboard — grafsync then proves no folder its own and prune keeps every folder until each is recorded again", LedgerUID, ledgerKey)
	}
	if v, _ := rec["version"].(float64); v > ledgerVersion {
		return l, fmt.Errorf("dashboard %s (grafsync's ownership ledger) has format %v, written by a newer grafsync than this one (format %d): upgrade grafsync", LedgerUID, v, ledgerVersion)
	}
	for _, v := range list {
		uid, ok := v.(string)
		if !ok || uid == "" {
			return l, fmt.Errorf("dashboard %s (grafsync's ownership ledger) lists a folder that is not a uid (%v): restore it from the dashboard's version history, or delete it", LedgerUID, v)
		}
		l.Folders[uid] = true
	}
	return l, nil
}

// LedgerModel is the ledger dashboard's JSON recording folders.
func LedgerModel(folders []string) []byte {
	list := make([]any, 0, len(folders))
	for _, uid := range slices.Sorted(slices.Values(folders)) {
		list = append(list, uid)
	}
	b, err := json.Marshal(map[string]any{
		"uid": LedgerUID, "title": LedgerTitle, "tags": []any{"grafsync"},
		"description": "The folders grafsync created or adopted in this org. grafsync --prune deletes only folders listed here; " +
			"a folder not listed is never deleted. Written by grafsync; do not edit.",
		"panels":  []any{},
		ledgerKey: map[string]any{"version": ledgerVersion, "folders": list},
	})
	if err != nil {
		panic(err) // strings and lists only: cannot fail
	}
	return b
}

// LedgerFolders lists the folder uids of an ownership record document (the
// Doc of a plan.Ownership resource), sorted.
func LedgerFolders(doc map[string]any) []string {
	m, _ := doc["folders"].(map[string]any)
	return slices.Sorted(maps.Keys(m))
}

// ledgerDoc is the Doc of a plan.Ownership resource.
func ledgerDoc(folders map[string]bool) map[string]any {
	m := make(map[string]any, len(folders))
	for uid := range folders {
		m[uid] = true
	}
	return map[string]any{"folders": m}
}

// ledgerResource is an org's ownership record as a plan resource.
func ledgerResource(orgID int64, doc map[string]any) plan.Resource {
	return plan.Resource{Kind: plan.Ownership, OrgID: orgID, ID: "folders", Name: "ledger", Doc: doc, Managed: true}
}

// LiveLedger is the live ownership record of an org as a plan resource; nil
// when the ledger does not exist.
func LiveLedger(l Ledger, orgID int64) []plan.Resource {
	if !l.Exists {
		return nil
	}
	r := ledgerResource(orgID, ledgerDoc(l.Folders))
	r.Version = l.Version
	return []plan.Resource{r}
}

// DesiredLedger is the ownership record an org should have: every folder
// the repository declares (a folder in Git is grafsync's from its first
// apply, whoever made it: adoption is explicit), and every recorded folder
// that still exists. A recorded folder that no longer exists (deleted by
// hand, or its create failed) is dropped, so that a folder made later with
// the same uid is not taken for grafsync's. plan.Make removes the folders
// the plan deletes. Nil when there is nothing to record and no ledger
// exists.
func DesiredLedger(o *resource.Org, orgID int64, live Ledger, liveFolders []grafana.Folder) []plan.Resource {
	if len(o.Folders) == 0 && !live.Exists {
		return nil
	}
	exists := make(map[string]bool, len(liveFolders))
	for _, f := range liveFolders {
		exists[f.UID] = true
	}
	folders := map[string]bool{}
	for uid := range live.Folders {
		if exists[uid] {
			folders[uid] = true
		}
	}
	for _, f := range o.Folders {
		folders[f.UID] = true
	}
	return []plan.Resource{ledgerResource(orgID, ledgerDoc(folders))}
}

// FolderOwnership is the evidence of which live folders grafsync made, in
// one org, and the one place that decides it.
type FolderOwnership struct {
	Ledger Ledger
	Me     grafana.Identity // who grafsync runs as: only to explain, never to decide
}

// Decide reports whether grafsync can prove it made f and, when it cannot
// but the folder was created under grafsync's own identity (a person using
// grafsync's login, or a grafsync older than the ledger), why it is kept
// and how to adopt it.
func (o FolderOwnership) Decide(f grafana.Folder) (managed bool, unproven string) {
	if o.Ledger.Folders[f.UID] || ManagedByGrafsync(f.ManagedBy, f.ManagerID) {
		return true, ""
	}
	if !o.looksLikeMine(f.CreatedBy) {
		return false, ""
	}
	if o.typedMine(f.CreatedBy) {
		f.CreatedBy = o.Me.Login // /apis shows "user:<uid>": say who that is
	}
	why := "it is not in grafsync's ownership ledger (dashboard " + LedgerUID + ")"
	if !o.Ledger.Exists {
		why = "the ownership ledger (dashboard " + LedgerUID + ") does not exist in this org: it was never written, or was deleted, so no folder is proven grafsync's"
	}
	return false, fmt.Sprintf("grafsync cannot prove it made this folder: %s. Grafana shows it as created by %q, which is grafsync's identity, but a person using the same login (or a grafsync older than the ledger) shows the same. To let grafsync manage it, declare it in Git (with its uid in _folder.yaml) and apply once; after that, removing it from Git prunes it",
		why, f.CreatedBy)
}

// ManagedByGrafsync reports whether an object read through /apis (Grafana
// 12 and 13) carries grafsync's manager annotations, which grafsync writes on
// everything it creates or updates there (grafana.ManagerKind,
// grafana.ManagerID). On that path they prove ownership of folders, which
// have no free-form field, as the ledger does on /api.
func ManagedByGrafsync(managedBy, managerID string) bool {
	return managedBy == grafana.ManagerKind && managerID == grafana.ManagerID
}

// typedMine: /apis (Grafana 12, 13) shows the creator as a typed identity,
// "user:<uid>" or "service-account:<uid>" (pkg/apimachinery/utils/meta.go).
func (o FolderOwnership) typedMine(createdBy string) bool {
	return o.Me.UID != "" && (createdBy == "user:"+o.Me.UID || createdBy == "service-account:"+o.Me.UID)
}

// looksLikeMine: createdBy is how Grafana shows grafsync's own identity in
// some version — its login (a user), or for a service account its name
// (11.5 and later) or "Anonymous" (before 11.5).
func (o FolderOwnership) looksLikeMine(createdBy string) bool {
	switch {
	case createdBy == "":
		return false
	case o.typedMine(createdBy):
		return true
	case createdBy == o.Me.Login:
		return true
	case strings.HasPrefix(o.Me.Login, "sa-"):
		return createdBy == o.Me.Name || createdBy == "Anonymous"
	}
	return false
}

package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/plan"
)

// Behind a load balancer a write can land and its answer be lost (a replica
// stopped mid-request, a proxy timed out, grafana-api.md §13). The client
// retries, and the retry conflicts with the write itself: a 412 for a
// dashboard or folder, a 409 for a datasource. So a conflict is verified
// before it is reported: when Grafana now holds exactly what the change
// wanted, the change is done; otherwise it is a Conflict and nothing was
// overwritten.

// isRefused reports the 409 and 412 answers a write that already landed
// gets when it is retried: the ones verify looks into.
func isRefused(err error) bool {
	return grafana.IsStatus(err, http.StatusConflict) || grafana.IsStatus(err, http.StatusPreconditionFailed) || libraryPanelExists(err)
}

// libraryPanelExists is Grafana's answer to a library panel create whose
// uid is taken (400, grafana-source-audit.md §4): a retried create that
// landed the first time gets it.
func libraryPanelExists(err error) bool {
	var ae *grafana.APIError
	return errors.As(err, &ae) && ae.Status == http.StatusBadRequest && strings.Contains(ae.Message, "library element with that name or UID already exists")
}

// isVersionConflict reports Grafana's optimistic-locking refusals: the
// resource changed (or was created) since grafsync read it (§3.1, §5.4,
// §6.4). Grafana 13 answers a stale dashboard save with 409 "Dashboard
// already exists. Use overwrite flag to update." (grafana-source-audit.md
// row 3). Other 409/412 answers (a title or name another resource holds,
// a plugin's dashboard) are errors of their own, with Grafana's message.
func isVersionConflict(err error) bool {
	var ae *grafana.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Status {
	case http.StatusPreconditionFailed:
		return ae.Reason == "version-mismatch" || ae.Reason == ""
	case http.StatusConflict:
		// /apis (Grafana 12, 13): a stale resourceVersion is the k8s
		// Conflict, a create over an existing object AlreadyExists (audit §3).
		if ae.Reason == "Conflict" || ae.Reason == "AlreadyExists" {
			return true
		}
		return strings.Contains(ae.Message, "updated by someone else") ||
			strings.Contains(ae.Message, "Use overwrite flag to update")
	}
	return false
}

// isMaxDepth reports Grafana's refusal of a folder level
// (folder.maximum-depth-reached, "Maximum nested folder depth reached";
// grafana-source-audit.md rows 40, 46). The errutil body's messageId is not
// kept by the API client, so the message decides.
func isMaxDepth(err error) bool {
	var ae *grafana.APIError
	return errors.As(err, &ae) && ae.Status == http.StatusBadRequest &&
		strings.Contains(strings.ToLower(ae.Message), "maximum nested folder depth")
}

// depthError says at which level Grafana refused the folder (run names the
// folder) and why the limit may differ from the one grafsync validate checks.
func depthError(ch plan.Change, err error) error {
	return fmt.Errorf("level %d (a top-level folder is level 1) is deeper than this Grafana allows: "+
		"Grafana allows a top-level folder plus 4 nested levels by default, 12.0-12.1 one level less (12.2 for moves), "+
		"and its [folder] max_nested_folder_depth may set another limit; move the folder up in the repository or raise the setting: %w",
		ch.After.Depth, err)
}

// verify reads the change's resource back and reports whether Grafana holds
// what the change wanted. A datasource create that landed but that Grafana
// made the default (§6.3) is corrected here, as after any create.
func (a *applier) verify(ctx context.Context, ch plan.Change) (bool, error) {
	want := ch.After
	live, ok, err := a.readBack(ctx, want)
	if err != nil || !ok {
		return false, err
	}
	diff, err := plan.DiffResources(live, want)
	if err != nil {
		return false, err
	}
	if want.Kind == plan.Datasource && ch.Action == plan.Create && len(diff) == 1 && diff[0].Path == "isDefault" {
		spec, err := a.datasourceSpec(plan.Change{Action: plan.Update, Before: live, After: want})
		if err != nil {
			return false, err
		}
		return true, a.c.UpdateDatasource(ctx, live.ID, spec, live.Version)
	}
	return len(diff) == 0, nil
}

// readBack reads one resource as plan saw it, normalized by the same code;
// ok is false when Grafana does not have it.
func (a *applier) readBack(ctx context.Context, r *plan.Resource) (*plan.Resource, bool, error) {
	var out []plan.Resource
	var err error
	switch r.Kind {
	case plan.Folder:
		var f grafana.Folder
		if f, err = a.c.GetFolder(ctx, r.ID); err == nil {
			out = normalize.LiveFolders([]grafana.Folder{f}, r.OrgID, normalize.FolderOwnership{})
		}
	case plan.Dashboard:
		var d grafana.Dashboard
		if d, err = a.c.GetDashboard(ctx, r.ID); err == nil {
			var one plan.Resource
			if one, err = normalize.LiveDashboard(d, r.OrgID); err == nil {
				out = []plan.Resource{one}
			}
		}
	case plan.LibraryPanel:
		var p grafana.LibraryPanel
		if p, err = a.c.GetLibraryPanel(ctx, r.ID); err == nil {
			out = normalize.LiveLibraryPanels([]grafana.LibraryPanel{p}, r.OrgID)
		}
	case plan.Datasource:
		var d grafana.Datasource
		if name, byName := strings.CutPrefix(r.ID, "name:"); byName {
			d, err = a.c.GetDatasourceByName(ctx, name)
		} else {
			d, err = a.c.GetDatasource(ctx, r.ID)
		}
		if err == nil {
			out = normalize.LiveDatasources([]grafana.Datasource{d}, r.OrgID)
		}
	}
	if grafana.IsStatus(err, http.StatusNotFound) || (err == nil && len(out) == 0) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &out[0], true, nil
}

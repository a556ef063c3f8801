package grafanatest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
)

type folderSpec struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// foldersAPI serves /apis/folder.grafana.app/<version>/namespaces/<ns>/folders
// (audit §3). The parent is the grafana.app/folder annotation; writes follow
// the legacy rules (uid, title, depth, permissions on the parent).
func (e *Emulator) foldersAPI(k *apiCall, verb string) {
	o := k.org()
	switch verb {
	case "list":
		fs := make([]*folder, 0, len(o.folders))
		for _, f := range o.folders {
			if k.folderAccess(f) >= permView {
				fs = append(fs, f)
			}
		}
		listSorted(k, "Folder", fs, func(f *folder) int64 { return f.id }, func(f *folder) json.RawMessage { return e.folderObject(k, f) })
	case "get":
		f := o.folders[k.name]
		if f == nil || k.folderAccess(f) < permView {
			e.apisNotFound(k, "folders")
			return
		}
		writeRaw(k.w, http.StatusOK, e.folderObject(k, f))
	case "create", "update":
		e.writeFolderAPI(k, verb)
	case "delete":
		f := o.folders[k.name]
		if f == nil {
			e.apisNotFound(k, "folders")
			return
		}
		if k.folderAccess(f) < permEdit {
			e.folderForbidden(k, verb)
			return
		}
		// As the legacy delete (deleteFolder): a connected library panel
		// anywhere below refuses the whole delete; the others go with it.
		if !e.deleteFolderTreeLocked(o, f.uid) {
			k8sStatus(k.w, http.StatusForbidden, "Forbidden", msgLibraryFolderInUse, k.details("Folder"))
			return
		}
		e.apisDeleted(k, "folders", f.uid)
	}
}

func (e *Emulator) folderForbidden(k *apiCall, verb string) {
	k8sStatus(k.w, http.StatusForbidden, "Forbidden", fmt.Sprintf("folders.%s is forbidden: you do not have permission to %s folders", folderGroup, verb), k.details("Folder"))
}

func (e *Emulator) writeFolderAPI(k *apiCall, verb string) {
	obj, ok := decodeK8sObject(k)
	if !ok {
		return
	}
	o := k.org()
	var spec folderSpec
	if len(obj.Spec) > 0 {
		if err := json.Unmarshal(obj.Spec, &spec); err != nil {
			k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "spec: "+err.Error(), k.details("Folder"))
			return
		}
	}
	parentUID := obj.Metadata.Annotations[annoFolder]
	if !e.nested {
		parentUID = ""
	}
	parent := o.folders[parentUID]
	var existing *folder
	if verb == "create" {
		k.name = obj.Metadata.Name
		if k.name == "" && obj.Metadata.GenerateName != "" {
			k.name = obj.Metadata.GenerateName + e.uids.next()[:5]
		}
		if k.name == "" {
			k8sStatus(k.w, http.StatusUnprocessableEntity, "Invalid", "metadata.name: Required value: name or generateName is required", k.details("Folder"))
			return
		}
		if k.folderAccess(parent) < permEdit {
			e.folderForbidden(k, verb)
			return
		}
		if o.folders[k.name] != nil || o.dashboards[k.name] != nil {
			k8sStatus(k.w, http.StatusConflict, "AlreadyExists", fmt.Sprintf("folders.%s %q already exists", folderGroup, k.name), k.details("Folder"))
			return
		}
		if msg := uidProblem(k.name); msg != "" {
			k8sStatus(k.w, http.StatusBadRequest, "BadRequest", msg, k.details("Folder"))
			return
		}
	} else {
		if existing = o.folders[k.name]; existing == nil {
			e.apisNotFound(k, "folders")
			return
		}
		if k.folderAccess(existing) < permEdit {
			e.folderForbidden(k, verb)
			return
		}
		if rv := obj.Metadata.ResourceVersion; rv != "" && rv != strconv.Itoa(existing.version) {
			k8sConflict(k, "folders")
			return
		}
	}
	if !checkManager(k, obj.Metadata.Annotations) {
		return
	}
	title := strings.TrimSpace(spec.Title)
	if title == "" {
		k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "folder title cannot be empty", k.details("Folder"))
		return
	}
	if parentUID != "" && parent == nil {
		k8sStatus(k.w, http.StatusNotFound, "NotFound", folderNotFound, k.details("Folder"))
		return
	}
	moving := existing != nil && existing.parentUID != parentUID
	if moving {
		if k.folderAccess(parent) < permEdit {
			e.folderForbidden(k, verb)
			return
		}
		if parentUID == existing.uid || e.isDescendant(o, parentUID, existing.uid) {
			k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "Circular reference detected", k.details("Folder"))
			return
		}
	}
	height := 0
	if existing != nil {
		height = e.folderHeight(o, existing.uid)
	}
	if (existing == nil || moving) && e.folderLevel(o, parentUID)+1+height > e.maxFolderLevel(moving) {
		k8sStatus(k.w, http.StatusBadRequest, "BadRequest", "Maximum nested folder depth reached", k.details("Folder"))
		return
	}
	self := ""
	if existing != nil {
		self = existing.uid
	}
	if existing == nil || moving || existing.title != title {
		if status, msg := e.titleClash(o, self, parentUID, title); status != 0 {
			k8sStatus(k.w, status, "BadRequest", msg, k.details("Folder"))
			return
		}
	}
	f := existing
	status := http.StatusOK
	if f == nil {
		f = e.addFolderLocked(o, k.name, title, spec.Description, parentUID, k.id.user)
		status = http.StatusCreated
	} else {
		f.title, f.description, f.parentUID = title, spec.Description, parentUID
		e.touchFolder(f, k.id.user)
	}
	f.meta.annotations = keepClientAnnotations(obj.Metadata.Annotations)
	writeRaw(k.w, status, e.folderObject(k, f))
}

// folderObject renders a folder as the k8s object of k's version.
func (e *Emulator) folderObject(k *apiCall, f *folder) json.RawMessage {
	meta, _ := e.k8sMetadata(k, legacyRow{
		uid: f.uid, id: f.id, version: f.version, folder: f.parentUID,
		created: f.created, updated: f.updated, createdBy: f.createdBy, updatedBy: f.updatedBy,
		kept: f.meta.annotations,
	})
	b, err := json.Marshal(map[string]any{"kind": "Folder", "apiVersion": folderGroup + "/" + k.version, "metadata": meta,
		"spec": folderSpec{Title: f.title, Description: f.description}, "status": map[string]any{}})
	if err != nil {
		panic(fmt.Sprintf("folder %s: encode: %v", f.uid, err))
	}
	return b
}

// FolderAnnotations returns the writer-set annotations (manager, source) of a folder.
func (e *Emulator) FolderAnnotations(orgID int64, uid string) map[string]string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := map[string]string{}
	if o := e.st.orgs[orgID]; o != nil && o.folders[uid] != nil {
		maps.Copy(out, o.folders[uid].meta.annotations)
	}
	return out
}

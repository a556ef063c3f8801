package grafanatest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
)

// The error body shapes of reference §0.1. Clients match on status first,
// then "status", then "message"; each helper produces exactly one shape.

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"message":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// writeRaw writes an already-encoded JSON body.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// errMessage is response.Error: {"message": msg}.
func errMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg})
}

// errStatus is the dashboard/folder apierrors shape: {"message", "status"}.
func errStatus(w http.ResponseWriter, code int, status, msg string) {
	writeJSON(w, code, map[string]any{"message": msg, "status": status})
}

// errUtil is the errutil shape used by authn and newer services:
// {"message", "messageId", "statusCode"}.
func errUtil(w http.ResponseWriter, code int, messageID, msg string) {
	writeJSON(w, code, map[string]any{"message": msg, "messageId": messageID, "statusCode": code})
}

// errAccessDenied is the RBAC middleware's 403 body; the accessErrorId is
// stable per action so tests can compare bodies.
func errAccessDenied(w http.ResponseWriter, action string) {
	h := fnv.New32a()
	h.Write([]byte(action))
	writeJSON(w, http.StatusForbidden, map[string]any{
		"title":         "Access denied",
		"message":       "You'll need additional permissions to perform this action. Permissions needed: " + action,
		"accessErrorId": fmt.Sprintf("ACE%010d", h.Sum32()),
	})
}

// errPermissionDenied is the legacy role middleware's 403 (reqGrafanaAdmin, reqOrgAdmin).
func errPermissionDenied(w http.ResponseWriter) {
	errMessage(w, http.StatusForbidden, "Permission denied")
}

// decodeBody reads a JSON request body into v. A malformed body gets the
// binding error of §0.2 and decodeBody reports false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		errMessage(w, http.StatusBadRequest, "bad request data")
		return false
	}
	return true
}

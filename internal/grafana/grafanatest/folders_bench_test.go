package grafanatest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkFolderList measures GET /api/folders over a tree of 1000 folders
// (50 root folders with 19 children each), served through Handler.
func BenchmarkFolderList(b *testing.B) {
	e := New(Options{})
	for i := range 50 {
		root, err := e.SeedFolder(1, FolderSpec{Title: fmt.Sprintf("Root %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		for j := range 19 {
			if _, err := e.SeedFolder(1, FolderSpec{Title: fmt.Sprintf("Child %d", j), ParentUID: root}); err != nil {
				b.Fatal(err)
			}
		}
	}
	req := httptest.NewRequest("GET", "/api/folders", nil)
	req.SetBasicAuth("admin", "admin")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		e.Handler().ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

package grafanatest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTmpCorpusV2(t *testing.T) {
	var files []string
	filepath.Walk("/work/shared/corpus/dashboards", func(p string, i os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	e := New(Options{Version: Version{13, 2, 0}})
	defer e.Close()
	n := 0
	for i, f := range files {
		b, _ := os.ReadFile(f)
		var m map[string]any
		if json.Unmarshal(b, &m) != nil || m["title"] == nil {
			continue
		}
		m["uid"] = "c" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		delete(m, "id")
		if _, err := e.SeedDashboard(1, DashboardSpec{JSON: m}); err != nil {
			continue
		}
		if err := e.ConvertDashboardToV2(1, m["uid"].(string), 0); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		n++
	}
	t.Logf("converted %d", n)
}

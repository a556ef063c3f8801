package load

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/resource"
)

// Loads that share a Cache get exactly what each gets alone: the decoded
// files they share hold nothing of an instance (its datasources resolve
// its own __inputs), nothing a load changes leaks into another, and
// problems name each load's own files.
func TestCacheLoadsAsAlone(t *testing.T) {
	shared := `{"__inputs": [{"name": "DS_METRICS", "type": "datasource", "pluginId": "prometheus"},
  {"name": "VAR_ENV", "type": "constant", "value": 7}],
  "__requires": [], "__elements": {}, "id": 3, "uid": "shared", "title": " Shared ",
  "panels": [{"datasource": {"type": "prometheus", "uid": "${DS_METRICS}"}, "targets": [{"expr": "up{env=\"${VAR_ENV}\"}"}]}]}`
	plain := `{"id": 9, "title": "  Plain  ", "panels": [{"datasource": {"type": "prometheus", "uid": "metrics"}}]}`
	bad := `{"title": "Bad", "panels": [], "panels": []}`
	repo := func(tenant string, extra map[string]string) map[string]string {
		files := map[string]string{
			"datasources/ds.yaml":        fmt.Sprintf("datasources:\n  - {name: Metrics, type: prometheus, uid: metrics, url: 'http://%s:9090'}\n", tenant),
			"dashboards/shared.json":     shared,
			"dashboards/team/plain.json": plain,
			"dashboards/bad.json":        bad,
			"dashboards/other/bad.json":  bad,
		}
		for k, v := range extra {
			files[k] = v
		}
		return files
	}
	repos := []map[string]string{
		repo("acme", nil),
		// Another datasource uid: ${DS_METRICS} resolves to it, and the
		// shared plain.json's reference to "metrics" is an error here.
		repo("globex", map[string]string{"datasources/ds.yaml": "datasources:\n  - {name: Other, type: prometheus, uid: other, url: 'http://globex:9090'}\n"}),
		// The same bytes at other paths: other derived uids and folders.
		repo("initech", map[string]string{"dashboards/plain.json": plain, "dashboards/team/plain.json": `{"title": "Own"}`}),
	}
	type loaded struct {
		State    *resource.State
		Problems []string
	}
	load := func(files map[string]string, c *Cache) loaded {
		st, ps := Load(mapFS(files), Options{Cache: c})
		var out []string
		for _, p := range ps {
			out = append(out, p.String())
		}
		return loaded{st, out}
	}
	var want []loaded
	for _, r := range repos {
		want = append(want, load(r, nil))
	}
	if len(want[1].Problems) == len(want[0].Problems) {
		t.Fatalf("the instances' problems should differ (the fixture is wrong): %v", want[1].Problems)
	}
	c := NewCache(0)
	const rounds = 4
	got := make([]loaded, rounds*len(repos))
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = load(repos[i%len(repos)], c)
		}()
	}
	wg.Wait()
	for i, g := range got {
		if diff := cmp.Diff(want[i%len(repos)], g); diff != "" {
			t.Errorf("load %d (repository %d) with the cache (-alone +cached):\n%s", i, i%len(repos), diff)
		}
	}
	// plain.json, shared.json and bad.json, each decoded once for all the
	// loads, and initech's own plain.json.
	if n := c.m.Len(); n != 4 {
		t.Errorf("the cache holds %d decoded files, want 4 (one per distinct file)", n)
	}
}

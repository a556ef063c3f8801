package load

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/grafsync/grafsync/internal/benchrepo"
)

func BenchmarkLoad1000(b *testing.B) {
	fsys, size := benchrepo.FS(b, 1000)
	kept := retained(fsys)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		st, problems := Load(fsys, Options{})
		if len(problems) > 0 || len(st.Orgs[0].Dashboards) != 1000 || len(st.Orgs[0].Datasources) != 30 {
			b.Fatalf("unexpected load: %d problems (%v), %d dashboards, %d datasources", len(problems), problems[:min(3, len(problems))], len(st.Orgs[0].Dashboards), len(st.Orgs[0].Datasources))
		}
	}
	b.ReportMetric(float64(size), "input-bytes")
	b.ReportMetric(float64(kept), "retained-bytes")
}

// retained returns the heap the State of one Load keeps alive.
func retained(fsys fstest.MapFS) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	st, _ := Load(fsys, Options{})
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(st)
	return after.HeapAlloc - before.HeapAlloc
}

// BenchmarkDecodeOnly1000 is the floor to compare BenchmarkLoad1000 with:
// encoding/json decoding the same files into maps, nothing else.
func BenchmarkDecodeOnly1000(b *testing.B) {
	fsys, size := benchrepo.FS(b, 1000)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for name, f := range fsys {
			if strings.HasSuffix(name, ".json") {
				var v any
				if err := json.Unmarshal(f.Data, &v); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

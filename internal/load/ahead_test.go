package load

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeAheadKeepsTheLoadersUIDAndTitle loads a directory of more
// dashboards than decodeAhead reads ahead, mixing what it encodes ahead
// (a uid in the file) with what only the loader can settle (a uid from the
// path, a title to trim, YAML, a library panel between them): every
// dashboard keeps the uid and title the loader gives it.
func TestDecodeAheadKeepsTheLoadersUIDAndTitle(t *testing.T) {
	files := map[string]string{}
	want := map[string]string{} // path → JSON
	n := 4*runtime.GOMAXPROCS(0) + 5
	for i := range n {
		name := fmt.Sprintf("dashboards/f/d%02d", i)
		switch i % 4 {
		case 0:
			files[name+".json"] = fmt.Sprintf(`{"uid":"u%d","title":"T%d","id":7,"b":1.50,"a":[]}`, i, i)
			want["f/"+name[len("dashboards/f/"):]+".json"] = fmt.Sprintf(`{"a":[],"b":1.50,"title":"T%d","uid":"u%d"}`, i, i)
		case 1:
			files[name+".json"] = fmt.Sprintf(`{"uid":"u%d","title":"  T%d  "}`, i, i)
			want["f/"+name[len("dashboards/f/"):]+".json"] = fmt.Sprintf(`{"title":"T%d","uid":"u%d"}`, i, i)
		case 2:
			files[name+".json"] = fmt.Sprintf(`{"title":"T%d"}`, i)
			rel := "f/" + name[len("dashboards/f/"):]
			want[rel+".json"] = fmt.Sprintf(`{"title":"T%d","uid":%q}`, i, DerivedUID(rel))
		case 3:
			files[name+".yaml"] = fmt.Sprintf("uid: u%d\ntitle: T%d\n", i, i)
			want["f/"+name[len("dashboards/f/"):]+".yaml"] = fmt.Sprintf(`{"title":"T%d","uid":"u%d"}`, i, i)
		}
	}
	st, problems := Load(mapFS(files), Options{})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	got := map[string]string{}
	for _, d := range st.Orgs[0].Dashboards {
		got[d.Path] = string(d.JSON)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dashboards (-want +got):\n%s", diff)
	}
}

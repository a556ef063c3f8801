package memo

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGetMakesOncePerDocument(t *testing.T) {
	c := New[string](1 << 20)
	var made atomic.Int32
	get := func(key, extra string) string {
		return c.Get([]byte(key), extra, func() (string, int64) {
			made.Add(1)
			return key + "|" + extra, 10
		})
	}
	for _, tc := range []struct {
		key, extra string
		want       string
		made       int32
	}{
		{"doc a", "", "doc a|", 1},
		{"doc a", "", "doc a|", 1},                 // the same bytes: shared
		{"doc a", "folder x", "doc a|folder x", 2}, // extra is part of the key
		{"doc b", "", "doc b|", 3},
		{"doc a", "folder x", "doc a|folder x", 3},
	} {
		if got := get(tc.key, tc.extra); got != tc.want || made.Load() != tc.made {
			t.Errorf("Get(%q, %q) = %q after %d makes, want %q after %d", tc.key, tc.extra, got, made.Load(), tc.want, tc.made)
		}
	}
}

// Many runs asking for one document at once wait for one make.
func TestGetConcurrentAskersShareOneMake(t *testing.T) {
	c := New[int](1 << 20)
	var made atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	got := make([]int, 50)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = c.Get([]byte("same"), "", func() (int, int64) {
				<-release
				return int(made.Add(1)), 1
			})
		}()
	}
	close(release)
	wg.Wait()
	want := make([]int, len(got))
	for i := range want {
		want[i] = 1
	}
	if diff := cmp.Diff(want, got); diff != "" || made.Load() != 1 {
		t.Errorf("made %d times; values (-want +got):\n%s", made.Load(), diff)
	}
}

// The bound holds: the least recently used entries go, and one asked for
// again is made again.
func TestGetBound(t *testing.T) {
	c := New[string](30) // three entries of 10
	made := map[string]int{}
	get := func(k string) {
		c.Get([]byte(k), "", func() (string, int64) { made[k]++; return k, 10 })
	}
	for i := range 5 {
		get(fmt.Sprint(i))
	}
	if c.Len() != 3 {
		t.Errorf("%d entries held, want 3", c.Len())
	}
	get("4") // held
	get("0") // dropped: made again
	if diff := cmp.Diff(map[string]int{"0": 2, "1": 1, "2": 1, "3": 1, "4": 1}, made); diff != "" {
		t.Errorf("makes (-want +got):\n%s", diff)
	}
}

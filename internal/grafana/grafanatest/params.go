package grafanatest

import (
	"net/http"
	"strconv"
)

// Request parameters, and the paged answer, that are the same on every
// route that has them.

// pathInt parses the path value key as an integer; a non-integer is 400
// "<key> is invalid", as Grafana's handlers answer, and false.
func pathInt(c *call, key string) (int64, bool) {
	n, err := strconv.ParseInt(c.r.PathValue(key), 10, 64)
	if err != nil {
		errMessage(c.w, http.StatusBadRequest, key+" is invalid")
		return 0, false
	}
	return n, true
}

// paging reads page (1-based; below 1 means 1) and the per-page parameter
// (named perpage on most routes; default 1000, §12).
func paging(r *http.Request, perPageKey string) (page, perPage int) {
	q := r.URL.Query()
	page, _ = strconv.Atoi(q.Get("page"))
	perPage, _ = strconv.Atoi(q.Get(perPageKey))
	if page < 1 {
		page = 1
	}
	if perPage <= 0 {
		perPage = 1000
	}
	return page, perPage
}

// writeSearchPage answers a paged search (§12) with the page of all that page
// and perpage ask for, each element rendered by item:
// {"totalCount": len(all), key: [...], "page", "perPage"}.
func writeSearchPage[T any](c *call, key string, all []T, item func(T) map[string]any) {
	page, perPage := paging(c.r, "perpage")
	out := []map[string]any{}
	for _, x := range pageOf(all, page, perPage) {
		out = append(out, item(x))
	}
	writeJSON(c.w, http.StatusOK, map[string]any{"totalCount": len(all), key: out, "page": page, "perPage": perPage})
}

// pageOf is the page-th run of perPage items (page is 1-based); nil past the
// end.
func pageOf[T any](items []T, page, perPage int) []T {
	start, end := pageBounds(len(items), page, perPage)
	if start == end {
		return nil
	}
	return items[start:end]
}

// pageBounds is the [start, end) of 1-based page of size perPage over n
// items, clamped to n. A page far past the end is empty: (page-1)*perPage is
// never computed when it could overflow.
func pageBounds(n, page, perPage int) (start, end int) {
	if page < 1 || perPage < 1 || page-1 > n/perPage {
		return n, n
	}
	start = min((page-1)*perPage, n)
	return start, min(start+perPage, n)
}

package reconcile

import (
	"strconv"

	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/memo"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
)

// DefaultSharedDesiredBytes bounds the normalised desired dashboards a
// Shared holds.
const DefaultSharedDesiredBytes = 64 << 20

// Shared is what the runs of a fleet's instances make alike from one
// repository snapshot, made once and shared: dashboard files decoded
// (load.Cache) and desired dashboards normalised and outlined, each found
// by its document's bytes (package memo), so an instance whose files
// expand differently simply gets its own. It is safe for concurrent use;
// a nil *Shared shares nothing.
//
// Invariants: what it hands out is never written by a run (a plan.Resource
// is a value; its Raw and Uses are read-only everywhere); it holds at most
// DefaultSharedDesiredBytes of desired dashboards and load.DefaultCacheBytes
// of decoded files, the least recently used dropped first, so memory
// follows the distinct documents, not the instances.
type Shared struct {
	load    *load.Cache
	desired *memo.Cache[desiredDoc]
}

type desiredDoc struct {
	r       plan.Resource
	outline *normalize.Outline
	err     error
}

// NewShared returns an empty Shared for the runs of one snapshot.
func NewShared() *Shared {
	return &Shared{load: load.NewCache(0), desired: memo.New[desiredDoc](DefaultSharedDesiredBytes)}
}

// LoadCache is the decoded files s shares (load.Options.Cache); nil when s
// is nil.
func (s *Shared) LoadCache() *load.Cache {
	if s == nil {
		return nil
	}
	return s.load
}

// desiredDashboards is desiredDashboards, each dashboard normalised once
// for all the runs that share s, with the outlines of their bytes for
// LiveDashboardAs (nil when s is nil).
func (s *Shared) desiredDashboards(org *resource.Org, orgID int64) ([]plan.Resource, map[string]*normalize.Outline, error) {
	if s == nil {
		out, err := desiredDashboards(org, orgID)
		return out, nil, err
	}
	out := make([]plan.Resource, 0, len(org.Dashboards))
	outlines := make(map[string]*normalize.Outline, len(org.Dashboards))
	for _, d := range org.Dashboards {
		// Everything DesiredDashboard reads of d: its JSON is the key.
		extra := strconv.FormatInt(orgID, 10) + "\x00" + d.UID + "\x00" + d.FolderUID + "\x00" + d.Path + "\x00" + d.Source.String() + "\x00" + d.SourceHash
		doc := s.desired.Get(d.JSON, extra, func() (desiredDoc, int64) {
			r, err := normalize.DesiredDashboard(d, orgID)
			if err != nil {
				return desiredDoc{err: err}, int64(len(d.JSON)) + 256
			}
			return desiredDoc{r: r, outline: normalize.NewOutline(r.Raw)}, int64(len(d.JSON)+len(r.Raw)) + 256
		})
		if doc.err != nil {
			return nil, nil, doc.err
		}
		d.JSON = nil
		out = append(out, doc.r)
		if doc.outline != nil {
			outlines[d.UID] = doc.outline
		}
	}
	return out, outlines, nil
}

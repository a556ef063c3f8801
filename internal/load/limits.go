package load

import (
	"bytes"
	"context"
	"io"
	"io/fs"

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/resource"
)

// Limits on what one Load reads, far above real repositories (the largest
// of 379 real dashboards is 565 KB; real YAML uses aliases for a few
// repeated blocks) and far below what exhausts a CI runner or a Fargate task
// (apply holds about 12 times a dashboard's size at its peak).
// docs/hostile-repositories.md lists them.
const (
	// MaxFileBytes is the largest file grafsync reads.
	MaxFileBytes = 10 << 20
	// MaxRepositoryBytes is what all the files one Load reads may add up to.
	MaxRepositoryBytes = 256 << 20
	// MaxAliasValues is how many values YAML aliases may add to one file
	// beyond those written in it (each alias adds a copy of its anchor).
	MaxAliasValues = 1_000_000
	// MaxRepositoryAliasValues is the same for all files of a Load.
	MaxRepositoryAliasValues = 4_000_000
	// MaxExpandedBytes is what the values of $VAR, ${VAR}, $__env{} and
	// $__file{} references may add up to in one Load: each reference is a
	// copy, so a 30-byte line naming a 1 MiB CA bundle would otherwise
	// multiply a 10 MiB file a hundred thousand times.
	MaxExpandedBytes = 32 << 20
	// MaxGeneratedDatasources is how many datasources the CloudWatch
	// templates of one Load may expand to (templates times accounts): a
	// few lines of each file multiply, so two 10 MiB files could otherwise
	// make billions.
	MaxGeneratedDatasources = 10_000
)

// Limits override the limits above (tests use small ones); a zero field
// means the default.
type Limits struct {
	FileBytes             int64
	RepositoryBytes       int64
	AliasValues           int64
	RepositoryAliasValues int64
	ExpandedBytes         int64
	GeneratedDatasources  int
}

func (lim Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&lim.FileBytes, MaxFileBytes)
	def(&lim.RepositoryBytes, MaxRepositoryBytes)
	def(&lim.AliasValues, MaxAliasValues)
	def(&lim.RepositoryAliasValues, MaxRepositoryAliasValues)
	def(&lim.ExpandedBytes, MaxExpandedBytes)
	if lim.GeneratedDatasources <= 0 {
		lim.GeneratedDatasources = MaxGeneratedDatasources
	}
	return lim
}

// budget is what one Load has read so far.
type budget struct {
	bytes       int64
	aliasValues int64
	overBytes   bool
	overAliases bool
	// expanded is what references' values have added (MaxExpandedBytes).
	expanded     int64
	overExpanded bool
	// generated counts datasources expanded from CloudWatch templates
	// (MaxGeneratedDatasources).
	generated     int
	overGenerated bool
	// stopped is set once the context is done and reported.
	stopped bool
	// steps counts values converted, to look at the context now and then.
	steps int
}

// stop reports whether loading must stop because the context is done; the
// first time, it records an error at the file being loaded, so that a
// half-read repository is never planned.
func (l *loader) stop(file string) bool {
	if l.budget.stopped {
		return true
	}
	if l.ctx.Err() == nil {
		return false
	}
	l.budget.stopped = true
	l.errorf(resource.Pos{File: file}, "", "loading stopped: %v", context.Cause(l.ctx))
	return true
}

// stopEvery is how many converted values pass between two looks at the
// context: microseconds of work.
const stopEvery = 1 << 14

// step counts one converted value and reports whether loading must stop.
func (l *loader) step(file string) bool {
	if l.budget.stopped {
		return true
	}
	l.budget.steps++
	return l.budget.steps%stopEvery == 0 && l.stop(file)
}

// ReadOnlyFS is a repository whose files can be had without a copy (a
// fleet's instances share one snapshot's bytes: fleet.Share). ReadOnly
// returns name's bytes, as Open would read them, or ok false (then the
// file is read through Open); the loader never writes them.
type ReadOnlyFS interface {
	fs.FS
	ReadOnly(name string) (data []byte, ok bool)
}

// readLimited reads a repository file after checking its type and size
// against the limits; an error names the file and the limit.
// It does not look at the context: readFile does.
func (l *loader) readLimited(name string) ([]byte, error, bool) {
	pos := resource.Pos{File: name}
	if l.budget.overBytes {
		l.errorf(pos, "", "the files grafsync reads add up to more than %d bytes; this file and later ones are not read", l.limits.RepositoryBytes)
		return nil, nil, false
	}
	fi, err := fs.Stat(l.fsys, name)
	if err != nil {
		return nil, err, true
	}
	if !fi.Mode().IsRegular() {
		l.errorf(pos, "remove it", "%s, not a regular file", DescribeMode(fi.Mode()))
		return nil, nil, false
	}
	if fi.Size() > l.limits.FileBytes {
		l.errorf(pos, "real dashboards and provisioning files are far smaller (docs/hostile-repositories.md); check what generated it",
			"%d bytes, more than the %d grafsync reads from one file", fi.Size(), l.limits.FileBytes)
		return nil, nil, false
	}
	if l.budget.bytes+fi.Size() > l.limits.RepositoryBytes {
		l.budget.overBytes = true
		l.errorf(pos, "", "the files grafsync reads add up to more than %d bytes; this file and later ones are not read", l.limits.RepositoryBytes)
		return nil, nil, false
	}
	if ro, ok := l.fsys.(ReadOnlyFS); ok {
		if data, ok := ro.ReadOnly(name); ok && int64(len(data)) == fi.Size() {
			l.budget.bytes += int64(len(data))
			return data, nil, true
		}
	}
	f, err := l.fsys.Open(name)
	if err != nil {
		return nil, err, true
	}
	defer f.Close()
	// The size was checked, but a file may grow between Stat and Read.
	var buf bytes.Buffer
	buf.Grow(int(fi.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, l.limits.FileBytes+1)); err != nil {
		return nil, err, true
	}
	data := buf.Bytes()
	if int64(len(data)) > l.limits.FileBytes {
		l.errorf(pos, "", "more than the %d bytes grafsync reads from one file", l.limits.FileBytes)
		return nil, nil, false
	}
	l.budget.bytes += int64(len(data))
	return data, nil, true
}

// checkAliases refuses a YAML file whose aliases expand it far beyond what
// is written (an alias bomb: 8 levels of 9 aliases in 329 bytes are 43
// million values), before anything expands them. The count is linear in the
// file: each node's expanded size is computed once.
func (l *loader) checkAliases(f yfile) bool {
	if f.root == nil {
		return true
	}
	const inProgress = -1
	sizes := map[*yaml.Node]int64{}
	var firstAlias *yaml.Node
	var written int64
	saturate := l.limits.RepositoryAliasValues + l.limits.AliasValues + 1
	var size func(n *yaml.Node) int64
	size = func(n *yaml.Node) int64 {
		if s, ok := sizes[n]; ok {
			if s == inProgress {
				return saturate // an alias inside its own anchor
			}
			return s
		}
		sizes[n] = inProgress
		written++
		var s int64 = 1
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			// The alias stands for a copy of its anchor's value.
			if firstAlias == nil {
				firstAlias = n
			}
			s = size(n.Alias)
		}
		for _, c := range n.Content {
			s = min(s+size(c), saturate)
		}
		sizes[n] = s
		return s
	}
	added := size(f.root) - written
	if added <= 0 {
		return true
	}
	pos := f.pos(firstAlias)
	hint := "write the values out, or use fewer aliases (docs/hostile-repositories.md)"
	if added > l.limits.AliasValues {
		l.errorf(pos, hint, "YAML aliases expand this file to more than %d values beyond the %d written; grafsync refuses files that do (an alias bomb)",
			l.limits.AliasValues, written)
		return false
	}
	if l.budget.overAliases || l.budget.aliasValues+added > l.limits.RepositoryAliasValues {
		l.budget.overAliases = true
		l.errorf(pos, hint, "YAML aliases in the repository expand to more than %d values beyond what is written; this file and later ones are refused (an alias bomb)",
			l.limits.RepositoryAliasValues)
		return false
	}
	l.budget.aliasValues += added
	return true
}

package load

import (
	"context"
	"errors"
	"io/fs"
	pathpkg "path"

	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/resource"
)

// Options control one Load. The zero value validates with no environment.
type Options struct {
	// Strict makes an unset environment variable or missing $__file{} an
	// error instead of a warning. apply sets it; validate and plan do not,
	// because CI on a pull request has no secrets.
	Strict bool
	// Getenv looks up an environment variable; "" means unset. nil: none set.
	Getenv func(name string) string
	// ReadFile reads a $__file{path} reference (an absolute path on the host,
	// not in the repository). nil: every such file is missing.
	ReadFile func(name string) ([]byte, error)
	// Revision is copied into State.Revision.
	Revision string
	// Context stops loading when done (a signal, a timeout): the problems
	// then hold an error. nil: never stops.
	Context context.Context
	// Limits bound what is read; the zero value is the documented defaults.
	Limits Limits
	// Cache shares decoded dashboard files with other loads (a fleet's
	// instances); nil: each file is decoded by this load.
	Cache *Cache
	// fullDecode decodes every JSON dashboard in full, not only what the
	// checks read (dashboardSelection): tests compare the two.
	fullDecode bool
}

// ConfigFile is the org config at the repository root. It is optional.
const ConfigFile = "grafsync.yaml"

// Default org, used when there is no ConfigFile.
const (
	DefaultOrgName       = "Main Org."
	DefaultOrgID   int64 = 1
)

// maxFolderLevels is how deep a folder may sit in Grafana by default: a root
// folder plus 4 nested levels ([folder] max_nested_folder_depth = 4;
// grafana-source-audit.md row 40, folderimpl/folder.go validateParent).
// Grafana 12.0–12.1 allowed one level less and the limit is configurable:
// apply names the folder and the limit when a server refuses a level.
const maxFolderLevels = 5

// Load reads the repository in fsys (its root is the repository root) and
// returns the desired state and every problem found, sorted by position.
// The state is returned even when there are errors, for tools that want to
// show as much as possible; callers must not plan or apply it then.
func Load(fsys fs.FS, opts Options) (*resource.State, Problems) {
	l := &loader{fsys: fsys, opts: opts, ctx: opts.Context, limits: opts.Limits.withDefaults()}
	if l.ctx == nil {
		l.ctx = context.Background()
	}
	st := &resource.State{Revision: opts.Revision}
	l.loadAccounts()
	for _, oc := range l.loadConfig() {
		l.loadOrg(oc)
		st.Orgs = append(st.Orgs, oc.org)
	}
	l.checkAccounts()
	l.problems.Sort()
	return st, l.problems
}

type loader struct {
	fsys     fs.FS
	opts     Options
	ctx      context.Context
	limits   Limits
	budget   budget
	problems Problems
	acc      accountsState
}

func (l *loader) errorf(pos resource.Pos, hint, format string, args ...any) {
	l.problems = append(l.problems, problem.Errorf(pos, hint, format, args...))
}

func (l *loader) warnf(pos resource.Pos, hint, format string, args ...any) {
	l.problems = append(l.problems, problem.Warnf(pos, hint, format, args...))
}

// orgState is what loading one org needs beyond the resource.Org itself.
type orgState struct {
	org *resource.Org
	// inputs maps a dashboard __inputs name (DS_PROMETHEUS) to a datasource
	// uid or name, from the org config's datasourceInputs.
	inputs map[string]mapped
	// home is where preferences.homeDashboardUid was written, and homeAt
	// its path in the org config (orgs[1].preferences.homeDashboardUid).
	home   resource.Pos
	homeAt path
	// teams declared in the org config, by name.
	teams map[string]bool

	// entries are the org's datasources, templates replaced by the
	// datasources generated from them.
	entries []*dsEntry
	// templates are the CloudWatch templates, checked once each.
	templates []*dsEntry
	// unexpanded is the position of the first template that could not be
	// expanded; references to its datasources cannot resolve.
	unexpanded *resource.Pos
	ds         dsIndex
	// alerting is the org's alerting/ while it loads (nil: none).
	alerting *alertState
	// refs is refsKey, once made.
	refs string
}

type mapped struct {
	target string
	pos    resource.Pos
}

func (l *loader) loadOrg(o *orgState) {
	if o.org.Dir == "" {
		return // the config error is reported
	}
	if o.org.Dir != "." {
		if _, reported := l.exists(o.org.Dir, true); reported {
			return
		}
	}
	dsDir := pathpkg.Join(o.org.Dir, "datasources")
	dbDir := pathpkg.Join(o.org.Dir, "dashboards")
	hasDS, badDS := l.exists(dsDir, true)
	hasDB, badDB := l.exists(dbDir, true)
	if !hasDS && !hasDB && !badDS && !badDB {
		l.warnf(resource.Pos{File: orRootDir(o.org.Dir)}, "grafsync reads dashboards/ and datasources/ from the repository root (or an org's dir in grafsync.yaml); check --repo",
			"org %q: no dashboards/ or datasources/ directory", o.org.Name)
	}
	if hasDS {
		l.loadDatasources(o, dsDir)
	}
	o.ds = l.indexDatasources(o)
	for _, ref := range o.org.DeleteDatasources {
		if d := o.ds.byName[ref.Name]; d != nil && !d.external {
			l.warnf(ref.Source, "Grafana deletes it, then creates it again with a new id; remove one of the two",
				"deleteDatasources: %q is also defined at %s", ref.Name, d.pos)
		}
	}
	l.checkDatasourceLinks(o)
	if hasDB {
		l.loadDashboards(o, dbDir)
	}
	if alDir := pathpkg.Join(o.org.Dir, "alerting"); l.hasDir(alDir) {
		l.loadAlerting(o, alDir)
		l.checkAlerting(o)
	}
	l.checkOrgRefs(o)
}

func orRootDir(dir string) string {
	if dir == "." {
		return "./"
	}
	return dir + "/"
}

// hasDir reports whether the directory name exists; a wrong type or an
// escaping link is reported by exists.
func (l *loader) hasDir(name string) bool {
	ok, _ := l.exists(name, true)
	return ok
}

// exists reports whether name exists inside the repository and is a
// directory (dir) or a regular file (!dir). A missing name is false with no
// problem; a wrong type, an escaping or dangling symbolic link or an
// unreadable entry is an error naming it, and reported is true.
func (l *loader) exists(name string, dir bool) (ok, reported bool) {
	what, hint := "a file", "make it a regular file in the repository, or remove it"
	if dir {
		what, hint = "a directory", "make it a directory in the repository (an empty one declares nothing), or remove it"
	}
	fi, err := fs.Stat(l.fsys, name)
	if err != nil {
		if _, lerr := fs.Lstat(l.fsys, name); lerr == nil {
			l.errorf(resource.Pos{File: name}, hint, "a symbolic link out of the repository or to nothing, where grafsync reads %s", what)
			return false, true
		} else if errors.Is(err, fs.ErrNotExist) && errors.Is(lerr, fs.ErrNotExist) {
			return false, false
		}
		l.errorf(resource.Pos{File: name}, "", "cannot read: %v", unwrapPath(err))
		return false, true
	}
	switch {
	case dir && !fi.IsDir():
		l.errorf(resource.Pos{File: name}, hint, "%s where grafsync reads a directory", DescribeMode(fi.Mode()))
		return false, true
	case !dir && !fi.Mode().IsRegular():
		l.errorf(resource.Pos{File: name}, hint, "%s where grafsync reads a file", DescribeMode(fi.Mode()))
		return false, true
	}
	return true, false
}

// DescribeMode names a file type for a message.
func DescribeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a file"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// entryKind classifies a directory entry, following a symbolic link that
// stays in the repository: a directory, a regular file, or neither (an
// escaping or dangling link, a link to a directory, a pipe or device), which
// is reported as an error naming it; ok is false then.
func (l *loader) entryKind(name string, de fs.DirEntry) (isDir, ok bool) {
	t := de.Type()
	switch {
	case t.IsDir():
		return true, true
	case t.IsRegular():
		return false, true
	case t&fs.ModeSymlink != 0:
		fi, err := fs.Stat(l.fsys, name)
		switch {
		case err != nil:
			l.errorf(resource.Pos{File: name}, "grafsync follows symbolic links only inside the repository; copy the file in, or remove the link",
				"a symbolic link out of the repository or to nothing")
		case fi.IsDir():
			l.errorf(resource.Pos{File: name}, "make it a real directory, or link each file",
				"a symbolic link to a directory; grafsync does not follow those")
		case !fi.Mode().IsRegular():
			l.errorf(resource.Pos{File: name}, "remove it", "a symbolic link to %s", DescribeMode(fi.Mode()))
		default:
			return false, true
		}
		return false, false
	}
	l.errorf(resource.Pos{File: name}, "remove it", "%s, not a regular file", DescribeMode(t))
	return false, false
}

// isFile reports whether a directory entry that is not a directory is a
// regular file grafsync may read (entryKind reports it otherwise).
func (l *loader) isFile(name string, de fs.DirEntry) bool {
	isDir, ok := l.entryKind(name, de)
	return ok && !isDir
}

// readFile reads a repository file within the limits, reporting failure.
func (l *loader) readFile(name string) ([]byte, bool) {
	if l.stop(name) {
		return nil, false
	}
	return l.readFileAhead(name)
}

// readFileAhead is readFile without looking at the context: a file read
// ahead of its turn (decodeAhead) looks at it when its turn comes, so that
// "loading stopped" names the file loading stopped at.
func (l *loader) readFileAhead(name string) ([]byte, bool) {
	data, err, ok := l.readLimited(name)
	if !ok {
		return nil, false
	}
	if err != nil {
		l.errorf(resource.Pos{File: name}, "", "cannot read: %v", unwrapPath(err)) // the position names the file
		return nil, false
	}
	return data, true
}

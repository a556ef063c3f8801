package load

import (
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
}

// ConfigFile is the org config at the repository root. It is optional.
const ConfigFile = "grafsync.yaml"

// Default org, used when there is no ConfigFile.
const (
	DefaultOrgName       = "Main Org."
	DefaultOrgID   int64 = 1
)

// maxFolderDepth is Grafana's nested folder limit (grafana-api.md §5).
const maxFolderDepth = 4

// Load reads the repository in fsys (its root is the repository root) and
// returns the desired state and every problem found, sorted by position.
// The state is returned even when there are errors, for tools that want to
// show as much as possible; callers must not plan or apply it then.
func Load(fsys fs.FS, opts Options) (*resource.State, Problems) {
	l := &loader{fsys: fsys, opts: opts}
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
}

type mapped struct {
	target string
	pos    resource.Pos
}

func (l *loader) loadOrg(o *orgState) {
	if o.org.Dir == "" {
		return // the config error is reported
	}
	dsDir := pathpkg.Join(o.org.Dir, "datasources")
	dbDir := pathpkg.Join(o.org.Dir, "dashboards")
	hasDS, hasDB := l.isDir(dsDir), l.isDir(dbDir)
	if !hasDS && !hasDB {
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
	if alDir := pathpkg.Join(o.org.Dir, "alerting"); l.isDir(alDir) {
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

func (l *loader) isDir(name string) bool {
	fi, err := fs.Stat(l.fsys, name)
	return err == nil && fi.IsDir()
}

// readFile reads a repository file, reporting failure.
func (l *loader) readFile(name string) ([]byte, bool) {
	data, err := fs.ReadFile(l.fsys, name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the position already names the file
		}
		l.errorf(resource.Pos{File: name}, "", "cannot read: %v", err)
		return nil, false
	}
	return data, true
}

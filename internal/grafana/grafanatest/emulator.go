package grafanatest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure an Emulator. The zero value is a Grafana 11.x with one
// org ("Main Org.") and a server admin admin/admin.
type Options struct {
	Version       Version          // zero: DefaultVersion()
	AdminLogin    string           // default "admin"
	AdminPassword string           // default "admin"
	NestedFolders *bool            // nil: the version's default (off in 10.x, on from 11.0)
	Faults        Faults           // injected before handlers; see faults.go
	Seed          uint64           // seeds fault injection and generated uids
	Now           func() time.Time // default time.Now; tests may freeze it
	// SearchLag is how long a write takes to reach search in 12.x and 13.x
	// modes, whose search is eventually consistent (§4, §13). Ignored before 12.x.
	SearchLag time.Duration
	// MaxNestedFolderDepth is Grafana's [folder] max_nested_folder_depth:
	// how many levels may nest below a root folder. 0 means Grafana's
	// default, 4; values above Grafana's maximum, 7, are taken as 7 (audit
	// row 40). The setting exists from 2026 (grafana PR #118592); older
	// releases always use 4.
	MaxNestedFolderDepth int
	// SandboxControls adds the non-Grafana /sandbox/ routes of sandboxctl.go
	// (`grafsync sandbox` turns them on; tests call the Go helpers instead).
	SandboxControls bool
	// AWS, when set, is the IAM side CloudWatch health checks assume roles
	// against (dshealth.go); nil: every role can be assumed.
	AWS *AWSRoles
}

// Emulator is an in-process Grafana. Serve it with Handler (httptest) or
// StartReplica (real listeners, several for HA mode).
type Emulator struct {
	version Version
	nested  bool
	now     func() time.Time
	lag     time.Duration
	// maxNested is the folder levels allowed below a root folder (audit row 40).
	maxNested int
	// sandboxControls: serve the /sandbox/ routes (sandboxctl.go).
	sandboxControls bool

	mu sync.RWMutex
	st *store // guarded by mu

	faults   *faultInjector
	counters *counters
	mux      *http.ServeMux
	uids     *uidSource // guarded by mu

	aws          *AWSRoles              // read-only after New
	healthFaults map[string]HealthFault // by datasource uid; guarded by mu
	healthWaits  atomic.Int64           // health checks holding back their answer

	replicasMu sync.Mutex
	replicas   []*Replica
}

// New returns an emulator with org 1 "Main Org." and its server admin.
func New(opts Options) *Emulator {
	if opts.Version == (Version{}) {
		opts.Version = DefaultVersion()
	}
	if opts.AdminLogin == "" {
		opts.AdminLogin = "admin"
	}
	if opts.AdminPassword == "" {
		opts.AdminPassword = "admin"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	nested := opts.Version.NestedFoldersByDefault()
	if opts.NestedFolders != nil {
		nested = *opts.NestedFolders
	}
	maxNested := defaultMaxNestedFolderDepth
	if opts.MaxNestedFolderDepth > 0 {
		maxNested = min(opts.MaxNestedFolderDepth, maxMaxNestedFolderDepth)
	}
	e := &Emulator{
		maxNested:       maxNested,
		version:         opts.Version,
		nested:          nested,
		now:             func() time.Time { return opts.Now().UTC().Truncate(time.Second) },
		lag:             opts.SearchLag,
		st:              newStore(),
		faults:          newFaultInjector(opts.Seed, opts.Faults),
		counters:        newCounters(),
		mux:             http.NewServeMux(),
		uids:            newUIDSource(opts.Seed),
		aws:             opts.AWS,
		sandboxControls: opts.SandboxControls,
	}
	main := e.st.addOrg("Main Org.")
	admin := e.addUserLocked(UserSpec{Login: opts.AdminLogin, Email: "admin@localhost", Name: "admin", Password: opts.AdminPassword, ServerAdmin: true})
	main.members[admin.id] = "Admin"
	e.routes()
	return e
}

// Version is the Grafana release being emulated.
func (e *Emulator) Version() Version { return e.version }

// Handler serves the emulated API; every replica uses it.
func (e *Emulator) Handler() http.Handler { return e.mux }

// handle registers one route. Every route is counted, then subjected to fault
// injection, then served. pattern is a net/http pattern with a method.
func (e *Emulator) handle(pattern string, h http.HandlerFunc) {
	e.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		counted := false
		// A dropped request is counted (status 0) before its connection
		// closes: the client may look at the counters as soon as it sees EOF.
		countDropped := func() { e.counters.add(replicaOf(r), pattern, 0); counted = true }
		defer func() {
			if !counted {
				e.counters.add(replicaOf(r), pattern, rec.status)
			}
		}()
		if e.faults.inject(rec, r, countDropped) {
			return
		}
		h(rec, r)
	})
}

// call is what an authenticated handler gets: the request, its writer, and
// the caller resolved to one org. It is only valid while the lock is held.
type call struct {
	w  http.ResponseWriter
	r  *http.Request
	id *identity
}

func (c *call) org() *org { return c.id.org }

// read registers an authenticated route that only reads the store.
func (e *Emulator) read(pattern string, h func(*call)) {
	e.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		e.mu.RLock()
		defer e.mu.RUnlock()
		if id := e.authenticate(w, r); id != nil {
			h(&call{w: w, r: r, id: id})
		}
	})
}

// write registers an authenticated route that may change the store.
func (e *Emulator) write(pattern string, h func(*call)) {
	e.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if id := e.authenticate(w, r); id != nil {
			h(&call{w: w, r: r, id: id})
		}
	})
}

// writeDecoded is write for a route whose request body can be decoded
// without the store: decode runs before the write lock is taken (after
// fault injection, as the handler would), so concurrent writes decode in
// parallel and the lock covers only the store work; the answer (a whole
// dashboard, for a dashboard save) is sent once the lock is released. The
// response is the handler's whatever decode did, so the checks keep their
// order.
func (e *Emulator) writeDecoded(pattern string, decode func(*http.Request) *k8sSpecBody, h func(*call, *k8sSpecBody)) {
	e.handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		body := decode(r)
		late := &lateWriter{ResponseWriter: w}
		func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			if id := e.authenticate(late, r); id != nil {
				h(&call{w: late, r: r, id: id}, body)
			}
		}()
		late.send()
	})
}

// lateWriter keeps a handler's answer (status and body; headers go to the
// real writer, which sends nothing before WriteHeader) until send.
type lateWriter struct {
	http.ResponseWriter
	status int
	body   []byte
}

func (l *lateWriter) WriteHeader(status int) {
	if l.status == 0 {
		l.status = status
	}
}

func (l *lateWriter) Write(b []byte) (int, error) {
	if l.status == 0 {
		l.status = http.StatusOK
	}
	l.body = append(l.body, b...)
	return len(b), nil
}

// send writes what the handler answered; nothing when it wrote nothing
// (net/http then answers 200 with no body, as it would have).
func (l *lateWriter) send() {
	if l.status == 0 {
		return
	}
	l.ResponseWriter.WriteHeader(l.status)
	l.ResponseWriter.Write(l.body)
}

// routes wires every emulated endpoint. Each area registers its own routes
// in its own file; unknown /api routes answer 404 {"message":"Not found"} (§0.1).
func (e *Emulator) routes() {
	e.handle("/", func(w http.ResponseWriter, r *http.Request) {
		errMessage(w, http.StatusNotFound, "Not found")
	})
	e.healthRoutes()
	for _, register := range e.areaRoutes() {
		register()
	}
}

// requireRole answers 403 in the RBAC shape unless the caller has role or a
// stronger one in the current org; action names the RBAC action Grafana
// would report (e.g. "dashboards:write").
func (c *call) requireRole(role, action string) bool {
	if c.id.atLeast(role) {
		return true
	}
	errAccessDenied(c.w, action)
	return false
}

// requireServerAdmin answers the legacy 403 unless the caller is a Grafana
// server admin. Service accounts never are (§1.1).
func (c *call) requireServerAdmin() bool {
	if c.id.user.serverAdmin && c.id.token == nil {
		return true
	}
	errPermissionDenied(c.w)
	return false
}

// slugify turns a title into Grafana's URL slug: lowercase, alphanumerics
// kept, runs of anything else collapsed to one dash.
func slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// statusRecorder remembers the status a handler wrote, for the counters.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	written bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.written {
		s.status, s.written = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.written = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (to drop it).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (e *Emulator) String() string { return fmt.Sprintf("grafana emulator %s", e.version) }

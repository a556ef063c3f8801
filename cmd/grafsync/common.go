package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/grafsync/grafsync/internal/accounts"
	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/source"
)

// env is how commands read the environment; tests may replace it.
type env struct {
	getenv func(string) string
}

func osEnv() env { return env{getenv: os.Getenv} }

// isTerminal reports whether w is a terminal (colour, progress bars, text logs).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newLogger logs to stderr: text on a terminal, JSON otherwise (CI, Fargate).
func newLogger(stderr io.Writer, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if isTerminal(stderr) {
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(stderr, opts)), nil
}

// repoOptions say which repository and revision to read.
type repoOptions struct {
	repo       string
	ref        string
	secretsDir []string
	// opened is the snapshot already read (a fleet check reads it first);
	// openRepo returns it instead of reading again.
	opened *source.Snapshot
}

// envSecretsDir is --secrets-dir's default: directories separated by ":".
const envSecretsDir = "GRAFSYNC_SECRETS_DIR"

func (o *repoOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.repo, "repo", ".", "the repository: a directory, or a Git URL (https://, ssh://, git@host:org/repo.git, file://)")
	cmd.Flags().StringVar(&o.ref, "ref", "", "branch, tag or commit to read (default: a directory's files as they are; a URL's default branch)")
	cmd.Flags().StringSliceVar(&o.secretsDir, "secrets-dir", nil, "directory that $__file{} references may read from, repeatable (default $"+envSecretsDir+", \":\"-separated; none: $__file{} reads nothing)")
}

// secretFiles is what $__file{} may read: files inside --secrets-dir (or
// GRAFSYNC_SECRETS_DIR), never grafsync's Git cache (docs/hostile-repositories.md).
func (o repoOptions) secretFiles(e env) load.SecretFiles {
	dirs := o.secretsDir
	if len(dirs) == 0 {
		dirs = filepath.SplitList(e.getenv(envSecretsDir))
	}
	cache := e.getenv("GRAFSYNC_CACHE_DIR")
	if cache == "" {
		cache = source.DefaultCacheDir()
	}
	return load.SecretFiles{Dirs: dirs, Refused: []string{cache}}
}

// openRepo reads the repository at the asked revision: a local directory
// (its working tree, or a ref of it) or a remote cloned into the cache and
// fetched incrementally on later runs. Credentials come from the
// GRAFSYNC_GIT_* environment (docs/source.md).
func openRepo(ctx context.Context, o repoOptions, e env, log *slog.Logger) (*source.Snapshot, error) {
	if o.opened != nil {
		return o.opened, nil
	}
	return source.Open(ctx, source.Options{
		Repo: o.repo, Ref: o.ref, CacheDir: e.getenv("GRAFSYNC_CACHE_DIR"), Auth: source.AuthFromEnv(e.getenv), Logger: log,
		Reads: readsPath,
	})
}

// readsPath reports whether grafsync may read a repository file: the org
// config, the accounts file, and anything under a dashboards/,
// datasources/ or alerting/ directory (the top-level ones, or an org's
// dir/dashboards/).
// It is a superset of what internal/load opens, so a working tree's
// revision is "-dirty" exactly when something grafsync reads has changed;
// a saved plan, a README or CI files do not count.
func readsPath(p string) bool {
	if p == load.ConfigFile || p == accounts.DefaultFile {
		return true
	}
	dirs := strings.Split(p, "/")
	return slices.ContainsFunc(dirs[:len(dirs)-1], func(d string) bool { return d == "dashboards" || d == "datasources" || d == "alerting" })
}

// grafanaOptions say which Grafana to talk to and how.
type grafanaOptions struct {
	urls        []string
	orgID       int64
	concurrency int
	timeout     time.Duration
	reqTimeout  time.Duration
	sandbox     bool
	logLevel    string
	api         string // --grafana-api: auto, legacy or apis
	lock        bool   // --lock-dashboards
	// alertingProvenance is api (locked in Grafana's UI) or none (editable).
	alertingProvenance string
	// transport, when set, is every client's base round tripper (a fleet's
	// shared request bound); not a flag.
	transport http.RoundTripper
}

func (o *grafanaOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVar(&o.urls, "grafana-url", nil, "Grafana base URL; several replicas comma-separated (default $GRAFANA_URL)")
	f.Int64Var(&o.orgID, "org-id", 0, "org to work in (sent as X-Grafana-Org-Id); default: the credentials' org")
	f.IntVar(&o.concurrency, "concurrency", grafana.DefaultConcurrency, "requests to Grafana in flight at once")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on the whole run after this long")
	f.DurationVar(&o.reqTimeout, "request-timeout", grafana.DefaultTimeout, "wait this long for a Grafana replica to start answering a request before trying the next one (a slow body is not cut)")
	f.BoolVar(&o.sandbox, "sandbox", false, "use the built-in, in-memory Grafana emulator instead of a real Grafana (for trying grafsync)")
	f.StringVar(&o.logLevel, "log-level", "info", "log level on stderr: debug, info, warn, error")
	f.StringVar(&o.api, "grafana-api", "auto", "path for dashboards and folders: auto (/apis where Grafana 12+ serves it, else /api), legacy (/api) or apis")
	f.BoolVar(&o.lock, "lock-dashboards", false, "on /apis (Grafana 12+), lock managed dashboards and folders in Grafana's UI (managerAllowsEdits=false; needs a service-account token); without it they are unlocked. Part of the desired state: a lock change is a plan change")
	f.StringVar(&o.alertingProvenance, "alerting-provenance", "api", "write alerting as api (locked in Grafana's UI) or none (editable in the UI; X-Disable-Provenance)")
}

// validate refuses flag values that cannot work, before anything runs.
func (o *grafanaOptions) validate() error {
	switch o.api {
	case "auto", grafana.APILegacy, grafana.APIK8s:
	default:
		return fmt.Errorf("--grafana-api %q: use auto, legacy or apis", o.api)
	}
	if o.lock && o.api == grafana.APILegacy {
		return fmt.Errorf("--lock-dashboards and --grafana-api legacy: only /apis can lock a dashboard (the grafana.app/managerAllowsEdits annotation); drop --grafana-api legacy (Grafana 12 or later), or drop --lock-dashboards")
	}
	if o.concurrency < 1 {
		return fmt.Errorf("--concurrency %d: give at least 1 (requests to Grafana in flight at once)", o.concurrency)
	}
	if o.alertingProvenance != "api" && o.alertingProvenance != "none" && o.alertingProvenance != "" {
		return fmt.Errorf("--alerting-provenance %q: choose api (locked in Grafana's UI) or none (editable)", o.alertingProvenance)
	}
	return positive(map[string]time.Duration{"--timeout": o.timeout, "--request-timeout": o.reqTimeout})
}

// positive refuses a duration flag of zero or less: none of them means
// "no limit" or "the default".
func positive(flags map[string]time.Duration) error {
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		if d := flags[name]; d <= 0 {
			return fmt.Errorf("%s %v: give a positive duration, e.g. %s 30s", name, d, name)
		}
	}
	return nil
}

// config is the Grafana configuration: the sandbox, started when asked
// for, otherwise the URLs from --grafana-url or GRAFANA_URL (a missing URL
// is an error when the client is built, never a silent fallback to the
// sandbox), and the shared credentials. cleanup stops the sandbox.
func (o *grafanaOptions) config(e env, log *slog.Logger) (grafana.Config, func(), error) {
	cfg := grafana.Config{
		OrgID: o.orgID, Concurrency: o.concurrency, Timeout: o.reqTimeout, Logger: log, Transport: o.transport,
		Token: e.getenv("GRAFANA_TOKEN"), User: e.getenv("GRAFANA_USER"), Password: e.getenv("GRAFANA_PASSWORD"),
		LockDashboards: o.lock,
	}
	if o.api != "auto" {
		cfg.API = o.api
	}
	cleanup := func() {}
	switch {
	case o.sandbox:
		if len(o.urls) > 0 {
			return grafana.Config{}, nil, fmt.Errorf("--sandbox and --grafana-url both given: choose one")
		}
		emu := grafanatest.New(grafanatest.Options{})
		rep, err := emu.StartReplica("127.0.0.1:0")
		if err != nil {
			return grafana.Config{}, nil, fmt.Errorf("start the sandbox: %w", err)
		}
		log.Info("using the built-in sandbox: an in-memory Grafana API emulator; nothing reaches a real Grafana", "url", rep.URL())
		cfg.URLs, cfg.Token, cfg.User, cfg.Password = []string{rep.URL()}, "", "admin", "admin"
		cleanup = emu.Close
	case len(o.urls) > 0:
		cfg.URLs = o.urls
	default:
		cfg.URLs = strings.Split(e.getenv("GRAFANA_URL"), ",")
	}
	return cfg, cleanup, nil
}

// withTimeout bounds a whole run.
func (o *grafanaOptions) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.timeout)
}

package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
	"github.com/grafsync/grafsync/internal/iam"
)

// sandboxOptions are the flags of `grafsync sandbox`.
type sandboxOptions struct {
	listen        string
	replicas      int
	token         string // "" none; tokenGenerate: make one up; else the key to accept
	adminUser     string
	adminPassword string
	version       string
	latency       time.Duration
	faultRate     float64
	seed          uint64
	searchLag     time.Duration
	maxDepth      int
	unhealthy     []string // uid[=message]
	awsRoles      string   // a roles/generated directory
	awsTaskRole   string
	allowRemote   bool
	instances     int // independent emulators (a fleet), each with replicas replicas
}

// tokenGenerate is --token given without a value.
const tokenGenerate = "\x00generate"

// tokenFlag is --token: a string whose value is optional. pflag sets a
// flag given without a value to its NoOptDefVal, "true" here, which stands
// for "generate a key"; Type reports "bool" so that the help line reads
// "--token" (pflag renders other optional values as [="..."]).
type tokenFlag struct{ v *string }

func (f tokenFlag) String() string {
	if f.v == nil || *f.v == tokenGenerate {
		return ""
	}
	return *f.v
}
func (f tokenFlag) Set(s string) error {
	if s == "true" {
		s = tokenGenerate
	}
	*f.v = s
	return nil
}
func (f tokenFlag) Type() string { return "bool" }

func (o *sandboxOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:3000", "address of the first replica; further replicas take the following ports")
	f.IntVar(&o.replicas, "replicas", 1, "number of replicas (HA mode: one shared state, consecutive ports)")
	f.Var(tokenFlag{&o.token}, "token", "create an Admin service-account token in org 1 and print it; --token=KEY (or --token KEY) chooses its key")
	f.Lookup("token").NoOptDefVal = "true"
	f.StringVar(&o.adminUser, "admin-user", "admin", "login of the server admin (basic auth)")
	f.StringVar(&o.adminPassword, "admin-password", "admin", "password of the server admin")
	f.StringVar(&o.version, "grafana-version", grafanatest.DefaultVersion().String(), "Grafana release to imitate: 10.x, 11.x, 12.x or 13.x (e.g. 10, 11.2, 12.0.1, 13)")
	f.DurationVar(&o.latency, "latency", 0, "latency added to every request (e.g. 20ms)")
	f.Float64Var(&o.faultRate, "fault-rate", 0, "share of requests that fail (0-1): 60% of them 5xx, 25% 429 with Retry-After, 15% dropped connections")
	f.Uint64Var(&o.seed, "seed", 1, "seed for fault injection and generated uids; the same seed gives the same faults")
	f.DurationVar(&o.searchLag, "search-lag", 0, "12.x and 13.x only: how long a write takes to show in /api/search, whose index is eventually consistent (e.g. 2s)")
	f.IntVar(&o.maxDepth, "max-folder-depth", 4, "Grafana's [folder] max_nested_folder_depth: folder levels allowed below a top-level folder (1-7)")
	f.StringArrayVar(&o.unhealthy, "unhealthy", nil, "make the health check of datasource uid fail, with the plugin seeing message (default: a refused connection); repeatable: --unhealthy loki --unhealthy 'thanos=401 Unauthorized'")
	f.StringVar(&o.awsRoles, "aws-roles", "", "answer CloudWatch health checks as STS would, against the IAM roles grafsync roles wrote to this directory (its cloudformation/ templates), e.g. roles/generated")
	f.StringVar(&o.awsTaskRole, "aws-task-role", "", "with --aws-roles: the role ARN Grafana runs as (default: the one role the trust policies admit)")
	f.IntVar(&o.instances, "instances", 1, "independent Grafanas (separate state each), on consecutive ports after the first's replicas; prints an instances: block for grafsync.yaml")
	f.BoolVar(&o.allowRemote, "allow-remote", false, "let --listen be an address other machines can reach (the sandbox has admin/admin and no TLS)")
}

func newSandboxCmd() *cobra.Command {
	var opts sandboxOptions
	return newSandboxCmdWith(&opts, func(cmd *cobra.Command) error { return runSandbox(cmd, opts) })
}

// newSandboxCmdWith builds the command around opts and run (tests replace run).
func newSandboxCmdWith(opts *sandboxOptions, run func(*cobra.Command) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the built-in Grafana API emulator on localhost (in memory, for trying grafsync and testing in CI)",
		Long: `sandbox serves grafsync's in-memory emulator of Grafana's HTTP API (/api).
It is not a Grafana: there is no UI and no query engine, and everything is lost
when it stops. It answers the API as Grafana does (status codes, error bodies,
versions, secrets, folders, search, orgs, tokens), so you can try grafsync or
rehearse a CI pipeline, also against a slow or flaky Grafana (--latency,
--fault-rate) or several replicas (--replicas).`,
		// --token has an optional value, so pflag leaves "--token KEY"'s
		// KEY as an argument; sandbox has no other, so it is the key.
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return nil
			case len(args) == 1 && opts.token == tokenGenerate:
				opts.token = args[0]
				return nil
			}
			return fmt.Errorf("sandbox takes no arguments, got %q; to choose the token's key write --token=KEY", strings.Join(args, " "))
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd)
		},
	}
	opts.addFlags(cmd)
	return cmd
}

// checkSandboxListen refuses an address other machines can reach unless
// allowRemote: the sandbox serves plain HTTP and accepts admin/admin (and
// a printed token), so anyone who reaches it is its server admin.
func checkSandboxListen(listen string, allowRemote bool) error {
	if allowRemote {
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return nil // replicaAddrs reports the malformed address
	}
	const why = "the sandbox serves plain HTTP and accepts its admin credentials (admin/admin by default) from anyone who reaches it"
	if host == "" {
		return fmt.Errorf("--listen %s listens on every interface; %s, so it listens on loopback only (e.g. 127.0.0.1:3000); add --allow-remote to serve other machines anyway", listen, why)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--listen %s is not a loopback address; %s, so it listens on loopback only (127.0.0.1, ::1 or localhost); add --allow-remote to serve other machines anyway", listen, why)
}

// errStopped is a server's normal end: it was asked to stop and did.
var errStopped = errors.New("stopped")

func runSandbox(cmd *cobra.Command, opts sandboxOptions) error {
	if err := checkSandboxListen(opts.listen, opts.allowRemote); err != nil {
		return err
	}
	if opts.instances < 1 {
		return fmt.Errorf("--instances %d: give at least 1", opts.instances)
	}
	if opts.instances > 1 {
		return runSandboxFleet(cmd, opts)
	}
	emu, err := newSandboxEmulator(opts)
	if err != nil {
		return err
	}
	addrs, err := replicaAddrs(opts.listen, opts.replicas)
	if err != nil {
		return err
	}
	defer emu.Close()
	var urls []string
	for _, addr := range addrs {
		rep, err := emu.StartReplica(addr)
		if err != nil {
			return fmt.Errorf("sandbox: %w; choose another address with --listen", err)
		}
		urls = append(urls, rep.URL())
	}
	key := ""
	switch opts.token {
	case "":
	case tokenGenerate:
		if key, err = emu.AddServiceAccountToken(1, "sandbox", "Admin"); err != nil {
			return err
		}
	default:
		key = opts.token
		if err := emu.AddServiceAccountTokenWithKey(1, "sandbox", "Admin", key); err != nil {
			return err
		}
	}
	printSandboxBanner(cmd.OutOrStdout(), emu, opts, urls, key)
	<-cmd.Context().Done()
	fmt.Fprintln(cmd.OutOrStdout(), "sandbox stopped; its state is gone")
	return errStopped
}

func newSandboxEmulator(opts sandboxOptions) (*grafanatest.Emulator, error) {
	v, err := grafanatest.ParseVersion(opts.version)
	if err != nil {
		return nil, fmt.Errorf("--grafana-version: %w", err)
	}
	if opts.faultRate < 0 || opts.faultRate > 1 {
		return nil, fmt.Errorf("--fault-rate %v: give a share between 0 and 1, e.g. 0.1 for 10%%", opts.faultRate)
	}
	if opts.replicas < 1 {
		return nil, fmt.Errorf("--replicas %d: at least one replica is needed", opts.replicas)
	}
	if opts.searchLag != 0 && !v.UnifiedStorage() {
		return nil, fmt.Errorf("--search-lag: only Grafana 12.x and 13.x search lags writes; add --grafana-version 12 or 13")
	}
	if opts.maxDepth < 1 || opts.maxDepth > 7 {
		return nil, fmt.Errorf("--max-folder-depth %d: Grafana accepts 1 to 7 (default 4)", opts.maxDepth)
	}
	aws, err := sandboxAWS(opts.awsRoles, opts.awsTaskRole)
	if err != nil {
		return nil, err
	}
	faults := map[string]string{}
	for _, u := range opts.unhealthy {
		uid, msg, _ := strings.Cut(u, "=")
		if uid == "" {
			return nil, fmt.Errorf("--unhealthy %q: give a datasource uid, optionally =message", u)
		}
		faults[uid] = msg
	}
	emu := grafanatest.New(grafanatest.Options{
		Version:              v,
		AdminLogin:           opts.adminUser,
		AdminPassword:        opts.adminPassword,
		Seed:                 opts.seed,
		SearchLag:            opts.searchLag,
		MaxNestedFolderDepth: opts.maxDepth,
		SandboxControls:      true,
		Faults: grafanatest.Faults{
			Latency:     opts.latency,
			ErrorRate:   opts.faultRate * 0.60,
			TooManyRate: opts.faultRate * 0.25,
			DropRate:    opts.faultRate * 0.15,
			RetryAfter:  time.Second,
		},
		AWS: aws,
	})
	for uid, msg := range faults {
		emu.SetHealthFault(uid, &grafanatest.HealthFault{Message: msg})
	}
	return emu, nil
}

// sandboxAWS reads the IAM side for CloudWatch health checks from a
// roles/generated directory: the CloudFormation templates alone (never
// roles/accounts.yaml, so a stale directory shows as denied roles).
func sandboxAWS(dir, taskRole string) (*grafanatest.AWSRoles, error) {
	if dir == "" {
		if taskRole != "" {
			return nil, errors.New("--aws-task-role needs --aws-roles")
		}
		return nil, nil
	}
	d, err := iam.ReadDeployed(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("--aws-roles %s: %w", dir, err)
	}
	if taskRole == "" {
		if taskRole, err = d.TrustedPrincipal(); err != nil {
			return nil, fmt.Errorf("--aws-roles %s: %w", dir, err)
		}
	}
	return &grafanatest.AWSRoles{Deployed: d, TaskRoleARN: taskRole}, nil
}

// replicaAddrs gives n consecutive ports starting at listen's. Port 0 (any
// free port) is allowed for every replica.
func replicaAddrs(listen string, n int) ([]string, error) {
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("--listen %q: want host:port, e.g. 127.0.0.1:3000", listen)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port+n-1 > 65535 {
		return nil, fmt.Errorf("--listen %q: port must be a number from 0 to 65535", listen)
	}
	addrs := make([]string, n)
	for i := range addrs {
		p := port
		if port != 0 {
			p = port + i
		}
		addrs[i] = net.JoinHostPort(host, strconv.Itoa(p))
	}
	return addrs, nil
}

func printSandboxBanner(w io.Writer, emu *grafanatest.Emulator, opts sandboxOptions, urls []string, key string) {
	fmt.Fprintf(w, "grafsync sandbox: an in-memory emulator of the Grafana %s HTTP API.\n", emu.Version())
	fmt.Fprintln(w, "It is not a real Grafana (no UI, no queries); everything is lost when it stops.")
	if opts.allowRemote {
		fmt.Fprintln(w, "WARNING: --allow-remote: whoever reaches these addresses can log in with the credentials below.")
	}
	for i, u := range urls {
		fmt.Fprintf(w, "  replica %d: %s\n", i, u)
	}
	fmt.Fprintf(w, "  basic auth (server admin): %s / %s\n", opts.adminUser, opts.adminPassword)
	if key != "" {
		fmt.Fprintf(w, "  token (Admin, org 1): %s\n", key)
	}
	if len(opts.unhealthy) > 0 {
		fmt.Fprintf(w, "  unhealthy datasources: %s\n", strings.Join(opts.unhealthy, ", "))
	}
	if opts.awsRoles != "" {
		fmt.Fprintf(w, "  CloudWatch roles: assumed as STS would, against %s\n", opts.awsRoles)
	}
	if opts.latency > 0 || opts.faultRate > 0 {
		fmt.Fprintf(w, "  faults: %v latency per request, %.0f%% of requests fail (seed %d)\n", opts.latency, opts.faultRate*100, opts.seed)
	}
	env := "GRAFANA_URL=" + strings.Join(urls, ",")
	if key != "" {
		env += " GRAFANA_TOKEN=" + key
	} else {
		env += fmt.Sprintf(" GRAFANA_USER=%s GRAFANA_PASSWORD=%s", opts.adminUser, opts.adminPassword)
	}
	fmt.Fprintf(w, "Use it with: %s\n", env)
	fmt.Fprintln(w, "Stop it with Ctrl-C (SIGINT) or SIGTERM.")
}

// runSandboxFleet serves opts.instances emulators, each with its own state
// and opts.replicas replicas, on consecutive ports, and prints the
// instances: block that reaches them.
func runSandboxFleet(cmd *cobra.Command, opts sandboxOptions) error {
	addrs, err := replicaAddrs(opts.listen, opts.instances*opts.replicas)
	if err != nil {
		return err
	}
	type inst struct {
		name, env, key string
		urls           []string
	}
	var fleet []inst
	for i := range opts.instances {
		o := opts
		o.seed = opts.seed + uint64(i) // independent faults and uids
		emu, err := newSandboxEmulator(o)
		if err != nil {
			return err
		}
		defer emu.Close()
		in := inst{name: fmt.Sprintf("sandbox-%d", i+1), env: fmt.Sprintf("SANDBOX_TOKEN_%d", i+1)}
		for _, addr := range addrs[i*opts.replicas : (i+1)*opts.replicas] {
			rep, err := emu.StartReplica(addr)
			if err != nil {
				return fmt.Errorf("sandbox: %w; choose another address with --listen", err)
			}
			in.urls = append(in.urls, rep.URL())
		}
		switch opts.token {
		case "", tokenGenerate:
			in.key, err = emu.AddServiceAccountToken(1, "sandbox", "Admin")
		default:
			in.key, err = opts.token, emu.AddServiceAccountTokenWithKey(1, "sandbox", "Admin", opts.token)
		}
		if err != nil {
			return err
		}
		fleet = append(fleet, in)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "grafsync sandbox: %d independent in-memory emulators of the Grafana %s HTTP API (separate state each).\n", opts.instances, opts.version)
	fmt.Fprintln(w, "They are not real Grafanas (no UI, no queries); everything is lost when they stop.")
	fmt.Fprintln(w, "Add this to grafsync.yaml:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "instances:")
	for i, in := range fleet {
		fmt.Fprintf(w, "  - name: %s\n", in.name)
		if len(in.urls) == 1 {
			fmt.Fprintf(w, "    url: %s\n", in.urls[0])
		} else {
			fmt.Fprintf(w, "    url: [%s]\n", strings.Join(in.urls, ", "))
		}
		fmt.Fprintf(w, "    token: ${%s}\n", in.env)
		// Labels to try --selector with: the first instance is the
		// "gold" tier, the others "basic".
		tier := "basic"
		if i == 0 {
			tier = "gold"
		}
		fmt.Fprintf(w, "    labels:\n      tier: %s\n", tier)
		fmt.Fprintf(w, "    vars:\n      tenant: %s\n", in.name)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "and set the tokens (Admin, org 1) in the environment:")
	for _, in := range fleet {
		fmt.Fprintf(w, "export %s=%s\n", in.env, in.key)
	}
	fmt.Fprintln(w, "Try: grafsync plan --selector tier=gold (sandbox-1 only). To take one instance down alone, run one grafsync sandbox per instance instead (docs/fleet.md).")
	fmt.Fprintln(w, "Stop them with Ctrl-C (SIGINT) or SIGTERM.")
	<-cmd.Context().Done()
	fmt.Fprintln(w, "sandbox stopped; its state is gone")
	return errStopped
}

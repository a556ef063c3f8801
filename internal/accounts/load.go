package accounts

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/yamlnode"
)

// Load reads and validates the accounts file name (normally DefaultFile) from
// fsys. The *Config is nil when any problem has Error severity; warnings may
// accompany a valid config.
func Load(fsys fs.FS, name string) (*Config, problem.List) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		hint := "create it; see docs/roles.md for the format"
		if !errors.Is(err, fs.ErrNotExist) {
			hint = "check the file's permissions"
		}
		return nil, problem.List{problem.Errorf(Pos{1, 1}.In(name), hint, "cannot read accounts file: %v", err)}
	}
	return Parse(name, data)
}

// Parse validates data as the accounts file named file (used in problems).
func Parse(file string, data []byte) (*Config, problem.List) {
	l := &loader{file: file}
	root, err := yamlnode.Parse(data)
	if err != nil {
		var se *yamlnode.SyntaxError
		errors.As(err, &se)
		return nil, problem.List{problem.Errorf(Pos{se.Line, max(se.Col, 1)}.In(file), cmp.Or(se.Hint, "fix the YAML syntax"), "invalid YAML: %s", se.Msg)}
	}
	if root == nil {
		return nil, problem.List{problem.Errorf(Pos{1, 1}.In(file), "add grafana: and accounts: sections; see docs/roles.md", "accounts file is empty")}
	}
	cfg := l.config(root)
	l.sortProblems()
	if l.problems.HasErrors() {
		return nil, l.problems
	}
	return cfg, l.problems
}

type loader struct {
	file     string
	problems problem.List
}

func pos(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

func (l *loader) errorf(n *yaml.Node, hint, format string, args ...any) {
	l.problems = append(l.problems, problem.Errorf(pos(n).In(l.file), hint, format, args...))
}

func (l *loader) warnf(n *yaml.Node, hint, format string, args ...any) {
	l.problems = append(l.problems, problem.Warnf(pos(n).In(l.file), hint, format, args...))
}

// sortProblems orders problems by position; those at one node keep the
// order the checks found them in (the order of the keys in the schema).
func (l *loader) sortProblems() {
	slices.SortStableFunc(l.problems, func(a, b problem.Problem) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
}

// field is one key of a mapping; the handler receives the value node.
type field struct {
	name     string
	required bool
	handle   func(v *yaml.Node)
}

// mapping checks that n is a mapping, rejects unknown and repeated keys,
// reports missing required keys and calls each handler in file order.
func (l *loader) mapping(n *yaml.Node, what string, fields []field) bool {
	n = yamlnode.Deref(n)
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "write "+what+" as a mapping of key: value", "%s must be a mapping, got %s", what, yamlnode.Describe(n))
		return false
	}
	known := map[string]field{}
	var names []string
	for _, f := range fields {
		known[f.name] = f
		names = append(names, f.name)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := known[k.Value]
		switch {
		case !ok:
			l.errorf(k, "known keys: "+strings.Join(names, ", "), "unknown key %q in %s", k.Value, what)
			continue
		case seen[k.Value]:
			l.errorf(k, "remove one of them", "key %q repeated in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		f.handle(v)
	}
	for _, f := range fields {
		if f.required && !seen[f.name] {
			l.errorf(n, "add "+f.name+": to "+what, "%s has no %s", what, f.name)
		}
	}
	return true
}

// str returns the text of a non-empty scalar. Numbers are taken as written,
// so an unquoted account id keeps its digits.
func (l *loader) str(n *yaml.Node, what string) (string, bool) {
	n = yamlnode.Deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		l.errorf(n, "give "+what+" a value", "%s must be a non-empty string, got %s", what, yamlnode.Describe(n))
		return "", false
	}
	return n.Value, true
}

func (l *loader) integer(n *yaml.Node, what string) (int, bool) {
	n = yamlnode.Deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if v, err := strconv.Atoi(n.Value); err == nil {
			return v, true
		}
	}
	l.errorf(n, "write a whole number", "%s must be an integer, got %s", what, yamlnode.Describe(n))
	return 0, false
}

func (l *loader) list(n *yaml.Node, what string) ([]*yaml.Node, bool) {
	n = yamlnode.Deref(n)
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "write "+what+" as a list, e.g. [a, b]", "%s must be a list, got %s", what, yamlnode.Describe(n))
		return nil, false
	}
	return n.Content, true
}

// rawAccount is one account item before defaults are applied: the values it
// sets itself ("" or 0 when absent) and the nodes cross-checks point at.
type rawAccount struct {
	acc Account

	roleName, rolePath, externalID, policyName string
	maxSession                                 int
	perms                                      []Permission
	permsSet                                   bool

	idNode, nameNode, modeNode *yaml.Node
	roleNode, pathNode         *yaml.Node
	extNode, permNode          *yaml.Node
	sessionNode                *yaml.Node
	regionNodes                []*yaml.Node // parallel to acc.Regions
}

func (l *loader) config(root *yaml.Node) *Config {
	cfg := &Config{
		File: l.file,
		Defaults: Defaults{
			RoleName:            DefaultRoleName,
			RolePath:            DefaultRolePath,
			MaxSessionDuration:  DefaultMaxSessionDuration,
			PolicyName:          DefaultPolicyName,
			TrustPolicyMaxChars: DefaultTrustPolicyMaxChars,
		},
		Grafana:     Grafana{Partition: DefaultPartition, AssumePolicyName: DefaultAssumePolicyName},
		Permissions: DefaultPermissions(),
	}
	var raws []*rawAccount
	var monitoringNode *yaml.Node
	ok := l.mapping(root, "accounts file", []field{
		{"grafana", true, func(v *yaml.Node) { l.grafana(v, &cfg.Grafana) }},
		{"defaults", false, func(v *yaml.Node) { l.defaults(v, &cfg.Defaults) }},
		{"permissions", false, func(v *yaml.Node) {
			if ps, ok := l.permissions(v); ok {
				cfg.Permissions = ps
			}
		}},
		{"monitoringAccount", false, func(v *yaml.Node) {
			monitoringNode = v
			cfg.MonitoringAccount, _ = l.str(v, "monitoringAccount")
			cfg.MonitoringPos = pos(v)
		}},
		{"accounts", true, func(v *yaml.Node) {
			items, ok := l.list(v, "accounts")
			if !ok {
				return
			}
			if len(items) == 0 {
				l.errorf(v, "list at least one account", "accounts is empty")
			}
			for _, item := range items {
				raws = append(raws, l.account(item))
			}
		}},
	})
	if !ok {
		return nil
	}
	l.crossCheck(cfg, raws, monitoringNode)
	return cfg
}

func (l *loader) grafana(n *yaml.Node, g *Grafana) {
	g.Pos = pos(n)
	var arnNode, partNode, idNode *yaml.Node
	l.mapping(n, "grafana", []field{
		{"accountId", true, func(v *yaml.Node) {
			idNode = v
			if s, ok := l.str(v, "grafana.accountId"); ok {
				g.AccountID = s
				l.accountID(v, s)
			}
		}},
		{"taskRoleArn", true, func(v *yaml.Node) {
			arnNode = v
			g.TaskRoleARN, _ = l.str(v, "grafana.taskRoleArn")
		}},
		{"partition", false, func(v *yaml.Node) {
			partNode = v
			if s, ok := l.str(v, "grafana.partition"); ok {
				g.Partition = s
				if !knownPartition(s) {
					l.errorf(v, "use aws, aws-cn or aws-us-gov", "unknown partition %q", s)
				}
			}
		}},
		{"assumePolicyName", false, func(v *yaml.Node) {
			if s, ok := l.str(v, "grafana.assumePolicyName"); ok {
				g.AssumePolicyName = s
				l.policyName(v, s)
			}
		}},
	})
	if arnNode == nil || g.TaskRoleARN == "" {
		return
	}
	r, err := ParseRoleARN(g.TaskRoleARN)
	if err != nil {
		var ae *ARNError
		errors.As(err, &ae)
		l.errorf(arnNode, ae.Hint, "grafana.taskRoleArn: %s", ae.Message)
		return
	}
	g.TaskRoleName = r.Name
	if r.Partition != g.Partition {
		at := arnNode
		if partNode != nil {
			at = partNode
		}
		l.errorf(at, "roles cannot be assumed across partitions; make grafana.partition and the task role ARN agree",
			"grafana.taskRoleArn is in partition %q but grafana.partition is %q", r.Partition, g.Partition)
	}
	if idNode != nil && g.AccountID != "" && r.AccountID != g.AccountID {
		l.errorf(arnNode, "the task role must live in the Grafana account "+g.AccountID,
			"grafana.taskRoleArn is in account %s, not grafana.accountId %s", r.AccountID, g.AccountID)
	}
}

func (l *loader) defaults(n *yaml.Node, d *Defaults) {
	l.mapping(n, "defaults", []field{
		{"roleName", false, func(v *yaml.Node) {
			if s, ok := l.str(v, "defaults.roleName"); ok && l.roleName(v, s) {
				d.RoleName = s
			}
		}},
		{"rolePath", false, func(v *yaml.Node) {
			if s, ok := l.str(v, "defaults.rolePath"); ok && l.rolePath(v, s) {
				d.RolePath = s
			}
		}},
		{"maxSessionDuration", false, func(v *yaml.Node) {
			if i, ok := l.integer(v, "defaults.maxSessionDuration"); ok && l.session(v, i) {
				d.MaxSessionDuration = i
			}
		}},
		{"policyName", false, func(v *yaml.Node) {
			if s, ok := l.str(v, "defaults.policyName"); ok && l.policyName(v, s) {
				d.PolicyName = s
			}
		}},
		{"trustPolicyMaxChars", false, func(v *yaml.Node) {
			if i, ok := l.integer(v, "defaults.trustPolicyMaxChars"); ok {
				if i < 2048 || i > 4096 {
					l.errorf(v, "the IAM quota is 2048 by default and can be raised to at most 4096", "defaults.trustPolicyMaxChars %d is outside 2048-4096", i)
					return
				}
				d.TrustPolicyMaxChars = i
			}
		}},
	})
}

func (l *loader) permissions(n *yaml.Node) ([]Permission, bool) {
	items, ok := l.list(n, "permissions")
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		l.errorf(n, "grant at least one of metrics, logs, xray, oam", "permissions is empty")
		return nil, false
	}
	set := map[Permission]bool{}
	good := true
	for _, it := range items {
		s, ok := l.str(it, "permission")
		if !ok {
			good = false
			continue
		}
		p := Permission(s)
		if !slices.Contains(AllPermissions(), p) {
			l.errorf(it, "known permission sets: metrics, logs, xray, oam", "unknown permission set %q", s)
			good = false
			continue
		}
		if set[p] {
			l.warnf(it, "remove the repeated entry", "permission set %q listed twice", s)
		}
		set[p] = true
	}
	return canonicalPerms(set), good
}

func canonicalPerms(set map[Permission]bool) []Permission {
	var out []Permission
	for _, p := range AllPermissions() {
		if set[p] {
			out = append(out, p)
		}
	}
	return out
}

// require reports the problem at n unless ok, and returns ok.
func (l *loader) require(ok bool, n *yaml.Node, hint, format string, args ...any) bool {
	if !ok {
		l.errorf(n, hint, format, args...)
	}
	return ok
}

func (l *loader) accountID(n *yaml.Node, s string) bool {
	return l.require(ValidAccountID(s), n, "AWS account ids are exactly 12 digits, no hyphens; quote ids with leading zeros", "account id %q is not 12 digits", s)
}

func (l *loader) roleName(n *yaml.Node, s string) bool {
	return l.require(roleNameRe.MatchString(s), n, "role names are 1-64 characters of letters, digits and +=,.@_-", "invalid role name %q", s)
}

func (l *loader) rolePath(n *yaml.Node, s string) bool {
	return l.require(rolePathRe.MatchString(s), n, "a path is / or starts and ends with /, printable ASCII, at most 512 characters, e.g. /grafana/", "invalid role path %q", s)
}

func (l *loader) policyName(n *yaml.Node, s string) bool {
	return l.require(policyNameRe.MatchString(s), n, "inline policy names are 1-128 characters of letters, digits and +=,.@_- (no spaces, \\ / * ?)", "invalid inline policy name %q", s)
}

func (l *loader) session(n *yaml.Node, i int) bool {
	if i < 3600 || i > 43200 {
		l.errorf(n, "IAM allows 3600 to 43200 seconds", "maxSessionDuration %d is outside 3600-43200", i)
		return false
	}
	if i > 3600 {
		l.warnf(n, "Grafana's task role credentials assume the role by role chaining, which AWS caps at 1 hour; 3600 is enough",
			"maxSessionDuration %d above 3600 has no effect for Grafana", i)
	}
	return true
}

func (l *loader) account(n *yaml.Node) *rawAccount {
	r := &rawAccount{}
	a := &r.acc
	a.Pos = pos(n)
	a.Mode = AssumeRole
	l.mapping(n, "account", []field{
		{"id", true, func(v *yaml.Node) {
			if s, ok := l.str(v, "account id"); ok && l.accountID(v, s) {
				a.ID, r.idNode = s, v
			}
		}},
		{"name", true, func(v *yaml.Node) {
			if s, ok := l.str(v, "account name"); ok {
				if !accountNameRe.MatchString(s) {
					l.errorf(v, "names are 1-29 characters of a-z, 0-9 and -, starting with a letter and not ending with -; they become datasource uids and file names", "invalid account name %q", s)
					return
				}
				a.Name, r.nameNode = s, v
			}
		}},
		{"regions", true, func(v *yaml.Node) { a.Regions, r.regionNodes = l.regions(v) }},
		{"mode", false, func(v *yaml.Node) {
			if s, ok := l.str(v, "mode"); ok {
				switch Mode(s) {
				case AssumeRole, OAMLinked:
					a.Mode, r.modeNode = Mode(s), v
				default:
					l.errorf(v, "use assume-role or oam-linked", "unknown mode %q", s)
				}
			}
		}},
		{"roleName", false, func(v *yaml.Node) {
			if s, ok := l.str(v, "roleName"); ok && l.roleName(v, s) {
				r.roleName, r.roleNode = s, v
			}
		}},
		{"rolePath", false, func(v *yaml.Node) {
			if s, ok := l.str(v, "rolePath"); ok && l.rolePath(v, s) {
				r.rolePath, r.pathNode = s, v
			}
		}},
		{"policyName", false, func(v *yaml.Node) {
			if s, ok := l.str(v, "policyName"); ok && l.policyName(v, s) {
				r.policyName = s
			}
		}},
		{"maxSessionDuration", false, func(v *yaml.Node) {
			if i, ok := l.integer(v, "maxSessionDuration"); ok && l.session(v, i) {
				r.maxSession, r.sessionNode = i, v
			}
		}},
		{"externalId", false, func(v *yaml.Node) {
			if s, ok := l.str(v, "externalId"); ok {
				if !ValidExternalID(s) {
					l.errorf(v, `external ids are 2-1224 characters of letters, digits and _+=,.@:/- (no spaces); or leave externalId out to have one generated`,
						"invalid externalId (%d characters)", len(s))
					return
				}
				r.externalID, r.extNode = s, v
			}
		}},
		{"permissions", false, func(v *yaml.Node) {
			if ps, ok := l.permissions(v); ok {
				r.perms, r.permsSet, r.permNode = ps, true, v
			}
		}},
	})
	return r
}

func (l *loader) regions(n *yaml.Node) ([]string, []*yaml.Node) {
	items, ok := l.list(n, "regions")
	if !ok {
		return nil, nil
	}
	if len(items) == 0 {
		l.errorf(n, "list at least one region; the first is the datasource's default region", "regions is empty")
		return nil, nil
	}
	var out []string
	var nodes []*yaml.Node
	seen := map[string]bool{}
	for _, it := range items {
		s, ok := l.str(it, "region")
		if !ok {
			continue
		}
		if !ValidRegion(s) {
			l.errorf(it, "use a region code such as eu-west-1 or us-east-1", "%q is not an AWS region code", s)
			continue
		}
		if seen[s] {
			l.errorf(it, "remove the repeated region", "region %q listed twice", s)
			continue
		}
		seen[s] = true
		out = append(out, s)
		nodes = append(nodes, it)
	}
	return out, nodes
}

// crossCheck applies defaults and checks rules that span accounts.
func (l *loader) crossCheck(cfg *Config, raws []*rawAccount, monitoringNode *yaml.Node) {
	ids, names := map[string]*rawAccount{}, map[string]*rawAccount{}
	exts := map[string]*rawAccount{}
	for _, r := range raws {
		a := &r.acc
		if r.idNode != nil {
			if prev, dup := ids[a.ID]; dup {
				l.errorf(r.idNode, fmt.Sprintf("each account appears once; the first is at line %d", prev.idNode.Line), "duplicate account id %s", a.ID)
			} else {
				ids[a.ID] = r
			}
		}
		if r.nameNode != nil {
			key := strings.ToLower(a.Name)
			if prev, dup := names[key]; dup {
				l.errorf(r.nameNode, fmt.Sprintf("account names must be unique (case-insensitive); the first is at line %d", prev.nameNode.Line), "duplicate account name %q", a.Name)
			} else {
				names[key] = r
			}
		}
		for i, reg := range a.Regions {
			if p := RegionPartition(reg); p != cfg.Grafana.Partition {
				l.errorf(r.regionNodes[i], "Grafana in partition "+cfg.Grafana.Partition+" cannot assume roles in another partition; run a separate Grafana there",
					"region %s is in partition %s, but Grafana is in %s", reg, p, cfg.Grafana.Partition)
			}
		}
		if a.Mode == OAMLinked {
			for _, n := range []*yaml.Node{r.roleNode, r.pathNode, r.extNode, r.permNode, r.sessionNode} {
				if n != nil {
					l.errorf(n, "oam-linked accounts get no role; remove the key or use mode: assume-role", "role setting on oam-linked account %q", a.Name)
				}
			}
			continue
		}
		a.RoleName = cmp.Or(r.roleName, cfg.Defaults.RoleName)
		a.RolePath = cmp.Or(r.rolePath, cfg.Defaults.RolePath)
		a.PolicyName = cmp.Or(r.policyName, cfg.Defaults.PolicyName)
		a.MaxSessionDuration = cmp.Or(r.maxSession, cfg.Defaults.MaxSessionDuration)
		a.Permissions = cfg.Permissions
		if r.permsSet {
			a.Permissions = r.perms
		}
		a.ExternalID, a.ExternalIDExplicit = r.externalID, r.externalID != ""
		if !a.ExternalIDExplicit && a.ID != "" {
			a.ExternalID = GenerateExternalID(cfg.Grafana.AccountID, cfg.Grafana.TaskRoleARN, a.ID)
		}
		if r.extNode != nil {
			if prev, dup := exts[a.ExternalID]; dup {
				l.warnf(r.extNode, "AWS recommends a distinct external id per account; leave externalId out to have one generated",
					"externalId of account %q repeats the one of account %q", a.Name, prev.acc.Name)
			} else {
				exts[a.ExternalID] = r
			}
		}
	}
	for _, r := range raws {
		cfg.Accounts = append(cfg.Accounts, r.acc)
	}
	l.monitoring(cfg, raws, monitoringNode)
}

func (l *loader) monitoring(cfg *Config, raws []*rawAccount, monitoringNode *yaml.Node) {
	var mon *Account
	if cfg.MonitoringAccount != "" {
		for i := range cfg.Accounts {
			if cfg.Accounts[i].Name == cfg.MonitoringAccount {
				mon = &cfg.Accounts[i]
			}
		}
		switch {
		case mon == nil:
			l.errorf(monitoringNode, "name one of the accounts listed under accounts:", "monitoringAccount %q is not a listed account", cfg.MonitoringAccount)
		case mon.Mode != AssumeRole:
			l.errorf(monitoringNode, "Grafana reads linked accounts through the monitoring account's role; give it mode: assume-role", "monitoringAccount %q is not an assume-role account", mon.Name)
			mon = nil
		default:
			mon.Monitoring = true
			if !slices.Contains(mon.Permissions, PermOAM) {
				set := map[Permission]bool{PermOAM: true}
				for _, p := range mon.Permissions {
					set[p] = true
				}
				mon.Permissions = canonicalPerms(set)
			}
		}
	}
	for i, a := range cfg.Accounts {
		if a.Mode != OAMLinked {
			continue
		}
		at := raws[i].modeNode
		if cfg.MonitoringAccount == "" {
			l.errorf(at, "add monitoringAccount: <name of the account with the OAM sink>", "oam-linked account %q but no monitoringAccount", a.Name)
			continue
		}
		if mon == nil {
			continue
		}
		for j, reg := range a.Regions {
			if !slices.Contains(mon.Regions, reg) {
				l.warnf(raws[i].regionNodes[j], "OAM links are per region; add the region to the monitoring account or remove it here",
					"region %s of oam-linked account %q is not a region of monitoring account %q", reg, a.Name, mon.Name)
			}
		}
	}
}

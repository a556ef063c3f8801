package iam

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Deployed is the IAM side as AWS would hold it once the CloudFormation
// templates that `grafsync roles` writes are deployed: the member roles
// with their trust policies, and the identity policies of the Grafana
// account's roles. It is read back from roles/generated alone, never from
// roles/accounts.yaml, so a stale roles/generated shows as a mismatch with
// the datasources (which follow accounts.yaml).
type Deployed struct {
	Roles []DeployedRole
	// Policies are the identity policies by the name of the role they are
	// attached to (in the Grafana account).
	Policies map[string][]PolicyDocument
	// Files are the templates read, relative to the directory, for messages.
	Files []string
}

// DeployedRole is one role in one member account.
type DeployedRole struct {
	AccountID, Name, Path, ARN string
	Trust                      PolicyDocument
	File                       string // the template it comes from
}

// The CloudFormation templates grafsync roles writes (cloudformation.go).
const (
	memberTemplateFile = "cloudformation/member-roles.yaml"
	taskTemplateFile   = "cloudformation/grafana-task-role.yaml"
)

var accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)

// ReadDeployed reads the CloudFormation output of grafsync roles from fsys
// (rooted at roles/generated, or a copy of it). The member template is
// evaluated once per account its Mappings list (a StackSet deploys it to
// those accounts), resolving Ref AWS::AccountId, Ref AWS::Partition and
// Fn::FindInMap; any other intrinsic function is an error. The JSON and
// Terraform formats are not read: they carry neither the account ids nor,
// in JSON's case, the role names.
func ReadDeployed(fsys fs.FS) (*Deployed, error) {
	member, err := readTemplate(fsys, memberTemplateFile)
	if err != nil {
		return nil, err
	}
	task, err := readTemplate(fsys, taskTemplateFile)
	if err != nil {
		return nil, err
	}
	d := &Deployed{Policies: map[string][]PolicyDocument{}, Files: []string{memberTemplateFile, taskTemplateFile}}
	accounts := member.accounts()
	if len(accounts) == 0 {
		return nil, fmt.Errorf("%s: Mappings list no 12-digit account ids; regenerate it with grafsync roles", memberTemplateFile)
	}
	for _, acct := range accounts {
		for _, name := range member.resourcesOfType("AWS::IAM::Role") {
			props, err := member.properties(name, acct)
			if err != nil {
				return nil, err
			}
			r, err := deployedRole(props, acct)
			if err != nil {
				return nil, fmt.Errorf("%s: resource %s in account %s: %w", memberTemplateFile, name, acct, err)
			}
			r.File = memberTemplateFile
			d.Roles = append(d.Roles, r)
		}
	}
	if len(d.Roles) == 0 {
		return nil, fmt.Errorf("%s holds no AWS::IAM::Role; regenerate it with grafsync roles", memberTemplateFile)
	}
	// The task template is deployed in the Grafana account; the account
	// principal of the trust policies names it.
	grafanaAccount := ""
	for _, r := range d.Roles {
		for _, s := range r.Trust.Statement {
			for _, p := range s.Principal["AWS"] {
				if a := AccountOf(p); a != "" {
					grafanaAccount = a
				} else if accountIDRe.MatchString(p) {
					grafanaAccount = p
				}
			}
		}
	}
	for _, typ := range []string{"AWS::IAM::RolePolicy", "AWS::IAM::Policy"} {
		for _, name := range task.resourcesOfType(typ) {
			props, err := task.properties(name, grafanaAccount)
			if err != nil {
				return nil, err
			}
			var p struct {
				RoleName       string
				Roles          []string
				PolicyDocument any
			}
			if err := remarshal(props, &p); err != nil {
				return nil, fmt.Errorf("%s: resource %s: %w", taskTemplateFile, name, err)
			}
			doc, err := policyOf(p.PolicyDocument)
			if err != nil {
				return nil, fmt.Errorf("%s: resource %s: %w", taskTemplateFile, name, err)
			}
			for _, role := range append(p.Roles, p.RoleName) {
				if role != "" {
					d.Policies[role] = append(d.Policies[role], doc)
				}
			}
		}
	}
	return d, nil
}

// TrustedPrincipal is the one role every trust policy admits through an
// aws:PrincipalArn condition (or names as its principal): the Grafana task
// role the templates were generated for. It is an error when the
// templates name none or several.
func (d *Deployed) TrustedPrincipal() (string, error) {
	seen := map[string]bool{}
	for _, r := range d.Roles {
		for _, s := range r.Trust.Statement {
			if s.Effect != "Allow" {
				continue
			}
			for _, keys := range s.Condition {
				for k, vs := range keys {
					if strings.EqualFold(k, "aws:PrincipalArn") {
						for _, v := range vs {
							seen[v] = true
						}
					}
				}
			}
			for _, p := range s.Principal["AWS"] {
				if strings.Contains(p, ":role/") {
					seen[p] = true
				}
			}
		}
	}
	arns := slices.Sorted(maps.Keys(seen))
	if len(arns) != 1 || strings.ContainsAny(arns[0], "*?") {
		return "", fmt.Errorf("the trust policies in %s admit %d principals (%s), not exactly one Grafana task role: name it with --aws-task-role", memberTemplateFile, len(arns), strings.Join(arns, ", "))
	}
	return arns[0], nil
}

// Role finds a deployed role by ARN. IAM role names are unique
// case-insensitively within an account.
func (d *Deployed) Role(arn string) (DeployedRole, bool) {
	for _, r := range d.Roles {
		if strings.EqualFold(r.ARN, arn) {
			return r, true
		}
	}
	return DeployedRole{}, false
}

// CanAssume reports whether sts:AssumeRole by the caller role (its ARN, as
// aws:PrincipalArn holds it) on roleARN, passing externalID ("" = none),
// succeeds: the role exists, its trust policy allows the call, and — the
// call crossing accounts — an identity policy on the caller allows it too
// (reference §2.1: cross-account AssumeRole needs both). Within one account
// a trust policy naming the caller's ARN is enough on its own.
func (d *Deployed) CanAssume(callerARN, roleARN, externalID string) bool {
	role, ok := d.Role(roleARN)
	if !ok {
		return false
	}
	req := Request{PrincipalARN: callerARN, Action: "sts:AssumeRole", Resource: role.ARN, Context: map[string]string{}}
	if externalID != "" {
		req.Context["sts:ExternalId"] = externalID
	}
	if role.Trust.EvaluateTrust(req) != Allowed {
		return false
	}
	identity := ImplicitDeny
	for _, p := range d.Policies[roleNameOf(callerARN)] {
		switch p.EvaluateIdentity(req) {
		case ExplicitDeny:
			return false
		case Allowed:
			identity = Allowed
		}
	}
	if identity == Allowed {
		return true
	}
	if AccountOf(callerARN) != role.AccountID {
		return false
	}
	for _, s := range role.Trust.Statement {
		if slices.Contains(s.Principal["AWS"], callerARN) {
			return true
		}
	}
	return false
}

// roleNameOf is the name of a role ARN: its last path element.
func roleNameOf(arn string) string {
	_, res, _ := strings.Cut(arn, ":role/")
	return res[strings.LastIndex(res, "/")+1:]
}

func deployedRole(props map[string]any, acct string) (DeployedRole, error) {
	var p struct {
		RoleName                 string
		Path                     string
		AssumeRolePolicyDocument any
	}
	if err := remarshal(props, &p); err != nil {
		return DeployedRole{}, err
	}
	if p.RoleName == "" {
		return DeployedRole{}, errors.New("no RoleName (CloudFormation would make one up, which no datasource can name)")
	}
	if p.Path == "" {
		p.Path = "/"
	}
	trust, err := policyOf(p.AssumeRolePolicyDocument)
	if err != nil {
		return DeployedRole{}, fmt.Errorf("AssumeRolePolicyDocument: %w", err)
	}
	partition := "aws"
	for _, s := range trust.Statement {
		for _, v := range s.Principal["AWS"] {
			if parts := strings.SplitN(v, ":", 3); len(parts) == 3 && parts[0] == "arn" {
				partition = parts[1]
			}
		}
	}
	return DeployedRole{
		AccountID: acct, Name: p.RoleName, Path: p.Path, Trust: trust,
		ARN: fmt.Sprintf("arn:%s:iam::%s:role%s%s", partition, acct, p.Path, p.RoleName),
	}, nil
}

// policyOf converts a resolved template value to a policy document.
func policyOf(v any) (PolicyDocument, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return PolicyDocument{}, err
	}
	return ParseJSON(b)
}

// remarshal converts a resolved template value to a struct through JSON.
func remarshal(v, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// template is a parsed CloudFormation template.
type template struct {
	file      string
	mappings  map[string]any
	resources map[string]any
}

func readTemplate(fsys fs.FS, file string) (*template, error) {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w; write it with grafsync roles (its --format must include cloudformation, as it does by default)", file, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	v, err := nodeValue(&root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	m, _ := v.(map[string]any)
	t := &template{file: file}
	t.mappings, _ = m["Mappings"].(map[string]any)
	t.resources, _ = m["Resources"].(map[string]any)
	return t, nil
}

// nodeValue converts a YAML node to plain values, turning the short forms
// of intrinsic functions (!Ref X, !FindInMap [...]) into their long forms.
func nodeValue(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0])
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := nodeValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			val, err := nodeValue(c)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	default:
		if n.Tag == "!!timestamp" { // an unquoted date such as Version: 2012-10-17
			v = n.Value
			break
		}
		var s any
		plain := *n
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			plain.Tag = "!!str"
		}
		if err := plain.Decode(&s); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		v = s
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		fn := strings.TrimPrefix(n.Tag, "!")
		if fn != "Ref" && fn != "Condition" {
			fn = "Fn::" + fn
		}
		return map[string]any{fn: v}, nil
	}
	return v, nil
}

// accounts lists the 12-digit keys of the template's mappings, sorted.
func (t *template) accounts() []string {
	seen := map[string]bool{}
	for _, m := range t.mappings {
		mm, _ := m.(map[string]any)
		for k := range mm {
			if accountIDRe.MatchString(k) {
				seen[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// resourcesOfType lists the logical ids of the resources of one type, sorted.
func (t *template) resourcesOfType(typ string) []string {
	var out []string
	for name, r := range t.resources {
		if m, _ := r.(map[string]any); m["Type"] == typ {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// properties resolves a resource's properties as deployed in one account.
func (t *template) properties(name, account string) (map[string]any, error) {
	r, _ := t.resources[name].(map[string]any)
	v, err := t.resolve(r["Properties"], account)
	if err != nil {
		return nil, fmt.Errorf("%s: resource %s in account %s: %w", t.file, name, account, err)
	}
	m, _ := v.(map[string]any)
	return m, nil
}

// resolve evaluates the intrinsic functions grafsync's templates use.
func (t *template) resolve(v any, account string) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := t.resolve(e, account)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return t.intrinsic(k, arg, account)
				}
			}
		}
		out := map[string]any{}
		for k, e := range x {
			r, err := t.resolve(e, account)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

func (t *template) intrinsic(fn string, arg any, account string) (any, error) {
	arg, err := t.resolve(arg, account)
	if err != nil {
		return nil, err
	}
	switch fn {
	case "Ref":
		switch arg {
		case "AWS::AccountId":
			if account == "" {
				return nil, errors.New("the account of Ref AWS::AccountId is not known")
			}
			return account, nil
		case "AWS::Partition":
			return "aws", nil
		}
		return nil, fmt.Errorf("a Ref to %v is not supported here; only AWS::AccountId and AWS::Partition", arg)
	case "Fn::FindInMap":
		l, _ := arg.([]any)
		if len(l) != 3 {
			return nil, fmt.Errorf("Fn::FindInMap wants [map, key, attribute], got %v", arg)
		}
		m, _ := t.mappings[fmt.Sprint(l[0])].(map[string]any)
		top, _ := m[fmt.Sprint(l[1])].(map[string]any)
		val, ok := top[fmt.Sprint(l[2])]
		if !ok {
			return nil, fmt.Errorf("Fn::FindInMap: mapping %v has no %v.%v", l[0], l[1], l[2])
		}
		return val, nil
	}
	return nil, fmt.Errorf("%s is not supported here; only Ref and Fn::FindInMap", fn)
}

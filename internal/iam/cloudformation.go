package iam

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"
)

// RenderCloudFormation renders two templates:
//
//	cloudformation/member-roles.yaml       one template for every member account
//	cloudformation/grafana-task-role.yaml  the task-role policy, for the Grafana account
//
// The member template is one template for a StackSet: the per-account values
// (role name, path, external id, session duration, actions) sit in a Mappings
// table keyed by account id and are looked up with AWS::AccountId, so the
// same template deploys unchanged to every account and fails in an account
// that is not listed. Because Mappings hold only strings and lists, the
// permission policy is a single statement with the account's actions (the
// same grants as the JSON and Terraform output, without the Sid grouping).
func RenderCloudFormation(set *Set) ([]File, error) {
	member, err := memberTemplate(set)
	if err != nil {
		return nil, err
	}
	task, err := taskTemplate(set)
	if err != nil {
		return nil, err
	}
	return []File{
		{"cloudformation/grafana-task-role.yaml", task},
		{"cloudformation/member-roles.yaml", member},
	}, nil
}

// externalIDMarker stands for the per-account external id in the trust policy
// while it is converted to a template; it cannot be a valid external id.
const externalIDMarker = "\x00externalId"

func memberTemplate(set *Set) ([]byte, error) {
	accounts := mapping()
	for _, r := range set.Roles {
		a := r.Account
		var all StringList
		for _, s := range r.Permissions.Statement {
			all = append(all, s.Action...)
		}
		var actions []*yaml.Node
		for _, act := range all.canonical(true) {
			actions = append(actions, str(act))
		}
		accounts.Content = append(accounts.Content, str(a.ID), mapping(
			"Name", str(a.Name),
			"RoleName", str(a.RoleName),
			"RolePath", str(a.RolePath),
			"PolicyName", str(a.PolicyName),
			"ExternalId", str(a.ExternalID),
			"MaxSessionDuration", str(strconv.Itoa(a.MaxSessionDuration)),
			"Actions", seq(actions...),
		))
	}
	lookup := func(key string) *yaml.Node {
		return mapping("Fn::FindInMap", flow(seq(str("Accounts"), mapping("Ref", str("AWS::AccountId")), str(key))))
	}
	trust := TrustPolicy(set.Grafana, externalIDMarker)
	permissions := mapping(
		"Version", str(PolicyVersion),
		"Statement", seq(mapping(
			"Sid", str("GrafanaCloudWatchRead"),
			"Effect", str("Allow"),
			"Action", lookup("Actions"),
			"Resource", str("*"),
		)),
	)
	tmpl := mapping(
		"AWSTemplateFormatVersion", str("2010-09-09"),
		"Description", str(roleDescription(set.Grafana.AccountID)+". Deploy with a StackSet to the accounts under Mappings, one region per account, with CAPABILITY_NAMED_IAM."),
		"Mappings", mapping("Accounts", accounts),
		"Resources", mapping("GrafanaCloudWatchRole", mapping(
			"Type", str("AWS::IAM::Role"),
			"Properties", mapping(
				"RoleName", lookup("RoleName"),
				"Path", lookup("RolePath"),
				"Description", str(roleDescription(set.Grafana.AccountID)),
				"MaxSessionDuration", lookup("MaxSessionDuration"),
				"AssumeRolePolicyDocument", docNode(trust, map[string]*yaml.Node{externalIDMarker: lookup("ExternalId")}),
				"Policies", seq(mapping(
					"PolicyName", lookup("PolicyName"),
					"PolicyDocument", permissions,
				)),
				"Tags", seq(mapping("Key", str("managed-by"), "Value", str("grafsync"))),
			),
		)),
		"Outputs", mapping(
			"RoleArn", mapping("Value", mapping("Fn::GetAtt", flow(seq(str("GrafanaCloudWatchRole"), str("Arn"))))),
			"ExternalId", mapping("Value", lookup("ExternalId")),
		),
	)
	return encodeYAML(set, tmpl)
}

func taskTemplate(set *Set) ([]byte, error) {
	tmpl := mapping(
		"AWSTemplateFormatVersion", str("2010-09-09"),
		"Description", str("Lets the Grafana task role assume the CloudWatch read roles; deploy in account "+set.Grafana.AccountID+" with CAPABILITY_NAMED_IAM."),
		"Resources", mapping("GrafanaAssumeCloudWatchRoles", mapping(
			"Type", str("AWS::IAM::RolePolicy"),
			"Properties", mapping(
				"RoleName", str(set.Grafana.TaskRoleName),
				"PolicyName", str(set.Grafana.AssumePolicyName),
				"PolicyDocument", docNode(set.TaskRoleAssume, nil),
			),
		)),
	)
	return encodeYAML(set, tmpl)
}

// docNode converts the canonical document to YAML nodes; a string value that
// is a key of subst is replaced by its node.
func docNode(d PolicyDocument, subst map[string]*yaml.Node) *yaml.Node {
	value := func(s string) *yaml.Node {
		if n, ok := subst[s]; ok {
			return n
		}
		return str(s)
	}
	list := func(l StringList) *yaml.Node {
		if len(l) == 1 {
			return value(l[0])
		}
		var items []*yaml.Node
		for _, s := range l {
			items = append(items, value(s))
		}
		return seq(items...)
	}
	var stmts []*yaml.Node
	for _, s := range d.Canonical().Statement {
		m := mapping()
		if s.Sid != "" {
			m.Content = append(m.Content, str("Sid"), str(s.Sid))
		}
		m.Content = append(m.Content, str("Effect"), str(s.Effect))
		if len(s.Principal) > 0 {
			p := mapping()
			for _, k := range slices.Sorted(maps.Keys(s.Principal)) {
				p.Content = append(p.Content, str(k), list(s.Principal[k]))
			}
			m.Content = append(m.Content, str("Principal"), p)
		}
		m.Content = append(m.Content, str("Action"), list(s.Action))
		if len(s.Resource) > 0 {
			m.Content = append(m.Content, str("Resource"), list(s.Resource))
		}
		if len(s.Condition) > 0 {
			c := mapping()
			for _, op := range slices.Sorted(maps.Keys(s.Condition)) {
				kv := mapping()
				for _, k := range slices.Sorted(maps.Keys(s.Condition[op])) {
					kv.Content = append(kv.Content, str(k), list(s.Condition[op][k]))
				}
				c.Content = append(c.Content, str(op), kv)
			}
			m.Content = append(m.Content, str("Condition"), c)
		}
		stmts = append(stmts, m)
	}
	return mapping("Version", str(d.Version), "Statement", seq(stmts...))
}

func encodeYAML(set *Set, root *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# " + header(set) + "\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encode CloudFormation template: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode CloudFormation template: %w", err)
	}
	return b.Bytes(), nil
}

// mapping builds a mapping node from alternating string keys and nodes.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func seq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}

func flow(n *yaml.Node) *yaml.Node {
	n.Style = yaml.FlowStyle
	return n
}

// str is a string scalar; yaml.v3 quotes it when it would read as another type.
func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

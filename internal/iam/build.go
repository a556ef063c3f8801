package iam

import (
	"fmt"
	"slices"

	"github.com/grafsync/grafsync/internal/accounts"
	"github.com/grafsync/grafsync/internal/problem"
)

// InlinePolicyMaxChars is the IAM quota on the aggregate size of a role's
// inline policies (whitespace not counted).
const InlinePolicyMaxChars = 10240

// Set is every IAM document for one accounts file.
type Set struct {
	Source  string // the accounts file, named in generated headers
	Grafana accounts.Grafana
	// Roles holds one entry per assume-role account, in file order.
	Roles []Role
	// TaskRoleAssume is the identity policy for the Grafana task role: it
	// allows sts:AssumeRole on exactly the ARNs of Roles.
	TaskRoleAssume PolicyDocument
}

// Role is the generated role in one member account.
type Role struct {
	Account     accounts.Account
	ARN         string
	Trust       PolicyDocument
	Permissions PolicyDocument
}

// statementsFor returns the permission statements for one permission set
// (reference §1.3 for metrics and logs, §1.4 for oam; xray follows the
// Grafana X-Ray datasource's documented policy).
func statementsFor(p accounts.Permission) []Statement {
	allow := func(sid string, actions ...string) Statement {
		return Statement{Sid: sid, Effect: "Allow", Action: actions, Resource: StringList{"*"}}
	}
	switch p {
	case accounts.PermMetrics:
		return []Statement{
			allow("CloudWatchMetrics", "cloudwatch:DescribeAlarmsForMetric", "cloudwatch:DescribeAlarmHistory",
				"cloudwatch:DescribeAlarms", "cloudwatch:ListMetrics", "cloudwatch:GetMetricData", "cloudwatch:GetInsightRuleReport"),
			allow("PerformanceInsights", "pi:GetResourceMetrics"),
		}
	case accounts.PermLogs:
		return []Statement{
			allow("CloudWatchLogs", "logs:DescribeLogGroups", "logs:GetLogGroupFields", "logs:StartQuery",
				"logs:StopQuery", "logs:GetQueryResults", "logs:GetLogEvents"),
		}
	case accounts.PermXRay:
		return []Statement{
			allow("XRay", "xray:BatchGetTraces", "xray:GetTraceSummaries", "xray:GetTraceGraph", "xray:GetGroups",
				"xray:GetTimeSeriesServiceStatistics", "xray:GetInsightSummaries", "xray:GetInsight", "xray:GetServiceGraph"),
		}
	case accounts.PermOAM:
		return []Statement{allow("CrossAccountObservability", "oam:ListSinks", "oam:ListAttachedLinks")}
	}
	return nil
}

// PermissionPolicy is the inline policy of an account's role: the statements
// of each permission set, plus the EC2 and tag lookups that template
// variables use whenever metrics or logs are granted.
func PermissionPolicy(perms []accounts.Permission) PolicyDocument {
	doc := PolicyDocument{Version: PolicyVersion}
	has := func(p accounts.Permission) bool { return slices.Contains(perms, p) }
	for _, p := range []accounts.Permission{accounts.PermMetrics, accounts.PermLogs} {
		if has(p) {
			doc.Statement = append(doc.Statement, statementsFor(p)...)
		}
	}
	if has(accounts.PermMetrics) || has(accounts.PermLogs) {
		doc.Statement = append(doc.Statement,
			Statement{Sid: "Ec2ForVariables", Effect: "Allow", Action: StringList{"ec2:DescribeTags", "ec2:DescribeInstances", "ec2:DescribeRegions"}, Resource: StringList{"*"}},
			Statement{Sid: "TagsForVariables", Effect: "Allow", Action: StringList{"tag:GetResources"}, Resource: StringList{"*"}},
		)
	}
	for _, p := range []accounts.Permission{accounts.PermXRay, accounts.PermOAM} {
		if has(p) {
			doc.Statement = append(doc.Statement, statementsFor(p)...)
		}
	}
	return doc
}

// TrustPolicy lets the Grafana task role, and only it, assume the role:
// the account principal with aws:PrincipalArn (so trust survives the task
// role being recreated, reference §2.1) and sts:ExternalId (§2.2). Grafana
// passes no session tags or source identity, so sts:AssumeRole suffices (§2.3).
func TrustPolicy(g accounts.Grafana, externalID string) PolicyDocument {
	return PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
		Sid:       "GrafanaTaskRoleAssume",
		Effect:    "Allow",
		Principal: Principal{"AWS": {fmt.Sprintf("arn:%s:iam::%s:root", g.Partition, g.AccountID)}},
		Action:    StringList{"sts:AssumeRole"},
		Condition: Condition{
			"ArnEquals":    {"aws:PrincipalArn": {g.TaskRoleARN}},
			"StringEquals": {"sts:ExternalId": {externalID}},
		},
	}}}
}

// TaskRolePolicy allows sts:AssumeRole on exactly the given role ARNs.
func TaskRolePolicy(roleARNs []string) PolicyDocument {
	return PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
		Sid:      "AssumeCloudWatchReadRoles",
		Effect:   "Allow",
		Action:   StringList{"sts:AssumeRole"},
		Resource: slices.Clone(roleARNs),
	}}}
}

// Build derives every document from a valid config and checks them against
// the IAM size quotas. Problems point into the accounts file.
func Build(cfg *accounts.Config) (*Set, problem.List) {
	set := &Set{Source: cfg.File, Grafana: cfg.Grafana}
	var problems problem.List
	at := func(p accounts.Pos, hint, format string, args ...any) {
		problems = append(problems, problem.Errorf(p.In(cfg.File), hint, format, args...))
	}
	var arns []string
	for _, a := range cfg.AssumeRoleAccounts() {
		r := Role{
			Account:     a,
			ARN:         a.RoleARN(cfg.Grafana.Partition),
			Trust:       TrustPolicy(cfg.Grafana, a.ExternalID),
			Permissions: PermissionPolicy(a.Permissions),
		}
		if err := r.Trust.Validate(Trust); err != nil {
			at(a.Pos, "this is a grafsync bug; please report it", "trust policy of account %q: %v", a.Name, err)
		}
		if err := r.Permissions.Validate(Identity); err != nil {
			at(a.Pos, "this is a grafsync bug; please report it", "permission policy of account %q: %v", a.Name, err)
		}
		if n := r.Trust.Size(); n > cfg.Defaults.TrustPolicyMaxChars {
			at(a.Pos, "shorten the externalId or the task role path, or raise defaults.trustPolicyMaxChars (up to 4096) after raising the IAM quota",
				"trust policy of account %q is %d characters, over the quota of %d", a.Name, n, cfg.Defaults.TrustPolicyMaxChars)
		}
		if n := r.Permissions.Size(); n > InlinePolicyMaxChars {
			at(a.Pos, "grant fewer permission sets", "permission policy of account %q is %d characters, over the inline quota of %d", a.Name, n, InlinePolicyMaxChars)
		}
		arns = append(arns, r.ARN)
		set.Roles = append(set.Roles, r)
	}
	set.TaskRoleAssume = TaskRolePolicy(arns)
	if err := set.TaskRoleAssume.Validate(Identity); err != nil {
		at(cfg.Grafana.Pos, "list at least one assume-role account", "task role policy: %v", err)
	}
	if n := set.TaskRoleAssume.Size(); n > InlinePolicyMaxChars {
		at(cfg.Grafana.Pos, "use the same roleName and rolePath in every account and attach a wildcard policy on arn:"+cfg.Grafana.Partition+":iam::*:role"+cfg.Defaults.RolePath+cfg.Defaults.RoleName+" instead",
			"task role policy naming %d roles is %d characters, over the inline quota of %d", len(arns), n, InlinePolicyMaxChars)
	}
	return set, problems
}

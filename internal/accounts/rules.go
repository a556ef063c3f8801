package accounts

import (
	"fmt"
	"regexp"
	"strings"
)

// Syntax rules from the IAM and STS quotas (reference §3.3). Compiled once;
// never modified. This file is the one place grafsync states AWS identifier
// rules; internal/load checks hand-written CloudWatch datasources with them.
var (
	accountIDRe   = regexp.MustCompile(`^[0-9]{12}$`)
	accountNameRe = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,27}[a-z0-9])?$`)
	roleNameRe    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	rolePathRe    = regexp.MustCompile(`^/$|^/[\x21-\x7E]{0,510}/$`)
	externalIDRe  = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // and 2-1224 long: Go's regexp caps repeats at 1000
	regionRe      = regexp.MustCompile(`^(eusc|[a-z]{2})(-[a-z]+)+-[0-9]{1,2}$`)
	policyNameRe  = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
)

// knownPartition reports whether p is an AWS partition grafsync knows.
func knownPartition(p string) bool {
	switch p {
	case "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc":
		return true
	}
	return false
}

// RegionPartition returns the partition a region code belongs to.
func RegionPartition(region string) string {
	for _, p := range []struct{ prefix, partition string }{
		{"cn-", "aws-cn"},
		{"us-gov-", "aws-us-gov"},
		{"us-isob-", "aws-iso-b"},
		{"us-isof-", "aws-iso-f"},
		{"us-iso-", "aws-iso"},
		{"eu-isoe-", "aws-iso-e"},
		{"eusc-", "aws-eusc"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// RoleARN is a parsed IAM role ARN.
type RoleARN struct {
	Partition string
	AccountID string
	Path      string // "/" or "/a/b/"
	Name      string
}

// String renders the ARN.
func (r RoleARN) String() string {
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", r.Partition, r.AccountID, r.Path, r.Name)
}

// ARNReason names the rule a string breaks to not be a role ARN, so that a
// caller can word the problem for its own context.
type ARNReason int

const (
	ARNNotARN           ARNReason = iota + 1 // not arn:<partition>:<service>:<region>:<account>:<resource>
	ARNUnknownPartition                      // Part is the partition
	ARNNotIAM                                // Part is the service
	ARNHasRegion                             // Part is the region; IAM is global
	ARNBadAccount                            // Part is the account, not 12 digits
	ARNAccountPrincipal                      // the resource is "root"
	ARNUser                                  // Part is the resource, an IAM user
	ARNNotRole                               // Part is the resource, neither role nor user
	ARNBadRoleName                           // Part is the role name
	ARNBadRolePath                           // Part is the role path
)

// ARNError explains why a string is not a role ARN.
type ARNError struct {
	Reason ARNReason
	// Part is the offending component of the ARN ("" for ARNNotARN and
	// ARNAccountPrincipal).
	Part    string
	Message string
	Hint    string
}

func (e *ARNError) Error() string { return e.Message }

// ParseRoleARN parses arn:<partition>:iam::<12 digits>:role/<path/>name and
// rejects account principals (":root"), other services, regions and
// resource types. A non-nil error is an *ARNError.
func ParseRoleARN(s string) (RoleARN, error) {
	const shape = "a role ARN looks like arn:aws:iam::123456789012:role/path/name"
	fail := func(reason ARNReason, part, hint, format string, args ...any) (RoleARN, error) {
		return RoleARN{}, &ARNError{Reason: reason, Part: part, Message: fmt.Sprintf(format, args...), Hint: hint}
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return fail(ARNNotARN, "", shape, "%q is not an ARN", s)
	}
	r := RoleARN{Partition: parts[1], AccountID: parts[4]}
	resource := parts[5]
	switch {
	case !knownPartition(r.Partition):
		return fail(ARNUnknownPartition, r.Partition, "use aws, aws-cn or aws-us-gov", "ARN %q has unknown partition %q", s, r.Partition)
	case parts[2] != "iam":
		return fail(ARNNotIAM, parts[2], shape, "ARN %q is for service %q, not iam", s, parts[2])
	case parts[3] != "":
		return fail(ARNHasRegion, parts[3], shape, "IAM ARN %q has a region; IAM is global", s)
	case !accountIDRe.MatchString(r.AccountID):
		return fail(ARNBadAccount, r.AccountID, shape, "ARN %q has account %q, want 12 digits", s, r.AccountID)
	case resource == "root":
		return fail(ARNAccountPrincipal, "", "name the role itself, e.g. arn:"+r.Partition+":iam::"+r.AccountID+":role/grafana-task",
			"ARN %q is an account principal, not a role", s)
	case strings.HasPrefix(resource, "user/"):
		return fail(ARNUser, resource, shape, "ARN %q is not a role (resource %q)", s, resource)
	case !strings.HasPrefix(resource, "role/"):
		return fail(ARNNotRole, resource, shape, "ARN %q is not a role (resource %q)", s, resource)
	}
	rest := strings.TrimPrefix(resource, "role")
	i := strings.LastIndex(rest, "/")
	r.Path, r.Name = rest[:i+1], rest[i+1:]
	if !roleNameRe.MatchString(r.Name) {
		return fail(ARNBadRoleName, r.Name, "role names are 1-64 characters of letters, digits and +=,.@_-", "ARN %q has invalid role name %q", s, r.Name)
	}
	if !rolePathRe.MatchString(r.Path) {
		return fail(ARNBadRolePath, r.Path, "paths start and end with / and hold printable ASCII, at most 512 characters", "ARN %q has invalid role path %q", s, r.Path)
	}
	return r, nil
}

// ValidAccountID reports whether s is an AWS account id: exactly 12 digits.
func ValidAccountID(s string) bool { return accountIDRe.MatchString(s) }

// ValidExternalID reports whether s satisfies ^[\w+=,.@:/-]{2,1224}$.
func ValidExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= 1224 && externalIDRe.MatchString(s)
}

// ValidRegion reports whether s has the shape of an AWS region code
// (eu-west-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1).
func ValidRegion(s string) bool { return regionRe.MatchString(s) }

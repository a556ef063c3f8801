package accounts

import (
	"fmt"
	"regexp"
	"strings"
)

// Syntax rules from the IAM and STS quotas (reference §3.3). Compiled once;
// never modified.
var (
	accountIDRe  = regexp.MustCompile(`^[0-9]{12}$`)
	accountName  = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,27}[a-z0-9])?$`)
	roleNameRe   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	rolePathRe   = regexp.MustCompile(`^/$|^/[\x21-\x7E]{0,510}/$`)
	externalIDRe = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // and 2-1224 long: Go's regexp caps repeats at 1000
	regionRe     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	policyNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
)

// partitions are the AWS partitions grafsync knows.
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

// ARNError explains why a string is not a role ARN.
type ARNError struct {
	Message string
	Hint    string
}

func (e *ARNError) Error() string { return e.Message }

// ParseRoleARN parses arn:<partition>:iam::<12 digits>:role/<path/>name and
// rejects account principals (":root"), other services, regions and
// resource types.
func ParseRoleARN(s string) (RoleARN, error) {
	const shape = "a role ARN looks like arn:aws:iam::123456789012:role/path/name"
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return RoleARN{}, &ARNError{fmt.Sprintf("%q is not an ARN", s), shape}
	}
	r := RoleARN{Partition: parts[1], AccountID: parts[4]}
	switch {
	case !knownPartition(r.Partition):
		return RoleARN{}, &ARNError{fmt.Sprintf("ARN %q has unknown partition %q", s, r.Partition), "use aws, aws-cn or aws-us-gov"}
	case parts[2] != "iam":
		return RoleARN{}, &ARNError{fmt.Sprintf("ARN %q is for service %q, not iam", s, parts[2]), shape}
	case parts[3] != "":
		return RoleARN{}, &ARNError{fmt.Sprintf("IAM ARN %q has a region; IAM is global", s), shape}
	case !accountIDRe.MatchString(r.AccountID):
		return RoleARN{}, &ARNError{fmt.Sprintf("ARN %q has account %q, want 12 digits", s, r.AccountID), shape}
	case parts[5] == "root":
		return RoleARN{}, &ARNError{fmt.Sprintf("ARN %q is an account principal, not a role", s), "name the role itself, e.g. arn:" + r.Partition + ":iam::" + r.AccountID + ":role/grafana-task"}
	case !strings.HasPrefix(parts[5], "role/"):
		return RoleARN{}, &ARNError{fmt.Sprintf("ARN %q is not a role (resource %q)", s, parts[5]), shape}
	}
	rest := strings.TrimPrefix(parts[5], "role")
	i := strings.LastIndex(rest, "/")
	r.Path, r.Name = rest[:i+1], rest[i+1:]
	if !roleNameRe.MatchString(r.Name) {
		return RoleARN{}, &ARNError{fmt.Sprintf("ARN %q has invalid role name %q", s, r.Name), "role names are 1-64 characters of letters, digits and +=,.@_-"}
	}
	if !rolePathRe.MatchString(r.Path) {
		return RoleARN{}, &ARNError{fmt.Sprintf("ARN %q has invalid role path %q", s, r.Path), "paths start and end with / and hold printable ASCII, at most 512 characters"}
	}
	return r, nil
}

// ValidExternalID reports whether s satisfies ^[\w+=,.@:/-]{2,1224}$.
func ValidExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= 1224 && externalIDRe.MatchString(s)
}

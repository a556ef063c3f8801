package load

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/grafsync/grafsync/internal/accounts"
	"github.com/grafsync/grafsync/internal/resource"
)

// authTypes are the CloudWatch authType values Grafana knows
// (aws-and-datasources.md §1.1); "arn" and "sharedCreds" are legacy names.
var authTypes = []string{"default", "credentials", "keys", "ec2_iam_role", "grafana_assume_role", "arn", "sharedCreds"}

// checkCloudWatch applies the offline CloudWatch rules: a known authType, an
// assumable role ARN, an external id STS accepts, a region code.
func (l *loader) checkCloudWatch(e *dsEntry) {
	jd := e.ds.JSONData
	str := func(key string) (string, bool) {
		s, ok := jd[key].(string)
		if !ok || e.unresolved["jsonData."+key] {
			return "", false
		}
		return s, true
	}
	at := func(key string) path { return e.at.with("jsonData", key) }
	pos := func(key string) resource.Pos { return e.pos(path{"jsonData", key}, false) }

	auth, _ := str("authType")
	if auth != "" && !slices.Contains(authTypes, auth) {
		l.errorf(pos("authType"), "use default (the AWS SDK chain, e.g. the ECS task role), credentials, keys or ec2_iam_role",
			"%s: unknown authType %q (Grafana would silently use default)", at("authType"), auth)
	}
	if auth == "keys" {
		for _, k := range []string{"accessKey", "secretKey"} {
			if _, ok := e.ds.Secure[k]; !ok && !e.unresolved["secureJsonData."+k] {
				l.errorf(e.ds.Source, "set secureJsonData."+k+": ${"+envName(e.ds.Name, k)+"}", "%s: authType keys needs secureJsonData.%s", e.at, k)
			}
		}
	}
	if arn, ok := str("assumeRoleArn"); ok && arn != "" {
		if msg := checkRoleARN(arn); msg != "" {
			l.errorf(pos("assumeRoleArn"), "write arn:aws:iam::<account-id>:role/<name>", "%s: %q %s", at("assumeRoleArn"), arn, msg)
		}
	}
	if id, ok := str("externalId"); ok && id != "" {
		if !accounts.ValidExternalID(id) {
			l.errorf(pos("externalId"), "2 to 1224 characters: letters, digits and _ + = , . @ : / -, no spaces",
				"%s: %q is not a valid STS external id", at("externalId"), id)
		}
		if auth == "grafana_assume_role" {
			l.errorf(pos("externalId"), "remove externalId: Grafana Cloud supplies its own", "%s: not used with authType grafana_assume_role", at("externalId"))
		}
	}
	if r, ok := str("defaultRegion"); ok && r != "" && !accounts.ValidRegion(r) {
		l.errorf(pos("defaultRegion"), "use a region code such as eu-west-1 or us-east-1", "%s: %q is not an AWS region code", at("defaultRegion"), r)
	}
	if t, ok := str("logsTimeout"); ok && t != "" {
		if _, err := time.ParseDuration(t); err != nil {
			l.errorf(pos("logsTimeout"), "use a duration such as 30m or 90s", "%s: %q is not a duration", at("logsTimeout"), t)
		}
	}
}

// checkRoleARN returns what is wrong with an assumeRoleArn, or "". The rule
// is accounts.ParseRoleARN's; the wording is for a datasource.
func checkRoleARN(arn string) string {
	_, err := accounts.ParseRoleARN(arn)
	if err == nil {
		return ""
	}
	var ae *accounts.ARNError
	if !errors.As(err, &ae) {
		return "is not an IAM role ARN"
	}
	switch ae.Reason {
	case accounts.ARNUnknownPartition:
		return "has an unknown partition " + strconv.Quote(ae.Part)
	case accounts.ARNBadAccount:
		return "has an account id that is not 12 digits"
	case accounts.ARNAccountPrincipal:
		return "is an account principal (:root), not a role Grafana can assume"
	case accounts.ARNUser:
		return "is an IAM user, not a role"
	case accounts.ARNNotRole:
		return "is not a role ARN"
	case accounts.ARNBadRoleName:
		return "has an invalid role name (1-64 of letters, digits and _ + = , . @ -)"
	case accounts.ARNBadRolePath:
		return "has an invalid role path (/ or /path/ of printable ASCII, at most 512 characters)"
	}
	return "is not an IAM role ARN"
}

package load

import (
	"regexp"
	"time"

	"github.com/grafsync/grafsync/internal/resource"
)

var (
	// A role ARN: arn:<partition>:iam::<12 digits>:role/<optional/path/>name
	// (aws-and-datasources.md §3.3).
	roleARN    = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):iam::(\d{12}):role/(?:[\x21-\x7E]*/)?[\w+=,.@-]{1,64}$`)
	anyIAMARN  = regexp.MustCompile(`^arn:([^:]+):iam::([^:]*):(.*)$`)
	externalID = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	regionCode = regexp.MustCompile(`^[a-z]{2}(-gov|-iso|-isob|-isoe|-isof)?-[a-z]+-\d{1,2}$`)
	accountID  = regexp.MustCompile(`^\d{12}$`)
	authTypes  = []string{"default", "credentials", "keys", "ec2_iam_role", "grafana_assume_role", "arn", "sharedCreds"}
)

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
	if auth != "" && !contains(authTypes, auth) {
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
		if !externalID.MatchString(id) || len(id) < 2 || len(id) > 1224 {
			l.errorf(pos("externalId"), "2 to 1224 characters: letters, digits and _ + = , . @ : / -, no spaces",
				"%s: %q is not a valid STS external id", at("externalId"), id)
		}
		if auth == "grafana_assume_role" {
			l.errorf(pos("externalId"), "remove externalId: Grafana Cloud supplies its own", "%s: not used with authType grafana_assume_role", at("externalId"))
		}
	}
	if r, ok := str("defaultRegion"); ok && r != "" && !regionCode.MatchString(r) {
		l.errorf(pos("defaultRegion"), "use a region code such as eu-west-1 or us-east-1", "%s: %q is not an AWS region code", at("defaultRegion"), r)
	}
	if t, ok := str("logsTimeout"); ok && t != "" {
		if _, err := time.ParseDuration(t); err != nil {
			l.errorf(pos("logsTimeout"), "use a duration such as 30m or 90s", "%s: %q is not a duration", at("logsTimeout"), t)
		}
	}
}

// checkRoleARN returns what is wrong with an assumeRoleArn, or "".
func checkRoleARN(arn string) string {
	if roleARN.MatchString(arn) {
		return ""
	}
	m := anyIAMARN.FindStringSubmatch(arn)
	switch {
	case m == nil:
		return "is not an IAM role ARN"
	case !accountID.MatchString(m[2]):
		return "has an account id that is not 12 digits"
	case m[3] == "root":
		return "is an account principal (:root), not a role Grafana can assume"
	case len(m[3]) > 5 && m[3][:5] == "user/":
		return "is an IAM user, not a role"
	case len(m[3]) < 5 || m[3][:5] != "role/":
		return "is not a role ARN"
	case !roleARN.MatchString("arn:aws:iam::000000000000:" + m[3]):
		return "has an invalid role name (1-64 of letters, digits and _ + = , . @ -)"
	}
	return "has an unknown partition " + `"` + m[1] + `"`
}

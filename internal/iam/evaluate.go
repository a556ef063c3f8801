package iam

import (
	"strings"
)

// Request is one API call as IAM evaluates it against a policy: who calls,
// which action on which resource, and the request's condition keys.
//
// Evaluation follows AWS's policy evaluation logic (reference §2.1, §2.2;
// IAM user guide "Policy evaluation logic" and "Condition operators"): a
// matching Deny wins, else a matching Allow allows, else the request is
// implicitly denied. Within a statement every condition operator must hold,
// within an operator every key, and a key holds when any of its values
// matches. Only the elements grafsync writes and ParseJSON reads exist here
// (no NotAction, NotPrincipal, NotResource).
type Request struct {
	// PrincipalARN is the caller as aws:PrincipalArn holds it: for a role
	// session the role's ARN (with its path), never the session ARN.
	PrincipalARN string
	Action       string // e.g. sts:AssumeRole
	Resource     string // e.g. the ARN of the role to assume
	// Context holds the request's condition keys other than
	// aws:PrincipalArn and aws:PrincipalAccount (derived from PrincipalARN),
	// e.g. "sts:ExternalId" when the caller passed one. Keys are
	// case-insensitive, as in IAM.
	Context map[string]string
}

// Decision is the outcome of evaluating one policy.
type Decision int

const (
	ImplicitDeny Decision = iota // no statement applies
	Allowed                      // an Allow statement applies and no Deny does
	ExplicitDeny                 // a Deny statement applies
)

// EvaluateTrust evaluates a trust (resource) policy: statements must name
// the caller as Principal; Resource is not used.
func (d PolicyDocument) EvaluateTrust(r Request) Decision { return d.evaluate(r, true) }

// EvaluateIdentity evaluates an identity policy attached to the caller:
// statements must name the request's resource.
func (d PolicyDocument) EvaluateIdentity(r Request) Decision { return d.evaluate(r, false) }

func (d PolicyDocument) evaluate(r Request, trust bool) Decision {
	out := ImplicitDeny
	for _, s := range d.Statement {
		if !s.applies(r, trust) {
			continue
		}
		switch s.Effect {
		case "Deny":
			return ExplicitDeny
		case "Allow":
			out = Allowed
		}
	}
	return out
}

func (s Statement) applies(r Request, trust bool) bool {
	if !anyMatch(s.Action, func(p string) bool { return globMatch(strings.ToLower(p), strings.ToLower(r.Action)) }) {
		return false
	}
	if trust {
		if !s.Principal.matches(r.PrincipalARN) {
			return false
		}
	} else if !anyMatch(s.Resource, func(p string) bool { return arnMatch(p, r.Resource) }) {
		return false
	}
	for op, keys := range s.Condition {
		for key, values := range keys {
			got, present := r.contextValue(key)
			if !conditionHolds(op, values, got, present) {
				return false
			}
		}
	}
	return true
}

// matches reports whether the principal element names the caller: "*", the
// caller's account (as an id or its :root ARN; reference §2.1: the account
// principal delegates to the whole account), or the caller's ARN.
func (p Principal) matches(caller string) bool {
	account := AccountOf(caller)
	return anyMatch(p["AWS"], func(v string) bool {
		switch {
		case v == "*":
			return true
		case v == account && account != "":
			return true
		case strings.HasSuffix(v, ":root"):
			return AccountOf(v) == account && account != ""
		}
		return v == caller
	})
}

// AccountOf is the account id of an ARN ("" when s is not an ARN).
func AccountOf(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// contextValue is the request's value of a condition key, and whether the
// request has the key at all.
func (r Request) contextValue(key string) (string, bool) {
	switch strings.ToLower(key) {
	case "aws:principalarn":
		return r.PrincipalARN, r.PrincipalARN != ""
	case "aws:principalaccount":
		a := AccountOf(r.PrincipalARN)
		return a, a != ""
	}
	for k, v := range r.Context {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

// conditionHolds applies one condition operator to the request's value of
// one key. A missing key fails a positive operator and satisfies a negated
// one; "...IfExists" holds when the key is missing. An operator grafsync
// does not know never holds, so an unknown condition denies.
func conditionHolds(op string, values StringList, got string, present bool) bool {
	base, ifExists := strings.CutSuffix(op, "IfExists")
	negated := strings.Contains(base, "Not")
	if !present {
		return ifExists || negated
	}
	var match func(pattern string) bool
	switch base {
	case "StringEquals", "StringNotEquals":
		match = func(p string) bool { return p == got }
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		match = func(p string) bool { return strings.EqualFold(p, got) }
	case "StringLike", "StringNotLike":
		match = func(p string) bool { return globMatch(p, got) }
	case "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike":
		// ArnEquals and ArnLike behave alike: both allow wildcards.
		match = func(p string) bool { return arnMatch(p, got) }
	default:
		return false
	}
	return anyMatch(values, match) != negated
}

func anyMatch(l StringList, f func(string) bool) bool {
	for _, v := range l {
		if f(v) {
			return true
		}
	}
	return false
}

// arnMatch matches an ARN against a pattern component by component (the
// six colon-separated parts), each part a glob; a wildcard does not cross a
// colon, except in the last part, the resource, which may hold colons.
func arnMatch(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	p, a := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(p) != 6 || len(a) != 6 {
		return false
	}
	for i := range p {
		if !globMatch(p[i], a[i]) {
			return false
		}
	}
	return true
}

// globMatch matches s against an IAM wildcard pattern: * any run of
// characters, ? any one character; case-sensitive.
func globMatch(pattern, s string) bool {
	// Iterative matcher with backtracking to the last star.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si]):
			pi++
			si++
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

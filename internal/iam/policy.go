package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// PolicyVersion is the only policy language version grafsync writes.
const PolicyVersion = "2012-10-17"

// PolicyDocument is an IAM policy. The zero value is invalid; see Validate.
type PolicyDocument struct {
	Version   string
	Statement []Statement
}

// Statement is one IAM policy statement. Principal is set only in trust
// policies, Resource only in identity policies.
type Statement struct {
	Sid       string
	Effect    string // Allow or Deny
	Principal Principal
	Action    StringList
	Resource  StringList
	Condition Condition
}

// StringList is an IAM "string or list of strings" value. It renders as a
// plain string when it holds one element and as a sorted list otherwise.
type StringList []string

// Principal maps a principal type ("AWS", "Service") to its identifiers.
type Principal map[string]StringList

// Condition maps an operator (StringEquals) to condition keys and values.
type Condition map[string]map[string]StringList

// Kind tells Validate which elements a document must or must not have.
type Kind int

const (
	// Identity policies (permission and task-role policies) need Resource
	// and may not name a Principal.
	Identity Kind = iota
	// Trust policies need Principal and may not name a Resource.
	Trust
)

var (
	actionRe = regexp.MustCompile(`^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+)$`)
	sidRe    = regexp.MustCompile(`^[A-Za-z0-9]*$`)
)

// Validate checks the policy grammar grafsync relies on.
func (d PolicyDocument) Validate(kind Kind) error {
	var errs []error
	if d.Version != PolicyVersion {
		errs = append(errs, fmt.Errorf("version %q, want %q", d.Version, PolicyVersion))
	}
	if len(d.Statement) == 0 {
		errs = append(errs, errors.New("no statements"))
	}
	sids := map[string]bool{}
	for i, s := range d.Statement {
		at := fmt.Sprintf("statement %d", i+1)
		if s.Sid != "" {
			at = fmt.Sprintf("statement %s", s.Sid)
			if !sidRe.MatchString(s.Sid) {
				errs = append(errs, fmt.Errorf("%s: sid may hold only letters and digits", at))
			}
			if sids[s.Sid] {
				errs = append(errs, fmt.Errorf("%s: sid repeated", at))
			}
			sids[s.Sid] = true
		}
		if s.Effect != "Allow" && s.Effect != "Deny" {
			errs = append(errs, fmt.Errorf("%s: effect %q, want Allow or Deny", at, s.Effect))
		}
		if len(s.Action) == 0 {
			errs = append(errs, fmt.Errorf("%s: no actions", at))
		}
		for _, a := range s.Action {
			if !actionRe.MatchString(a) {
				errs = append(errs, fmt.Errorf("%s: action %q is not service:Action", at, a))
			}
		}
		switch kind {
		case Trust:
			if len(s.Principal) == 0 {
				errs = append(errs, fmt.Errorf("%s: trust policy statement without principal", at))
			}
			if len(s.Resource) > 0 {
				errs = append(errs, fmt.Errorf("%s: trust policy statement with resource", at))
			}
		case Identity:
			if len(s.Principal) > 0 {
				errs = append(errs, fmt.Errorf("%s: identity policy statement with principal", at))
			}
			if len(s.Resource) == 0 {
				errs = append(errs, fmt.Errorf("%s: no resources", at))
			}
		}
		for op, keys := range s.Condition {
			if op == "" || len(keys) == 0 {
				errs = append(errs, fmt.Errorf("%s: empty condition operator %q", at, op))
			}
			for k, v := range keys {
				if k == "" || len(v) == 0 {
					errs = append(errs, fmt.Errorf("%s: condition %s has an empty key or no values", at, op))
				}
			}
		}
	}
	if bad := strings.IndexFunc(string(d.JSON()), func(r rune) bool {
		return r > 0xFF || (r < 0x20 && r != '\t' && r != '\n' && r != '\r')
	}); bad >= 0 {
		errs = append(errs, errors.New("policy text holds characters outside U+0009, U+000A, U+000D, U+0020-U+00FF"))
	}
	return errors.Join(errs...)
}

// canonical returns a copy with lists sorted and deduplicated (actions
// case-insensitively, since IAM action names are).
func (l StringList) canonical(foldCase bool) StringList {
	out := slices.Clone(l)
	key := func(s string) string {
		if foldCase {
			return strings.ToLower(s)
		}
		return s
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ki, kj := key(out[i]), key(out[j]); ki != kj {
			return ki < kj
		}
		return out[i] < out[j]
	})
	return slices.CompactFunc(out, func(a, b string) bool { return key(a) == key(b) })
}

// MarshalJSON writes one element as a string, more as a list.
func (l StringList) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return marshal(l[0])
	}
	return marshal([]string(l))
}

// UnmarshalJSON accepts a string or a list of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = StringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*l = many
	return nil
}

// jsonDoc and jsonStatement fix the element order of the canonical form.
type jsonDoc struct {
	Version   string          `json:"Version"`
	Statement []jsonStatement `json:"Statement"`
}

type jsonStatement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal Principal  `json:"Principal,omitempty"`
	Action    StringList `json:"Action"`
	Resource  StringList `json:"Resource,omitempty"`
	Condition Condition  `json:"Condition,omitempty"`
}

// Canonical returns the document with every list sorted and deduplicated;
// statement order is kept (it is meaningful to readers).
func (d PolicyDocument) Canonical() PolicyDocument {
	out := PolicyDocument{Version: d.Version}
	for _, s := range d.Statement {
		c := Statement{Sid: s.Sid, Effect: s.Effect, Action: s.Action.canonical(true), Resource: s.Resource.canonical(false)}
		if len(s.Principal) > 0 {
			c.Principal = Principal{}
			for k, v := range s.Principal {
				c.Principal[k] = v.canonical(false)
			}
		}
		if len(s.Condition) > 0 {
			c.Condition = Condition{}
			for op, keys := range s.Condition {
				c.Condition[op] = map[string]StringList{}
				for k, v := range keys {
					c.Condition[op][k] = v.canonical(false)
				}
			}
		}
		out.Statement = append(out.Statement, c)
	}
	return out
}

// JSON renders the canonical form: fixed element order, sorted map keys and
// lists, 2-space indent, no HTML escaping, trailing newline.
func (d PolicyDocument) JSON() []byte {
	c := d.Canonical()
	doc := jsonDoc{Version: c.Version}
	for _, s := range c.Statement {
		doc.Statement = append(doc.Statement, jsonStatement(s))
	}
	b, err := marshal(doc)
	if err != nil {
		// Only strings, lists and maps of strings: encoding cannot fail.
		panic(fmt.Sprintf("iam: encoding a policy document: %v", err))
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		panic(fmt.Sprintf("iam: indenting a policy document: %v", err))
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// Size is the policy's length as IAM counts it against quotas: characters
// of the JSON text, whitespace excluded.
func (d PolicyDocument) Size() int {
	n := 0
	for _, r := range string(d.JSON()) {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// ParseJSON reads a policy document written by JSON (or any IAM JSON using
// the elements grafsync knows; unknown elements are an error).
func ParseJSON(b []byte) (PolicyDocument, error) {
	var doc jsonDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return PolicyDocument{}, fmt.Errorf("parse policy document: %w", err)
	}
	d := PolicyDocument{Version: doc.Version}
	for _, s := range doc.Statement {
		d.Statement = append(d.Statement, Statement(s))
	}
	return d, nil
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

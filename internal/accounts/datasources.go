package accounts

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/grafsync/grafsync/internal/problem"
)

// TemplateKey is the jsonData key that turns a CloudWatch datasource entry in
// datasources/ into a template expanded once per account. Its value is "all"
// (every assume-role account) or a list of account names.
const TemplateKey = "grafsyncAccounts"

// Default name and uid patterns of expanded datasources.
const (
	DefaultNamePattern = "CloudWatch {{name}}"
	DefaultUIDPattern  = "cloudwatch-{{name}}"
)

var (
	placeholderRe = regexp.MustCompile(`\{\{\s*([^}]*?)\s*\}\}`)
	uidRe         = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,40}$`)
)

// DatasourceTemplate is a CloudWatch datasource entry that asks for
// expansion. Name and UID are patterns where {{name}} is the account name and
// {{id}} its id; each must contain one of them.
type DatasourceTemplate struct {
	File string // the datasources/ file, for problems
	Pos  Pos    // the datasource entry
	Name string // "" means DefaultNamePattern
	UID  string // "" means DefaultUIDPattern
	// Accounts lists account names; nil means every assume-role account.
	Accounts []string
	// JSONData is copied into every generated datasource, TemplateKey removed.
	JSONData map[string]any
}

// Datasource is one generated CloudWatch datasource.
type Datasource struct {
	UID       string
	Name      string
	Type      string // always "cloudwatch"
	Account   string // account name
	AccountID string
	// JSONData is the template's jsonData plus authType (default "default"),
	// assumeRoleArn, externalId and defaultRegion (the account's first region).
	JSONData map[string]any
	// LinkedAccounts names the oam-linked accounts read through this
	// datasource; set only on the monitoring account's datasource.
	LinkedAccounts []string
}

// TemplateFromJSONData recognises a template: ok is false when jsonData has
// no TemplateKey. The loader passes the entry's name, uid and position.
func TemplateFromJSONData(file string, at Pos, name, uid string, jsonData map[string]any) (t DatasourceTemplate, ok bool, problems problem.List) {
	v, ok := jsonData[TemplateKey]
	if !ok {
		return DatasourceTemplate{}, false, nil
	}
	t = DatasourceTemplate{File: file, Pos: at, Name: name, UID: uid, JSONData: maps.Clone(jsonData)}
	delete(t.JSONData, TemplateKey)
	bad := problem.Errorf(at.In(file), fmt.Sprintf("write %s: all, or %s: [prod, staging]", TemplateKey, TemplateKey),
		"jsonData.%s must be \"all\" or a list of account names", TemplateKey)
	switch v := v.(type) {
	case string:
		if v != "all" {
			return t, true, problem.List{bad}
		}
	case []any:
		if len(v) == 0 {
			return t, true, problem.List{bad}
		}
		for _, item := range v {
			s, isStr := item.(string)
			if !isStr {
				return t, true, problem.List{bad}
			}
			t.Accounts = append(t.Accounts, s)
		}
	case []string:
		t.Accounts = slices.Clone(v)
	default:
		return t, true, problem.List{bad}
	}
	return t, true, nil
}

// Expand returns one datasource per selected assume-role account, in the
// order of the accounts file. Problems point at the template.
func Expand(cfg *Config, t DatasourceTemplate) ([]Datasource, problem.List) {
	var problems problem.List
	fail := func(hint, format string, args ...any) {
		problems = append(problems, problem.Errorf(t.Pos.In(t.File), hint, format, args...))
	}
	namePat, uidPat := cmp.Or(t.Name, DefaultNamePattern), cmp.Or(t.UID, DefaultUIDPattern)
	for _, p := range []struct{ what, pat string }{{"name", namePat}, {"uid", uidPat}} {
		ph := placeholders(p.pat)
		if !slices.Contains(ph, "name") && !slices.Contains(ph, "id") {
			fail("include {{name}} or {{id}}, e.g. "+map[string]string{"name": DefaultNamePattern, "uid": DefaultUIDPattern}[p.what],
				"CloudWatch template %s %q has no {{name}} or {{id}}, so every account would get the same %s", p.what, p.pat, p.what)
		}
		for _, x := range ph {
			if x != "name" && x != "id" {
				fail("the placeholders are {{name}} and {{id}}", "unknown placeholder {{%s}} in CloudWatch template %s", x, p.what)
			}
		}
	}
	// jsonData keys the expansion owns; a template may not set them.
	for _, k := range []string{"assumeRoleArn", "externalId", "defaultRegion"} {
		if _, set := t.JSONData[k]; set {
			fail("remove it; grafsync sets "+k+" from roles/accounts.yaml", "CloudWatch template sets jsonData.%s", k)
		}
	}

	selected := map[string]bool{}
	if t.Accounts == nil {
		for _, a := range cfg.AssumeRoleAccounts() {
			selected[a.Name] = true
		}
	}
	for _, name := range t.Accounts {
		a, found := cfg.Account(name)
		switch {
		case !found:
			fail("list names from roles/accounts.yaml, or write "+TemplateKey+": all", "CloudWatch template names unknown account %q", name)
		case a.Mode != AssumeRole:
			fail("oam-linked accounts are read through the monitoring account's datasource; remove the name", "CloudWatch template names oam-linked account %q", name)
		case selected[name]:
			problems = append(problems, problem.Warnf(t.Pos.In(t.File), "remove the repeated name", "CloudWatch template names account %q twice", name))
		default:
			selected[name] = true
		}
	}
	if problems.HasErrors() {
		return nil, problems
	}

	var linked []string
	for _, a := range cfg.Accounts {
		if a.Mode == OAMLinked {
			linked = append(linked, a.Name)
		}
	}
	var out []Datasource
	for _, a := range cfg.AssumeRoleAccounts() {
		if !selected[a.Name] {
			continue
		}
		fill := func(pat string) string {
			return placeholderRe.ReplaceAllStringFunc(pat, func(m string) string {
				if placeholderRe.FindStringSubmatch(m)[1] == "id" {
					return a.ID
				}
				return a.Name
			})
		}
		ds := Datasource{
			UID:       fill(uidPat),
			Name:      fill(namePat),
			Type:      "cloudwatch",
			Account:   a.Name,
			AccountID: a.ID,
			JSONData:  deepCopy(t.JSONData),
		}
		if ds.JSONData == nil {
			ds.JSONData = map[string]any{}
		}
		if _, set := ds.JSONData["authType"]; !set {
			ds.JSONData["authType"] = "default"
		}
		ds.JSONData["assumeRoleArn"] = a.RoleARN(cfg.Grafana.Partition)
		ds.JSONData["externalId"] = a.ExternalID
		ds.JSONData["defaultRegion"] = a.Regions[0]
		if a.Monitoring {
			ds.LinkedAccounts = linked
		}
		if !uidRe.MatchString(ds.UID) {
			fail("Grafana uids are 1-40 characters of letters, digits, - and _; shorten the uid pattern or the account name",
				"CloudWatch template gives account %q the invalid uid %q", a.Name, ds.UID)
		}
		out = append(out, ds)
	}
	if problems.HasErrors() {
		return nil, problems
	}
	return out, problems
}

func placeholders(pat string) []string {
	var out []string
	for _, m := range placeholderRe.FindAllStringSubmatch(pat, -1) {
		out = append(out, m[1])
	}
	return out
}

// deepCopy copies the JSON-shaped value so generated datasources share no
// maps or slices with the template or each other.
func deepCopy(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return deepCopy(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopyValue(x)
		}
		return out
	}
	return v
}

// DatasourceRef is a hand-written CloudWatch datasource, as the loader sees it.
type DatasourceRef struct {
	File          string
	Pos           Pos
	Name          string
	AssumeRoleARN string // "" for a datasource that assumes no role
	ExternalID    string
}

// CheckDatasources reports where datasources and roles disagree:
//   - a hand-written assumeRoleArn that is no generated role;
//   - a hand-written externalId that differs from the account's;
//   - an assume-role account whose role no datasource (generated or
//     hand-written) uses.
//
// External id values are never printed.
func CheckDatasources(cfg *Config, generated []Datasource, hand []DatasourceRef) problem.List {
	var problems problem.List
	byARN := map[string]Account{}
	byID := map[string]Account{}
	for _, a := range cfg.Accounts {
		byID[a.ID] = a
		if a.Mode == AssumeRole {
			byARN[a.RoleARN(cfg.Grafana.Partition)] = a
		}
	}
	used := map[string]bool{}
	for _, ds := range generated {
		used[ds.Account] = true
	}
	for _, ref := range hand {
		if ref.AssumeRoleARN == "" {
			continue
		}
		at := func(hint, format string, args ...any) {
			problems = append(problems, problem.Errorf(ref.Pos.In(ref.File), hint, format, args...))
		}
		subject := "datasource " + ref.Name
		a, ok := byARN[ref.AssumeRoleARN]
		if !ok {
			r, err := ParseRoleARN(ref.AssumeRoleARN)
			if err != nil {
				var ae *ARNError
				errors.As(err, &ae)
				at(ae.Hint, "%s: assumeRoleArn: %v", subject, err)
				continue
			}
			hint := "add account " + r.AccountID + " to " + cfg.File + " and run grafsync roles, or use a template with " + TemplateKey
			if acc, listed := byID[r.AccountID]; listed {
				if acc.Mode == OAMLinked {
					hint = "account " + acc.Name + " is oam-linked; query it through the monitoring account's datasource"
				} else {
					hint = "account " + acc.Name + "'s role is " + acc.RoleARN(cfg.Grafana.Partition)
				}
			}
			at(hint, "%s: assumeRoleArn %s is not a role generated from %s", subject, ref.AssumeRoleARN, cfg.File)
			continue
		}
		used[a.Name] = true
		switch {
		case ref.ExternalID == "":
			at("set jsonData.externalId to the account's external id (see roles/generated/json/"+a.Name+"-trust.json), or use a template with "+TemplateKey,
				"%s: no externalId, but the trust policy of account %q requires one", subject, a.Name)
		case ref.ExternalID != a.ExternalID:
			at("set jsonData.externalId to the one in roles/generated/json/"+a.Name+"-trust.json, or use a template with "+TemplateKey,
				"%s: externalId differs from the one account %q's trust policy requires", subject, a.Name)
		}
	}
	for _, a := range cfg.AssumeRoleAccounts() {
		if !used[a.Name] {
			problems = append(problems, problem.Errorf(a.Pos.In(cfg.File),
				fmt.Sprintf("add a datasource with jsonData.%s: all (or naming %s), or remove the account", TemplateKey, a.Name),
				"account %q has a role but no CloudWatch datasource uses it", a.Name))
		}
	}
	return problems
}

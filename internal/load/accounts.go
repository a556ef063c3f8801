package load

import (
	"maps"
	"slices"

	"github.com/grafsync/grafsync/internal/accounts"
	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/resource"
)

// accountsState is roles/accounts.yaml as one Load sees it, and what the
// consistency check between datasources and roles collects across orgs.
type accountsState struct {
	// exists is true when the repository has the accounts file (even an
	// invalid one).
	exists bool
	// cfg is nil when the file is missing or has errors.
	cfg *accounts.Config
	// generated are the datasources expanded from templates, in every org.
	generated []accounts.Datasource
	// hand are the hand-written CloudWatch datasources that assume a role.
	hand []accounts.DatasourceRef
	// incomplete is set when a template could not be expanded or a
	// hand-written datasource could not be checked; whether an account's
	// role is unused is then unknown and not reported.
	incomplete bool
}

// loadAccounts reads roles/accounts.yaml when the repository has it.
func (l *loader) loadAccounts() {
	if ok, reported := l.exists(accounts.DefaultFile, false); !ok {
		// A roles/accounts.yaml that cannot be read leaves the CloudWatch
		// templates unexpanded and their checks off; the error is reported.
		l.acc.exists = reported
		return
	}
	l.acc.exists = true
	data, ok := l.readFile(accounts.DefaultFile)
	if !ok {
		return
	}
	// Parsed here first for the checks every YAML file gets before it is
	// used (the context, aliases); accounts.Parse reports syntax errors.
	root, err := l.parseNode(accounts.DefaultFile, data)
	if err != nil && l.stop(accounts.DefaultFile) {
		return
	}
	if err == nil && !l.checkAliases(yfile{name: accounts.DefaultFile, root: root}) {
		return
	}
	cfg, problems := accounts.Parse(accounts.DefaultFile, data)
	l.problems = append(l.problems, problems...)
	l.acc.cfg = cfg
}

// isTemplate reports whether a datasource entry is a CloudWatch template
// (its jsonData has accounts.TemplateKey).
func isTemplate(ds *resource.Datasource) bool {
	_, ok := ds.JSONData[accounts.TemplateKey]
	return ok
}

// expandTemplate returns the datasources a template stands for, one per
// selected assume-role account in the order of the accounts file. Each is
// the template with uid, name, type and jsonData replaced; its Source is the
// template's position and its checks point into the template.
func (l *loader) expandTemplate(o *orgState, e *dsEntry) []*dsEntry {
	o.templates = append(o.templates, e)
	key := e.at.with("jsonData", accounts.TemplateKey)
	switch {
	case !l.acc.exists:
		l.errorf(e.pos(path{"jsonData", accounts.TemplateKey}, false),
			"create "+accounts.DefaultFile+" listing the AWS accounts (see docs/roles.md), or remove "+accounts.TemplateKey+" and write the datasource out",
			"%s: a CloudWatch template needs %s, which does not exist", key, accounts.DefaultFile)
		l.notExpanded(o, e)
		return nil
	case e.ds.Type != "cloudwatch", l.acc.cfg == nil, l.budget.overGenerated:
		// reported: the wrong type at the entry, an invalid accounts file
		// there, the limit at the template that passed it
		l.notExpanded(o, e)
		return nil
	}
	src := e.ds.Source
	t, _, problems := accounts.TemplateFromJSONData(src.File, accounts.Pos{Line: src.Line, Col: src.Col}, e.ds.Name, e.ds.UID, e.ds.JSONData)
	var gen []accounts.Datasource
	if !problems.HasErrors() {
		var more problem.List
		gen, more = accounts.Expand(l.acc.cfg, t)
		problems = append(problems, more...)
	}
	l.problems = append(l.problems, problems...)
	if problems.HasErrors() {
		l.notExpanded(o, e)
		return nil
	}
	if l.budget.generated+len(gen) > l.limits.GeneratedDatasources {
		l.budget.overGenerated = true
		l.errorf(e.pos(path{"jsonData", accounts.TemplateKey}, false),
			"select fewer accounts (grafsyncAccounts: [name, ...]) or write fewer templates (docs/hostile-repositories.md)",
			"%s: CloudWatch templates expand to more than %d datasources in this repository (this one to %d)", key, l.limits.GeneratedDatasources, len(gen))
		l.notExpanded(o, e)
		return nil
	}
	l.budget.generated += len(gen)
	l.acc.generated = append(l.acc.generated, gen...)
	out := make([]*dsEntry, 0, len(gen))
	for _, g := range gen {
		ds := *e.ds
		ds.UID, ds.Name, ds.Type, ds.JSONData = g.UID, g.Name, g.Type, g.JSONData
		ds.Secure = maps.Clone(e.ds.Secure)
		out = append(out, &dsEntry{ds: &ds, f: e.f, node: e.node, at: e.at, unresolved: e.unresolved, account: g.Account})
	}
	return out
}

// notExpanded records a template that stands for no datasource because of a
// problem already reported.
func (l *loader) notExpanded(o *orgState, e *dsEntry) {
	l.acc.incomplete = true
	if o.unexpanded == nil {
		o.unexpanded = &e.ds.Source
	}
}

// handRef records a hand-written CloudWatch datasource that assumes a role,
// for the check against the accounts file.
func (l *loader) handRef(e *dsEntry) {
	arn, _ := e.ds.JSONData["assumeRoleArn"].(string)
	ext, _ := e.ds.JSONData["externalId"].(string)
	switch {
	case e.unresolved["jsonData.assumeRoleArn"], e.unresolved["jsonData.externalId"], arn != "" && checkRoleARN(arn) != "":
		// an unset variable or an ARN already reported: its account is unknown
		l.acc.incomplete = true
		return
	case arn == "":
		return
	}
	l.acc.hand = append(l.acc.hand, accounts.DatasourceRef{
		File: e.ds.Source.File, Pos: accounts.Pos{Line: e.ds.Source.Line, Col: e.ds.Source.Col},
		Name: e.ds.Name, AssumeRoleARN: arn, ExternalID: ext,
	})
}

// checkAccounts compares the datasources of every org with the accounts
// file: hand-written role ARNs and external ids must be the generated ones,
// and every assume-role account's role must be used by some datasource.
func (l *loader) checkAccounts() {
	cfg := l.acc.cfg
	if cfg == nil {
		return
	}
	problems := accounts.CheckDatasources(cfg, l.acc.generated, l.acc.hand)
	if l.acc.incomplete {
		// Problems in the accounts file are the "role unused" ones: a
		// datasource that could not be expanded or checked may use it.
		problems = slices.DeleteFunc(problems, func(p problem.Problem) bool { return p.Pos.File == cfg.File })
	}
	l.problems = append(l.problems, problems...)
}

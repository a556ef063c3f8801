package load

import (
	"io/fs"
	"maps"
	"net/url"
	pathpkg "path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/accounts"
	"github.com/grafsync/grafsync/internal/resource"
	"github.com/grafsync/grafsync/internal/yamlnode"
)

// Keys of a provisioning file (Grafana's provisioning format, apiVersion 1).
var (
	dsFileKeys = []string{"apiVersion", "datasources", "deleteDatasources", "prune"}
	dsKeys     = []string{"name", "type", "access", "orgId", "uid", "url", "user", "database", "basicAuth", "basicAuthUser",
		"withCredentials", "isDefault", "jsonData", "secureJsonData", "version", "editable"}
	dsLegacyKeys = []string{"password", "basicAuthPassword"}
	dsDeleteKeys = []string{"name", "orgId"}
)

// dsEntry is a loaded datasource with what later checks need to point at it.
type dsEntry struct {
	ds   *resource.Datasource
	f    yfile
	node *yaml.Node
	at   path
	// unresolved holds the paths ("jsonData.assumeRoleArn") whose value used
	// an unset variable; format checks skip them.
	unresolved map[string]bool
	// template marks a CloudWatch template (jsonData.grafsyncAccounts): it
	// is never a datasource itself.
	template bool
	// account is the account a datasource was generated for from the
	// template at node; "" for a datasource written out in the file.
	account string
}

func (e *dsEntry) pos(p path, key bool) resource.Pos {
	return e.f.pos(yamlLocate(e.node, p, key))
}

// isYAML reports whether name is a YAML file; other files (except docs and
// dotfiles) are reported as ignored.
func (l *loader) isYAML(dir string, de fs.DirEntry) bool {
	name := de.Name()
	switch ext := pathpkg.Ext(name); {
	case de.IsDir(), strings.HasPrefix(name, "."):
		return false
	case ext == ".yaml" || ext == ".yml":
		return true
	case ext == ".md" || ext == ".txt":
		return false
	}
	l.warnf(resource.Pos{File: pathpkg.Join(dir, name)}, "datasource files end in .yaml or .yml", "ignored: not a YAML file")
	return false
}

func (l *loader) loadDatasources(o *orgState, dir string) {
	entries, err := fs.ReadDir(l.fsys, dir)
	if err != nil {
		l.errorf(resource.Pos{File: dir}, "", "cannot read directory: %v", err)
		return
	}
	for _, de := range entries {
		if l.isYAML(dir, de) {
			l.loadDatasourceFile(o, pathpkg.Join(dir, de.Name()))
		}
	}
}

func (l *loader) loadDatasourceFile(o *orgState, name string) {
	data, ok := l.readFile(name)
	if !ok {
		return
	}
	f, ok := l.parseYAML(name, data)
	if !ok || f.root == nil {
		return
	}
	top, ok := l.mapping(f, f.root, nil, dsFileKeys...)
	if !ok {
		return
	}
	if fl, ok := top["apiVersion"]; !ok {
		l.errorf(f.pos(f.root), "add apiVersion: 1 (Grafana's provisioning format)", "top level: missing apiVersion")
	} else if v, ok := l.integer(f, fl, path{"apiVersion"}); ok && v != 1 {
		l.errorf(f.pos(fl.val), "", "apiVersion: only version 1 is supported, found %d", v)
	}
	if fl, ok := top["prune"]; ok {
		if b, ok := l.boolean(f, fl, path{"prune"}); ok && b {
			o.org.PruneDatasources = true
		}
	}
	if fl, ok := top["deleteDatasources"]; ok {
		for i, n := range l.list(f, fl.val, path{"deleteDatasources"}) {
			at := path{"deleteDatasources", i}
			m, ok := l.mapping(f, n, at, dsDeleteKeys...)
			if !ok {
				continue
			}
			ref := resource.DatasourceRef{Source: f.pos(n)}
			if fl, ok := m["name"]; ok {
				ref.Name, _ = l.str(f, fl, at.with("name"))
			}
			if ref.Name == "" {
				l.errorf(ref.Source, "", "%s: name is missing", at)
				continue
			}
			if fl, ok := m["orgId"]; ok {
				ref.OrgID, _, _ = l.provInteger(f, fl, at.with("orgId"))
				l.checkOrgID(o, f, fl, at.with("orgId"), ref.OrgID)
			}
			o.org.DeleteDatasources = append(o.org.DeleteDatasources, ref)
		}
	}
	if fl, ok := top["datasources"]; ok {
		for i, n := range l.list(f, fl.val, path{"datasources"}) {
			e := l.datasource(o, f, n, path{"datasources", i})
			switch {
			case e == nil:
			case e.template:
				for _, g := range l.expandTemplate(o, e) {
					o.entries = append(o.entries, g)
					o.org.Datasources = append(o.org.Datasources, g.ds)
				}
			default:
				o.entries = append(o.entries, e)
				o.org.Datasources = append(o.org.Datasources, e.ds)
			}
		}
	}
}

func (l *loader) checkOrgID(o *orgState, f yfile, fl field, at path, id int64) {
	if o.org.ID != 0 && id != 0 && id != o.org.ID {
		l.errorf(f.pos(fl.val), "remove orgId: a file's org is set by the directory it is in (see grafsync.yaml)",
			"%s: orgId %d does not match org %q (id %d) whose directory this file is in", at, id, o.org.Name, o.org.ID)
	}
}

// unset reports values that used unset variables: a warning, or an error in
// Strict mode (apply).
func (l *loader) unset(pos resource.Pos, at path, missing []string, secret bool) {
	what := "the value expands to \"\""
	if secret {
		what = "the secret is not available"
	}
	hint := "set it in the environment where grafsync runs"
	if !l.opts.Strict {
		hint += " (validate and plan only warn; apply needs it)"
	}
	if grafanaVariable(missing) {
		hint = "write $$ for a literal $ (provisioning values expand $NAME and ${NAME} from the environment), e.g. $${__value.raw}"
	}
	if l.opts.Strict {
		l.errorf(pos, hint, "%s: %s; %s", at, describeMissing(missing), what)
	} else {
		l.warnf(pos, hint, "%s: %s; %s", at, describeMissing(missing), what)
	}
}

// refuse reports references to grafsync's own credentials (ownCredential).
func (l *loader) refuse(pos resource.Pos, at path, names []string) {
	what := "environment variable " + names[0] + " holds credentials of the process running grafsync; a datasource must not use it"
	if len(names) > 1 {
		what = "environment variables " + strings.Join(names, ", ") + " hold grafsync's own credentials; a datasource must not use them"
	}
	l.errorf(pos, ownCredentialHint, "%s: %s", at, what)
}

func (l *loader) datasource(o *orgState, f yfile, n *yaml.Node, at path) *dsEntry {
	m, ok := l.mapping(f, n, at, append(append([]string{}, dsKeys...), dsLegacyKeys...)...)
	if !ok {
		return nil
	}
	ds := &resource.Datasource{Source: f.pos(n)}
	e := &dsEntry{ds: ds, f: f, node: n, at: at, unresolved: map[string]bool{}}
	for _, k := range dsLegacyKeys {
		if fl, ok := m[k]; ok {
			l.errorf(f.pos(fl.key), "move it to secureJsonData."+k+" and take the value from the environment: ${VAR}",
				"%s: plain-text %s is not supported by Grafana 10+", at.with(k), k)
		}
	}
	// expand interpolates a string field and reports unset variables.
	expand := func(s string, n *yaml.Node, p path) string {
		x := l.expand(s)
		if len(x.refused) > 0 {
			e.unresolved[p.String()] = true
			l.refuse(f.pos(n), at.with(p...), x.refused)
		}
		if len(x.missing) > 0 {
			e.unresolved[p.String()] = true
			l.unset(f.pos(n), at.with(p...), x.missing, false)
		}
		return x.value
	}
	strs := []struct {
		key string
		dst *string
	}{{"name", &ds.Name}, {"type", &ds.Type}, {"access", &ds.Access}, {"uid", &ds.UID}, {"url", &ds.URL},
		{"user", &ds.User}, {"database", &ds.Database}, {"basicAuthUser", &ds.BasicAuthUser}}
	for _, s := range strs {
		if fl, ok := m[s.key]; ok {
			if v, ok := l.str(f, fl, at.with(s.key)); ok {
				*s.dst = expand(v, fl.val, path{s.key})
			}
		}
	}
	bools := []struct {
		key string
		dst *bool
	}{{"basicAuth", &ds.BasicAuth}, {"withCredentials", &ds.WithCredentials}, {"isDefault", &ds.IsDefault}, {"editable", &ds.Editable}}
	// expandScalar expands a boolean or integer written with a reference
	// (isDefault: ${X}); Grafana's provisioning expands those keys too.
	expandScalar := func(fl field, key string) field {
		if fl.val.Kind == yaml.ScalarNode && strings.Contains(fl.val.Value, "$") {
			fl.val = &yaml.Node{Kind: yaml.ScalarNode, Value: expand(fl.val.Value, fl.val, path{key}), Line: fl.val.Line, Column: fl.val.Column}
		}
		return fl
	}
	for _, b := range bools {
		if fl, ok := m[b.key]; ok {
			if fl = expandScalar(fl, b.key); !e.unresolved[b.key] { // an unset variable is reported already
				*b.dst, _ = l.boolean(f, fl, at.with(b.key))
			}
		}
	}
	for _, k := range []string{"orgId", "version"} {
		if fl, ok := m[k]; ok {
			// as in Grafana, an integer that expands to "" is not set
			if v, set, _ := l.provInteger(f, expandScalar(fl, k), at.with(k)); set && k == "orgId" {
				l.checkOrgID(o, f, fl, at.with(k), v)
			}
		}
	}
	if fl, ok := m["jsonData"]; ok {
		if fl.val.Kind != yaml.MappingNode && fl.val.Tag != "!!null" {
			l.errorf(f.pos(fl.val), "", "%s: want a mapping, found %s", at.with("jsonData"), yamlnode.Describe(fl.val))
		} else if jd, ok := l.toJSON(f, fl.val, at.with("jsonData"), func(s string, n *yaml.Node, p path) string {
			return expand(s, n, p[len(at):])
		}).(map[string]any); ok {
			ds.JSONData = jd
		}
	}
	if fl, ok := m["secureJsonData"]; ok {
		ds.Secure = l.secureJSONData(f, fl, at, ds, e)
	}

	// A template's name and uid are patterns ("cw-{{name}}"); package
	// accounts checks them and the names and uids they produce.
	e.template = isTemplate(ds)
	switch {
	case e.template:
	case ds.Name == "":
		l.errorf(ds.Source, "", "%s: datasource name is missing", at)
	case len(ds.Name) > 190:
		l.errorf(e.pos(path{"name"}, false), "", "%s.name: %d characters, max 190", at, len(ds.Name))
	}
	switch {
	case ds.Type == "":
		l.errorf(ds.Source, "set type: prometheus, loki, tempo, cloudwatch, ...", "%s: datasource %q has no type", at, ds.Name)
	case e.template && ds.Type != "cloudwatch":
		l.errorf(e.pos(path{"type"}, false), "remove jsonData."+accounts.TemplateKey+"; only CloudWatch datasources are expanded per account",
			"%s.type: jsonData.%s makes a CloudWatch template, but the type is %q", at, accounts.TemplateKey, ds.Type)
	}
	if ds.UID != "" && !e.template {
		l.checkUID(func() resource.Pos { return e.pos(path{"uid"}, false) }, at.with("uid"), ds.UID)
	}
	switch ds.Access {
	case "", "proxy", "direct":
	default:
		l.errorf(e.pos(path{"access"}, false), "use proxy (server) or direct (browser)", "%s.access: invalid access %q", at, ds.Access)
	}
	if ds.URL != "" && !e.unresolved["url"] {
		if _, err := url.Parse(ds.URL); err != nil {
			l.errorf(e.pos(path{"url"}, false), "", "%s.url: invalid URL: %v", at, errUnwrap(err))
		} else if len(ds.URL) > 255 {
			l.errorf(e.pos(path{"url"}, false), "", "%s.url: %d characters, max 255", at, len(ds.URL))
		}
	}
	if ds.Type == "cloudwatch" {
		l.checkCloudWatch(e)
		if !e.template {
			l.handRef(e)
		}
	}
	return e
}

func errUnwrap(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// secureJSONData loads secrets. A value must take its content from the
// environment or a file: a literal secret in Git is an error.
func (l *loader) secureJSONData(f yfile, fl field, at path, ds *resource.Datasource, e *dsEntry) map[string]resource.Secret {
	m, ok := l.mapping(f, fl.val, at.with("secureJsonData"))
	if !ok {
		return nil
	}
	out := make(map[string]resource.Secret, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		kat := at.with("secureJsonData", k)
		if v.val.Kind != yaml.ScalarNode {
			l.errorf(f.pos(v.val), "", "%s: want a string, found %s", kat, yamlnode.Describe(v.val))
			continue
		}
		raw := v.val.Value
		if v.val.Tag == "!!null" {
			raw = ""
		}
		x := l.expand(raw)
		switch {
		case raw == "":
			out[k] = resource.NewSecret("", "empty value")
		case len(x.refs) == 0:
			name := envName(ds.Name, k)
			l.errorf(f.pos(v.val), "secureJsonData."+k+": use ${"+name+"} and set it in the environment (or $__file{/path/to/secret})",
				"%s: a literal secret must not be stored in Git", kat)
		case len(x.refused) > 0:
			e.unresolved["secureJsonData."+k] = true
			l.refuse(f.pos(v.val), kat, x.refused)
		case len(x.missing) > 0:
			e.unresolved["secureJsonData."+k] = true
			l.unset(f.pos(v.val), kat, x.missing, true)
			out[k] = resource.UnsetSecret(strings.Join(x.refs, ", "))
		default:
			out[k] = resource.NewSecret(x.value, strings.Join(x.refs, ", "))
		}
	}
	return out
}

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

// Grafana's provisioning reads its files with a YAML decoder that ignores
// keys it does not know (pkg/services/provisioning/datasources/types.go,
// configsV1): such a key is a warning, not an error. ignoredKeys says why
// for keys found in real files; others get a "did you mean" hint.
var ignoredKeys = map[string]string{
	"apiVersion": "apiVersion belongs at the top of the file; inside an entry Grafana ignores it",
	"correlations": "Grafana's provisioning creates these correlations, but grafsync does not apply them: " +
		"create them in Grafana (Explore > Correlations) or through its /api/datasources/uid/:uid/correlations API",
	"grafanaOrgId": "Grafana's provisioning ignores it; the org is set by orgId (or the file's directory)",
}

// lenientKeys warns about the keys of m not in known and drops them:
// Grafana ignores them, so they cannot make the file invalid.
func (l *loader) lenientKeys(f yfile, m map[string]field, at path, known []string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if slices.Contains(known, k) {
			continue
		}
		fl := m[k]
		delete(m, k)
		if k == "correlations" {
			l.warnf(f.pos(fl.key), ignoredKeys[k], "%s: correlations are not applied by grafsync", at.with(k))
			continue
		}
		hint, ok := ignoredKeys[k]
		if !ok {
			hint = "Grafana's provisioning ignores keys it does not know, and so does grafsync; " + suggest(k, known)
		}
		l.warnf(f.pos(fl.key), hint, "%s: key %q is ignored", orRoot(at), k)
	}
}

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
	ext := pathpkg.Ext(name)
	if strings.HasPrefix(name, ".") || ext == ".md" || ext == ".txt" {
		return false
	}
	if !l.isFile(pathpkg.Join(dir, name), de) {
		return false
	}
	if ext == ".yaml" || ext == ".yml" {
		return true
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
	top, ok := l.mapping(f, f.root, nil)
	if !ok {
		return
	}
	l.lenientKeys(f, top, nil, dsFileKeys)
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
			m, ok := l.mapping(f, n, at)
			if !ok {
				continue
			}
			l.lenientKeys(f, m, at, dsDeleteKeys)
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
	if slices.ContainsFunc(missing, func(m string) bool { return strings.HasPrefix(m, "file ") }) {
		hint = "mount the file in a directory given by --secrets-dir (or GRAFSYNC_SECRETS_DIR)"
	}
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

// reportExpansion reports what an expansion could not resolve, for every
// value grafsync expands (datasources and alerting contact points alike):
// a reference to grafsync's own credentials or a $__file{} path grafsync
// never reads is an error; otherwise an unset variable or missing file is
// reported by unset. It returns whether the value is resolved; when it is
// not, the value must not be written.
func (l *loader) reportExpansion(pos resource.Pos, at path, x expansion, secret bool) bool {
	if len(x.refused) > 0 {
		l.refuse(pos, at, x.refused)
	}
	for _, why := range x.forbidden {
		l.errorf(pos, forbiddenFileHint, "%s: %s", at, why)
	}
	if x.overMsg != "" {
		l.errorf(pos, expandedBytesHint, "%s: %s", at, x.overMsg)
	}
	if x.isRefused() {
		return false
	}
	if len(x.missing) > 0 {
		l.unset(pos, at, x.missing, secret)
		return false
	}
	return true
}

// refuse reports references to grafsync's own credentials (ownCredential).
func (l *loader) refuse(pos resource.Pos, at path, names []string) {
	user := "a datasource"
	if len(at) > 0 && at[0] == "contactPoints" {
		user = "a contact point"
	}
	what := "environment variable " + names[0] + " holds credentials of the process running grafsync; " + user + " must not use it"
	if len(names) > 1 {
		what = "environment variables " + strings.Join(names, ", ") + " hold grafsync's own credentials; " + user + " must not use them"
	}
	l.errorf(pos, ownCredentialHint, "%s: %s", at, what)
}

func (l *loader) datasource(o *orgState, f yfile, n *yaml.Node, at path) *dsEntry {
	m, ok := l.mapping(f, n, at)
	if !ok {
		return nil
	}
	l.lenientKeys(f, m, at, slices.Concat(dsKeys, dsLegacyKeys))
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
		if !l.reportExpansion(f.pos(n), at.with(p...), x, false) {
			e.unresolved[p.String()] = true
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
	if what := urlCredentials(ds.URL, true); what != "" {
		// Refused, not masked: see urlCredentials. Unset variables leave
		// "user:@host", refused all the same.
		l.errorf(f.pos(m["url"].val), urlCredentialsHint(what),
			"%s: holds %s; Grafana stores a datasource's url in clear and shows it to everyone who can read the datasource", at.with("url"), what)
		ds.URL, e.unresolved["url"] = "", true
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
	_, ds.EditableSet = m["editable"]
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
			v := expand(s, n, p[len(at):])
			if what := urlCredentials(v, false); what != "" {
				l.errorf(f.pos(n), urlCredentialsHint(what),
					"%s: holds %s; Grafana stores a datasource's jsonData in clear and shows it to everyone who can read the datasource", p, what)
				return ""
			}
			return v
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
		// Grafana's provisioning logs "invalid access value, will use
		// 'proxy' instead" and uses proxy (pkg/services/provisioning/
		// datasources/config_reader.go, validateAccessAndOrgID); so does
		// grafsync.
		hint := "remove access (proxy, the default: Grafana's server queries the datasource) or write access: direct"
		if ds.Access == "browser" {
			hint = "\"browser\" is what Grafana's UI calls access: direct (the browser queries the datasource, deprecated); " +
				"write access: direct for that, or remove access for proxy (Grafana's server queries it)"
		}
		l.warnf(e.pos(path{"access"}, false), hint, "%s.access: %q is not an access mode; Grafana's provisioning uses proxy instead, and so does grafsync", at, ds.Access)
		ds.Access = "proxy"
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
		case l.reportExpansion(f.pos(v.val), kat, x, true):
			out[k] = resource.NewSecret(x.value, strings.Join(x.refs, ", "))
		case x.isRefused():
			e.unresolved["secureJsonData."+k] = true
		default: // unset
			e.unresolved["secureJsonData."+k] = true
			out[k] = resource.UnsetSecret(strings.Join(x.refs, ", "))
		}
	}
	return out
}

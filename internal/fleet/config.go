package fleet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	pathpkg "path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/problem"
	"github.com/grafsync/grafsync/internal/resource"
	"github.com/grafsync/grafsync/internal/yamlnode"
)

// ConfigFile is the repository's root file, shared with the org config.
const ConfigFile = "grafsync.yaml"

// Keys are the top-level keys of grafsync.yaml that belong to the fleet;
// internal/load accepts and skips them.
var Keys = []string{"instances", "instancesFrom", "instanceContent"}

var (
	instanceKeys = []string{"name", "url", "token", "user", "password", "labels", "vars"}
	fromKeys     = []string{"file", "template"}
	contentKeys  = []string{"path", "selector"}
)

// Instance is one Grafana of the fleet.
type Instance struct {
	Name string
	// URLs are the replica base URLs, as written: a URL may hold ${NAME}
	// environment references (ResolveURLs).
	URLs []string
	// TokenEnv, UserEnv and PasswordEnv name the environment variables that
	// hold the instance's credentials; the entry never holds a credential.
	TokenEnv, UserEnv, PasswordEnv string
	Labels                         map[string]string
	Vars                           map[string]string
	Source                         resource.Pos // the entry, or the list item it came from
}

// Content limits a path of the repository to the instances whose labels
// match Selector (every key equal).
type Content struct {
	Path     string // a file or directory, relative to the repository root
	Selector map[string]string
	Source   resource.Pos
}

// Fleet is what grafsync.yaml declares about instances. A repository
// without instances: or instancesFrom: has a nil *Fleet.
type Fleet struct {
	Instances []Instance // in declaration order, names unique
	Content   []Content
}

// Matches reports whether labels carry every key=value of sel.
func Matches(labels, sel map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

var (
	nameRe   = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$`)
	keyRe    = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	envRefRe = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)
	envInRe  = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	itemRe   = regexp.MustCompile(`\$\{item\.([A-Za-z_][A-Za-z0-9_]*)\}`)
)

type parser struct {
	ctx      context.Context
	fsys     fs.FS
	problems problem.List
	// What Parse has spent of its limits (trust.go).
	visits     int   // YAML values visited (MaxParseValues)
	instances  int   // instances declared so far (MaxInstances)
	listBytes  int64 // instancesFrom files read (MaxListBytes)
	fleetBytes int64 // strings of the instances (MaxFleetBytes)
	over       bool  // a limit was passed: Parse stops reading
}

// visit counts one YAML value Parse looks at and reports whether it may go
// on; past MaxParseValues it records one error and stops everything.
func (p *parser) visit(file string, n *yaml.Node) bool {
	if p.over {
		return false
	}
	p.visits++
	if p.visits%4096 == 0 && p.ctx.Err() != nil {
		p.stop(pos(file, n), "", "reading the fleet stopped: %v", context.Cause(p.ctx))
		return false
	}
	if p.visits > MaxParseValues {
		p.stop(pos(file, n), "YAML aliases repeat a block each time they are used; write the instances out, or generate them with instancesFrom:",
			"the fleet's YAML adds up to more than %d values once aliases are expanded", MaxParseValues)
		return false
	}
	return true
}

// stop records a limit's error and makes Parse stop reading.
func (p *parser) stop(at resource.Pos, hint, format string, args ...any) {
	p.over = true
	p.errorf(at, hint, format, args...)
}

// maxProblems is how many problems Parse reports before it stops reading.
const maxProblems = 200

func (p *parser) errorf(pos resource.Pos, hint, format string, args ...any) {
	if len(p.problems) >= maxProblems {
		if !p.over {
			p.over = true
			p.problems = append(p.problems, problem.Errorf(pos, "", "more than %d problems; the rest of the fleet was not read", maxProblems))
		}
		return
	}
	p.problems = append(p.problems, problem.Errorf(pos, hint, format, args...))
}

func pos(file string, n *yaml.Node) resource.Pos {
	return resource.Pos{File: file, Line: n.Line, Col: n.Column}
}

// Parse reads the fleet from grafsync.yaml in fsys. It returns nil and no
// problem when the file is absent or declares no fleet; the org part of
// the file is internal/load's.
func Parse(fsys fs.FS) (*Fleet, problem.List) {
	return ParseContext(context.Background(), fsys)
}

// ParseContext is Parse stopping, with an error, once ctx is done: while
// yaml.v3 parses (it reads 512 bytes at a time), between list files and
// every few thousand values.
func ParseContext(ctx context.Context, fsys fs.FS) (*Fleet, problem.List) {
	stopped := func() (*Fleet, problem.List) {
		return nil, problem.List{problem.Errorf(resource.Pos{File: ConfigFile}, "", "reading the fleet stopped: %v", context.Cause(ctx))}
	}
	if ctx.Err() != nil {
		return stopped()
	}
	data, err := readBounded(fsys, ConfigFile, load.MaxFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, problem.List{problem.Errorf(resource.Pos{File: ConfigFile}, "", "%v", err)}
	}
	root, err := yamlnode.ParseContext(ctx, data)
	if ctx.Err() != nil {
		return stopped()
	}
	if err != nil && declaresFleet(data) {
		// Not left to internal/load: without its fleet, plan would ask
		// for GRAFANA_URL before anything loads the file.
		se := &yamlnode.SyntaxError{Line: 1, Msg: err.Error()}
		errors.As(err, &se)
		return nil, problem.List{problem.Errorf(resource.Pos{File: ConfigFile, Line: se.Line, Col: max(se.Col, 1)}, cmp.Or(se.Hint, "fix the YAML syntax"), "invalid YAML: %s", se.Msg)}
	}
	if err != nil || root == nil {
		return nil, nil // internal/load reports the syntax error
	}
	root = yamlnode.Deref(root)
	if root.Kind != yaml.MappingNode {
		return nil, nil
	}
	p := &parser{fsys: fsys, ctx: ctx}
	var (
		fl    Fleet
		found bool
	)
	for _, kv := range yamlnode.Pairs(root) {
		v := yamlnode.Deref(kv.Val)
		switch kv.Key.Value {
		case "instances":
			found = true
			for i, n := range p.seq(ConfigFile, v, "instances") {
				at := fmt.Sprintf("instances[%d]", i)
				if in, ok := p.instance(ConfigFile, n, at, nil); ok {
					fl.Instances = append(fl.Instances, in)
				}
				if p.over {
					break
				}
			}
		case "instancesFrom":
			found = true
			for i, n := range p.seq(ConfigFile, v, "instancesFrom") {
				fl.Instances = append(fl.Instances, p.from(n, fmt.Sprintf("instancesFrom[%d]", i))...)
			}
		case "instanceContent":
			for i, n := range p.seq(ConfigFile, v, "instanceContent") {
				if c, ok := p.content(n, fmt.Sprintf("instanceContent[%d]", i)); ok {
					fl.Content = append(fl.Content, c)
				}
			}
		}
	}
	if !found {
		if len(fl.Content) > 0 {
			p.errorf(fl.Content[0].Source, "declare instances: or instancesFrom:, or remove instanceContent:", "instanceContent: no instances are declared")
		}
		return nil, p.problems
	}
	// Names are unique ignoring case: they become metric labels, lock keys
	// and keys of saved plans, and may become file names.
	seen := map[string]Instance{}
	for _, in := range fl.Instances {
		if p.over {
			break
		}
		if prev, dup := seen[strings.ToLower(in.Name)]; dup {
			as := ""
			if prev.Name != in.Name {
				as = fmt.Sprintf(" (as %q; names differing only in case are the same name)", prev.Name)
			}
			p.errorf(in.Source, "give each instance its own name", "instance %q is already declared at %s%s", in.Name, prev.Source, as)
			continue
		}
		seen[strings.ToLower(in.Name)] = in
	}
	sort.SliceStable(p.problems, func(i, j int) bool {
		a, b := p.problems[i].Pos, p.problems[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	if len(fl.Instances) == 0 && !p.problems.HasErrors() {
		p.errorf(resource.Pos{File: ConfigFile, Line: 1, Col: 1}, "list at least one instance, or remove instances:", "instances: the fleet is empty")
	}
	return &fl, p.problems
}

func (p *parser) seq(file string, n *yaml.Node, at string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		if n.Tag == "!!null" {
			return nil
		}
		p.errorf(pos(file, n), "", "%s: want a list, found %s", at, yamlnode.Describe(n))
		return nil
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if !p.visit(file, c) {
			break
		}
		out = append(out, yamlnode.Deref(c))
	}
	return out
}

// mapping returns n's entries, refusing unknown and duplicate keys.
func (p *parser) mapping(file string, n *yaml.Node, at string, known []string) (map[string]*yaml.Node, bool) {
	if n.Kind != yaml.MappingNode {
		p.errorf(pos(file, n), "", "%s: want a mapping (key: value), found %s", at, yamlnode.Describe(n))
		return nil, false
	}
	m := map[string]*yaml.Node{}
	for _, kv := range yamlnode.Pairs(n) {
		if !p.visit(file, kv.Key) {
			return nil, false
		}
		k := kv.Key.Value
		if _, dup := m[k]; dup {
			p.errorf(pos(file, kv.Key), "", "%s.%s: duplicate key", at, k)
			continue
		}
		if known != nil && !slices.Contains(known, k) {
			p.errorf(pos(file, kv.Key), "known keys: "+strings.Join(known, ", "), "%s: unknown key %q", at, k)
			continue
		}
		m[k] = yamlnode.Deref(kv.Val)
	}
	return m, true
}

// scalar returns a string scalar, after ${item.KEY} substitution when item
// is not nil.
func (p *parser) scalar(file string, n *yaml.Node, at string, item *listItem) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(pos(file, n), "", "%s: want a string, found %s", at, yamlnode.Describe(n))
		return "", false
	}
	s := n.Value
	if item == nil {
		return s, true
	}
	// The result's length is known before it is built: a long template
	// string naming a long field many times is refused, not made.
	ms := itemRe.FindAllStringSubmatchIndex(s, -1)
	size, ok := len(s), true
	for _, m := range ms {
		k := s[m[2]:m[3]]
		v, has := item.fields[k]
		if !has {
			p.errorf(item.pos, "add "+k+": to the item, or change the template at "+pos(file, n).String(), "%s: the item has no field %q (used by the template's %s)", item.at, k, at)
			ok = false
		}
		size += len(v) - (m[1] - m[0])
	}
	if !ok {
		return "", false
	}
	if size > MaxValueBytes {
		p.errorf(item.pos, "an instance's values are names, URLs and short ids; keep long text out of the list file", "%s: the template's %s would be %d bytes for this item, more than the %d an instance value may hold", item.at, at, size, MaxValueBytes)
		return "", false
	}
	var b strings.Builder
	b.Grow(size)
	last := 0
	for _, m := range ms {
		b.WriteString(s[last:m[0]])
		b.WriteString(item.fields[s[m[2]:m[3]]])
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// value is a string of an instance: a scalar (after ${item.FIELD}) of at
// most MaxValueBytes, counted against MaxFleetBytes.
func (p *parser) value(file string, n *yaml.Node, at string, item *listItem) (string, bool) {
	if !p.visit(file, n) {
		return "", false
	}
	s, ok := p.scalar(file, n, at, item)
	if !ok {
		return "", false
	}
	if len(s) > MaxValueBytes {
		p.errorf(orItem(item, pos(file, n)), "an instance's values are names, URLs and short ids", "%s: %d bytes, more than the %d an instance value may hold", at, len(s), MaxValueBytes)
		return "", false
	}
	p.fleetBytes += int64(len(s))
	if p.fleetBytes > MaxFleetBytes {
		p.stop(orItem(item, pos(file, n)), "", "the instances' values add up to more than %d bytes; a fleet this large is not read", MaxFleetBytes)
		return "", false
	}
	return s, true
}

// listItem is one entry of an instancesFrom file, for template expansion.
type listItem struct {
	fields map[string]string
	pos    resource.Pos
	at     string
}

func (p *parser) instance(file string, n *yaml.Node, at string, item *listItem) (Instance, bool) {
	in := Instance{Source: pos(file, n), Labels: map[string]string{}, Vars: map[string]string{}}
	if item != nil {
		in.Source = item.pos
	}
	if p.instances++; p.instances > MaxInstances {
		p.stop(in.Source, "split the fleet into several repositories, or run grafsync per part with --selector", "more than %d instances: a fleet this large is not read", MaxInstances)
		return Instance{}, false
	}
	m, ok := p.mapping(file, n, at, instanceKeys)
	if !ok {
		return Instance{}, false
	}
	good := true
	str := func(k string) (string, resource.Pos, bool) {
		v, has := m[k]
		if !has {
			return "", resource.Pos{}, false
		}
		s, ok := p.value(file, v, at+"."+k, item)
		good = good && ok
		return s, pos(file, v), ok
	}
	name, npos, has := str("name")
	switch {
	case !has && m["name"] == nil:
		p.errorf(in.Source, "", "%s: name is missing", at)
		good = false
	case has && !nameRe.MatchString(name):
		p.errorf(orItem(item, npos), "use letters, digits, '.', '_' or '-' (at most 63), starting with a letter or digit", "%s.name: %q is not a valid instance name", at, name)
		good = false
	}
	in.Name = name
	if u, ok := m["url"]; ok {
		var raw []*yaml.Node
		if u.Kind == yaml.SequenceNode {
			raw = p.seq(file, u, at+".url")
		} else {
			raw = []*yaml.Node{u}
		}
		for i, un := range raw {
			s, ok := p.value(file, un, fmt.Sprintf("%s.url", at), item)
			if !ok {
				good = false
				continue
			}
			if refs := envInRe.FindAllStringSubmatch(s, -1); refs != nil {
				for _, r := range refs {
					if why := refusedVar(r[1], false); why != "" {
						p.errorf(orItem(item, pos(file, un)), "name a variable of the instance's own, e.g. url: ${GRAFANA_URL_ACME}; "+refusedVarHint,
							"%s.url[%d]: ${%s} is refused: %s", at, i, r[1], why)
						good, ok = false, false
					}
				}
				if ok {
					in.URLs = append(in.URLs, s) // resolved and checked at run time
				}
				continue
			}
			pu, err := url.Parse(s)
			if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || pu.User != nil {
				p.errorf(orItem(item, pos(file, un)), "write the replica's base URL, e.g. https://grafana.example.com, without credentials", "%s.url[%d]: %q is not an http(s) URL", at, i, s)
				good = false
				continue
			}
			in.URLs = append(in.URLs, s)
		}
		if len(raw) == 0 {
			p.errorf(pos(file, u), "", "%s.url: give at least one URL", at)
			good = false
		}
	} else {
		p.errorf(in.Source, "add url: https://grafana.example.com (or a list of replica URLs)", "%s: url is missing", at)
		good = false
	}
	gaveCredential := false
	for _, c := range []struct {
		key string
		dst *string
	}{{"token", &in.TokenEnv}, {"user", &in.UserEnv}, {"password", &in.PasswordEnv}} {
		s, cpos, has := str(c.key)
		if _, given := m[c.key]; given {
			gaveCredential = true
		}
		if !has {
			continue
		}
		ref := envRefRe.FindStringSubmatch(s)
		if ref == nil {
			p.errorf(orItem(item, cpos), "name an environment variable, e.g. "+c.key+": ${GRAFANA_TOKEN_ACME}; a credential is never written in the repository",
				"%s.%s: want an environment reference ${NAME}", at, c.key)
			good = false
			continue
		}
		if why := refusedVar(ref[1], true); why != "" {
			p.errorf(orItem(item, cpos), refusedVarHint, "%s.%s: ${%s} is refused: %s", at, c.key, ref[1], why)
			good = false // the instance is dropped; the name is kept for the checks below
		}
		*c.dst = ref[1]
	}
	switch {
	case in.TokenEnv != "" && (in.UserEnv != "" || in.PasswordEnv != ""):
		p.errorf(in.Source, "choose token, or user and password", "%s: both token and user/password are given", at)
		good = false
	case (in.UserEnv == "") != (in.PasswordEnv == ""):
		p.errorf(in.Source, "give user and password together", "%s: user and password go together", at)
		good = false
	case in.TokenEnv == "" && in.UserEnv == "" && !gaveCredential:
		p.errorf(in.Source, "add token: ${GRAFANA_TOKEN_<NAME>}, or user: ${...} and password: ${...}", "%s: no credentials", at)
		good = false
	}
	for _, kv := range []struct {
		key string
		dst map[string]string
	}{{"labels", in.Labels}, {"vars", in.Vars}} {
		v, has := m[kv.key]
		if !has {
			continue
		}
		mm, ok := p.mapping(file, v, at+"."+kv.key, nil)
		if !ok {
			good = false
			continue
		}
		for _, k := range sortedKeys(mm) {
			if !keyRe.MatchString(k) {
				p.errorf(pos(file, mm[k]), "use letters, digits and '_', starting with a letter or '_'", "%s.%s: %q is not a valid key", at, kv.key, k)
				good = false
				continue
			}
			s, ok := p.value(file, mm[k], at+"."+kv.key+"."+k, item)
			if ok && strings.ContainsAny(s, "\x00\r\n") {
				p.errorf(orItem(item, pos(file, mm[k])), "", "%s.%s.%s: a value is one line", at, kv.key, k)
				ok = false
			}
			good = good && ok
			kv.dst[k] = s
		}
	}
	return in, good
}

func orItem(item *listItem, p resource.Pos) resource.Pos {
	if item != nil {
		return item.pos
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// from expands one instancesFrom entry: every item of the list file
// through the template.
func (p *parser) from(n *yaml.Node, at string) []Instance {
	m, ok := p.mapping(ConfigFile, n, at, fromKeys)
	if !ok {
		return nil
	}
	fn, tn := m["file"], m["template"]
	if fn == nil || tn == nil {
		p.errorf(pos(ConfigFile, n), "write file: customers.yaml and template: {name: ${item.name}, ...}", "%s: file and template are both needed", at)
		return nil
	}
	file, ok := p.scalar(ConfigFile, fn, at+".file", nil)
	if !ok {
		return nil
	}
	clean := pathpkg.Clean(file)
	if !fs.ValidPath(clean) || strings.HasPrefix(file, "/") {
		p.errorf(pos(ConfigFile, fn), "write a path relative to the repository root", "%s.file: %q is not a path inside the repository", at, file)
		return nil
	}
	data, err := readBounded(p.fsys, clean, MaxListBytes-p.listBytes)
	if err != nil {
		p.errorf(pos(ConfigFile, fn), "keep the list inside the repository, as a regular file; the list files together may hold "+strconv.Itoa(MaxListBytes)+" bytes",
			"%s.file: cannot read %s: %v", at, clean, err)
		return nil
	}
	p.listBytes += int64(len(data))
	root, err := yamlnode.ParseContext(p.ctx, data)
	if p.ctx.Err() != nil {
		p.stop(pos(ConfigFile, fn), "", "reading the fleet stopped: %v", context.Cause(p.ctx))
		return nil
	}
	if err != nil {
		se, _ := err.(*yamlnode.SyntaxError)
		line := 1
		if se != nil {
			line = se.Line
		}
		p.errorf(resource.Pos{File: clean, Line: line, Col: 1}, "", "invalid YAML: %v", err)
		return nil
	}
	if root == nil {
		p.errorf(pos(ConfigFile, fn), "", "%s.file: %s is empty", at, clean)
		return nil
	}
	var out []Instance
	for i, itn := range p.seq(clean, yamlnode.Deref(root), clean) {
		if p.over {
			break
		}
		iat := fmt.Sprintf("%s[%d]", clean, i)
		im, ok := p.mapping(clean, itn, iat, nil)
		if !ok {
			continue
		}
		item := &listItem{fields: map[string]string{}, pos: pos(clean, itn), at: iat}
		good := true
		for k, v := range im {
			if !p.visit(clean, v) {
				return out
			}
			s, ok := p.scalar(clean, v, iat+"."+k, nil)
			good = good && ok
			item.fields[k] = s
		}
		if !good {
			continue
		}
		if in, ok := p.instance(ConfigFile, tn, at+".template", item); ok {
			out = append(out, in)
		}
	}
	return out
}

func (p *parser) content(n *yaml.Node, at string) (Content, bool) {
	m, ok := p.mapping(ConfigFile, n, at, contentKeys)
	if !ok {
		return Content{}, false
	}
	c := Content{Source: pos(ConfigFile, n), Selector: map[string]string{}}
	pn, sn := m["path"], m["selector"]
	if pn == nil || sn == nil {
		p.errorf(c.Source, "write path: dashboards/premium and selector: {tier: premium}", "%s: path and selector are both needed", at)
		return c, false
	}
	s, ok := p.scalar(ConfigFile, pn, at+".path", nil)
	if !ok {
		return c, false
	}
	c.Path = pathpkg.Clean(s)
	if !fs.ValidPath(c.Path) || strings.HasPrefix(s, "/") || c.Path == "." || c.Path == ConfigFile {
		p.errorf(pos(ConfigFile, pn), "write a file or directory relative to the repository root, e.g. dashboards/premium", "%s.path: %q is not a path inside the repository", at, s)
		return c, false
	}
	sm, ok := p.mapping(ConfigFile, sn, at+".selector", nil)
	if !ok {
		return c, false
	}
	for k, v := range sm {
		s, ok := p.scalar(ConfigFile, v, at+".selector."+k, nil)
		if !ok {
			return c, false
		}
		c.Selector[k] = s
	}
	if len(c.Selector) == 0 {
		p.errorf(pos(ConfigFile, sn), "", "%s.selector: give at least one label: value", at)
		return c, false
	}
	return c, true
}

// ResolveURLs expands ${NAME} in the instance's URLs from the environment
// and checks the result is an http(s) URL.
func (in Instance) ResolveURLs(getenv func(string) string) ([]string, error) {
	out := make([]string, 0, len(in.URLs))
	for _, raw := range in.URLs {
		var unset []string
		s := envInRe.ReplaceAllStringFunc(raw, func(m string) string {
			name := envInRe.FindStringSubmatch(m)[1]
			v := getenv(name)
			if v == "" {
				unset = append(unset, name)
			}
			return v
		})
		if len(unset) > 0 {
			return nil, fmt.Errorf("%s is not set: instance %s (%s) takes its url from it", strings.Join(unset, ", "), in.Name, in.Source)
		}
		pu, err := url.Parse(s)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || pu.User != nil {
			return nil, fmt.Errorf("instance %s (%s): url %s does not expand to an http(s) URL without credentials", in.Name, in.Source, raw)
		}
		out = append(out, s)
	}
	return out, nil
}

// fleetKey is a top-level instances: or instancesFrom: key, found in the
// text of a grafsync.yaml that does not parse.
var fleetKey = regexp.MustCompile(`(?m)^(instances|instancesFrom)[ \t]*:`)

// declaresFleet reports whether data, YAML that does not parse, looks
// like it declares a fleet.
func declaresFleet(data []byte) bool { return fleetKey.Match(data) }

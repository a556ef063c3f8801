package pull

import (
	"context"
	"fmt"
	"os"
	pathpkg "path"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/load"
	"github.com/grafsync/grafsync/internal/normalize"
)

// permission is one _folder.yaml permissions entry.
type permission struct {
	kind, who, level string // kind: role, team or user
}

// readPermissions reads each folder's directly assigned permissions
// (inherited ones belong to the parent, as normalize.LiveFolderPermissions
// leaves them out). A user entry is named by login. An entry of a service
// account (often the Admin entry Grafana gives the account that created
// the folder) cannot be written: plan accepts only users of the org. Such
// a folder's permissions are left out (nil: not managed), so the plan
// never removes that entry; unmanaged names those folders.
func readPermissions(ctx context.Context, c *grafana.Client, folders []grafana.Folder) (perms map[string][]permission, unmanaged []string, err error) {
	users, err := c.OrgUsers(ctx)
	if err != nil {
		return nil, nil, err
	}
	isUser := map[int64]bool{}
	for _, u := range users {
		isUser[u.ID] = true
	}
	out := make([][]permission, len(folders))
	g, gctx := errgroup.WithContext(ctx)
	for i, f := range folders {
		g.Go(func() error {
			ps, err := c.FolderPermissions(gctx, f.UID)
			if err != nil {
				return err
			}
			list := []permission{}
			for _, p := range ps {
				level := map[int64]string{1: "View", 2: "Edit", 4: "Admin"}[p.Permission]
				switch {
				case p.Inherited || level == "":
				case p.Role != "":
					list = append(list, permission{"role", p.Role, level})
				case p.TeamID != 0:
					list = append(list, permission{"team", p.Team, level})
				case p.UserID != 0 && isUser[p.UserID]:
					list = append(list, permission{"user", p.UserLogin, level})
				case p.UserID != 0:
					out[i] = nil
					return nil
				}
			}
			sort.Slice(list, func(a, b int) bool {
				order := map[string]int{"role": 0, "team": 1, "user": 2}
				if list[a].kind != list[b].kind {
					return order[list[a].kind] < order[list[b].kind]
				}
				return list[a].who < list[b].who
			})
			out[i] = list
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	m := make(map[string][]permission, len(folders))
	for i, f := range folders {
		m[f.UID] = out[i]
		if out[i] == nil {
			unmanaged = append(unmanaged, f.Title)
		}
	}
	return m, unmanaged, nil
}

// folderFile is a folder's _folder.yaml. perms nil: the permissions were
// not pulled (not asked for, or left unmanaged): the old file's
// permissions, if any, stay as written, as does any key of it pull does
// not model (old is the file's bytes, nil when there is none).
func folderFile(f grafana.Folder, perms []permission, old []byte) []byte {
	n := mapping("uid", str(f.UID), "title", str(f.Title))
	if perms != nil {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, p := range perms {
			seq.Content = append(seq.Content, mapping(p.kind, str(p.who), "permission", str(p.level)))
		}
		n.Content = append(n.Content, str("permissions"), seq)
	}
	var doc yaml.Node
	if old != nil && yaml.Unmarshal(old, &doc) == nil && len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		top := doc.Content[0]
		for i := 0; i+1 < len(top.Content); i += 2 {
			switch k := top.Content[i].Value; {
			case k == "uid" || k == "title":
			case k == "permissions" && perms != nil:
			default:
				n.Content = append(n.Content, top.Content[i], top.Content[i+1])
			}
		}
	}
	data, _ := encodeYAML(n)
	return data
}

// mapping builds a YAML mapping from alternating keys and values.
func mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(b)}
}

// datasourceEntry is a live datasource as a provisioning entry. Its
// secrets become ${VAR} references: the one an existing entry already uses
// for that key, else a new deterministic name (envFor).
func datasourceEntry(d grafana.Datasource, old *yaml.Node, envFor func(key string) string) *yaml.Node {
	n := mapping("name", str(d.Name), "uid", str(d.UID), "type", str(d.Type))
	add := func(k string, v *yaml.Node) { n.Content = append(n.Content, str(k), v) }
	access := d.Access
	if access == "" {
		access = "proxy"
	}
	// proxy is what the loader makes of an entry without access: one
	// written without it stays so.
	if access != "proxy" || old == nil || child(old, "access") != nil {
		add("access", str(access))
	}
	for _, f := range []struct{ k, v string }{{"url", d.URL}, {"user", d.User}, {"database", d.Database}, {"basicAuthUser", d.BasicAuthUser}} {
		if f.v != "" {
			add(f.k, str(escapeDollars(f.v).(string)))
		}
	}
	for _, f := range []struct {
		k string
		v bool
	}{{"basicAuth", d.BasicAuth}, {"withCredentials", d.WithCredentials}, {"isDefault", d.IsDefault}} {
		if f.v {
			add(f.k, boolean(true))
		}
	}
	jd := map[string]any{}
	for k, v := range d.JSONData {
		if k != normalize.MarkerKey {
			jd[k] = v
		}
	}
	if len(jd) > 0 {
		add("jsonData", yamlAny(escapeDollars(jd)))
	}
	if len(d.SecureJSONFields) > 0 {
		oldSecure := map[string]*yaml.Node{}
		if old != nil {
			for i := 0; i+1 < len(old.Content); i += 2 {
				if old.Content[i].Value == "secureJsonData" && old.Content[i+1].Kind == yaml.MappingNode {
					s := old.Content[i+1]
					for j := 0; j+1 < len(s.Content); j += 2 {
						oldSecure[s.Content[j].Value] = s.Content[j+1]
					}
				}
			}
		}
		keys := append([]string(nil), d.SecureJSONFields...)
		sort.Strings(keys)
		sec := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			v := oldSecure[k]
			if v == nil {
				v = str("${" + envFor(k) + "}")
			} else if name, ok := strings.CutPrefix(v.Value, "${"); ok && strings.HasSuffix(name, "}") {
				envFor("\x00" + strings.TrimSuffix(name, "}")) // the entry's own variable: listed too
			}
			sec.Content = append(sec.Content, str(k), v)
		}
		add("secureJsonData", sec)
	}
	// Grafana's API does not keep editable (it is provisioning's, and
	// grafsync applies through the API: docs/layout.md), nor orgId or
	// version as a file means them: what the old entry wrote of these, and
	// of any key pull does not model, stays as written (or unwritten).
	editable := boolean(true) // a new entry's: its datasource is editable in Grafana
	if old != nil && old.Kind == yaml.MappingNode {
		editable = nil // an entry without editable stays without it
		for i := 0; i+1 < len(old.Content); i += 2 {
			k := old.Content[i].Value
			switch {
			case k == "editable":
				editable = old.Content[i+1]
			case !datasourceModelled[k]:
				n.Content = append(n.Content, old.Content[i], old.Content[i+1])
			}
		}
	}
	if editable != nil {
		add("editable", editable)
	}
	return n
}

// datasourceModelled are the keys of a provisioning entry datasourceEntry
// writes from what Grafana returns (editable apart: see there).
var datasourceModelled = map[string]bool{"name": true, "uid": true, "type": true, "access": true, "url": true, "user": true,
	"database": true, "basicAuthUser": true, "basicAuth": true, "withCredentials": true, "isDefault": true,
	"jsonData": true, "secureJsonData": true, "editable": true}

// yamlAny builds a node from a value as encoding/json decodes it (the
// client decodes jsonData so): float64 numbers are written in Go's
// shortest form, which reads back to the same float64.
func yamlAny(v any) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Content = append(n.Content, str(k), yamlAny(v[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range v {
			n.Content = append(n.Content, yamlAny(e))
		}
		return n
	case float64:
		n := &yaml.Node{}
		n.Encode(v)
		return n
	case string:
		return str(v)
	case bool:
		return boolean(v)
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	n := &yaml.Node{}
	n.Encode(v)
	return n
}

// writeDatasources writes the org's datasources: an entry of an existing
// provisioning file is replaced where it is (the file's other keys and
// entries stay); a new datasource gets a file of its own named from its
// name. Entries of datasources gone from Grafana are kept, or with Prune
// removed (the file too when nothing is left).
func writeDatasources(w *writer, live []grafana.Datasource, ex *existing, orgDir, envPrefix string, opts Options, envUsed map[string]string) error {
	sort.Slice(live, func(i, j int) bool {
		if live[i].Name != live[j].Name {
			return live[i].Name < live[j].Name
		}
		return live[i].UID < live[j].UID
	})
	envFor := func(d grafana.Datasource) func(string) string {
		return func(key string) string {
			if own, ok := strings.CutPrefix(key, "\x00"); ok {
				envUsed[own] = envPrefix + "\x00" + d.UID + "\x00" + own
				return own
			}
			id := envPrefix + "\x00" + d.UID + "\x00" + key
			name := envName(envPrefix+d.Name, key, opts.Refused)
			if prev, used := envUsed[name]; used && prev != id {
				name += "_" + strings.ToUpper(shortHash(d.UID))
			}
			envUsed[name] = id
			return name
		}
	}
	dir := pathpkg.Join(orgDir, "datasources")
	fileOf := map[string]string{}
	var fresh []named
	taken := map[string]bool{}
	for p := range ex.dsFiles {
		taken[strings.TrimSuffix(pathpkg.Base(p), pathpkg.Ext(p))] = true
	}
	// A datasource the loader generates from a template is declared by the
	// template, which pull cannot write back: it is left to the template.
	live = slicesFilter(slices.Clone(live), func(d grafana.Datasource) bool {
		_, byUID := ex.generated[d.UID]
		_, byName := ex.generated["name:"+d.Name]
		return !byUID && !byName
	})
	for _, d := range live {
		if p, ok := ex.datasources[d.UID]; ok {
			fileOf[d.UID] = p
		} else if p, ok := ex.datasources["name:"+d.Name]; ok {
			fileOf[d.UID] = p
		} else {
			fresh = append(fresh, named{uid: d.UID, title: d.Name})
		}
	}
	names := uniqueNames(fresh, taken, "datasource")
	for uid, n := range names {
		fileOf[uid] = pathpkg.Join(dir, n+".yaml")
	}
	liveByKey := map[string]grafana.Datasource{}
	for _, d := range live {
		liveByKey[d.UID] = d
		liveByKey["name:"+d.Name] = d
	}
	// Existing files first, entry by entry.
	done := map[string]bool{}
	for _, p := range sortedNodeKeys(ex.dsFiles) {
		data, err := os.ReadFile(native(w.root, p))
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		top := doc.Content[0]
		var list *yaml.Node
		for i := 0; i+1 < len(top.Content); i += 2 {
			if top.Content[i].Value == "datasources" {
				list = top.Content[i+1]
			}
		}
		if list == nil {
			continue
		}
		var entries []*yaml.Node
		var gone []string
		for _, e := range list.Content {
			if isTemplateEntry(e) {
				entries = append(entries, e) // the loader expands it; pull keeps it as written
				continue
			}
			key, label, _ := ex.entryKey(p, e)
			d, ok := liveByKey[key]
			if !ok {
				gone = append(gone, label)
				if !opts.Prune {
					entries = append(entries, e)
				}
				continue
			}
			done[d.UID] = true
			entries = append(entries, datasourceEntry(d, e, envFor(d)))
		}
		for _, d := range live {
			if fileOf[d.UID] == p && !done[d.UID] {
				done[d.UID] = true
				entries = append(entries, datasourceEntry(d, nil, envFor(d)))
			}
		}
		if len(gone) > 0 && !opts.Prune {
			w.record(FileChange{Path: p, Action: Gone, Detail: "datasources " + strings.Join(gone, ", ")})
		}
		if len(entries) == 0 && opts.Prune {
			if err := w.remove(p, Deleted, "its datasources are gone from Grafana"); err != nil {
				return err
			}
			continue
		}
		list.Content = entries
		out, err := encodeYAML(&doc)
		if err != nil {
			return err
		}
		if err := w.put(p, out, "datasources"); err != nil {
			return err
		}
	}
	for _, d := range live {
		if done[d.UID] {
			continue
		}
		doc := mapping("apiVersion", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"},
			"datasources", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{datasourceEntry(d, nil, envFor(d))}})
		out, err := encodeYAML(doc)
		if err != nil {
			return err
		}
		if err := w.put(fileOf[d.UID], out, "datasource "+d.Name); err != nil {
			return err
		}
	}
	return nil
}

func orFirst(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sortedNodeKeys(m map[string][]*yaml.Node) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// orgConfig is what grafsync.yaml says about one org.
type orgConfig struct {
	name string
	id   int64
	dir  string
	// managed: preferences and teams were pulled and are written.
	managed  bool
	prefs    grafana.Preferences
	teams    []team
	external []externalDS
}

type team struct {
	name, email string
	members     []string
}

type externalDS struct{ uid, name, typ string }

// readOrgConfig reads the org's preferences and teams. Teams' members are
// named by login; grafsync's own identity is left out, because its
// membership is grafsync's marker (docs/orgs.md). It needs nothing else
// pulled, so it runs while the dashboards are read (homeDashboard then
// checks the home dashboard).
func readOrgConfig(ctx context.Context, c *grafana.Client, cfg *orgConfig) error {
	me, err := c.Whoami(ctx)
	if err != nil {
		return err
	}
	prefs, err := c.OrgPreferences(ctx)
	if err != nil {
		return err
	}
	cfg.prefs = prefs
	ts, err := c.Teams(ctx)
	if err != nil {
		return err
	}
	users, err := c.OrgUsers(ctx)
	if err != nil {
		return err
	}
	isUser := map[int64]bool{}
	for _, u := range users {
		isUser[u.ID] = true
	}
	for _, t := range ts {
		tm := team{name: t.Name, email: t.Email, members: []string{}}
		for _, m := range t.Members {
			if m.UserID == me.ID {
				continue
			}
			if !isUser[m.UserID] {
				// A service account: grafsync.yaml can name only users of
				// the org, so the membership stays unmanaged (no members key).
				tm.members = nil
				break
			}
			name := m.Login
			if name == "" {
				name = m.Email
			}
			tm.members = append(tm.members, name)
		}
		sort.Strings(tm.members)
		cfg.teams = append(cfg.teams, tm)
	}
	sort.Slice(cfg.teams, func(i, j int) bool { return cfg.teams[i].name < cfg.teams[j].name })
	return nil
}

// homeDashboard leaves out a home dashboard that the repository does not
// hold (provisioned, or outside a --folder subtree): the loader would
// refuse it.
func homeDashboard(cfg *orgConfig, ex *existing, dashes []liveDashboard) {
	uid := cfg.prefs.HomeDashboardUID
	if uid == "" || ex.dashboards[uid] != "" {
		return
	}
	for _, d := range dashes {
		if d.uid == uid {
			return
		}
	}
	cfg.prefs.HomeDashboardUID = ""
}

// writeConfig writes grafsync.yaml: each pulled org's entry is updated in
// place (its other keys, such as datasourceInputs, and the orgs not pulled
// stay); a new org is appended.
func writeConfig(w *writer, cfgs []orgConfig, opts Options) error {
	var doc yaml.Node
	data, err := os.ReadFile(native(w.root, load.ConfigFile))
	switch {
	case err == nil:
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("%s: %w: fix it, or remove it to let pull write it", load.ConfigFile, err)
		}
	case !os.IsNotExist(err):
		return err
	}
	needed := false
	for _, c := range cfgs {
		needed = needed || c.managed || len(c.external) > 0 || c.dir != "."
	}
	if !needed && len(doc.Content) == 0 {
		return nil
	}
	existed := len(doc.Content) > 0
	if !existed {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{mapping("orgs", &yaml.Node{Kind: yaml.SequenceNode})}}
	}
	top := doc.Content[0]
	orgs := child(top, "orgs")
	for _, c := range cfgs {
		var entry *yaml.Node
		if orgs != nil {
			for _, e := range orgs.Content {
				if n := child(e, "name"); n != nil && n.Value == c.name {
					entry = e
				}
			}
		}
		// An existing grafsync.yaml that leaves preferences or teams
		// unmanaged says the same as a Grafana that holds the defaults
		// and no teams: it stays so (a file that matches is not touched).
		// A new file manages them, so the adoption is complete.
		writePrefs := c.managed && (!existed || child(entry, "preferences") != nil || c.prefs.Theme+c.prefs.Timezone+c.prefs.WeekStart+c.prefs.HomeDashboardUID != "")
		writeTeams := c.managed && (!existed || child(entry, "teams") != nil || len(c.teams) > 0)
		if entry == nil && existed && !writePrefs && !writeTeams && len(c.external) == 0 && c.dir == "." {
			continue // nothing to say about this org that the file does not say
		}
		if orgs == nil {
			orgs = &yaml.Node{Kind: yaml.SequenceNode}
			top.Content = append(top.Content, str("orgs"), orgs)
		}
		if entry == nil {
			entry = mapping("name", str(c.name))
			orgs.Content = append(orgs.Content, entry)
		}
		set(entry, "id", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(c.id)})
		if c.dir != "." {
			set(entry, "dir", str(c.dir))
		}
		if writePrefs {
			p := c.prefs
			set(entry, "preferences", mapping("theme", str(p.Theme), "timezone", str(p.Timezone), "weekStart", str(p.WeekStart), "homeDashboardUid", str(p.HomeDashboardUID)))
		}
		if writeTeams {
			// A team the file lists without members: leaves its membership
			// alone (docs/orgs.md); pull keeps it so.
			unmanagedMembers := map[string]bool{}
			if old := child(entry, "teams"); old != nil && old.Kind == yaml.SequenceNode {
				for _, t := range old.Content {
					if n := child(t, "name"); n != nil && child(t, "members") == nil {
						unmanagedMembers[n.Value] = true
					}
				}
			}
			teams := &yaml.Node{Kind: yaml.SequenceNode}
			for _, t := range c.teams {
				if unmanagedMembers[t.name] {
					t.members = nil
				}
				members := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
				for _, m := range t.members {
					members.Content = append(members.Content, str(m))
				}
				tn := mapping("name", str(t.name))
				if t.email != "" {
					tn.Content = append(tn.Content, str("email"), str(t.email))
				}
				if t.members != nil {
					tn.Content = append(tn.Content, str("members"), members)
				}
				teams.Content = append(teams.Content, tn)
			}
			set(entry, "teams", teams)
		}
		ext := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range c.external {
			n := mapping("uid", str(e.uid), "name", str(e.name))
			if e.typ != "" {
				n.Content = append(n.Content, str("type"), str(e.typ))
			}
			ext.Content = append(ext.Content, n)
		}
		if len(ext.Content) > 0 {
			set(entry, "externalDatasources", ext)
		} else {
			unset(entry, "externalDatasources")
		}
	}
	out, err := encodeYAML(&doc)
	if err != nil {
		return err
	}
	return w.put(load.ConfigFile, out, "org config")
}

func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func set(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, str(key), v)
}

func unset(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

package load

import (
	"io/fs"
	pathpkg "path"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // timezone validation must not depend on the host's zoneinfo

	"gopkg.in/yaml.v3"

	"github.com/grafsync/grafsync/internal/resource"
	"github.com/grafsync/grafsync/internal/yamlnode"
)

var (
	orgKeys    = []string{"orgs"}
	orgEntKeys = []string{"name", "id", "dir", "preferences", "teams", "externalDatasources", "datasourceInputs"}
	prefKeys   = []string{"theme", "timezone", "weekStart", "homeDashboardUid"}
	teamKeys   = []string{"name", "email", "members"}
	extKeys    = []string{"uid", "name", "type"}
)

// loadConfig reads grafsync.yaml, or returns the single default org.
// grafanaThemes are the theme ids Grafana's pref.IsValidThemeID accepts in
// some release (grafana-source-audit.md row 75): light, dark, system and
// debug from 11.0, the others from 12.x. A theme the server's release does
// not know is refused by Grafana at apply with "Invalid theme".
var grafanaThemes = []string{
	"light", "dark", "system", "debug",
	"aubergine", "desertbloom", "gildedgrove", "gloom", "mars", "matrix", "sapphiredusk", "synthwave", "tron", "victorian", "zen",
}

func (l *loader) loadConfig() []*orgState {
	def := func() []*orgState {
		return []*orgState{{org: &resource.Org{Name: DefaultOrgName, ID: DefaultOrgID, Dir: "."}}}
	}
	if ok, _ := l.exists(ConfigFile, false); !ok {
		return def()
	}
	data, ok := l.readFile(ConfigFile)
	if !ok {
		return def()
	}
	f, ok := l.parseYAML(ConfigFile, data)
	if !ok || f.root == nil {
		return def()
	}
	top, ok := l.mapping(f, f.root, nil, orgKeys...)
	if !ok {
		return def()
	}
	fl, ok := top["orgs"]
	if !ok {
		l.errorf(f.pos(f.root), "list at least one org: orgs: [{name: Main Org.}]", "top level: missing key \"orgs\"")
		return def()
	}
	var orgs []*orgState
	names, ids, dirs := map[string]resource.Pos{}, map[int64]resource.Pos{}, map[string]resource.Pos{}
	for i, n := range l.list(f, fl.val, path{"orgs"}) {
		at := path{"orgs", i}
		o := l.orgEntry(f, n, at, i == 0)
		if o == nil {
			continue
		}
		if prev, dup := names[o.org.Name]; dup {
			l.errorf(o.org.Source, "", "%s.name: org %q is already defined at %s", at, o.org.Name, prev)
		}
		names[o.org.Name] = o.org.Source
		if o.org.ID != 0 {
			if prev, dup := ids[o.org.ID]; dup {
				l.errorf(o.org.Source, "", "%s.id: org id %d is already used at %s", at, o.org.ID, prev)
			}
			ids[o.org.ID] = o.org.Source
		}
		if o.org.Dir != "" { // "": refused or missing, reported already
			if prev, dup := dirs[o.org.Dir]; dup {
				l.errorf(o.org.Source, "give each org its own dir", "%s.dir: %q is already the dir of the org at %s", at, o.org.Dir, prev)
			}
			dirs[o.org.Dir] = o.org.Source
		}
		orgs = append(orgs, o)
	}
	if len(orgs) == 0 {
		l.errorf(f.pos(fl.val), "", "orgs: list at least one org")
		return def()
	}
	return orgs
}

func (l *loader) orgEntry(f yfile, n *yaml.Node, at path, first bool) *orgState {
	m, ok := l.mapping(f, n, at, orgEntKeys...)
	if !ok {
		return nil
	}
	o := &orgState{org: &resource.Org{Source: f.pos(n)}, inputs: map[string]mapped{}}
	if fl, ok := m["name"]; ok {
		o.org.Name, _ = l.str(f, fl, at.with("name"))
	}
	if strings.TrimSpace(o.org.Name) == "" {
		l.errorf(f.pos(n), "", "%s: org name is missing", at)
	}
	if fl, ok := m["id"]; ok {
		if id, ok := l.integer(f, fl, at.with("id")); ok {
			if id < 1 {
				l.errorf(f.pos(fl.val), "", "%s.id: must be 1 or more", at)
			}
			o.org.ID = id
		}
	} else if first && o.org.Name == DefaultOrgName {
		o.org.ID = DefaultOrgID
	}
	o.org.Dir = "."
	if fl, ok := m["dir"]; ok {
		d, _ := l.str(f, fl, at.with("dir"))
		clean := pathpkg.Clean(d)
		switch {
		case d == "" || !fs.ValidPath(clean) || strings.HasPrefix(d, "/"):
			l.errorf(f.pos(fl.val), "write a path relative to the repository root, e.g. orgs/tenant-a", "%s.dir: %q is not a relative path inside the repository", at, d)
			o.org.Dir = "" // loadOrg skips it: it must not read the top-level directories
		default:
			o.org.Dir = clean
		}
	} else if !first {
		l.errorf(f.pos(n), "add dir: orgs/<name>; only the first org uses the top-level dashboards/ and datasources/", "%s: org %q has no dir", at, o.org.Name)
		o.org.Dir = "" // loadOrg skips it
	}
	if fl, ok := m["preferences"]; ok {
		o.org.Preferences = l.preferences(f, fl, at.with("preferences"), o)
	}
	if fl, ok := m["teams"]; ok {
		o.teams = map[string]bool{}
		o.org.Teams = []*resource.Team{}
		for i, tn := range l.list(f, fl.val, at.with("teams")) {
			if t := l.team(f, tn, at.with("teams", i), o); t != nil {
				o.org.Teams = append(o.org.Teams, t)
			}
		}
	}
	if fl, ok := m["externalDatasources"]; ok {
		for i, en := range l.list(f, fl.val, at.with("externalDatasources")) {
			eat := at.with("externalDatasources", i)
			em, ok := l.mapping(f, en, eat, extKeys...)
			if !ok {
				continue
			}
			e := resource.ExternalDatasource{Source: f.pos(en)}
			for k, dst := range map[string]*string{"uid": &e.UID, "name": &e.Name, "type": &e.Type} {
				if fl, ok := em[k]; ok {
					*dst, _ = l.str(f, fl, eat.with(k))
				}
			}
			if e.UID == "" && e.Name == "" {
				l.errorf(e.Source, "live references use the uid; give the uid (and name) of the datasource in Grafana", "%s: set uid or name", eat)
				continue
			}
			if e.UID != "" {
				l.checkUID(func() resource.Pos { return f.pos(em["uid"].val) }, eat.with("uid"), e.UID)
			}
			o.org.External = append(o.org.External, e)
		}
	}
	if fl, ok := m["datasourceInputs"]; ok {
		im, _ := l.mapping(f, fl.val, at.with("datasourceInputs"))
		for k, v := range im {
			s, _ := l.str(f, v, at.with("datasourceInputs", k))
			o.inputs[k] = mapped{target: s, pos: f.pos(v.val)}
		}
	}
	return o
}

func (l *loader) preferences(f yfile, fl field, at path, o *orgState) *resource.Preferences {
	m, ok := l.mapping(f, fl.val, at, prefKeys...)
	if !ok {
		return nil
	}
	p := &resource.Preferences{Source: f.pos(fl.val)}
	get := func(k string) (string, resource.Pos) {
		v, ok := m[k]
		if !ok {
			return "", resource.Pos{}
		}
		s, _ := l.str(f, v, at.with(k))
		return s, f.pos(v.val)
	}
	var pos resource.Pos
	p.Theme, pos = get("theme")
	if p.Theme != "" && !slices.Contains(grafanaThemes, p.Theme) {
		l.errorf(pos, "use light, dark, system, or \"\" for Grafana's default (Grafana also knows debug, and from 12.x "+
			strings.Join(grafanaThemes[4:], ", ")+")", "%s.theme: invalid theme %q", at, p.Theme)
	}
	p.Timezone, pos = get("timezone")
	switch p.Timezone {
	case "", "utc", "browser":
	default:
		if _, err := time.LoadLocation(p.Timezone); err != nil || p.Timezone == "Local" {
			l.errorf(pos, "use utc, browser, an IANA zone such as Europe/Berlin, or \"\"", "%s.timezone: unknown timezone %q", at, p.Timezone)
		}
	}
	p.WeekStart, pos = get("weekStart")
	switch p.WeekStart {
	case "", "monday", "saturday", "sunday":
	default:
		l.errorf(pos, "use monday, saturday, sunday, or \"\"", "%s.weekStart: invalid week start %q", at, p.WeekStart)
	}
	p.HomeDashboardUID, o.home = get("homeDashboardUid")
	o.homeAt = at.with("homeDashboardUid")
	return p
}

func (l *loader) team(f yfile, n *yaml.Node, at path, o *orgState) *resource.Team {
	m, ok := l.mapping(f, n, at, teamKeys...)
	if !ok {
		return nil
	}
	t := &resource.Team{Source: f.pos(n)}
	if fl, ok := m["name"]; ok {
		t.Name, _ = l.str(f, fl, at.with("name"))
	}
	if strings.TrimSpace(t.Name) == "" {
		l.errorf(t.Source, "", "%s: team name is missing", at)
		return nil
	}
	if o.teams[t.Name] {
		l.errorf(t.Source, "", "%s.name: team %q is defined twice in org %q", at, t.Name, o.org.Name)
		return nil
	}
	o.teams[t.Name] = true
	if fl, ok := m["email"]; ok {
		t.Email, _ = l.str(f, fl, at.with("email"))
		if t.Email != "" && !strings.Contains(t.Email, "@") {
			l.errorf(f.pos(fl.val), "", "%s.email: %q is not an email address", at, t.Email)
		}
	}
	if fl, ok := m["members"]; ok {
		seen := map[string]int{}
		t.Members = []string{}
		for i, mn := range l.list(f, fl.val, at.with("members")) {
			s, ok := l.str(f, field{val: yamlnode.Deref(mn)}, at.with("members", i))
			if !ok {
				continue
			}
			if strings.TrimSpace(s) == "" {
				l.errorf(f.pos(mn), "", "%s: empty member", at.with("members", i))
				continue
			}
			key := strings.ToLower(s)
			if prev, dup := seen[key]; dup {
				l.errorf(f.pos(mn), "remove the duplicate", "%s: %q is already listed as members[%d]", at.with("members", i), s, prev)
				continue
			}
			seen[key] = i
			t.Members = append(t.Members, s)
			t.MemberSources = append(t.MemberSources, f.pos(mn))
		}
	}
	return t
}

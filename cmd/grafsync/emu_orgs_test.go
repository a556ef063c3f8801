package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

// orgCommand runs the emu subcommands for org config scenarios; it reports
// false for a subcommand it does not know. ORG is an org id.
//
//	emu add-org NAME                          create an org (the admin is not a member)
//	emu org NAME                              print id=N; fails when absent (! emu org: when present)
//	emu admin                                 use the server admin admin/admin instead of a token
//	emu token ORG [env=GRAFANA_TOKEN] [name=] [role=Admin]   a service-account token of org ORG
//	emu add-user LOGIN [email=] [orgs=1:Viewer,2:Editor]     a user, member of those orgs
//	emu add-member ORG LOGIN [role=Admin]     make an existing user a member of org ORG
//	emu add-team ORG NAME [email=] [members=login,login]     a team made by hand (no creator)
//	emu team-members ORG TEAM                 print the team's member logins, one a line
//	emu remove-team-member ORG TEAM LOGIN     a hand edit of a team
//	emu folder-permissions ORG UID            print "role Viewer View", "team sre Edit", "user ana Admin"
//	emu set-folder-permissions ORG UID role:Viewer=View team:sre=Admin user:ana=Edit
//	emu preferences ORG                       print theme= timezone= weekStart= home=
//	emu dashboard-in ORG UID                  as emu dashboard, in org ORG
func (h *harness) orgCommand(ts *testscript.TestScript, neg bool, args []string, kv map[string]string) bool {
	e := h.emu
	orgArg := func(i int) int64 {
		if len(args) <= i {
			ts.Fatalf("emu %s: missing ORG", args[0])
		}
		id, err := strconv.ParseInt(args[i], 10, 64)
		if err != nil {
			ts.Fatalf("emu %s: ORG %q is not an org id", args[0], args[i])
		}
		return id
	}
	userID := func(login string) int64 {
		id, ok := e.UserIDByLogin(login)
		if !ok {
			ts.Fatalf("no user %q", login)
		}
		return id
	}
	teamID := func(org int64, name string) int64 {
		id, ok := e.TeamIDByName(org, name)
		if !ok {
			ts.Fatalf("no team %q in org %d", name, org)
		}
		return id
	}
	switch args[0] {
	case "add-org":
		fmt.Fprintf(ts.Stdout(), "id=%d\n", e.AddOrg(args[1]))
	case "org":
		id, ok := e.OrgIDByName(args[1])
		if ok == neg {
			ts.Fatalf("org %q exists: %v", args[1], ok)
		}
		if ok {
			fmt.Fprintf(ts.Stdout(), "id=%d\n", id)
		}
	case "admin":
		ts.Setenv("GRAFANA_TOKEN", "")
		ts.Setenv("GRAFANA_USER", "admin")
		ts.Setenv("GRAFANA_PASSWORD", "admin")
	case "token":
		org := orgArg(1)
		name := kv["name"]
		if name == "" {
			name = "grafsync-" + args[1]
		}
		role := kv["role"]
		if role == "" {
			role = "Admin"
		}
		key, err := e.AddServiceAccountToken(org, name, role)
		ts.Check(err)
		env := kv["env"]
		if env == "" {
			env = "GRAFANA_TOKEN"
		}
		ts.Setenv(env, key)
	case "add-user":
		spec := grafanatest.UserSpec{Login: args[1], Email: kv["email"], Name: args[1], Password: "pw", OrgRoles: map[int64]string{}}
		for _, or := range strings.Split(kv["orgs"], ",") {
			if or == "" {
				continue
			}
			id, role, _ := strings.Cut(or, ":")
			n, err := strconv.ParseInt(id, 10, 64)
			ts.Check(err)
			spec.OrgRoles[n] = role
		}
		e.AddUser(spec)
	case "add-member":
		role := kv["role"]
		if role == "" {
			role = "Admin"
		}
		ts.Check(e.AddOrgMember(orgArg(1), userID(args[2]), role))
	case "add-team":
		org := orgArg(1)
		var ids []int64
		for _, m := range strings.Split(kv["members"], ",") {
			if m != "" {
				ids = append(ids, userID(m))
			}
		}
		if e.AddTeam(org, args[2], kv["email"], ids...) == 0 {
			ts.Fatalf("add-team: org %d does not exist", org)
		}
	case "team-members":
		org := orgArg(1)
		for _, l := range e.TeamMembers(org, teamID(org, args[2])) {
			fmt.Fprintln(ts.Stdout(), l)
		}
	case "remove-team-member":
		org := orgArg(1)
		ts.Check(e.RemoveTeamMember(org, teamID(org, args[2]), userID(args[3])))
	case "folder-permissions":
		org := orgArg(1)
		ps := e.FolderPermissions(org, args[2])
		if ps == nil {
			ts.Fatalf("folder %s does not exist in org %d", args[2], org)
		}
		var lines []string
		names := map[int]string{1: "View", 2: "Edit", 4: "Admin"}
		for _, p := range ps {
			switch {
			case p.Role != "":
				lines = append(lines, "role "+p.Role+" "+names[p.Permission])
			case p.TeamID != 0:
				lines = append(lines, "team "+e.TeamName(org, p.TeamID)+" "+names[p.Permission])
			default:
				lines = append(lines, "user "+e.UserLogin(p.UserID)+" "+names[p.Permission])
			}
		}
		sort.Strings(lines)
		for _, l := range lines {
			fmt.Fprintln(ts.Stdout(), l)
		}
	case "set-folder-permissions":
		org := orgArg(1)
		levels := map[string]int{"View": 1, "Edit": 2, "Admin": 4}
		var ps []grafanatest.PermissionInfo
		for _, a := range args[3:] {
			who, level, _ := strings.Cut(a, "=")
			kind, name, _ := strings.Cut(who, ":")
			p := grafanatest.PermissionInfo{Permission: levels[level]}
			switch kind {
			case "role":
				p.Role = name
			case "team":
				p.TeamID = teamID(org, name)
			case "user":
				p.UserID = userID(name)
			default:
				ts.Fatalf("set-folder-permissions: %q: want role:R=P, team:T=P or user:U=P", a)
			}
			ps = append(ps, p)
		}
		ts.Check(e.SetFolderPermissions(org, args[2], ps))
	case "preferences":
		p := e.Preferences(orgArg(1))
		fmt.Fprintf(ts.Stdout(), "theme=%s timezone=%s weekStart=%s home=%s\n", p.Theme, p.Timezone, p.WeekStart, p.HomeDashboardUID)
	case "folder-in": // emu folder-in ORG UID
		f, ok := e.GetFolder(orgArg(1), args[2])
		if ok == neg {
			ts.Fatalf("folder %s in org %s exists: %v", args[2], args[1], ok)
		}
		if ok {
			fmt.Fprintf(ts.Stdout(), "title=%s parent=%s version=%d createdBy=%s\n", f.Title, f.ParentUID, f.Version, f.CreatedBy)
		}
	case "dashboard-in":
		data, folder, version, ok := e.GetDashboard(orgArg(1), args[2])
		if ok == neg {
			ts.Fatalf("dashboard %s exists: %v", args[2], ok)
		}
		if ok {
			fmt.Fprintf(ts.Stdout(), "folder=%s version=%d\n%s\n", folder, version, data)
		}
	default:
		return false
	}
	return true
}

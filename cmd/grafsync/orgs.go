package main

import (
	"fmt"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/reconcile"
)

// orgAccess reaches each org of a repository that declares several
// (docs/orgs.md): an org's own token from GRAFANA_TOKEN_<ORG>, else the
// GRAFANA_USER login (a server admin, with X-Grafana-Org-Id), else
// GRAFANA_TOKEN (which works in its own org only).
type orgAccess struct {
	base   grafana.Config // URLs, concurrency, logger, transport; credentials cleared
	user   string
	pass   string
	token  string
	getenv func(string) string
	admin  *grafana.Client
}

// newOrgAccess builds the per-org access from the Grafana configuration
// (its credentials are the shared ones).
func newOrgAccess(cfg grafana.Config, getenv func(string) string) (*orgAccess, error) {
	a := &orgAccess{user: cfg.User, pass: cfg.Password, token: cfg.Token, getenv: getenv}
	cfg.User, cfg.Password, cfg.Token, cfg.OrgID = "", "", "", 0
	a.base = cfg
	if a.user != "" {
		admin := a.base
		admin.User, admin.Password = a.user, a.pass
		c, err := grafana.New(admin)
		if err != nil {
			return nil, err
		}
		a.admin = c
	}
	return a, nil
}

func (a *orgAccess) Admin() *grafana.Client { return a.admin }

func (a *orgAccess) ForOrg(name string, id int64) (*grafana.Client, error) {
	cfg := a.base
	cfg.OrgID = id
	switch {
	case a.getenv(reconcile.TokenEnv(name)) != "":
		cfg.Token = a.getenv(reconcile.TokenEnv(name))
	case a.user != "":
		cfg.User, cfg.Password = a.user, a.pass
	case a.token != "":
		cfg.Token = a.token
	default:
		return nil, fmt.Errorf("no credentials: set %s to a service-account token of that org, or GRAFANA_USER and GRAFANA_PASSWORD of a Grafana server admin", reconcile.TokenEnv(name))
	}
	return grafana.New(cfg)
}

func (a *orgAccess) Describe(name string) string {
	switch {
	case a.getenv(reconcile.TokenEnv(name)) != "":
		return "the token in " + reconcile.TokenEnv(name)
	case a.user != "":
		return fmt.Sprintf("the Grafana user %q (GRAFANA_USER)", a.user)
	}
	return "the token in GRAFANA_TOKEN"
}

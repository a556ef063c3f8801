package main

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/grafsync/grafsync/internal/fleet"
	"github.com/grafsync/grafsync/internal/plan"
	"github.com/grafsync/grafsync/internal/resource"
	"github.com/grafsync/grafsync/internal/source"
)

// Every way an instance is connected (plan, apply, serve's runs) goes
// through fleetRun.inputs, which refuses a host the runner does not allow
// before a client exists: serve has no pre-pass over the fleet, so this is
// its guard (docs/hostile-repositories.md, limit 10).
func TestInputsRefuseHosts(t *testing.T) {
	ro := repoOptions{opened: &source.Snapshot{}}
	g := grafanaOptions{concurrency: 1, reqTimeout: 1e9, api: "auto"}
	for _, tc := range []struct {
		name, url, allowed string
		refused            bool
	}{
		{"loopback by default", "http://127.0.0.1:3000", "", false},
		{"0.0.0.0 is not loopback", "http://0.0.0.0:3000", "", true},
		{"another port of an allowed address", "http://127.0.0.1:3001", "127.0.0.1:3000", true},
		{"an allowed subdomain", "https://acme.grafana.example.com", "*.grafana.example.com", false},
		{"the list replaces loopback", "http://localhost:3000", "*.grafana.example.com", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env{getenv: func(k string) string {
				return map[string]string{"TOKEN_A": "glsa_a", fleet.EnvAllowedHosts: tc.allowed}[k]
			}}
			fr, err := newFleetRun(&fleet.Fleet{}, ro, g, fleetOptions{requests: 4}, e, slog.New(slog.DiscardHandler), plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			in := fleet.Instance{Name: "a", URLs: []string{tc.url}, TokenEnv: "TOKEN_A", Source: resource.Pos{File: "grafsync.yaml", Line: 2, Col: 5}}
			_, closeIn, err := fr.inputs(in, false)
			if err == nil {
				closeIn()
			}
			var he *fleet.HostRefusedError
			if errors.As(err, &he) != tc.refused || (!tc.refused && err != nil) {
				t.Fatalf("inputs = %v, want refused %v", err, tc.refused)
			}
		})
	}
}

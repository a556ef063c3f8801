package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/grafsync/grafsync/internal/grafana/grafanatest"
)

func TestReplicaAddrs(t *testing.T) {
	tests := []struct {
		listen  string
		n       int
		want    []string
		wantErr string
	}{
		{"127.0.0.1:3000", 3, []string{"127.0.0.1:3000", "127.0.0.1:3001", "127.0.0.1:3002"}, ""},
		{"127.0.0.1:0", 2, []string{"127.0.0.1:0", "127.0.0.1:0"}, ""},
		{"[::1]:3000", 1, []string{"[::1]:3000"}, ""},
		{"localhost", 1, nil, "want host:port"},
		{"127.0.0.1:65535", 2, nil, "port must be a number"},
		{"127.0.0.1:http", 1, nil, "port must be a number"},
	}
	for _, tt := range tests {
		got, err := replicaAddrs(tt.listen, tt.n)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("replicaAddrs(%q): error %v, want one containing %q", tt.listen, err, tt.wantErr)
			}
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" || err != nil {
			t.Errorf("replicaAddrs(%q, %d): %v (-want +got):\n%s", tt.listen, tt.n, err, diff)
		}
	}
}

func TestSandboxOptionErrors(t *testing.T) {
	base := sandboxOptions{listen: "127.0.0.1:0", replicas: 1, version: "11", adminUser: "admin", adminPassword: "admin", maxDepth: 4}
	tests := []struct {
		name string
		edit func(*sandboxOptions)
		want string
	}{
		{"bad version", func(o *sandboxOptions) { o.version = "9.5" }, "--grafana-version"},
		{"fault rate above 1", func(o *sandboxOptions) { o.faultRate = 1.5 }, "--fault-rate"},
		{"no replicas", func(o *sandboxOptions) { o.replicas = 0 }, "--replicas"},
		{"search lag before 12.x", func(o *sandboxOptions) { o.searchLag = time.Second }, "--search-lag"},
		{"version 14", func(o *sandboxOptions) { o.version = "14" }, "--grafana-version"},
		{"folder depth 0", func(o *sandboxOptions) { o.maxDepth = 0 }, "--max-folder-depth"},
		{"folder depth above Grafana's 7", func(o *sandboxOptions) { o.maxDepth = 8 }, "--max-folder-depth"},
		{"unhealthy without uid", func(o *sandboxOptions) { o.unhealthy = []string{"=boom"} }, "--unhealthy"},
		{"task role without roles", func(o *sandboxOptions) { o.awsTaskRole = "arn:aws:iam::1:role/x" }, "--aws-task-role needs --aws-roles"},
		{"roles directory without templates", func(o *sandboxOptions) { o.awsRoles = "testdata" }, "cloudformation/member-roles.yaml"},
	}
	for _, tt := range tests {
		o := base
		tt.edit(&o)
		if _, err := newSandboxEmulator(o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one naming %s", tt.name, err, tt.want)
		}
	}
	if _, err := newSandboxEmulator(base); err != nil {
		t.Errorf("valid options: %v", err)
	}
	lagging := base
	lagging.version, lagging.searchLag = "12", time.Second
	if _, err := newSandboxEmulator(lagging); err != nil {
		t.Errorf("--search-lag with 12.x: %v", err)
	}
	lagging.version = "13"
	if emu, err := newSandboxEmulator(lagging); err != nil || emu.Version().Major != 13 {
		t.Errorf("--grafana-version 13 --search-lag: %v, %v", emu, err)
	}
}

// --unhealthy and --aws-roles shape what the sandbox's health checks
// answer: a named datasource fails with the given cause, and CloudWatch
// assumes roles against the repository's own roles/generated.
func TestSandboxHealthFlags(t *testing.T) {
	o := sandboxOptions{listen: "127.0.0.1:0", replicas: 1, version: "11", adminUser: "admin", adminPassword: "admin", maxDepth: 4,
		unhealthy: []string{"thanos=401 Unauthorized"}, awsRoles: filepath.Join(repoRoot, "roles", "generated")}
	emu, err := newSandboxEmulator(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	for _, s := range []grafanatest.DatasourceSpec{
		{UID: "thanos", Name: "Thanos", Type: "prometheus"},
		{UID: "cw", Name: "CW", Type: "cloudwatch", JSONData: map[string]any{"assumeRoleArn": "arn:aws:iam::111111111111:role/grafana/grafana-cloudwatch-read", "externalId": "wrong"}},
	} {
		if _, err := emu.SeedDatasource(1, s); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := emu.StartReplica("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	for uid, want := range map[string]string{
		"thanos": "401 Unauthorized - There was an error returned querying the Prometheus API.",
		"cw":     "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/grafana/grafana-cloudwatch-read",
	} {
		req, _ := http.NewRequest("GET", rep.URL()+"/api/datasources/uid/"+uid+"/health", nil)
		req.SetBasicAuth("admin", "admin")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Status, Message string }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 400 || body.Status != "ERROR" || !strings.Contains(body.Message, want) {
			t.Errorf("%s: %d %+v, want 400 ERROR containing %q", uid, resp.StatusCode, body, want)
		}
	}
}

// The sandbox's admin/admin and plain HTTP are for this machine only: a
// non-loopback --listen is refused unless --allow-remote says it is meant.
func TestSandboxListenLoopbackOnly(t *testing.T) {
	tests := []struct {
		listen      string
		allowRemote bool
		wantErr     string
	}{
		{"127.0.0.1:0", false, ""},
		{"127.0.0.2:3000", false, ""},
		{"[::1]:3000", false, ""},
		{"localhost:3000", false, ""},
		{"0.0.0.0:3000", false, "--allow-remote"},
		{":3000", false, "every interface"},
		{"[::]:3000", false, "--allow-remote"},
		{"192.168.1.10:3000", false, "--allow-remote"},
		{"grafana.example.com:3000", false, "--allow-remote"},
		{"0.0.0.0:3000", true, ""},
		{":3000", true, ""},
	}
	for _, tt := range tests {
		err := checkSandboxListen(tt.listen, tt.allowRemote)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("--listen %s (allow remote %v): %v", tt.listen, tt.allowRemote, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "admin") {
			t.Errorf("--listen %s: error %v, want one saying why (admin credentials) and containing %q", tt.listen, err, tt.wantErr)
		}
	}
}

// --token takes an optional value; the space form is accepted too, and the
// help line reads plainly.
func TestSandboxTokenFlag(t *testing.T) {
	tests := []struct {
		args    []string
		want    string
		wantErr string
	}{
		{nil, "", ""},
		{[]string{"--token"}, tokenGenerate, ""},
		{[]string{"--token=glsa_mine"}, "glsa_mine", ""},
		{[]string{"--token", "glsa_mine"}, "glsa_mine", ""},
		{[]string{"--token", "glsa_mine", "--replicas", "2"}, "glsa_mine", ""},
		{[]string{"stray"}, "", "--token=KEY"},
		{[]string{"--token", "a", "b"}, "", "no arguments"},
	}
	for _, tt := range tests {
		var opts sandboxOptions
		cmd := newSandboxCmdWith(&opts, func(*cobra.Command) error { return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("sandbox %v: error %v, want one containing %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || opts.token != tt.want {
			t.Errorf("sandbox %v: token %q, %v; want %q", tt.args, opts.token, err, tt.want)
		}
	}
	usage := newSandboxCmd().Flags().FlagUsages()
	line := ""
	for l := range strings.SplitSeq(usage, "\n") {
		if strings.Contains(l, "--token") {
			line = l
		}
	}
	if strings.ContainsAny(line, "\x00[") || !strings.Contains(line, "--token=KEY") {
		t.Errorf("help line for --token: %q", line)
	}
}

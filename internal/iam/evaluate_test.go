package iam

import (
	"os"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/grafsync/grafsync/internal/accounts"
)

// The trust policy of the reference's §2.6 example, as grafsync writes it.
const (
	taskRole   = "arn:aws:iam::999999999999:role/platform/grafana-task"
	memberRole = "arn:aws:iam::111111111111:role/grafana/grafana-cloudwatch-read"
)

func trustOf(t *testing.T, js string) PolicyDocument {
	t.Helper()
	d, err := ParseJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestEvaluateTrust follows AWS's policy evaluation logic (reference §2.1,
// §2.2): the account principal admits any principal of the account, the
// aws:PrincipalArn condition narrows it to the task role, sts:ExternalId
// must equal the passed id, a missing key fails a positive operator, and an
// explicit Deny wins.
func TestEvaluateTrust(t *testing.T) {
	grafsync := TrustPolicy(testGrafana(), "ext-1")
	tests := []struct {
		name   string
		doc    PolicyDocument
		caller string
		extID  string
		want   Decision
	}{
		{"task role with the external id", grafsync, taskRole, "ext-1", Allowed},
		{"wrong external id", grafsync, taskRole, "ext-2", ImplicitDeny},
		{"no external id passed", grafsync, taskRole, "", ImplicitDeny},
		{"external id differs in case", grafsync, taskRole, "EXT-1", ImplicitDeny},
		{"another role of the Grafana account", grafsync, "arn:aws:iam::999999999999:role/other", "ext-1", ImplicitDeny},
		{"the task role's name in another account", grafsync, "arn:aws:iam::888888888888:role/platform/grafana-task", "ext-1", ImplicitDeny},
		{"role principal, no condition", trustOf(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+taskRole+`"},"Action":"sts:AssumeRole"}]}`), taskRole, "", Allowed},
		{"bare account id principal", trustOf(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"sts:*"}]}`), taskRole, "", Allowed},
		{"ArnLike with a wildcard path", trustOf(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::999999999999:role/*/grafana-*"}}}]}`), taskRole, "", Allowed},
		{"explicit deny wins", trustOf(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"sts:ExternalId":"ext-1"}}}]}`), taskRole, "", ExplicitDeny},
		{"negated operator holds on a missing key", trustOf(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"sts:ExternalId":"x"}}}]}`), taskRole, "", Allowed},
		{"IfExists holds on a missing key", trustOf(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"sts:ExternalId":"x"}}}]}`), taskRole, "", Allowed},
		{"unknown operator never holds", trustOf(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"NumericEquals":{"sts:ExternalId":"1"}}}]}`), taskRole, "1", ImplicitDeny},
		{"other action", trustOf(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:TagSession"}]}`), taskRole, "", ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{PrincipalARN: tt.caller, Action: "sts:AssumeRole", Resource: memberRole, Context: map[string]string{}}
			if tt.extID != "" {
				req.Context["sts:ExternalId"] = tt.extID
			}
			if got := tt.doc.EvaluateTrust(req); got != tt.want {
				t.Errorf("EvaluateTrust = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGlobAndARNMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		arn, want  bool
	}{
		{"a*c", "abbbc", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"*", "", false, true},
		{"ab", "abc", false, false},
		{"arn:aws:iam::*:role/grafana/*", memberRole, true, true},
		{"arn:aws:iam::*:role/other/*", memberRole, true, false},
		{"arn:aws:iam:*", memberRole, true, false}, // too few components
		{"*", memberRole, true, true},
	}
	for _, tt := range tests {
		got := globMatch(tt.pattern, tt.s)
		if tt.arn {
			got = arnMatch(tt.pattern, tt.s)
		}
		if got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func testGrafana() accounts.Grafana {
	return accounts.Grafana{Partition: "aws", AccountID: "999999999999", TaskRoleARN: taskRole}
}

// TestReadDeployedRoundTrip reads back what RenderCloudFormation writes for
// a rich accounts file: every assume-role account's role, with its ARN and
// trust policy, and the task role's identity policy.
func TestReadDeployedRoundTrip(t *testing.T) {
	_, set := testdataSet(t)
	files, err := RenderCloudFormation(set)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range files {
		fsys[f.Path] = &fstest.MapFile{Data: f.Data}
	}
	d, err := ReadDeployed(fsys)
	if err != nil {
		t.Fatal(err)
	}
	type role struct{ ARN, ExternalID string }
	var want, got []role
	for _, r := range set.Roles {
		want = append(want, role{r.ARN, r.Account.ExternalID})
	}
	for _, r := range d.Roles {
		got = append(got, role{r.ARN, r.Trust.Statement[0].Condition["StringEquals"]["sts:ExternalId"][0]})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	caller, err := d.TrustedPrincipal()
	if err != nil || caller != set.Grafana.TaskRoleARN {
		t.Errorf("TrustedPrincipal = %q, %v; want %q", caller, err, set.Grafana.TaskRoleARN)
	}
	for _, r := range set.Roles {
		if !d.CanAssume(caller, r.ARN, r.Account.ExternalID) {
			t.Errorf("the task role cannot assume %s with its external id", r.ARN)
		}
		if d.CanAssume(caller, r.ARN, r.Account.ExternalID+"x") {
			t.Errorf("the task role assumes %s with a wrong external id", r.ARN)
		}
	}
}

// TestCanAssumeNeedsIdentityPolicy: across accounts the caller's identity
// policy must allow sts:AssumeRole on the role too (reference §2.1).
func TestCanAssumeNeedsIdentityPolicy(t *testing.T) {
	_, set := testdataSet(t)
	files, err := RenderCloudFormation(set)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, f := range files {
		fsys[f.Path] = &fstest.MapFile{Data: f.Data}
	}
	d, err := ReadDeployed(fsys)
	if err != nil {
		t.Fatal(err)
	}
	r := set.Roles[0]
	d.Policies = map[string][]PolicyDocument{"grafana-task": {TaskRolePolicy([]string{set.Roles[1].ARN})}}
	if d.CanAssume(set.Grafana.TaskRoleARN, r.ARN, r.Account.ExternalID) {
		t.Errorf("assumed %s although the task role's policy does not name it", r.ARN)
	}
	if d.CanAssume(set.Grafana.TaskRoleARN, "arn:aws:iam::111111111111:role/nope", r.Account.ExternalID) {
		t.Error("assumed a role that does not exist")
	}
}

// TestReadDeployedExample reads the repository's own roles/generated.
func TestReadDeployedExample(t *testing.T) {
	d, err := ReadDeployed(os.DirFS("../../roles/generated"))
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, r := range d.Roles {
		arns = append(arns, r.ARN)
	}
	want := []string{
		"arn:aws:iam::111111111111:role/grafana/grafana-cloudwatch-read",
		"arn:aws:iam::222222222222:role/grafana/grafana-cloudwatch-read",
	}
	if diff := cmp.Diff(want, arns); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	if _, err := ReadDeployed(fstest.MapFS{}); err == nil {
		t.Error("an empty directory was read without error")
	}
}

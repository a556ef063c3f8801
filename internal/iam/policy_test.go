package iam

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCanonicalJSON(t *testing.T) {
	doc := PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
		Sid:       "B",
		Effect:    "Allow",
		Action:    StringList{"logs:StartQuery", "cloudwatch:ListMetrics", "LOGS:startquery", "cloudwatch:ListMetrics"},
		Resource:  StringList{"arn:aws:iam::2:role/b", "arn:aws:iam::1:role/a"},
		Condition: Condition{"StringLike": {"aws:PrincipalTag/team": {"b<&>", "a"}}},
	}, {
		Effect:   "Deny",
		Action:   StringList{"sts:AssumeRole"},
		Resource: StringList{"*"},
	}}}
	want := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "B",
      "Effect": "Allow",
      "Action": [
        "cloudwatch:ListMetrics",
        "LOGS:startquery"
      ],
      "Resource": [
        "arn:aws:iam::1:role/a",
        "arn:aws:iam::2:role/b"
      ],
      "Condition": {
        "StringLike": {
          "aws:PrincipalTag/team": [
            "a",
            "b<&>"
          ]
        }
      }
    },
    {
      "Effect": "Deny",
      "Action": "sts:AssumeRole",
      "Resource": "*"
    }
  ]
}
`
	if diff := cmp.Diff(want, string(doc.JSON())); diff != "" {
		t.Errorf("JSON mismatch (-want +got):\n%s", diff)
	}
	if err := doc.Validate(Identity); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestValidate(t *testing.T) {
	ok := func() PolicyDocument {
		return PolicyDocument{Version: PolicyVersion, Statement: []Statement{{
			Sid: "A", Effect: "Allow", Action: StringList{"cloudwatch:Get*"}, Resource: StringList{"*"},
		}}}
	}
	tests := []struct {
		name   string
		kind   Kind
		mutate func(*PolicyDocument)
		want   string // substring; "" means valid
	}{
		{"valid", Identity, func(*PolicyDocument) {}, ""},
		{"old version", Identity, func(d *PolicyDocument) { d.Version = "2008-10-17" }, `version "2008-10-17", want "2012-10-17"`},
		{"no statements", Identity, func(d *PolicyDocument) { d.Statement = nil }, "no statements"},
		{"bad effect", Identity, func(d *PolicyDocument) { d.Statement[0].Effect = "allow" }, `effect "allow", want Allow or Deny`},
		{"bad action", Identity, func(d *PolicyDocument) { d.Statement[0].Action = StringList{"ListMetrics"} }, `action "ListMetrics" is not service:Action`},
		{"no action", Identity, func(d *PolicyDocument) { d.Statement[0].Action = nil }, "no actions"},
		{"no resource", Identity, func(d *PolicyDocument) { d.Statement[0].Resource = nil }, "no resources"},
		{"principal in identity policy", Identity, func(d *PolicyDocument) { d.Statement[0].Principal = Principal{"AWS": {"*"}} }, "identity policy statement with principal"},
		{"trust without principal", Trust, func(d *PolicyDocument) { d.Statement[0].Resource = nil }, "trust policy statement without principal"},
		{"bad sid", Identity, func(d *PolicyDocument) { d.Statement[0].Sid = "a-b" }, "sid may hold only letters and digits"},
		{"repeated sid", Identity, func(d *PolicyDocument) { d.Statement = append(d.Statement, d.Statement[0]) }, "sid repeated"},
		{"non-latin1 text", Identity, func(d *PolicyDocument) { d.Statement[0].Resource = StringList{"arn:aws:s3:::bücket✓"} }, "characters outside"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := ok()
			tc.mutate(&d)
			err := d.Validate(tc.kind)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseJSONRejectsUnknownElements(t *testing.T) {
	_, err := ParseJSON([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`))
	if err == nil || !strings.Contains(err.Error(), "NotAction") {
		t.Errorf("ParseJSON error = %v, want one naming NotAction", err)
	}
}

func TestCompare(t *testing.T) {
	want := []File{{"json/a-trust.json", []byte("new")}, {"json/b-trust.json", []byte("same")}, {"json/c-trust.json", []byte("x")}}
	onDisk := map[string][]byte{"json/a-trust.json": []byte("old"), "json/b-trust.json": []byte("same"), "json/gone-trust.json": []byte("x")}
	got := Compare(want, onDisk)
	wantChanges := Changes{
		Missing:   []string{"json/c-trust.json"},
		Stale:     []string{"json/a-trust.json"},
		Extra:     []string{"json/gone-trust.json"},
		Unchanged: []string{"json/b-trust.json"},
	}
	if diff := cmp.Diff(wantChanges, got); diff != "" {
		t.Errorf("Compare mismatch (-want +got):\n%s", diff)
	}
	if got.Empty() {
		t.Error("Empty() = true with changes")
	}
}

func TestOwned(t *testing.T) {
	all := Formats()
	for p, want := range map[string]bool{
		"json/prod-trust.json":             true,
		"terraform/account-prod.tf":        true,
		"cloudformation/member-roles.yaml": true,
		"terraform/notes.md":               false,
		"terraform/sub/x.tf":               false,
		"json/x.tf":                        false,
	} {
		if got := Owned(p, all); got != want {
			t.Errorf("Owned(%q) = %v, want %v", p, got, want)
		}
	}
	if Owned("json/prod-trust.json", []Format{Terraform}) {
		t.Error("a json file is owned when only terraform is selected")
	}
}

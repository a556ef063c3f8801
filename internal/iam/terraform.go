package iam

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// RenderTerraform renders a Terraform module directory:
//
//	terraform/versions.tf             required_providers with one provider alias per account
//	terraform/account-<name>.tf       aws_iam_role + aws_iam_role_policy, provider = aws.<name>
//	terraform/grafana-task-role.tf    aws_iam_role_policy on the task role, default provider
//
// The caller's root module passes a provider for each alias. Policies are
// written with jsonencode; hclwrite escapes "${" so IAM policy variables
// stay literal.
func RenderTerraform(set *Set) ([]File, error) {
	var files []File

	versions := newHCL(set)
	tf := versions.Body().AppendNewBlock("terraform", nil).Body()
	rp := tf.AppendNewBlock("required_providers", nil).Body()
	var aliases []hclwrite.Tokens
	for _, r := range set.Roles {
		aliases = append(aliases, hclwrite.TokensForTraversal(providerRef(r.Account.Name)))
	}
	rp.SetAttributeRaw("aws", hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
		{Name: hclwrite.TokensForIdentifier("source"), Value: hclwrite.TokensForValue(cty.StringVal("hashicorp/aws"))},
		{Name: hclwrite.TokensForIdentifier("configuration_aliases"), Value: hclwrite.TokensForTuple(aliases)},
	}))
	files = append(files, File{"terraform/versions.tf", hclwrite.Format(versions.Bytes())})

	for _, r := range set.Roles {
		a := r.Account
		f := newHCL(set)
		role := f.Body().AppendNewBlock("resource", []string{"aws_iam_role", a.Name}).Body()
		role.SetAttributeTraversal("provider", providerRef(a.Name))
		role.SetAttributeValue("name", cty.StringVal(a.RoleName))
		role.SetAttributeValue("path", cty.StringVal(a.RolePath))
		role.SetAttributeValue("description", cty.StringVal(roleDescription(set.Grafana.AccountID)))
		role.SetAttributeValue("max_session_duration", cty.NumberIntVal(int64(a.MaxSessionDuration)))
		role.SetAttributeRaw("assume_role_policy", jsonencode(r.Trust))
		role.SetAttributeValue("tags", cty.ObjectVal(map[string]cty.Value{"managed-by": cty.StringVal("grafsync")}))
		f.Body().AppendNewline()
		pol := f.Body().AppendNewBlock("resource", []string{"aws_iam_role_policy", a.Name}).Body()
		pol.SetAttributeTraversal("provider", providerRef(a.Name))
		pol.SetAttributeValue("name", cty.StringVal(a.PolicyName))
		pol.SetAttributeTraversal("role", hcl.Traversal{hcl.TraverseRoot{Name: "aws_iam_role"}, hcl.TraverseAttr{Name: a.Name}, hcl.TraverseAttr{Name: "id"}})
		pol.SetAttributeRaw("policy", jsonencode(r.Permissions))
		files = append(files, File{"terraform/account-" + a.Name + ".tf", hclwrite.Format(f.Bytes())})
	}

	task := newHCL(set)
	tp := task.Body().AppendNewBlock("resource", []string{"aws_iam_role_policy", "grafana_task_role"}).Body()
	tp.SetAttributeValue("name", cty.StringVal(set.Grafana.AssumePolicyName))
	tp.SetAttributeValue("role", cty.StringVal(set.Grafana.TaskRoleName))
	tp.SetAttributeRaw("policy", jsonencode(set.TaskRoleAssume))
	files = append(files, File{"terraform/grafana-task-role.tf", hclwrite.Format(task.Bytes())})
	return files, nil
}

func newHCL(set *Set) *hclwrite.File {
	f := hclwrite.NewEmptyFile()
	f.Body().AppendUnstructuredTokens(hclwrite.Tokens{
		{Type: hclsyntax.TokenComment, Bytes: []byte("# " + header(set) + "\n")},
	})
	f.Body().AppendNewline()
	return f
}

func providerRef(account string) hcl.Traversal {
	return hcl.Traversal{hcl.TraverseRoot{Name: "aws"}, hcl.TraverseAttr{Name: account}}
}

// jsonencode renders jsonencode({...}) of the canonical document.
func jsonencode(d PolicyDocument) hclwrite.Tokens {
	return hclwrite.TokensForFunctionCall("jsonencode", hclwrite.TokensForValue(docValue(d.Canonical())))
}

// docValue converts a canonical document to a cty object; object attributes
// render in name order, which is stable.
func docValue(d PolicyDocument) cty.Value {
	var stmts []cty.Value
	for _, s := range d.Statement {
		m := map[string]cty.Value{
			"Effect": cty.StringVal(s.Effect),
			"Action": listValue(s.Action),
		}
		if s.Sid != "" {
			m["Sid"] = cty.StringVal(s.Sid)
		}
		if len(s.Resource) > 0 {
			m["Resource"] = listValue(s.Resource)
		}
		if len(s.Principal) > 0 {
			p := map[string]cty.Value{}
			for k, v := range s.Principal {
				p[k] = listValue(v)
			}
			m["Principal"] = cty.ObjectVal(p)
		}
		if len(s.Condition) > 0 {
			c := map[string]cty.Value{}
			for op, keys := range s.Condition {
				kv := map[string]cty.Value{}
				for k, v := range keys {
					kv[k] = listValue(v)
				}
				c[op] = cty.ObjectVal(kv)
			}
			m["Condition"] = cty.ObjectVal(c)
		}
		stmts = append(stmts, cty.ObjectVal(m))
	}
	return cty.ObjectVal(map[string]cty.Value{
		"Version":   cty.StringVal(d.Version),
		"Statement": cty.TupleVal(stmts),
	})
}

// listValue mirrors StringList's JSON form: one element is a string.
func listValue(l StringList) cty.Value {
	if len(l) == 1 {
		return cty.StringVal(l[0])
	}
	var vs []cty.Value
	for _, s := range l {
		vs = append(vs, cty.StringVal(s))
	}
	if len(vs) == 0 {
		return cty.EmptyTupleVal
	}
	return cty.TupleVal(vs)
}

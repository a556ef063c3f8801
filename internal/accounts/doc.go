// Package accounts loads roles/accounts.yaml: the one list of monitored AWS
// accounts from which grafsync derives both the CloudWatch datasources
// (Expand, CheckDatasources) and the IAM roles (package iam).
//
// Pipeline position: source snapshot -> accounts.Load -> iam.Build -> render
// into roles/generated/, and, next to load, accounts.Expand -> CloudWatch
// datasources. The package is pure: it reads from an fs.FS and returns values.
//
// Invariants of a *Config returned without error problems:
//   - every account id is 12 digits and unique; every name matches
//     ^[a-z]([a-z0-9-]{0,27}[a-z0-9])?$ (1-29 characters) and is unique;
//   - every assume-role account has an effective role name, path, external id,
//     session duration and permission set (defaults applied);
//   - all regions belong to the Grafana partition;
//   - Grafana.TaskRoleARN is a role ARN in Grafana.AccountID.
//
// Problems (package problem) carry the file, line and column of the YAML node
// they concern. The AWS identifier rules (account ids, role ARNs, external
// ids, regions, partitions) are stated once, in rules.go; internal/load checks
// hand-written CloudWatch datasources with them.
package accounts

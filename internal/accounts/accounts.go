package accounts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// DefaultFile is where the accounts list lives in a desired-state repository.
const DefaultFile = "roles/accounts.yaml"

// Defaults applied when roles/accounts.yaml leaves a value out.
const (
	DefaultPartition           = "aws"
	DefaultRoleName            = "grafana-cloudwatch-read"
	DefaultRolePath            = "/grafana/"
	DefaultMaxSessionDuration  = 3600
	DefaultPolicyName          = "grafana-cloudwatch-read"
	DefaultAssumePolicyName    = "grafana-assume-cloudwatch-roles"
	DefaultTrustPolicyMaxChars = 2048
)

// Mode says how Grafana reads an account's CloudWatch data.
type Mode string

const (
	// AssumeRole accounts get an IAM role and a CloudWatch datasource of their own.
	AssumeRole Mode = "assume-role"
	// OAMLinked accounts are read through the monitoring account's datasource
	// (CloudWatch cross-account observability); they get no role.
	OAMLinked Mode = "oam-linked"
)

// Permission names a set of actions granted to an account's role; package iam
// maps each to its IAM statements.
type Permission string

const (
	PermMetrics Permission = "metrics"
	PermLogs    Permission = "logs"
	PermXRay    Permission = "xray"
	PermOAM     Permission = "oam"
)

// AllPermissions lists the known permission sets in canonical order.
func AllPermissions() []Permission { return []Permission{PermMetrics, PermLogs, PermXRay, PermOAM} }

// DefaultPermissions is granted when roles/accounts.yaml has no permissions key.
// The monitoring account always gets PermOAM in addition.
func DefaultPermissions() []Permission { return []Permission{PermMetrics, PermLogs} }

// Config is the loaded and validated roles/accounts.yaml.
type Config struct {
	// File is the path the config was read from, used in every Problem.
	File     string
	Grafana  Grafana
	Defaults Defaults
	// Permissions are the sets granted to accounts without their own list.
	Permissions []Permission
	// MonitoringAccount is the name of the OAM monitoring account, or "".
	MonitoringAccount string
	MonitoringPos     Pos
	// Accounts in file order; effective values (defaults applied) in each.
	Accounts []Account
}

// Grafana is the central side: where Grafana runs and the role it runs as.
type Grafana struct {
	AccountID   string
	TaskRoleARN string
	// TaskRoleName is the last segment of TaskRoleARN (no path).
	TaskRoleName string
	Partition    string
	// AssumePolicyName names the inline policy on the task role that allows
	// sts:AssumeRole on every generated role.
	AssumePolicyName string
	Pos              Pos
}

// Defaults are the per-role values accounts inherit.
type Defaults struct {
	RoleName            string
	RolePath            string
	MaxSessionDuration  int
	PolicyName          string
	TrustPolicyMaxChars int
}

// Account is one monitored AWS account with its effective settings.
type Account struct {
	ID      string
	Name    string
	Regions []string // never empty; Regions[0] is the datasource's default region
	Mode    Mode
	// The fields below are set only for AssumeRole accounts.
	RoleName           string
	RolePath           string
	ExternalID         string
	ExternalIDExplicit bool // false: derived by GenerateExternalID
	MaxSessionDuration int
	PolicyName         string
	Permissions        []Permission // canonical order, deduplicated
	// Monitoring marks the OAM monitoring account.
	Monitoring bool
	Pos        Pos // the list item
}

// RoleARN is the ARN of the account's generated role.
func (a Account) RoleARN(partition string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", partition, a.ID, a.RolePath, a.RoleName)
}

// AssumeRoleAccounts returns the accounts that get a role, in file order.
func (c *Config) AssumeRoleAccounts() []Account {
	var out []Account
	for _, a := range c.Accounts {
		if a.Mode == AssumeRole {
			out = append(out, a)
		}
	}
	return out
}

// Account returns the account with the given name.
func (c *Config) Account(name string) (Account, bool) {
	for _, a := range c.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}

// GenerateExternalID derives the external id for an account that sets none:
//
//	"grafsync-" + hex(sha256("grafsync-external-id/v1\n" + grafanaAccountID + "\n" +
//	                         taskRoleARN + "\n" + memberAccountID))[:32]
//
// It is stable across runs and unique per (Grafana, task role, member) triple;
// it changes when the task role ARN changes, and then the trust policies and
// the datasources change together. It is not a secret.
func GenerateExternalID(grafanaAccountID, taskRoleARN, memberAccountID string) string {
	sum := sha256.Sum256([]byte("grafsync-external-id/v1\n" + grafanaAccountID + "\n" + taskRoleARN + "\n" + memberAccountID))
	return "grafsync-" + hex.EncodeToString(sum[:])[:32]
}

package resource

// Alerting is an org's alerting/ directory: Grafana's alerting
// file-provisioning format, resolved. Documents are kept in the shape of
// Grafana's provisioning API (/api/v1/provisioning), the shape live
// alerting is read in, so that one normaliser serves both sides.
//
// Invariants a State loaded without errors satisfies:
//   - rule uids are unique in the org, and each rule sits in exactly one group;
//   - a group's FolderUID is the uid of a folder under dashboards/;
//   - contact point (integration) uids are unique; names may repeat (a
//     contact point of several integrations);
//   - mute timing and template names are unique;
//   - no document holds a secret: contact point secrets are in Secure.
type Alerting struct {
	RuleGroups    []*RuleGroup
	ContactPoints []*ContactPoint
	// Policies nil means the notification policy tree is not managed.
	Policies    *Policies
	MuteTimings []*MuteTiming
	Templates   []*Template

	// The delete lists: uids for rules and contact points, names for
	// mute timings and templates.
	DeleteRules         []AlertingRef
	DeleteContactPoints []AlertingRef
	DeleteMuteTimings   []AlertingRef
	DeleteTemplates     []AlertingRef
	// ResetPolicies is set when a file says resetPolicies for this org.
	ResetPolicies *AlertingRef

	// Undeclared are contact points and mute timings that policies or
	// rules name but alerting/ does not declare: they must exist in
	// Grafana (Grafana's default contact point, one made by hand), which
	// only plan can check.
	Undeclared []AlertingUse
}

// AlertingUse is a reference by name to a contact point ("contact point")
// or a mute timing ("mute timing").
type AlertingUse struct {
	What, Name string
	Source     Pos
}

// AlertingRef names an alerting resource to delete (or reset).
type AlertingRef struct {
	Name   string // a uid for rules and contact points
	Source Pos
}

// RuleGroup is one evaluation group of rules in a folder.
type RuleGroup struct {
	FolderUID   string
	FolderTitle string
	Name        string
	Interval    int64 // seconds
	// Rules are provisioning API rules (ProvisionedAlertRule) without
	// folderUID, ruleGroup and orgID, which the group holds.
	Rules  []map[string]any
	Source Pos
}

// ContactPoint is one integration of a contact point (Grafana's API calls
// each one a contact point, with its own uid).
type ContactPoint struct {
	UID, Name, Type       string
	DisableResolveMessage bool
	// Settings hold no secret: the notifier type's secure settings are in Secure.
	Settings map[string]any
	Secure   map[string]Secret
	Source   Pos
}

// Policies is the notification policy tree (the API's Route shape).
type Policies struct {
	Tree   map[string]any
	Source Pos
}

// MuteTiming is a named set of time intervals.
type MuteTiming struct {
	Name          string
	TimeIntervals []any
	Source        Pos
}

// Template is a notification template group.
type Template struct {
	Name, Template string
	Source         Pos
}

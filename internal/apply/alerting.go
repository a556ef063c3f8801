package apply

import (
	"context"
	"fmt"
	"maps"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/plan"
)

// isAlerting reports the kinds alerting writes through /api/v1/provisioning.
func isAlerting(k plan.Kind) bool {
	switch k {
	case plan.NotificationTemplate, plan.MuteTiming, plan.ContactPoint, plan.NotificationPolicies, plan.AlertRuleGroup, plan.AlertRule:
		return true
	}
	return false
}

// provenance is how a change's writes record provenance: as its doc says
// (what the plan compared), else as apply was told.
func (a *applier) provenance(ch plan.Change) grafana.Provenance {
	if ch.After != nil && ch.After.Doc != nil {
		if p, ok := ch.After.Doc["provenance"].(string); ok {
			return grafana.Provenance{Editable: p == normalize.ProvenanceNone}
		}
	}
	return grafana.Provenance{Editable: a.opts.AlertingEditable}
}

// alerting makes the requests of one alerting change. Deletes send no
// X-Disable-Provenance: Grafana then refuses only what is provisioned from
// files, as the plan has already said.
func (a *applier) alerting(ctx context.Context, ch plan.Change) error {
	r := ch.Resource()
	p := a.provenance(ch)
	del := ch.Action == plan.Delete
	switch r.Kind {
	case plan.AlertRuleGroup:
		if del {
			return a.c.DeleteRuleGroup(ctx, str(ch.Before.Doc, "folderUID"), str(ch.Before.Doc, "title"))
		}
		d := ch.After.Doc
		interval, _ := d["interval"].(float64)
		return a.c.PutRuleGroup(ctx, str(d, "folderUID"), str(d, "title"), int64(interval), normalize.GroupRules(d), p)
	case plan.AlertRule:
		if del {
			return a.c.DeleteAlertRule(ctx, r.ID, grafana.Provenance{})
		}
	case plan.ContactPoint:
		if del {
			return a.c.DeleteContactPoint(ctx, r.ID)
		}
		d := ch.After.Doc
		want, _ := d["secureSettings"].(map[string]any)
		have := map[string]any{}
		if ch.Before != nil {
			have, _ = ch.Before.Doc["secureSettings"].(map[string]any)
		}
		settings, _ := d["settings"].(map[string]any)
		sent, err := normalize.SettingsToWrite(settings, want, have, a.opts.Secrets[normalize.AlertingSecretID(r.ID)])
		if err != nil {
			return err
		}
		disable, _ := d["disableResolveMessage"].(bool)
		cp := grafana.ContactPoint{UID: r.ID, Name: str(d, "name"), Type: str(d, "type"), DisableResolveMessage: disable, Settings: sent}
		if ch.Action == plan.Create {
			return a.c.CreateContactPoint(ctx, cp, p)
		}
		return a.c.UpdateContactPoint(ctx, cp, p)
	case plan.NotificationPolicies:
		if del {
			return a.c.ResetPolicies(ctx)
		}
		tree := maps.Clone(ch.After.Doc)
		delete(tree, "provenance")
		return a.c.PutPolicies(ctx, tree, p)
	case plan.MuteTiming:
		if del {
			return a.c.DeleteMuteTiming(ctx, r.ID, grafana.Provenance{})
		}
		intervals, _ := ch.After.Doc["time_intervals"].([]any)
		return a.c.SaveMuteTiming(ctx, grafana.MuteTiming{Name: r.ID, TimeIntervals: intervals}, ch.Action == plan.Create, p)
	case plan.NotificationTemplate:
		if del {
			return a.c.DeleteTemplate(ctx, r.ID)
		}
		return a.c.PutTemplate(ctx, r.ID, str(ch.After.Doc, "template"), "", p)
	}
	return fmt.Errorf("grafsync cannot %s %s", ch.Action, r.Kind)
}

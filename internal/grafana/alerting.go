package grafana

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"

	"github.com/go-openapi/runtime"
	"github.com/grafana/grafana-openapi-client-go/client/provisioning"
	"github.com/grafana/grafana-openapi-client-go/models"
	"golang.org/x/sync/errgroup"
)

// Alerting is an org's alerting as Grafana's provisioning API
// (/api/v1/provisioning) returns it, in the API's JSON shapes.
type Alerting struct {
	RuleGroups    []AlertRuleGroup
	ContactPoints []ContactPoint
	// Policies is the notification policy tree (Route), "provenance" included.
	Policies    map[string]any
	MuteTimings []MuteTiming
	Templates   []Template
}

// AlertRuleGroup is a group of rules; each rule is a ProvisionedAlertRule
// document with its "provenance".
type AlertRuleGroup struct {
	FolderUID, Title string
	Interval         int64
	Rules            []map[string]any
}

// ContactPoint is one integration; a set secure setting reads "[REDACTED]".
type ContactPoint struct {
	UID, Name, Type, Provenance string
	DisableResolveMessage       bool
	Settings                    map[string]any
}

// MuteTiming is a named set of time intervals.
type MuteTiming struct {
	Name          string
	TimeIntervals []any
	Provenance    string
}

// Template is a notification template group.
type Template struct {
	Name, Template, Provenance, Version string
}

// Provenance says how alerting writes are recorded: Locked (no header,
// provenance "api": Grafana's UI refuses to edit the object) or editable
// (X-Disable-Provenance: provenance none). Audit §4.
type Provenance struct{ Editable bool }

func (p Provenance) header() *string {
	if !p.Editable {
		return nil
	}
	v := "true"
	return &v
}

// toDoc re-encodes an API model as a JSON document.
func toDoc(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// fromDoc decodes a JSON document into an API model.
func fromDoc(doc any, v any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// wrapAlerting is wrap, keeping the message of the provisioning API's
// error bodies ({"message": ...}), e.g. Grafana's refusal to change an
// object's provenance.
func (c *Client) wrapAlerting(err error, op string) error {
	werr := c.wrap(err, op)
	var ae *APIError
	if errors.As(werr, &ae) && ae.Message == "" {
		var ve interface {
			GetPayload() *models.ValidationError
		}
		var pe interface{ GetPayload() *models.PublicError }
		switch {
		case errors.As(err, &ve) && ve.GetPayload() != nil:
			ae.Message = ve.GetPayload().Message
		case errors.As(err, &pe) && pe.GetPayload() != nil:
			ae.Message = pe.GetPayload().Message
		}
	}
	return werr
}

// call runs one request in a concurrency slot.
func (c *Client) call(ctx context.Context, fn func() error) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	return fn()
}

// ReadAlerting reads the org's alerting: every rule (then each group, for
// its interval), contact points, the policy tree, mute timings, templates.
func (c *Client) ReadAlerting(ctx context.Context) (*Alerting, error) {
	out := &Alerting{}
	g, gctx := errgroup.WithContext(ctx)
	var rules models.ProvisionedAlertRules
	g.Go(func() error {
		return c.call(gctx, func() error {
			ok, err := c.api.Provisioning.GetAlertRulesWithParams(provisioning.NewGetAlertRulesParamsWithContext(gctx))
			if err != nil {
				return c.wrapAlerting(err, "read alert rules")
			}
			rules = ok.GetPayload()
			return nil
		})
	})
	g.Go(func() error {
		return c.call(gctx, func() error {
			ok, err := c.api.Provisioning.GetContactpoints(provisioning.NewGetContactpointsParamsWithContext(gctx))
			if err != nil {
				return c.wrapAlerting(err, "read contact points")
			}
			for _, cp := range ok.GetPayload() {
				settings, _ := cp.Settings.(map[string]any)
				typ := ""
				if cp.Type != nil {
					typ = *cp.Type
				}
				out.ContactPoints = append(out.ContactPoints, ContactPoint{UID: cp.UID, Name: cp.Name, Type: typ, Provenance: cp.Provenance,
					DisableResolveMessage: cp.DisableResolveMessage, Settings: settings})
			}
			return nil
		})
	})
	g.Go(func() error {
		return c.call(gctx, func() error {
			ok, err := c.api.Provisioning.GetPolicyTreeWithParams(provisioning.NewGetPolicyTreeParamsWithContext(gctx))
			if err != nil {
				return c.wrapAlerting(err, "read notification policies")
			}
			out.Policies, err = toDoc(ok.GetPayload())
			return err
		})
	})
	g.Go(func() error {
		return c.call(gctx, func() error {
			// The client's MuteTimeInterval model has no provenance field,
			// which Grafana's answer carries: the response is decoded
			// once more, for it.
			var raw []map[string]any
			keepRaw := func(op *runtime.ClientOperation) { op.Reader = muteTimingsReader{inner: op.Reader, raw: &raw} }
			ok, err := c.api.Provisioning.GetMuteTimingsWithParams(provisioning.NewGetMuteTimingsParamsWithContext(gctx), keepRaw)
			if err != nil {
				return c.wrapAlerting(err, "read mute timings")
			}
			prov := map[string]string{}
			for _, r := range raw {
				name, _ := r["name"].(string)
				prov[name], _ = r["provenance"].(string)
			}
			for _, mt := range ok.GetPayload() {
				doc, err := toDoc(mt)
				if err != nil {
					return err
				}
				ti, _ := doc["time_intervals"].([]any)
				out.MuteTimings = append(out.MuteTimings, MuteTiming{Name: mt.Name, TimeIntervals: ti, Provenance: prov[mt.Name]})
			}
			return nil
		})
	})
	g.Go(func() error {
		return c.call(gctx, func() error {
			ok, err := c.api.Provisioning.GetTemplatesWithParams(provisioning.NewGetTemplatesParamsWithContext(gctx))
			if err != nil {
				return c.wrapAlerting(err, "read notification templates")
			}
			for _, t := range ok.GetPayload() {
				out.Templates = append(out.Templates, Template{Name: t.Name, Template: t.Template, Provenance: string(t.Provenance), Version: t.Version})
			}
			return nil
		})
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	groups, err := c.ruleGroups(ctx, rules)
	if err != nil {
		return nil, err
	}
	out.RuleGroups = groups
	return out, nil
}

// ruleGroups groups rules by folder and group, and reads each group for
// its interval (a rule does not carry it).
func (c *Client) ruleGroups(ctx context.Context, rules models.ProvisionedAlertRules) ([]AlertRuleGroup, error) {
	type gkey struct{ folder, title string }
	byKey := map[gkey]*AlertRuleGroup{}
	var keys []gkey
	for _, r := range rules {
		if r == nil || r.FolderUID == nil || r.RuleGroup == nil {
			continue
		}
		k := gkey{*r.FolderUID, *r.RuleGroup}
		doc, err := toDoc(r)
		if err != nil {
			return nil, err
		}
		if byKey[k] == nil {
			byKey[k] = &AlertRuleGroup{FolderUID: k.folder, Title: k.title}
			keys = append(keys, k)
		}
		byKey[k].Rules = append(byKey[k].Rules, doc)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].folder != keys[j].folder {
			return keys[i].folder < keys[j].folder
		}
		return keys[i].title < keys[j].title
	})
	g, gctx := errgroup.WithContext(ctx)
	for _, k := range keys {
		grp := byKey[k]
		g.Go(func() error {
			return c.call(gctx, func() error {
				ok, err := c.api.Provisioning.GetAlertRuleGroupWithParams(provisioning.NewGetAlertRuleGroupParamsWithContext(gctx).WithFolderUID(k.folder).WithGroup(k.title))
				if err != nil {
					return c.wrapAlerting(err, fmt.Sprintf("read rule group %s/%s", k.folder, k.title))
				}
				grp.Interval = ok.GetPayload().Interval
				return nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]AlertRuleGroup, len(keys))
	for i, k := range keys {
		out[i] = *byKey[k]
	}
	return out, nil
}

// PutRuleGroup replaces a rule group whole: rules missing from rules are
// deleted, new ones created (PUT /folder/:uid/rule-groups/:group).
func (c *Client) PutRuleGroup(ctx context.Context, folderUID, title string, interval int64, rules []map[string]any, p Provenance) error {
	body := &models.AlertRuleGroup{FolderUID: folderUID, Title: title, Interval: interval}
	for _, r := range rules {
		var m models.ProvisionedAlertRule
		if err := fromDoc(r, &m); err != nil {
			return fmt.Errorf("rule group %s/%s: %w", folderUID, title, err)
		}
		m.FolderUID, m.RuleGroup = &folderUID, &title
		body.Rules = append(body.Rules, &m)
	}
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.PutAlertRuleGroup(provisioning.NewPutAlertRuleGroupParamsWithContext(ctx).
			WithFolderUID(folderUID).WithGroup(title).WithBody(body).WithXDisableProvenance(p.header()))
		return c.wrapAlerting(err, fmt.Sprintf("save rule group %s/%s", folderUID, title))
	})
}

// DeleteRuleGroup deletes a rule group and its rules.
func (c *Client) DeleteRuleGroup(ctx context.Context, folderUID, title string) error {
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.DeleteAlertRuleGroupWithParams(provisioning.NewDeleteAlertRuleGroupParamsWithContext(ctx).WithFolderUID(folderUID).WithGroup(title))
		return c.wrapAlerting(err, fmt.Sprintf("delete rule group %s/%s", folderUID, title))
	})
}

// DeleteAlertRule deletes one rule (a deleteRules entry).
func (c *Client) DeleteAlertRule(ctx context.Context, uid string, p Provenance) error {
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.DeleteAlertRule(provisioning.NewDeleteAlertRuleParamsWithContext(ctx).WithUID(uid).WithXDisableProvenance(p.header()))
		return c.wrapAlerting(err, "delete alert rule "+uid)
	})
}

func contactPointModel(cp ContactPoint) *models.EmbeddedContactPoint {
	typ := cp.Type
	return &models.EmbeddedContactPoint{UID: cp.UID, Name: cp.Name, Type: &typ, DisableResolveMessage: cp.DisableResolveMessage, Settings: cp.Settings}
}

// CreateContactPoint creates an integration with the uid it names.
func (c *Client) CreateContactPoint(ctx context.Context, cp ContactPoint, p Provenance) error {
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.PostContactpoints(provisioning.NewPostContactpointsParamsWithContext(ctx).WithBody(contactPointModel(cp)).WithXDisableProvenance(p.header()))
		return c.wrapAlerting(err, "create contact point "+cp.UID)
	})
}

// UpdateContactPoint replaces an integration; a secure setting sent as
// "[REDACTED]" keeps its stored value.
func (c *Client) UpdateContactPoint(ctx context.Context, cp ContactPoint, p Provenance) error {
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.PutContactpoint(provisioning.NewPutContactpointParamsWithContext(ctx).WithUID(cp.UID).WithBody(contactPointModel(cp)).WithXDisableProvenance(p.header()))
		return c.wrapAlerting(err, "update contact point "+cp.UID)
	})
}

// DeleteContactPoint deletes an integration.
func (c *Client) DeleteContactPoint(ctx context.Context, uid string) error {
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.DeleteContactpointsWithParams(provisioning.NewDeleteContactpointsParamsWithContext(ctx).WithUID(uid))
		return c.wrapAlerting(err, "delete contact point "+uid)
	})
}

// PutPolicies replaces the whole notification policy tree.
func (c *Client) PutPolicies(ctx context.Context, tree map[string]any, p Provenance) error {
	var route models.Route
	if err := fromDoc(tree, &route); err != nil {
		return fmt.Errorf("notification policies: %w", err)
	}
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.PutPolicyTree(provisioning.NewPutPolicyTreeParamsWithContext(ctx).WithBody(&route).WithXDisableProvenance(p.header()))
		return c.wrapAlerting(err, "save notification policies")
	})
}

// ResetPolicies resets the policy tree to Grafana's default.
func (c *Client) ResetPolicies(ctx context.Context) error {
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.ResetPolicyTreeWithParams(provisioning.NewResetPolicyTreeParamsWithContext(ctx))
		return c.wrapAlerting(err, "reset notification policies")
	})
}

func muteTimingModel(mt MuteTiming) (*models.MuteTimeInterval, error) {
	m := &models.MuteTimeInterval{}
	err := fromDoc(map[string]any{"name": mt.Name, "time_intervals": mt.TimeIntervals}, m)
	return m, err
}

// SaveMuteTiming creates (create) or replaces a mute timing.
func (c *Client) SaveMuteTiming(ctx context.Context, mt MuteTiming, create bool, p Provenance) error {
	body, err := muteTimingModel(mt)
	if err != nil {
		return fmt.Errorf("mute timing %s: %w", mt.Name, err)
	}
	return c.call(ctx, func() error {
		if create {
			_, err := c.api.Provisioning.PostMuteTiming(provisioning.NewPostMuteTimingParamsWithContext(ctx).WithBody(body).WithXDisableProvenance(p.header()))
			return c.wrapAlerting(err, "create mute timing "+mt.Name)
		}
		_, err := c.api.Provisioning.PutMuteTiming(provisioning.NewPutMuteTimingParamsWithContext(ctx).WithName(mt.Name).WithBody(body).WithXDisableProvenance(p.header()))
		return c.wrapAlerting(err, "update mute timing "+mt.Name)
	})
}

// DeleteMuteTiming deletes a mute timing.
func (c *Client) DeleteMuteTiming(ctx context.Context, name string, p Provenance) error {
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.DeleteMuteTiming(provisioning.NewDeleteMuteTimingParamsWithContext(ctx).WithName(name).WithXDisableProvenance(p.header()))
		return c.wrapAlerting(err, "delete mute timing "+name)
	})
}

// PutTemplate creates or replaces a template; version is the live one
// ("" for a new template): a template changed since is refused (409).
func (c *Client) PutTemplate(ctx context.Context, name, text, version string, p Provenance) error {
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.PutTemplate(provisioning.NewPutTemplateParamsWithContext(ctx).WithName(name).
			WithBody(&models.NotificationTemplateContent{Template: text, Version: version}).WithXDisableProvenance(p.header()))
		return c.wrapAlerting(err, "save template "+name)
	})
}

// DeleteTemplate deletes a template.
func (c *Client) DeleteTemplate(ctx context.Context, name string) error {
	return c.call(ctx, func() error {
		_, err := c.api.Provisioning.DeleteTemplate(provisioning.NewDeleteTemplateParamsWithContext(ctx).WithName(name))
		return c.wrapAlerting(err, "delete template "+name)
	})
}

// muteTimingsReader reads a mute timing list as the generated reader does,
// and keeps the answer's documents in raw as well (for their provenance).
type muteTimingsReader struct {
	inner runtime.ClientResponseReader
	raw   *[]map[string]any
}

func (r muteTimingsReader) ReadResponse(resp runtime.ClientResponse, consumer runtime.Consumer) (any, error) {
	if resp.Code() != http.StatusOK {
		return r.inner.ReadResponse(resp, consumer)
	}
	body, err := io.ReadAll(resp.Body())
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, r.raw); err != nil {
		return nil, err
	}
	ok := provisioning.NewGetMuteTimingsOK()
	if err := json.Unmarshal(body, &ok.Payload); err != nil {
		return nil, err
	}
	return ok, nil
}

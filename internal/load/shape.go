package load

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Shapes of the dashboard fields Grafana iterates and grafsync reads.
//
// Grafana's frontend builds its DashboardModel with `data.panels || []`,
// `data.links || []` and ensureListExist(data.templating) (list || []), so a
// missing, null or falsy field is an empty list. Any other value that is
// not a list (a string, a number, an object) is iterated as one (a string
// becomes a broken panel per character) or throws, so the dashboard does
// not show what was written: that is an error. What Grafana reads as "none"
// (false, 0, "", {} or [] in place of the other shape) is a warning. Elements that are not objects
// break the panel, variable, annotation or link they stand for: an error.
//
// __inputs is grafsync's own (Grafana's file provisioning does not resolve
// it): a wrong shape is an error, since the ${NAME} it declares cannot be
// resolved. __requires is dropped before upload: a wrong shape only warns.

// shapeCheck walks one dashboard's model and reports wrong shapes.
type shapeCheck struct {
	l   *loader
	d   doc
	bad bool // an error was reported
}

// checkShape reports wrong shapes in model and returns false when one is an
// error; then the reference checks, which read these fields, must not run
// (they would report knock-on problems). A constant input's scalar value is
// replaced by its text in model.
func (l *loader) checkShape(d doc, model map[string]any) bool {
	c := &shapeCheck{l: l, d: d}
	c.inputs(model)
	if v, ok := model["__requires"]; ok && v != nil {
		if _, ok := v.([]any); !ok {
			l.warnf(d.pos(path{"__requires"}, false), "", "__requires: want a list of requirements, found %s; grafsync drops __requires, so it is ignored", describeJSON(v))
		}
	}
	c.panels(path{"panels"}, model["panels"])
	for i, row := range c.objects(path{"rows"}, model["rows"], "rows", "row") {
		if row != nil {
			c.panels(path{"rows", i, "panels"}, row["panels"])
		}
	}
	c.listOf(model, path{"templating"}, "variables", "variable")
	c.listOf(model, path{"annotations"}, "annotations", "annotation")
	c.objects(path{"links"}, model["links"], "links", "link")
	return !c.bad
}

func (c *shapeCheck) errorf(at path, hint, format string, args ...any) {
	c.bad = true
	c.l.errorf(c.d.pos(at, false), hint, "%s: "+format, append([]any{at}, args...)...)
}

// list returns v as a list; nil, absent and falsy values are empty.
func (c *shapeCheck) list(at path, v any, plural string) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	if readsAsNone(v) {
		c.l.warnf(c.d.pos(at, false), "write [] or remove it", "%s: want a list of %s, found %s; Grafana shows none", at, plural, describeJSON(v))
		return nil
	}
	c.errorf(at, "", "want a list of %s, found %s", plural, describeJSON(v))
	return nil
}

// readsAsNone reports whether Grafana's frontend reads v, in place of a
// list or a {"list": [...]} object, as "none": a falsy value (`v || []`), an
// empty object (lodash's map over it gives []) or an empty list (given a
// list property, it stays empty).
func readsAsNone(v any) bool {
	switch v := v.(type) {
	case bool:
		return !v
	case float64:
		return v == 0
	case json.Number:
		f, err := v.Float64()
		return err == nil && f == 0
	case string:
		return v == ""
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// objects checks that v is a list of objects; the result has nil where an
// element is not one.
func (c *shapeCheck) objects(at path, v any, plural, singular string) []map[string]any {
	items := c.list(at, v, plural)
	out := make([]map[string]any, len(items))
	for i, item := range items {
		if m, ok := item.(map[string]any); ok {
			out[i] = m
			continue
		}
		c.errorf(at.with(i), "", "want %s %s object, found %s", article(singular), singular, describeJSON(item))
	}
	return out
}

// listOf checks model[at] = {"list": [objects]} (templating, annotations).
func (c *shapeCheck) listOf(model map[string]any, at path, plural, singular string) {
	v := model[at[0].(string)]
	switch v := v.(type) {
	case nil:
	case map[string]any:
		c.objects(at.with("list"), v["list"], plural, singular)
	default:
		if readsAsNone(v) {
			c.l.warnf(c.d.pos(at, false), "write {\"list\": []} or remove it", "%s: want an object {\"list\": [...]}, found %s; Grafana shows none", at, describeJSON(v))
			return
		}
		c.errorf(at, "", "want an object {\"list\": [...]}, found %s", describeJSON(v))
	}
}

// panels checks a list of panels, the queries and links of each, and the
// panels a collapsed row holds.
func (c *shapeCheck) panels(at path, v any) {
	for i, p := range c.objects(at, v, "panels", "panel") {
		if p == nil {
			continue
		}
		pat := at.with(i)
		c.objects(pat.with("targets"), p["targets"], "queries", "query")
		c.objects(pat.with("links"), p["links"], "links", "link")
		if sub, ok := p["panels"]; ok {
			c.panels(pat.with("panels"), sub)
		}
	}
}

// inputs checks __inputs: a list of objects; a constant has a scalar value
// (Grafana's import asks for one; grafsync has no one to ask).
func (c *shapeCheck) inputs(model map[string]any) {
	at := path{"__inputs"}
	for i, in := range c.objects(at, model["__inputs"], "inputs", "input") {
		if in == nil || in["type"] != "constant" {
			continue
		}
		iat := at.with(i)
		switch v := in["value"].(type) {
		case string:
		case nil:
			c.errorf(iat, `add "value": the text that replaces ${`+fmt.Sprint(in["name"])+`}`, "constant %v has no value", in["name"])
		case float64:
			in["value"] = strconv.FormatFloat(v, 'f', -1, 64)
		case json.Number:
			in["value"] = v.String()
		case bool:
			in["value"] = strconv.FormatBool(v)
		default:
			c.errorf(iat.with("value"), "", "want a string, found %s", describeJSON(v))
		}
	}
}

func article(word string) string {
	switch word[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an"
	}
	return "a"
}

// describeJSON names a JSON value for "want X, found Y" messages.
func describeJSON(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return strconv.Quote(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case json.Number:
		return v.String()
	}
	return fmt.Sprint(v)
}

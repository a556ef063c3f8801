package main

import (
	"fmt"

	"github.com/rogpeppe/go-internal/testscript"
)

// alertingCommand drives the emulator's alerting, as hand edits in
// Grafana's UI and inspections:
//
//	emu edit-alert-rule UID key=value...      (a rule's top-level string fields)
//	emu edit-contact-point UID key=value...   (an integration's settings)
//	emu edit-policies key=value...            (the policy tree's root)
//	emu contact-point-secret UID KEY          (prints the stored secure setting)
//	emu alerting-provenance rule|contact-point|policies [ID]
func (h *harness) alertingCommand(ts *testscript.TestScript, args []string, kv map[string]string) bool {
	e := h.emu
	switch args[0] {
	case "edit-alert-rule":
		if !e.EditAlertRule(1, args[1], func(m map[string]any) {
			for k, v := range kv {
				m[k] = v
			}
		}) {
			ts.Fatalf("no alert rule %s", args[1])
		}
	case "edit-contact-point":
		if !e.EditContactPoint(1, args[1], func(m map[string]any) {
			for k, v := range kv {
				m[k] = v
			}
		}) {
			ts.Fatalf("no contact point %s", args[1])
		}
	case "edit-policies":
		e.EditPolicies(1, func(m map[string]any) {
			for k, v := range kv {
				m[k] = v
			}
		})
	case "contact-point-secret":
		v, ok := e.ContactPointSecret(1, args[1], args[2])
		if !ok {
			ts.Fatalf("contact point %s has no secret %s", args[1], args[2])
		}
		fmt.Fprintln(ts.Stdout(), v)
	case "alerting-provenance":
		id := ""
		if len(args) > 2 {
			id = args[2]
		}
		fmt.Fprintf(ts.Stdout(), "provenance=%s\n", e.AlertingProvenance(1, args[1], id))
	default:
		return false
	}
	return true
}

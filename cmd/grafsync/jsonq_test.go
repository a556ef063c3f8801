package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdJSONQ reads a JSON file and prints the value at a dotted path, so
// scripts can check machine-readable output field by field:
//
//	jsonq plan.json summary.update
//	stdout '^1$'
//	jsonq plan.json changes.0.fields.0.path
//
// Strings print bare, everything else as compact JSON. A missing path, or
// a file that is not JSON, fails the script (with !, a missing path passes).
func cmdJSONQ(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsonq FILE PATH")
	}
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &v); err != nil {
		ts.Fatalf("jsonq: %s is not JSON: %v", args[0], err)
	}
	for _, part := range strings.Split(args[1], ".") {
		if part == "" {
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[part]
			if !ok {
				if neg {
					return
				}
				ts.Fatalf("jsonq: %s has no %q", args[1], part)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				if neg {
					return
				}
				ts.Fatalf("jsonq: %s: no element %q in a list of %d", args[1], part, len(x))
			}
			v = x[i]
		default:
			if neg {
				return
			}
			ts.Fatalf("jsonq: %s: %q is below a %T", args[1], part, v)
		}
	}
	if neg {
		ts.Fatalf("jsonq: %s exists", args[1])
	}
	if s, ok := v.(string); ok {
		fmt.Fprintln(ts.Stdout(), s)
		return
	}
	b, _ := json.Marshal(v)
	fmt.Fprintln(ts.Stdout(), string(b))
}

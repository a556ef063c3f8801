// Package pull is the stage that runs the pipeline backwards: it reads an
// org of Grafana (internal/grafana, read requests only) and writes the
// repository layout internal/load reads, so that a plan right after a pull
// shows no content change — only grafsync's ownership marker to add
// (adoption).
//
// Invariants:
//   - nothing is ever written to Grafana: pull calls only the client's read
//     methods;
//   - every file it writes carries the resource's uid (dashboards, folders,
//     datasources), so a uid never depends on a file's path;
//   - a dashboard file is the stored JSON without the server-owned id and
//     version and without grafsync's marker, keys sorted, two-space
//     indentation, numbers exactly as Grafana returned them; it normalises
//     (internal/normalize.Dashboard) to the bytes the live one does;
//   - a datasource secret is written as ${VAR} with a variable name that is
//     deterministic per datasource and key and never one the loader refuses;
//     values are never read (Grafana never returns them) nor printed;
//   - the same Grafana pulled twice gives byte-identical files; a file that
//     exists for a uid keeps its path and format (JSON or YAML) while the
//     resource stays in the same folder; files are deleted only with Prune
//     and only for resources gone from Grafana.
package pull

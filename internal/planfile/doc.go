// Package planfile saves a plan for a later apply, and tells an apply when
// the saved plan no longer matches Grafana or the repository.
//
// Place in the pipeline: plan -> planfile (disk) -> apply. A saved plan is a
// record, not a script: apply plans again and refuses to run unless the new
// plan equals the saved one, so a plan file can never apply something its
// reviewer did not see.
//
// Invariant: a plan file holds no secret value; secrets appear only as
// "secret": true on changed fields, and as a digest of the fingerprint
// Grafana already stores next to the datasource (normalize), so that a
// secret that changed again since the plan is seen.
package planfile

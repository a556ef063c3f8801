// Package fleet declares many Grafanas kept in step from one repository.
//
// It sits before the pipeline: Parse reads the instances of grafsync.yaml
// (instances:, instancesFrom:, instanceContent:), FS gives each instance its
// own view of the repository snapshot (${fleet.KEY} expanded from the
// instance's vars, content another instance's labels select hidden), and Run
// drives one pipeline run per instance under a fleet-wide bound, collecting
// one Result per instance. An instance's failure never stops another's run.
//
// Invariants: an instance's credentials come only from the environment
// variables its own entry names (never GRAFANA_TOKEN, GRAFANA_USER,
// GRAFANA_PASSWORD or GRAFANA_TOKEN_<ORG>), never from the runner's own
// credentials (trust.go), and go only to hosts the runner's HostPolicy
// allows (TrustedURLs, before any request); what Parse reads is bounded
// (trust.go's limits) and stays inside the repository; a Result keeps counts and the
// changes only, never the desired or live documents of a no-op, so memory
// follows the instances in flight, not the fleet.
package fleet

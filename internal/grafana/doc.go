// Package grafana is the only package that speaks HTTP to Grafana. It reads
// live state and executes the writes of a plan, always through
// github.com/grafana/grafana-openapi-client-go.
//
// Place in the pipeline: grafana client -> live state -> normalize -> plan;
// apply calls back into it for writes.
//
// Invariants:
//   - Every request goes through one transport that picks a live replica,
//     retries 5xx, 429 (honouring Retry-After) and dropped connections with
//     jittered backoff, bounded in attempts and by the caller's context, and
//     never retries any other 4xx.
//   - Credentials are set once on the transport and never logged; URLs in
//     errors and logs carry no userinfo.
//   - A replica that refuses connections is skipped for a cool-down, so one
//     dead replica costs one failed dial, not one per request.
package grafana

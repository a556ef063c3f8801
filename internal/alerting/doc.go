// Package alerting is what grafsync knows about Grafana alerting as such,
// apart from any pipeline stage: which settings of each notifier type are
// secret, how policy matchers and durations are written, the expressions
// datasource, and how grafsync marks the alerting it manages. load,
// normalize and apply all read it here, so the facts live in one place.
//
// It is pure: no I/O.
package alerting

// Package servetest holds test helpers for grafsync serve: a throwaway
// PostgreSQL server for the lock, and a /metrics scraper. Tests only.
package servetest

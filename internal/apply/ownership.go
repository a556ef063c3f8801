package apply

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/grafsync/grafsync/internal/grafana"
	"github.com/grafsync/grafsync/internal/normalize"
	"github.com/grafsync/grafsync/internal/plan"
)

// ledgerAttempts bounds how often apply re-reads and re-writes the
// ownership ledger when other runners keep writing it first.
const ledgerAttempts = 8

// ownership writes an org's ownership ledger (normalize/ownership.go): it
// adds the folders the change adds and removes those it removes, applied
// to the ledger as Grafana holds it at the time of the write. The ledger
// dashboard's version is the lock. When another runner wrote the ledger
// since the plan read it, or an earlier attempt landed but its answer was
// lost, Grafana refuses the write (409/412); the ledger is read again and
// the same additions and removals are applied to what is there, so no
// runner's entries are lost and nothing is written twice. The plan runs
// this before any folder is created (plan kind order), so a folder
// grafsync creates is recorded even when the run stops right after.
func (a *applier) ownership(ctx context.Context, ch plan.Change) error {
	want := set(normalize.LedgerFolders(ch.After.Doc))
	cur, version, exists := map[string]bool{}, 0, ch.Before != nil
	if exists {
		cur, version = set(normalize.LedgerFolders(ch.Before.Doc)), ch.Before.Version
	}
	add, remove := minus(want, cur), minus(cur, want)
	for attempt := 1; ; attempt++ {
		next := maps.Clone(cur)
		maps.Copy(next, add)
		for uid := range remove {
			delete(next, uid)
		}
		if attempt > 1 && exists && maps.Equal(next, cur) {
			break // already there: a lost answer, or another runner wrote the same
		}
		_, err := a.c.SaveDashboard(ctx, normalize.LedgerModel(slices.Collect(maps.Keys(next))), "", version, "grafsync: the folders grafsync manages")
		if err == nil {
			break
		}
		if !isRefused(err) {
			return err
		}
		if attempt == ledgerAttempts {
			return &Conflict{Subject: ch.Subject, Err: fmt.Errorf("other writers changed it %d times in a row: %w", attempt, err)}
		}
		a.opts.Logger.Debug("ownership ledger changed since it was read; reading it again", "subject", ch.Subject, "error", err)
		if cur, version, exists, err = a.readLedger(ctx); err != nil {
			return err
		}
	}
	if ch.Before == nil {
		a.restrictLedger(ctx, ch.Subject)
	}
	return nil
}

// readLedger reads the ownership ledger as Grafana holds it now (a GET by
// uid, consistent even where search lags).
func (a *applier) readLedger(ctx context.Context) (folders map[string]bool, version int, exists bool, err error) {
	d, err := a.c.GetDashboard(ctx, normalize.LedgerUID)
	if grafana.IsStatus(err, 404) {
		return map[string]bool{}, 0, false, nil // deleted by hand meanwhile: written anew
	}
	if err != nil {
		return nil, 0, false, err
	}
	l, err := normalize.ParseLedger(d)
	if err != nil {
		return nil, 0, false, err
	}
	return l.Folders, l.Version, true, nil
}

// restrictLedger leaves Admin on a new ledger to grafsync's own identity
// only (org Admins keep Admin implicitly): Grafana gives a dashboard at the
// root Edit to every Editor and View to every Viewer, and an Editor who
// could add a folder to the ledger could make prune delete it. A failure
// is logged, not fatal: the ledger is written and works.
func (a *applier) restrictLedger(ctx context.Context, subject string) {
	me, err := a.whoami(ctx)
	if err == nil {
		err = a.c.SetDashboardPermissions(ctx, normalize.LedgerUID, []grafana.Permission{{UserID: me.ID, Permission: 4}})
	}
	if err != nil {
		a.opts.Logger.Warn("could not restrict the ownership ledger to admins; Editors can edit it: restrict dashboard "+normalize.LedgerUID+"'s permissions by hand",
			"subject", subject, "error", err)
	}
}

func set(uids []string) map[string]bool {
	m := make(map[string]bool, len(uids))
	for _, uid := range uids {
		m[uid] = true
	}
	return m
}

// minus is a without b.
func minus(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		if !b[k] {
			out[k] = true
		}
	}
	return out
}

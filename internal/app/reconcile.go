package app

import (
	"context"

	"streetsync/internal/alerts/rules"
	"streetsync/internal/reconcile"
)

// Reconciler compares the ledger with the Quanzhou platform and the roster with registrations and
// certificates; its Apply fixes through the sync runner (Jobs).
func (a *App) Reconciler(ctx context.Context) (*reconcile.Reconciler, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st, err := a.ledgerLocked(ctx)
	if err != nil {
		return nil, err
	}
	qz, err := a.quanzhouLocked()
	if err != nil {
		return nil, err
	}
	cat, err := a.catalogLocked()
	if err != nil {
		return nil, err
	}
	r, err := reconcile.New(st, qz, cat, rules.Config{ExpiringWithinDays: a.cfg.Alerts.ExpiringWithinDays},
		a.cfg.Schedule.Location(), a.clock.Now, reconcile.WithProgress(a.progress))
	if err != nil {
		return nil, err
	}
	cl, err := a.cfg.Hazards.ClauseList()
	if err != nil {
		return nil, err
	}
	r.UseClauses(cl)
	return r, nil
}

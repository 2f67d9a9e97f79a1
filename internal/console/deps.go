package console

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Deps are the components the console drives. Each screen declares, in its own file, the few
// methods it needs of them (JobRunner, RunHistory and Status in jobs.go, Queue in queue.go,
// Reconciler in reconcile.go, Alerts in alerts.go, Alarms in alarms.go, Ledger and Workbook in
// ledger.go). The wiring (internal/app) passes the real things: ledger.Store satisfies Ledger and
// Alarms, *retry.Queue satisfies Queue, *alerts.Store most of Alerts; JobRunner, RunHistory,
// Status, Reconciler and Workbook are thin adapters over the sync jobs, the scheduler, package
// reconcile and package workbook.
type Deps struct {
	Jobs       JobRunner
	History    RunHistory
	Reconciler Reconciler
	Queue      Queue
	Alerts     Alerts
	Alarms     Alarms
	Ledger     Ledger
	Workbook   Workbook
	// Status is optional: without it GET /api/jobs/status answers 404 and the pages leave the
	// jobs' schedule (未运行, 延迟, next run), the platforms' health and a loss of Redis data out.
	Status Status
	// Hazards is optional: without it the 隐患 screen, 概览's dynamic-clearing panel and the
	// 判定为重大事故隐患 action say they are not available.
	Hazards Hazards
	// Redis is optional: with it every page asks Redis whether it answers before it reads the
	// retry queue, so that a Redis that is down costs one quick ping, not a timeout per panel,
	// and the page says so in a banner.
	Redis Pinger
}

// Pinger answers whether a backing service is reachable (*rdb.Conn, ledger.Store).
type Pinger interface {
	Ping(ctx context.Context) error
}

// missing names the required dependencies that are nil, in order.
func (d Deps) missing() error {
	var out []string
	for name, nilDep := range map[string]bool{
		"Jobs": d.Jobs == nil, "History": d.History == nil, "Reconciler": d.Reconciler == nil,
		"Queue": d.Queue == nil, "Alerts": d.Alerts == nil, "Alarms": d.Alarms == nil,
		"Ledger": d.Ledger == nil, "Workbook": d.Workbook == nil,
	} {
		if nilDep {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return fmt.Errorf("console: missing dependencies: %s", strings.Join(slices.Sorted(slices.Values(out)), ", "))
}

package console

import (
	"fmt"
	"time"

	"streetsync/internal/reconcile"
)

// SetLastReport makes rep the console's last reconciliation (BenchmarkConsoleAtScale: a city's
// report, made once by a child process).
func SetLastReport(s *Server, rep *reconcile.Report, at time.Time) {
	maskReport(rep)
	s.reportMu.Lock()
	defer s.reportMu.Unlock()
	s.report = &reportState{Scope: Scope{What: ScopeAll}, FinishedAt: at, Report: rep}
}

// What the external tests (package console_test, which build the console through internal/app)
// compare pages against.
const (
	MsgBadToken      = msgBadToken
	MsgCSRF          = msgCSRF
	MsgTooManyLogins = msgTooManyLogins
	FlashRetried     = flashRetried
	FlashFeedback    = flashFeedback
)

// BigReport is a city's report: unregistered operators and ledger-only enterprises, more of each
// than a page shows (人员00000…, 企业00000…, in that order), and seven uncertified.
func BigReport(unregistered, onlyInLedger int) *reconcile.Report {
	rep := &reconcile.Report{
		Enterprises: &reconcile.EnterpriseReport{OnlyInLedger: []reconcile.LedgerOnly{}, OnlyOnPlatform: []reconcile.PlatformOnly{}, Different: []reconcile.Difference{}},
		Operators:   &reconcile.OperatorReport{Unregistered: []reconcile.Unregistered{}, UnknownItems: []reconcile.UnknownItem{}, Uncertified: 7},
	}
	for i := range unregistered {
		rep.Operators.Unregistered = append(rep.Operators.Unregistered, reconcile.Unregistered{
			IDNumber: "350582********" + fmt.Sprintf("%04d", i), Name: fmt.Sprintf("人员%05d", i), CertNo: "T350582********0000",
			Enterprise: "91350582MA2YB1XK3L", EnterpriseName: "灵源鞋业有限公司", ItemCode: "0101"})
	}
	for i := range onlyInLedger {
		rep.Enterprises.OnlyInLedger = append(rep.Enterprises.OnlyInLedger, reconcile.LedgerOnly{USCC: fmt.Sprintf("91350582%010d", i), Name: fmt.Sprintf("企业%05d", i)})
	}
	return rep
}

// LongestReportList names the longest of a report's paged lists, and its length.
func LongestReportList(rep *reconcile.Report) (string, int) {
	var e reconcile.EnterpriseReport
	if rep.Enterprises != nil {
		e = *rep.Enterprises
	}
	var o reconcile.OperatorReport
	if rep.Operators != nil {
		o = *rep.Operators
	}
	name, longest := listDifferent, len(e.Different)
	for _, l := range []struct {
		name string
		n    int
	}{{listOnlyInLedger, len(e.OnlyInLedger)}, {listOnlyOnPlatform, len(e.OnlyOnPlatform)},
		{listUnregistered, len(o.Unregistered)}, {listUnknownItems, len(o.UnknownItems)}} {
		if l.n > longest {
			name, longest = l.name, l.n
		}
	}
	return name, longest
}

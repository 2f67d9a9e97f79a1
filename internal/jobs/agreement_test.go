package jobs_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"streetsync/internal/ledger"
	"streetsync/mapping"
	mockqz "streetsync/mocks/quanzhou"
	mocktz "streetsync/mocks/specialops"
)

// What "the ledger and the platforms agree" means, checked record by record against the mocks'
// own state (the oracle is written here, independently of the jobs' code).

// assertAgreement checks enterprises, certificates, registrations, alarms and feedback.
// drifted lists enterprises allowed to differ (left for an operator); exactTimes also checks the
// platform's gxsj in the ledger (not after page-mutation faults, which touch records at random).
func (w *world) assertAgreement(t *testing.T, drifted map[string]bool, exactTimes bool) {
	t.Helper()
	w.assertEnterprises(t, drifted, exactTimes)
	w.assertCertificates(t)
	w.assertEmployments(t)
	w.assertAlarms(t)
	st, err := w.queue.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Dead != 0 {
		t.Errorf("retry queue: %+v, want no dead item", st)
	}
}

func (w *world) assertEnterprises(t *testing.T, skip map[string]bool, exactTimes bool) {
	t.Helper()
	recs := enterpriseRecords(t, w.store)
	plat := map[string]mockqz.Enterprise{}
	for _, p := range w.srv.Quanzhou.Enterprises() {
		plat[p.Tyshxydm] = p
	}
	for _, rec := range sortedRecords(recs) {
		u := rec.USCC
		if skip[u] {
			continue
		}
		p, ok := plat[u]
		if !ok {
			t.Errorf("%s is in the ledger, not on the platform", u)
			continue
		}
		if s := rec.SyncState(); s != ledger.StateInSync {
			t.Errorf("%s: sync state %v, want inSync", u, s)
		}
		got, _ := mapping.EnterpriseFromQZ(mockWire(&p))
		if got.StreetHash() != rec.StreetHash {
			t.Errorf("%s street-owned fields: platform %s, ledger %s", u, streetOf(&p), streetFields(mapping.EnterpriseToQZ(&rec.Enterprise)))
		}
		if p.Xzqhdm != w.ep.Region {
			t.Errorf("%s xzqhdm: platform %q, want the street's %q", u, p.Xzqhdm, w.ep.Region)
		}
		if rec.PlatformID != p.Qyid || string(rec.Grade) != p.Bzhdj || rec.GradeValidUntil.String() != p.Bzhyxq ||
			rec.RiskMonitored != (p.Sfnrjcyj == "1") {
			t.Errorf("%s platform-owned fields: ledger %s/%s/%s/%v, platform %s/%s/%s/%s", u, rec.PlatformID, rec.Grade,
				rec.GradeValidUntil, rec.RiskMonitored, p.Qyid, p.Bzhdj, p.Bzhyxq, p.Sfnrjcyj)
		}
		if exactTimes {
			if gx, err := mapping.ParseBeijingTime(p.Gxsj); err != nil || !gx.Equal(rec.UpdatedAt) {
				t.Errorf("%s gxsj: ledger %v, platform %s", u, rec.UpdatedAt, p.Gxsj)
			}
		}
	}
	for u := range plat {
		if _, ok := recs[u]; !ok && !skip[u] {
			t.Errorf("%s is on the platform, not in the ledger", u)
		}
	}
}

func mockWire(p *mockqz.Enterprise) mapping.QZEnterprise {
	return mapping.QZEnterprise{Qyid: p.Qyid, Tyshxydm: p.Tyshxydm, Qymc: p.Qymc, Fddbr: p.Fddbr, Zyfzr: p.Zyfzr,
		Zyfzrlxdh: p.Zyfzrlxdh, Aqglry: p.Aqglry, Jydz: p.Jydz, Xzqhdm: p.Xzqhdm, Sqmc: p.Sqmc, Hylb: p.Hylb, Zdlx: p.Zdlx,
		Cyrs: mapping.FlexNumber(p.Cyrs), Qyzt: p.Qyzt, Sfczc: p.Sfczc, Bzhdj: p.Bzhdj, Bzhyxq: p.Bzhyxq,
		Sfnrjcyj: p.Sfnrjcyj, Gxsj: p.Gxsj}
}

// assertCertificates: every certificate the system holds for a roster person is in the ledger,
// as the system holds it.
func (w *world) assertCertificates(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	roster := map[string]bool{}
	for o, err := range w.store.Operators(ctx, ledger.OperatorFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		roster[o.IDNumber] = true
	}
	want := map[string]mocktz.Certificate{}
	var ids []string
	for _, c := range w.srv.SpecialOps.Certificates() {
		id := strings.ToUpper(c.IDNumber)
		if roster[id] {
			want[c.CertNo+"/"+c.ItemCode] = c
			ids = append(ids, id)
		}
	}
	got, err := w.store.CertificatesByIDNumbers(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, cs := range got {
		for _, c := range cs {
			n++
			m, ok := want[c.CertNo+"/"+c.ItemCode]
			if !ok {
				t.Errorf("certificate %s/%s in the ledger, not on the system", c.CertNo, c.ItemCode)
				continue
			}
			if string(c.Status) != m.Status || c.ValidUntil.String() != m.ValidUntil || c.ReviewDueDate.String() != m.ReviewDueDate {
				t.Errorf("certificate %s/%s: ledger %s %s %s, system %s %s %s", c.CertNo, c.ItemCode, c.Status, c.ValidUntil,
					c.ReviewDueDate, m.Status, m.ValidUntil, m.ReviewDueDate)
			}
		}
	}
	if n != len(want) {
		t.Errorf("ledger holds %d certificates of roster people, the system %d", n, len(want))
	}
}

// assertEmployments: every roster entry on duty with a certificate valid today is registered as
// the roster says, in the ledger and on the system; every recorded registration matches the
// system's; no registration was ever refused as invalid.
func (w *world) assertEmployments(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	today := mapping.DateOf(w.clk.Now().In(mapping.Beijing()))
	regs := map[string]mocktz.Employment{}
	for _, e := range w.srv.SpecialOps.Employments() {
		regs[strings.ToUpper(e.CertNo)+"|"+e.ItemCode+"|"+e.EnterpriseUSCC] = e
	}
	for entry, err := range w.store.RosterWithCertificates(ctx, ledger.OperatorFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		o := entry.Operator.Operator
		rec, err := w.store.EmploymentByKey(ctx, o.Key())
		best, hasBest := oracleBest(entry.Certificates, o.ItemCode, today)
		switch {
		case err == nil:
			if rec.StartDate != o.StartDate || rec.EndDate != o.EndDate {
				t.Errorf("registration of %s: ledger %s–%s, roster %s–%s", maskKey(o.Key()), rec.StartDate, rec.EndDate, o.StartDate, o.EndDate)
			}
			reg, ok := regs[strings.ToUpper(rec.CertNo)+"|"+o.ItemCode+"|"+o.EnterpriseUSCC]
			if !ok {
				t.Errorf("registration of %s recorded, not on the system", maskKey(o.Key()))
				continue
			}
			end := ""
			if reg.EndDate != nil {
				end = *reg.EndDate
			}
			if reg.StartDate != o.StartDate.String() || end != o.EndDate.String() {
				t.Errorf("registration of %s: system %s–%s, roster %s–%s", maskKey(o.Key()), reg.StartDate, end, o.StartDate, o.EndDate)
			}
		case o.OnDuty(today) && hasBest && best.ValidOn(today):
			t.Errorf("%s is on duty with a valid certificate but not registered", maskKey(o.Key()))
		}
	}
	for k, n := range w.srv.SpecialOps.Requests() {
		if k.Endpoint == "PUT /api/v2/employments" && k.Error == "certificate_not_valid" && n > 0 {
			t.Errorf("%d registrations were refused as not valid: the jobs must not send them", n)
		}
	}
}

// oracleBest is the contract's best certificate: valid first, then the latest validUntil.
func oracleBest(certs []mapping.Certificate, item string, day mapping.Date) (mapping.Certificate, bool) {
	var cands []mapping.Certificate
	for _, c := range certs {
		if c.ItemCode == item {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return mapping.Certificate{}, false
	}
	slices.SortStableFunc(cands, func(a, b mapping.Certificate) int {
		av, bv := a.ValidOn(day), b.ValidOn(day)
		switch {
		case av && !bv:
			return -1
		case bv && !av:
			return 1
		case a.ValidUntil.After(b.ValidUntil):
			return -1
		case b.ValidUntil.After(a.ValidUntil):
			return 1
		}
		return 0
	})
	return cands[0], true
}

// assertAlarms: the ledger holds every alarm as the platform does, and no feedback is pending.
func (w *world) assertAlarms(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	plat := w.srv.Quanzhou.Alarms()
	n := 0
	for a, err := range w.store.Alarms(ctx, ledger.AlarmFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		p, ok := w.srv.Quanzhou.Alarm(a.ID)
		if !ok {
			t.Errorf("alarm %s in the ledger, not on the platform", a.ID)
			continue
		}
		if a.HandlingStatus != p.Czzt || a.HandlingNote != p.Czsm {
			t.Errorf("alarm %s handling: ledger %s %q, platform %s %q", a.ID, a.HandlingStatus, a.HandlingNote, p.Czzt, p.Czsm)
		}
	}
	if n != len(plat) {
		t.Errorf("ledger holds %d alarms, the platform %d", n, len(plat))
	}
	if pending, err := w.store.PendingAlarmFeedback(ctx, 0); err != nil || len(pending) != 0 {
		t.Errorf("pending feedback %+v (%v), want none", pending, err)
	}
}

func sortedRecords(recs map[string]ledger.EnterpriseRecord) []ledger.EnterpriseRecord {
	out := make([]ledger.EnterpriseRecord, 0, len(recs))
	for _, r := range recs {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ledger.EnterpriseRecord) int { return strings.Compare(a.USCC, b.USCC) })
	return out
}

func maskKey(k mapping.OperatorKey) string {
	id := k.IDNumber
	if len(id) == 18 {
		id = id[:6] + "********" + id[14:]
	}
	return id + "|" + k.EnterpriseUSCC + "|" + k.ItemCode
}

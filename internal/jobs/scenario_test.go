package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
	mockqz "streetsync/mocks/quanzhou"
	mocktz "streetsync/mocks/specialops"
	"streetsync/scheduler/retry"
)

// TestAfterACleanRun follows one street through the days after its first sync: each subtest is a
// rule of the issue, on the state the previous ones left (one world, to keep the suite quick).
func TestAfterACleanRun(t *testing.T) {
	w := newWorld(t, worldOptions{enterprises: 40, seed: 21})
	r := w.runner()
	ctx := context.Background()
	w.sync(r, jobs.All, false)
	today := mapping.DateOf(w.clk.Now().In(mapping.Beijing()))

	t.Run("a registration ends when the roster entry ends, and only once", func(t *testing.T) {
		ended, future := registered(t, w, 2)
		setEnd(t, w, ended, today.AddDays(-1))
		setEnd(t, w, future, today.AddDays(160))
		before := w.writes()["employ"]
		s := w.sync(r, jobs.Employments, false)[jobs.Employments]
		if s.Pushed != 2 || w.writes()["employ"]-before != 2 {
			t.Errorf("summary %+v after %d PUTs: want 2 pushed", s, w.writes()["employ"]-before)
		}
		for _, c := range []struct {
			o      mapping.Operator
			status string
		}{{ended, "ENDED"}, {future, "ACTIVE"}} {
			rec, err := w.store.EmploymentByKey(ctx, c.o.Key())
			if err != nil {
				t.Fatal(err)
			}
			reg, _ := w.srv.SpecialOps.Employment(rec.CertNo, c.o.ItemCode, c.o.EnterpriseUSCC)
			if reg.EndDate == nil || *reg.EndDate != rec.EndDate.String() || reg.Status != c.status {
				t.Errorf("registration %+v: want endDate %s, %s", reg, rec.EndDate, c.status)
			}
		}
		before = w.writes()["employ"]
		w.sync(r, jobs.Employments, false)
		if n := w.writes()["employ"] - before; n != 0 {
			t.Errorf("ended again: %d PUTs, want none", n)
		}
	})

	t.Run("a new roster entry is registered only with a certificate valid today", func(t *testing.T) {
		valid := rosterOf(t, w, dataset.SitValid)
		revoked := rosterOf(t, w, dataset.SitRevoked)
		other := w.ds.Ledger[len(w.ds.Ledger)-1].USCC
		add := []mapping.Operator{valid, revoked}
		for i := range add {
			add[i].EnterpriseUSCC, add[i].StartDate, add[i].EndDate = other, today.AddDays(-3), mapping.Date{}
		}
		upsertRoster(t, w, add...)
		before := w.writes()["employ"]
		s := w.sync(r, jobs.Employments, false)[jobs.Employments]
		if s.Pushed != 1 || w.writes()["employ"]-before != 1 {
			t.Errorf("summary %+v: want the valid one registered, the revoked one never sent", s)
		}
		if _, err := w.store.EmploymentByKey(ctx, add[1].Key()); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("revoked holder's entry: %v, want no registration", err)
		}
	})

	t.Run("a new person on the roster is asked by ID number", func(t *testing.T) {
		var stranger dataset.Certificate
		for _, c := range w.ds.Certificates {
			if !c.OnRoster && c.Status == "VALID" {
				stranger = c
				break
			}
		}
		o := mapping.Operator{Name: stranger.HolderName, IDNumber: strings.ToUpper(stranger.IDNumber), ItemCode: stranger.ItemCode,
			EnterpriseUSCC: w.ds.Ledger[0].USCC, StartDate: today.AddDays(-1)}
		upsertRoster(t, w, o)
		before := w.srv.SpecialOps.RequestCount("POST /api/v2/certificates:query")
		s := w.sync(r, jobs.Certificates, false)[jobs.Certificates]
		if n := w.srv.SpecialOps.RequestCount("POST /api/v2/certificates:query") - before; n != 1 || s.Pulled == 0 {
			t.Errorf("%d queries, summary %+v: want one query bringing the newcomer's certificates", n, s)
		}
		certs, _ := w.store.CertificatesByIDNumbers(ctx, []string{o.IDNumber})
		if len(certs[o.IDNumber]) == 0 {
			t.Error("the newcomer's certificates are not in the ledger")
		}
	})

	t.Run("the change feed keeps roster people's changes, also after its cursor expired", func(t *testing.T) {
		mine := rosterCert(t, w)
		changeCert(t, w, mine, "SUSPENDED")
		if _, err := w.srv.SpecialOps.PutCertificate(mocktz.Certificate{CertNo: "T110101199003077777", HolderName: "外省人",
			IDNumber: "110101199003077777", Gender: "1", CategoryCode: "01", CategoryName: "电工作业", ItemCode: "0102",
			ItemName: "低压电工作业", FirstIssueDate: "2024-01-01", ValidFrom: "2024-01-01", ValidUntil: "2030-01-01",
			ReviewDueDate: "2027-01-01", Status: "VALID", Issuer: "北京市应急管理局"}); err != nil {
			t.Fatal(err)
		}
		s := w.sync(r, jobs.Certificates, false)[jobs.Certificates]
		if s.Pulled != 1 {
			t.Errorf("summary %+v: want the roster person's one change", s)
		}
		if got := storedStatus(t, w, mine); got != "SUSPENDED" {
			t.Errorf("ledger status %s, want SUSPENDED", got)
		}
		if certs, _ := w.store.CertificatesByIDNumbers(ctx, []string{"110101199003077777"}); len(certs["110101199003077777"]) != 0 {
			t.Error("a change of someone not on the roster was kept")
		}
		if s := w.sync(r, jobs.Certificates, false)[jobs.Certificates]; s.Pulled != 0 {
			t.Errorf("feed read again: %+v, want nothing new", s)
		}
		w.srv.SpecialOps.UpdateFaults(func(f *fault.Faults) { f.CursorExpired = 1 })
		changeCert(t, w, mine, "VALID")
		s = w.sync(r, jobs.Certificates, false)[jobs.Certificates]
		w.srv.SpecialOps.SetFaults(fault.Faults{})
		if got := storedStatus(t, w, mine); got != "VALID" || s.Queued != 0 {
			t.Errorf("after an expired cursor: status %s, summary %+v; want VALID from the restarted feed", got, s)
		}
	})

	t.Run("feedback is sent once; a repeat is accepted; a conflict is rejected for a person", func(t *testing.T) {
		open := activeAlarm(t, w)
		fb := mapping.AlarmFeedback{AlarmID: open, Status: "2", Note: "已更换滤袋，压差恢复正常", Handler: "李四", HandledAt: w.clk.Now()}
		out, err := r.RecordFeedback(ctx, fb)
		if err != nil || !out.Created || out.Feedback.State != ledger.PushAccepted {
			t.Fatalf("feedback: %+v, %v; want recorded and accepted", out, err)
		}
		if a, _ := w.store.AlarmByID(ctx, open); a.HandlingStatus != "2" {
			t.Errorf("ledger alarm handling %q, want the platform's new 2", a.HandlingStatus)
		}
		before := w.writes()["feedback"]
		out, err = r.RecordFeedback(ctx, fb)
		if err != nil || out.Created || out.Feedback.State != ledger.PushAccepted || w.writes()["feedback"] != before {
			t.Errorf("same feedback again: %+v, %v; want the existing record, nothing sent", out, err)
		}
		fb.Note = "另一种说法"
		out, err = r.RecordFeedback(ctx, fb)
		if err != nil || out.Feedback.State != ledger.PushRejected || out.Feedback.Message == "" {
			t.Errorf("conflicting feedback on a closed alarm: %+v, %v; want rejected with the platform's message", out, err)
		}
		var invalid *jobs.InvalidFeedbackError
		if _, err := r.RecordFeedback(ctx, mapping.AlarmFeedback{AlarmID: open, Status: "1", Handler: "李四", HandledAt: w.clk.Now()}); !errors.As(err, &invalid) {
			t.Errorf("feedback without a note: %v, want InvalidFeedbackError", err)
		}
		if list, _ := w.store.AlarmFeedback(ctx, open); len(list) != 2 {
			t.Errorf("%d feedback records, want 2 (the invalid one is not stored)", len(list))
		}
	})

	t.Run("a queued record that needs nothing any more is finished without a request", func(t *testing.T) {
		inSync, _, _ := pickAccepted(t, enterpriseRecords(t, w.store), 1)
		done, _ := registered(t, w, 1)
		if _, err := w.queue.EnqueueBatch(ctx, []retry.Request{{Kind: jobs.KindEnterprisePush, Key: inSync},
			{Kind: jobs.KindEmploymentPut, Key: done.Key().String()}}); err != nil {
			t.Fatal(err)
		}
		before := w.writes()
		if st := w.drain(r, 10*time.Second); st.Pending+st.Scheduled+st.Dead != 0 {
			t.Errorf("queue after drain: %+v", st)
		}
		if got := w.writes(); !equalCounts(got, before) {
			t.Errorf("handlers sent requests for records in sync: %v → %v", before, got)
		}
	})

	t.Run("--full ignores the watermark and finds an edit the incremental run cannot see", func(t *testing.T) {
		u, _, _ := pickAccepted(t, enterpriseRecords(t, w.store), 1)
		w.srv.Quanzhou.EditEnterprise(u, func(x *mockqz.Enterprise) { x.Jydz += "（门户）" })
		if err := w.cursors.Set(ctx, "enterprises", "2099-01-01 00:00:00"); err != nil {
			t.Fatal(err)
		}
		if s := w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]; s.Drifted != 0 {
			t.Fatalf("incremental run past the edit: %+v, want it unseen", s)
		}
		s := w.sync(r, jobs.Enterprises, true)[jobs.Enterprises]
		rec, _ := w.store.EnterpriseByUSCC(ctx, u)
		if s.Drifted != 1 || rec.SyncState() != ledger.StatePlatformChanged {
			t.Errorf("full run: %+v, state %v; want the edit found as drift", s, rec.SyncState())
		}
	})

	t.Run("reconcile's fixers push an operator's decision and explain what they cannot register", func(t *testing.T) {
		var drifted string
		for _, rec := range sortedRecords(enterpriseRecords(t, w.store)) {
			if rec.SyncState().Drifted() {
				drifted = rec.USCC
			}
		}
		n, failed, err := r.PushEnterprises(ctx, []string{drifted, "91350582000000000X"})
		if err != nil || n != 1 || failed["91350582000000000X"] == "" {
			t.Fatalf("PushEnterprises: %d, %v, %v; want the drifted one pushed, the unknown one explained", n, failed, err)
		}
		rec, _ := w.store.EnterpriseByUSCC(ctx, drifted)
		p, _ := w.srv.Quanzhou.Enterprise(drifted)
		if rec.SyncState() != ledger.StateInSync || strings.Contains(p.Jydz, "（门户）") {
			t.Errorf("after the forced push: state %v, platform address %q; want the ledger's values", rec.SyncState(), p.Jydz)
		}
		revoked := rosterOf(t, w, dataset.SitRevoked)
		ghost := mapping.OperatorKey{IDNumber: "110101199003077777", EnterpriseUSCC: w.ds.Ledger[0].USCC, ItemCode: "0102"}
		n, failed, err = r.RegisterEmployments(ctx, []mapping.OperatorKey{revoked.Key(), ghost})
		if err != nil || n != 0 || !strings.Contains(failed[revoked.Key().String()], "有效") || failed[ghost.String()] == "" {
			t.Errorf("RegisterEmployments: %d, %v, %v; want both explained, none sent", n, failed, err)
		}
	})

	t.Run("a registration the system refuses is quarantined and not sent again", func(t *testing.T) {
		o := rosterOf(t, w, dataset.SitSuspended)
		o.EnterpriseUSCC, o.StartDate = w.ds.Ledger[1].USCC, today.AddDays(-2)
		upsertRoster(t, w, o)
		// The ledger's copy lags: it still says VALID, so the job sends it; the system says 409.
		certs, _ := w.store.CertificatesByIDNumbers(ctx, []string{o.IDNumber})
		var stale []mapping.Certificate
		for _, c := range certs[o.IDNumber] {
			if c.ItemCode == o.ItemCode {
				c.Status = mapping.CertValid
				stale = append(stale, c)
			}
		}
		if _, err := w.store.UpsertCertificates(ctx, stale); err != nil {
			t.Fatal(err)
		}
		s := w.sync(r, jobs.Employments, false)[jobs.Employments]
		q := quarantined(t, w.store, ledger.SourceSpecialOps, ledger.KindEmployment)[o.Key().String()]
		if s.Quarantined != 1 || !strings.Contains(q.Reasons.Error(), "特种作业系统") || !q.HasIDNumber {
			t.Errorf("summary %+v, quarantine %+v: want it quarantined with the system's reason, marked as holding an ID number", s, q)
		}
		before := w.writes()["employ"]
		w.sync(r, jobs.Employments, false)
		if n := w.writes()["employ"] - before; n != 0 {
			t.Errorf("refused registration sent again: %d PUTs", n)
		}
	})

	t.Run("a run after a complete one decides only the entries whose decision may have changed", func(t *testing.T) {
		full := w.sync(r, jobs.Employments, true)[jobs.Employments]
		if full.Unchanged == 0 {
			t.Fatalf("full pass %+v: want entries waiting for a valid certificate", full)
		}
		// A run's mark is its start less a margin for writers' clocks: the first run after the
		// full pass still sees the full pass's writes, the second one nothing.
		w.clk.Advance(15 * time.Minute)
		w.sync(r, jobs.Employments, false)
		w.clk.Advance(15 * time.Minute)
		if s := w.sync(r, jobs.Employments, false)[jobs.Employments]; s.Unchanged != 0 || s.Pushed != 0 || s.Quarantined != 0 {
			t.Errorf("incremental run with nothing changed: %+v, want nothing decided", s)
		}
		// A waiting person's certificate is renewed: the feed brings it, and the next
		// incremental run registers the entry.
		o := rosterOf(t, w, dataset.SitExpiredStatus)
		if _, err := w.store.EmploymentByKey(ctx, o.Key()); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("entry with an expired certificate: %v, want no registration", err)
		}
		renewed := false
		for _, c := range w.srv.SpecialOps.Certificates() {
			if strings.EqualFold(c.IDNumber, o.IDNumber) && c.ItemCode == o.ItemCode {
				if _, err := w.srv.SpecialOps.UpdateCertificate(c.CertNo, c.ItemCode, func(x *mocktz.Certificate) {
					x.Status, x.ValidUntil, x.ReviewDueDate = "VALID", today.AddDays(2000).String(), today.AddDays(900).String()
				}); err != nil {
					t.Fatal(err)
				}
				renewed = true
			}
		}
		if !renewed {
			t.Fatal("no certificate to renew")
		}
		w.sync(r, jobs.Certificates, false)
		// An entry that starts tomorrow, of a person with a valid certificate.
		starter := rosterOf(t, w, dataset.SitValid)
		starter.EnterpriseUSCC, starter.StartDate, starter.EndDate = w.ds.Ledger[1].USCC, today.AddDays(1), mapping.Date{}
		upsertRoster(t, w, starter)
		s := w.sync(r, jobs.Employments, false)[jobs.Employments]
		if _, err := w.store.EmploymentByKey(ctx, o.Key()); err != nil || s.Pushed != 1 {
			t.Errorf("after the renewal: summary %+v, registration %v; want the renewed entry registered", s, err)
		}
		if _, err := w.store.EmploymentByKey(ctx, starter.Key()); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("an entry starting tomorrow was registered today: %v", err)
		}
		w.clk.Advance(24 * time.Hour)
		s = w.sync(r, jobs.Employments, false)[jobs.Employments]
		if _, err := w.store.EmploymentByKey(ctx, starter.Key()); err != nil || s.Pushed != 1 {
			t.Errorf("the next day: summary %+v, registration %v; want the starter registered", s, err)
		}
	})
}

// registered returns n roster entries the jobs registered, open-ended and on duty.
func registered(t *testing.T, w *world, n int) (a, b mapping.Operator) {
	t.Helper()
	var out []mapping.Operator
	for o, err := range w.store.Operators(context.Background(), ledger.OperatorFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if rec, err := w.store.EmploymentByKey(context.Background(), o.Key()); err == nil && rec.EndDate.IsZero() {
			out = append(out, o.Operator)
		}
		if len(out) == n {
			break
		}
	}
	if len(out) < n {
		t.Fatalf("only %d registered entries", len(out))
	}
	out = append(out, mapping.Operator{})
	return out[0], out[1]
}

// rosterOf returns a roster entry the generator built with a certificate situation.
func rosterOf(t *testing.T, w *world, sit dataset.Situation) mapping.Operator {
	t.Helper()
	for i := range w.ds.Roster {
		if o := &w.ds.Roster[i]; o.Situation == sit && o.EndDate.IsZero() {
			return rosterEntry(o, mapping.DefaultCatalog())
		}
	}
	t.Fatalf("no roster entry with situation %s", sit)
	return mapping.Operator{}
}

func upsertRoster(t *testing.T, w *world, ops ...mapping.Operator) {
	t.Helper()
	in := make([]ledger.OperatorInput, len(ops))
	for i := range ops {
		in[i] = ledger.OperatorInput{Operator: ops[i]}
	}
	if _, err := w.store.UpsertOperators(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func setEnd(t *testing.T, w *world, o mapping.Operator, end mapping.Date) {
	t.Helper()
	o.EndDate = end
	upsertRoster(t, w, o)
}

// rosterCert returns a certificate of a roster person, as the system holds it.
func rosterCert(t *testing.T, w *world) mocktz.Certificate {
	t.Helper()
	for _, c := range w.srv.SpecialOps.Certificates() {
		if c.Status == "VALID" {
			if certs, _ := w.store.CertificatesByIDNumbers(context.Background(), []string{c.IDNumber}); len(certs[c.IDNumber]) > 0 {
				return c
			}
		}
	}
	t.Fatal("no roster certificate")
	return mocktz.Certificate{}
}

func changeCert(t *testing.T, w *world, c mocktz.Certificate, status string) {
	t.Helper()
	if _, err := w.srv.SpecialOps.UpdateCertificate(c.CertNo, c.ItemCode, func(x *mocktz.Certificate) { x.Status = status }); err != nil {
		t.Fatal(err)
	}
}

func storedStatus(t *testing.T, w *world, c mocktz.Certificate) string {
	t.Helper()
	certs, err := w.store.CertificatesByIDNumbers(context.Background(), []string{c.IDNumber})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range certs[c.IDNumber] {
		if s.CertNo == c.CertNo && s.ItemCode == c.ItemCode {
			return string(s.Status)
		}
	}
	return ""
}

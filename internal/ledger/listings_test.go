package ledger_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// The listings page what they select and count it: the page is the query's slice, the total the
// query's size, whatever the page.

func usccsOf(recs []ledger.EnterpriseRecord) string {
	var out []string
	for _, r := range recs {
		out = append(out, r.USCC)
	}
	return fmt.Sprint(out)
}

func TestEnterprisePageSelectsByStateSearchAndCommunity(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		var es []mapping.Enterprise
		for n := 1; n <= 7; n++ {
			es = append(es, enterprise(n))
		}
		if _, err := s.UpsertEnterprises(ctx, inputs(es...)); err != nil {
			t.Fatal(err)
		}
		// 1–4 are accepted by the platform; then the portal changes 2's address (drift) and the
		// ledger changes 3's (awaiting push); 5–7 never reached the platform; 8 is only on the
		// platform (待核实).
		var acc []ledger.Acceptance
		for _, e := range es[:4] {
			acc = append(acc, ledger.Acceptance{Pushed: e, PlatformID: "QY" + e.USCC[10:], At: clk.Now()})
		}
		if _, err := s.MarkEnterprisesAccepted(ctx, acc); err != nil {
			t.Fatal(err)
		}
		drift := es[1]
		drift.Address = "晋江市灵源街道门户改的地址"
		if _, err := s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{drift, enterprise(8)}, clk.Now()); err != nil {
			t.Fatal(err)
		}
		local := es[2]
		local.Address = "晋江市灵源街道台账改的地址"
		if _, err := s.UpsertEnterprises(ctx, inputs(local)); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			q     ledger.EnterpriseQuery
			total int
			page  string
		}{
			{"all, second page of three", ledger.EnterpriseQuery{Offset: 3, Limit: 3}, 8, fmt.Sprint([]string{uscc(4), uscc(5), uscc(6)})},
			{"not on the platform", ledger.EnterpriseQuery{State: ledger.StateNotOnPlatform, Limit: 10}, 3, fmt.Sprint([]string{uscc(5), uscc(6), uscc(7)})},
			{"drifted", ledger.EnterpriseQuery{State: ledger.StateDrifted, Limit: 10}, 1, fmt.Sprint([]string{uscc(2)})},
			{"awaiting push", ledger.EnterpriseQuery{State: ledger.StateAwaitingPush, Limit: 10}, 4, fmt.Sprint([]string{uscc(3), uscc(5), uscc(6), uscc(7)})},
			{"pending review", ledger.EnterpriseQuery{PendingReview: true, Limit: 10}, 1, fmt.Sprint([]string{uscc(8)})},
			{"search a name", ledger.EnterpriseQuery{Search: "第5鞋材", Limit: 10}, 1, fmt.Sprint([]string{uscc(5)})},
			{"search a USCC piece", ledger.EnterpriseQuery{Search: "00000007", Limit: 10}, 1, fmt.Sprint([]string{uscc(7)})},
			{"search with a LIKE wildcard is literal", ledger.EnterpriseQuery{Search: "%", Limit: 10}, 0, "[]"},
			{"community", ledger.EnterpriseQuery{Community: "林口社区", Limit: 10}, 2, fmt.Sprint([]string{uscc(3), uscc(6)})},
			{"count only", ledger.EnterpriseQuery{State: ledger.StateNotOnPlatform}, 3, "[]"},
			{"past the end", ledger.EnterpriseQuery{Offset: 8, Limit: 3}, 8, "[]"},
		} {
			recs, total, err := s.EnterprisePage(ctx, c.q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if total != c.total || usccsOf(recs) != c.page {
				t.Errorf("%s: got %d %s, want %d %s", c.name, total, usccsOf(recs), c.total, c.page)
			}
		}
		if _, _, err := s.EnterprisePage(ctx, ledger.EnterpriseQuery{State: "nonsense"}); err == nil {
			t.Errorf("an unknown state: no error")
		}
		// The front page's counts agree with the lists.
		ov, err := s.Overview(ctx, date(2026, 3, 2))
		if err != nil {
			t.Fatal(err)
		}
		if ov.Drifted != 1 || ov.AwaitingPush != 4 || ov.PendingReview != 1 {
			t.Errorf("overview %+v, want drifted 1, awaiting push 4, pending review 1 as listed", ov)
		}
	})
}

func TestOperatorPageJoinsEnterprisesAndUnregisteredPageFollowsReconcile(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1), enterprise(2), enterprise(3))); err != nil {
			t.Fatal(err)
		}
		ops := []mapping.Operator{
			operator(1, 1, "0101"), // valid certificate, no registration: unregistered
			operator(2, 1, "0101"), // valid certificate, registered: fine
			operator(3, 2, "0101"), // no certificate: uncertified, not unregistered
			operator(4, 2, "0101"), // expired certificate
			operator(5, 3, "0101"), // review overdue
			operator(6, 3, "0101"), // certificate for another item
			operator(7, 3, "0101"), // valid, registered with other dates
			operator(8, 3, "0101"), // valid, unregistered, but off duty
		}
		ops[7].EndDate = date(2026, 1, 1)
		var in []ledger.OperatorInput
		for _, o := range ops {
			in = append(in, ledger.OperatorInput{Operator: o})
		}
		if _, err := s.UpsertOperators(ctx, in); err != nil {
			t.Fatal(err)
		}
		day := date(2026, 3, 2)
		cert := func(n int, mod func(*mapping.Certificate)) mapping.Certificate {
			c := mapping.Certificate{CertNo: "T" + idNumber(n), IDNumber: idNumber(n), HolderName: fmt.Sprintf("操作员%d", n),
				ItemCode: "0101", CategoryCode: "01", Status: mapping.CertValid, ValidFrom: date(2021, 1, 1),
				ValidUntil: date(2027, 1, 1), ReviewDueDate: date(2027, 1, 1)}
			if mod != nil {
				mod(&c)
			}
			return c
		}
		certs := []mapping.Certificate{
			cert(1, nil), cert(2, nil),
			cert(4, func(c *mapping.Certificate) { c.ValidUntil = date(2026, 2, 1) }),
			cert(5, func(c *mapping.Certificate) { c.ReviewDueDate = date(2026, 2, 1) }),
			cert(6, func(c *mapping.Certificate) { c.ItemCode = "0201" }),
			cert(7, func(c *mapping.Certificate) { c.ReviewDueDate, c.LastReviewDate = date(2026, 2, 1), date(2026, 2, 1) }),
			cert(8, nil),
		}
		if _, err := s.UpsertCertificates(ctx, certs); err != nil {
			t.Fatal(err)
		}
		reg := func(o mapping.Operator, start mapping.Date) ledger.EmploymentRecord {
			return ledger.EmploymentRecord{Key: o.Key(), CertNo: "T" + o.IDNumber, StartDate: start, Status: "ACTIVE", AcceptedAt: clk.Now()}
		}
		if err := s.RecordEmployments(ctx, []ledger.EmploymentRecord{reg(ops[1], ops[1].StartDate), reg(ops[6], date(2023, 5, 1))}); err != nil {
			t.Fatal(err)
		}

		list, total, err := s.UnregisteredPage(ctx, day, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range list {
			got = append(got, l.Name+"@"+l.EnterpriseName)
		}
		want := []string{"操作员1@晋江市灵源第1鞋材有限公司", "操作员7@晋江市灵源第3鞋材有限公司"}
		if total != 2 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("unregistered: %d %v, want 2 %v (valid certificate; missing or stale registration; on duty)", total, got, want)
		}
		if _, total, err := s.UnregisteredPage(ctx, day, 0, 0); err != nil || total != 2 {
			t.Errorf("count only: %d %v, want 2", total, err)
		}

		for _, c := range []struct {
			name  string
			q     ledger.OperatorQuery
			total int
			first string
		}{
			{"all", ledger.OperatorQuery{Limit: 3}, 8, "操作员1"},
			{"on duty", ledger.OperatorQuery{OnDuty: day, Limit: 10}, 7, "操作员1"},
			{"one enterprise's community", ledger.OperatorQuery{Community: enterprise(2).Community, Limit: 10}, 2, "操作员3"},
			{"a person by ID number", ledger.OperatorQuery{IDNumber: idNumber(5), Limit: 10}, 1, "操作员5"},
			{"a person's name", ledger.OperatorQuery{Search: "操作员6", Limit: 10}, 1, "操作员6"},
			{"an enterprise's name", ledger.OperatorQuery{Search: "第2鞋材", Limit: 10}, 2, "操作员3"},
			{"second page", ledger.OperatorQuery{Offset: 7, Limit: 3}, 8, "操作员8"},
		} {
			list, total, err := s.OperatorPage(ctx, c.q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			first := ""
			if len(list) > 0 {
				first = list[0].Name
				if list[0].EnterpriseName == "" || list[0].Community == "" {
					t.Errorf("%s: the entry lacks its enterprise's name or community: %+v", c.name, list[0])
				}
			}
			if total != c.total || first != c.first || len(list) > max(c.q.Limit, 0) {
				t.Errorf("%s: got %d entries of %d, first %q; want %d, first %q", c.name, len(list), total, first, c.total, c.first)
			}
		}
	})
}

func TestAlarmPageCarriesCommunityAndLatestFeedbackAndPerDayCounts(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1), enterprise(2))); err != nil {
			t.Fatal(err)
		}
		loc := mapping.Beijing()
		t0 := time.Date(2026, 3, 1, 23, 30, 0, 0, loc) // the 1st in Beijing, the 1st in UTC too
		a1, a2, a3 := alarm(1, 1, t0), alarm(2, 2, t0.Add(time.Hour)), alarm(3, 1, t0.Add(26*time.Hour))
		a2.Level = 1
		if _, err := s.UpsertAlarms(ctx, []mapping.Alarm{a1, a2, a3}); err != nil {
			t.Fatal(err)
		}
		fb := func(id, note string) ledger.FeedbackRecord {
			r, _, err := s.RecordAlarmFeedback(ctx, mapping.AlarmFeedback{AlarmID: id, Status: "1", Note: note, Handler: "张三", HandledAt: t0})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		old := fb(a1.ID, "第一次")
		if err := s.MarkFeedbackRejected(ctx, old.ID, "处置说明过短", t0); err != nil {
			t.Fatal(err)
		}
		fb(a1.ID, "第二次，已重新说明") // the latest is pending: a1 is not refused any more
		refused := fb(a2.ID, "已处置")
		if err := s.MarkFeedbackRejected(ctx, refused.ID, "状态不允许", t0); err != nil {
			t.Fatal(err)
		}

		page, total, err := s.AlarmPage(ctx, ledger.AlarmQuery{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(page) != 2 || page[0].ID != a3.ID || page[1].ID != a2.ID {
			t.Fatalf("newest first: %d %+v", total, page)
		}
		if page[1].Community != enterprise(2).Community || page[1].Feedback == nil || page[1].Feedback.State != ledger.PushRejected {
			t.Errorf("a2: community %q feedback %+v, want %s and its refused feedback", page[1].Community, page[1].Feedback, enterprise(2).Community)
		}
		rej, total, err := s.AlarmPage(ctx, ledger.AlarmQuery{FeedbackRejected: true, Limit: 10})
		if err != nil || total != 1 || len(rej) != 1 || rej[0].ID != a2.ID {
			t.Errorf("refused feedback: %d %+v %v, want a2 only (a1's latest is pending)", total, rej, err)
		}
		last, _, err := s.AlarmPage(ctx, ledger.AlarmQuery{Offset: 2, Limit: 2})
		if err != nil || len(last) != 1 || last[0].ID != a1.ID || last[0].Feedback == nil || last[0].Feedback.Note != "第二次，已重新说明" {
			t.Errorf("a1 on the last page: %+v %v, want it with its latest feedback", last, err)
		}
		if _, total, _ := s.AlarmPage(ctx, ledger.AlarmQuery{Community: enterprise(1).Community}); total != 2 {
			t.Errorf("a community's alarms: %d, want 2", total)
		}

		days, err := s.AlarmsPerDay(ctx, time.Date(2026, 3, 1, 0, 0, 0, 0, loc), time.Date(2026, 3, 4, 0, 0, 0, 0, loc), loc)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprint([]ledger.AlarmDay{{Day: date(2026, 3, 1), ByLevel: [4]int{0, 1, 0, 0}},
			{Day: date(2026, 3, 2), ByLevel: [4]int{1, 0, 0, 0}}, {Day: date(2026, 3, 3), ByLevel: [4]int{0, 1, 0, 0}}})
		if fmt.Sprint(days) != want {
			t.Errorf("per day in Beijing: %v, want %v", days, want)
		}
	})
}

func TestQuarantinePageAndCommunities(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1), enterprise(2), enterprise(3))); err != nil {
			t.Fatal(err)
		}
		cs, err := s.Communities(ctx)
		if err != nil || fmt.Sprint(cs) != fmt.Sprint([]string{"林口社区", "灵水社区", "英墩社区"}) {
			t.Errorf("communities: %v %v", cs, err)
		}
		var entries []ledger.QuarantineEntry
		for i := 0; i < 5; i++ {
			entries = append(entries, ledger.QuarantineEntry{Source: ledger.SourceQuanzhou, Kind: ledger.KindEnterprise,
				Key: uscc(10 + i), Reasons: mapping.Problems{{Field: "uscc", Label: "统一社会信用代码", Reason: "校验位错误"}}})
		}
		if err := s.AddToQuarantine(ctx, entries); err != nil {
			t.Fatal(err)
		}
		page, total, err := s.QuarantinePage(ctx, ledger.QuarantineQuery{Offset: 1, Limit: 2})
		if err != nil || total != 5 || len(page) != 2 || page[0].Key != uscc(13) {
			t.Errorf("quarantine page: %d %+v %v, want 5 in all, newest first", total, page, err)
		}
		if err := s.ResolveQuarantine(ctx, page[0].ID, "已更正"); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := s.QuarantinePage(ctx, ledger.QuarantineQuery{}); total != 4 {
			t.Errorf("open entries after one resolved: %d, want 4", total)
		}
	})
}

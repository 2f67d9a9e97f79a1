package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

func alarm(n, enterpriseN int, raised time.Time) mapping.Alarm {
	return mapping.Alarm{
		ID: fmt.Sprintf("BJ%06d", n), PlatformID: fmt.Sprintf("QY%d", enterpriseN), USCC: uscc(enterpriseN),
		EnterpriseName: "灵源鞋材", PointCode: "JCD0001", PointName: "1号除尘器进出口压差", Quantity: "压差",
		Unit: "Pa", Value: "1520", Threshold: "1200", Type: "SX", Level: 2, RaisedAt: raised,
		HandlingStatus: "0", UpdatedAt: raised,
	}
}

func TestAlarmsUpsertAndSelectByWindowEnterpriseAndCommunity(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1), enterprise(2))); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		a1, a2, a3 := alarm(1, 1, t0), alarm(2, 2, t0.Add(time.Hour)), alarm(3, 1, t0.Add(2*time.Hour))
		outs, err := s.UpsertAlarms(ctx, []mapping.Alarm{a1, a2, a3})
		mustOutcomes(t, outs, err, ins, ins, ins)

		a1.RecoveredAt, a1.HandlingStatus, a1.HandlingNote, a1.Handler = t0.Add(30*time.Minute), "2", "已清理滤袋", "张三"
		a1.HandledAt = t0.Add(40 * time.Minute)
		a1.UpdatedAt = a1.HandledAt
		outs, err = s.UpsertAlarms(ctx, []mapping.Alarm{a1, a2})
		mustOutcomes(t, outs, err, upd, unc)

		got, err := s.AlarmByID(ctx, a1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != a1 {
			t.Errorf("stored\n%+v\nwant\n%+v", got, a1)
		}
		if _, err := s.AlarmByID(ctx, "BJ404"); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("unknown alarm: %v, want ErrNotFound", err)
		}

		ids := func(f ledger.AlarmFilter) string {
			var out []string
			for _, a := range collect(t, s.Alarms(ctx, f)) {
				out = append(out, a.ID)
			}
			return fmt.Sprint(out)
		}
		tests := []struct {
			name string
			f    ledger.AlarmFilter
			want string
		}{
			{"all, oldest first", ledger.AlarmFilter{}, "[BJ000001 BJ000002 BJ000003]"},
			{"window is half-open", ledger.AlarmFilter{From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)}, "[BJ000002]"},
			{"by enterprise", ledger.AlarmFilter{USCC: uscc(1)}, "[BJ000001 BJ000003]"},
			{"by community", ledger.AlarmFilter{Community: enterprise(2).Community}, "[BJ000002]"},
			{"active only", ledger.AlarmFilter{ActiveOnly: true}, "[BJ000002 BJ000003]"},
			{"unhandled", ledger.AlarmFilter{Unhandled: true}, "[BJ000002 BJ000003]"},
			{"newest first, limited", ledger.AlarmFilter{NewestFirst: true, Limit: 2}, "[BJ000003 BJ000002]"},
		}
		for _, tc := range tests {
			if got := ids(tc.f); got != tc.want {
				t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
			}
		}
	})
}

func TestAlarmFeedbackIsRecordedOnceAndCarriesItsPushState(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		inProgress := mapping.AlarmFeedback{AlarmID: "BJ1", Status: "1", Note: "正在处置", Handler: "张三", HandledAt: at}
		done := mapping.AlarmFeedback{AlarmID: "BJ1", Status: "2", Note: "已更换滤袋", Handler: "张三", HandledAt: at.Add(time.Hour)}

		r1, created, err := s.RecordAlarmFeedback(ctx, inProgress)
		if err != nil || !created || r1.State != ledger.PushPending || r1.AlarmFeedback != inProgress {
			t.Fatalf("first record: %+v created %v err %v", r1, created, err)
		}
		again, created, err := s.RecordAlarmFeedback(ctx, inProgress)
		if err != nil || created || again.ID != r1.ID {
			t.Fatalf("same feedback again: id %d created %v err %v, want id %d not created", again.ID, created, err, r1.ID)
		}
		r2, _, err := s.RecordAlarmFeedback(ctx, done)
		if err != nil {
			t.Fatal(err)
		}
		pending, err := s.PendingAlarmFeedback(ctx, 10)
		if err != nil || len(pending) != 2 || pending[0].ID != r1.ID || pending[1].ID != r2.ID {
			t.Fatalf("pending %+v, %v; want both, in recording order", pending, err)
		}

		if err := s.MarkFeedbackAccepted(ctx, r1.ID, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkFeedbackRejected(ctx, r2.ID, "告警已处置，内容冲突", clk.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkFeedbackAccepted(ctx, 9999, clk.Now()); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("unknown feedback: %v, want ErrNotFound", err)
		}
		pending, err = s.PendingAlarmFeedback(ctx, 10)
		if err != nil || len(pending) != 0 {
			t.Errorf("pending after marking %+v, %v", pending, err)
		}
		all, err := s.AlarmFeedback(ctx, "BJ1")
		if err != nil || len(all) != 2 {
			t.Fatalf("feedback of BJ1: %+v, %v", all, err)
		}
		if all[0].State != ledger.PushAccepted || !all[0].PushedAt.Equal(clk.Now()) ||
			all[1].State != ledger.PushRejected || all[1].Message != "告警已处置，内容冲突" {
			t.Errorf("states %+v", all)
		}
	})
}

func TestQuarantineKeepsOneOpenEntryPerKeyAndMarksIDNumbers(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		bad := ledger.QuarantineEntry{
			Source: ledger.SourceQuanzhou, Kind: ledger.KindEnterprise, Key: "91350582MA0000000X",
			Reasons: mapping.Problems{{Field: "uscc", Label: "统一社会信用代码", Value: "91350582MA0000000X", Reason: "校验位错误", Severity: mapping.SeverityError}},
			Raw:     `{"tyshxydm":"91350582MA0000000X","qymc":"某公司"}`,
		}
		person := ledger.QuarantineEntry{
			Source: ledger.SourceWorkbook, Kind: ledger.KindOperator, Key: "特种作业人员!7",
			Reasons: mapping.Problems{{Field: "itemCode", Label: "操作项目", Value: "焊接", Reason: "目录中没有该操作项目", Severity: mapping.SeverityError}},
			Raw:     "张三," + idNumber(1) + ",焊接",
		}
		if err := s.AddToQuarantine(ctx, []ledger.QuarantineEntry{bad, person}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(24 * time.Hour)
		if err := s.AddToQuarantine(ctx, []ledger.QuarantineEntry{bad}); err != nil { // the next day's pull
			t.Fatal(err)
		}
		open := collect(t, s.QuarantineEntries(ctx, ledger.QuarantineFilter{}))
		if len(open) != 2 {
			t.Fatalf("%d open entries, want 2", len(open))
		}
		q := collect(t, s.QuarantineEntries(ctx, ledger.QuarantineFilter{Source: ledger.SourceQuanzhou}))
		if len(q) != 1 || q[0].Occurrences != 2 || !q[0].LastSeenAt.Equal(clk.Now()) || q[0].FirstSeenAt.Equal(q[0].LastSeenAt) ||
			q[0].Reasons[0].Reason != "校验位错误" || q[0].HasIDNumber {
			t.Errorf("repeated entry %+v, want one with 2 occurrences, no ID number", q)
		}
		w := collect(t, s.QuarantineEntries(ctx, ledger.QuarantineFilter{Kind: ledger.KindOperator}))
		if len(w) != 1 || !w[0].HasIDNumber || w[0].Raw != person.Raw {
			t.Errorf("workbook entry %+v, want the raw row kept whole and marked as carrying an ID number", w)
		}

		if err := s.ResolveQuarantine(ctx, q[0].ID, "平台已更正"); err != nil {
			t.Fatal(err)
		}
		if err := s.ResolveQuarantine(ctx, q[0].ID, "again"); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("resolving a closed entry: %v, want ErrNotFound", err)
		}
		n, err := s.ResolveQuarantineKeys(ctx, ledger.SourceWorkbook, ledger.KindOperator, []string{"特种作业人员!7", "特种作业人员!8"}, "重新导入成功")
		if err != nil || n != 1 {
			t.Errorf("resolve by key: %d, %v; want 1", n, err)
		}
		if open := collect(t, s.QuarantineEntries(ctx, ledger.QuarantineFilter{})); len(open) != 0 {
			t.Errorf("%d open after resolving", len(open))
		}
		// The same bad record seen after its entry was resolved opens a new one.
		if err := s.AddToQuarantine(ctx, []ledger.QuarantineEntry{bad}); err != nil {
			t.Fatal(err)
		}
		all := collect(t, s.QuarantineEntries(ctx, ledger.QuarantineFilter{IncludeResolved: true}))
		if len(all) != 3 || !all[0].ResolvedAt.IsZero() || all[1].Resolution == "" {
			t.Errorf("history %+v, want the new open entry first, then the resolved ones", all)
		}
	})
}

func TestOverviewCountsWhatTheConsoleShows(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		day := date(2026, 3, 2)
		// 1 in sync, 2 awaiting push (new), 3 drifted, 4 conflict, 5 pending review.
		es := []mapping.Enterprise{enterprise(1), enterprise(2), enterprise(3), enterprise(4)}
		if _, err := s.UpsertEnterprises(ctx, inputs(es...)); err != nil {
			t.Fatal(err)
		}
		var acc []ledger.Acceptance
		for _, i := range []int{0, 2, 3} {
			acc = append(acc, ledger.Acceptance{Pushed: es[i], At: clk.Now()})
		}
		if _, err := s.MarkEnterprisesAccepted(ctx, acc); err != nil {
			t.Fatal(err)
		}
		p3, p4 := es[2], es[3]
		p3.Name, p4.Name = "门户改名三", "门户改名四"
		if _, err := s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{p3, p4, enterprise(5)}, clk.Now()); err != nil {
			t.Fatal(err)
		}
		es[3].Employees = 1
		if _, err := s.UpsertEnterprises(ctx, inputs(es[3])); err != nil {
			t.Fatal(err)
		}
		left := operator(3, 1, "0102")
		left.EndDate = date(2026, 1, 1)
		if _, err := s.UpsertOperators(ctx, ops(operator(1, 1, "0102"), operator(2, 1, "0102"), left)); err != nil {
			t.Fatal(err)
		}
		registered := operator(1, 1, "0102")
		if err := s.RecordEmployments(ctx, []ledger.EmploymentRecord{{Key: registered.Key(), CertNo: "T1"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpsertCertificates(ctx, []mapping.Certificate{certificate(1, "0102", date(2027, 1, 1))}); err != nil {
			t.Fatal(err)
		}
		a := alarm(1, 1, clk.Now())
		b := alarm(2, 1, clk.Now())
		b.RecoveredAt, b.HandlingStatus = clk.Now(), "2"
		if _, err := s.UpsertAlarms(ctx, []mapping.Alarm{a, b}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RecordAlarmFeedback(ctx, mapping.AlarmFeedback{AlarmID: a.ID, Status: "1", Note: "处置中", Handler: "张三"}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddToQuarantine(ctx, []ledger.QuarantineEntry{{Source: ledger.SourceWorkbook, Kind: ledger.KindEnterprise, Key: "企业台账!3"}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Overview(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		want := ledger.Overview{Enterprises: 5, PendingReview: 1, AwaitingPush: 1, Drifted: 2, Conflicts: 1,
			Operators: 3, OnDuty: 2, Certificates: 1, ActiveAlarms: 1, UnhandledAlarms: 1, FeedbackPending: 1,
			QuarantineOpen: 1, RegistrationsMissing: 1}
		if got != want {
			t.Errorf("overview\n%+v\nwant\n%+v", got, want)
		}
	})
}

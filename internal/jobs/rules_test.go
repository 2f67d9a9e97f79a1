package jobs

import (
	"context"
	"errors"
	"testing"

	"streetsync/connectors/httpx"
	"streetsync/connectors/quanzhou"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/scheduler/retry"
)

// The decisions, without I/O: which certificate decides, what a registration needs, what a
// failure means.

var today = mapping.Date{Year: 2026, Month: 1, Day: 15}

func d(s string) mapping.Date { return mapping.MustDate(s) }

func cert(item, status, until, review string) mapping.Certificate {
	return mapping.Certificate{CertNo: "T350582199001011234", IDNumber: "350582199001011234", ItemCode: item,
		Status: mapping.CertStatus(status), ValidFrom: d("2022-01-01"), ValidUntil: d(until), ReviewDueDate: d(review)}
}

func TestBestCertificate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		certs     []mapping.Certificate
		wantUntil string // "" when none
		wantValid bool
	}{
		{"no certificate for the item", []mapping.Certificate{cert("0201", "VALID", "2028-01-01", "2027-01-01")}, "", false},
		{"a valid one beats an invalid one with a later validUntil",
			[]mapping.Certificate{cert("0102", "REVOKED", "2030-01-01", "2029-01-01"), cert("0102", "VALID", "2027-06-01", "2026-06-01")},
			"2027-06-01", true},
		{"among valid ones the latest validUntil",
			[]mapping.Certificate{cert("0102", "VALID", "2026-06-01", "2026-05-01"), cert("0102", "VALID", "2028-06-01", "2027-05-01")},
			"2028-06-01", true},
		{"VALID status past validUntil is not valid (the nightly batch lags)",
			[]mapping.Certificate{cert("0102", "VALID", "2026-01-14", "2025-01-01")}, "2026-01-14", false},
		{"valid through its last day", []mapping.Certificate{cert("0102", "VALID", "2026-01-15", "2026-01-15")}, "2026-01-15", true},
		{"review overdue is not valid", []mapping.Certificate{cert("0102", "VALID", "2027-01-01", "2026-01-14")}, "2027-01-01", false},
		{"none valid: the best invalid one still decides",
			[]mapping.Certificate{cert("0102", "EXPIRED", "2025-01-01", "2023-01-01"), cert("0102", "SUSPENDED", "2025-01-01", "2024-01-01")},
			"2025-01-01", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := bestCertificate(tc.certs, "0102", today)
			if tc.wantUntil == "" {
				if ok {
					t.Fatalf("got %+v, want none", got)
				}
				return
			}
			if !ok || got.ValidUntil.String() != tc.wantUntil || got.ValidOn(today) != tc.wantValid {
				t.Errorf("got %v until %s valid %v, want until %s valid %v", ok, got.ValidUntil, got.ValidOn(today), tc.wantUntil, tc.wantValid)
			}
		})
	}
	t.Run("equal validUntil: the later review date wins", func(t *testing.T) {
		got, _ := bestCertificate([]mapping.Certificate{cert("0102", "EXPIRED", "2025-01-01", "2023-01-01"),
			cert("0102", "SUSPENDED", "2025-01-01", "2024-01-01")}, "0102", today)
		if got.ReviewDueDate != d("2024-01-01") {
			t.Errorf("got review %s, want 2024-01-01", got.ReviewDueDate)
		}
	})
}

func roster(start, end string) ledger.RegistrationDue {
	o := mapping.Operator{Name: "张三", IDNumber: "350582199001011234", EnterpriseUSCC: "91350582MA2Y0XXX0X", ItemCode: "0102",
		StartDate: d(start)}
	if end != "" {
		o.EndDate = d(end)
	}
	return ledger.RegistrationDue{Operator: ledger.OperatorRecord{Operator: o}}
}

func TestPlanEmployment(t *testing.T) {
	valid := []mapping.Certificate{cert("0102", "VALID", "2028-01-01", "2027-01-01")}
	invalid := []mapping.Certificate{cert("0102", "REVOKED", "2028-01-01", "2027-01-01")}
	last := func(start, end string) *ledger.EmploymentRecord {
		e := &ledger.EmploymentRecord{CertNo: "T350582199001011234", StartDate: d(start), Status: "ACTIVE"}
		if end != "" {
			e.EndDate = d(end)
		}
		return e
	}
	for _, tc := range []struct {
		name     string
		due      ledger.RegistrationDue
		last     *ledger.EmploymentRecord
		certs    []mapping.Certificate
		wantSend bool
		wantEnd  string
	}{
		{"a new entry with a valid certificate is registered", roster("2025-03-01", ""), nil, valid, true, ""},
		{"a new entry without a valid certificate is never sent", roster("2025-03-01", ""), nil, invalid, false, ""},
		{"a new entry without any certificate is never sent", roster("2025-03-01", ""), nil, nil, false, ""},
		{"a future 离岗日期 is registered with that endDate", roster("2025-03-01", "2026-06-30"), nil, valid, true, "2026-06-30"},
		{"ending a registration is sent whatever became of the certificate", roster("2025-03-01", "2026-01-10"),
			last("2025-03-01", ""), invalid, true, "2026-01-10"},
		{"ending it earlier is sent without a valid certificate", roster("2025-03-01", "2026-01-10"),
			last("2025-03-01", "2026-06-30"), nil, true, "2026-01-10"},
		{"extending it needs a valid certificate", roster("2025-03-01", "2026-12-31"),
			last("2025-03-01", "2026-06-30"), invalid, false, ""},
		{"reopening an ended one needs a valid certificate", roster("2025-03-01", ""),
			last("2025-03-01", "2026-01-10"), invalid, false, ""},
		{"an earlier start date needs a valid certificate", roster("2024-03-01", ""),
			last("2025-03-01", ""), invalid, false, ""},
		{"extending with a valid certificate is sent", roster("2024-03-01", ""), last("2025-03-01", ""), valid, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			due := tc.due
			due.Last = tc.last
			p, ok := planEmployment(&due, tc.certs, today, "晋江市某某公司")
			if ok != tc.wantSend {
				t.Fatalf("send %v, want %v", ok, tc.wantSend)
			}
			if !ok {
				return
			}
			if p.emp.EndDate.String() != tc.wantEnd || p.emp.StartDate != due.Operator.StartDate || p.emp.EnterpriseName == "" {
				t.Errorf("plan %+v: want the roster's dates (end %q) and the enterprise's name", p.emp, tc.wantEnd)
			}
			if tc.last != nil && p.emp.CertNo != tc.last.CertNo {
				t.Errorf("certNo %s, want the registration's own %s", p.emp.CertNo, tc.last.CertNo)
			}
		})
	}
}

func TestJudge(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want verdict
	}{
		{"transient platform errors are retried", ctx, &httpx.APIError{Kind: httpx.KindTransient, Err: httpx.ErrUnavailable}, verdictRetry},
		{"refused data is quarantined", ctx, &httpx.APIError{Kind: httpx.KindPermanent, Err: httpx.ErrConflict}, verdictReject},
		{"refused credentials stop the job", ctx, &httpx.APIError{Kind: httpx.KindAuth, Err: httpx.ErrAuth}, verdictAbort},
		{"a cancelled run stops", cancelled, &httpx.APIError{Kind: httpx.KindTransient}, verdictAbort},
		{"batchSave 40901 is retried", ctx, &quanzhou.ItemError{Code: 40901}, verdictRetry},
		{"batchSave 50001 is retried", ctx, &quanzhou.ItemError{Code: 50001}, verdictRetry},
		{"batchSave 40014 is quarantined", ctx, &quanzhou.ItemError{Code: 40014, Msg: "行政区划不在授权范围"}, verdictReject},
		{"marked permanent is quarantined", ctx, retry.Permanent(errors.New("x")), verdictReject},
		{"marked transient is retried", ctx, retry.Transient(errors.New("x"), 0), verdictRetry},
		{"the ledger failing stops the job", ctx, errors.New("ledger: commit: disk full"), verdictAbort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := judge(tc.ctx, tc.err); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBreakerOpensOnMaintenanceOrRepeatedFailures(t *testing.T) {
	var b breaker
	fail := &httpx.APIError{Kind: httpx.KindTransient, Err: httpx.ErrUnavailable}
	if b.record(fail) || b.record(nil) || b.record(fail) || b.record(fail) {
		t.Fatal("breaker opened before three failures in a row")
	}
	if !b.record(fail) {
		t.Error("breaker still closed after three failures in a row")
	}
	var m breaker
	if !m.record(&httpx.APIError{Kind: httpx.KindTransient, Err: httpx.ErrMaintenance}) {
		t.Error("breaker closed in a maintenance window")
	}
}

func TestFanOutStopsProductionButFinishesWhatWasSent(t *testing.T) {
	var produced, consumed int
	err := fanOut(context.Background(), 3,
		func(send func(int) bool) error {
			for i := range 1000 {
				if !send(i) {
					return nil
				}
				produced++
			}
			return nil
		},
		func(_ context.Context, i int) int { return i },
		func(int) (bool, error) { consumed++; return consumed == 5, nil })
	if err != nil {
		t.Fatal(err)
	}
	if consumed != produced || produced >= 1000 {
		t.Errorf("produced %d, consumed %d: want production stopped early and everything sent consumed", produced, consumed)
	}
	boom := errors.New("boom")
	err = fanOut(context.Background(), 2,
		func(send func(int) bool) error {
			for i := 0; send(i); i++ {
			}
			return nil
		},
		func(_ context.Context, i int) int { return i },
		func(i int) (bool, error) {
			if i == 10 {
				return false, boom
			}
			return false, nil
		})
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want the consumer's error", err)
	}
}

func TestParseOperatorKeyRoundTrips(t *testing.T) {
	k := mapping.OperatorKey{IDNumber: "35058219900101123X", EnterpriseUSCC: "91350582MA2Y0XXX0X", ItemCode: "0102"}
	if got, ok := parseOperatorKey(k.String()); !ok || got != k {
		t.Errorf("got %+v %v, want %+v", got, ok, k)
	}
	if _, ok := parseOperatorKey("35058219900101123X|0102"); ok {
		t.Error("a key with two parts was accepted")
	}
}

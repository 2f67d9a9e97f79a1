package specialops

import (
	"encoding/json"
	"net/http"
	"testing"

	"streetsync/mocks/dataset"
)

func TestEmployments(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{RatePerSecond: -1})
	c.login()
	today := dataset.DayOf(c.clock.Now())
	var valid, invalid dataset.Certificate
	for _, dc := range ds.Certificates {
		cc := dc
		sc := &cert{status: cc.Status, validFrom: cc.ValidFrom, validUntil: cc.ValidUntil, reviewDue: cc.ReviewDueDate, lastReview: cc.LastReviewDate}
		if sc.validOn(today) && valid.CertNo == "" && cc.OnRoster {
			valid = cc
		}
		if !sc.validOn(today) && invalid.CertNo == "" && cc.OnRoster && cc.CertNo[1:] == upper(cc.IDNumber) {
			invalid = cc
		}
	}
	if valid.CertNo == "" || invalid.CertNo == "" {
		t.Fatal("dataset lacks a valid or an invalid roster certificate")
	}
	const uscc = "91350100M000100Y43"
	put := func(cert dataset.Certificate, mutate func(map[string]any)) result {
		body := map[string]any{"certNo": cert.CertNo, "itemCode": cert.ItemCode, "idNumber": cert.IDNumber,
			"enterpriseUscc": uscc, "enterpriseName": "晋江市灵源测试鞋业有限公司", "startDate": "2024-05-21", "endDate": nil}
		if mutate != nil {
			mutate(body)
		}
		b, _ := json.Marshal(body)
		return c.send(http.MethodPut, "/api/v2/employments", b, nil)
	}
	set := func(kv ...any) func(map[string]any) {
		return func(m map[string]any) {
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
		}
	}
	cases := []struct {
		name   string
		cert   dataset.Certificate
		mutate func(map[string]any)
		status int
		err    string
		field  string
	}{
		{"unknown certificate is 404", valid, set("itemCode", "0999"), 404, errCertNotFound, ""},
		{"not-found comes before field errors", valid, set("itemCode", "0999", "startDate", "x"), 404, errCertNotFound, ""},
		{"another holder is 409 holder_mismatch", valid, set("idNumber", "350582199001011234"), 409, errHolderMismatch, ""},
		{"holder mismatch comes before field errors", valid, set("idNumber", "350582199001011234", "startDate", ""), 409, errHolderMismatch, ""},
		{"an invalid certificate cannot be registered", invalid, nil, 409, errCertNotValid, ""},
		{"not-valid comes before field errors", invalid, set("startDate", ""), 409, errCertNotValid, ""},
		{"missing startDate is 422", valid, set("startDate", ""), 422, errValidation, "startDate"},
		{"bad endDate is 422", valid, set("endDate", "2024/6/1"), 422, errValidation, "endDate"},
		{"endDate before startDate is 422", valid, set("endDate", "2024-01-01"), 422, errValidation, "endDate"},
		{"malformed enterpriseUscc is 422", valid, set("enterpriseUscc", "123"), 422, errValidation, "enterpriseUscc"},
		{"missing enterpriseName is 422", valid, set("enterpriseName", ""), 422, errValidation, "enterpriseName"},
		{"a new registration is 201", valid, nil, 201, "", ""},
		{"the same again is 200 (idempotent)", valid, nil, 200, "", ""},
		{"a final x matches X in idNumber", valid, set("idNumber", lowerX(valid.IDNumber)), 200, "", ""},
		{"a changed startDate is 200", valid, set("startDate", "2024-06-01"), 200, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := put(tc.cert, tc.mutate)
			if r.status != tc.status || r.err.Error != tc.err {
				t.Fatalf("got %d %s, want %d %q", r.status, r.raw, tc.status, tc.err)
			}
			if tc.field != "" && r.err.Fields[tc.field] == "" {
				t.Errorf("fields %v, want one for %s", r.err.Fields, tc.field)
			}
			if tc.status < 300 {
				var e Employment
				_ = json.Unmarshal(r.raw, &e)
				if e.Status != "ACTIVE" || e.EnterpriseUSCC != uscc || e.UpdatedAt == "" {
					t.Errorf("answer %s, want an ACTIVE registration", r.raw)
				}
			}
		})
	}
	t.Run("a registration can be ended whatever became of the certificate", func(t *testing.T) {
		if _, err := p.UpdateCertificate(valid.CertNo, valid.ItemCode, func(x *Certificate) { x.Status = "REVOKED" }); err != nil {
			t.Fatal(err)
		}
		if r := put(valid, set("startDate", "2024-06-01", "endDate", "2099-12-31")); r.status != 200 {
			t.Fatalf("setting endDate on a revoked certificate: got %d %s, want 200", r.status, r.raw)
		}
		if r := put(valid, set("startDate", "2024-06-01", "endDate", today.AddDays(-1).String())); r.status != 200 {
			t.Fatalf("bringing endDate forward: got %d %s, want 200", r.status, r.raw)
		} else {
			var e Employment
			_ = json.Unmarshal(r.raw, &e)
			if e.Status != "ENDED" {
				t.Errorf("endDate yesterday: status %s, want ENDED", e.Status)
			}
		}
		if r := put(valid, set("startDate", "2024-06-01", "endDate", nil)); r.status != 409 || r.err.Error != errCertNotValid {
			t.Errorf("extending (clearing endDate) on a revoked certificate: got %d %s, want 409 certificate_not_valid", r.status, r.raw)
		}
		if r := put(valid, set("startDate", "2024-01-01", "endDate", today.AddDays(-1).String())); r.status != 409 {
			t.Errorf("extending (earlier startDate) on a revoked certificate: got %d, want 409", r.status)
		}
	})
	if e, ok := p.Employment(valid.CertNo, valid.ItemCode, uscc); !ok || e.Status != "ENDED" {
		t.Errorf("Employment inspection: %+v %v, want the ENDED registration", e, ok)
	}
	if got := p.RequestCount("PUT /api/v2/employments"); got != len(cases)+4 {
		t.Errorf("RequestCount = %d, want %d", got, len(cases)+4)
	}
}

func upper(s string) string {
	if len(s) == 18 && s[17] == 'x' {
		return s[:17] + "X"
	}
	return s
}

func lowerX(s string) string {
	if len(s) == 18 && s[17] == 'X' {
		return s[:17] + "x"
	}
	return s
}

package mapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

var certToday = WithToday(Date{2026, time.November, 28})

func TestCertificateFromTZ(t *testing.T) {
	want := validCertificate()
	want.LastReviewDate = Date{}
	want.UpdatedAt = time.Date(2024, time.May, 21, 9, 30, 0, 0, Beijing())

	var clean TZCertificate
	readJSON(t, "tz_certificate.json", &clean)
	got, ps := CertificateFromTZ(clean, nil, certToday)
	if len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("clean record:\n got %+v\nwant %+v", got, want)
	}

	// Lower-case x, spaces, lower-case status, UTC time, names left to the catalog.
	var messy TZCertificate
	readJSON(t, "tz_certificate_messy.json", &messy)
	got, ps = CertificateFromTZ(messy, nil, certToday)
	if len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
	want.LastReviewDate = Date{2023, time.February, 10}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("messy record:\n got %+v\nwant %+v", got, want)
	}
}

func TestCertificateFromTZKeepsUnknownItem(t *testing.T) {
	var tz TZCertificate
	readJSON(t, "tz_certificate.json", &tz)
	tz.ItemCode, tz.ItemName = "0105", "电力电缆作业"
	c, ps := CertificateFromTZ(tz, nil, certToday)
	if c.ItemCode != "0105" || c.ItemName != "电力电缆作业" {
		t.Errorf("item = %s %s, want it kept as sent", c.ItemCode, c.ItemName)
	}
	if ps.HasErrors() || fieldsOf(ps) != "itemCode:warning" {
		t.Errorf("problems = %v, want one warning about the item", ps)
	}
	// Once the config knows it, the warning goes.
	cat, err := NewCatalog([]CatalogItem{{Code: "0105", Name: "电力电缆作业"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ps := CertificateFromTZ(tz, cat, certToday); len(ps) != 0 {
		t.Errorf("problems with extended catalog: %v", ps)
	}
}

func TestCertificateFromTZProblems(t *testing.T) {
	var tz TZCertificate
	readJSON(t, "tz_certificate.json", &tz)
	tz.IDNumber = "350522197601011231"
	tz.ValidUntil = "2026-02-30"
	tz.ValidFrom = "不详"
	tz.Status = "冻结"
	tz.UpdatedAt = "yesterday"
	_, ps := CertificateFromTZ(tz, nil, certToday)
	want := "idNumber:error validFrom:error validUntil:error status:warning updatedAt:warning"
	if got := fieldsOf(ps); got != want {
		t.Errorf("problems = %q, want %q", got, want)
	}
	if p := ps[2]; p.Reason != reasonNoSuchDate || p.Value != "2026-02-30" {
		t.Errorf("validUntil problem = %+v", p)
	}
}

func TestCertificateTZRoundTrip(t *testing.T) {
	var tz TZCertificate
	readJSON(t, "tz_certificate_messy.json", &tz)
	c, _ := CertificateFromTZ(tz, nil, certToday)
	out := CertificateToTZ(&c)
	if out.LastReviewDate == nil || *out.LastReviewDate != "2023-02-10" {
		t.Errorf("lastReviewDate = %v", out.LastReviewDate)
	}
	if out.UpdatedAt != "2024-05-21T09:30:00+08:00" {
		t.Errorf("updatedAt = %q", out.UpdatedAt)
	}
	back, ps := CertificateFromTZ(out, nil, certToday)
	if len(ps) != 0 || !reflect.DeepEqual(back, c) {
		t.Errorf("round trip:\n got %+v, %v\nwant %+v", back, ps, c)
	}
	c.LastReviewDate = Date{}
	b, _ := json.Marshal(CertificateToTZ(&c))
	if !strings.Contains(string(b), `"lastReviewDate":null`) {
		t.Errorf("never reviewed is not null: %s", b)
	}
}

func TestEmploymentTZ(t *testing.T) {
	o := validOperator()
	o.EndDate = Date{2027, time.January, 31}
	e := NewEmployment(&o, "T35052219760101123X", "晋江市灵源鞋业有限公司")
	body := EmploymentToTZ(&e)
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"certNo":"T35052219760101123X","itemCode":"0102","idNumber":"35052219760101123X",` +
		`"enterpriseUscc":"91350100M000100Y43","enterpriseName":"晋江市灵源鞋业有限公司",` +
		`"startDate":"2024-05-21","endDate":"2027-01-31"}`
	if string(b) != want {
		t.Errorf("body:\n got %s\nwant %s", b, want)
	}
	e.EndDate = Date{}
	b, _ = json.Marshal(EmploymentToTZ(&e))
	if !strings.Contains(string(b), `"endDate":null`) {
		t.Errorf("open-ended registration: %s", b)
	}

	answer := `{"certNo":"T35052219760101123X","itemCode":"0102","enterpriseUscc":"91350100M000100Y43",` +
		`"idNumber":"35052219760101123X","startDate":"2024-05-21","endDate":null,"status":"ACTIVE",` +
		`"updatedAt":"2024-05-21T09:30:00+08:00"}`
	var tz TZEmployment
	if err := json.Unmarshal([]byte(answer), &tz); err != nil {
		t.Fatal(err)
	}
	got, ps := EmploymentFromTZ(tz)
	if len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
	e.EnterpriseName = ""
	e.Status = "ACTIVE"
	e.UpdatedAt = time.Date(2024, 5, 21, 9, 30, 0, 0, Beijing())
	if !reflect.DeepEqual(got, e) {
		t.Errorf("EmploymentFromTZ:\n got %+v\nwant %+v", got, e)
	}
	tz.StartDate, tz.CertNo = "", ""
	if _, ps := EmploymentFromTZ(tz); fieldsOf(ps) != "certNo:error startDate:error" {
		t.Errorf("problems = %q", fieldsOf(ps))
	}
}

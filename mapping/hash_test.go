package mapping

import (
	"testing"
	"time"
)

func TestEnterpriseHashes(t *testing.T) {
	e := validEnterprise()
	base, platform := e.StreetHash(), e.PlatformHash()
	if len(base) != 64 || base == platform {
		t.Fatalf("hashes %q %q", base, platform)
	}

	spelled := e
	spelled.USCC = "９１３５０１００ｍ０００１００ｙ４３"
	spelled.Name = " 晋江市灵源鞋业有限公司\u200b"
	spelled.LegalRep = "张 三"
	spelled.PrincipalPhone = "+86 138-0595-1234"
	spelled.Industry = "轻工业"
	spelled.KeyRisks = []KeyRisk{"有限空间", "粉尘涉爆"}
	spelled.Status = "在营"
	if got := spelled.StreetHash(); got != base {
		t.Error("two spellings of one enterprise hash differently")
	}

	unaffected := e
	unaffected.Remark, unaffected.RegionCode, unaffected.UpdatedAt = "新备注", "", time.Now()
	unaffected.Grade, unaffected.RiskMonitored = GradeOne, true
	if unaffected.StreetHash() != base {
		t.Error("remark, region code, gxsj or platform-owned fields changed the street hash")
	}
	if unaffected.PlatformHash() == platform {
		t.Error("platform-owned fields did not change the platform hash")
	}

	for name, change := range map[string]func(e *Enterprise){
		"name":       func(e *Enterprise) { e.Name = "晋江市灵源鞋服有限公司" },
		"phone":      func(e *Enterprise) { e.PrincipalPhone = "13805951235" },
		"key risks":  func(e *Enterprise) { e.KeyRisks = []KeyRisk{KeyRiskDust} },
		"no risks":   func(e *Enterprise) { e.KeyRisks = nil },
		"employees":  func(e *Enterprise) { e.Employees = 121 },
		"factory":    func(e *Enterprise) { e.FactoryInFactory = true },
		"status":     func(e *Enterprise) { e.Status = StatusSuspended },
		"safety":     func(e *Enterprise) { e.SafetyManager = "王五" },
		"key":        func(e *Enterprise) { e.USCC = "91350100M000100Y4X" },
		"field swap": func(e *Enterprise) { e.LegalRep, e.Principal = e.Principal, e.LegalRep },
	} {
		c := validEnterprise()
		change(&c)
		if c.StreetHash() == base {
			t.Errorf("changing %s kept the street hash", name)
		}
	}
	if e.KeyRisks[0] != KeyRiskDust || spelled.KeyRisks[0] != "有限空间" {
		t.Error("hashing changed its record")
	}
}

func TestOperatorAndCertificateHashes(t *testing.T) {
	o := validOperator()
	spelled := o
	spelled.Name, spelled.IDNumber, spelled.ItemCode, spelled.CategoryCode = "王 五", "350522760101123", "低压电工", ""
	if spelled.ContentHash() != o.ContentHash() {
		t.Error("two spellings of one roster entry hash differently")
	}
	later := o
	later.EndDate = Date{2027, 1, 1}
	if later.ContentHash() == o.ContentHash() {
		t.Error("an end date did not change the hash")
	}

	c := validCertificate()
	sc := c
	sc.IDNumber, sc.CertNo, sc.Status, sc.UpdatedAt = "35052219760101123x", "t35052219760101123x", "有效", time.Now()
	if sc.ContentHash() != c.ContentHash() {
		t.Error("two spellings of one certificate hash differently")
	}
	renewed := c
	renewed.ValidUntil = Date{2032, 3, 1}
	if renewed.ContentHash() == c.ContentHash() {
		t.Error("a renewal did not change the hash")
	}
}

func TestAlarmHash(t *testing.T) {
	raised := time.Date(2024, 5, 21, 9, 30, 0, 0, Beijing())
	a := Alarm{ID: "BJ1", USCC: sampleUSCC, Level: 2, RaisedAt: raised, HandlingStatus: "0"}
	b := a
	b.RaisedAt = raised.UTC() // the same instant
	b.UpdatedAt = raised.Add(time.Hour)
	b.ID = " bj1 "
	if a.ContentHash() != b.ContentHash() {
		t.Error("the same alarm hashes differently")
	}
	b.HandlingStatus = "2"
	if a.ContentHash() == b.ContentHash() {
		t.Error("handling did not change the hash")
	}
}

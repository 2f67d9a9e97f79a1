// Package alertstest holds the fixtures the alert tests share (package rules' and package
// alerts'): valid ID numbers, a roster entry, a certificate with the changes a case needs. It is
// imported by tests only.
package alertstest

import (
	"fmt"
	"time"

	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

// Enterprises of the fixtures.
const (
	USCCA = "91350582MA2Y0EXA1K"
	USCCB = "91350582MA2Y0EXB2L"
)

// Shanghai is schedule.timezone of the fixtures.
var Shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// D parses a yyyy-MM-dd date (a test's literal: a bad one is the test's bug).
func D(s string) mapping.Date {
	v, err := mapping.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

// ID makes a valid 18-character ID number (GB 11643 check character) from n.
func ID(n int) string {
	birth := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/1000%20000)
	body := fmt.Sprintf("350582%s%03d", birth.Format("20060102"), n%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * weights[i]
	}
	return body + string("10X98765432"[sum%11])
}

// Entry is 张三 (id) doing 低压电工作业 at enterprise A in 林格社区 since 2024-05-21.
func Entry(id string) rules.RosterEntry {
	return rules.RosterEntry{
		Operator: mapping.Operator{
			Name: "张三", IDNumber: id, EnterpriseUSCC: USCCA, CategoryCode: "01", ItemCode: "0102",
			StartDate: D("2024-05-21"),
		},
		EnterpriseName: "晋江市灵源示例鞋业有限公司", Community: "林格社区", ItemName: "低压电工作业",
	}
}

// Cert is a certificate of id for item 0102, valid 2024-01-01 … 2030-01-01, review due
// 2027-01-01, with changes applied.
func Cert(id string, changes ...func(*mapping.Certificate)) mapping.Certificate {
	c := mapping.Certificate{
		CertNo: "T" + id, HolderName: "张三", IDNumber: id, CategoryCode: "01", ItemCode: "0102",
		ItemName: "低压电工作业", FirstIssueDate: D("2024-01-01"), ValidFrom: D("2024-01-01"),
		ValidUntil: D("2030-01-01"), ReviewDueDate: D("2027-01-01"), Status: mapping.CertValid,
	}
	for _, f := range changes {
		f(&c)
	}
	return c
}

// Changes of a certificate.

func Status(s mapping.CertStatus) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.Status = s }
}
func ValidUntil(s string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.ValidUntil = D(s) }
}
func ReviewDue(s string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.ReviewDueDate = D(s) }
}
func LastReview(s string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.LastReviewDate = D(s) }
}
func Item(code, name string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.ItemCode, c.ItemName = code, name }
}
func Holder(name string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.HolderName = name }
}
func ValidFrom(s string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.ValidFrom = D(s) }
}

// Package mapping is streetsync's canonical model of the street's records and the place where every
// outside shape meets it: the Quanzhou platform's pinyin records, the special-operations system's
// camelCase records and the street workbook's hand-typed rows. It normalizes and validates every
// field, knows the special-operations catalog, and computes content hashes for change detection.
//
// mapping does no I/O. Everything above it (connectors, ledger, sync, reconcile, alerts) speaks
// in the canonical types defined here.
//
// Where things are: fields.go (the field tables: one descriptor per enterprise and roster field —
// its names in every shape, owner, normalizer, validator, length limit, how it is compared and
// hashed; the one place a new field is described) and field.go (what the program does with a
// descriptor), normalize.go (text rules), dates.go (dates and times), labels.go (Chinese labels ↔
// codes), catalog.go (the special-operations catalog), record.go (Normalize… for whole records),
// validate.go (check characters, shapes, Validate…), messages.go (every Chinese string of a
// Problem), quanzhou.go, specialops.go and workbook.go (one file per outside shape) and hash.go
// (content hashes). Conversions from an outside shape parse, normalize and validate in one call
// and return every problem of the record together.
package mapping

import (
	"strings"
	"time"
)

// Owner says which side is the source of truth for a field (Quanzhou contract, "owner" column).
type Owner int

const (
	// OwnerStreet fields are kept in the street's ledger and pushed to the platform.
	OwnerStreet Owner = iota + 1
	// OwnerPlatform fields are set by the platform and only ever pulled.
	OwnerPlatform
	// OwnerLedger fields are the ledger's own bookkeeping about a record (核实状态): neither
	// pushed nor pulled, nor compared.
	OwnerLedger
)

func (o Owner) String() string {
	switch o {
	case OwnerStreet:
		return "street"
	case OwnerPlatform:
		return "platform"
	case OwnerLedger:
		return "ledger"
	}
	return "unknown"
}

// Industry is a 行业类别 code as the Quanzhou platform uses it (YJ, YS, JC, JX, QG, FZ, YC, SM).
type Industry string

// KeyRisk is a 重点类型 code (FCSB, SAZL, YXKJ, GWRR, MQ, SL, PT).
type KeyRisk string

// EnterpriseStatus is 企业状态: "1" 在营, "2" 停产, "3" 关闭, "4" 注销.
type EnterpriseStatus string

// Grade is 标准化等级: "1" 一级, "2" 二级, "3" 三级, "4" 小微企业, "0" 未达标/未评审.
type Grade string

// CertStatus is a certificate's status as the special-operations system records it.
type CertStatus string

const (
	CertValid     CertStatus = "VALID"
	CertExpired   CertStatus = "EXPIRED"
	CertRevoked   CertStatus = "REVOKED"
	CertCancelled CertStatus = "CANCELLED"
	CertSuspended CertStatus = "SUSPENDED"
)

// Enterprise is one industry-and-trade enterprise of the street. Street-owned fields come first,
// then the platform-owned ones, then the ledger's own; EnterpriseTable (fields.go) describes each.
type Enterprise struct {
	USCC             string // 统一社会信用代码, the key
	Name             string // 企业名称, parentheses canonically full-width （）
	LegalRep         string // 法定代表人
	Principal        string // 主要负责人
	PrincipalPhone   string // 主要负责人电话, digits only (landlines 0595xxxxxxxx)
	SafetyManager    string // 安全管理人员 (optional)
	Address          string // 经营地址
	RegionCode       string // 行政区划代码 (9 digits)
	Community        string // 所属社区
	Industry         Industry
	KeyRisks         []KeyRisk // in the order of the contract's table, no duplicates
	Employees        int       // 从业人数; 0 when unknown
	Status           EnterpriseStatus
	FactoryInFactory bool   // 是否厂中厂
	Remark           string // 备注: the street's own note, never pushed

	PlatformID      string    // qyid, platform-owned
	Grade           Grade     // bzhdj, platform-owned
	GradeValidUntil Date      // bzhyxq, platform-owned
	RiskMonitored   bool      // sfnrjcyj, platform-owned
	UpdatedAt       time.Time // gxsj, platform-owned (Beijing time)

	// PendingReview is 核实状态 待核实: pulled from the platform and not yet confirmed by the
	// street. The ledger keeps it; on a record going into the ledger (a workbook row) it asks the
	// ledger to keep the flag rather than confirm the enterprise.
	PendingReview bool
}

// Operator is one entry of the street's special-operator roster: a person doing one special
// operation item at one enterprise. Its key is (IDNumber, EnterpriseUSCC, ItemCode).
type Operator struct {
	Name           string // 姓名
	IDNumber       string // 身份证号, 18 characters, upper-case X
	Phone          string // 联系电话, digits only
	EnterpriseUSCC string // 所在企业统一社会信用代码
	CategoryCode   string // 作业类别 code, e.g. "01"
	ItemCode       string // 操作项目 code, e.g. "0102"
	StartDate      Date   // 上岗日期
	EndDate        Date   // 离岗日期; zero while on duty
	Remark         string // 备注
}

// OperatorKey identifies a roster entry.
type OperatorKey struct {
	IDNumber       string
	EnterpriseUSCC string
	ItemCode       string
}

// Key returns the roster entry's identity.
func (o *Operator) Key() OperatorKey {
	return OperatorKey{IDNumber: o.IDNumber, EnterpriseUSCC: o.EnterpriseUSCC, ItemCode: o.ItemCode}
}

// String renders the key for logs and queue items; callers that log it mask the ID number.
func (k OperatorKey) String() string {
	return k.IDNumber + "|" + k.EnterpriseUSCC + "|" + k.ItemCode
}

// OnDuty reports whether the entry is on duty on day d: started on or before d, and 离岗日期 empty
// or in the future (operator contract, alert rules).
func (o *Operator) OnDuty(d Date) bool {
	if !o.StartDate.IsZero() && d.Before(o.StartDate) {
		return false
	}
	return o.EndDate.IsZero() || d.Before(o.EndDate)
}

// Certificate is one special-operation certificate, identified by (CertNo, ItemCode): one
// person's certificates share a number.
type Certificate struct {
	CertNo         string
	HolderName     string
	IDNumber       string
	Gender         string // "1" 男, "2" 女
	CategoryCode   string
	CategoryName   string
	ItemCode       string // kept as sent, even when the catalog does not know it
	ItemName       string
	FirstIssueDate Date
	ValidFrom      Date
	ValidUntil     Date
	ReviewDueDate  Date
	LastReviewDate Date // zero when never reviewed
	Status         CertStatus
	Issuer         string
	UpdatedAt      time.Time
}

// CertificateKey identifies a certificate.
type CertificateKey struct {
	CertNo   string
	ItemCode string
}

// Key returns the certificate's identity.
func (c *Certificate) Key() CertificateKey {
	return CertificateKey{CertNo: c.CertNo, ItemCode: c.ItemCode}
}

// ValidOn reports whether the certificate is valid on day d as special-ops.md defines it: status
// VALID, ValidFrom ≤ d ≤ ValidUntil, and d ≤ ReviewDueDate or LastReviewDate ≥ ReviewDueDate.
// The recorded status alone is not trusted: the system's nightly batch lags.
func (c *Certificate) ValidOn(d Date) bool {
	if c.Status != CertValid {
		return false
	}
	if !c.ValidFrom.IsZero() && d.Before(c.ValidFrom) {
		return false
	}
	if c.ValidUntil.IsZero() || c.ValidUntil.Before(d) {
		return false
	}
	if c.ReviewDueDate.IsZero() || !c.ReviewDueDate.Before(d) {
		return true
	}
	return !c.LastReviewDate.IsZero() && !c.LastReviewDate.Before(c.ReviewDueDate)
}

// Alarm is one risk-monitoring alarm of the Quanzhou platform's 安全风险监测预警系统.
type Alarm struct {
	ID             string // bjid
	PlatformID     string // qyid of the enterprise
	USCC           string
	EnterpriseName string
	PointCode      string // jcdbm
	PointName      string // jcdmc
	Quantity       string // jcxm, e.g. 压差
	Unit           string // jldw
	Value          string // bjz, decimal string, "" for offline alarms
	Threshold      string // yz
	Type           string // bjlx: SX above, XX below, LX offline
	Level          int    // bjjb: 1 红 (most severe) … 4 蓝
	RaisedAt       time.Time
	RecoveredAt    time.Time // zero while active
	HandlingStatus string    // czzt: "0" 未处置, "1" 处置中, "2" 已处置
	HandlingNote   string    // czsm
	Handler        string    // czr
	HandledAt      time.Time // czsj
	UpdatedAt      time.Time // gxsj
}

// AlarmFeedback is the street's handling of an alarm (闭环), pushed to the platform.
type AlarmFeedback struct {
	AlarmID   string
	Status    string // "1" 处置中 or "2" 已处置
	Note      string
	Handler   string
	HandledAt time.Time
}

// Employment is a 用工登记 on the special-operations system, identified by
// (CertNo, ItemCode, EnterpriseUSCC).
type Employment struct {
	CertNo         string
	ItemCode       string
	IDNumber       string
	EnterpriseUSCC string
	EnterpriseName string
	StartDate      Date
	EndDate        Date   // zero: open-ended
	Status         string // ACTIVE or ENDED, as the system answers
	UpdatedAt      time.Time
}

// Severity separates problems that stop a record from those kept with it.
type Severity int

const (
	// SeverityError stops the record: it is quarantined, never pushed.
	SeverityError Severity = iota + 1
	// SeverityWarning is kept with the record and shown in reports.
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Problem is one field-level finding of normalization or validation.
type Problem struct {
	Field    string   // canonical English field name, e.g. "uscc"
	Label    string   // the field's Chinese name, e.g. 统一社会信用代码
	Value    string   // the value as given (callers mask ID numbers before showing it)
	Reason   string   // Chinese reason, e.g. 校验位错误
	Severity Severity // error or warning
}

// Error renders the problem the way the office reads it: 统一社会信用代码：校验位错误.
func (p Problem) Error() string { return p.Label + "：" + p.Reason }

// Problems are all findings for one record, errors and warnings together.
type Problems []Problem

// Errors returns only the findings that stop the record.
func (ps Problems) Errors() Problems { return ps.filter(SeverityError) }

// Warnings returns only the findings kept with the record.
func (ps Problems) Warnings() Problems { return ps.filter(SeverityWarning) }

// HasErrors reports whether any finding stops the record.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

func (ps Problems) filter(s Severity) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// Error joins the findings with "；" so that a record's whole story is one line.
func (ps Problems) Error() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Error()
	}
	return strings.Join(parts, "；")
}

// Date is a civil date without time zone (dates in both platforms and the workbook are days).
// The zero Date means "no date".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d is the empty date.
func (d Date) IsZero() bool { return d == Date{} }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// AddDays returns the date n days after d (n may be negative).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// After reports whether d is strictly after e.
func (d Date) After(e Date) bool { return e.Before(d) }

// String renders yyyy-MM-dd, or "" for the zero date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var b [10]byte
	return string(appendDate(b[:0], d.Year, int(d.Month), d.Day))
}

// MarshalText writes yyyy-MM-dd ("" for the zero date), so that JSON and YAML carry dates the way
// both platforms and the alert payloads write them.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	return appendDate(make([]byte, 0, 10), d.Year, int(d.Month), d.Day), nil
}

// UnmarshalText reads any form ParseDate accepts; "" is the zero date.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

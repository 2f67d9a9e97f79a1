package dataset

import "time"

// Dataset is everything one Generate call produced. Slices are in a stable order.
type Dataset struct {
	Params Params

	// Ledger is the street's enterprise ledger, one row of sheet 企业台账 each, in sheet order.
	Ledger []Enterprise
	// Roster is the street's special-operator roster, one row of sheet 特种作业人员 each.
	Roster []Operator
	// Platform is what the Quanzhou platform holds before any sync: most ledger enterprises
	// (some with portal edits), and a few the ledger lacks.
	Platform []Enterprise
	// Certificates are the provincial system's, for roster people and other people.
	Certificates []Certificate
	// Employments are the registrations the provincial system already holds.
	Employments []Employment
	// Alarms are the Quanzhou platform's risk-monitoring alarms.
	Alarms []Alarm
	// Bad lists the deliberately bad rows (Params.BadRecords), so tests know which to expect
	// rejected.
	Bad []BadRecord
	// Gaps lists how ledger and platform were made to differ, for reconciliation tests.
	Gaps Gaps

	// HazardLedger is the street's hazard ledger (sheet 隐患台账); PlatformHazards the platform's
	// hazards of the region: the street's pushed copies and the enterprises' own reports.
	HazardLedger    []Hazard
	PlatformHazards []Hazard
	// Inspections are the platform's 企业检查记录; Drills the street's 演练记录.
	Inspections []Inspection
	Drills      []Drill
	// HazardGaps lists how the hazard records were made, for sync, reconcile and rule tests.
	HazardGaps HazardGaps
}

// Enterprise is one enterprise with values in the Quanzhou platform's codes. Ledger rows and
// platform records use the same type; the workbook writer renders the ledger's labels.
type Enterprise struct {
	USCC             string
	Name             string
	LegalRep         string
	Principal        string
	Phone            string // digits only
	SafetyManager    string
	Address          string
	Region           string // 行政区划代码
	Community        string
	Industry         string // hylb code
	KeyRisks         string // zdlx: codes in canonical order joined by ",", "" for none
	Employees        int
	Status           string // qyzt "1".."4"
	FactoryInFactory bool
	Remark           string // ledger only

	// Platform-owned, set on platform records only.
	PlatformID      string // qyid
	Grade           string // bzhdj
	GradeValidUntil Day    // bzhyxq
	RiskMonitored   bool   // sfnrjcyj
	UpdatedAt       time.Time
	EmployeesAsText bool // an older record: the platform returns cyrs as a string
	PilotUSCC       bool // Fujian pilot code: check character wrong, inner organization code right
}

// Situation is the certificate situation the generator built for a roster entry; the names
// follow the alert rules of contracts/operator-interface.md.
type Situation string

const (
	SitValid         Situation = "VALID"
	SitRenewed       Situation = "VALID_RENEWED"      // an old expired certificate and a valid renewal
	SitUnknownItem   Situation = "VALID_UNKNOWN_ITEM" // valid, plus a certificate with an item no catalog knows
	SitLowerX        Situation = "VALID_LOWER_X"      // valid; the system writes the ID's final x in lower case
	SitNameVariant   Situation = "VALID_NAME_VARIANT" // names equal after normalization (spaces, middle dots)
	SitNoCertificate Situation = "NO_CERTIFICATE"
	SitItemMismatch  Situation = "ITEM_MISMATCH"
	SitExpiredDate   Situation = "CERT_EXPIRED"        // validUntil past, status still VALID (the nightly batch lags)
	SitExpiredStatus Situation = "CERT_EXPIRED_STATUS" // status EXPIRED
	SitReviewOverdue Situation = "REVIEW_OVERDUE"
	SitSuspended     Situation = "CERT_INVALID_SUSPENDED"
	SitRevoked       Situation = "CERT_INVALID_REVOKED"
	SitCancelled     Situation = "CERT_INVALID_CANCELLED"
	SitExpiringSoon  Situation = "EXPIRING_SOON"
	SitReviewDueSoon Situation = "REVIEW_DUE_SOON"
	SitBothSoon      Situation = "EXPIRING_AND_REVIEW_DUE_SOON"
	SitNameMismatch  Situation = "NAME_MISMATCH"
	SitOffDuty       Situation = "OFF_DUTY" // 离岗日期 past: not evaluated
)

// Operator is one roster row: a person doing one special operation at one enterprise.
type Operator struct {
	Name           string // as the roster writes it
	IDNumber       string // canonical: upper-case X
	IDText         string // as the workbook writes it (a few with lower-case x)
	Phone          string // digits only
	EnterpriseUSCC string
	ItemCode       string
	ItemText       string // 操作项目 as written: name, code or short form
	CategoryText   string // 作业类别 as written, "" sometimes
	StartDate      Day
	EndDate        Day // zero while on duty
	Remark         string

	// Situation is what the generator built; Expect lists the alert rules that fire for this
	// entry on Params.Reference with a 60-day warning window (nil when none).
	Situation Situation
	Expect    []string
}

// Certificate is one special-operation certificate of the provincial system.
type Certificate struct {
	CertNo         string
	HolderName     string
	IDNumber       string // as the system holds it: final x sometimes lower-case
	Gender         string // "1" 男, "2" 女
	CategoryCode   string
	CategoryName   string
	ItemCode       string
	ItemName       string
	FirstIssueDate Day
	ValidFrom      Day
	ValidUntil     Day
	ReviewDueDate  Day
	LastReviewDate Day // zero: never reviewed
	Status         string
	Issuer         string
	UpdatedAt      time.Time
	OnRoster       bool // the holder is on the street's roster (false: province-wide noise)
}

// Employment is a 用工登记 the provincial system already holds.
type Employment struct {
	CertNo         string
	ItemCode       string
	IDNumber       string
	EnterpriseUSCC string
	EnterpriseName string
	StartDate      Day
	EndDate        Day
	UpdatedAt      time.Time
}

// Alarm is one risk-monitoring alarm in the Quanzhou platform's terms.
type Alarm struct {
	ID             string // bjid
	PlatformID     string // qyid
	USCC           string
	EnterpriseName string
	PointCode      string
	PointName      string
	Quantity       string
	Unit           string
	Value          string
	Threshold      string
	Type           string // SX XX LX
	Level          int    // 1..4
	RaisedAt       time.Time
	RecoveredAt    time.Time // zero while active
	HandlingStatus string    // "0" "1" "2"
	HandlingNote   string
	Handler        string
	HandledAt      time.Time
	UpdatedAt      time.Time
}

// BadKind says what is wrong with a deliberately bad row.
type BadKind string

const (
	BadUSCCCheck       BadKind = "uscc_check"       // 统一社会信用代码 with a wrong check character
	BadIDCheck         BadKind = "id_check"         // 身份证号 with a wrong check digit
	BadMissingRequired BadKind = "missing_required" // a required column left empty
)

// BadRecord points at a deliberately bad row.
type BadRecord struct {
	Sheet  string // 企业台账 or 特种作业人员
	Index  int    // index into Ledger or Roster
	Row    int    // the sheet's row number (header is row 1)
	Kind   BadKind
	Column string // the workbook header of the bad cell
}

// Gaps records how the ledger and the platform were made to differ.
type Gaps struct {
	OnlyInLedger   []string // USCCs the platform lacks (应统尽统 gap)
	OnlyOnPlatform []string // USCCs the ledger lacks
	Different      []string // USCCs whose street-owned fields were edited on the portal
}

package mapping

import (
	"slices"
	"strings"
	"time"
)

// The field tables: one descriptor per field of the enterprise and of the special-operator
// roster. Everything that handles a field by name is driven from here — the conversions from
// and to the Quanzhou wire and the workbook, normalization, validation and length limits, the
// workbook's columns, the content hashes, the reconcile field list, the connector's decoder and
// the ledger's columns — so that a new field is one descriptor here plus its struct fields
// (Enterprise in types.go, QZEnterprise in wire.go) and a ledger migration. README.md, "Adding a
// field", walks through it.
//
// The mocks keep their own wire structs on purpose: they play the platform, and must not share a
// mistake with the client.

// Length limits in characters. The Quanzhou contract names no lengths; these follow issue 16
// (names 100, addresses 200, remarks 500) and leave room above anything real for the rest.
// Codes with their own shape check get a generous limit that only stops garbage.
const (
	maxCodeRunes      = 50  // USCC, ID number, region code, platform id, catalog codes
	maxPersonRunes    = 50  // a person's name (transliterated names run to about 20)
	maxPeopleRunes    = 100 // 安全管理人员: may list several people
	maxNameRunes      = 100 // 企业名称
	maxAddressRunes   = 200 // 经营地址
	maxRemarkRunes    = 500 // 备注, 处置说明
	maxPhoneRunes     = 30  // a phone as written: +86, area code, separators
	maxCommunityRunes = 50  // 所属社区
	maxCatalogRunes   = 100 // a catalog name, an issuing authority, a monitoring point
	maxLabelRunes     = 20  // a code or its label: 行业类别, 企业状态, 标准化等级, 证书状态 …
	maxListRunes      = 100 // 重点类型 as written: all seven labels with separators fit
	maxFlagRunes      = 10  // 是/否, 1/0, 待核实/已核实
	maxDateRunes      = 30  // a date or time as written, in any accepted form
)

// MaxCellRunes is the largest length limit of any field: no workbook cell longer than this (in
// characters) can hold a valid value, so a reader may refuse it before reading it whole.
const MaxCellRunes = maxRemarkRunes

// EnterpriseTable describes every enterprise field, in the order of the Enterprise struct (the
// order of the workbook's columns and of reported problems). Do not modify it.
var EnterpriseTable = prepared([]*Field[Enterprise]{
	{Name: "uscc", Label: labelUSCC, Column: ColumnRequired, Wire: "tyshxydm", Ledger: "uscc", Owner: OwnerStreet,
		Headers: []string{"社会信用代码", "信用代码", "USCC", "统一代码", "社会统一信用代码", "企业统一社会信用代码",
			"统一信用代码", "统一社会信用代码证号", "单位统一社会信用代码"},
		MaxRunes: maxCodeRunes, Required: true,
		kind: KindText, text: func(e *Enterprise) *string { return &e.USCC }, rules: rulesCode,
		check: usccProblem, qz: func(q *QZEnterprise) *string { return &q.Tyshxydm }},
	{Name: "name", Label: labelName, Column: ColumnRequired, Wire: "qymc", Ledger: "name", Owner: OwnerStreet,
		Headers:  []string{"单位名称", "公司名称", "企业全称", "名称", "企业单位名称"},
		MaxRunes: maxNameRunes, Required: true, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return &e.Name }, rules: rulesCompanyName,
		qz: func(q *QZEnterprise) *string { return &q.Qymc }},
	{Name: "legalRep", Label: labelLegalRep, Column: ColumnRequired, Wire: "fddbr", Ledger: "legal_rep", Owner: OwnerStreet,
		Headers:  []string{"法人", "法人代表", "法定代表人姓名", "法定代表", "法人姓名"},
		MaxRunes: maxPersonRunes, Required: true, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return &e.LegalRep }, rules: rulesPersonName,
		qz: func(q *QZEnterprise) *string { return &q.Fddbr }},
	{Name: "principal", Label: labelPrincipal, Column: ColumnRequired, Wire: "zyfzr", Ledger: "principal", Owner: OwnerStreet,
		Headers:  []string{"负责人", "企业负责人", "主要负责人姓名"},
		MaxRunes: maxPersonRunes, Required: true, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return &e.Principal }, rules: rulesPersonName,
		qz: func(q *QZEnterprise) *string { return &q.Zyfzr }},
	{Name: "principalPhone", Label: labelPrincipalPhone, Column: ColumnRequired, Wire: "zyfzrlxdh", Ledger: "principal_phone",
		Owner: OwnerStreet,
		Headers: []string{"负责人电话", "联系电话", "主要负责人联系电话", "负责人联系电话", "主要负责人手机", "负责人手机",
			"联系方式", "主要负责人联系方式", "电话"},
		MaxRunes: maxPhoneRunes, Required: true, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return &e.PrincipalPhone }, rules: rulesPhone, canon: phoneForm,
		check: phoneProblem, qz: func(q *QZEnterprise) *string { return &q.Zyfzrlxdh }},
	{Name: "safetyManager", Label: labelSafetyManager, Column: ColumnOptional, Wire: "aqglry", Ledger: "safety_manager",
		Owner:    OwnerStreet,
		Headers:  []string{"安全管理员", "安全员", "安全管理人", "专职安全管理人员", "安全管理人员姓名"},
		MaxRunes: maxPeopleRunes, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return &e.SafetyManager }, rules: rulesPersonName,
		qz: func(q *QZEnterprise) *string { return &q.Aqglry }},
	{Name: "address", Label: labelAddress, Column: ColumnRequired, Wire: "jydz", Ledger: "address", Owner: OwnerStreet,
		Headers:  []string{"地址", "企业地址", "生产经营地址", "经营场所", "详细地址", "生产地址", "单位地址", "注册地址"},
		MaxRunes: maxAddressRunes, Required: true, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return &e.Address }, rules: rulesCompanyName,
		qz: func(q *QZEnterprise) *string { return &q.Jydz }},
	// The region code comes from the config when the ledger holds none; it is not compared.
	{Name: "regionCode", Label: labelRegionCode, Wire: "xzqhdm", Ledger: "region_code", Owner: OwnerStreet,
		MaxRunes: maxCodeRunes,
		kind:     KindText, text: func(e *Enterprise) *string { return &e.RegionCode }, rules: rulesCode,
		check: regionCodeProblem, qz: func(q *QZEnterprise) *string { return &q.Xzqhdm }},
	// The platform's records may lack a community (a warning); the workbook requires one.
	{Name: "community", Label: labelCommunity, Column: ColumnRequired, Wire: "sqmc", Ledger: "community", Owner: OwnerStreet,
		Headers:  []string{"社区", "所在社区", "社区名称", "所属村居", "村居", "所属社区名称"},
		MaxRunes: maxCommunityRunes, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return &e.Community }, rules: rulesCommunity,
		ifEmpty: reasonNoCommunity, qz: func(q *QZEnterprise) *string { return &q.Sqmc }},
	{Name: "industry", Label: labelIndustry, Column: ColumnRequired, Wire: "hylb", Ledger: "industry", Owner: OwnerStreet,
		Headers:  []string{"行业", "所属行业", "行业分类", "行业类型", "行业类别名称"},
		MaxRunes: maxLabelRunes, Required: true, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return (*string)(&e.Industry) },
		canon: func(s string) string { i, _ := ParseIndustry(s); return string(i) },
		label: func(s string) string { return Industry(s).Label() },
		check: knownCode(func(s string) bool { return Industry(s).Known() }, reasonIndustry),
		qz:    func(q *QZEnterprise) *string { return &q.Hylb }},
	{Name: "keyRisks", Label: labelKeyRisks, Column: ColumnOptional, Wire: "zdlx", Ledger: "key_risks", Owner: OwnerStreet,
		Headers:  []string{"重点行业类型", "重点类别", "重点领域", "风险类型", "涉及重点类型", "重点行业领域", "重点行业"},
		MaxRunes: maxListRunes, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindList, list: func(e *Enterprise) *[]KeyRisk { return &e.KeyRisks },
		qz: func(q *QZEnterprise) *string { return &q.Zdlx }},
	{Name: "employees", Label: labelEmployees, Column: ColumnOptional, Wire: "cyrs", Ledger: "employees", Owner: OwnerStreet,
		Headers:  []string{"员工人数", "职工人数", "从业人员数", "人数", "从业人员", "员工数", "从业人员数量"},
		MaxRunes: maxLabelRunes, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindCount, count: func(e *Enterprise) *int { return &e.Employees },
		qz: func(q *QZEnterprise) *string { return (*string)(&q.Cyrs) }},
	{Name: "status", Label: labelStatus, Column: ColumnRequired, Wire: "qyzt", Ledger: "status", Owner: OwnerStreet,
		Headers:  []string{"经营状态", "状态", "生产状态", "营业状态"},
		MaxRunes: maxLabelRunes, Required: true, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return (*string)(&e.Status) },
		canon: func(s string) string { st, _ := ParseEnterpriseStatus(s); return string(st) },
		label: func(s string) string { return EnterpriseStatus(s).Label() },
		check: knownCode(func(s string) bool { return EnterpriseStatus(s).Known() }, reasonStatus),
		qz:    func(q *QZEnterprise) *string { return &q.Qyzt }},
	{Name: "factoryInFactory", Label: labelFactoryInside, Column: ColumnOptional, Wire: "sfczc", Ledger: "factory_in_factory",
		Owner: OwnerStreet, Headers: []string{"厂中厂", "是否为厂中厂"},
		MaxRunes: maxFlagRunes, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindFlag, flag: func(e *Enterprise) *bool { return &e.FactoryInFactory },
		qz: func(q *QZEnterprise) *string { return &q.Sfczc }},
	// The remark is the street's own note: kept in the ledger, never pushed.
	{Name: "remark", Label: labelRemark, Column: ColumnOptional, Ledger: "remark", Owner: OwnerStreet,
		Headers:  []string{"说明", "备注说明"},
		MaxRunes: maxRemarkRunes,
		kind:     KindText, text: func(e *Enterprise) *string { return &e.Remark }, rules: ruleClean},

	// The platform id identifies the record on the platform: it is sent with a push, hashed with
	// the platform's fields, and not compared.
	{Name: "platformId", Label: labelPlatformID, Column: ColumnReadOnly, Wire: "qyid", Ledger: "platform_id",
		Owner: OwnerPlatform, Headers: []string{"企业ID", "QYID", "平台ID", "平台企业编号"},
		MaxRunes: maxCodeRunes, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return &e.PlatformID }, rules: rulesCode,
		qz: func(q *QZEnterprise) *string { return &q.Qyid }},
	{Name: "grade", Label: labelGrade, Column: ColumnReadOnly, Wire: "bzhdj", Ledger: "grade", Owner: OwnerPlatform,
		Headers:  []string{"安全生产标准化等级", "标准化达标等级"},
		MaxRunes: maxLabelRunes, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(e *Enterprise) *string { return (*string)(&e.Grade) },
		canon: func(s string) string { g, _ := ParseGrade(s); return string(g) },
		label: func(s string) string { return Grade(s).Label() },
		check: knownCode(func(s string) bool { return Grade(s).Known() }, reasonGrade),
		qz:    func(q *QZEnterprise) *string { return &q.Bzhdj }},
	{Name: "gradeValidUntil", Label: labelGradeValidUntil, Column: ColumnReadOnly, Wire: "bzhyxq", Ledger: "grade_valid_until",
		Owner: OwnerPlatform, Headers: []string{"标准化证书有效期", "标准化有效期至"},
		MaxRunes: maxDateRunes, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindDate, date: func(e *Enterprise) *Date { return &e.GradeValidUntil },
		qz: func(q *QZEnterprise) *string { return &q.Bzhyxq }},
	{Name: "riskMonitored", Label: labelRiskMonitored, Column: ColumnReadOnly, Wire: "sfnrjcyj", Ledger: "risk_monitored",
		Owner: OwnerPlatform, Headers: []string{"纳入监测预警", "是否纳入安全风险监测预警"},
		MaxRunes: maxFlagRunes, Compared: true, Hashed: true, hashEmpty: true,
		kind: KindFlag, flag: func(e *Enterprise) *bool { return &e.RiskMonitored },
		qz: func(q *QZEnterprise) *string { return &q.Sfnrjcyj }},
	// gxsj changes without the content changing: neither compared nor hashed.
	{Name: "updatedAt", Label: labelUpdatedAt, Wire: "gxsj", Ledger: "platform_updated_at", Owner: OwnerPlatform,
		MaxRunes: maxDateRunes,
		kind:     KindTime, time: func(e *Enterprise) *time.Time { return &e.UpdatedAt },
		qz: func(q *QZEnterprise) *string { return &q.Gxsj }},

	// 核实状态: export writes it, import reads it back, so that a round trip through the workbook
	// does not confirm what nobody confirmed (an empty cell confirms, as a row without it does).
	{Name: "pendingReview", Label: labelReview, Column: ColumnOptional, Ledger: "pending_review", Owner: OwnerLedger,
		Headers:  []string{"核实情况", "是否核实", "是否已核实"},
		MaxRunes: maxFlagRunes,
		kind:     KindFlag, flag: func(e *Enterprise) *bool { return &e.PendingReview }, words: [2]string{textPending, textConfirmed}},
})

// OperatorTable describes every field of a roster entry, in the order of the Operator struct.
// The catalog decides the category and item (NormalizeOperator, the item's check). Do not modify
// it.
var OperatorTable = prepared([]*Field[Operator]{
	{Name: "name", Label: labelPersonName, Column: ColumnRequired, Ledger: "name", Owner: OwnerStreet,
		Headers:  []string{"人员姓名", "作业人员姓名", "持证人", "持证人姓名", "特种作业人员姓名"},
		MaxRunes: maxPersonRunes, Required: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(o *Operator) *string { return &o.Name }, rules: rulesPersonName},
	{Name: "idNumber", Label: labelIDNumber, Column: ColumnRequired, Ledger: "id_number", Owner: OwnerStreet,
		Headers:  []string{"身份证号码", "证件号码", "身份证", "公民身份号码", "身份证件号码", "证件号"},
		MaxRunes: maxCodeRunes, Required: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(o *Operator) *string { return &o.IDNumber }, rules: rulesCode, canon: idForm,
		check: idProblem},
	{Name: "phone", Label: labelPhone, Column: ColumnOptional, Ledger: "phone", Owner: OwnerStreet,
		Headers:  []string{"电话", "手机", "手机号", "手机号码", "联系方式"},
		MaxRunes: maxPhoneRunes, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(o *Operator) *string { return &o.Phone }, rules: rulesPhone, canon: phoneForm,
		check: phoneProblem},
	{Name: "enterpriseUscc", Label: labelEnterpriseUSCC, Column: ColumnRequired, Ledger: "enterprise_uscc", Owner: OwnerStreet,
		Headers: []string{"企业统一社会信用代码", "统一社会信用代码", "所在企业信用代码", "企业信用代码", "单位统一社会信用代码",
			"社会信用代码", "信用代码"},
		MaxRunes: maxCodeRunes, Required: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(o *Operator) *string { return &o.EnterpriseUSCC }, rules: rulesCode,
		check: usccProblem},
	{Name: "categoryCode", Label: labelCategory, Column: ColumnOptional, Ledger: "category_code", Owner: OwnerStreet,
		Headers:  []string{"类别", "作业种类", "特种作业类别"},
		MaxRunes: maxCodeRunes, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(o *Operator) *string { return &o.CategoryCode }},
	{Name: "itemCode", Label: labelItem, Column: ColumnRequired, Ledger: "item_code", Owner: OwnerStreet,
		Headers:  []string{"准操项目", "作业项目", "准操作项目", "项目", "特种作业操作项目", "工种"},
		MaxRunes: maxCodeRunes, Required: true, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(o *Operator) *string { return &o.ItemCode }},
	{Name: "startDate", Label: labelStartDate, Column: ColumnRequired, Ledger: "start_date", Owner: OwnerStreet,
		Headers:  []string{"上岗时间", "入职日期"},
		MaxRunes: maxDateRunes, Required: true, Hashed: true, hashEmpty: true,
		kind: KindDate, date: func(o *Operator) *Date { return &o.StartDate }},
	{Name: "endDate", Label: labelEndDate, Column: ColumnOptional, Ledger: "end_date", Owner: OwnerStreet,
		Headers:  []string{"离岗时间", "离职日期"},
		MaxRunes: maxDateRunes, Hashed: true, hashEmpty: true,
		kind: KindDate, date: func(o *Operator) *Date { return &o.EndDate }},
	{Name: "remark", Label: labelRemark, Column: ColumnOptional, Ledger: "remark", Owner: OwnerStreet,
		Headers:  []string{"说明", "备注说明"},
		MaxRunes: maxRemarkRunes, Hashed: true, hashEmpty: true,
		kind: KindText, text: func(o *Operator) *string { return &o.Remark }, rules: ruleClean},
})

// certificateTexts are the text fields of a certificate pulled from the special-operations
// system, for their length limits (normalization and the other checks are specialops.go's).
var certificateTexts = prepared([]*Field[Certificate]{
	{Name: "certNo", Label: labelCertNo, MaxRunes: maxCodeRunes, kind: KindText,
		text: func(c *Certificate) *string { return &c.CertNo }},
	{Name: "holderName", Label: labelHolderName, MaxRunes: maxPersonRunes, kind: KindText,
		text: func(c *Certificate) *string { return &c.HolderName }},
	{Name: "idNumber", Label: labelIDNumber, MaxRunes: maxCodeRunes, kind: KindText,
		text: func(c *Certificate) *string { return &c.IDNumber }},
	{Name: "gender", Label: labelGender, MaxRunes: maxFlagRunes, kind: KindText,
		text: func(c *Certificate) *string { return &c.Gender }},
	{Name: "categoryCode", Label: labelCategory, MaxRunes: maxCodeRunes, kind: KindText,
		text: func(c *Certificate) *string { return &c.CategoryCode }},
	{Name: "categoryName", Label: labelCategoryName, MaxRunes: maxCatalogRunes, kind: KindText,
		text: func(c *Certificate) *string { return &c.CategoryName }},
	{Name: "itemCode", Label: labelItem, MaxRunes: maxCodeRunes, kind: KindText,
		text: func(c *Certificate) *string { return &c.ItemCode }},
	{Name: "itemName", Label: labelItemName, MaxRunes: maxCatalogRunes, kind: KindText,
		text: func(c *Certificate) *string { return &c.ItemName }},
	{Name: "status", Label: labelCertStatus, MaxRunes: maxLabelRunes, kind: KindText,
		text: func(c *Certificate) *string { return (*string)(&c.Status) }},
	{Name: "issuer", Label: labelIssuer, MaxRunes: maxCatalogRunes, kind: KindText,
		text: func(c *Certificate) *string { return &c.Issuer }},
})

// alarmTexts are the text fields of a risk-monitoring alarm, for their length limits. An alarm is
// the platform's record and better kept than lost: a value over its limit is a warning, and cut.
var alarmTexts = prepared([]*Field[Alarm]{
	{Name: "id", Label: labelAlarmID, Owner: OwnerPlatform, MaxRunes: maxCodeRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.ID }},
	{Name: "platformId", Label: labelPlatformID, Owner: OwnerPlatform, MaxRunes: maxCodeRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.PlatformID }},
	{Name: "uscc", Label: labelUSCC, Owner: OwnerPlatform, MaxRunes: maxCodeRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.USCC }},
	{Name: "enterpriseName", Label: labelName, Owner: OwnerPlatform, MaxRunes: maxNameRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.EnterpriseName }},
	{Name: "pointCode", Label: labelPointCode, Owner: OwnerPlatform, MaxRunes: maxCodeRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.PointCode }},
	{Name: "pointName", Label: labelPointName, Owner: OwnerPlatform, MaxRunes: maxCatalogRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.PointName }},
	{Name: "quantity", Label: labelQuantity, Owner: OwnerPlatform, MaxRunes: maxLabelRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.Quantity }},
	{Name: "unit", Label: labelUnit, Owner: OwnerPlatform, MaxRunes: maxLabelRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.Unit }},
	{Name: "value", Label: labelAlarmValue, Owner: OwnerPlatform, MaxRunes: maxLabelRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.Value }},
	{Name: "threshold", Label: labelThreshold, Owner: OwnerPlatform, MaxRunes: maxLabelRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.Threshold }},
	{Name: "type", Label: labelAlarmType, Owner: OwnerPlatform, MaxRunes: maxFlagRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.Type }},
	{Name: "handlingStatus", Label: labelHandling, Owner: OwnerPlatform, MaxRunes: maxFlagRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.HandlingStatus }},
	{Name: "handlingNote", Label: labelHandlingNote, Owner: OwnerPlatform, MaxRunes: maxRemarkRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.HandlingNote }},
	{Name: "handler", Label: labelHandler, Owner: OwnerPlatform, MaxRunes: maxPersonRunes, kind: KindText,
		text: func(a *Alarm) *string { return &a.Handler }},
})

// EnterpriseFields lists the enterprise fields reconcile compares, in the contract's order (its
// `fields` names). The key (uscc), the region code, the remark, the platform id, gxsj and the
// review flag are not compared.
var EnterpriseFields = compared(EnterpriseTable)

// Detached returns a copy of e that owns its text. A record decoded from a platform page holds
// slices of the page (connectors/quanzhou decodes a page with one copy); one kept after the rest
// of the page is dropped must not keep the whole page alive. Driven by the table: a field added
// there is detached too.
func (e *Enterprise) Detached() Enterprise {
	c := *e
	for _, f := range EnterpriseTable {
		switch f.kind {
		case KindText:
			t := f.textAt(&c)
			*t = strings.Clone(*t)
		case KindList:
			l := f.listAt(&c)
			*l = slices.Clone(*l)
			for i, k := range *l {
				(*l)[i] = KeyRisk(strings.Clone(string(k)))
			}
		}
	}
	return c
}

// FieldsOwnedBy returns the compared enterprise fields owned by o.
func FieldsOwnedBy(o Owner) []*Field[Enterprise] {
	var out []*Field[Enterprise]
	for _, f := range EnterpriseFields {
		if f.Owner == o {
			out = append(out, f)
		}
	}
	return out
}

// EnterpriseField returns the enterprise field of a canonical name.
func EnterpriseField(name string) (*Field[Enterprise], bool) {
	for _, f := range EnterpriseTable {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

func compared(table []*Field[Enterprise]) []*Field[Enterprise] {
	var out []*Field[Enterprise]
	for _, f := range table {
		if f.Compared {
			out = append(out, f)
		}
	}
	return out
}

// The checks the tables name (with usccProblem, idProblem and phoneProblem of validate.go). Each
// sees a normalized, non-empty text within its length limit.

// knownCode checks a code against its list.
func knownCode(known func(string) bool, reason string) func(string, *settings) (string, Severity) {
	return func(s string, _ *settings) (string, Severity) {
		if known(s) {
			return "", 0
		}
		return reason, 0
	}
}

func regionCodeProblem(s string, _ *settings) (string, Severity) {
	if len(s) != 9 || !allDigits(s) {
		return reasonRegionCode, 0
	}
	return "", 0
}

func joinKeyRisks(ks []KeyRisk) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = string(k)
	}
	return strings.Join(parts, ",")
}

func boolFlag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

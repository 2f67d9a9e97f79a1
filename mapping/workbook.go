package mapping

import (
	"sort"
	"strings"
)

// The street's ledger workbook (operator-interface.md, "Ledger workbook"): rows as header → cell
// text maps. People name the columns in many ways (信用代码, 单位名称, 联系电话 …), mark required
// ones with *, and add hints in parentheses (从业人数（人）); the sheet's own header text is
// accepted as is and resolved here. Problems name the column as the sheet writes it, so that the
// importer can report sheet, row, column, value and reason.

// Sheet is one sheet of the ledger workbook; its value is the sheet's name.
type Sheet string

const (
	SheetEnterprises Sheet = "企业台账"
	SheetOperators   Sheet = "特种作业人员"
)

// column is one column of a sheet.
type column struct {
	header   string   // canonical Chinese header
	field    string   // canonical English field name (Problem.Field)
	required bool     // a row without it is rejected
	readOnly bool     // written by export, ignored by import
	variants []string // other headers people use, in header-key form
}

// The enterprise sheet's columns, in export order.
var enterpriseColumns = []column{
	{labelUSCC, "uscc", true, false, []string{"社会信用代码", "信用代码", "USCC", "统一代码", "社会统一信用代码",
		"企业统一社会信用代码", "统一信用代码", "统一社会信用代码证号", "单位统一社会信用代码"}},
	{labelName, "name", true, false, []string{"单位名称", "公司名称", "企业全称", "名称", "企业单位名称"}},
	{labelLegalRep, "legalRep", true, false, []string{"法人", "法人代表", "法定代表人姓名", "法定代表", "法人姓名"}},
	{labelPrincipal, "principal", true, false, []string{"负责人", "企业负责人", "主要负责人姓名"}},
	{labelPrincipalPhone, "principalPhone", true, false, []string{"负责人电话", "联系电话", "主要负责人联系电话",
		"负责人联系电话", "主要负责人手机", "负责人手机", "联系方式", "主要负责人联系方式", "电话"}},
	{labelSafetyManager, "safetyManager", false, false, []string{"安全管理员", "安全员", "安全管理人",
		"专职安全管理人员", "安全管理人员姓名"}},
	{labelAddress, "address", true, false, []string{"地址", "企业地址", "生产经营地址", "经营场所", "详细地址",
		"生产地址", "单位地址", "注册地址"}},
	{labelCommunity, "community", true, false, []string{"社区", "所在社区", "社区名称", "所属村居", "村居", "所属社区名称"}},
	{labelIndustry, "industry", true, false, []string{"行业", "所属行业", "行业分类", "行业类型", "行业类别名称"}},
	{labelKeyRisks, "keyRisks", false, false, []string{"重点行业类型", "重点类别", "重点领域", "风险类型",
		"涉及重点类型", "重点行业领域", "重点行业"}},
	{labelEmployees, "employees", false, false, []string{"员工人数", "职工人数", "从业人员数", "人数", "从业人员",
		"员工数", "从业人员数量"}},
	{labelStatus, "status", true, false, []string{"经营状态", "状态", "生产状态", "营业状态"}},
	{labelFactoryInside, "factoryInFactory", false, false, []string{"厂中厂", "是否为厂中厂"}},
	{labelRemark, "remark", false, false, []string{"说明", "备注说明"}},
	{labelPlatformID, "platformId", false, true, []string{"企业ID", "QYID", "平台ID", "平台企业编号"}},
	{labelGrade, "grade", false, true, []string{"安全生产标准化等级", "标准化达标等级"}},
	{labelGradeValidUntil, "gradeValidUntil", false, true, []string{"标准化证书有效期", "标准化有效期至"}},
	{labelRiskMonitored, "riskMonitored", false, true, []string{"纳入监测预警", "是否纳入安全风险监测预警"}},
}

// The operator sheet's columns, in export order.
var operatorColumns = []column{
	{labelPersonName, "name", true, false, []string{"人员姓名", "作业人员姓名", "持证人", "持证人姓名", "特种作业人员姓名"}},
	{labelIDNumber, "idNumber", true, false, []string{"身份证号码", "证件号码", "身份证", "公民身份号码",
		"身份证件号码", "证件号"}},
	{labelPhone, "phone", false, false, []string{"电话", "手机", "手机号", "手机号码", "联系方式"}},
	{labelEnterpriseUSCC, "enterpriseUscc", true, false, []string{"企业统一社会信用代码", "统一社会信用代码",
		"所在企业信用代码", "企业信用代码", "单位统一社会信用代码", "社会信用代码", "信用代码"}},
	{labelCategory, "categoryCode", false, false, []string{"类别", "作业种类", "特种作业类别"}},
	{labelItem, "itemCode", true, false, []string{"准操项目", "作业项目", "准操作项目", "项目", "特种作业操作项目", "工种"}},
	{labelStartDate, "startDate", true, false, []string{"上岗时间", "入职日期"}},
	{labelEndDate, "endDate", false, false, []string{"离岗时间", "离职日期"}},
	{labelRemark, "remark", false, false, []string{"说明", "备注说明"}},
}

func (s Sheet) columns() []column {
	if s == SheetOperators {
		return operatorColumns
	}
	return enterpriseColumns
}

// Headers returns the sheet's canonical headers in export order.
func (s Sheet) Headers() []string {
	cols := s.columns()
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.header
	}
	return out
}

// RequiredHeaders returns the headers a row must fill.
func (s Sheet) RequiredHeaders() []string {
	var out []string
	for _, c := range s.columns() {
		if c.required {
			out = append(out, c.header)
		}
	}
	return out
}

// ReadOnlyHeaders returns the headers export fills and import ignores.
func (s Sheet) ReadOnlyHeaders() []string {
	var out []string
	for _, c := range s.columns() {
		if c.readOnly {
			out = append(out, c.header)
		}
	}
	return out
}

// MissingHeaders returns the required headers that none of headers (as the sheet writes them)
// stands for.
func (s Sheet) MissingHeaders(headers []string) []string {
	have := make(map[string]bool, len(headers))
	for _, h := range headers {
		if c, ok := s.CanonicalHeader(h); ok {
			have[c] = true
		}
	}
	var out []string
	for _, h := range s.RequiredHeaders() {
		if !have[h] {
			out = append(out, h)
		}
	}
	return out
}

// headerKey is the form headers are compared in: cleaned, folded, upper-case, without white space,
// required markers (*), hints in parentheses or brackets, or a trailing colon.
func headerKey(s string) string {
	k := rewrite(s, rulesKey)
	if strings.ContainsAny(k, "*([【") {
		var b strings.Builder
		depth := 0
		for _, r := range k {
			switch r {
			case '(', '[', '【', '（':
				depth++
			case ')', ']', '】', '）':
				if depth > 0 {
					depth--
				}
			case '*':
			default:
				if depth == 0 {
					b.WriteRune(r)
				}
			}
		}
		k = b.String()
	}
	return strings.TrimRight(k, ":：")
}

// column returns the index of the column header stands for.
func (s Sheet) column(header string) (int, bool) {
	k := headerKey(header)
	if k == "" {
		return 0, false
	}
	cols := s.columns()
	for i, c := range cols {
		if c.header == k {
			return i, true
		}
	}
	for i, c := range cols {
		for _, v := range c.variants {
			if v == k {
				return i, true
			}
		}
	}
	return 0, false
}

// CanonicalHeader returns the canonical header that text (a header as a sheet writes it) stands
// for in this sheet.
func (s Sheet) CanonicalHeader(text string) (string, bool) {
	i, ok := s.column(text)
	if !ok {
		return "", false
	}
	return s.columns()[i].header, true
}

// CanonicalHeader resolves a header without knowing the sheet: a canonical header of either sheet
// stands for itself, other variants are looked up in the enterprise sheet first. Variants mean
// different columns in the two sheets (联系电话, 统一社会信用代码), so when the sheet is known, use
// Sheet.CanonicalHeader; EnterpriseFromRow and OperatorFromRow resolve their rows' headers
// themselves.
func CanonicalHeader(text string) (string, bool) {
	k := headerKey(text)
	for _, s := range []Sheet{SheetEnterprises, SheetOperators} {
		for _, c := range s.columns() {
			if c.header == k {
				return k, true
			}
		}
	}
	if h, ok := SheetEnterprises.CanonicalHeader(text); ok {
		return h, true
	}
	return SheetOperators.CanonicalHeader(text)
}

// DetectSheet tells from a header row which sheet it belongs to (a CSV file holds one of the
// two): a row naming an ID number or an operation item is the operator sheet, one naming a credit
// code or an enterprise name the enterprise sheet.
func DetectSheet(headers []string) (Sheet, bool) {
	enterprise := false
	for _, h := range headers {
		if c, ok := SheetOperators.CanonicalHeader(h); ok && (c == labelIDNumber || c == labelItem) {
			return SheetOperators, true
		}
		if c, ok := SheetEnterprises.CanonicalHeader(h); ok && (c == labelUSCC || c == labelName) {
			enterprise = true
		}
	}
	return SheetEnterprises, enterprise
}

// cell is one column's value in a row, with the header the sheet used.
type cell struct {
	header string
	value  string
}

// readRow resolves a row's headers against the sheet's columns. When two headers stand for the
// same column (信用代码 and 统一社会信用代码), a non-empty value wins over an empty one; two different
// non-empty values are a problem.
func (s Sheet) readRow(row map[string]string, ps *Problems) []cell {
	cols := s.columns()
	cells := make([]cell, len(cols))
	keys := make([]string, 0, len(row))
	for k := range row {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a deterministic choice among duplicate columns
	for _, k := range keys {
		i, ok := s.column(k)
		if !ok {
			continue
		}
		v := row[k]
		switch c := &cells[i]; {
		case c.header == "" || CleanText(c.value) == "":
			c.header, c.value = k, v
		case CleanText(v) != "" && CleanText(v) != CleanText(c.value):
			ps.add(cols[i].field, k, v, reasonDuplicateColumn, SeverityError)
		}
	}
	return cells
}

// relabel names each problem's column as the sheet writes it and shows the cell as written.
// Problems about one key-risk entry keep that entry as their value.
func (s Sheet) relabel(ps Problems, cells []cell) {
	cols := s.columns()
	for i := range ps {
		if ps[i].Reason == reasonDuplicateColumn {
			continue // already names the second column
		}
		for j, c := range cols {
			if c.field != ps[i].Field {
				continue
			}
			ps[i].Label = c.header
			if cells[j].header != "" {
				ps[i].Label = cells[j].header
				if c.field != "keyRisks" {
					ps[i].Value = cells[j].value
				}
			}
			break
		}
	}
}

// EnterpriseFromRow converts one row of the enterprise sheet (headers as the sheet writes them,
// canonical or variant) into a normalized, validated enterprise. Besides ValidateEnterprise's
// rules the workbook requires 所属社区. Read-only columns are ignored. cat is not used by this
// sheet; it is taken so that both sheets convert alike.
func EnterpriseFromRow(row map[string]string, cat *Catalog) (Enterprise, Problems) {
	_ = cat
	var ps Problems
	cells := SheetEnterprises.readRow(row, &ps)
	get := func(field string) string {
		for i, c := range enterpriseColumns {
			if c.field == field {
				return cells[i].value
			}
		}
		return ""
	}
	e := Enterprise{
		USCC:           get("uscc"),
		Name:           get("name"),
		LegalRep:       get("legalRep"),
		Principal:      get("principal"),
		PrincipalPhone: get("principalPhone"),
		SafetyManager:  get("safetyManager"),
		Address:        get("address"),
		Community:      get("community"),
		Industry:       Industry(get("industry")),
		Status:         EnterpriseStatus(get("status")),
		Remark:         get("remark"),
	}
	e.KeyRisks, _ = ParseKeyRisks(get("keyRisks"))
	e.Employees = ps.parseEmployeesField("employees", labelEmployees, get("employees"))
	e.FactoryInFactory = ps.parseFlagField("factoryInFactory", labelFactoryInside, get("factoryInFactory"), SeverityError)
	NormalizeEnterprise(&e)
	ps.validateEnterprise(&e)
	for i := range ps {
		if ps[i].Field == "community" {
			ps[i].Reason, ps[i].Severity = reasonRequired, SeverityError
		}
	}
	SheetEnterprises.relabel(ps, cells)
	ps.sortByField(enterpriseFieldOrder)
	return e, ps
}

// EnterpriseToRow writes an enterprise as a row of the enterprise sheet, keyed by canonical
// headers: Chinese labels for codes, 是/否, dates yyyy-MM-dd, and the read-only platform columns.
func EnterpriseToRow(e *Enterprise) map[string]string {
	grade := e.Grade.Label()
	if grade == "" {
		grade = string(e.Grade)
	}
	industry := e.Industry.Label()
	if industry == "" {
		industry = string(e.Industry)
	}
	status := e.Status.Label()
	if status == "" {
		status = string(e.Status)
	}
	return map[string]string{
		labelUSCC:            e.USCC,
		labelName:            e.Name,
		labelLegalRep:        e.LegalRep,
		labelPrincipal:       e.Principal,
		labelPrincipalPhone:  e.PrincipalPhone,
		labelSafetyManager:   e.SafetyManager,
		labelAddress:         e.Address,
		labelCommunity:       e.Community,
		labelIndustry:        industry,
		labelKeyRisks:        KeyRiskLabels(e.KeyRisks),
		labelEmployees:       employeesText(e.Employees),
		labelStatus:          status,
		labelFactoryInside:   YesNoLabel(e.FactoryInFactory),
		labelRemark:          e.Remark,
		labelPlatformID:      e.PlatformID,
		labelGrade:           grade,
		labelGradeValidUntil: e.GradeValidUntil.String(),
		labelRiskMonitored:   YesNoLabel(e.RiskMonitored),
	}
}

// OperatorFromRow converts one row of the operator sheet into a normalized, validated roster
// entry: 操作项目 may be the item's name, code or a short form, 作业类别 a name or code; an ID number
// with an impossible birth date or a wrong check digit is rejected. Options: WithToday.
func OperatorFromRow(row map[string]string, cat *Catalog, opts ...Option) (Operator, Problems) {
	cat = catalogOrDefault(cat)
	s := newSettings(opts)
	var ps Problems
	cells := SheetOperators.readRow(row, &ps)
	get := func(field string) string {
		for i, c := range operatorColumns {
			if c.field == field {
				return cells[i].value
			}
		}
		return ""
	}
	o := Operator{
		Name:           get("name"),
		IDNumber:       get("idNumber"),
		Phone:          get("phone"),
		EnterpriseUSCC: get("enterpriseUscc"),
		CategoryCode:   get("categoryCode"),
		ItemCode:       get("itemCode"),
		Remark:         get("remark"),
	}
	o.StartDate = ps.parseDateField("startDate", labelStartDate, get("startDate"), SeverityError)
	o.EndDate = ps.parseDateField("endDate", labelEndDate, get("endDate"), SeverityError)
	NormalizeOperator(&o, cat)
	ps.validateOperator(&o, cat, &s)
	SheetOperators.relabel(ps, cells)
	ps.sortByField(operatorFieldOrder)
	return o, ps
}

// OperatorToRow writes a roster entry as a row of the operator sheet, keyed by canonical headers:
// the category's and item's names (the code when the catalog does not know it), the ID number
// whole (the workbook is the ledger's own copy), dates yyyy-MM-dd.
func OperatorToRow(o *Operator, cat *Catalog) map[string]string {
	cat = catalogOrDefault(cat)
	category, item := o.CategoryCode, o.ItemCode
	if c, ok := cat.Category(o.CategoryCode); ok {
		category = c.Name
	}
	if it, ok := cat.Item(o.ItemCode); ok {
		item = it.Name
	}
	return map[string]string{
		labelPersonName:     o.Name,
		labelIDNumber:       o.IDNumber,
		labelPhone:          o.Phone,
		labelEnterpriseUSCC: o.EnterpriseUSCC,
		labelCategory:       category,
		labelItem:           item,
		labelStartDate:      o.StartDate.String(),
		labelEndDate:        o.EndDate.String(),
		labelRemark:         o.Remark,
	}
}

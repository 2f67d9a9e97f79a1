package mapping

import (
	"strconv"
	"strings"
)

// Field describes one enterprise field: its canonical English name (used in reconcile output),
// its Chinese label (used in every message a person reads), its Quanzhou wire name, and its owner.
// Ownership is expressed here once and used by sync and reconcile alike.
type Field struct {
	Name  string // canonical English name, e.g. "legalRep"
	Label string // Chinese name, e.g. 法定代表人
	Wire  string // Quanzhou field, e.g. "fddbr"
	Owner Owner
	// Get renders the field of a normalized enterprise as a comparable string.
	Get func(e *Enterprise) string
}

// EnterpriseFields lists the compared enterprise fields in the contract's order (reconcile's
// `fields` names). The key (uscc), the platform id and gxsj are not compared and not listed.
var EnterpriseFields = []Field{
	{"name", "企业名称", "qymc", OwnerStreet, func(e *Enterprise) string { return e.Name }},
	{"legalRep", "法定代表人", "fddbr", OwnerStreet, func(e *Enterprise) string { return e.LegalRep }},
	{"principal", "主要负责人", "zyfzr", OwnerStreet, func(e *Enterprise) string { return e.Principal }},
	{"principalPhone", "主要负责人电话", "zyfzrlxdh", OwnerStreet, func(e *Enterprise) string { return e.PrincipalPhone }},
	{"safetyManager", "安全管理人员", "aqglry", OwnerStreet, func(e *Enterprise) string { return e.SafetyManager }},
	{"address", "经营地址", "jydz", OwnerStreet, func(e *Enterprise) string { return e.Address }},
	{"community", "所属社区", "sqmc", OwnerStreet, func(e *Enterprise) string { return e.Community }},
	{"industry", "行业类别", "hylb", OwnerStreet, func(e *Enterprise) string { return string(e.Industry) }},
	{"keyRisks", "重点类型", "zdlx", OwnerStreet, func(e *Enterprise) string { return joinKeyRisks(e.KeyRisks) }},
	{"employees", "从业人数", "cyrs", OwnerStreet, func(e *Enterprise) string { return strconv.Itoa(e.Employees) }},
	{"status", "企业状态", "qyzt", OwnerStreet, func(e *Enterprise) string { return string(e.Status) }},
	{"factoryInFactory", "是否厂中厂", "sfczc", OwnerStreet, func(e *Enterprise) string { return boolFlag(e.FactoryInFactory) }},
	{"grade", "标准化等级", "bzhdj", OwnerPlatform, func(e *Enterprise) string { return string(e.Grade) }},
	{"gradeValidUntil", "标准化有效期", "bzhyxq", OwnerPlatform, func(e *Enterprise) string { return e.GradeValidUntil.String() }},
	{"riskMonitored", "是否纳入监测预警", "sfnrjcyj", OwnerPlatform, func(e *Enterprise) string { return boolFlag(e.RiskMonitored) }},
}

// FieldsOwnedBy returns the enterprise fields owned by o.
func FieldsOwnedBy(o Owner) []Field {
	var out []Field
	for _, f := range EnterpriseFields {
		if f.Owner == o {
			out = append(out, f)
		}
	}
	return out
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

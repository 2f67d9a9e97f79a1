package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"streetsync/mapping"
)

// Content hashes decide inserted/updated/unchanged and hold the three-way comparison. Each is
// SHA-256 (first 16 bytes, hex) over a fixed-order encoding: every field as name=value, separated
// by a unit separator that cannot occur in normalized values. The field name is part of the
// encoding so that adding a field changes every hash once rather than silently aliasing.

type hasher struct{ b []byte }

func (h *hasher) add(name, value string) {
	h.b = append(h.b, name...)
	h.b = append(h.b, '=')
	h.b = append(h.b, value...)
	h.b = append(h.b, 0x1f)
}

func (h *hasher) sum() string {
	s := sha256.Sum256(h.b)
	return hex.EncodeToString(s[:16])
}

// streetHash hashes the street-owned fields of an enterprise — those the platform stores and the
// three-way comparison is about (mapping.EnterpriseFields, owner street).
func streetHash(e *mapping.Enterprise) string {
	var h hasher
	h.addStreetFields(e)
	return h.sum()
}

// addStreetFields adds the street-owned fields in mapping's table order.
func (h *hasher) addStreetFields(e *mapping.Enterprise) {
	for i := range mapping.EnterpriseFields {
		if f := &mapping.EnterpriseFields[i]; f.Owner == mapping.OwnerStreet {
			h.add(f.Name, f.Get(e))
		}
	}
}

// enterpriseContentHash hashes everything the street writes: the street-owned fields plus the
// remark, which is the street's own and never pushed.
func enterpriseContentHash(e *mapping.Enterprise) string {
	var h hasher
	h.addStreetFields(e)
	h.add("remark", e.Remark)
	return h.sum()
}

func operatorHash(o *mapping.Operator) string {
	var h hasher
	h.add("name", o.Name)
	h.add("phone", o.Phone)
	h.add("category", o.CategoryCode)
	h.add("start", o.StartDate.String())
	h.add("end", o.EndDate.String())
	h.add("remark", o.Remark)
	return h.sum()
}

// certificateHash leaves out UpdatedAt: a certificate resent with a new change time and the same
// content is unchanged.
func certificateHash(c *mapping.Certificate) string {
	var h hasher
	h.add("holder", c.HolderName)
	h.add("id", c.IDNumber)
	h.add("gender", c.Gender)
	h.add("category", c.CategoryCode)
	h.add("categoryName", c.CategoryName)
	h.add("itemName", c.ItemName)
	h.add("firstIssue", c.FirstIssueDate.String())
	h.add("validFrom", c.ValidFrom.String())
	h.add("validUntil", c.ValidUntil.String())
	h.add("reviewDue", c.ReviewDueDate.String())
	h.add("lastReview", c.LastReviewDate.String())
	h.add("status", string(c.Status))
	h.add("issuer", c.Issuer)
	return h.sum()
}

// alarmHash leaves out UpdatedAt, as certificateHash does.
func alarmHash(a *mapping.Alarm) string {
	var h hasher
	h.add("qyid", a.PlatformID)
	h.add("uscc", a.USCC)
	h.add("name", a.EnterpriseName)
	h.add("point", a.PointCode)
	h.add("pointName", a.PointName)
	h.add("quantity", a.Quantity)
	h.add("unit", a.Unit)
	h.add("value", a.Value)
	h.add("threshold", a.Threshold)
	h.add("type", a.Type)
	h.add("level", strconv.Itoa(a.Level))
	h.add("raised", strconv.FormatInt(millis(a.RaisedAt), 10))
	h.add("recovered", strconv.FormatInt(millis(a.RecoveredAt), 10))
	h.add("czzt", a.HandlingStatus)
	h.add("czsm", a.HandlingNote)
	h.add("czr", a.Handler)
	h.add("czsj", strconv.FormatInt(millis(a.HandledAt), 10))
	return h.sum()
}

func feedbackHash(f *mapping.AlarmFeedback) string {
	var h hasher
	h.add("status", f.Status)
	h.add("note", f.Note)
	h.add("handler", f.Handler)
	h.add("at", strconv.FormatInt(millis(f.HandledAt), 10))
	return h.sum()
}

// keyRisks is the column form of 重点类型: codes joined by commas, in the order given (mapping
// keeps them in the contract's order).
func keyRisks(ks []mapping.KeyRisk) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = string(k)
	}
	return strings.Join(parts, ",")
}

func parseKeyRisks(s string) []mapping.KeyRisk {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]mapping.KeyRisk, len(parts))
	for i, p := range parts {
		out[i] = mapping.KeyRisk(p)
	}
	return out
}

// problemJSON is the stored form of a mapping.Problem (warnings, quarantine reasons).
type problemJSON struct {
	Field    string `json:"field,omitempty"`
	Label    string `json:"label,omitempty"`
	Value    string `json:"value,omitempty"`
	Reason   string `json:"reason"`
	Severity string `json:"severity"`
}

func encodeProblems(ps mapping.Problems) string {
	if len(ps) == 0 {
		return ""
	}
	out := make([]problemJSON, len(ps))
	for i, p := range ps {
		out[i] = problemJSON{Field: p.Field, Label: p.Label, Value: p.Value, Reason: p.Reason, Severity: p.Severity.String()}
	}
	b, _ := json.Marshal(out) // strings only: cannot fail
	return string(b)
}

func decodeProblems(s string) (mapping.Problems, error) {
	if s == "" {
		return nil, nil
	}
	var in []problemJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, err
	}
	out := make(mapping.Problems, len(in))
	for i, p := range in {
		sev := mapping.SeverityError
		if p.Severity == mapping.SeverityWarning.String() {
			sev = mapping.SeverityWarning
		}
		out[i] = mapping.Problem{Field: p.Field, Label: p.Label, Value: p.Value, Reason: p.Reason, Severity: sev}
	}
	return out, nil
}

// streetView is the stored form of the platform's street-owned values (platform_street).
type streetView struct {
	Name             string   `json:"name"`
	LegalRep         string   `json:"legalRep"`
	Principal        string   `json:"principal"`
	PrincipalPhone   string   `json:"principalPhone"`
	SafetyManager    string   `json:"safetyManager"`
	Address          string   `json:"address"`
	RegionCode       string   `json:"regionCode"`
	Community        string   `json:"community"`
	Industry         string   `json:"industry"`
	KeyRisks         []string `json:"keyRisks"`
	Employees        int      `json:"employees"`
	Status           string   `json:"status"`
	FactoryInFactory bool     `json:"factoryInFactory"`
}

func encodeStreetView(e *mapping.Enterprise) string {
	v := streetView{
		Name: e.Name, LegalRep: e.LegalRep, Principal: e.Principal, PrincipalPhone: e.PrincipalPhone,
		SafetyManager: e.SafetyManager, Address: e.Address, RegionCode: e.RegionCode, Community: e.Community,
		Industry: string(e.Industry), Employees: e.Employees, Status: string(e.Status), FactoryInFactory: e.FactoryInFactory,
	}
	for _, k := range e.KeyRisks {
		v.KeyRisks = append(v.KeyRisks, string(k))
	}
	b, _ := json.Marshal(v) // plain fields: cannot fail
	return string(b)
}

func decodeStreetView(uscc, s string) (*mapping.Enterprise, error) {
	if s == "" {
		return nil, nil
	}
	var v streetView
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	e := &mapping.Enterprise{
		USCC: uscc, Name: v.Name, LegalRep: v.LegalRep, Principal: v.Principal, PrincipalPhone: v.PrincipalPhone,
		SafetyManager: v.SafetyManager, Address: v.Address, RegionCode: v.RegionCode, Community: v.Community,
		Industry: mapping.Industry(v.Industry), Employees: v.Employees, Status: mapping.EnterpriseStatus(v.Status),
		FactoryInFactory: v.FactoryInFactory,
	}
	for _, k := range v.KeyRisks {
		e.KeyRisks = append(e.KeyRisks, mapping.KeyRisk(k))
	}
	return e, nil
}

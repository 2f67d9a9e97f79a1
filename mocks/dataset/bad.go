package dataset

import "streetsync/mocks/internal/gbcode"

// Workbook sheet names and the headers Dataset.Bad refers to.
const (
	SheetEnterprises = "企业台账"
	SheetOperators   = "特种作业人员"
)

// bad appends the deliberately bad rows: new rows, so that no good record depends on them. The
// kinds take turns: a credit code with a wrong check character, an ID number with a wrong check
// digit, an enterprise without 法定代表人, a roster row without 上岗日期.
func (g *generator) bad() {
	if g.p.BadRecords == 0 || len(g.ds.Ledger) == 0 {
		return
	}
	good := len(g.ds.Ledger)
	for k := 0; k < g.p.BadRecords; k++ {
		host := g.ds.Ledger[g.pick(good)]
		switch k % 4 {
		case 0:
			tr := trades[g.pick(len(trades))]
			e := g.newEnterprise(tr)
			e.USCC = g.badUSCC()
			g.appendBadEnterprise(e, BadUSCCCheck, "统一社会信用代码")
		case 1:
			op := g.badOperator(host)
			op.IDNumber = badID(op.IDNumber)
			op.IDText = op.IDNumber
			g.appendBadOperator(op, BadIDCheck, "身份证号")
		case 2:
			tr := trades[g.pick(len(trades))]
			e := g.newEnterprise(tr)
			e.LegalRep = ""
			g.appendBadEnterprise(e, BadMissingRequired, "法定代表人")
		default:
			op := g.badOperator(host)
			op.StartDate = 0
			g.appendBadOperator(op, BadMissingRequired, "上岗日期")
		}
	}
}

func (g *generator) appendBadEnterprise(e Enterprise, kind BadKind, column string) {
	g.ds.Ledger = append(g.ds.Ledger, e)
	i := len(g.ds.Ledger) - 1
	g.ds.Bad = append(g.ds.Bad, BadRecord{Sheet: SheetEnterprises, Index: i, Row: i + 2, Kind: kind, Column: column})
}

func (g *generator) appendBadOperator(op Operator, kind BadKind, column string) {
	g.ds.Roster = append(g.ds.Roster, op)
	i := len(g.ds.Roster) - 1
	g.ds.Bad = append(g.ds.Bad, BadRecord{Sheet: SheetOperators, Index: i, Row: i + 2, Kind: kind, Column: column})
}

func (g *generator) badOperator(host Enterprise) Operator {
	p := g.newPerson(plan{SitNoCertificate, SitNoCertificate})
	op := g.rosterEntry(p, 0, &host)
	op.Expect = nil
	op.Situation = ""
	return op
}

// badUSCC corrupts a code so that neither its check character nor its inner organization code
// checks out: not even the Fujian pilot exception saves it.
func (g *generator) badUSCC() string {
	for {
		code := []byte(g.usccWith(true))
		i := 8 + g.pick(8)
		code[i] = gbcode.USCCCharset[g.pick(len(gbcode.USCCCharset))]
		s := string(code)
		if !gbcode.USCCAccepted(s) && !g.usccs[s] {
			g.usccs[s] = true
			return s
		}
	}
}

func badID(id string) string {
	c := id[17]
	alphabet := "0123456789X"
	for i := 0; i < len(alphabet); i++ {
		if alphabet[i] == c {
			return id[:17] + string(alphabet[(i+3)%len(alphabet)])
		}
	}
	return id[:17] + "0"
}

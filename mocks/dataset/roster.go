package dataset

import (
	"fmt"
	"strings"
	"time"

	"streetsync/mocks/internal/gbcode"
)

// person is one roster person while the roster is built.
type person struct {
	name   string // canonical, as the certificates carry it
	id     string // canonical ID number
	gender string
	mode   Situation // person-level: SitValid (normal) or a name/ID/no-certificate situation
	items  []string  // roster item codes
	sits   []Situation
	at     []string // USCCs of the enterprises the person is on the roster of
}

// personPlan is the coverage queue: the first people get every situation once, so that even a
// small roster shows every rule; later ones are drawn by weight.
type plan struct {
	mode Situation
	sit  Situation
}

var coveragePlans = []plan{
	{SitNoCertificate, SitNoCertificate},
	{SitNameMismatch, SitValid},
	{SitNameVariant, SitValid},
	{SitLowerX, SitValid},
	{SitValid, SitItemMismatch},
	{SitValid, SitExpiredDate},
	{SitValid, SitExpiredStatus},
	{SitValid, SitReviewOverdue},
	{SitValid, SitSuspended},
	{SitValid, SitRevoked},
	{SitValid, SitCancelled},
	{SitValid, SitExpiringSoon},
	{SitValid, SitReviewDueSoon},
	{SitValid, SitBothSoon},
	{SitValid, SitRenewed},
	{SitValid, SitUnknownItem},
	{SitValid, SitValid},
}

var modeWeights = []struct {
	mode   Situation
	weight int
}{{SitValid, 92}, {SitNoCertificate, 4}, {SitNameMismatch, 2}, {SitNameVariant, 1}, {SitLowerX, 1}}

var sitWeights = []struct {
	sit    Situation
	weight int
}{
	{SitValid, 66}, {SitRenewed, 5}, {SitUnknownItem, 2}, {SitItemMismatch, 3}, {SitExpiredDate, 3},
	{SitExpiredStatus, 2}, {SitReviewOverdue, 3}, {SitSuspended, 1}, {SitRevoked, 1}, {SitCancelled, 1},
	{SitExpiringSoon, 5}, {SitReviewDueSoon, 5}, {SitBothSoon, 2},
}

// expectations maps a built situation to the rules that fire on the reference day.
func expectations(mode, sit Situation) []string {
	if mode == SitNoCertificate {
		return []string{"NO_CERTIFICATE"}
	}
	var out []string
	switch sit {
	case SitItemMismatch:
		out = []string{"ITEM_MISMATCH"}
	case SitExpiredDate, SitExpiredStatus:
		out = []string{"CERT_EXPIRED"}
	case SitReviewOverdue:
		out = []string{"REVIEW_OVERDUE"}
	case SitSuspended, SitRevoked, SitCancelled:
		out = []string{"CERT_INVALID"}
	case SitExpiringSoon:
		out = []string{"EXPIRING_SOON"}
	case SitReviewDueSoon:
		out = []string{"REVIEW_DUE_SOON"}
	case SitBothSoon:
		out = []string{"EXPIRING_SOON", "REVIEW_DUE_SOON"}
	}
	if mode == SitNameMismatch && sit != SitItemMismatch {
		out = append(out, "NAME_MISMATCH")
	}
	return out
}

func (g *generator) roster() {
	var people []*person
	planNo := 0
	nextPlan := func() plan {
		if planNo < len(coveragePlans) {
			planNo++
			return coveragePlans[planNo-1]
		}
		m := pickWeighted(g, modeWeights, func(w struct {
			mode   Situation
			weight int
		}) int {
			return w.weight
		}).mode
		if m != SitValid {
			return plan{m, SitValid}
		}
		return plan{SitValid, g.pickSit()}
	}
	mean := g.p.OperatorsPerEnterprise
	g.ds.Roster = make([]Operator, 0, int(float64(g.p.Enterprises)*mean*1.1)+g.p.BadRecords)
	offDutyDone, futureEndDone := false, false
	for ei := range g.ds.Ledger {
		e := &g.ds.Ledger[ei]
		if e.Status == "3" || e.Status == "4" {
			continue
		}
		k := int(g.rng.Float64()*2*mean + 0.5)
		for slot := 0; slot < k; slot++ {
			var p *person
			var its []int
			if len(people) > 20 && g.chance(4) {
				// A person who also works at another enterprise (one ID, several employers).
				p = people[g.pick(len(people))]
				if containsCode(p.at, e.USCC) {
					continue
				}
				its = []int{g.pick(len(p.items))}
			} else {
				p = g.newPerson(nextPlan())
				people = append(people, p)
				if p.mode != SitNoCertificate && g.chance(10) {
					g.addSecondItem(p)
				}
				its = indexes(len(p.items))
			}
			p.at = append(p.at, e.USCC)
			for _, it := range its {
				op := g.rosterEntry(p, it, e)
				plain := p.sits[it] == SitValid && (p.mode == SitValid || p.mode == SitLowerX || p.mode == SitNameVariant)
				switch {
				case !offDutyDone && plain && p.mode == SitValid:
					offDutyDone = true
					op.EndDate = g.ref - 10 - Day(g.pick(200))
					op.Situation, op.Expect = SitOffDuty, nil
				case !futureEndDone && plain && p.mode == SitValid:
					futureEndDone = true
					op.EndDate = g.ref + 20 + Day(g.pick(90))
				case plain && g.chance(2):
					op.EndDate = g.ref - 1 - Day(g.pick(300))
					op.Situation, op.Expect = SitOffDuty, nil
				case g.chance(3):
					op.EndDate = g.ref + 1 + Day(g.pick(120))
				}
				if !op.EndDate.IsZero() && op.EndDate <= op.StartDate {
					op.StartDate = op.EndDate - 30 - Day(g.pick(300))
				}
				g.ds.Roster = append(g.ds.Roster, op)
			}
		}
	}
	noise := g.p.NoisePeople
	if noise == 0 {
		noise = len(g.ds.Roster)/8 + 5
	}
	g.ds.Certificates = make([]Certificate, 0, len(people)*12/10+max(noise, 0)*3/2+16)
	for _, p := range people {
		g.certificates(p)
	}
	g.employments()
}

func (g *generator) pickSit() Situation {
	return pickWeighted(g, sitWeights, func(w struct {
		sit    Situation
		weight int
	}) int {
		return w.weight
	}).sit
}

func (g *generator) pickItem() string {
	return rosterItems[pickWeighted(g, indexes(len(rosterItems)), func(i int) int { return rosterItemWeights[i] })].Code
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (g *generator) newPerson(pl plan) *person {
	local := g.chance(55)
	p := &person{mode: pl.mode}
	if !local && g.chance(3) {
		p.name = minorityNames[g.pick(len(minorityNames))]
	} else {
		p.name = g.personName(local)
	}
	place := birthplaces[g.pick(len(birthplaces))]
	if local {
		place = birthplaces[g.pick(6)]
	}
	p.id = g.idNumber(place, 1963, 2004, pl.mode == SitLowerX)
	if (p.id[16]-'0')%2 == 1 {
		p.gender = "1"
	} else {
		p.gender = "2"
	}
	p.items = []string{g.pickItem()}
	p.sits = []Situation{pl.sit}
	if pl.mode == SitNoCertificate {
		p.sits[0] = SitNoCertificate
	}
	return p
}

func (g *generator) addSecondItem(p *person) {
	for {
		code := g.pickItem()
		if code != p.items[0] {
			p.items = append(p.items, code)
			sit := SitValid
			if p.mode == SitValid && g.chance(25) {
				sit = g.pickSit()
			}
			p.sits = append(p.sits, sit)
			return
		}
	}
}

// idNumber returns a unique valid ID number of someone born in [fromYear, toYear) at place; with
// wantX the check character is X.
func (g *generator) idNumber(place string, fromYear, toYear int, wantX bool) string {
	for {
		birth := Date(fromYear, 1, 1).AddDays(g.pick(int(Date(toYear, 1, 1) - Date(fromYear, 1, 1))))
		y, m, d := birth.Civil()
		base := fmt.Sprintf("%s%04d%02d%02d%03d", place, y, int(m), d, g.pick(1000))
		c, _ := gbcode.IDCheckChar(base)
		if wantX != (c == 'X') {
			continue
		}
		id := base + string(c)
		if !g.ids[id] {
			g.ids[id] = true
			return id
		}
	}
}

func (g *generator) rosterEntry(p *person, it int, e *Enterprise) Operator {
	code := p.items[it]
	item, _ := RosterItem(code)
	op := Operator{
		Name:           p.name,
		IDNumber:       p.id,
		IDText:         p.id,
		Phone:          g.phone(0),
		EnterpriseUSCC: e.USCC,
		ItemCode:       code,
		StartDate:      g.ref - 20 - Day(g.pick(3000)),
		Remark:         operatorRemarks[g.pick(len(operatorRemarks))],
		Situation:      p.sits[it],
		Expect:         expectations(p.mode, p.sits[it]),
	}
	if p.mode != SitValid {
		op.Situation = p.mode
	}
	if p.mode == SitNameVariant {
		op.Name = nameVariant(p.name)
	}
	if strings.HasSuffix(p.id, "X") && g.chance(50) {
		op.IDText = p.id[:17] + "x"
	}
	switch r := g.pick(10); {
	case r < 5:
		op.ItemText = item.Name
	case r < 7:
		op.ItemText = item.Code
	default:
		op.ItemText = item.Name
		if item.Short != "" {
			op.ItemText = item.Short
			if item.Code == "0201" && g.chance(50) {
				op.ItemText = "焊工"
			}
		}
	}
	if g.chance(75) {
		op.CategoryText = item.CategoryName
	}
	return op
}

// nameVariant writes a name the way hand-typing does, equal after normalization: a space (often
// full-width) inside, or another middle dot.
func nameVariant(name string) string {
	if strings.Contains(name, "·") {
		return strings.ReplaceAll(name, "·", "•")
	}
	r := []rune(name)
	return string(r[:1]) + "　" + string(r[1:])
}

// differentName changes the given name's last character, as when the office typed a homophone.
func (g *generator) differentName(name string) string {
	r := []rune(name)
	for {
		c := givenChars[g.pick(len(givenChars))]
		if c != r[len(r)-1] {
			r[len(r)-1] = c
			return string(r)
		}
	}
}

// --- certificates ---

func (g *generator) certificates(p *person) {
	if p.mode == SitNoCertificate {
		return
	}
	holder := p.name
	if p.mode == SitNameMismatch {
		holder = g.differentName(p.name)
	}
	sysID := p.id
	if p.mode == SitLowerX {
		sysID = p.id[:17] + "x"
	}
	certNo := "T" + p.id
	has := map[string]bool{}
	for i, code := range p.items {
		if p.sits[i] != SitItemMismatch {
			has[code] = true
		}
	}
	for i, code := range p.items {
		sit := p.sits[i]
		if sit == SitItemMismatch {
			continue
		}
		item, _ := RosterItem(code)
		c := g.certFor(sit, item)
		c.CertNo, c.HolderName, c.IDNumber, c.Gender, c.OnRoster = certNo, holder, sysID, p.gender, true
		switch sit {
		case SitRenewed:
			old := g.renewedFrom(c)
			old.HolderName, old.IDNumber, old.Gender, old.OnRoster = holder, sysID, p.gender, true
			g.ds.Certificates = append(g.ds.Certificates, old)
		case SitUnknownItem:
			u := g.certFor(SitValid, unknownItems[g.pick(len(unknownItems))])
			u.CertNo, u.HolderName, u.IDNumber, u.Gender, u.OnRoster = certNo, holder, sysID, p.gender, true
			if !has[u.ItemCode] {
				has[u.ItemCode] = true
				g.ds.Certificates = append(g.ds.Certificates, u)
			}
		}
		g.ds.Certificates = append(g.ds.Certificates, c)
	}
	for i, code := range p.items {
		if p.sits[i] != SitItemMismatch {
			continue
		}
		// 证项不符: a certificate for a neighbouring item of the same trade, none for this one.
		other := mismatchItem(code)
		if has[other.Code] || containsCode(p.items, other.Code) {
			continue
		}
		has[other.Code] = true
		c := g.certFor(SitValid, other)
		c.CertNo, c.HolderName, c.IDNumber, c.Gender, c.OnRoster = certNo, holder, sysID, p.gender, true
		g.ds.Certificates = append(g.ds.Certificates, c)
	}
}

func containsCode(codes []string, code string) bool {
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

func mismatchItem(code string) Item {
	alt := map[string]string{
		"0101": "0102", "0102": "0101", "0103": "0102", "0201": "0203", "0202": "0201", "0203": "0201",
		"0301": "0302", "0302": "0301", "0401": "0402", "0402": "0401", "0801": "0102", "0916": "0102",
	}[code]
	it, _ := RosterItem(alt)
	return it
}

// validIssue draws an issue day for a certificate valid on the reference day with no warning in a
// 60-day window, and its review fields.
func (g *generator) validDates(c *Certificate) {
	ref := g.ref
	if g.chance(45) {
		// Issued more than 3 years ago and reviewed in time: the system moved reviewDueDate on.
		lo := ref.AddYears(-6) + 125
		hi := ref.AddYears(-3) - 1
		issue := lo + Day(g.pick(int(hi-lo)))
		g.issued(c, issue)
		c.LastReviewDate = issue.AddYears(3) - 1 - Day(g.pick(55))
		c.ReviewDueDate = c.LastReviewDate.AddYears(3)
		if g.chance(10) {
			// Ten years without violations: reviewed every 6 years; trust the field.
			c.LastReviewDate = 0
			c.ReviewDueDate = c.ValidUntil
		}
		return
	}
	lo := ref.AddYears(-3) + 65
	hi := ref - 25
	g.issued(c, lo+Day(g.pick(int(hi-lo))))
}

func (g *generator) issued(c *Certificate, issue Day) {
	c.FirstIssueDate = issue
	if g.chance(30) {
		c.FirstIssueDate = issue.AddYears(-6)
	}
	c.ValidFrom = issue
	c.ValidUntil = issue.AddYears(6) - 1
	c.ReviewDueDate = issue.AddYears(3)
	c.LastReviewDate = 0
}

func (g *generator) certFor(sit Situation, item Item) Certificate {
	ref := g.ref
	c := Certificate{
		CategoryCode: item.CategoryCode, CategoryName: item.CategoryName,
		ItemCode: item.Code, ItemName: item.Name,
		Status: "VALID", Issuer: issuers[g.pick(len(issuers))],
	}
	switch sit {
	case SitExpiredDate:
		// validUntil past, the nightly batch has not caught up: still VALID.
		until := ref - 1 - Day(g.pick(40))
		g.issued(&c, until+1-Day(365*6+1))
		c.ValidFrom = c.FirstIssueDate
		c.ValidUntil = until
		c.LastReviewDate = c.ReviewDueDate - 1 - Day(g.pick(50))
		c.ReviewDueDate = c.LastReviewDate.AddYears(3)
	case SitExpiredStatus:
		g.validDates(&c)
		c.Status = "EXPIRED"
		if g.chance(50) {
			until := ref - 1 - Day(g.pick(700))
			c.ValidUntil = until
			c.ValidFrom = until.AddYears(-6) + 1
			c.FirstIssueDate = c.ValidFrom
			c.ReviewDueDate = c.ValidFrom.AddYears(3)
			c.LastReviewDate = 0
		}
	case SitReviewOverdue:
		lo := ref.AddYears(-6) + 130
		hi := ref.AddYears(-3) - 1
		g.issued(&c, lo+Day(g.pick(int(hi-lo))))
		if g.chance(30) {
			c.LastReviewDate = c.ReviewDueDate - 400
		}
	case SitSuspended, SitRevoked, SitCancelled:
		g.validDates(&c)
		c.Status = map[Situation]string{SitSuspended: "SUSPENDED", SitRevoked: "REVOKED", SitCancelled: "CANCELLED"}[sit]
	case SitExpiringSoon:
		// Valid until within 60 days (the reference day itself included); reviewed exactly on its
		// due date, which therefore stays in the past: no review warning.
		until := ref + Day(g.pick(60))
		g.issued(&c, until+1-Day(365*6+1))
		c.ValidFrom = c.FirstIssueDate
		c.ValidUntil = until
		c.LastReviewDate = c.ReviewDueDate
	case SitReviewDueSoon:
		issue := ref.AddYears(-3) + Day(g.pick(60))
		g.issued(&c, issue)
		c.ReviewDueDate = ref + (issue - ref.AddYears(-3))
	case SitBothSoon:
		until := ref + 30 + Day(g.pick(30))
		g.issued(&c, until+1-Day(365*6+1))
		c.ValidFrom = c.FirstIssueDate
		c.ValidUntil = until
		c.LastReviewDate = c.ReviewDueDate - 1 - Day(g.pick(20))
		c.ReviewDueDate = until - Day(g.pick(20))
	default:
		g.validDates(&c)
	}
	if c.FirstIssueDate > c.ValidFrom {
		c.FirstIssueDate = c.ValidFrom
	}
	c.UpdatedAt = g.updatedAt(c.ValidFrom, c.LastReviewDate)
	return c
}

// updatedAt is the last change: a little after the issue or last review, or — for a third of
// them — the time of a nightly batch (many certificates share that second).
func (g *generator) updatedAt(from, review Day) time.Time {
	if review > from {
		from = review
	}
	if from >= g.ref {
		from = g.ref - 1
	}
	day := from + Day(g.pick(int(g.ref-from)))
	if day >= g.ref {
		day = g.ref - 1
	}
	if g.chance(33) {
		return day.Time(2 * 3600)
	}
	return day.Time(8*3600 + g.pick(10*3600))
}

// renewedFrom makes the certificate that c renewed: same item, an older number, expired.
func (g *generator) renewedFrom(c Certificate) Certificate {
	old := c
	old.CertNo = fmt.Sprintf("TJ%s%04d%06d", county, 2012+g.pick(6), g.pick(1000000))
	old.ValidUntil = c.ValidFrom + Day(g.pick(50))
	old.ValidFrom = old.ValidUntil.AddYears(-6) + 1
	old.FirstIssueDate = old.ValidFrom
	old.LastReviewDate = old.ValidFrom.AddYears(3) - 10
	old.ReviewDueDate = old.LastReviewDate.AddYears(3)
	old.Status = "VALID"
	if old.ValidUntil < g.ref && g.chance(70) {
		old.Status = "EXPIRED"
	}
	old.UpdatedAt = g.updatedAt(old.ValidUntil, 0)
	return old
}

// --- employment registrations ---

func (g *generator) employments() {
	names := make(map[string]string, len(g.ds.Ledger))
	for _, e := range g.ds.Ledger {
		names[e.USCC] = e.Name
	}
	for _, op := range g.ds.Roster {
		registrable := op.Expect == nil || op.Situation == SitOffDuty
		if op.Situation == SitNoCertificate || op.Situation == SitItemMismatch {
			registrable = false
		}
		if !registrable || !g.chance(55) {
			continue
		}
		em := Employment{
			CertNo: "T" + op.IDNumber, ItemCode: op.ItemCode, IDNumber: op.IDNumber,
			EnterpriseUSCC: op.EnterpriseUSCC, EnterpriseName: names[op.EnterpriseUSCC],
			StartDate: op.StartDate, EndDate: op.EndDate,
		}
		em.UpdatedAt = (op.StartDate + 1).Time(10 * 3600)
		if !op.EndDate.IsZero() && op.EndDate < g.ref {
			em.UpdatedAt = op.EndDate.Time(10 * 3600)
		}
		g.ds.Employments = append(g.ds.Employments, em)
	}
}

// --- province-wide noise ---

func (g *generator) noise() {
	n := g.p.NoisePeople
	if n == 0 {
		n = len(g.ds.Roster)/8 + 5
	}
	statuses := []string{"VALID", "VALID", "VALID", "VALID", "VALID", "VALID", "EXPIRED", "EXPIRED", "REVOKED", "CANCELLED", "SUSPENDED"}
	for i := 0; i < n; i++ {
		place := noiseBirthplaces[g.pick(len(noiseBirthplaces))]
		id := g.idNumber(place, 1960, 2005, false)
		gender := "2"
		if (id[16]-'0')%2 == 1 {
			gender = "1"
		}
		name := g.personName(g.chance(70))
		k := 1 + g.pick(2)
		first := g.pick(len(noiseItems))
		for j := 0; j < k; j++ {
			item := noiseItems[(first+j*3)%len(noiseItems)]
			c := Certificate{
				CertNo: "T" + id, HolderName: name, IDNumber: id, Gender: gender,
				CategoryCode: item.CategoryCode, CategoryName: item.CategoryName, ItemCode: item.Code, ItemName: item.Name,
				Status: statuses[g.pick(len(statuses))], Issuer: issuers[g.pick(len(issuers))],
			}
			issue := g.ref - Day(g.pick(365*7))
			g.issued(&c, issue)
			c.UpdatedAt = g.updatedAt(issue, 0)
			if g.chance(10) {
				// Changed yesterday in the nightly batch: ties on updatedAt.
				c.UpdatedAt = (g.ref - 1).Time(2 * 3600)
			}
			g.ds.Certificates = append(g.ds.Certificates, c)
		}
	}
}

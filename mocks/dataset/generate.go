package dataset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"streetsync/mocks/internal/gbcode"
)

// Params sizes and seeds a generation. The zero value of every field but Seed has a default.
type Params struct {
	Seed int64
	// Enterprises is the number of ledger enterprises (default 200).
	Enterprises int
	// OperatorsPerEnterprise is the average roster size per working enterprise (default 5).
	OperatorsPerEnterprise float64
	// Reference is the day the certificate situations are built around (default 2026-01-15).
	// Warnings assume a 60-day window (alerts.expiringWithinDays).
	Reference Day
	// NoisePeople is how many province-wide certificate holders not on the roster to add
	// (default: an eighth of the roster's entries; negative: none).
	NoisePeople int
	// BadRecords adds that many deliberately bad rows, listed in Dataset.Bad.
	BadRecords int
	// PilotUSCCs gives that many enterprises a Fujian pilot credit code (wrong check character,
	// right inner organization code) that the Quanzhou platform accepts.
	PilotUSCCs int
}

func (p *Params) defaults() error {
	if p.Enterprises < 0 || p.OperatorsPerEnterprise < 0 || p.BadRecords < 0 || p.PilotUSCCs < 0 {
		return errors.New("dataset: negative size")
	}
	if p.Enterprises == 0 {
		p.Enterprises = 200
	}
	if p.OperatorsPerEnterprise == 0 {
		p.OperatorsPerEnterprise = 5
	}
	if p.Reference == 0 {
		p.Reference = Date(2026, 1, 15)
	}
	if p.PilotUSCCs > p.Enterprises/2 {
		return fmt.Errorf("dataset: %d pilot codes for %d enterprises", p.PilotUSCCs, p.Enterprises)
	}
	return nil
}

// Generate builds a dataset. The same Params give the same Dataset, byte for byte.
func Generate(p Params) (*Dataset, error) {
	if err := p.defaults(); err != nil {
		return nil, err
	}
	g := &generator{
		p:     p,
		rng:   rand.New(rand.NewPCG(uint64(p.Seed), 0x6c696e677975616e)),
		ds:    &Dataset{Params: p},
		usccs: make(map[string]bool, p.Enterprises*2),
		names: make(map[string]bool, p.Enterprises*2),
		ids:   make(map[string]bool, int(float64(p.Enterprises)*p.OperatorsPerEnterprise*1.5)),
		ref:   p.Reference,
	}
	g.enterprises()
	g.platform()
	g.roster()
	g.noise()
	g.alarms()
	g.bad()
	g.hazardRecords()
	return g.ds, nil
}

type generator struct {
	p     Params
	rng   *rand.Rand
	ds    *Dataset
	ref   Day
	usccs map[string]bool
	names map[string]bool
	ids   map[string]bool
	qySeq int
}

func (g *generator) pick(n int) int          { return g.rng.IntN(n) }
func (g *generator) chance(percent int) bool { return g.rng.IntN(100) < percent }

func pickWeighted[T any](g *generator, items []T, weight func(T) int) T {
	total := 0
	for _, it := range items {
		total += weight(it)
	}
	r := g.rng.IntN(total)
	for _, it := range items {
		r -= weight(it)
		if r < 0 {
			return it
		}
	}
	return items[len(items)-1]
}

// --- enterprises ---

// coverageTrades makes the first enterprises key-risk ones, so that even a small dataset has
// monitoring points and alarms.
var coverageTrades = []struct {
	word  string
	risks string
}{{"鞋业", "FCSB,PT"}, {"食品", "SAZL"}, {"染整", "YXKJ"}, {"铸造", "GWRR"}}

func (g *generator) enterprises() {
	g.ds.Ledger = make([]Enterprise, 0, g.p.Enterprises+g.p.BadRecords)
	for i := 0; i < g.p.Enterprises; i++ {
		var tr trade
		risks := ""
		if i < len(coverageTrades) {
			for _, t := range trades {
				if t.word == coverageTrades[i].word {
					tr = t
				}
			}
			risks = coverageTrades[i].risks
		} else {
			tr = pickWeighted(g, trades, func(t trade) int { return t.weight })
			risks = g.keyRisks(tr)
		}
		e := g.newEnterprise(tr)
		e.KeyRisks = risks
		g.ds.Ledger = append(g.ds.Ledger, e)
	}
	// Fujian pilot codes replace ordinary ones on enterprises past the coverage ones.
	for k := 0; k < g.p.PilotUSCCs; k++ {
		i := len(coverageTrades) + k*2
		if i >= len(g.ds.Ledger) {
			break
		}
		e := &g.ds.Ledger[i]
		delete(g.usccs, e.USCC)
		e.USCC = g.pilotUSCC()
		e.PilotUSCC = true
	}
}

func (g *generator) keyRisks(tr trade) string {
	var got []string
	for _, code := range KeyRiskCodes {
		for _, r := range tr.risks {
			if r.code == code && g.chance(r.percent) {
				got = append(got, code)
			}
		}
	}
	return strings.Join(got, ",")
}

func (g *generator) newEnterprise(tr trade) Enterprise {
	legal := g.personName(true)
	principal := legal
	if g.chance(40) {
		principal = g.personName(true)
	}
	safety := ""
	if g.chance(70) {
		safety = g.personName(g.chance(70))
	}
	community := Communities[g.pick(len(Communities))]
	e := Enterprise{
		USCC:          g.uscc(),
		Name:          g.enterpriseName(tr.word),
		LegalRep:      legal,
		Principal:     principal,
		Phone:         g.phone(15),
		SafetyManager: safety,
		Address:       g.address(community),
		Region:        Region,
		Community:     community,
		Industry:      tr.industry,
		Employees:     g.employees(),
		Status:        g.status(),
		Remark:        enterpriseRemarks[g.pick(len(enterpriseRemarks))],
	}
	e.FactoryInFactory = g.chance(8)
	return e
}

func (g *generator) employees() int {
	n := 6 + int(g.rng.ExpFloat64()*70)
	if n > 3000 {
		n = 3000
	}
	return n
}

func (g *generator) status() string {
	switch r := g.pick(100); {
	case r < 90:
		return "1"
	case r < 96:
		return "2"
	case r < 98:
		return "3"
	default:
		return "4"
	}
}

func (g *generator) enterpriseName(word string) string {
	for try := 0; ; try++ {
		zh := string(zihaoFirst[g.pick(len(zihaoFirst))]) + string(zihaoSecond[g.pick(len(zihaoSecond))])
		if []rune(zh)[0] == []rune(zh)[1] {
			continue
		}
		if try > 8 {
			zh += string(zihaoSecond[g.pick(len(zihaoSecond))])
		}
		if try > 40 {
			zh += strconv.Itoa(try)
		}
		var name string
		switch r := g.pick(100); {
		case r < 70:
			name = "晋江市灵源" + zh + word + "有限公司"
		case r < 85:
			name = "晋江市" + zh + word + "有限公司"
		case r < 95:
			name = "福建" + zh + word + "有限公司"
		default:
			name = zh + "（晋江）" + word + "有限公司"
		}
		if !g.names[name] {
			g.names[name] = true
			return name
		}
	}
}

func (g *generator) address(community string) string {
	base := strings.TrimSuffix(community, "社区")
	var place string
	switch g.pick(3) {
	case 0:
		place = base + "工业区"
	case 1:
		place = base + "路"
	default:
		place = base + "村"
	}
	return "福建省晋江市灵源街道" + community + place + strconv.Itoa(1+g.pick(388)) + "号"
}

// phone returns digits only: a mobile, or a 0595 landline with the given percent chance.
func (g *generator) phone(landlinePercent int) string {
	if g.chance(landlinePercent) {
		return "05958" + fmt.Sprintf("%07d", g.pick(10000000))
	}
	prefixes := []string{"130", "133", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "180", "186", "187", "188", "189", "199"}
	return prefixes[g.pick(len(prefixes))] + fmt.Sprintf("%08d", g.pick(100000000))
}

func (g *generator) personName(local bool) string {
	surnames := localSurnames
	if !local {
		surnames = migrantSurnames
	}
	name := string(surnames[g.pick(len(surnames))]) + string(givenChars[g.pick(len(givenChars))])
	if g.chance(75) {
		name += string(givenChars[g.pick(len(givenChars))])
	}
	return name
}

// uscc returns a new, unique, valid credit code of a 晋江 enterprise (91: enterprise; 92:
// individual business). Its inner organization code is valid too, as real ones are.
func (g *generator) uscc() string {
	for {
		code := g.usccWith(true)
		if !g.usccs[code] {
			g.usccs[code] = true
			return code
		}
	}
}

func (g *generator) usccWith(rightCheck bool) string {
	kind := "91"
	if g.chance(5) {
		kind = "92"
	}
	var body string
	if g.chance(70) {
		b := []byte("MA")
		for len(b) < 8 {
			b = append(b, gbcode.USCCCharset[g.pick(len(gbcode.USCCCharset))])
		}
		body = string(b)
	} else {
		body = fmt.Sprintf("%08d", g.pick(100000000))
	}
	oc, _ := gbcode.OrgCheckChar(body)
	base := kind + county + body + string(oc)
	c, _ := gbcode.USCCCheckChar(base)
	if !rightCheck {
		c = wrongChar(c, gbcode.USCCCharset)
	}
	return base + string(c)
}

func (g *generator) pilotUSCC() string {
	for {
		code := g.usccWith(false)
		if !g.usccs[code] {
			g.usccs[code] = true
			return code
		}
	}
}

func wrongChar(c byte, alphabet string) byte {
	i := strings.IndexByte(alphabet, c)
	return alphabet[(i+7)%len(alphabet)]
}

// --- the platform's copy ---

func (g *generator) platform() {
	n := len(g.ds.Ledger)
	onlyLedger := percentOf(n, 6)
	different := percentOf(n, 8)
	onlyPlatform := percentOf(n, 3)
	g.ds.Platform = make([]Enterprise, 0, n+onlyPlatform)
	// Spread the gaps over the ledger with fixed strides so that small datasets get each kind.
	for i := range g.ds.Ledger {
		e := g.ds.Ledger[i]
		if onlyLedger > 0 && i%17 == 5 {
			onlyLedger--
			g.ds.Gaps.OnlyInLedger = append(g.ds.Gaps.OnlyInLedger, e.USCC)
			continue
		}
		pe := g.platformRecord(e)
		if different > 0 && i%11 == 3 {
			different--
			g.portalEdit(&pe)
			g.ds.Gaps.Different = append(g.ds.Gaps.Different, e.USCC)
		}
		g.ds.Platform = append(g.ds.Platform, pe)
	}
	for k := 0; k < onlyPlatform; k++ {
		tr := pickWeighted(g, trades, func(t trade) int { return t.weight })
		e := g.newEnterprise(tr)
		e.KeyRisks = g.keyRisks(tr)
		e.Remark = ""
		pe := g.platformRecord(e)
		g.ds.Platform = append(g.ds.Platform, pe)
		g.ds.Gaps.OnlyOnPlatform = append(g.ds.Gaps.OnlyOnPlatform, e.USCC)
	}
}

func percentOf(n, percent int) int {
	k := n * percent / 100
	if k == 0 && n >= 5 {
		k = 1
	}
	return k
}

// bulkImport is when the platform imported most records at once: many share one gxsj second,
// which is what makes (gxsj, qyid) paging interesting.
func (g *generator) bulkImport() time.Time {
	return (g.ref - 400).Time(10 * 3600)
}

func (g *generator) platformRecord(e Enterprise) Enterprise {
	g.qySeq++
	e.Remark = ""
	e.PlatformID = fmt.Sprintf("QY%s%08d", county, 1000+g.qySeq*7)
	switch r := g.pick(100); {
	case r < 2:
		e.Grade = "1"
	case r < 8:
		e.Grade = "2"
	case r < 40:
		e.Grade = "3"
	case r < 68:
		e.Grade = "4"
	default:
		e.Grade = "0"
	}
	if e.Grade != "0" {
		e.GradeValidUntil = g.ref.AddDays(-200 + g.pick(1300))
	}
	e.RiskMonitored = e.KeyRisks != "" && g.chance(85)
	if g.chance(45) {
		e.UpdatedAt = g.bulkImport()
	} else {
		e.UpdatedAt = (g.ref - 1 - Day(g.pick(700))).Time(8*3600 + g.pick(10*3600))
	}
	e.EmployeesAsText = e.UpdatedAt.Before((g.ref - 300).Time(0)) && g.chance(40)
	return e
}

// portalEdit changes one or two street-owned fields the way someone on the platform's portal
// would.
func (g *generator) portalEdit(e *Enterprise) {
	for n := 1 + g.pick(2); n > 0; n-- {
		switch g.pick(6) {
		case 0:
			e.Phone = g.phone(10)
		case 1:
			e.Principal = g.personName(true)
		case 2:
			e.Employees += 5 + g.pick(40)
		case 3:
			e.Address = g.address(e.Community)
		case 4:
			e.SafetyManager = g.personName(true)
		default:
			if e.Status == "1" {
				e.Status = "2"
			} else {
				e.Status = "1"
			}
		}
	}
	e.UpdatedAt = (g.ref - 1 - Day(g.pick(60))).Time(9*3600 + g.pick(8*3600))
}

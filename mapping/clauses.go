package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// The judgement clauses (判定依据) of 《工贸企业重大事故隐患判定标准》 (应急管理部令第10号) as data,
// like the special-operations catalog: a hazard is major only with a clause, the built-in list
// holds the general clauses of contracts/hazards.md, and the config (hazards.clauses) adds or
// renames entries without a release, because the industry-specific articles are what a street
// meets in practice and the standard will be amended. A clause no list knows is kept as sent and
// reported, never rejected: the office may cite an article streetsync has not been told about.

// Clause is one 判定依据, written 条-项 ("3-2" is 第三条第（二）项). It is also the shape of one entry
// of the config's hazards.clauses.
type Clause struct {
	Code string `json:"code" yaml:"code"` // "3-2"
	Name string `json:"name" yaml:"name"` // 特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业
}

// ClauseUncertified is the clause the certificate alerts detect: a special operator working
// without the qualification is a major accident hazard of the enterprise.
const ClauseUncertified = "3-2"

// builtinClauses are the contract's general clauses (every industry), in its order.
var builtinClauses = []Clause{
	{"3-1", "未对承包单位、承租单位的安全生产工作统一协调、管理，或者未定期进行安全检查"},
	{"3-2", "特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业"},
	{"3-3", "金属冶炼企业主要负责人、安全生产管理人员未按照规定经考核合格"},
}

// Clauses resolves what people and systems write for a judgement clause. It is immutable once
// built and safe for concurrent use.
type Clauses struct {
	list   []Clause       // in code order (article, then item)
	index  map[string]int // code → index in list
	byName map[string]int // clauseKey of a name (or a former name) → index
}

// builtinClauseList is the built-in list, built once on first use.
var builtinClauseList = sync.OnceValue(func() *Clauses {
	c, err := NewClauses(nil)
	if err != nil {
		panic("mapping: built-in clauses: " + err.Error()) // a bug in the table above
	}
	return c
})

// DefaultClauses returns the built-in list (the contract's general clauses).
func DefaultClauses() *Clauses { return builtinClauseList() }

func clausesOrDefault(c *Clauses) *Clauses {
	if c == nil {
		return builtinClauseList()
	}
	return c
}

// NewClauses builds the built-in list extended by extra (the config's hazards.clauses), applied
// in order: an entry with a new code is added (it needs a name), one with a known code renames
// that clause, which keeps its former name so that older sheets citing it by text still resolve.
// A code may be written as the contract does (11-3) or as the standard does (第十一条第（三）项).
func NewClauses(extra []Clause) (*Clauses, error) {
	c := &Clauses{
		list:  append(make([]Clause, 0, len(builtinClauses)+len(extra)), builtinClauses...),
		index: make(map[string]int, len(builtinClauses)+len(extra)),
	}
	for i, cl := range c.list {
		c.index[cl.Code] = i
	}
	var formerNames [][2]string // (name, code)
	for n, x := range extra {
		where := fmt.Sprintf("hazards.clauses[%d]", n)
		code, ok := ParseClauseRef(x.Code)
		if !ok {
			return nil, fmt.Errorf("%s: code %q is not a clause (条-项, e.g. 3-2)", where, x.Code)
		}
		name := CleanText(x.Name)
		if i, ok := c.index[code]; ok {
			if name != "" && name != c.list[i].Name {
				formerNames = append(formerNames, [2]string{c.list[i].Name, code})
				c.list[i].Name = name
			}
			continue
		}
		if name == "" {
			return nil, fmt.Errorf("%s: new clause %s needs a name", where, code)
		}
		c.index[code] = len(c.list)
		c.list = append(c.list, Clause{code, name})
	}
	c.sort()
	c.byName = make(map[string]int, len(c.list)+len(formerNames))
	for _, f := range formerNames {
		c.byName[clauseKey(f[0])] = c.index[f[1]]
	}
	for i, cl := range c.list { // a current name beats a former one
		c.byName[clauseKey(cl.Name)] = i
	}
	return c, nil
}

// sort keeps the list in article order, then item order (3-2 before 3-10 before 11-1).
func (c *Clauses) sort() {
	less := func(a, b string) bool {
		aa, ai := splitClause(a)
		ba, bi := splitClause(b)
		return aa < ba || aa == ba && ai < bi
	}
	for i := 1; i < len(c.list); i++ {
		for j := i; j > 0 && less(c.list[j].Code, c.list[j-1].Code); j-- {
			c.list[j], c.list[j-1] = c.list[j-1], c.list[j]
		}
	}
	for i, cl := range c.list {
		c.index[cl.Code] = i
	}
}

// splitClause returns the article and item numbers of a canonical code.
func splitClause(code string) (article, item int) {
	a, b, _ := strings.Cut(code, "-")
	article, _ = strconv.Atoi(a)
	item, _ = strconv.Atoi(b)
	return article, item
}

// Clause returns the clause with this canonical code.
func (c *Clauses) Clause(code string) (Clause, bool) {
	if i, ok := c.index[code]; ok {
		return c.list[i], true
	}
	return Clause{}, false
}

// All returns every clause in article and item order.
func (c *Clauses) All() []Clause { return append([]Clause(nil), c.list...) }

// Parse resolves what a sheet, a command or the platform writes for a clause: a code (3-2, ３－２),
// the standard's reference (第三条第（二）项, 第三条第二项, 第3条第2项, with or without the
// standard's title before it), a known clause's text, or a reference followed by that clause's
// text. It returns the canonical code and whether the list knows it. Text that is a reference to
// a clause the list does not know comes back as its canonical code with known false; text that
// is no clause reference at all comes back cleaned, with known and ref false, for validation to
// report as written.
func (c *Clauses) Parse(text string) (code string, known, ref bool) {
	if code, ok := ParseClauseRef(text); ok {
		_, known = c.index[code]
		return code, known, true
	}
	k := clauseKey(text)
	if i, ok := c.byName[k]; ok {
		return c.list[i].Code, true, true
	}
	// A reference followed by the clause's own text: 第三条第（二）项 特种作业人员未按照规定……
	// The two must agree, or the text is not taken for either.
	if code, rest, ok := cutClauseRef(k); ok && rest != "" {
		if i, ok := c.byName[rest]; ok && c.list[i].Code == code {
			return code, true, true
		}
	}
	return CleanText(text), false, false
}

// Label renders a clause for people: 第三条第（二）项 特种作业人员未按照规定……; an unknown clause is
// its reference alone, and text that is no reference is returned as it is.
func (c *Clauses) Label(code string) string {
	ref := ClauseText(code)
	if ref == "" {
		return code
	}
	if cl, ok := c.Clause(code); ok {
		return ref + " " + cl.Name
	}
	return ref
}

// ParseClauseRef reads a clause reference and returns its canonical code 条-项: 3-2, ３－２, 03-02,
// 第三条第（二）项, 第三条第(二)项, 第三条第二项, 第三条（二）, 第3条第2项, optionally preceded by the
// standard's title in 《》. Article and item are 1 to 99.
func ParseClauseRef(text string) (string, bool) {
	code, rest, ok := cutClauseRef(clauseKey(text))
	if !ok || rest != "" {
		return "", false
	}
	return code, true
}

// ClauseText writes a canonical code the way the standard cites it: 3-2 → 第三条第（二）项. It
// returns "" for anything that is not a canonical code.
func ClauseText(code string) string {
	a, i := splitClause(code)
	if a < 1 || a > 99 || i < 1 || i > 99 || strconv.Itoa(a)+"-"+strconv.Itoa(i) != code {
		return ""
	}
	return "第" + chineseNumber(a) + "条第（" + chineseNumber(i) + "）项"
}

// clauseKey is the form clause texts are compared in: cleaned, folded, upper-case, without white
// space, punctuation or a trailing 的 (the standard's items end 上岗作业的；).
func clauseKey(s string) string {
	k := rewrite(s, rulesKey)
	var b strings.Builder
	for _, r := range k {
		if unicode.IsPunct(r) && !isDash(r) && r != '(' && r != ')' && r != '（' && r != '）' && r != '《' && r != '》' {
			continue
		}
		b.WriteRune(r)
	}
	return strings.TrimSuffix(b.String(), "的")
}

// cutClauseRef reads a reference at the start of a clause key and returns its canonical code and
// what follows it.
func cutClauseRef(k string) (code, rest string, ok bool) {
	if i := strings.Index(k, "》"); i >= 0 && strings.HasPrefix(k, "《") {
		k = k[i+len("》"):] // 《工贸企业重大事故隐患判定标准》第三条……
	}
	p := clauseScanner{s: k}
	var article, item int
	if p.word("第") {
		if article, ok = p.number(); !ok || !p.word("条") {
			return "", "", false
		}
		p.word("第")
		open := p.word("(") || p.word("（")
		if item, ok = p.number(); !ok {
			return "", "", false
		}
		if open && !p.word(")") && !p.word("）") {
			return "", "", false
		}
		if !p.word("项") && !open {
			return "", "", false // 第三条第二 is not a reference; 第三条（二） is
		}
	} else {
		if article, ok = p.number(); !ok || !p.dash() {
			return "", "", false
		}
		if item, ok = p.number(); !ok {
			return "", "", false
		}
	}
	if article < 1 || article > 99 || item < 1 || item > 99 {
		return "", "", false
	}
	return strconv.Itoa(article) + "-" + strconv.Itoa(item), p.s[p.i:], true
}

// clauseScanner reads a clause key.
type clauseScanner struct {
	s string
	i int
}

func (p *clauseScanner) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *clauseScanner) dash() bool {
	if p.i >= len(p.s) {
		return false
	}
	r, size := decodeRune(p.s, p.i)
	if isDash(r) {
		p.i += size
		return true
	}
	return false
}

// number reads ASCII digits (1–2 of them after leading zeros) or a Chinese numeral up to 九十九.
func (p *clauseScanner) number() (int, bool) {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i > start {
		digits := strings.TrimLeft(p.s[start:p.i], "0")
		if len(digits) > 2 {
			return 0, false
		}
		n, _ := strconv.Atoi("0" + digits)
		return n, true
	}
	// 一 … 九, 十, 十一 … 十九, 二十 … 九十九 (两 for 二)
	tens, units := -1, -1
scan:
	for p.i < len(p.s) {
		r, size := decodeRune(p.s, p.i)
		switch d := chineseDigit(r); {
		case d > 0 && units < 0:
			units = d
		case r == '十' && tens < 0:
			tens = max(units, 1)
			units = -1
		default:
			break scan
		}
		p.i += size
	}
	n := max(tens, 0)*10 + max(units, 0)
	return n, n > 0
}

// chineseDigit returns 1–9 for 一–九 (两 for 二), -1 otherwise.
func chineseDigit(r rune) int {
	switch r {
	case '一':
		return 1
	case '二', '两':
		return 2
	case '三':
		return 3
	case '四':
		return 4
	case '五':
		return 5
	case '六':
		return 6
	case '七':
		return 7
	case '八':
		return 8
	case '九':
		return 9
	}
	return -1
}

// chineseNumber writes 1–99 in Chinese numerals: 3 → 三, 11 → 十一, 20 → 二十, 23 → 二十三.
func chineseNumber(n int) string {
	const digits = "〇一二三四五六七八九"
	d := []rune(digits)
	switch {
	case n < 10:
		return string(d[n])
	case n < 20:
		if n == 10 {
			return "十"
		}
		return "十" + string(d[n-10])
	case n%10 == 0:
		return string(d[n/10]) + "十"
	}
	return string(d[n/10]) + "十" + string(d[n%10])
}

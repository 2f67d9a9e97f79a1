package quanzhou

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"streetsync/mocks/internal/order"
)

// Hazards and inspections (contracts/hazards.md, which extends quanzhou-platform.md): GET and
// POST /hazards, POST /hazards/{yhid}/status and GET /inspections, with the same transport,
// checks, faults and moving pages as the other endpoints.

// Envelope codes and messages these endpoints add.
const (
	itemBadClause      = 40015 // pdbz missing or malformed for a major hazard
	codeStatusBackward = 40903 // a status may only move forward

	msgUnknownEnterprise = "企业不存在，请先推送企业信息"
	msgClause            = "重大事故隐患须填写判定依据（条-项，如3-2）"
	msgClauseGeneral     = "一般隐患不填判定依据"
	msgHazardConflict    = "隐患编号已存在且内容不同"
	msgStatusBackward    = "整改状态不能回退"
	msgStatusClosed      = "隐患已销号，不能再变更整改状态"
	msgDeadlineEarly     = "整改期限早于发现日期 "
)

// hf indexes the fields of a hazard the reporter sends (and the status fields both sides do), in
// the contract's order.
type hf int

const (
	hLybh hf = iota
	hTyshxydm
	hXzqhdm
	hYhly
	hYhdj
	hPdbz
	hYhms
	hYhbw
	hFxrq
	hFxr
	hZgqx
	hZgzrr
	hZgcs
	hZgzt
	hZgsm
	hZgczr
	hZgczsj
	nHazard
)

// nReported: the fields before the status are the reporter's; a repeated create is compared on
// them.
const nReported = hZgzt

var hazardWire = [nHazard]string{"lybh", "tyshxydm", "xzqhdm", "yhly", "yhdj", "pdbz", "yhms", "yhbw", "fxrq", "fxr",
	"zgqx", "zgzrr", "zgcs", "zgzt", "zgsm", "zgczr", "zgczsj"}

// requiredOnHazard are the fields a create must fill, in the order errors name them.
var requiredOnHazard = []hf{hLybh, hTyshxydm, hXzqhdm, hYhly, hYhdj, hYhms, hFxrq, hZgqx}

var (
	hazardSources  = map[string]bool{"QYZC": true, "JDJC": true, "ZJHZ": true, "JBTS": true, "SJJC": true}
	hazardLevels   = map[string]bool{"1": true, "2": true}
	hazardStatuses = map[string]bool{"0": true, "1": true, "2": true, "3": true}
)

// hazard is a stored hazard: the sent fields as strings, the platform's, gxsj as Unix seconds.
type hazard struct {
	yhid    string
	f       [nHazard]string
	qyid    string
	qymc    string
	gxsj    int64
	changes []StatusChange
}

func cmpHazard(a, b *hazard) int {
	switch {
	case a.gxsj < b.gxsj:
		return -1
	case a.gxsj > b.gxsj:
		return 1
	}
	return strings.Compare(a.yhid, b.yhid)
}

// inspection is a stored 企业检查记录.
type inspection struct {
	jcid, tyshxydm, qymc, jcrq, jclx, dzr string
	fxyhs                                 int
	fxyhsText                             bool // an older record: fxyhs is answered as a string
	gxsj                                  int64
}

func cmpInspection(a, b *inspection) int {
	switch {
	case a.gxsj < b.gxsj:
		return -1
	case a.gxsj > b.gxsj:
		return 1
	}
	return strings.Compare(a.jcid, b.jcid)
}

// hazardStore is the platform's hazard and inspection state; the Platform's mu guards it.
type hazardStore struct {
	hazards     *order.Set[hazard]
	byYhid      map[string]*hazard
	byLybh      map[string]*hazard
	inspections *order.Set[inspection]
	seq         int
	creates     map[string]int // CREATED answers by lybh
}

func newHazardStore() hazardStore {
	return hazardStore{
		hazards:     order.New(cmpHazard, 0),
		byYhid:      map[string]*hazard{},
		byLybh:      map[string]*hazard{},
		inspections: order.New(cmpInspection, 0),
		creates:     map[string]int{},
	}
}

// matchHazards routes the hazard and inspection endpoints.
func (p *Platform) matchHazards(method, sub string) (route, bool) {
	switch {
	case method == http.MethodGet && sub == "/hazards":
		return route{"GET /hazards", true, p.listHazards}, true
	case method == http.MethodPost && sub == "/hazards":
		return route{"POST /hazards", true, p.createHazard}, true
	case method == http.MethodPost && strings.HasPrefix(sub, "/hazards/") && strings.HasSuffix(sub, "/status"):
		id := strings.TrimSuffix(strings.TrimPrefix(sub, "/hazards/"), "/status")
		if id != "" && !strings.Contains(id, "/") {
			return route{"POST /hazards/{yhid}/status", true, p.hazardStatus}, true
		}
	case method == http.MethodGet && sub == "/inspections":
		return route{"GET /inspections", true, p.listInspections}, true
	}
	return route{}, false
}

func appendHazard(b []byte, h *hazard) []byte {
	b = append(b, '{')
	b = appendField(b, "yhid", h.yhid)
	for i := hLybh; i < nHazard; i++ {
		b = append(b, ',')
		b = appendField(b, hazardWire[i], h.f[i])
		if i == hTyshxydm {
			b = append(b, ',')
			b = appendField(b, "qyid", h.qyid)
			b = append(b, ',')
			b = appendField(b, "qymc", h.qymc)
		}
	}
	b = append(b, `,"gxsj":`...)
	b = appendTime(b, h.gxsj)
	return append(b, '}')
}

func appendInspection(b []byte, in *inspection) []byte {
	b = append(b, '{')
	for i, kv := range [...]struct{ k, v string }{{"jcid", in.jcid}, {"tyshxydm", in.tyshxydm}, {"qymc", in.qymc},
		{"jcrq", in.jcrq}, {"jclx", in.jclx}, {"dzr", in.dzr}} {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, kv.k, kv.v)
	}
	b = append(b, `,"fxyhs":`...)
	if in.fxyhsText {
		b = appendString(b, strconv.Itoa(in.fxyhs))
	} else {
		b = strconv.AppendInt(b, int64(in.fxyhs), 10)
	}
	b = append(b, `,"gxsj":`...)
	b = appendTime(b, in.gxsj)
	return append(b, '}')
}

// listed describes one gxsj-ordered listing for listRecords.
type listed[T any] struct {
	set   func() *order.Set[T] // called under p.mu
	gxsj  func(*T) int64
	touch func(*T, int64) // re-files a record at a new gxsj; called under p.mu
	write func([]byte, *T) []byte
	size  int // bytes of a record, roughly
}

// listRecords answers a listing as every listing of the platform does: evaluated afresh at every
// request, and with the mutation fault a random record of the listed set is touched first (a
// concurrent portal edit moves it to the end; those behind it move up).
func listRecords[T any](p *Platform, req *request, l listed[T]) *answer {
	lq, fail := p.parseList(req)
	if fail != nil {
		return fail
	}
	mutate := p.draw(p.Faults().MutateWhilePaging)
	p.mu.Lock()
	defer p.mu.Unlock()
	s := l.set()
	first := s.Search(func(r *T) bool { return l.gxsj(r) >= lq.start })
	n := s.Len()
	if mutate && n > first {
		l.touch(s.Items[first+p.intn(n-first)], req.now.Unix())
	}
	from, to := lq.page(first, n)
	b := okStart(make([]byte, 0, 160+(to-from)*l.size))
	b = appendPage(b, n-first, lq.pageNo, lq.pageSize)
	for i := from; i < to; i++ {
		if i > from {
			b = append(b, ',')
		}
		b = l.write(b, s.Items[i])
	}
	return p.okEnd(append(b, "]}"...))
}

// listHazards is GET /hazards.
func (p *Platform) listHazards(req *request) *answer {
	return listRecords(p, req, listed[hazard]{
		set:   func() *order.Set[hazard] { return p.hz.hazards },
		gxsj:  func(h *hazard) int64 { return h.gxsj },
		touch: p.touchHazard,
		write: appendHazard,
		size:  600,
	})
}

// listInspections is GET /inspections.
func (p *Platform) listInspections(req *request) *answer {
	return listRecords(p, req, listed[inspection]{
		set:  func() *order.Set[inspection] { return p.hz.inspections },
		gxsj: func(in *inspection) int64 { return in.gxsj },
		touch: func(in *inspection, gxsj int64) {
			p.hz.inspections.Remove(in)
			in.gxsj = gxsj
			p.hz.inspections.Insert(in)
		},
		write: appendInspection,
		size:  220,
	})
}

// touchHazard re-files h after its gxsj changed; the caller holds p.mu.
func (p *Platform) touchHazard(h *hazard, gxsj int64) {
	p.hz.hazards.Remove(h)
	h.gxsj = gxsj
	p.hz.hazards.Insert(h)
}

func (p *Platform) nextYhid() string {
	p.hz.seq++
	return "YH" + p.cfg.Region[:6] + leftPad(strconv.Itoa(9000000+p.hz.seq), 7)
}

// decodeHazard reads the body of POST /hazards: the known fields, each a string (null counts as
// absent); platform-set and unknown fields are ignored.
func decodeHazard(body []byte, sent *[nHazard]string, present *[nHazard]bool) (bad string, ok bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return "", false
	}
	for i := hLybh; i < nHazard; i++ {
		v, found := obj[hazardWire[i]]
		if !found || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		if json.Unmarshal(v, &sent[i]) != nil {
			return hazardWire[i], true
		}
		present[i] = true
	}
	return "", true
}

// validClause reports the contract's 条-项 form: two numbers of 1–2 digits, neither zero.
func validClause(s string) bool {
	a, b, ok := strings.Cut(s, "-")
	num := func(x string) bool { return len(x) >= 1 && len(x) <= 2 && isDigits(x) && x != "0" && x != "00" }
	return ok && num(a) && num(b)
}

func parseDate(s string) (int64, bool) {
	t, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
	if err != nil {
		return 0, false
	}
	return t.Unix(), true
}

// createHazard is POST /hazards: the item checks answer with the envelope's code; a repeated
// lybh is a duplicate when its content is the same, a conflict otherwise.
func (p *Platform) createHazard(req *request) *answer {
	var sent [nHazard]string
	var present [nHazard]bool
	bad, ok := decodeHazard(req.body, &sent, &present)
	switch {
	case !ok:
		return p.fail(codeBadParam, msgBadBody)
	case bad != "":
		return p.fail(codeBadParam, msgBadParam+bad)
	}
	for _, f := range requiredOnHazard {
		if sent[f] == "" {
			return p.fail(itemMissing, msgItemMissing+hazardWire[f])
		}
	}
	if !validLybh(sent[hLybh]) {
		return p.fail(codeBadParam, msgBadParam+"lybh")
	}
	if sent[hXzqhdm] != req.app.Region {
		return p.fail(itemRegion, msgItemRegion)
	}
	switch {
	case !hazardSources[sent[hYhly]]:
		return p.fail(itemBadCode, msgItemBadCode+"yhly")
	case !hazardLevels[sent[hYhdj]]:
		return p.fail(itemBadCode, msgItemBadCode+"yhdj")
	case sent[hZgzt] != "" && !hazardStatuses[sent[hZgzt]]:
		return p.fail(itemBadCode, msgItemBadCode+"zgzt")
	case sent[hYhdj] == "2" && !validClause(sent[hPdbz]):
		return p.fail(itemBadClause, msgClause)
	case sent[hYhdj] == "1" && sent[hPdbz] != "":
		return p.fail(itemBadClause, msgClauseGeneral)
	}
	found, ok1 := parseDate(sent[hFxrq])
	deadline, ok2 := parseDate(sent[hZgqx])
	switch {
	case !ok1:
		return p.fail(codeBadParam, msgBadParam+"fxrq")
	case !ok2:
		return p.fail(codeBadParam, msgBadParam+"zgqx")
	case deadline < found:
		return p.fail(codeBadParam, msgDeadlineEarly+"zgqx")
	}
	if s := sent[hZgczsj]; s != "" {
		if _, ok := parseTime(s); !ok {
			return p.fail(codeBadParam, msgBadParam+"zgczsj")
		}
	}
	if sent[hZgzt] == "" {
		sent[hZgzt] = "0"
	}
	if sent[hZgzt] == "3" && sent[hZgsm] == "" {
		return p.fail(itemMissing, msgItemMissing+"zgsm")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byUSCC[sent[hTyshxydm]]
	if e == nil {
		return p.fail(codeNotFound, msgUnknownEnterprise)
	}
	if h := p.hz.byLybh[sent[hLybh]]; h != nil {
		// The same report again (a client that did not see the answer): the reporter's fields
		// decide; the status may have moved on since, by /status or on the portal.
		for i := hLybh; i < nReported; i++ {
			if h.f[i] != sent[i] {
				return p.fail(codeConflict, msgHazardConflict)
			}
		}
		return p.ok(hazardAnswer(h.yhid, true))
	}
	h := &hazard{yhid: p.nextYhid(), f: sent, qyid: e.qyid, qymc: e.f[fQymc], gxsj: req.now.Unix()}
	p.hz.byYhid[h.yhid] = h
	p.hz.byLybh[sent[hLybh]] = h
	p.hz.hazards.Insert(h)
	p.hz.creates[sent[hLybh]]++
	return p.ok(hazardAnswer(h.yhid, false))
}

func hazardAnswer(yhid string, duplicate bool) []byte {
	b := append(appendField([]byte{'{'}, "yhid", yhid), `,"duplicate":`...)
	return append(strconv.AppendBool(b, duplicate), '}')
}

func validLybh(s string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// StatusChange is one status change the platform accepted for a hazard.
type StatusChange struct {
	Zgzt   string    `json:"zgzt"`
	Zgsm   string    `json:"zgsm"`
	Zgczr  string    `json:"zgczr"`
	Zgczsj string    `json:"zgczsj"`
	At     time.Time `json:"-"` // when the platform accepted it
}

// hazardStatus is POST /hazards/{yhid}/status: forward only (skipping allowed), the same change
// again is a duplicate, a backward move 40903.
func (p *Platform) hazardStatus(req *request) *answer {
	yhid := strings.TrimSuffix(strings.TrimPrefix(req.route, "/hazards/"), "/status")
	var body map[string]json.RawMessage
	if err := json.Unmarshal(req.body, &body); err != nil || body == nil {
		return p.fail(codeBadParam, msgBadBody)
	}
	var ch StatusChange
	for _, f := range []struct {
		name string
		dst  *string
	}{{"zgzt", &ch.Zgzt}, {"zgsm", &ch.Zgsm}, {"zgczr", &ch.Zgczr}, {"zgczsj", &ch.Zgczsj}} {
		raw, ok := body[f.name]
		if !ok || json.Unmarshal(raw, f.dst) != nil || *f.dst == "" {
			return p.fail(codeBadParam, msgMissingParam+f.name)
		}
	}
	if ch.Zgzt != "1" && ch.Zgzt != "2" && ch.Zgzt != "3" {
		return p.fail(codeBadParam, msgBadParam+"zgzt")
	}
	if _, ok := parseTime(ch.Zgczsj); !ok {
		return p.fail(codeBadParam, msgBadParam+"zgczsj")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hz.byYhid[yhid]
	if h == nil {
		return p.fail(codeNotFound, msgNotFound)
	}
	same := func(c StatusChange) bool {
		return c.Zgzt == ch.Zgzt && c.Zgsm == ch.Zgsm && c.Zgczr == ch.Zgczr && c.Zgczsj == ch.Zgczsj
	}
	for _, prev := range h.changes {
		if same(prev) {
			return p.ok([]byte(`{"duplicate":true}`))
		}
	}
	if same(StatusChange{Zgzt: h.f[hZgzt], Zgsm: h.f[hZgsm], Zgczr: h.f[hZgczr], Zgczsj: h.f[hZgczsj]}) {
		// The hazard already carries exactly this change (recorded on the platform's side).
		return p.ok([]byte(`{"duplicate":true}`))
	}
	switch cur := h.f[hZgzt]; {
	case ch.Zgzt < cur: // one digit each: the text order is the status order
		return p.fail(codeStatusBackward, msgStatusBackward)
	case cur == "3":
		return p.fail(codeStatusBackward, msgStatusClosed)
	}
	ch.At = req.now
	h.changes = append(h.changes, ch)
	h.f[hZgzt], h.f[hZgsm], h.f[hZgczr], h.f[hZgczsj] = ch.Zgzt, ch.Zgsm, ch.Zgczr, ch.Zgczsj
	p.touchHazard(h, req.now.Unix())
	return p.ok([]byte(`{"duplicate":false}`))
}

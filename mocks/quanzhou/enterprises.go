package quanzhou

import (
	"bytes"
	"encoding/json"
	"strconv"
	"streetsync/mocks/internal/order"
	"strings"
	"time"

	"streetsync/mocks/dataset"
	"streetsync/mocks/internal/gbcode"
)

// field indexes the street-owned fields of an enterprise record, in the contract's order.
type field int

const (
	fTyshxydm field = iota
	fQymc
	fFddbr
	fZyfzr
	fZyfzrlxdh
	fAqglry
	fJydz
	fXzqhdm
	fSqmc
	fHylb
	fZdlx
	fCyrs
	fQyzt
	fSfczc
	nStreet
)

var streetWire = [nStreet]string{"tyshxydm", "qymc", "fddbr", "zyfzr", "zyfzrlxdh", "aqglry", "jydz", "xzqhdm", "sqmc", "hylb", "zdlx", "cyrs", "qyzt", "sfczc"}

// requiredOnCreate is the contract's list, in the order errors name them.
var requiredOnCreate = []field{fTyshxydm, fQymc, fFddbr, fZyfzr, fZyfzrlxdh, fJydz, fXzqhdm, fHylb, fQyzt}

var (
	industries = map[string]bool{"YJ": true, "YS": true, "JC": true, "JX": true, "QG": true, "FZ": true, "YC": true, "SM": true}
	keyRisks   = map[string]bool{"FCSB": true, "SAZL": true, "YXKJ": true, "GWRR": true, "MQ": true, "SL": true, "PT": true}
	statuses   = map[string]bool{"1": true, "2": true, "3": true, "4": true}
)

// enterprise is a stored record: street-owned fields as last saved (strings as sent), platform
// fields, and gxsj as Unix seconds.
type enterprise struct {
	qyid     string
	f        [nStreet]string
	cyrsText bool // an older record: cyrs is answered as a string
	bzhdj    string
	bzhyxq   string
	sfnrjcyj string
	gxsj     int64
}

func cmpEnterprise(a, b *enterprise) int {
	switch {
	case a.gxsj < b.gxsj:
		return -1
	case a.gxsj > b.gxsj:
		return 1
	}
	return strings.Compare(a.qyid, b.qyid)
}

func parseTime(s string) (int64, bool) {
	t, err := time.ParseInLocation(timeLayout, s, dataset.Beijing)
	if err != nil {
		return 0, false
	}
	return t.Unix(), true
}

func formatTime(unix int64) string {
	if unix == 0 {
		return ""
	}
	return time.Unix(unix, 0).In(dataset.Beijing).Format(timeLayout)
}

func appendTime(b []byte, unix int64) []byte {
	if unix == 0 {
		return append(b, `""`...)
	}
	b = append(b, '"')
	b = time.Unix(unix, 0).In(dataset.Beijing).AppendFormat(b, timeLayout)
	return append(b, '"')
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendEnterprise renders a record as the platform answers it.
func appendEnterprise(b []byte, e *enterprise) []byte {
	b = append(b, '{')
	b = appendField(b, "qyid", e.qyid)
	for i := fTyshxydm; i < nStreet; i++ {
		b = append(b, ',')
		if i == fCyrs {
			b = append(b, `"cyrs":`...)
			if !e.cyrsText && isDigits(e.f[fCyrs]) {
				b = append(b, e.f[fCyrs]...)
			} else {
				b = appendString(b, e.f[fCyrs])
			}
			continue
		}
		b = appendField(b, streetWire[i], e.f[i])
	}
	b = append(b, ',')
	b = appendField(b, "bzhdj", e.bzhdj)
	b = append(b, ',')
	b = appendField(b, "bzhyxq", e.bzhyxq)
	b = append(b, ',')
	b = appendField(b, "sfnrjcyj", e.sfnrjcyj)
	b = append(b, `,"gxsj":`...)
	b = appendTime(b, e.gxsj)
	return append(b, '}')
}

// move re-files e after its gxsj changed; the caller holds p.mu.
func (p *Platform) touchEnterprise(e *enterprise, gxsj int64) {
	p.ents.Remove(e)
	e.gxsj = gxsj
	p.ents.Insert(e)
}

func (p *Platform) nextQyid() string {
	p.qySeq++
	return "QY" + p.cfg.Region[:6] + leftPad(strconv.Itoa(90000000+p.qySeq), 8)
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// listEnterprises is GET /enterprises: evaluated afresh at every request.
func (p *Platform) listEnterprises(req *request) *answer {
	lq, fail := p.parseList(req)
	if fail != nil {
		return fail
	}
	mutate := p.draw(p.Faults().MutateWhilePaging)
	p.mu.Lock()
	defer p.mu.Unlock()
	first := p.ents.Search(func(e *enterprise) bool { return e.gxsj >= lq.start })
	n := p.ents.Len()
	if mutate && n > first {
		// A concurrent portal edit: the record moves to the end; those behind it move up.
		p.touchEnterprise(p.ents.Items[first+p.intn(n-first)], req.now.Unix())
	}
	from, to := lq.page(first, n)
	b := okStart(make([]byte, 0, 160+(to-from)*650))
	b = appendPage(b, n-first, lq.pageNo, lq.pageSize)
	for i := from; i < to; i++ {
		if i > from {
			b = append(b, ',')
		}
		b = appendEnterprise(b, p.ents.Items[i])
	}
	return p.okEnd(append(b, "]}"...))
}

// getEnterprise is GET /enterprises/{tyshxydm}.
func (p *Platform) getEnterprise(req *request) *answer {
	uscc := strings.TrimPrefix(req.route, "/enterprises/")
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byUSCC[uscc]
	if e == nil {
		return p.fail(codeNotFound, msgNotFound)
	}
	return p.ok(appendEnterprise(nil, e))
}

// itemResult is one entry of batchSave's results.
type itemResult struct {
	tyshxydm string
	qyid     string
	result   string
	errCode  int
	errMsg   string
}

// batchSave is POST /enterprises/batchSave: 1–100 records, each judged on its own.
func (p *Platform) batchSave(req *request) *answer {
	var body struct {
		List *[]json.RawMessage `json:"list"`
	}
	if err := json.Unmarshal(req.body, &body); err != nil {
		return p.fail(codeBadParam, msgBadBody)
	}
	if body.List == nil {
		return p.fail(codeBadParam, msgMissingParam+"list")
	}
	items := *body.List
	if len(items) < 1 || len(items) > maxBatch {
		return p.fail(codeBadParam, msgBatchSize)
	}
	faults := p.Faults()
	results := make([]itemResult, len(items))
	success := 0
	for i, raw := range items {
		// Transient failures are drawn before taking the lock, in item order.
		transient := 0
		if p.draw(faults.ItemConflict) {
			transient = itemConcurrent
		} else if p.draw(faults.ItemStoreFailure) {
			transient = itemStoreFailed
		}
		p.mu.Lock()
		results[i] = p.saveItem(raw, req.app.Region, req.now, transient)
		p.mu.Unlock()
		if results[i].result != resultFailed {
			success++
		}
	}
	b := make([]byte, 0, 64+len(items)*120)
	b = append(b, `{"successCount":`...)
	b = strconv.AppendInt(b, int64(success), 10)
	b = append(b, `,"failCount":`...)
	b = strconv.AppendInt(b, int64(len(items)-success), 10)
	b = append(b, `,"results":[`...)
	for i, r := range results {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ',')
		b = appendField(b, "tyshxydm", r.tyshxydm)
		if r.qyid != "" {
			b = append(b, ',')
			b = appendField(b, "qyid", r.qyid)
		}
		b = append(b, ',')
		b = appendField(b, "result", r.result)
		if r.result == resultFailed {
			b = append(b, `,"errCode":`...)
			b = strconv.AppendInt(b, int64(r.errCode), 10)
			b = append(b, ',')
			b = appendField(b, "errMsg", r.errMsg)
		}
		b = append(b, '}')
	}
	return p.ok(append(b, "]}"...))
}

// saveItem judges and stores one record; the caller holds p.mu.
func (p *Platform) saveItem(raw json.RawMessage, region string, now time.Time, transient int) itemResult {
	var sent [nStreet]string
	var present [nStreet]bool
	res, ok := decodeItem(raw, &sent, &present)
	if ok {
		res = p.judge(&sent, &present, region, transient)
	}
	if res.result == "" {
		res = p.store(&sent, &present, now)
	}
	if !p.cfg.DiscardPushes {
		key := res.tyshxydm
		p.pushes[key] = append(p.pushes[key], Push{Payload: append(json.RawMessage(nil), raw...), Result: res.result,
			ErrCode: res.errCode, At: now})
	}
	return res
}

// decodeItem reads the street-owned fields of one item. Platform-owned and unknown fields are
// ignored; null counts as absent.
func decodeItem(raw json.RawMessage, sent *[nStreet]string, present *[nStreet]bool) (itemResult, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return itemResult{result: resultFailed, errCode: itemBadCode, errMsg: msgItemBadCode + "list"}, false
	}
	var bad []string
	for i := fTyshxydm; i < nStreet; i++ {
		v, ok := obj[streetWire[i]]
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			// cyrs may be sent as a number; anything else must be a string.
			var n json.Number
			if i != fCyrs || json.Unmarshal(v, &n) != nil {
				bad = append(bad, streetWire[i])
				continue
			}
			s = n.String()
		}
		sent[i], present[i] = s, true
	}
	res := itemResult{tyshxydm: sent[fTyshxydm]}
	if len(bad) > 0 {
		res.result, res.errCode, res.errMsg = resultFailed, itemBadCode, msgItemBadCode+bad[0]
		return res, false
	}
	return res, true
}

// judge applies the item rules; it returns a FAILED result or one with result "" to store.
func (p *Platform) judge(sent *[nStreet]string, present *[nStreet]bool, region string, transient int) itemResult {
	res := itemResult{tyshxydm: sent[fTyshxydm]}
	failed := func(code int, msg string) itemResult {
		res.result, res.errCode, res.errMsg = resultFailed, code, msg
		return res
	}
	uscc := sent[fTyshxydm]
	if uscc == "" {
		return failed(itemMissing, msgItemMissing+"tyshxydm")
	}
	if !gbcode.USCCAccepted(uscc) {
		return failed(itemBadUSCC, msgItemUSCC)
	}
	if present[fXzqhdm] && sent[fXzqhdm] != "" && sent[fXzqhdm] != region {
		return failed(itemRegion, msgItemRegion)
	}
	existing := p.byUSCC[uscc]
	for _, f := range requiredOnCreate {
		if (existing == nil && !present[f]) || (present[f] && sent[f] == "") {
			return failed(itemMissing, msgItemMissing+streetWire[f])
		}
	}
	if present[fHylb] && !industries[sent[fHylb]] {
		return failed(itemBadCode, msgItemBadCode+"hylb")
	}
	if present[fZdlx] && sent[fZdlx] != "" {
		for _, c := range strings.Split(sent[fZdlx], ",") {
			if !keyRisks[c] {
				return failed(itemBadCode, msgItemBadCode+"zdlx")
			}
		}
	}
	if present[fQyzt] && !statuses[sent[fQyzt]] {
		return failed(itemBadCode, msgItemBadCode+"qyzt")
	}
	if present[fSfczc] && sent[fSfczc] != "1" && sent[fSfczc] != "0" && sent[fSfczc] != "" {
		return failed(itemBadCode, msgItemBadCode+"sfczc")
	}
	if present[fCyrs] && sent[fCyrs] != "" && !isDigits(sent[fCyrs]) {
		return failed(itemBadCode, msgItemBadCode+"cyrs")
	}
	switch transient {
	case itemConcurrent:
		return failed(itemConcurrent, msgItemConflict)
	case itemStoreFailed:
		return failed(itemStoreFailed, msgItemStore)
	}
	return res
}

// store creates or updates; UNCHANGED when every sent street-owned field equals the stored value
// as a string.
func (p *Platform) store(sent *[nStreet]string, present *[nStreet]bool, now time.Time) itemResult {
	uscc := sent[fTyshxydm]
	e := p.byUSCC[uscc]
	if e == nil {
		e = &enterprise{qyid: p.nextQyid(), f: *sent, bzhdj: "0", sfnrjcyj: "0", gxsj: now.Unix()}
		p.byUSCC[uscc] = e
		p.ents.Insert(e)
		p.creates[uscc]++
		return itemResult{tyshxydm: uscc, qyid: e.qyid, result: resultCreated}
	}
	changed := false
	for i := fTyshxydm; i < nStreet; i++ {
		if present[i] && sent[i] != e.f[i] {
			changed = true
		}
	}
	if !changed {
		return itemResult{tyshxydm: uscc, qyid: e.qyid, result: resultUnchanged}
	}
	for i := fTyshxydm; i < nStreet; i++ {
		if present[i] {
			e.f[i] = sent[i]
		}
	}
	if present[fCyrs] {
		e.cyrsText = false
	}
	p.touchEnterprise(e, now.Unix())
	return itemResult{tyshxydm: uscc, qyid: e.qyid, result: resultUpdated}
}

func newEnterpriseSet(records []enterprise) *order.Set[enterprise] {
	s := order.New(cmpEnterprise, len(records))
	for i := range records {
		s.Items = append(s.Items, &records[i])
	}
	s.Sort()
	return s
}

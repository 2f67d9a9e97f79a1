package quanzhou

import (
	"encoding/json"
	"streetsync/mocks/internal/order"
	"strings"
	"time"
)

// alarm is a stored risk-monitoring alarm; times are Unix seconds (0: none).
type alarm struct {
	bjid, qyid, tyshxydm, qymc string
	jcdbm, jcdmc, jcxm, jldw   string
	bjz, yz, bjlx, bjjb        string
	bjsj, hfsj                 int64
	czzt, czsm, czr            string
	czsj                       int64
	gxsj                       int64
	feedback                   []Feedback
}

func cmpAlarm(a, b *alarm) int {
	switch {
	case a.gxsj < b.gxsj:
		return -1
	case a.gxsj > b.gxsj:
		return 1
	}
	return strings.Compare(a.bjid, b.bjid)
}

func appendAlarm(b []byte, a *alarm) []byte {
	b = append(b, '{')
	for i, kv := range [...]struct{ k, v string }{
		{"bjid", a.bjid}, {"qyid", a.qyid}, {"tyshxydm", a.tyshxydm}, {"qymc", a.qymc}, {"jcdbm", a.jcdbm},
		{"jcdmc", a.jcdmc}, {"jcxm", a.jcxm}, {"jldw", a.jldw}, {"bjz", a.bjz}, {"yz", a.yz}, {"bjlx", a.bjlx}, {"bjjb", a.bjjb},
	} {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, kv.k, kv.v)
	}
	b = append(b, `,"bjsj":`...)
	b = appendTime(b, a.bjsj)
	b = append(b, `,"hfsj":`...)
	b = appendTime(b, a.hfsj)
	b = append(b, ',')
	b = appendField(b, "czzt", a.czzt)
	b = append(b, ',')
	b = appendField(b, "czsm", a.czsm)
	b = append(b, ',')
	b = appendField(b, "czr", a.czr)
	b = append(b, `,"czsj":`...)
	b = appendTime(b, a.czsj)
	b = append(b, `,"gxsj":`...)
	b = appendTime(b, a.gxsj)
	return append(b, '}')
}

func (p *Platform) touchAlarm(a *alarm, gxsj int64) {
	p.alarms.Remove(a)
	a.gxsj = gxsj
	p.alarms.Insert(a)
}

// listAlarms is GET /risk/alarms: same paging behaviour as enterprises.
func (p *Platform) listAlarms(req *request) *answer {
	lq, fail := p.parseList(req)
	if fail != nil {
		return fail
	}
	mutate := p.draw(p.Faults().MutateWhilePaging)
	p.mu.Lock()
	defer p.mu.Unlock()
	first := p.alarms.Search(func(a *alarm) bool { return a.gxsj >= lq.start })
	n := p.alarms.Len()
	if mutate && n > first {
		p.touchAlarm(p.alarms.Items[first+p.intn(n-first)], req.now.Unix())
	}
	from, to := lq.page(first, n)
	b := okStart(make([]byte, 0, 160+(to-from)*700))
	b = appendPage(b, n-first, lq.pageNo, lq.pageSize)
	for i := from; i < to; i++ {
		if i > from {
			b = append(b, ',')
		}
		b = appendAlarm(b, p.alarms.Items[i])
	}
	return p.okEnd(append(b, "]}"...))
}

// feedback is POST /risk/alarms/{bjid}/feedback: idempotent; a closed alarm (czzt 2) takes no
// different feedback (40902).
func (p *Platform) feedback(req *request) *answer {
	bjid := strings.TrimSuffix(strings.TrimPrefix(req.route, "/risk/alarms/"), "/feedback")
	var body map[string]json.RawMessage
	if err := json.Unmarshal(req.body, &body); err != nil || body == nil {
		return p.fail(codeBadParam, msgBadBody)
	}
	var fb Feedback
	for _, f := range []struct {
		name string
		dst  *string
	}{{"czzt", &fb.Czzt}, {"czsm", &fb.Czsm}, {"czr", &fb.Czr}, {"czsj", &fb.Czsj}} {
		raw, ok := body[f.name]
		if !ok || json.Unmarshal(raw, f.dst) != nil || *f.dst == "" {
			return p.fail(codeBadParam, msgMissingParam+f.name)
		}
	}
	if fb.Czzt != "1" && fb.Czzt != "2" {
		return p.fail(codeBadParam, msgBadParam+"czzt")
	}
	czsj, ok := parseTime(fb.Czsj)
	if !ok {
		return p.fail(codeBadParam, msgBadParam+"czsj")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.byBjid[bjid]
	if a == nil {
		return p.fail(codeNotFound, msgNotFound)
	}
	for _, prev := range a.feedback {
		if prev.Czzt == fb.Czzt && prev.Czsm == fb.Czsm && prev.Czr == fb.Czr && prev.Czsj == fb.Czsj {
			return p.ok([]byte(`{"duplicate":true}`))
		}
	}
	if a.czzt == fb.Czzt && a.czsm == fb.Czsm && a.czr == fb.Czr && a.czsj == czsj {
		// The alarm already carries exactly this handling (recorded on the platform's side).
		return p.ok([]byte(`{"duplicate":true}`))
	}
	if a.czzt == "2" {
		return p.fail(codeConflict, msgConflict)
	}
	fb.At = req.now
	a.feedback = append(a.feedback, fb)
	a.czzt, a.czsm, a.czr, a.czsj = fb.Czzt, fb.Czsm, fb.Czr, czsj
	p.touchAlarm(a, req.now.Unix())
	return p.ok([]byte(`{"duplicate":false}`))
}

// Feedback is one accepted handling feedback.
type Feedback struct {
	Czzt string    `json:"czzt"`
	Czsm string    `json:"czsm"`
	Czr  string    `json:"czr"`
	Czsj string    `json:"czsj"`
	At   time.Time `json:"-"` // when the platform accepted it
}

func newAlarmSet(records []alarm) *order.Set[alarm] {
	s := order.New(cmpAlarm, len(records))
	for i := range records {
		s.Items = append(s.Items, &records[i])
	}
	s.Sort()
	return s
}

package quanzhou

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"streetsync/mocks/dataset"
)

// Enterprise is a platform record as tests see and set it (the wire fields, as strings).
type Enterprise struct {
	Qyid      string `json:"qyid"`
	Tyshxydm  string `json:"tyshxydm"`
	Qymc      string `json:"qymc"`
	Fddbr     string `json:"fddbr"`
	Zyfzr     string `json:"zyfzr"`
	Zyfzrlxdh string `json:"zyfzrlxdh"`
	Aqglry    string `json:"aqglry"`
	Jydz      string `json:"jydz"`
	Xzqhdm    string `json:"xzqhdm"`
	Sqmc      string `json:"sqmc"`
	Hylb      string `json:"hylb"`
	Zdlx      string `json:"zdlx"`
	Cyrs      string `json:"cyrs"`
	Qyzt      string `json:"qyzt"`
	Sfczc     string `json:"sfczc"`
	Bzhdj     string `json:"bzhdj"`
	Bzhyxq    string `json:"bzhyxq"`
	Sfnrjcyj  string `json:"sfnrjcyj"`
	Gxsj      string `json:"gxsj"`
	// CyrsAsString marks an older record whose cyrs the platform answers as a string.
	CyrsAsString bool `json:"-"`
}

// Alarm is a risk-monitoring alarm as tests see and set it.
type Alarm struct {
	Bjid     string `json:"bjid"`
	Qyid     string `json:"qyid"`
	Tyshxydm string `json:"tyshxydm"`
	Qymc     string `json:"qymc"`
	Jcdbm    string `json:"jcdbm"`
	Jcdmc    string `json:"jcdmc"`
	Jcxm     string `json:"jcxm"`
	Jldw     string `json:"jldw"`
	Bjz      string `json:"bjz"`
	Yz       string `json:"yz"`
	Bjlx     string `json:"bjlx"`
	Bjjb     string `json:"bjjb"`
	Bjsj     string `json:"bjsj"`
	Hfsj     string `json:"hfsj"`
	Czzt     string `json:"czzt"`
	Czsm     string `json:"czsm"`
	Czr      string `json:"czr"`
	Czsj     string `json:"czsj"`
	Gxsj     string `json:"gxsj"`
}

// Push is one batchSave item the platform received, with how it was judged.
type Push struct {
	Payload json.RawMessage
	Result  string // CREATED UPDATED UNCHANGED FAILED
	ErrCode int
	At      time.Time
}

// RequestKey counts requests by endpoint, HTTP status (fault.StatusDropped / StatusHung when no
// answer came) and envelope code.
type RequestKey struct {
	Endpoint string
	Status   int
	Code     int
}

func (e *enterprise) export() Enterprise {
	return Enterprise{
		Qyid: e.qyid, Tyshxydm: e.f[fTyshxydm], Qymc: e.f[fQymc], Fddbr: e.f[fFddbr], Zyfzr: e.f[fZyfzr],
		Zyfzrlxdh: e.f[fZyfzrlxdh], Aqglry: e.f[fAqglry], Jydz: e.f[fJydz], Xzqhdm: e.f[fXzqhdm], Sqmc: e.f[fSqmc],
		Hylb: e.f[fHylb], Zdlx: e.f[fZdlx], Cyrs: e.f[fCyrs], Qyzt: e.f[fQyzt], Sfczc: e.f[fSfczc],
		Bzhdj: e.bzhdj, Bzhyxq: e.bzhyxq, Sfnrjcyj: e.sfnrjcyj, Gxsj: formatTime(e.gxsj), CyrsAsString: e.cyrsText,
	}
}

func (e *enterprise) assign(x *Enterprise) {
	e.f = [nStreet]string{x.Tyshxydm, x.Qymc, x.Fddbr, x.Zyfzr, x.Zyfzrlxdh, x.Aqglry, x.Jydz, x.Xzqhdm, x.Sqmc,
		x.Hylb, x.Zdlx, x.Cyrs, x.Qyzt, x.Sfczc}
	e.bzhdj, e.bzhyxq, e.sfnrjcyj, e.cyrsText = x.Bzhdj, x.Bzhyxq, x.Sfnrjcyj, x.CyrsAsString
}

func (a *alarm) export() Alarm {
	return Alarm{
		Bjid: a.bjid, Qyid: a.qyid, Tyshxydm: a.tyshxydm, Qymc: a.qymc, Jcdbm: a.jcdbm, Jcdmc: a.jcdmc, Jcxm: a.jcxm,
		Jldw: a.jldw, Bjz: a.bjz, Yz: a.yz, Bjlx: a.bjlx, Bjjb: a.bjjb, Bjsj: formatTime(a.bjsj), Hfsj: formatTime(a.hfsj),
		Czzt: a.czzt, Czsm: a.czsm, Czr: a.czr, Czsj: formatTime(a.czsj), Gxsj: formatTime(a.gxsj),
	}
}

func (a *alarm) assign(x *Alarm) error {
	var err error
	parse := func(s string) int64 {
		if s == "" {
			return 0
		}
		t, ok := parseTime(s)
		if !ok && err == nil {
			err = fmt.Errorf("quanzhou mock: bad time %q", s)
		}
		return t
	}
	a.bjid, a.qyid, a.tyshxydm, a.qymc, a.jcdbm, a.jcdmc, a.jcxm = x.Bjid, x.Qyid, x.Tyshxydm, x.Qymc, x.Jcdbm, x.Jcdmc, x.Jcxm
	a.jldw, a.bjz, a.yz, a.bjlx, a.bjjb = x.Jldw, x.Bjz, x.Yz, x.Bjlx, x.Bjjb
	a.bjsj, a.hfsj, a.czsj = parse(x.Bjsj), parse(x.Hfsj), parse(x.Czsj)
	a.czzt, a.czsm, a.czr = x.Czzt, x.Czsm, x.Czr
	return err
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// LoadDataset replaces the platform's records with the generator's platform side, alarms,
// hazards and inspections.
func (p *Platform) LoadDataset(ds *dataset.Dataset) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ents = nil
	p.byUSCC = make(map[string]*enterprise, len(ds.Platform))
	records := make([]enterprise, len(ds.Platform)) // one allocation for all records
	for i := range ds.Platform {
		d := &ds.Platform[i]
		e := &records[i]
		*e = enterprise{
			qyid: d.PlatformID,
			f: [nStreet]string{d.USCC, d.Name, d.LegalRep, d.Principal, d.Phone, d.SafetyManager, d.Address, d.Region,
				d.Community, d.Industry, d.KeyRisks, strconv.Itoa(d.Employees), d.Status, flag(d.FactoryInFactory)},
			cyrsText: d.EmployeesAsText, bzhdj: d.Grade, bzhyxq: d.GradeValidUntil.String(), sfnrjcyj: flag(d.RiskMonitored),
			gxsj: d.UpdatedAt.Unix(),
		}
		p.byUSCC[d.USCC] = e
	}
	p.ents = newEnterpriseSet(records)
	alarms := make([]alarm, len(ds.Alarms))
	p.byBjid = make(map[string]*alarm, len(ds.Alarms))
	for i := range ds.Alarms {
		d := &ds.Alarms[i]
		alarms[i] = alarm{
			bjid: d.ID, qyid: d.PlatformID, tyshxydm: d.USCC, qymc: d.EnterpriseName, jcdbm: d.PointCode, jcdmc: d.PointName,
			jcxm: d.Quantity, jldw: d.Unit, bjz: d.Value, yz: d.Threshold, bjlx: d.Type, bjjb: strconv.Itoa(d.Level),
			bjsj: unixOrZero(d.RaisedAt), hfsj: unixOrZero(d.RecoveredAt), czzt: d.HandlingStatus, czsm: d.HandlingNote,
			czr: d.Handler, czsj: unixOrZero(d.HandledAt), gxsj: d.UpdatedAt.Unix(),
		}
		p.byBjid[d.ID] = &alarms[i]
	}
	p.alarms = newAlarmSet(alarms)
	p.loadHazards(ds)
}

// Enterprises returns every record in listing order (gxsj, qyid).
func (p *Platform) Enterprises() []Enterprise {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Enterprise, len(p.ents.Items))
	for i, e := range p.ents.Items {
		out[i] = e.export()
	}
	return out
}

// Enterprise returns the record of a credit code.
func (p *Platform) Enterprise(uscc string) (Enterprise, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byUSCC[uscc]
	if e == nil {
		return Enterprise{}, false
	}
	return e.export(), true
}

// EditEnterprise changes a record as a portal edit would: any field, gxsj = now, and the record
// moves to the end of the listing. It reports whether the record exists.
func (p *Platform) EditEnterprise(uscc string, edit func(*Enterprise)) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byUSCC[uscc]
	if e == nil {
		return false
	}
	x := e.export()
	edit(&x)
	e.assign(&x)
	if x.Tyshxydm != uscc {
		delete(p.byUSCC, uscc)
		p.byUSCC[x.Tyshxydm] = e
	}
	p.touchEnterprise(e, p.now().Unix())
	return true
}

// PutEnterprise adds a record as if entered on the portal (qyid assigned when empty, gxsj = now),
// or replaces the record with the same credit code.
func (p *Platform) PutEnterprise(x Enterprise) Enterprise {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byUSCC[x.Tyshxydm]
	if e == nil {
		e = &enterprise{gxsj: p.now().Unix()}
		if x.Qyid == "" {
			x.Qyid = p.nextQyid()
		}
		e.qyid = x.Qyid
		e.assign(&x)
		p.byUSCC[x.Tyshxydm] = e
		p.ents.Insert(e)
		return e.export()
	}
	e.assign(&x)
	p.touchEnterprise(e, p.now().Unix())
	return e.export()
}

// Pushes returns every batchSave item received for a credit code, oldest first.
func (p *Platform) Pushes(uscc string) []Push {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Push(nil), p.pushes[uscc]...)
}

// PushedKeys returns how many credit codes received at least one batchSave item.
func (p *Platform) PushedKeys() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pushes)
}

// Creates returns how many times a credit code was CREATED (more than 1 would be a duplicate).
func (p *Platform) Creates(uscc string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.creates[uscc]
}

// Requests returns the request counters.
func (p *Platform) Requests() map[RequestKey]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[RequestKey]int, len(p.requests))
	for k, v := range p.requests {
		out[k] = v
	}
	return out
}

// RequestCount sums the counters of one endpoint label (e.g. "POST /enterprises/batchSave") over
// every status and code.
func (p *Platform) RequestCount(endpoint string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, v := range p.requests {
		if k.Endpoint == endpoint {
			n += v
		}
	}
	return n
}

// Alarms returns every alarm in listing order (gxsj, bjid).
func (p *Platform) Alarms() []Alarm {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Alarm, len(p.alarms.Items))
	for i, a := range p.alarms.Items {
		out[i] = a.export()
	}
	return out
}

// Alarm returns one alarm.
func (p *Platform) Alarm(bjid string) (Alarm, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.byBjid[bjid]
	if a == nil {
		return Alarm{}, false
	}
	return a.export(), true
}

// Feedback returns the feedback accepted for an alarm, oldest first.
func (p *Platform) Feedback(bjid string) []Feedback {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a := p.byBjid[bjid]; a != nil {
		return append([]Feedback(nil), a.feedback...)
	}
	return nil
}

// PutAlarm adds or replaces an alarm (a new alarm raised, or one recovering); gxsj = now.
func (p *Platform) PutAlarm(x Alarm) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.byBjid[x.Bjid]
	if a == nil {
		a = &alarm{}
		if err := a.assign(&x); err != nil {
			return err
		}
		a.gxsj = p.now().Unix()
		p.byBjid[x.Bjid] = a
		p.alarms.Insert(a)
		return nil
	}
	if err := a.assign(&x); err != nil {
		return err
	}
	p.touchAlarm(a, p.now().Unix())
	return nil
}

// RevokeTokens revokes every access token now (the platform may do so at any time).
func (p *Platform) RevokeTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.tokens {
		t.revoked = true
	}
}

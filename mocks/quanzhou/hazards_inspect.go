package quanzhou

import (
	"fmt"
	"strconv"

	"streetsync/mocks/dataset"
	"streetsync/mocks/internal/order"
)

// Hazard is a platform hazard as tests see and set it (the wire fields, as strings).
type Hazard struct {
	Yhid     string `json:"yhid"`
	Lybh     string `json:"lybh"`
	Tyshxydm string `json:"tyshxydm"`
	Qyid     string `json:"qyid"`
	Qymc     string `json:"qymc"`
	Xzqhdm   string `json:"xzqhdm"`
	Yhly     string `json:"yhly"`
	Yhdj     string `json:"yhdj"`
	Pdbz     string `json:"pdbz"`
	Yhms     string `json:"yhms"`
	Yhbw     string `json:"yhbw"`
	Fxrq     string `json:"fxrq"`
	Fxr      string `json:"fxr"`
	Zgqx     string `json:"zgqx"`
	Zgzrr    string `json:"zgzrr"`
	Zgcs     string `json:"zgcs"`
	Zgzt     string `json:"zgzt"`
	Zgsm     string `json:"zgsm"`
	Zgczr    string `json:"zgczr"`
	Zgczsj   string `json:"zgczsj"`
	Gxsj     string `json:"gxsj"`
}

// Inspection is a platform inspection record as tests see and set it.
type Inspection struct {
	Jcid     string `json:"jcid"`
	Tyshxydm string `json:"tyshxydm"`
	Qymc     string `json:"qymc"`
	Jcrq     string `json:"jcrq"`
	Jclx     string `json:"jclx"`
	Dzr      string `json:"dzr"`
	Fxyhs    int    `json:"fxyhs"`
	Gxsj     string `json:"gxsj"`
	// FxyhsAsString marks an older record whose fxyhs the platform answers as a string.
	FxyhsAsString bool `json:"-"`
}

func (h *hazard) export() Hazard {
	return Hazard{
		Yhid: h.yhid, Lybh: h.f[hLybh], Tyshxydm: h.f[hTyshxydm], Qyid: h.qyid, Qymc: h.qymc, Xzqhdm: h.f[hXzqhdm],
		Yhly: h.f[hYhly], Yhdj: h.f[hYhdj], Pdbz: h.f[hPdbz], Yhms: h.f[hYhms], Yhbw: h.f[hYhbw], Fxrq: h.f[hFxrq],
		Fxr: h.f[hFxr], Zgqx: h.f[hZgqx], Zgzrr: h.f[hZgzrr], Zgcs: h.f[hZgcs], Zgzt: h.f[hZgzt], Zgsm: h.f[hZgsm],
		Zgczr: h.f[hZgczr], Zgczsj: h.f[hZgczsj], Gxsj: formatTime(h.gxsj),
	}
}

func (h *hazard) assign(x *Hazard) {
	h.f = [nHazard]string{x.Lybh, x.Tyshxydm, x.Xzqhdm, x.Yhly, x.Yhdj, x.Pdbz, x.Yhms, x.Yhbw, x.Fxrq, x.Fxr, x.Zgqx,
		x.Zgzrr, x.Zgcs, x.Zgzt, x.Zgsm, x.Zgczr, x.Zgczsj}
	h.qyid, h.qymc = x.Qyid, x.Qymc
}

func (in *inspection) export() Inspection {
	return Inspection{Jcid: in.jcid, Tyshxydm: in.tyshxydm, Qymc: in.qymc, Jcrq: in.jcrq, Jclx: in.jclx, Dzr: in.dzr,
		Fxyhs: in.fxyhs, Gxsj: formatTime(in.gxsj), FxyhsAsString: in.fxyhsText}
}

// loadHazards replaces the hazards and inspections with the generator's, after the enterprises;
// the caller holds p.mu.
func (p *Platform) loadHazards(ds *dataset.Dataset) {
	hs := make([]hazard, len(ds.PlatformHazards)) // one allocation for all records
	p.hz.byYhid = make(map[string]*hazard, len(hs))
	p.hz.byLybh = make(map[string]*hazard, len(hs))
	p.hz.hazards = order.New(cmpHazard, len(hs))
	for i := range ds.PlatformHazards {
		d, h := &ds.PlatformHazards[i], &hs[i]
		zgczsj := ""
		if !d.StatusAt.IsZero() {
			zgczsj = formatTime(d.StatusAt.Unix())
		}
		region := p.cfg.Region // the enterprise's, as the platform holds it
		if e := p.byUSCC[d.USCC]; e != nil {
			region = e.f[fXzqhdm]
		}
		*h = hazard{yhid: d.PlatformID, qyid: d.EnterpriseID, qymc: d.EnterpriseName, gxsj: d.UpdatedAt.Unix(),
			f: [nHazard]string{d.StreetID, d.USCC, region, d.Source, d.Level, d.Clause, d.Description,
				d.Location, d.FoundOn.String(), d.FoundBy, d.Deadline.String(), d.Responsible, d.Measures, d.Status,
				d.StatusNote, d.StatusBy, zgczsj}}
		p.hz.byYhid[h.yhid] = h
		if h.f[hLybh] != "" {
			p.hz.byLybh[h.f[hLybh]] = h
		}
		p.hz.hazards.Items = append(p.hz.hazards.Items, h)
	}
	p.hz.hazards.Sort()
	ins := make([]inspection, len(ds.Inspections))
	p.hz.inspections = order.New(cmpInspection, len(ins))
	for i := range ds.Inspections {
		d := &ds.Inspections[i]
		ins[i] = inspection{jcid: d.ID, tyshxydm: d.USCC, qymc: d.EnterpriseName, jcrq: d.Date.String(), jclx: d.Type,
			dzr: d.LedBy, fxyhs: d.HazardsFound, fxyhsText: d.HazardsFoundAsText, gxsj: d.UpdatedAt.Unix()}
		p.hz.inspections.Items = append(p.hz.inspections.Items, &ins[i])
	}
	p.hz.inspections.Sort()
}

// Hazards returns every hazard in listing order (gxsj, yhid).
func (p *Platform) Hazards() []Hazard {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Hazard, len(p.hz.hazards.Items))
	for i, h := range p.hz.hazards.Items {
		out[i] = h.export()
	}
	return out
}

// Hazard returns the hazard with a platform id.
func (p *Platform) Hazard(yhid string) (Hazard, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h := p.hz.byYhid[yhid]; h != nil {
		return h.export(), true
	}
	return Hazard{}, false
}

// HazardByLybh returns the hazard the street reported under its own id.
func (p *Platform) HazardByLybh(lybh string) (Hazard, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h := p.hz.byLybh[lybh]; h != nil {
		return h.export(), true
	}
	return Hazard{}, false
}

// HazardCreates returns how many times POST /hazards created a hazard for a lybh (more than 1
// would be a duplicate hazard).
func (p *Platform) HazardCreates(lybh string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hz.creates[lybh]
}

// StatusChanges returns the status changes accepted for a hazard, oldest first.
func (p *Platform) StatusChanges(yhid string) []StatusChange {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h := p.hz.byYhid[yhid]; h != nil {
		return append([]StatusChange(nil), h.changes...)
	}
	return nil
}

// PutHazard adds a hazard as if entered on the portal — an enterprise's own report — or replaces
// the one with the same yhid: yhid assigned when empty, qyid and qymc from the enterprise when
// empty, gxsj = now. A lybh another hazard holds is an error.
func (p *Platform) PutHazard(x Hazard) (Hazard, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.putHazard(x)
}

// EditHazard changes a hazard as a portal edit would — any field, gxsj = now, and the record
// moves to the end of the listing. It reports whether the hazard exists and the edit was stored.
func (p *Platform) EditHazard(yhid string, edit func(*Hazard)) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hz.byYhid[yhid]
	if h == nil {
		return false
	}
	x := h.export()
	edit(&x)
	x.Yhid = yhid
	_, err := p.putHazard(x)
	return err == nil
}

// putHazard is PutHazard; the caller holds p.mu.
func (p *Platform) putHazard(x Hazard) (Hazard, error) {
	if other := p.hz.byLybh[x.Lybh]; x.Lybh != "" && other != nil && other.yhid != x.Yhid {
		return Hazard{}, fmt.Errorf("quanzhou mock: lybh %s is hazard %s's", x.Lybh, other.yhid)
	}
	if e := p.byUSCC[x.Tyshxydm]; e != nil {
		if x.Qyid == "" {
			x.Qyid = e.qyid
		}
		if x.Qymc == "" {
			x.Qymc = e.f[fQymc]
		}
	}
	h := p.hz.byYhid[x.Yhid]
	if h == nil {
		if x.Yhid == "" {
			x.Yhid = p.nextYhid()
		}
		h = &hazard{yhid: x.Yhid, gxsj: p.now().Unix()}
		h.assign(&x)
		p.hz.byYhid[h.yhid] = h
		p.hz.hazards.Insert(h)
	} else {
		delete(p.hz.byLybh, h.f[hLybh])
		h.assign(&x)
		p.touchHazard(h, p.now().Unix())
	}
	if h.f[hLybh] != "" {
		p.hz.byLybh[h.f[hLybh]] = h
	}
	return h.export(), nil
}

// Inspections returns every inspection in listing order (gxsj, jcid).
func (p *Platform) Inspections() []Inspection {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Inspection, len(p.hz.inspections.Items))
	for i, in := range p.hz.inspections.Items {
		out[i] = in.export()
	}
	return out
}

// PutInspection adds an inspection as if recorded on the portal (jcid assigned when empty,
// qymc from the enterprise when empty, gxsj = now), or replaces the one with the same jcid.
func (p *Platform) PutInspection(x Inspection) (Inspection, error) {
	if _, ok := parseDate(x.Jcrq); !ok {
		return Inspection{}, fmt.Errorf("quanzhou mock: bad jcrq %q", x.Jcrq)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if x.Jcid == "" {
		p.hz.seq++
		x.Jcid = "JC" + p.cfg.Region[:6] + leftPad(strconv.Itoa(9000000+p.hz.seq), 7)
	}
	if e := p.byUSCC[x.Tyshxydm]; e != nil && x.Qymc == "" {
		x.Qymc = e.f[fQymc]
	}
	in := &inspection{jcid: x.Jcid, tyshxydm: x.Tyshxydm, qymc: x.Qymc, jcrq: x.Jcrq, jclx: x.Jclx, dzr: x.Dzr,
		fxyhs: x.Fxyhs, fxyhsText: x.FxyhsAsString, gxsj: p.now().Unix()}
	for _, old := range p.hz.inspections.Items {
		if old.jcid == x.Jcid {
			p.hz.inspections.Remove(old)
			break
		}
	}
	p.hz.inspections.Insert(in)
	return in.export(), nil
}

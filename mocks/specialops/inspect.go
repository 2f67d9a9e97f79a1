package specialops

import (
	"fmt"
	"strings"

	"streetsync/mocks/dataset"
	"streetsync/mocks/internal/order"
)

// LoadDataset replaces the certificates and registrations with the generator's.
func (p *Platform) LoadDataset(ds *dataset.Dataset) {
	p.mu.Lock()
	defer p.mu.Unlock()
	certs := make([]cert, len(ds.Certificates)) // one allocation for all records
	p.byKey = order.New(cmpKey, len(certs))
	p.byHolder = order.New(cmpHolder, len(certs))
	p.feed = order.New(cmpCert, len(certs))
	for i := range ds.Certificates {
		d := &ds.Certificates[i]
		c := &certs[i]
		*c = cert{
			certNo: d.CertNo, holder: d.HolderName, id: d.IDNumber, gender: d.Gender,
			catCode: d.CategoryCode, catName: d.CategoryName, itemCode: d.ItemCode, itemName: d.ItemName,
			firstIssue: d.FirstIssueDate, validFrom: d.ValidFrom, validUntil: d.ValidUntil,
			reviewDue: d.ReviewDueDate, lastReview: d.LastReviewDate, status: d.Status, issuer: d.Issuer,
			updated: d.UpdatedAt.UnixNano(),
		}
		if c.updated > p.lastChange {
			p.lastChange = c.updated
		}
		p.byKey.Items = append(p.byKey.Items, c)
		p.byHolder.Items = append(p.byHolder.Items, c)
		p.feed.Items = append(p.feed.Items, c)
	}
	p.byKey.Sort()
	p.byHolder.Sort()
	p.feed.Sort()
	p.emps = make(map[empKey]*employment, len(ds.Employments))
	for i := range ds.Employments {
		d := &ds.Employments[i]
		e := &employment{certNo: d.CertNo, itemCode: d.ItemCode, uscc: d.EnterpriseUSCC, idNumber: d.IDNumber,
			name: d.EnterpriseName, start: d.StartDate, end: d.EndDate, updated: d.UpdatedAt.UnixNano()}
		p.emps[empKey{foldX(e.certNo), e.itemCode, e.uscc}] = e
	}
}

// Certificates returns every certificate in feed order (updatedAt, certNo, itemCode).
func (p *Platform) Certificates() []Certificate {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Certificate, len(p.feed.Items))
	for i, c := range p.feed.Items {
		out[i] = c.export()
	}
	return out
}

// Certificate returns one certificate.
func (p *Platform) Certificate(certNo, itemCode string) (Certificate, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.lookup(certNo, itemCode)
	if c == nil {
		return Certificate{}, false
	}
	return c.export(), true
}

func (c *cert) assign(x *Certificate) error {
	var err error
	day := func(name, s string) dataset.Day {
		if s == "" {
			return 0
		}
		d, ok := dataset.ParseDay(s)
		if !ok && err == nil {
			err = fmt.Errorf("special-ops mock: %s %q is not yyyy-MM-dd", name, s)
		}
		return d
	}
	c.certNo, c.holder, c.id, c.gender = x.CertNo, x.HolderName, x.IDNumber, x.Gender
	c.catCode, c.catName, c.itemCode, c.itemName = x.CategoryCode, x.CategoryName, x.ItemCode, x.ItemName
	c.firstIssue, c.validFrom, c.validUntil = day("firstIssueDate", x.FirstIssueDate), day("validFrom", x.ValidFrom), day("validUntil", x.ValidUntil)
	c.reviewDue = day("reviewDueDate", x.ReviewDueDate)
	c.lastReview = 0
	if x.LastReviewDate != nil {
		c.lastReview = day("lastReviewDate", *x.LastReviewDate)
	}
	c.status, c.issuer = x.Status, x.Issuer
	return err
}

// PutCertificate adds a certificate or replaces the one with the same (certNo, itemCode); either
// way it becomes a change (updatedAt = now) that the feed delivers.
func (p *Platform) PutCertificate(x Certificate) (Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var c cert
	if err := c.assign(&x); err != nil {
		return Certificate{}, err
	}
	if old := p.lookup(c.certNo, c.itemCode); old != nil {
		if cmpFolded(old.id, c.id) != 0 {
			return Certificate{}, fmt.Errorf("special-ops mock: certificate %s belongs to another holder", x.CertNo)
		}
		// Keys are unchanged, so only the feed position moves.
		p.feed.Remove(old)
		c.updated = old.updated
		*old = c
		p.change(old, p.now(), false)
		return old.export(), nil
	}
	nc := &c
	p.byKey.Insert(nc)
	p.byHolder.Insert(nc)
	p.change(nc, p.now(), false)
	return nc.export(), nil
}

// UpdateCertificate changes a certificate (a renewal, a revocation, a review) as the provincial
// system would: updatedAt = now, so it appears in the change feed. It reports whether it exists.
func (p *Platform) UpdateCertificate(certNo, itemCode string, change func(*Certificate)) (bool, error) {
	p.mu.Lock()
	c := p.lookup(certNo, itemCode)
	if c == nil {
		p.mu.Unlock()
		return false, nil
	}
	x := c.export()
	p.mu.Unlock()
	change(&x)
	if !strings.EqualFold(x.CertNo, certNo) || x.ItemCode != itemCode {
		return true, fmt.Errorf("special-ops mock: UpdateCertificate may not change the key")
	}
	_, err := p.PutCertificate(x)
	return true, err
}

// Employments returns every registration, sorted by (certNo, itemCode, enterpriseUscc).
func (p *Platform) Employments() []Employment {
	p.mu.Lock()
	defer p.mu.Unlock()
	today := dataset.DayOf(p.now())
	out := make([]Employment, 0, len(p.emps))
	for _, e := range p.emps {
		out = append(out, e.export(today))
	}
	sortEmployments(out)
	return out
}

// Employment returns one registration.
func (p *Platform) Employment(certNo, itemCode, uscc string) (Employment, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.emps[empKey{foldX(certNo), itemCode, uscc}]
	if e == nil {
		return Employment{}, false
	}
	return e.export(dataset.DayOf(p.now())), true
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

// RequestCount sums the counters of one endpoint label, e.g. "PUT /api/v2/employments".
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

// RevokeTokens revokes every access token now.
func (p *Platform) RevokeTokens() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.tokens {
		t.revoked = true
	}
}

package specialops

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"streetsync/mocks/dataset"
)

const (
	maxQueryIDs  = 50
	maxLimit     = 500
	defaultLimit = 100
)

// cert is a stored certificate, compact: dates as Days, shared strings for names.
type cert struct {
	certNo, holder, id                   string
	gender                               string
	catCode, catName, itemCode, itemName string
	firstIssue, validFrom, validUntil    dataset.Day
	reviewDue, lastReview                dataset.Day
	status, issuer                       string
	updated                              int64 // Unix nanoseconds
}

func foldX(s string) string {
	if strings.HasSuffix(s, "x") {
		return s[:len(s)-1] + "X"
	}
	return s
}

// cmpFolded compares two strings as if a final x were X (ID numbers and the certificate numbers
// made from them), without allocating: the indexes are sorted slices, far smaller than maps at
// half a million certificates.
func cmpFolded(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca == 'x' && i == len(a)-1 {
			ca = 'X'
		}
		if cb == 'x' && i == len(b)-1 {
			cb = 'X'
		}
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

func cmpKey(a, b *cert) int {
	if c := cmpFolded(a.certNo, b.certNo); c != 0 {
		return c
	}
	return strings.Compare(a.itemCode, b.itemCode)
}

func cmpHolder(a, b *cert) int {
	if c := cmpFolded(a.id, b.id); c != 0 {
		return c
	}
	return cmpKey(a, b)
}

// lookup finds a certificate by (certNo, itemCode); caller holds p.mu.
func (p *Platform) lookup(certNo, itemCode string) *cert {
	c, _ := p.byKey.Find(&cert{certNo: certNo, itemCode: itemCode})
	return c
}

// holderCerts returns the certificates of an ID number, by (certNo, itemCode); caller holds p.mu.
func (p *Platform) holderCerts(id string) []*cert {
	items := p.byHolder.Items
	i := p.byHolder.Search(func(c *cert) bool { return cmpFolded(c.id, id) >= 0 })
	j := i
	for j < len(items) && cmpFolded(items[j].id, id) == 0 {
		j++
	}
	return items[i:j]
}

// cmpCert is the change feed's order: (updatedAt, certNo, itemCode).
func cmpCert(a, b *cert) int {
	switch {
	case a.updated < b.updated:
		return -1
	case a.updated > b.updated:
		return 1
	}
	if c := strings.Compare(a.certNo, b.certNo); c != 0 {
		return c
	}
	return strings.Compare(a.itemCode, b.itemCode)
}

// validOn is special-ops.md's "valid on day D".
func (c *cert) validOn(d dataset.Day) bool {
	if c.status != "VALID" || d < c.validFrom || d > c.validUntil {
		return false
	}
	return d <= c.reviewDue || (c.lastReview != 0 && c.lastReview >= c.reviewDue)
}

func formatTime(nanos int64) string {
	return time.Unix(0, nanos).In(dataset.Beijing).Format(time.RFC3339Nano)
}

// Certificate is the wire record (special-ops.md, "Certificate record").
type Certificate struct {
	CertNo         string  `json:"certNo"`
	HolderName     string  `json:"holderName"`
	IDNumber       string  `json:"idNumber"`
	Gender         string  `json:"gender"`
	CategoryCode   string  `json:"categoryCode"`
	CategoryName   string  `json:"categoryName"`
	ItemCode       string  `json:"itemCode"`
	ItemName       string  `json:"itemName"`
	FirstIssueDate string  `json:"firstIssueDate"`
	ValidFrom      string  `json:"validFrom"`
	ValidUntil     string  `json:"validUntil"`
	ReviewDueDate  string  `json:"reviewDueDate"`
	LastReviewDate *string `json:"lastReviewDate"`
	Status         string  `json:"status"`
	Issuer         string  `json:"issuer"`
	UpdatedAt      string  `json:"updatedAt"`
}

func (c *cert) export() Certificate {
	out := Certificate{
		CertNo: c.certNo, HolderName: c.holder, IDNumber: c.id, Gender: c.gender,
		CategoryCode: c.catCode, CategoryName: c.catName, ItemCode: c.itemCode, ItemName: c.itemName,
		FirstIssueDate: c.firstIssue.String(), ValidFrom: c.validFrom.String(), ValidUntil: c.validUntil.String(),
		ReviewDueDate: c.reviewDue.String(), Status: c.status, Issuer: c.issuer, UpdatedAt: formatTime(c.updated),
	}
	if c.lastReview != 0 {
		s := c.lastReview.String()
		out.LastReviewDate = &s
	}
	return out
}

// queryCertificates is POST /api/v2/certificates:query.
func (p *Platform) queryCertificates(req *request) *answer {
	var body struct {
		IDNumbers []string `json:"idNumbers"`
	}
	if err := json.Unmarshal(req.body, &body); err != nil {
		return fail(http.StatusBadRequest, errInvalidRequest, msgBadBody)
	}
	if len(body.IDNumbers) < 1 || len(body.IDNumbers) > maxQueryIDs {
		return fail(http.StatusBadRequest, errInvalidRequest, msgIDCount)
	}
	out := struct {
		Items    []Certificate `json:"items"`
		NotFound []string      `json:"notFound"`
	}{Items: []Certificate{}, NotFound: []string{}}
	seen := map[string]bool{}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range body.IDNumbers {
		key := foldX(strings.TrimSpace(id)) // a final x matches X
		if seen[key] {
			continue
		}
		seen[key] = true
		certs := p.holderCerts(key)
		if len(certs) == 0 {
			out.NotFound = append(out.NotFound, id)
			continue
		}
		for _, c := range certs {
			out.Items = append(out.Items, c.export())
		}
	}
	return jsonAnswer(http.StatusOK, out)
}

// position is a place in the feed's order; a cursor carries one plus its issue time. Items
// strictly after the position come next.
type position struct {
	T      int64  `json:"t"`
	CertNo string `json:"c"`
	Item   string `json:"i"`
	Issued int64  `json:"iss"`
}

func encodeCursor(pos position) string {
	b, _ := json.Marshal(pos)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (position, bool) {
	var pos position
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &pos) != nil || pos.Issued == 0 {
		return pos, false
	}
	return pos, true
}

// changes is GET /api/v2/certificates/changes: ordered by (updatedAt, certNo, itemCode). Every
// change gets an updatedAt later than any before it, so a change made while a client pages lands
// behind its cursor: the feed never skips.
func (p *Platform) changes(req *request) *answer {
	q := req.URL.Query()
	limitN := defaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return fail(http.StatusBadRequest, errInvalidRequest, msgBadLimit)
		}
		limitN = n
	}
	var pos position
	if s := q.Get("cursor"); s != "" {
		var ok bool
		if pos, ok = decodeCursor(s); !ok {
			return fail(http.StatusBadRequest, errInvalidRequest, msgBadCursor)
		}
		if req.now.Sub(time.Unix(0, pos.Issued)) > p.cfg.CursorTTL || p.draw(p.Faults().CursorExpired) {
			return fail(http.StatusBadRequest, errCursorExpired, msgCursorExpired)
		}
	} else {
		s := q.Get("since")
		if s == "" {
			return fail(http.StatusBadRequest, errInvalidRequest, msgSinceRequired)
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return fail(http.StatusBadRequest, errInvalidRequest, msgBadSince)
		}
		// (since, "", "") sorts before every certificate changed at since: since is inclusive.
		pos = position{T: t.UnixNano()}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	probe := &cert{updated: pos.T, certNo: pos.CertNo, itemCode: pos.Item}
	from := p.feed.Search(func(c *cert) bool { return cmpCert(c, probe) > 0 })
	to := min(from+limitN, p.feed.Len())
	out := struct {
		Items      []Certificate `json:"items"`
		NextCursor string        `json:"nextCursor"`
		HasMore    bool          `json:"hasMore"`
	}{Items: make([]Certificate, 0, to-from), HasMore: to < p.feed.Len()}
	for _, c := range p.feed.Items[from:to] {
		out.Items = append(out.Items, c.export())
	}
	if to > from {
		last := p.feed.Items[to-1]
		pos = position{T: last.updated, CertNo: last.certNo, Item: last.itemCode}
	}
	pos.Issued = req.now.UnixNano()
	out.NextCursor = encodeCursor(pos)
	return jsonAnswer(http.StatusOK, out)
}

// change files c under a new updatedAt, strictly after every earlier change; caller holds p.mu.
func (p *Platform) change(c *cert, now time.Time, inFeed bool) {
	t := p.stamp(now)
	if inFeed {
		p.feed.Remove(c)
	}
	c.updated = t
	p.feed.Insert(c)
}

func parseForm(body []byte) (url.Values, error) { return url.ParseQuery(string(body)) }

package quanzhou

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"streetsync/mocks/fault"
)

const maxBody = 16 << 20

// route names an endpoint for the request counters and picks its handler.
type route struct {
	name      string
	needToken bool
	serve     func(*request) *answer
}

func (p *Platform) match(method, sub string) (route, bool) {
	switch {
	case method == http.MethodPost && sub == "/auth/token":
		return route{"POST /auth/token", false, p.issueToken}, true
	case method == http.MethodGet && sub == "/enterprises":
		return route{"GET /enterprises", true, p.listEnterprises}, true
	case method == http.MethodPost && sub == "/enterprises/batchSave":
		return route{"POST /enterprises/batchSave", true, p.batchSave}, true
	case method == http.MethodGet && strings.HasPrefix(sub, "/enterprises/") && !strings.Contains(sub[len("/enterprises/"):], "/"):
		return route{"GET /enterprises/{tyshxydm}", true, p.getEnterprise}, true
	case method == http.MethodGet && sub == "/risk/alarms":
		return route{"GET /risk/alarms", true, p.listAlarms}, true
	case method == http.MethodPost && strings.HasPrefix(sub, "/risk/alarms/") && strings.HasSuffix(sub, "/feedback"):
		id := strings.TrimSuffix(strings.TrimPrefix(sub, "/risk/alarms/"), "/feedback")
		if id != "" && !strings.Contains(id, "/") {
			return route{"POST /risk/alarms/{bjid}/feedback", true, p.feedback}, true
		}
	}
	return p.matchHazards(method, sub)
}

// handle is the platform behind the gateway.
func (p *Platform) handle(r *http.Request) fault.Answer {
	path := r.URL.Path
	if p.cfg.BasePath != "" && path != p.cfg.BasePath && !strings.HasPrefix(path, p.cfg.BasePath+"/") {
		return gatewayNotFound()
	}
	sub := strings.TrimPrefix(path, p.cfg.BasePath)
	rt, ok := p.match(r.Method, sub)
	if !ok {
		return gatewayNotFound()
	}
	if f := p.Faults(); f.Maintenance {
		a := p.fail(codeMaintenance, msgMaintenance)
		a.status = http.StatusServiceUnavailable
		a.header.Set("Retry-After", strconv.Itoa(f.RetryAfter()))
		return a.fault(rt.name)
	}
	var body []byte
	if r.Body != nil { // a client-side request (Responder) may carry none
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, maxBody)); err != nil {
			return p.fail(codeBadParam, msgBadBody).fault(rt.name)
		}
	}
	req := &request{Request: r, route: sub, body: body, now: p.now()}
	if a := p.check(req, rt.needToken); a != nil {
		return a.fault(rt.name)
	}
	if p.draw(p.Faults().InternalError) {
		return p.fail(codeInternal, msgInternal).fault(rt.name)
	}
	return rt.serve(req).fault(rt.name)
}

func gatewayNotFound() fault.Answer {
	rec := fault.NewRecorder()
	fault.GatewayPage(rec, http.StatusNotFound)
	return fault.Answer{Endpoint: fault.Gateway, Status: http.StatusNotFound, Header: rec.Header(), Body: rec.Body}
}

// issueToken is POST /auth/token: the body's credentials must be the signing app's.
func (p *Platform) issueToken(req *request) *answer {
	var body struct {
		AppKey    *string `json:"appKey"`
		AppSecret *string `json:"appSecret"`
	}
	if err := json.Unmarshal(req.body, &body); err != nil {
		return p.fail(codeBadParam, msgBadBody)
	}
	if body.AppKey == nil || *body.AppKey == "" {
		return p.fail(codeBadParam, msgMissingParam+"appKey")
	}
	if body.AppSecret == nil || *body.AppSecret == "" {
		return p.fail(codeBadParam, msgMissingParam+"appSecret")
	}
	if *body.AppKey != req.app.Key {
		return p.fail(codeSignature, msgUnknownApp)
	}
	if *body.AppSecret != req.app.Secret {
		return p.fail(codeSignature, msgBadSecret)
	}
	tok := p.randomHex(24)
	p.mu.Lock()
	p.tokens[tok] = &token{appKey: req.app.Key, expires: req.now.Add(p.cfg.TokenTTL)}
	p.mu.Unlock()
	b := make([]byte, 0, 96)
	b = append(b, `{"accessToken":`...)
	b = appendString(b, tok)
	b = append(b, `,"expiresIn":`...)
	b = strconv.AppendInt(b, int64(p.cfg.TokenTTL/1e9), 10)
	return p.ok(append(b, '}'))
}

// query parameters shared by both listings.
type listQuery struct {
	start    int64 // gxsjStart as Unix seconds, or minimum
	pageNo   int
	pageSize int
}

func (p *Platform) parseList(req *request) (listQuery, *answer) {
	q := req.URL.Query()
	lq := listQuery{start: -1 << 62, pageNo: 1, pageSize: defaultPageSize}
	region := q.Get("xzqhdm")
	if region == "" {
		return lq, p.fail(codeBadParam, msgMissingParam+"xzqhdm")
	}
	if region != req.app.Region {
		return lq, p.fail(codeRegion, msgRegion)
	}
	if s := q.Get("gxsjStart"); s != "" {
		t, ok := parseTime(s)
		if !ok {
			return lq, p.fail(codeBadParam, msgBadParam+"gxsjStart")
		}
		lq.start = t
	}
	if s := q.Get("pageNo"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return lq, p.fail(codeBadParam, msgBadParam+"pageNo")
		}
		lq.pageNo = n
	}
	if s := q.Get("pageSize"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageSize {
			return lq, p.fail(codeBadParam, msgBadParam+"pageSize")
		}
		lq.pageSize = n
	}
	return lq, nil
}

// page returns the window [from, to) of a listing of n records starting at index first.
func (lq listQuery) page(first, n int) (from, to int) {
	off := int64(lq.pageNo-1) * int64(lq.pageSize)
	if off >= int64(n-first) {
		return n, n
	}
	from = first + int(off)
	to = from + lq.pageSize
	if to > n {
		to = n
	}
	return from, to
}

func appendPage(b []byte, total, pageNo, pageSize int) []byte {
	b = append(b, `{"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"pageNo":`...)
	b = strconv.AppendInt(b, int64(pageNo), 10)
	b = append(b, `,"pageSize":`...)
	b = strconv.AppendInt(b, int64(pageSize), 10)
	return append(b, `,"list":[`...)
}

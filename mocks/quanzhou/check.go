package quanzhou

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"streetsync/mocks/internal/limit"
)

// request is a request that passed the checks, with what the endpoints need.
type request struct {
	*http.Request
	route string // path below BasePath
	body  []byte
	app   *appState
	now   time.Time
}

// stringToSign builds the six lines of the contract's "Authentication and signing" section.
func stringToSign(method, path, rawQuery, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.Join([]string{
		strings.ToUpper(method), path, canonicalQuery(rawQuery), timestamp, nonce, hex.EncodeToString(sum[:]),
	}, "\n")
}

// canonicalQuery sorts parameters by name, then value, each escaped as url.QueryEscape does.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		// A query the platform cannot parse is signed over as received; it will not match.
		return raw
	}
	pairs := make([]string, 0, len(vals))
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		vs := append([]string(nil), vals[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			pairs = append(pairs, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
	}
	return strings.Join(pairs, "&")
}

func sign(secret, s string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

func validNonce(n string) bool {
	if len(n) < 16 || len(n) > 32 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// check runs the contract's order: headers, timestamp, signature, nonce (recorded from here on),
// token, rate limit. A non-nil answer ends the request.
func (p *Platform) check(req *request, needToken bool) *answer {
	h := req.Header
	appKey, ts, nonce, sig := h.Get("X-App-Key"), h.Get("X-Timestamp"), h.Get("X-Nonce"), h.Get("X-Signature")
	for _, hv := range []struct{ name, v string }{{"X-App-Key", appKey}, {"X-Timestamp", ts}, {"X-Nonce", nonce}, {"X-Signature", sig}} {
		if hv.v == "" {
			return p.fail(codeBadParam, msgMissingHeader+hv.name)
		}
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return p.fail(codeBadParam, msgBadHeader+"X-Timestamp")
	}
	if !validNonce(nonce) {
		return p.fail(codeBadParam, msgBadHeader+"X-Nonce")
	}
	skew := req.now.Sub(time.UnixMilli(ms))
	if skew > timestampWindow || skew < -timestampWindow {
		return p.fail(codeTimestamp, msgTimestamp)
	}

	p.mu.Lock()
	app := p.apps[appKey]
	p.mu.Unlock()
	if app == nil {
		return p.fail(codeSignature, msgUnknownApp)
	}
	want := sign(app.Secret, stringToSign(req.Method, req.URL.EscapedPath(), req.URL.RawQuery, ts, nonce, req.body))
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return p.fail(codeSignature, msgSignature)
	}
	req.app = app

	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.recordNonce(app, nonce, req.now) {
		return p.fail(codeNonce, msgNonce)
	}
	if needToken {
		tok := p.tokens[h.Get("X-Access-Token")]
		if tok == nil || tok.revoked || tok.appKey != app.Key || !req.now.Before(tok.expires) {
			return p.fail(codeToken, msgToken)
		}
		p.authCount++
		if n := p.faults.RevokeTokenEvery; n > 0 && p.authCount%n == 0 {
			tok.revoked = true
			return p.fail(codeToken, msgToken)
		}
	}
	if p.faults.RateLimitBurst > 0 {
		p.faults.RateLimitBurst--
		return p.rateLimited(1)
	}
	if ok, wait := app.bucket.Take(req.now); !ok {
		return p.rateLimited(limit.Seconds(wait))
	}
	return nil
}

// recordNonce reports false for a nonce seen within the last 10 minutes; otherwise it records it.
// Old nonces are forgotten in arrival order.
func (p *Platform) recordNonce(app *appState, nonce string, now time.Time) bool {
	for len(app.nonceFIFO) > 0 && now.Sub(app.nonceFIFO[0].at) >= nonceTTL {
		old := app.nonceFIFO[0]
		if app.nonces[old.nonce].Equal(old.at) {
			delete(app.nonces, old.nonce)
		}
		app.nonceFIFO = app.nonceFIFO[1:]
	}
	if at, seen := app.nonces[nonce]; seen && now.Sub(at) < nonceTTL {
		return false
	}
	app.nonces[nonce] = now
	app.nonceFIFO = append(app.nonceFIFO, nonceSeen{nonce, now})
	return true
}

func (p *Platform) rateLimited(seconds int) *answer {
	a := p.fail(codeRateLimited, msgRateLimited)
	a.status = http.StatusTooManyRequests
	a.header.Set("Retry-After", strconv.Itoa(seconds))
	return a
}

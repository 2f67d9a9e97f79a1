// Package quanzhou is the client of the Quanzhou platform's open API (泉州市安全生产标准化智慧管理平台,
// contracts/quanzhou-platform.md): enterprises (listing, lookup, batchSave), risk-monitoring
// alarms (listing, handling feedback), and hazards and inspections (contracts/hazards.md: hazard
// listing, idempotent create, forward-only status; inspection listing).
//
// It owns everything the platform's style asks of a client: the signature on every request
// (sign.go), the access token shared by concurrent callers, the envelope whose code is the real
// status even under HTTP 200 (errors.go classifies it once into *APIError), the client-side rate
// limit, the short in-call retry, and listings that miss no record although records move while
// they are read (listing.go). Records come back as the platform's wire structs
// (mapping.QZEnterprise, mapping.QZAlarm) or converted to the canonical model.
package quanzhou

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
	"go.uber.org/zap"

	"streetsync/connectors/httpx"
)

const system = "quanzhou"

// Contract limits.
const (
	maxPageSize  = 500
	maxBatchSave = 100
)

// Client talks to one app key's view of the platform: one region, one token, one rate limit.
// It is safe for concurrent use.
type Client struct {
	appKey   string
	secret   string // only ever used as the HMAC key and in the token request body
	region   string
	http     *resty.Client
	tokens   *httpx.TokenCache
	limiter  *httpx.Limiter
	clock    httpx.Clock
	obs      httpx.Observer
	log      *zap.Logger
	retry    httpx.RetryPolicy
	pageSize int
	maxBody  int64
}

// New validates the configuration and returns a client for the app key's region (the street's
// 行政区划代码, 9 digits). It never panics on bad input.
func New(cfg Config, region string, log *zap.Logger, opts ...Option) (*Client, error) {
	o := options{pageSize: maxPageSize, maxBody: httpx.MaxBody, retry: httpx.DefaultRetryPolicy()}
	for _, opt := range opts {
		opt(&o)
	}
	var problems []string
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		problems = append(problems, fmt.Sprintf("baseURL %q is not an http(s) URL", cfg.BaseURL))
	} else if base.RawQuery != "" || base.Fragment != "" {
		problems = append(problems, fmt.Sprintf("baseURL %q must not carry a query or fragment", cfg.BaseURL))
	}
	if cfg.AppKey == "" {
		problems = append(problems, "appKey is empty")
	}
	if cfg.AppSecret == "" {
		problems = append(problems, "appSecret is empty")
	}
	if len(region) != 9 || strings.Trim(region, "0123456789") != "" {
		problems = append(problems, fmt.Sprintf("region %q is not a 9-digit 行政区划代码", region))
	}
	if cfg.RateLimit < 0 || cfg.Burst < 0 {
		problems = append(problems, "rateLimit and burst must not be negative")
	}
	if cfg.Timeout < 0 {
		problems = append(problems, "timeout must not be negative")
	}
	if o.pageSize < 1 || o.pageSize > maxPageSize {
		problems = append(problems, fmt.Sprintf("page size %d outside 1–%d", o.pageSize, maxPageSize))
	}
	if o.retry.Attempts < 1 {
		problems = append(problems, "retry policy needs at least one attempt")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("quanzhou client: %s", strings.Join(problems, "; "))
	}

	if log == nil {
		log = zap.NewNop()
	}
	if o.clock == nil {
		o.clock = httpx.SystemClock{}
	}
	if o.observer == nil {
		o.observer = httpx.NopObserver{}
	}
	perSecond, burst := cfg.RateLimit, cfg.Burst
	if o.rate != nil {
		perSecond, burst = o.rate.perSecond, o.rate.burst
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	hc := o.httpClient
	if hc == nil {
		rt := o.transport
		if rt == nil {
			t, err := httpx.NewTransport(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("quanzhou client: %w", err)
			}
			rt = t
		}
		hc = &http.Client{Transport: rt, Timeout: timeout}
	}

	c := &Client{
		appKey:   cfg.AppKey,
		secret:   cfg.AppSecret,
		region:   region,
		limiter:  httpx.NewLimiter(perSecond, burst),
		clock:    o.clock,
		obs:      o.observer,
		log:      log,
		retry:    o.retry,
		pageSize: o.pageSize,
		maxBody:  o.maxBody,
	}
	c.http = resty.NewWithClient(hc).
		SetBaseURL(strings.TrimRight(cfg.BaseURL, "/")).
		SetRedirectPolicy(resty.NoRedirectPolicy()). // a redirect would change the signed path
		SetLogger(httpx.RestyLogger(log)).
		SetRetryCount(0). // the one retry loop is httpx.Retrier, in do
		SetDisableWarn(true).
		SetPreRequestHook(c.signRequest)
	c.tokens = httpx.NewTokenCache(o.clock, c.fetchToken)
	return c, nil
}

// Limiter is the client's rate limiter, for the retry workers to pace themselves with the jobs.
func (c *Client) Limiter() *httpx.Limiter { return c.limiter }

// Wait blocks until the rate limit allows one more request (retry workers that pace themselves).
func (c *Client) Wait(ctx context.Context) error {
	d, err := c.limiter.Wait(ctx)
	if d > 0 {
		c.obs.ObserveLimiterWait(system, d)
	}
	return err
}

// Region is the region code the client lists and saves for.
func (c *Client) Region() string { return c.region }

// call is one API call as the contract describes it.
type call struct {
	method     string
	endpoint   string // route template for errors and metrics
	path       string // path below the base URL, escaped
	query      url.Values
	body       []byte
	key        string // record key for errors (not personal data on this platform)
	noToken    bool   // the token request itself
	idempotent bool
}

// envelope is every answer: {"code", "msg", "data", "requestId"}. Data points at the caller's
// destination so that a page decodes straight from the wire.
type envelope struct {
	Code      int    `json:"code"`
	Msg       string `json:"msg"`
	Data      any    `json:"data"`
	RequestID string `json:"requestId"`
}

// do runs a call with the in-call retry and decodes the answer's data into out (a pointer, or
// nil when the data does not matter).
func (c *Client) do(ctx context.Context, cl *call, out any) error {
	r := httpx.NewRetrier(c.retry, cl.idempotent)
	for n := 1; ; n++ {
		tok, err := c.attempt(ctx, cl, out)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var tf tokenFailure
		if errors.As(err, &tf) {
			// The token request had its own retries; repeating this call would repeat them.
			return tf.err
		}
		reason, wait, again := r.Next(err)
		if !again {
			c.logFailure(cl, err)
			return err
		}
		if reason == httpx.ReasonReauth {
			c.tokens.Invalidate(tok)
		}
		c.log.Debug("repeating call", zap.String("endpoint", cl.endpoint), zap.String("record", cl.key),
			zap.Int("attempt", n), zap.String("reason", string(reason)), zap.Duration("wait", wait), zap.Error(err))
		if err := httpx.Sleep(ctx, c.clock, wait); err != nil {
			return err
		}
	}
}

// logFailure reports the failures a person must act on; the rest is the caller's to log.
func (c *Client) logFailure(cl *call, err error) {
	switch {
	case errors.Is(err, ErrClockSkew):
		c.log.Error("platform reports clock skew over 300 s; check this machine's time",
			zap.String("endpoint", cl.endpoint), zap.Time("localTime", c.clock.Now()), zap.Error(err))
	case httpx.Classify(err) == httpx.KindAuth:
		c.log.Error("platform refused the credentials or the region", zap.String("endpoint", cl.endpoint), zap.Error(err))
	}
}

// attempt sends the call once. It returns the token it used, for invalidation.
func (c *Client) attempt(ctx context.Context, cl *call, out any) (string, error) {
	// The limiter first, so that the token is as fresh as possible when the request leaves.
	if d, err := c.limiter.Wait(ctx); err != nil {
		return "", err
	} else if d > 0 {
		c.obs.ObserveLimiterWait(system, d)
	}
	tok := ""
	if !cl.noToken {
		var err error
		if tok, err = c.tokens.Token(ctx); err != nil {
			return "", tokenFailure{err}
		}
	}

	req := c.http.R().SetContext(ctx).SetDoNotParseResponse(true).SetHeader("Accept", "application/json")
	if tok != "" {
		req.SetHeader("X-Access-Token", tok)
	}
	if cl.body != nil {
		req.SetHeader("Content-Type", "application/json;charset=UTF-8").SetBody(cl.body)
	}
	if len(cl.query) > 0 {
		req.SetQueryParamsFromValues(cl.query)
	}
	start := time.Now()
	resp, err := req.Execute(cl.method, cl.path)
	info := httpx.RequestInfo{System: system, Method: cl.method, Endpoint: cl.endpoint}
	if err != nil {
		kind, sentinel := httpx.ClassifyTransport(err)
		apiErr := c.newError(cl, 0, "", "", kind, sentinel, err)
		info.Duration, info.Code, info.Err = time.Since(start), "network", apiErr
		c.obs.ObserveRequest(info)
		if ctx.Err() != nil {
			return tok, ctx.Err()
		}
		return tok, apiErr
	}
	body := resp.RawBody()
	defer body.Close()
	apiErr := c.readAnswer(cl, resp.RawResponse, body, out)
	info.Duration, info.Status = time.Since(start), resp.StatusCode()
	if apiErr != nil {
		info.Code, info.Err = apiErr.Code, apiErr
		if info.Code == "" {
			info.Code = "http"
		}
		c.obs.ObserveRequest(info)
		if ctx.Err() != nil {
			return tok, ctx.Err()
		}
		return tok, apiErr
	}
	c.obs.ObserveRequest(info)
	return tok, nil
}

// readAnswer classifies one HTTP answer: the status first (429, 503 and gateway pages carry no
// usable envelope), then the envelope's code.
func (c *Client) readAnswer(cl *call, resp *http.Response, body io.Reader, out any) *APIError {
	status := resp.StatusCode
	wait, _ := httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now())
	if status != http.StatusOK {
		raw := httpx.ReadErrorBody(body)
		var env envelope
		jsonErr := json.Unmarshal(raw, &env)
		if jsonErr == nil && env.Code != 0 {
			e := c.classifyCode(cl, status, &env)
			if e.Wait == 0 {
				e.Wait = wait
			}
			return e
		}
		ct := resp.Header.Get("Content-Type")
		var e *APIError
		switch {
		case status == http.StatusTooManyRequests:
			e = c.newError(cl, status, "", "", httpx.KindTransient, ErrRateLimited, nil)
		case status == http.StatusUnauthorized && cl.noToken:
			e = c.newError(cl, status, "", "", httpx.KindAuth, ErrAuth, nil) // the credentials themselves
		case status == http.StatusUnauthorized:
			e = c.newError(cl, status, "", "", httpx.KindTransient, ErrTokenExpired, nil)
		case status == http.StatusForbidden:
			e = c.newError(cl, status, "", "", httpx.KindAuth, ErrForbidden, nil)
		case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
			// The gateway does not know the path: the base URL is wrong, not the record.
			e = c.newError(cl, status, "", "", httpx.KindAuth, ErrEndpoint, nil)
		case status >= 500:
			e = c.newError(cl, status, "", "", httpx.KindTransient, ErrUnavailable, nil)
		default:
			e = c.newError(cl, status, "", "", httpx.KindPermanent, ErrInvalid, nil)
		}
		if httpx.LooksLikeHTML(ct, raw) {
			e.Message = "HTML page"
		}
		e.Wait = wait
		return e
	}

	if pr, ok := out.(envelopeReader); ok {
		head, err := pr.readEnvelope(body, c.maxBody)
		switch {
		case err != nil:
			return c.decodeError(cl, status, resp.Header.Get("Content-Type"), err)
		case head.code != 0:
			e := c.classifyCode(cl, status, &envelope{Code: head.code, Msg: head.msg, RequestID: head.requestID})
			if e.Wait == 0 {
				e.Wait = wait
			}
			return e
		case !head.hasData:
			return c.newError(cl, status, "0", "answer without data", httpx.KindTransient, ErrMalformed, nil)
		}
		return nil
	}
	env := envelope{Data: out}
	dec := json.NewDecoder(&httpx.LimitedReader{R: body, Limit: c.maxBody})
	if err := dec.Decode(&env); err != nil {
		return c.decodeError(cl, status, resp.Header.Get("Content-Type"), err)
	}
	if env.Code != 0 {
		e := c.classifyCode(cl, status, &env)
		if e.Wait == 0 {
			e.Wait = wait
		}
		return e
	}
	// Let the connection be reused: the rest of a well-formed answer is at most whitespace.
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
	return nil
}

// decodeError turns an unreadable 200 answer into a transient error: a gateway's page, a
// captive portal, a cut connection or garbage all mean "try again", never "the data is wrong".
func (c *Client) decodeError(cl *call, status int, contentType string, err error) *APIError {
	e := c.newError(cl, status, "", "", httpx.KindTransient, ErrMalformed, err)
	switch {
	case errors.Is(err, httpx.ErrBodyTooLarge):
		e.Message = fmt.Sprintf("answer larger than %d bytes", c.maxBody)
	case errors.Is(err, httpx.ErrListTooLong):
		e.Message = err.Error() // more records than the request asked for: no page of the platform's
	case strings.Contains(strings.ToLower(contentType), "html"):
		e.Err, e.Message = ErrUnavailable, "HTML page"
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		e.Message = "truncated answer"
	default:
		e.Message = "answer is not the platform's JSON"
	}
	return e
}

// envelopeReader is a destination that reads the whole envelope itself (listing pages).
type envelopeReader interface {
	readEnvelope(body io.Reader, limit int64) (pageHead, error)
}

func (c *Client) newError(cl *call, status int, code, msg string, kind httpx.Kind, sentinel, cause error) *APIError {
	return &APIError{
		System: system, Method: cl.method, Endpoint: cl.endpoint, RecordKey: cl.key,
		Status: status, Code: code, Message: msg, Kind: kind, Err: sentinel, Cause: cause,
	}
}

// signRequest is the signing middleware (resty's pre-request hook): it runs on every attempt,
// after the URL is final, so the signature covers the path actually sent (gateway prefix
// included), the query as sent and the exact body bytes, with a fresh timestamp and nonce.
func (c *Client) signRequest(_ *resty.Client, r *http.Request) error {
	bodyHash := emptySHA256
	if r.GetBody != nil {
		rc, err := r.GetBody()
		if err != nil {
			return fmt.Errorf("sign: read body: %w", err)
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("sign: read body: %w", err)
		}
		bodyHash = hex.EncodeToString(h.Sum(nil))
	}
	nonce := newNonce()
	ts := fmt.Sprint(c.clock.Now().UnixMilli())
	sig := sign(c.secret, stringToSign(r.Method, r.URL.EscapedPath(), canonicalQuery(r.URL.Query()), ts, nonce, bodyHash))
	r.Header.Set("X-App-Key", c.appKey)
	r.Header.Set("X-Timestamp", ts)
	r.Header.Set("X-Nonce", nonce)
	r.Header.Set("X-Signature", sig)
	return nil
}

// tokenFailure marks an error of the token request inside another call.
type tokenFailure struct{ err error }

func (t tokenFailure) Error() string { return t.err.Error() }
func (t tokenFailure) Unwrap() error { return t.err }

// fetchToken is POST /auth/token.
func (c *Client) fetchToken(ctx context.Context) (httpx.Token, error) {
	body, err := json.Marshal(struct {
		AppKey    string `json:"appKey"`
		AppSecret string `json:"appSecret"`
	}{c.appKey, c.secret})
	if err != nil {
		return httpx.Token{}, err
	}
	var data struct {
		AccessToken string `json:"accessToken"`
		ExpiresIn   int64  `json:"expiresIn"`
	}
	cl := &call{method: http.MethodPost, endpoint: "/auth/token", path: "/auth/token", body: body, noToken: true, idempotent: true}
	if err := c.do(ctx, cl, &data); err != nil {
		return httpx.Token{}, err
	}
	if !httpx.ValidTokenValue(data.AccessToken) {
		return httpx.Token{}, c.newError(cl, http.StatusOK, "0", "no accessToken in the answer", httpx.KindTransient, ErrMalformed, nil)
	}
	life := time.Duration(data.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Minute // a token without a lifetime is trusted briefly, then renewed
	}
	return httpx.Token{Value: data.AccessToken, Expiry: c.clock.Now().Add(life)}, nil
}

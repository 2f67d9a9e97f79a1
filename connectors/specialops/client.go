// Package specialops is the client of the provincial special-operations system's data-sharing
// API (福建省互联网+特种作业人员综合管理服务, contracts/special-ops.md): certificates by ID number,
// the province-wide certificate change feed, and employment registrations (用工登记).
//
// It owns the system's style: OAuth2 client credentials with one token shared by concurrent
// callers, plain HTTP status codes with {"error", "message"} bodies (classified once, in
// errors.go, into *APIError), Retry-After as seconds or an HTTP-date, cursors that expire, the
// client-side rate limit and the short in-call retry. Records come back as the system's wire
// structs (mapping.TZCertificate, mapping.TZEmployment) or converted to the canonical model.
// ID numbers in errors and logs are masked.
package specialops

import (
	"context"
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
	"streetsync/mapping"
)

const system = "specialops"

// Contract limits.
const (
	maxQueryIDs = 50
	// maxCertificatesPerHolder bounds the certificates a query answer may list per ID number
	// asked: one per operation item, and the catalog has about fifty.
	maxCertificatesPerHolder = 100
	maxFeedLimit             = 500
)

// Client talks to the system with one set of client credentials. It is safe for concurrent use.
type Client struct {
	clientID  string
	secret    string // only ever sent in the token request's form body
	http      *resty.Client
	tokens    *httpx.TokenCache
	limiter   *httpx.Limiter
	clock     httpx.Clock
	obs       httpx.Observer
	log       *zap.Logger
	retry     httpx.RetryPolicy
	feedLimit int
	maxBody   int64
	catalog   *mapping.Catalog
}

// New validates the configuration and returns a client. It never panics on bad input.
func New(cfg Config, log *zap.Logger, opts ...Option) (*Client, error) {
	o := options{feedLimit: maxFeedLimit, maxBody: httpx.MaxBody, retry: httpx.DefaultRetryPolicy()}
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
	if cfg.ClientID == "" {
		problems = append(problems, "clientID is empty")
	}
	if cfg.ClientSecret == "" {
		problems = append(problems, "clientSecret is empty")
	}
	if cfg.RateLimit < 0 || cfg.Burst < 0 {
		problems = append(problems, "rateLimit and burst must not be negative")
	}
	if cfg.Timeout < 0 {
		problems = append(problems, "timeout must not be negative")
	}
	if o.feedLimit < 1 || o.feedLimit > maxFeedLimit {
		problems = append(problems, fmt.Sprintf("feed page size %d outside 1–%d", o.feedLimit, maxFeedLimit))
	}
	if o.retry.Attempts < 1 {
		problems = append(problems, "retry policy needs at least one attempt")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("specialops client: %s", strings.Join(problems, "; "))
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
	limiter := httpx.NewLimiter(perSecond, burst)
	if o.catalog == nil {
		o.catalog = mapping.DefaultCatalog()
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
				return nil, fmt.Errorf("specialops client: %w", err)
			}
			rt = t
		}
		hc = &http.Client{Transport: rt, Timeout: timeout}
	}
	c := &Client{
		clientID:  cfg.ClientID,
		secret:    cfg.ClientSecret,
		limiter:   limiter,
		clock:     o.clock,
		obs:       o.observer,
		log:       log,
		retry:     o.retry,
		feedLimit: o.feedLimit,
		maxBody:   o.maxBody,
		catalog:   o.catalog,
	}
	c.http = resty.NewWithClient(hc).
		SetBaseURL(strings.TrimRight(cfg.BaseURL, "/")).
		SetRedirectPolicy(resty.NoRedirectPolicy()).
		SetLogger(httpx.RestyLogger(log)).
		SetRetryCount(0). // the one retry loop is httpx.Retrier, in do
		SetDisableWarn(true)
	c.tokens = httpx.NewTokenCache(o.clock, c.fetchToken)
	return c, nil
}

// Limiter is the client's rate limiter, for the retry workers to pace themselves with the jobs.
func (c *Client) Limiter() *httpx.Limiter { return c.limiter }

// Wait blocks until the rate limit allows one more request.
func (c *Client) Wait(ctx context.Context) error {
	d, err := c.limiter.Wait(ctx)
	if d > 0 {
		c.obs.ObserveLimiterWait(system, d)
	}
	return err
}

// call is one API call.
type call struct {
	method     string
	endpoint   string // route template for errors and metrics
	path       string
	query      url.Values
	jsonBody   []byte
	form       url.Values // the token request
	key        string     // masked record key
	noToken    bool
	idempotent bool
	status     int // the answer's status, for callers that care (201 vs 200)
}

// errorBody is the system's error answer.
type errorBody struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
}

// do runs a call with the in-call retry and decodes a 2xx answer into out (nil: ignore it).
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
			return tf.err // the token request had its own retries
		}
		reason, wait, again := r.Next(err)
		if !again {
			if httpx.Classify(err) == httpx.KindAuth {
				c.log.Error("special-operations system refused the credentials", zap.String("endpoint", cl.endpoint), zap.Error(err))
			}
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

// tokenFailure marks an error of the token request inside another call.
type tokenFailure struct{ err error }

func (t tokenFailure) Error() string { return t.err.Error() }
func (t tokenFailure) Unwrap() error { return t.err }

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
		req.SetAuthToken(tok)
	}
	switch {
	case cl.form != nil:
		req.SetHeader("Content-Type", "application/x-www-form-urlencoded").SetBody(cl.form.Encode())
	case cl.jsonBody != nil:
		req.SetHeader("Content-Type", "application/json").SetBody(cl.jsonBody)
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
	}
	c.obs.ObserveRequest(info)
	if apiErr != nil {
		if ctx.Err() != nil {
			return tok, ctx.Err()
		}
		return tok, apiErr
	}
	cl.status = resp.StatusCode()
	return tok, nil
}

// readAnswer decodes a 2xx answer into out, or classifies the error answer.
func (c *Client) readAnswer(cl *call, resp *http.Response, body io.Reader, out any) *APIError {
	status := resp.StatusCode
	if status >= 200 && status < 300 {
		if out == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
			return nil
		}
		dec := json.NewDecoder(&httpx.LimitedReader{R: body, Limit: c.maxBody})
		if err := dec.Decode(out); err != nil {
			return c.decodeError(cl, status, resp.Header.Get("Content-Type"), err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(body, 4<<10))
		return nil
	}
	raw := httpx.ReadErrorBody(body)
	var eb errorBody
	isJSON := json.Unmarshal(raw, &eb) == nil && eb.Error != ""
	e := c.classifyStatus(cl, status, isJSON, &eb)
	if !isJSON && httpx.LooksLikeHTML(resp.Header.Get("Content-Type"), raw) {
		e.Message = "HTML page"
	}
	if wait, ok := httpx.ParseRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now()); ok {
		e.Wait = wait
	}
	return e
}

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
		var se *json.SyntaxError
		if errors.As(err, &se) {
			e.Message = "answer is not JSON"
		}
	}
	return e
}

func (c *Client) newError(cl *call, status int, code, msg string, kind httpx.Kind, sentinel, cause error) *APIError {
	return &APIError{
		System: system, Method: cl.method, Endpoint: cl.endpoint, RecordKey: cl.key,
		Status: status, Code: code, Message: msg, Kind: kind, Err: sentinel, Cause: cause,
	}
}

// fetchToken is POST /oauth/token with the client credentials in the form body.
func (c *Client) fetchToken(ctx context.Context) (httpx.Token, error) {
	var ans struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	cl := &call{method: http.MethodPost, endpoint: "/oauth/token", path: "/oauth/token", noToken: true, idempotent: true,
		form: url.Values{"grant_type": {"client_credentials"}, "client_id": {c.clientID}, "client_secret": {c.secret}}}
	if err := c.do(ctx, cl, &ans); err != nil {
		return httpx.Token{}, err
	}
	if !httpx.ValidTokenValue(ans.AccessToken) || (ans.TokenType != "" && !strings.EqualFold(ans.TokenType, "bearer")) {
		return httpx.Token{}, c.newError(cl, cl.status, "", "no bearer access_token in the answer", httpx.KindTransient, ErrMalformed, nil)
	}
	life := time.Duration(ans.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Minute
	}
	return httpx.Token{Value: ans.AccessToken, Expiry: c.clock.Now().Add(life)}, nil
}

package httpx

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind says what a caller should do about an error.
type Kind int

const (
	// KindTransient: try again later (5xx, maintenance, rate limits, timeouts, dropped
	// connections, gateway pages, truncated answers). Temporary reports true.
	KindTransient Kind = iota + 1
	// KindPermanent: this record or request will never succeed as it is; quarantine it.
	KindPermanent
	// KindAuth: credentials, signature, clock or permission are wrong; no record will succeed
	// until a person fixes the installation. Stop the job and report.
	KindAuth
)

func (k Kind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindPermanent:
		return "permanent"
	case KindAuth:
		return "auth"
	}
	return "unknown"
}

// The sentinels, for errors.Is. Every *APIError carries exactly one of them in Err (connector
// specific sentinels wrap one of these, e.g. specialops.ErrHolderMismatch wraps ErrConflict).
var (
	// ErrInvalid: the platform rejected the request or the data (Quanzhou 40001, HTTP 400/422).
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound: the record does not exist (Quanzhou 40401, HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a conflicting change a person must decide (Quanzhou 40902, HTTP 409).
	ErrConflict = errors.New("conflict")
	// ErrAuth: app key, secret or signature rejected (Quanzhou 40102, OAuth invalid_client).
	ErrAuth = errors.New("authentication failed")
	// ErrClockSkew: the platform says our clock is off (Quanzhou 40103).
	ErrClockSkew = errors.New("clock skew")
	// ErrForbidden: the credentials may not do this (Quanzhou 40301, HTTP 403).
	ErrForbidden = errors.New("forbidden")
	// ErrTokenExpired: the access token was refused (Quanzhou 40101, HTTP 401). The client
	// re-authenticates once by itself; callers see it only when the fresh token was refused too.
	ErrTokenExpired = errors.New("access token refused")
	// ErrNonceReused: the platform saw the nonce before (Quanzhou 40104).
	ErrNonceReused = errors.New("nonce reused")
	// ErrRateLimited: HTTP 429 / Quanzhou 42901.
	ErrRateLimited = errors.New("rate limited")
	// ErrMaintenance: the platform is down for maintenance (Quanzhou 50300).
	ErrMaintenance = errors.New("platform under maintenance")
	// ErrUnavailable: the platform or a gateway failed (5xx, Quanzhou 50000, HTML error pages,
	// timeouts, dropped connections).
	ErrUnavailable = errors.New("platform unavailable")
	// ErrMalformed: the answer could not be read (not JSON, truncated, too large, wrong shape).
	ErrMalformed = errors.New("malformed answer")
	// ErrCursorExpired: a change-feed cursor is older than the platform keeps it.
	ErrCursorExpired = errors.New("cursor expired")
	// ErrEndpoint: the server does not serve the path (HTTP 404/405 from a gateway): the base URL
	// is wrong, not the record.
	ErrEndpoint = errors.New("endpoint not served")
	// ErrTLS: the server's certificate did not verify (a wrong host, or a private CA missing
	// from caFile). Verification is never switched off.
	ErrTLS = errors.New("TLS certificate not trusted")
	// ErrUnstable: a listing kept changing faster than it could be read to the end.
	ErrUnstable = errors.New("listing did not settle")
)

// APIError is every failure of a platform call: which call, which record, what the platform
// said, and what to do about it. Its text never holds a secret, and ID numbers in RecordKey are
// masked by whoever builds it.
type APIError struct {
	System    string // "quanzhou" or "specialops"
	Method    string // HTTP method
	Endpoint  string // the route template, e.g. "/enterprises/{tyshxydm}"
	Status    int    // HTTP status; 0 when no answer arrived
	Code      string // the envelope code ("40102") or error string ("cursor_expired"); "" when none
	Message   string // what the platform said (msg / message), as sent
	RecordKey string // the record the call was about, masked; "" for listings
	RequestID string // the platform's request id, when it sent one
	// Fields are the per-field reasons of a validation failure (HTTP 422).
	Fields map[string]string
	// Wait is how long the platform asked us to wait (Retry-After); RetryAfter returns it.
	Wait time.Duration
	Kind Kind
	// Err is the sentinel (ErrNotFound, ErrRateLimited, …); Cause the underlying transport or
	// decoding error, if any.
	Err   error
	Cause error
}

// Temporary reports whether the call may succeed later unchanged. The retry queue asks this
// through errors.As(err, &interface{ Temporary() bool }).
func (e *APIError) Temporary() bool { return e.Kind == KindTransient }

// RetryAfter is how long the platform asked us to wait; 0 when it did not say.
func (e *APIError) RetryAfter() time.Duration { return e.Wait }

// Unwrap exposes the sentinel and the cause to errors.Is and errors.As.
func (e *APIError) Unwrap() []error {
	out := make([]error, 0, 2)
	if e.Err != nil {
		out = append(out, e.Err)
	}
	if e.Cause != nil {
		out = append(out, e.Cause)
	}
	return out
}

// Error reads like: quanzhou POST /enterprises/batchSave [91350582MA2Y…]: HTTP 200 code 40001:
// list 超过 100 条 (invalid request).
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.System)
	b.WriteByte(' ')
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Endpoint)
	if e.RecordKey != "" {
		b.WriteString(" [")
		b.WriteString(e.RecordKey)
		b.WriteByte(']')
	}
	b.WriteString(": ")
	if e.Status != 0 {
		b.WriteString("HTTP ")
		b.WriteString(strconv.Itoa(e.Status))
		b.WriteByte(' ')
	}
	if e.Code != "" {
		b.WriteString("code ")
		b.WriteString(e.Code)
		b.WriteByte(' ')
	}
	switch {
	case e.Message != "":
		b.WriteString(e.Message)
	case e.Cause != nil:
		b.WriteString(causeText(e.Cause))
	}
	if len(e.Fields) > 0 {
		b.WriteString(" fields:")
		for _, k := range sortedKeys(e.Fields) {
			b.WriteByte(' ')
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(e.Fields[k])
		}
	}
	if e.Err != nil {
		b.WriteString(" (")
		b.WriteString(e.Err.Error())
		b.WriteByte(')')
	}
	if e.Wait > 0 {
		b.WriteString(" retry after ")
		b.WriteString(e.Wait.String())
	}
	return b.String()
}

// Summary is the one-line Chinese account of the error that reports, the console and the
// quarantine show to the office: what kind of failure, and what the platform said.
func (e *APIError) Summary() string {
	label := summaryLabel(e.Err, e.Kind)
	msg := e.Message
	if len(e.Fields) > 0 {
		var parts []string
		for _, k := range sortedKeys(e.Fields) {
			parts = append(parts, k+"："+e.Fields[k])
		}
		if msg != "" {
			msg += "；"
		}
		msg += strings.Join(parts, "；")
	}
	if msg == "" {
		return label
	}
	return label + "：" + msg
}

// causeText drops the URL a *url.Error carries: the message says which endpoint already, and a
// URL could carry a record key unmasked.
func causeText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Classify reports the Kind of any error: an *APIError's own, a context error's (transient: the
// call was cut short, not refused), and KindPermanent for anything else, so that a caller never
// loops on an error nobody classified.
func Classify(err error) Kind {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Kind
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return KindTransient
	}
	var t interface{ Temporary() bool }
	if errors.As(err, &t) && t.Temporary() {
		return KindTransient
	}
	return KindPermanent
}

package specialops

import (
	"fmt"
	"net/http"

	"streetsync/connectors/httpx"
)

// APIError is every failed call; see httpx.APIError.
type APIError = httpx.APIError

// The sentinels callers match with errors.Is (shared with connectors/quanzhou).
var (
	ErrInvalid       = httpx.ErrInvalid       // 400
	ErrNotFound      = httpx.ErrNotFound      // 404
	ErrConflict      = httpx.ErrConflict      // 409
	ErrAuth          = httpx.ErrAuth          // invalid_client: wrong client id or secret
	ErrForbidden     = httpx.ErrForbidden     // 403
	ErrTokenExpired  = httpx.ErrTokenExpired  // 401 even after one re-authentication
	ErrRateLimited   = httpx.ErrRateLimited   // 429
	ErrUnavailable   = httpx.ErrUnavailable   // 500, 502, 503, 504, network failures
	ErrMalformed     = httpx.ErrMalformed     // unreadable, truncated or oversized answers
	ErrCursorExpired = httpx.ErrCursorExpired // 400 cursor_expired (Changes restarts by itself)
	ErrEndpoint      = httpx.ErrEndpoint      // 404/405 without the system's error body: wrong base URL
	ErrTLS           = httpx.ErrTLS           // the system's certificate did not verify
)

// The employment registration's refusals (PUT /api/v2/employments). Each wraps its generic
// sentinel, so errors.Is(err, ErrConflict) holds for both 409s.
var (
	ErrCertificateNotFound = fmt.Errorf("certificate_not_found: %w", ErrNotFound)
	ErrHolderMismatch      = fmt.Errorf("holder_mismatch: %w", ErrConflict)
	ErrCertificateNotValid = fmt.Errorf("certificate_not_valid: %w", ErrConflict)
	ErrValidation          = fmt.Errorf("validation failed: %w", ErrInvalid) // 422, with Fields
)

// Error strings of the contract.
const (
	errCursorExpired       = "cursor_expired"
	errInvalidToken        = "invalid_token"
	errInvalidClient       = "invalid_client"
	errCertificateNotFound = "certificate_not_found"
	errHolderMismatch      = "holder_mismatch"
	errCertificateNotValid = "certificate_not_valid"
)

// classifyStatus is the contract's status table, refined by the error string where the contract
// names one. isJSON reports whether the body was the system's error JSON (a gateway's 404 page
// means a wrong base URL, not a missing record).
func (c *Client) classifyStatus(cl *call, status int, isJSON bool, eb *errorBody) *APIError {
	kind, sentinel := httpx.KindPermanent, ErrInvalid
	switch {
	case status == http.StatusBadRequest && eb.Error == errCursorExpired:
		sentinel = ErrCursorExpired
	case status == http.StatusBadRequest && cl.noToken && eb.Error == errInvalidClient,
		status == http.StatusUnauthorized && cl.noToken:
		// The token request: the credentials themselves are wrong.
		kind, sentinel = httpx.KindAuth, ErrAuth
	case status == http.StatusBadRequest:
	case status == http.StatusUnauthorized:
		kind, sentinel = httpx.KindTransient, ErrTokenExpired
	case status == http.StatusForbidden:
		kind, sentinel = httpx.KindAuth, ErrForbidden
	case status == http.StatusNotFound && !isJSON, status == http.StatusMethodNotAllowed:
		kind, sentinel = httpx.KindAuth, ErrEndpoint
	case status == http.StatusNotFound && eb.Error == errCertificateNotFound:
		sentinel = ErrCertificateNotFound
	case status == http.StatusNotFound:
		sentinel = ErrNotFound
	case status == http.StatusConflict && eb.Error == errHolderMismatch:
		sentinel = ErrHolderMismatch
	case status == http.StatusConflict && eb.Error == errCertificateNotValid:
		sentinel = ErrCertificateNotValid
	case status == http.StatusConflict:
		sentinel = ErrConflict
	case status == http.StatusUnprocessableEntity:
		sentinel = ErrValidation
	case status == http.StatusTooManyRequests:
		kind, sentinel = httpx.KindTransient, ErrRateLimited
	case status >= 500:
		kind, sentinel = httpx.KindTransient, ErrUnavailable
	}
	e := c.newError(cl, status, eb.Error, eb.Message, kind, sentinel, nil)
	if len(eb.Fields) > 0 {
		e.Fields = eb.Fields
	}
	return e
}

package quanzhou

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"streetsync/connectors/httpx"
)

// APIError is every failed call; see httpx.APIError. Callers decide by errors.Is with the
// sentinels below, or by Temporary / RetryAfter.
type APIError = httpx.APIError

// The sentinels callers match with errors.Is (shared with connectors/specialops).
var (
	ErrInvalid      = httpx.ErrInvalid      // 40001: bad parameter or missing header
	ErrNotFound     = httpx.ErrNotFound     // 40401
	ErrConflict     = httpx.ErrConflict     // 40902: feedback conflicts with a closed alarm
	ErrAuth         = httpx.ErrAuth         // 40102: signature, app key or secret wrong
	ErrClockSkew    = httpx.ErrClockSkew    // 40103
	ErrForbidden    = httpx.ErrForbidden    // 40301: region not allowed for this app key
	ErrTokenExpired = httpx.ErrTokenExpired // 40101 even after one re-authentication
	ErrNonceReused  = httpx.ErrNonceReused  // 40104 even after one fresh nonce
	ErrRateLimited  = httpx.ErrRateLimited  // 429 / 42901
	ErrMaintenance  = httpx.ErrMaintenance  // 503 / 50300
	ErrUnavailable  = httpx.ErrUnavailable  // 50000, 5xx, gateway pages, network failures
	ErrMalformed    = httpx.ErrMalformed    // unreadable, truncated or oversized answers
	ErrEndpoint     = httpx.ErrEndpoint     // HTTP 404/405: the base URL is wrong
	ErrUnstable     = httpx.ErrUnstable     // a listing changed faster than it could be read
	ErrTLS          = httpx.ErrTLS          // the platform's certificate did not verify
)

// ErrBusy is a batchSave item refused with 40901: the record is being modified concurrently.
var ErrBusy = errors.New("record being modified concurrently")

// ErrStatusBackward is a hazard status change refused with 40903: a status only moves forward.
// It is a conflict a person decides (the platform's copy is further along), never retried.
var ErrStatusBackward = fmt.Errorf("hazard status may only move forward: %w", ErrConflict)

// Envelope codes (quanzhou-platform.md, "Envelope").
const (
	codeBadParam     = 40001
	codeToken        = 40101
	codeSignature    = 40102
	codeTimestamp    = 40103
	codeNonce        = 40104
	codeRegion       = 40301
	codeNotFound     = 40401
	codeConflict     = 40902
	codeBackward     = 40903
	codeRateLimited  = 42901
	codeInternal     = 50000
	codeMaintenance  = 50300
	itemBadUSCC      = 40011
	itemMissing      = 40012
	itemBadCode      = 40013
	itemRegion       = 40014
	itemBadClause    = 40015
	itemBusy         = 40901
	itemStoreFailure = 50001
)

// codeKinds is the contract's table: what each envelope code means for the caller.
var codeKinds = map[int]struct {
	kind httpx.Kind
	err  error
}{
	codeBadParam:    {httpx.KindPermanent, ErrInvalid},
	codeToken:       {httpx.KindTransient, ErrTokenExpired},
	codeSignature:   {httpx.KindAuth, ErrAuth},
	codeTimestamp:   {httpx.KindAuth, ErrClockSkew},
	codeNonce:       {httpx.KindTransient, ErrNonceReused},
	codeRegion:      {httpx.KindAuth, ErrForbidden},
	codeNotFound:    {httpx.KindPermanent, ErrNotFound},
	codeConflict:    {httpx.KindPermanent, ErrConflict},
	codeRateLimited: {httpx.KindTransient, ErrRateLimited},
	codeInternal:    {httpx.KindTransient, ErrUnavailable},
	codeMaintenance: {httpx.KindTransient, ErrMaintenance},

	// The hazard endpoints (hazards.md): a backward status move, and POST /hazards' item checks,
	// which come as the envelope's code.
	codeBackward:  {httpx.KindPermanent, ErrStatusBackward},
	itemMissing:   {httpx.KindPermanent, ErrInvalid},
	itemBadCode:   {httpx.KindPermanent, ErrInvalid},
	itemRegion:    {httpx.KindPermanent, ErrInvalid},
	itemBadClause: {httpx.KindPermanent, ErrInvalid},
}

// classifyCode turns a non-zero envelope code into the call's error. Codes the contract does not
// list are judged by their class: 5xxxx transient, anything else permanent.
func (c *Client) classifyCode(cl *call, status int, env *envelope) *APIError {
	k, ok := codeKinds[env.Code]
	if !ok {
		k.kind, k.err = httpx.KindPermanent, ErrInvalid
		if env.Code >= 50000 && env.Code < 60000 {
			k.kind, k.err = httpx.KindTransient, ErrUnavailable
		}
	}
	e := c.newError(cl, status, strconv.Itoa(env.Code), env.Msg, k.kind, k.err, nil)
	e.RequestID = env.RequestID
	return e
}

// ItemError is one batchSave item the platform refused (result FAILED). Temporary reports
// whether sending it again later may succeed (40901, 50001); the others are quarantined with
// Msg as the reason.
type ItemError struct {
	Index int    // position in the records given to BatchSave
	USCC  string // tyshxydm as sent
	Code  int    // errCode
	Msg   string // errMsg, as the platform wrote it
}

func (e *ItemError) Error() string {
	return "quanzhou POST /enterprises/batchSave item " + strconv.Itoa(e.Index) + " [" + e.USCC + "]: code " +
		strconv.Itoa(e.Code) + " " + e.Msg
}

// Temporary reports whether the item may be saved by sending it again.
func (e *ItemError) Temporary() bool {
	return e.Code == itemBusy || e.Code == itemStoreFailure || (e.Code >= 50000 && e.Code < 60000)
}

// RetryAfter is 0: the platform gives no wait for items.
func (e *ItemError) RetryAfter() time.Duration { return 0 }

// Unwrap lets errors.Is tell the item errors apart: ErrInvalid for 40011–40014 (quarantine),
// ErrBusy for 40901, ErrUnavailable for 50001.
func (e *ItemError) Unwrap() error {
	switch {
	case e.Code == itemBusy:
		return ErrBusy
	case e.Temporary():
		return ErrUnavailable
	}
	return ErrInvalid
}

// Summary is the Chinese one-liner for the quarantine and reports.
func (e *ItemError) Summary() string {
	label := msgItemRejected
	if e.Temporary() {
		label = msgItemRetry
	}
	if e.Msg == "" {
		return label + "（" + strconv.Itoa(e.Code) + "）"
	}
	return label + "：" + e.Msg
}

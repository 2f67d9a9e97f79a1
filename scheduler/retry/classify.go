package retry

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// Class is how a failed attempt is treated.
type Class string

// The classes of failure, each with its own path.
const (
	// ClassTransient: the platform or the network is having trouble; back off and try again.
	ClassTransient Class = "transient"
	// ClassQuarantined: the platform rejected the data; the handler has quarantined the record
	// for a person, and the item is finished — never retried.
	ClassQuarantined Class = "quarantined"
	// ClassPermanent: no retry can succeed; the item goes straight to the dead letters.
	ClassPermanent Class = "permanent"
	// ClassUnknown: anything else; retried a few times (UnknownAttempts), then dead.
	ClassUnknown Class = "unknown"
)

// Classify decides the class of a handler's error and the Retry-After it carries (0 if none).
// It looks through the wrapped chain with errors.As for these methods, so that a connector's
// error types plug in without importing this package:
//
//	Quarantined() bool          true: ClassQuarantined (the handler quarantined the record)
//	Permanent() bool            true: ClassPermanent
//	Temporary() bool            true: ClassTransient (false decides nothing: a refused TCP
//	                            connection reports false, and is transient all the same)
//	Timeout() bool              true: ClassTransient
//	RetryAfter() time.Duration  the platform's Retry-After, honoured when longer than the backoff
//
// Network failures (*net.OpError, connection refused or reset, an unexpected EOF) and
// context.DeadlineExceeded are transient too. Everything else is ClassUnknown. The wrappers
// Transient, Permanent and Quarantined mark an error for handlers whose errors carry no class.
func Classify(err error) (Class, time.Duration) {
	var retryAfter time.Duration
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		retryAfter = ra.RetryAfter()
	}
	var q interface{ Quarantined() bool }
	if errors.As(err, &q) && q.Quarantined() {
		return ClassQuarantined, retryAfter
	}
	var p interface{ Permanent() bool }
	if errors.As(err, &p) && p.Permanent() {
		return ClassPermanent, retryAfter
	}
	var tmp interface{ Temporary() bool }
	if errors.As(err, &tmp) && tmp.Temporary() {
		return ClassTransient, retryAfter
	}
	var to interface{ Timeout() bool }
	if errors.As(err, &to) && to.Timeout() {
		return ClassTransient, retryAfter
	}
	var op *net.OpError
	switch {
	case errors.As(err, &op),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded):
		return ClassTransient, retryAfter
	}
	return ClassUnknown, retryAfter
}

// Transient marks err as transient, with the platform's Retry-After (0 = none). The message is
// err's own.
func Transient(err error, retryAfter time.Duration) error {
	return &classified{err: err, class: ClassTransient, retryAfter: retryAfter}
}

// Permanent marks err as one no retry can fix: the item goes to the dead letters at once.
func Permanent(err error) error { return &classified{err: err, class: ClassPermanent} }

// Quarantined tells the queue that the handler has quarantined the record because the platform
// rejected its data: the item is finished, with outcome "quarantined".
func Quarantined(err error) error { return &classified{err: err, class: ClassQuarantined} }

type classified struct {
	err        error
	class      Class
	retryAfter time.Duration
}

func (c *classified) Error() string {
	if c.err == nil {
		return string(c.class)
	}
	return c.err.Error()
}

func (c *classified) Unwrap() error     { return c.err }
func (c *classified) Temporary() bool   { return c.class == ClassTransient }
func (c *classified) Permanent() bool   { return c.class == ClassPermanent }
func (c *classified) Quarantined() bool { return c.class == ClassQuarantined }

// RetryAfter is the one given to Transient, else the wrapped error's own.
func (c *classified) RetryAfter() time.Duration {
	if c.retryAfter > 0 {
		return c.retryAfter
	}
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(c.err, &ra) {
		return ra.RetryAfter()
	}
	return 0
}

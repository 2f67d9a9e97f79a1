package httpx

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Token is an access token and the moment it stops being valid.
type Token struct {
	Value  string
	Expiry time.Time
}

// ValidTokenValue reports whether s can be sent as an access token in a request header: one to
// 4096 characters of RFC 6750's b64token set (letters, digits and -._~+/ with trailing =).
// A token endpoint that answers anything else has answered wrongly, however well-formed its JSON.
func ValidTokenValue(s string) bool {
	if s == "" || len(s) > 4096 {
		return false
	}
	padding := false
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '=':
			padding = true
		case padding:
			return false
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9',
			b == '-', b == '.', b == '_', b == '~', b == '+', b == '/':
		default:
			return false
		}
	}
	return s[0] != '='
}

// TokenCache holds one access token for concurrent callers. It asks for a new one only when the
// cached one is missing, close to expiry or refused, and then exactly once however many callers
// need it at that moment: the others wait for that one answer (singleflight).
type TokenCache struct {
	fetch func(ctx context.Context) (Token, error)
	clock Clock

	mu     sync.Mutex
	cur    Token
	flight *tokenFlight
}

type tokenFlight struct {
	done chan struct{}
	tok  Token
	err  error
}

// NewTokenCache returns a cache that gets tokens with fetch.
func NewTokenCache(clk Clock, fetch func(ctx context.Context) (Token, error)) *TokenCache {
	return &TokenCache{fetch: fetch, clock: clk}
}

// refreshMargin is how long before expiry a token is replaced: a minute, or a tenth of its life
// for short-lived ones, so that a request never leaves with a token that dies on the way.
func refreshMargin(life time.Duration) time.Duration {
	if m := life / 10; m < time.Minute {
		return m
	}
	return time.Minute
}

// Token returns a valid token, fetching one if needed.
func (c *TokenCache) Token(ctx context.Context) (string, error) {
	for {
		c.mu.Lock()
		if c.cur.Value != "" && c.clock.Now().Before(c.cur.Expiry) {
			v := c.cur.Value
			c.mu.Unlock()
			return v, nil
		}
		f := c.flight
		leader := f == nil
		if leader {
			f = &tokenFlight{done: make(chan struct{})}
			c.flight = f
		}
		c.mu.Unlock()

		if leader {
			tok, err := c.fetch(ctx)
			c.mu.Lock()
			if err == nil {
				now := c.clock.Now()
				life := tok.Expiry.Sub(now)
				tok.Expiry = tok.Expiry.Add(-refreshMargin(life))
				c.cur = tok
			}
			f.tok, f.err = tok, err
			c.flight = nil
			c.mu.Unlock()
			close(f.done)
			if err != nil {
				return "", err
			}
			return tok.Value, nil
		}

		select {
		case <-f.done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if f.err == nil {
			return f.tok.Value, nil
		}
		// The leader gave up because its own context ended; this caller's has not, so it
		// tries again (and may lead the next flight).
		if errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded) {
			if ctx.Err() == nil {
				continue
			}
		}
		return "", f.err
	}
}

// Invalidate forgets the token if it is still the one the platform refused; a refusal of an
// older token (a slow concurrent caller) leaves a newer token alone.
func (c *TokenCache) Invalidate(refused string) {
	c.mu.Lock()
	if c.cur.Value == refused {
		c.cur = Token{}
	}
	c.mu.Unlock()
}

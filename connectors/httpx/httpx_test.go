package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 21, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		ok     bool
	}{
		{"delta seconds", "120", 120 * time.Second, true},
		{"maintenance seconds", "1800", 1800 * time.Second, true},
		{"zero seconds", "0", 0, true},
		{"HTTP-date in the future", "Tue, 21 May 2024 09:30:07 GMT", 7 * time.Second, true},
		{"HTTP-date in RFC 850 form", "Tuesday, 21-May-24 09:31:00 GMT", time.Minute, true},
		{"HTTP-date in the past is no wait", "Tue, 21 May 2024 09:29:00 GMT", 0, true},
		{"spaces around are ignored", "  5 ", 5 * time.Second, true},
		{"empty means not given", "", 0, false},
		{"negative is unreadable", "-3", 0, false},
		{"fraction is unreadable", "1.5", 0, false},
		{"garbage is unreadable", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseRetryAfter(tt.header, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLimitedReaderFailsOverTheLimit(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		limit   int64
		wantErr error
	}{
		{"under the limit", 10, 11, nil},
		{"exactly at the limit", 11, 11, nil},
		{"one byte over", 12, 11, ErrBodyTooLarge},
		{"far over", 1 << 20, 1 << 10, ErrBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ReadBody(bytes.NewReader(bytes.Repeat([]byte("x"), tt.size)), tt.limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && len(b) != tt.size {
				t.Errorf("read %d bytes, want %d", len(b), tt.size)
			}
		})
	}
}

func TestLooksLikeHTML(t *testing.T) {
	tests := []struct {
		name, ct, body string
		want           bool
	}{
		{"html content type", "text/html; charset=utf-8", "whatever", true},
		{"json that starts with a tag", "application/json", "\r\n <html><body>502</body></html>", true},
		{"json", "application/json", `{"code":0}`, false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		if got := LooksLikeHTML(tt.ct, []byte(tt.body)); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRetrierRules(t *testing.T) {
	transient := func(wait time.Duration) error {
		return &APIError{Kind: KindTransient, Err: ErrUnavailable, Wait: wait}
	}
	p := RetryPolicy{Attempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxWait: 2 * time.Second, Budget: 3 * time.Second}

	t.Run("transient failures are tried three times in all", func(t *testing.T) {
		r := NewRetrier(p, true)
		var waits []time.Duration
		for {
			_, w, again := r.Next(transient(0))
			if !again {
				break
			}
			waits = append(waits, w)
		}
		if len(waits) != 2 {
			t.Fatalf("got %d repeats, want 2", len(waits))
		}
		for i, w := range waits {
			base := p.BaseDelay << i
			if w < base/2 || w > base*3/2 {
				t.Errorf("wait %d = %v, want within ±50%% of %v", i, w, base)
			}
		}
	})
	t.Run("a short Retry-After is waited for", func(t *testing.T) {
		_, w, again := NewRetrier(p, true).Next(transient(time.Second))
		if !again || w != time.Second {
			t.Errorf("got %v, %v; want 1s, true", w, again)
		}
	})
	t.Run("a long Retry-After returns at once", func(t *testing.T) {
		if _, _, again := NewRetrier(p, true).Next(transient(1800 * time.Second)); again {
			t.Error("a 1800 s Retry-After was waited for in the call")
		}
	})
	t.Run("the waiting budget bounds the call", func(t *testing.T) {
		r := NewRetrier(p, true)
		if _, _, again := r.Next(transient(2 * time.Second)); !again {
			t.Fatal("first 2 s wait refused")
		}
		if _, _, again := r.Next(transient(2 * time.Second)); again {
			t.Error("second 2 s wait exceeds the 3 s budget but was granted")
		}
	})
	t.Run("a refused token is renewed exactly once", func(t *testing.T) {
		r := NewRetrier(p, true)
		err := &APIError{Kind: KindTransient, Err: ErrTokenExpired}
		if reason, _, again := r.Next(err); !again || reason != ReasonReauth {
			t.Fatalf("first refusal: got %q, %v", reason, again)
		}
		if _, _, again := r.Next(err); again {
			t.Error("second refusal repeated the call again")
		}
	})
	t.Run("a reused nonce is replaced exactly once", func(t *testing.T) {
		r := NewRetrier(p, false)
		err := &APIError{Kind: KindTransient, Err: ErrNonceReused}
		if reason, _, again := r.Next(err); !again || reason != ReasonNonce {
			t.Fatalf("first: got %q, %v", reason, again)
		}
		if _, _, again := r.Next(err); again {
			t.Error("second reuse repeated the call again")
		}
	})
	t.Run("permanent and auth errors are not repeated", func(t *testing.T) {
		for _, k := range []Kind{KindPermanent, KindAuth} {
			if _, _, again := NewRetrier(p, true).Next(&APIError{Kind: k, Err: ErrInvalid}); again {
				t.Errorf("%v error repeated", k)
			}
		}
	})
	t.Run("a call that is not idempotent is repeated only after a rate limit", func(t *testing.T) {
		if _, _, again := NewRetrier(p, false).Next(transient(0)); again {
			t.Error("non-idempotent call repeated after a 5xx")
		}
		if _, _, again := NewRetrier(p, false).Next(&APIError{Kind: KindTransient, Err: ErrRateLimited, Wait: time.Second}); !again {
			t.Error("non-idempotent call not repeated after a 429 (refused before anything happened)")
		}
	})
	t.Run("errors that are not the platform's are not repeated", func(t *testing.T) {
		if _, _, again := NewRetrier(p, true).Next(context.Canceled); again {
			t.Error("context error repeated")
		}
	})
}

func TestAPIErrorClassification(t *testing.T) {
	e := &APIError{System: "quanzhou", Method: "POST", Endpoint: "/enterprises/batchSave", RecordKey: "91350582MA2Y",
		Status: 503, Code: "50300", Message: "系统维护中", Kind: KindTransient, Err: ErrMaintenance, Wait: 30 * time.Minute}
	var err error = fmt.Errorf("sync enterprises: %w", e)

	var temp interface{ Temporary() bool }
	if !errors.As(err, &temp) || !temp.Temporary() {
		t.Error("Temporary not reachable through errors.As or false")
	}
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) || ra.RetryAfter() != 30*time.Minute {
		t.Errorf("RetryAfter not reachable or wrong")
	}
	if !errors.Is(err, ErrMaintenance) || errors.Is(err, ErrNotFound) {
		t.Error("sentinel matching is wrong")
	}
	if got, want := e.Error(), "quanzhou POST /enterprises/batchSave [91350582MA2Y]: HTTP 503 code 50300 系统维护中 (platform under maintenance) retry after 30m0s"; got != want {
		t.Errorf("Error() = %q\nwant      %q", got, want)
	}
	if got, want := e.Summary(), "平台维护中，稍后重试：系统维护中"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if Classify(err) != KindTransient || Classify(errors.New("x")) != KindPermanent || Classify(context.Canceled) != KindTransient {
		t.Error("Classify is wrong")
	}
	v := &APIError{System: "specialops", Method: "PUT", Endpoint: "/api/v2/employments", Status: 422, Code: "validation_failed",
		Kind: KindPermanent, Err: ErrInvalid, Fields: map[string]string{"startDate": "格式错误", "endDate": "早于开始"}}
	if got, want := v.Summary(), "平台拒绝了请求或数据：endDate：早于开始；startDate：格式错误"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestTokenCacheSharesOneFetch(t *testing.T) {
	clk := &stepClock{t: time.Unix(1_700_000_000, 0)}
	var fetches atomic.Int32
	release := make(chan struct{})
	c := NewTokenCache(clk, func(ctx context.Context) (Token, error) {
		n := fetches.Add(1)
		<-release
		return Token{Value: fmt.Sprintf("tok-%d", n), Expiry: clk.Now().Add(2 * time.Hour)}, nil
	})
	const callers = 32
	var wg sync.WaitGroup
	got := make([]string, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := c.Token(context.Background())
			if err != nil {
				t.Error(err)
			}
			got[i] = tok
		}()
	}
	time.Sleep(20 * time.Millisecond) // let the callers pile up behind the one fetch
	close(release)
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d token fetches for %d concurrent callers, want 1", n, callers)
	}
	for i, tok := range got {
		if tok != "tok-1" {
			t.Fatalf("caller %d got %q, want tok-1", i, tok)
		}
	}

	// A refusal of the current token renews it once; a late refusal of the old one does not.
	c.Invalidate("tok-1")
	if tok, _ := c.Token(context.Background()); tok != "tok-2" {
		t.Fatalf("after invalidation got %q, want tok-2", tok)
	}
	c.Invalidate("tok-1")
	if tok, _ := c.Token(context.Background()); tok != "tok-2" || fetches.Load() != 2 {
		t.Fatalf("stale invalidation renewed the token: %q after %d fetches", tok, fetches.Load())
	}

	// Shortly before expiry (the last minute of a 2 h token) it is renewed.
	clk.advance(2*time.Hour - 30*time.Second)
	if tok, _ := c.Token(context.Background()); tok != "tok-3" {
		t.Fatalf("near expiry got %q, want tok-3", tok)
	}
}

func TestTokenCacheWaiterOutlivesCancelledLeader(t *testing.T) {
	clk := &stepClock{t: time.Unix(1_700_000_000, 0)}
	started := make(chan struct{}, 2)
	var fetches atomic.Int32
	c := NewTokenCache(clk, func(ctx context.Context) (Token, error) {
		if fetches.Add(1) == 1 {
			started <- struct{}{}
			<-ctx.Done() // the leader's caller gives up
			return Token{}, ctx.Err()
		}
		return Token{Value: "tok", Expiry: clk.Now().Add(time.Hour)}, nil
	})
	leaderCtx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := c.Token(leaderCtx); errc <- err }()
	<-started
	got := make(chan string, 1)
	go func() { tok, _ := c.Token(context.Background()); got <- tok }()
	time.Sleep(10 * time.Millisecond) // the second caller joins the leader's flight
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader err = %v, want context.Canceled", err)
	}
	if tok := <-got; tok != "tok" {
		t.Fatalf("waiter got %q, want tok (it should lead a fetch of its own)", tok)
	}
}

func TestLimiterCountsWaits(t *testing.T) {
	l := NewLimiter(2, 1) // a request every 500 ms
	ctx := context.Background()
	if d, err := l.Wait(ctx); err != nil || d != 0 {
		t.Fatalf("the burst waited %v (%v)", d, err)
	}
	d, err := l.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total, n := l.Waited()
	if n != 1 || total != d || d < 250*time.Millisecond {
		t.Errorf("waited %v; counters %v in %d waits; want one wait of ~500 ms", d, total, n)
	}
	lifted := NewLimiter(0, 0)
	for range 1000 {
		if d, _ := lifted.Wait(ctx); d != 0 {
			t.Fatal("a lifted limiter waited")
		}
	}
}

func TestTransportTrustsTheConfiguredCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()

	t.Run("without the CA the certificate is refused", func(t *testing.T) {
		tr, err := NewTransport("")
		if err != nil {
			t.Fatal(err)
		}
		_, err = (&http.Client{Transport: tr}).Get(srv.URL)
		if err == nil {
			t.Fatal("an untrusted certificate was accepted")
		}
		if kind, sentinel := ClassifyTransport(err); kind != KindAuth || sentinel != ErrTLS {
			t.Errorf("classified %v/%v, want auth/ErrTLS", kind, sentinel)
		}
	})
	t.Run("with the CA file it is trusted", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ca.pem")
		cert := srv.Certificate()
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
			t.Fatal(err)
		}
		tr, err := NewTransport(path)
		if err != nil {
			t.Fatal(err)
		}
		if tr.TLSClientConfig.InsecureSkipVerify || tr.TLSClientConfig.MinVersion < tls.VersionTLS12 {
			t.Error("TLS verification weakened")
		}
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
		if err != nil {
			t.Fatalf("trusted server refused: %v", err)
		}
		resp.Body.Close()
	})
	t.Run("a CA file without certificates is an error", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "empty.pem")
		os.WriteFile(path, []byte("not a certificate"), 0o600)
		if _, err := NewTransport(path); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
			t.Errorf("err = %v, want a no-PEM error", err)
		}
		if _, err := NewTransport(filepath.Join(t.TempDir(), "missing.pem")); err == nil {
			t.Error("a missing CA file was accepted")
		}
	})
}

// stepClock is a clock tests move by hand; After fires at once and moves it.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.advance(d)
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

func TestLimiterWaitPastTheDeadlineIsTheDeadline(t *testing.T) {
	l := NewLimiter(1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestValidTokenValue(t *testing.T) {
	for _, s := range []string{"0", "fz-access-token-0001", "eyJhbGciOi.J9.abc_-~+/", "abc==", strings.Repeat("a", 4096)} {
		if !ValidTokenValue(s) {
			t.Errorf("ValidTokenValue(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "=", "=abc", "ab=c", "tok en", "tok\r\nX-Evil: 1", "令牌", "a\x00", strings.Repeat("a", 4097)} {
		if ValidTokenValue(s) {
			t.Errorf("ValidTokenValue(%q) = true, want false", s)
		}
	}
}

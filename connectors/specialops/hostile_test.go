package specialops_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"streetsync/connectors/httpx"
	"streetsync/connectors/specialops"
	"streetsync/internal/testutil"
	"streetsync/mapping"
)

// A hostile or broken system answers the change feed with a page far longer than the limit
// asked (or a query with more certificates than its holders can have): the answer is refused as
// malformed and transient at the first element too many, and what the client allocates for it
// stays within a small multiple of the body.

// hostileList is a JSON object whose list key holds {} elements filling about size bytes.
func hostileList(key string, size int, rest string) []byte {
	return testutil.RepeatedJSON(`{"`+key+`":[`, "{}", "]"+rest+"}", size)
}

// hostileSystem answers the token endpoint as the contract says and everything else with body.
func hostileSystem(t testing.TB, body []byte) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/oauth/token") {
			_, _ = w.Write([]byte(`{"access_token":"tz-hostile","token_type":"Bearer","expires_in":3600}`))
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/share"
}

func hostileClient(t testing.TB, base string, maxBody int64) *specialops.Client {
	t.Helper()
	c, err := specialops.New(specialops.Config{BaseURL: base, ClientID: "c", ClientSecret: "hostile-test-secret", RateLimit: 1, Burst: 1,
		Timeout: time.Minute}, zap.NewNop(),
		specialops.WithRateLimit(0, 0), specialops.WithMaxBody(maxBody),
		specialops.WithRetryPolicy(httpx.RetryPolicy{Attempts: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxWait: time.Second, Budget: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func feedAll(c *specialops.Client) (int, error) {
	seq, _ := c.Changes(context.Background(), time.Date(2024, 5, 1, 0, 0, 0, 0, mapping.Beijing()), "")
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func wantListTooLong(t *testing.T, err error) {
	t.Helper()
	var ae *specialops.APIError
	if !errors.Is(err, specialops.ErrMalformed) || !errors.As(err, &ae) || ae.Kind != httpx.KindTransient || !errors.Is(err, httpx.ErrListTooLong) {
		t.Errorf("error %v, want a transient malformed answer caused by a list too long", err)
	}
}

func TestHostileFeedPageIsRefusedWithinTheBodyCap(t *testing.T) {
	page := hostileList("items", 2<<20, `,"nextCursor":"","hasMore":false`)
	c := hostileClient(t, hostileSystem(t, page), 4<<20)
	var n int
	var err error
	heap := testutil.HeapAllocated(func() { n, err = feedAll(c) })
	t.Logf("a %d KiB feed page of {}: %d records, %.1f MiB allocated, %v", len(page)>>10, n, float64(heap)/(1<<20), err)
	if n != 0 {
		t.Errorf("the feed yielded %d records from a page longer than the 500 asked", n)
	}
	wantListTooLong(t, err)
	if limit := uint64(16 * len(page)); heap > limit {
		t.Errorf("a %d KiB page allocated %d KiB on the heap, want at most %d KiB (16 × the body)", len(page)>>10, heap>>10, limit>>10)
	}
}

func TestHostileQueryAnswerIsRefused(t *testing.T) {
	for name, body := range map[string][]byte{
		"more certificates than two holders can have": hostileList("items", 1<<20, `,"notFound":[]`),
		"more not-found numbers than were asked":      []byte(`{"items":[],"notFound":["350582198001011234","350582198001011234","350582198001011234"]}`),
	} {
		c := hostileClient(t, hostileSystem(t, body), 4<<20)
		var items []mapping.TZCertificate
		var err error
		heap := testutil.HeapAllocated(func() {
			items, _, err = c.QueryCertificates(context.Background(), []string{"35058219800101123X", "350582198001011234"})
		})
		if len(items) != 0 {
			t.Errorf("%s: %d certificates returned", name, len(items))
		}
		wantListTooLong(t, err)
		if limit := uint64(16*len(body)) + 1<<20; heap > limit {
			t.Errorf("%s: a %d KiB answer allocated %d KiB, want at most %d KiB", name, len(body)>>10, heap>>10, limit>>10)
		}
	}
}

// BenchmarkHostileFeedPage reads one hostile feed page at the default body cap (32 MiB of {})
// and reports what it allocates (B/op with -benchmem).
func BenchmarkHostileFeedPage(b *testing.B) {
	page := hostileList("items", httpx.MaxBody-64, `,"nextCursor":"","hasMore":false`)
	c := hostileClient(b, hostileSystem(b, page), httpx.MaxBody)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	records := 0
	for b.Loop() {
		n, err := feedAll(c)
		if !errors.Is(err, httpx.ErrListTooLong) {
			b.Fatalf("error %v, want a list too long", err)
		}
		records += n
	}
	b.ReportMetric(float64(records)/float64(b.N), "records/op")
}

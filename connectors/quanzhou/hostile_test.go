package quanzhou_test

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
	"streetsync/connectors/quanzhou"
	"streetsync/internal/testutil"
	"streetsync/mapping"
)

// A hostile or broken platform answers a listing with a page far longer than the pageSize
// asked: 32 MiB of {} used to become 11 million records and 13 GB. The page is refused as a
// malformed, transient answer at the first record too many, and what the client allocates for
// it stays within a small multiple of the body (the body cap bounds it).

// hostilePage is a 200 listing page of {} records filling about size bytes. It claims a total
// of 1, so that a client believing it would take the page as the whole listing.
func hostilePage(size int) []byte {
	return testutil.RepeatedJSON(`{"code":0,"msg":"成功","data":{"total":1,"pageNo":1,"pageSize":500,"list":[`, "{}",
		`]},"requestId":"r"}`, size)
}

// hostilePlatform answers the token endpoint as the contract says and every listing with page.
func hostilePlatform(t testing.TB, page []byte) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		if strings.HasSuffix(r.URL.Path, "/auth/token") {
			_, _ = w.Write([]byte(`{"code":0,"msg":"成功","data":{"accessToken":"tok-hostile","expiresIn":7200},"requestId":"t"}`))
			return
		}
		_, _ = w.Write(page)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/gw/openapi/v1"
}

func hostileClient(t testing.TB, base string, maxBody int64) *quanzhou.Client {
	t.Helper()
	c, err := quanzhou.New(quanzhou.Config{BaseURL: base, AppKey: "k", AppSecret: "hostile-test-secret", RateLimit: 1, Burst: 1,
		Timeout: time.Minute}, "350582006", zap.NewNop(),
		quanzhou.WithRateLimit(0, 0), quanzhou.WithMaxBody(maxBody),
		quanzhou.WithRetryPolicy(httpx.RetryPolicy{Attempts: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxWait: time.Second, Budget: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// listAll walks the enterprise listing and returns how many records it yielded and its error.
func listAll(c *quanzhou.Client) (int, error) {
	seq, _ := c.ListEnterprises(context.Background(), quanzhou.Mark{})
	n := 0
	for _, err := range seq {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func TestHostilePageIsRefusedWithinTheBodyCap(t *testing.T) {
	const size = 2 << 20
	page := hostilePage(size)
	c := hostileClient(t, hostilePlatform(t, page), 4<<20)
	var n int
	var err error
	heap := testutil.HeapAllocated(func() { n, err = listAll(c) })
	t.Logf("a %d KiB page of {}: %d records, %.1f MiB allocated, %v", len(page)>>10, n, float64(heap)/(1<<20), err)
	if n != 0 {
		t.Errorf("the listing yielded %d records from a page longer than the 500 asked", n)
	}
	var ae *quanzhou.APIError
	if !errors.Is(err, quanzhou.ErrMalformed) || !errors.As(err, &ae) || ae.Kind != httpx.KindTransient || !errors.Is(err, httpx.ErrListTooLong) {
		t.Errorf("error %v, want a transient malformed answer caused by a list too long", err)
	}
	if limit := uint64(16 * len(page)); heap > limit {
		t.Errorf("a %d KiB page allocated %d KiB on the heap, want at most %d KiB (16 × the body)", len(page)>>10, heap>>10, limit>>10)
	}
}

// The same bound holds for the batch-save answer: more results than records sent is refused
// before they are all decoded.
func TestBatchSaveRefusesMoreResultsThanRecords(t *testing.T) {
	answer := testutil.RepeatedJSON(`{"code":0,"data":{"successCount":1,"failCount":0,"results":[{"index":0,"result":"CREATED"},`, "{}", `]}}`, 1<<20)
	c := hostileClient(t, hostilePlatform(t, answer), 4<<20)
	var results []quanzhou.SaveResult
	var err error
	heap := testutil.HeapAllocated(func() {
		results, err = c.BatchSave(context.Background(), []mapping.QZEnterprise{{Tyshxydm: "91350582MA2YQ0XB4K"}})
	})
	if !errors.Is(err, quanzhou.ErrMalformed) || !errors.Is(err, httpx.ErrListTooLong) || httpx.Classify(err) != httpx.KindTransient {
		t.Errorf("error %v, want a transient malformed answer caused by a list too long", err)
	}
	if len(results) != 1 || results[0].Err == nil {
		t.Errorf("results %+v, want the one record with the error", results)
	}
	if limit := uint64(16 * len(answer)); heap > limit {
		t.Errorf("a %d KiB answer allocated %d KiB, want at most %d KiB", len(answer)>>10, heap>>10, limit>>10)
	}
}

// BenchmarkHostilePage reads one hostile page at the default body cap (32 MiB of {}) and reports
// what it allocates: B/op with -benchmem, records/op (0: the page is refused).
func BenchmarkHostilePage(b *testing.B) {
	page := hostilePage(httpx.MaxBody - 64)
	c := hostileClient(b, hostilePlatform(b, page), httpx.MaxBody)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	records := 0
	for b.Loop() {
		n, err := listAll(c)
		if !errors.Is(err, httpx.ErrListTooLong) {
			b.Fatalf("error %v, want a list too long", err)
		}
		records += n
	}
	b.ReportMetric(float64(records)/float64(b.N), "records/op")
}

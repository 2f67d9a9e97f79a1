package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkOverviewPage renders the front page over the test world (real ledger and Redis):
// ledger counts, queue stats, run history, every firing alert and 30 days of alarms, three charts.
func BenchmarkOverviewPage(b *testing.B) {
	w := newWorld(b, worldOptions{enterprises: 200})
	h := w.srv.Handler()
	sess := w.srv.sessions.create("bench")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sess.id})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkMaskBody is the ID-number safety net over a 100 KB page without ID numbers (the usual
// case: every ID was masked where it was shown).
func BenchmarkMaskBody(b *testing.B) {
	page := []byte(strings.Repeat(`<tr><td><code>91350582MA2Y5B3X4K</code></td><td>晋江市灵源伟远织造有限公司</td><td>350582********123X</td></tr>`, 800))
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		maskBody(page)
	}
}

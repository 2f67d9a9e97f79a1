package quanzhou

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"streetsync/mapping"
)

// The contract's worked example (quanzhou-platform.md, "Authentication and signing").
func TestSignatureMatchesContractExample(t *testing.T) {
	q := url.Values{"pageSize": {"2"}, "pageNo": {"1"}}
	got := stringToSign("GET", "/gw/openapi/v1/enterprises", canonicalQuery(q), "1716262800000", "AbCd1234EfGh5678", emptySHA256)
	want := "GET\n/gw/openapi/v1/enterprises\npageNo=1&pageSize=2\n1716262800000\nAbCd1234EfGh5678\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got != want {
		t.Fatalf("stringToSign:\n%q\nwant\n%q", got, want)
	}
	if sig, want := sign("demo-secret", got), "dcccbc02a6d4f62315cee6919afecbd2015561163a8085b91916b48d3d5141b8"; sig != want {
		t.Errorf("signature %s, want %s", sig, want)
	}
}

func TestCanonicalQueryRules(t *testing.T) {
	tests := []struct {
		name string
		q    url.Values
		want string
	}{
		{"no parameters is an empty line", nil, ""},
		{"sorted by name", url.Values{"pageSize": {"2"}, "pageNo": {"1"}, "xzqhdm": {"350582006"}}, "pageNo=1&pageSize=2&xzqhdm=350582006"},
		{"then by value", url.Values{"a": {"z", "b", "m"}}, "a=b&a=m&a=z"},
		{"escaped as url.QueryEscape does", url.Values{"gxsjStart": {"2024-05-21 09:30:00"}}, "gxsjStart=2024-05-21+09%3A30%3A00"},
		{"names escaped too, and non-ASCII", url.Values{"名 称": {"灵源/街道"}}, "%E5%90%8D+%E7%A7%B0=%E7%81%B5%E6%BA%90%2F%E8%A1%97%E9%81%93"},
		{"empty value kept", url.Values{"a": {""}}, "a="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonicalQuery(tt.q); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEveryAttemptIsSignedWithAFreshNonce(t *testing.T) {
	f := newFixture(t)
	// batchSave answers 50000 twice, then succeeds: three attempts over the same body.
	f.on(http.MethodPost, "/enterprises/batchSave", sequence(
		codeResponder(200, codeInternal, "系统内部错误"),
		codeResponder(200, codeInternal, "系统内部错误"),
		fileResponder(t, "batch_save.json")))
	f.on(http.MethodGet, "/enterprises", fileResponder(t, "enterprises_page.json"))

	records := []mapRecord{{"91350582MA2YB1XK3L"}, {"91350582MA31C8QX0D"}, {"913505820000000000"}}
	if _, err := f.c.BatchSave(context.Background(), wire(records)); err != nil {
		t.Fatal(err)
	}
	since := time.Date(2024, 5, 20, 9, 30, 0, 0, mapping.Beijing())
	seq, _ := f.c.ListEnterprises(context.Background(), MarkAt(since))
	for _, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
	}

	saves := f.requests("/enterprises/batchSave")
	if len(saves) != 3 {
		t.Fatalf("%d batchSave attempts, want 3", len(saves))
	}
	nonces := map[string]bool{}
	for _, r := range append(append(saves, f.requests("/auth/token")...), f.requests("/enterprises")...) {
		if nonces[r.nonce] {
			t.Errorf("nonce %s used twice", r.nonce)
		}
		nonces[r.nonce] = true
	}
	if saves[0].timestamp == saves[2].timestamp {
		t.Error("the repeat carried the first attempt's timestamp; the clock moved during the backoff")
	}
	if string(saves[0].body) != string(saves[2].body) {
		t.Error("the repeat sent a different body")
	}
	list := f.requests("/enterprises")
	if len(list) != 1 || list[0].query == "" {
		t.Fatalf("listing requests: %+v", list)
	}
	q, _ := url.ParseQuery(list[0].query)
	if q.Get("xzqhdm") != testRegion || q.Get("gxsjStart") != "2024-05-20 09:30:00" || q.Get("pageNo") != "1" || q.Get("pageSize") != "500" {
		t.Errorf("listing query %q", list[0].query)
	}
}

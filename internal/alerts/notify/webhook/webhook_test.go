package webhook

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/notifytest"
	"streetsync/internal/config"
)

// The contract's payload, exactly: top-level status, community, alert objects with their fields.
const wantPayload = `{"status":"firing","community":"林格社区","alerts":[
 {"key":"0123456789abcdef","rule":"CERT_EXPIRED","ruleName":"证书过期","severity":"critical","status":"firing","community":"林格社区",
  "enterprise":{"uscc":"91350582MA2Y0EXA1K","name":"晋江市灵源示例鞋业有限公司"},
  "operator":{"name":"张三","idNumber":"350582********123X"},
  "item":{"code":"0102","name":"低压电工作业"},
  "certificate":{"certNo":"T350582********123X","status":"VALID","validUntil":"2026-03-01","reviewDueDate":"2023-03-01"},
  "since":"2026-11-28T08:00:00+08:00",
  "message":"证书过期：晋江市灵源示例鞋业有限公司 的 张三（350582********123X）的低压电工作业操作证（T350582********123X）有效期至 2026-03-01，已过期。请督促企业立即停止其特种作业，重新取证后方可上岗",
  "notice":"new"},
 {"key":"fedcba9876543210","rule":"EXPIRING_SOON","ruleName":"证书即将到期","severity":"warning","status":"resolved","community":"林格社区",
  "enterprise":{"uscc":"91350582MA2Y0EXA1K","name":"晋江市灵源示例鞋业有限公司"},
  "operator":{"name":"李四","idNumber":"350582********5678"},
  "item":{"code":"0102","name":"低压电工作业"},
  "certificate":{"certNo":"T350582********123X","status":"VALID","validUntil":"2026-03-01","reviewDueDate":"2023-03-01"},
  "since":"2026-11-28T08:00:00+08:00",
  "message":"证书过期：晋江市灵源示例鞋业有限公司 的 张三（350582********123X）的低压电工作业操作证（T350582********123X）有效期至 2026-03-01，已过期。请督促企业立即停止其特种作业，重新取证后方可上岗",
  "notice":"resolved"}]}`

func TestWebhookPostsTheContractPayload(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/hooks/alerts" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("got %s %s %q, want POST /hooks/alerts application/json", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	n, err := New(config.Channel{Type: "webhook", URL: config.Secret(srv.URL + "/hooks/alerts")}, notify.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := n.Notify(context.Background(), notifytest.Message()); err != nil || retry {
		t.Fatalf("Notify = %v, %v; want success", retry, err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(wantPayload), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("payload:\n got %s\nwant %s", gb, wb)
	}
}

func TestWebhookStatusDecidesRetry(t *testing.T) {
	for _, tc := range []struct {
		status    int
		wantRetry bool
		wantErr   bool
	}{
		{200, false, false},
		{202, false, false},
		{400, false, true},
		{404, false, true},
		{429, true, true},
		{500, true, true},
		{503, true, true},
		{302, false, true}, // redirects are not followed
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.status == 302 {
				w.Header().Set("Location", "https://elsewhere.example/")
			}
			// Error pages like to echo the path; the error must not carry it.
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte("Cannot POST " + r.URL.Path))
		}))
		// The channel's own client: it must not follow redirects.
		n, err := New(config.Channel{Type: "webhook", Name: "office", URL: config.Secret(srv.URL + "/hook/s3cr3tt0k3n0123456?key=querysecret")})
		if err != nil {
			t.Fatal(err)
		}
		retry, err := n.Notify(context.Background(), notifytest.Message())
		srv.Close()
		if retry != tc.wantRetry || (err != nil) != tc.wantErr {
			t.Errorf("status %d: got retry=%v err=%v, want retry=%v err=%v", tc.status, retry, err, tc.wantRetry, tc.wantErr)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "querysecret") || !strings.Contains(err.Error(), "office")) {
			t.Errorf("status %d: error %q leaks the URL or does not name the channel", tc.status, err)
		}
	}
}

func TestWebhookNetworkErrorIsRetriedAndHidesTheURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hook/s3cr3tt0k3n0123456"
	srv.Close() // nothing listens any more
	n, err := New(config.Channel{Type: "webhook", URL: config.Secret(url)})
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), notifytest.Message())
	if err == nil || !retry {
		t.Fatalf("got retry=%v err=%v, want a retryable error", retry, err)
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "http://") {
		t.Errorf("error %q carries the URL", err)
	}
}

func TestWebhookVerifiesTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	// The default client (system roots) must refuse the test server's self-signed certificate.
	n, err := New(config.Channel{Type: "webhook", URL: config.Secret(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), notifytest.Message()); err == nil {
		t.Fatal("got success against an untrusted certificate, want a TLS error")
	}

	// With the server's certificate as the channel's CA file, it is trusted.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	n, err = New(config.Channel{Type: "webhook", URL: config.Secret(srv.URL), CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := n.Notify(context.Background(), notifytest.Message()); err != nil {
		t.Fatalf("with the CA file: got retry=%v err=%v, want success", retry, err)
	}
}

func TestWebhookCarriesTheHazardObject(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	n, err := New(config.Channel{Type: "webhook", URL: config.Secret(srv.URL + "/hook")}, notify.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), notify.NewMessage("林格社区", []notify.Alert{notifytest.HazardAlert()})); err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Alerts []map[string]json.RawMessage `json:"alerts"`
	}
	if err := json.Unmarshal(got, &msg); err != nil || len(msg.Alerts) != 1 {
		t.Fatalf("payload %s: %v", got, err)
	}
	a := msg.Alerts[0]
	want := `{"id":"JD20260301-0a1b2c3d","yhid":"YH3505820000123","level":"重大","clause":"3-2","deadline":"2026-03-09","status":"整改中"}`
	if string(a["hazard"]) != want {
		t.Errorf("hazard object: got %s, want %s", a["hazard"], want)
	}
	for _, k := range []string{"operator", "item", "certificate"} {
		if string(a[k]) != "null" {
			t.Errorf("%s: got %s, want null in a hazard alert", k, a[k])
		}
	}
}

// The payload is encoded an alert at a time; it must be json.Marshal's, byte for byte: HTML
// characters escaped, null where nothing applies, every kind of alert, no alert at all.
func TestPayloadIsMarshalByteForByte(t *testing.T) {
	at := time.Date(2026, 12, 8, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	alerts := []notify.Alert{
		{Key: "0123456789abcdef", Rule: "CERT_EXPIRED", RuleName: "证书过期", Severity: "critical", Status: "firing",
			Community: "林格社区", Enterprise: notify.Enterprise{USCC: "91350582MA2Y0EXA1K", Name: "灵源<示例>&鞋业"},
			Operator: &notify.Operator{Name: "张三", IDNumber: "350582********123X"}, Item: &notify.Item{Code: "0102", Name: "低压电工作业"},
			Certificate: &notify.Certificate{CertNo: "T350582********123X", Status: "VALID"},
			Since:       at, Message: "line\u2028break \"quoted\" \\ back", Notice: "new", Escalated: true,
			Acknowledged: &notify.Ack{By: "陈", Note: "已电话通知", At: at}},
		{Key: "1", Rule: "ALARM_UNHANDLED", Severity: "warning", Status: "resolved", Alarm: &notify.Alarm{ID: "A1", Point: "1#罐"}, Since: at},
		{Key: "2", Rule: "DATA_STALE", Status: "firing", System: &notify.System{Subject: "certificate", LastSuccess: &at}},
		{Key: "3", Rule: "HAZARD_MAJOR", Status: "firing", Hazard: &notify.Hazard{ID: "LY-1", Level: "重大"}},
	}
	for _, msg := range []*notify.Message{
		notify.NewMessage("林格社区", alerts),
		notify.NewMessage("安办", alerts[1:2]),
		{Status: "firing", Community: "<&>", Alerts: []notify.Alert{}},
		{Status: "firing", Community: "x"},
	} {
		want, err := json.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := payload(msg)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("payload\n%s\nwant json.Marshal's\n%s", got, want)
		}
	}
}

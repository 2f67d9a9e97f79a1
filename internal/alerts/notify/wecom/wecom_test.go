package wecom

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/notifytest"
	"streetsync/internal/config"
)

type robot struct {
	mu       sync.Mutex
	contents []string
	answer   string
}

func (rb *robot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != "robot-key-0123456789" {
		http.Error(w, "bad path", http.StatusNotFound)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.MsgType != "markdown" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	rb.mu.Lock()
	rb.contents = append(rb.contents, m.Markdown.Content)
	rb.mu.Unlock()
	// Like the real robot: HTTP 200 whatever happened, the status is errcode.
	answer := rb.answer
	if answer == "" {
		answer = `{"errcode":0,"errmsg":"ok"}`
	}
	_, _ = w.Write([]byte(answer))
}

func newNotifier(t *testing.T, rb *robot) *Notifier {
	t.Helper()
	srv := httptest.NewServer(rb)
	t.Cleanup(srv.Close)
	n, err := New(config.Channel{Type: "wecom", Name: "lingge-wecom", URL: config.Secret(srv.URL + "/cgi-bin/webhook/send?key=robot-key-0123456789")},
		notify.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWecomSendsMarkdown(t *testing.T) {
	rb := &robot{}
	n := newNotifier(t, rb)
	if retry, err := n.Notify(context.Background(), notifytest.Message()); err != nil || retry {
		t.Fatalf("Notify = %v, %v; want success", retry, err)
	}
	if len(rb.contents) != 1 {
		t.Fatalf("got %d messages, want 1", len(rb.contents))
	}
	c := rb.contents[0]
	for _, want := range []string{"### 安全预警 · 林格社区", "新增 1 条，已解决 1 条", "**[严重·新增] 证书过期 — 晋江市灵源示例鞋业有限公司**",
		"张三（350582∗∗∗∗∗∗∗∗123X）", "T350582∗∗∗∗∗∗∗∗123X", "[提醒·已解决] 证书即将到期"} {
		if !strings.Contains(c, want) {
			t.Errorf("content lacks %q:\n%s", want, c)
		}
	}
}

func TestWecomSplitsAt4096Bytes(t *testing.T) {
	rb := &robot{}
	n := newNotifier(t, rb)
	msg := notifytest.Big(60)
	if _, err := n.Notify(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if len(rb.contents) < 2 {
		t.Fatalf("got %d messages for 60 alerts, want several", len(rb.contents))
	}
	seen := 0
	for i, c := range rb.contents {
		if len(c) > MaxContentBytes || !utf8.ValidString(c) {
			t.Errorf("part %d: %d bytes (valid UTF-8: %v), want ≤ %d", i, len(c), utf8.ValidString(c), MaxContentBytes)
		}
		if !strings.HasPrefix(c, "### 安全预警 · 林格社区") || !strings.Contains(c, "部分）") {
			t.Errorf("part %d does not start with the title and its part number:\n%.200s", i, c)
		}
		seen += strings.Count(c, "[严重·新增]")
	}
	if seen != 60 {
		t.Errorf("got %d alerts across the parts, want 60", seen)
	}
}

func TestWecomErrcodeIsTheRealStatus(t *testing.T) {
	for _, tc := range []struct {
		answer    string
		wantRetry bool
	}{
		{`{"errcode":45009,"errmsg":"api freq out of limit"}`, true},
		{`{"errcode":-1,"errmsg":"system busy"}`, true},
		{`{"errcode":93000,"errmsg":"invalid webhook url, hint: key robot-key-0123456789"}`, false},
		{`{"errcode":40058,"errmsg":"content exceed max length"}`, false},
	} {
		n := newNotifier(t, &robot{answer: tc.answer})
		retry, err := n.Notify(context.Background(), notifytest.Message())
		if err == nil || retry != tc.wantRetry {
			t.Errorf("%s: got retry=%v err=%v, want retry=%v and an error", tc.answer, retry, err, tc.wantRetry)
			continue
		}
		if strings.Contains(err.Error(), "robot-key") || !strings.Contains(err.Error(), "lingge-wecom") {
			t.Errorf("error %q leaks the key or does not name the channel", err)
		}
	}
}

// A roster name that is a markdown link and a mention reaches the group as text (issue 16).
func TestWecomValuesAreNoMarkup(t *testing.T) {
	rb := &robot{}
	n := newNotifier(t, rb)
	if _, err := n.Notify(context.Background(), notifytest.Hostile()); err != nil {
		t.Fatal(err)
	}
	c := strings.Join(rb.contents, "\n")
	for _, bad := range []string{"](", "<@", "@all", "<font", "http://", "https://", "**晋江**", "\n# ", "\n> "} {
		if strings.Contains(c, bad) {
			t.Errorf("content holds %q:\n%s", bad, c)
		}
	}
	if !strings.Contains(c, "点击核实证书") || !strings.HasPrefix(c, "### 安全预警 · 林格社区") {
		t.Errorf("the message lost its own text or markup:\n%s", c)
	}
}

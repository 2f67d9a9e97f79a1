package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/notifytest"
	"streetsync/internal/config"
)

const (
	secret = "SEC1234567890abcdef"
	token  = "access-token-0123456789"
)

// TestSignFixedVector: the expected value was computed outside Go, with
//
//	printf '%s\n%s' 1772382600000 SEC1234567890abcdef | openssl dgst -sha256 -hmac SEC1234567890abcdef -binary | base64
//
// following DingTalk's published algorithm (and cross-checked with Python's hmac).
func TestSignFixedVector(t *testing.T) {
	const want = "+BHjbGiks3SIxhp8n9t7xOjPjffW7Q7ERMnFHK8lTNc="
	if got := Sign(secret, 1772382600000); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

// verify is DingTalk's check, written independently of Sign: the robot recomputes the HMAC
// from the timestamp in the query and compares it with the URL-decoded sign, and rejects
// timestamps more than an hour away.
func verify(q url.Values, now time.Time) bool {
	ts := q.Get("timestamp")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.UnixMilli(ms)).Abs() > time.Hour {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(q.Get("sign")), []byte(want))
}

type robot struct {
	texts  []string
	titles []string
	answer string
	rawQ   []string
}

func (rb *robot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rb.rawQ = append(rb.rawQ, r.URL.RawQuery)
	if r.URL.Path != "/robot/send" || q.Get("access_token") != token {
		http.Error(w, "bad path", http.StatusNotFound)
		return
	}
	if !verify(q, notifytest.Now) {
		_, _ = w.Write([]byte(`{"errcode":310000,"errmsg":"sign not match"}`))
		return
	}
	var m struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
	}
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.MsgType != "markdown" {
		_, _ = w.Write([]byte(`{"errcode":40035,"errmsg":"bad body"}`))
		return
	}
	rb.texts = append(rb.texts, m.Markdown.Text)
	rb.titles = append(rb.titles, m.Markdown.Title)
	answer := rb.answer
	if answer == "" {
		answer = `{"errcode":0,"errmsg":"ok"}`
	}
	_, _ = w.Write([]byte(answer))
}

func newNotifier(t *testing.T, rb *robot, sec string) *Notifier {
	t.Helper()
	srv := httptest.NewServer(rb)
	t.Cleanup(srv.Close)
	n, err := New(config.Channel{Type: "dingtalk", URL: config.Secret(srv.URL + "/robot/send?access_token=" + token), Secret: config.Secret(sec)},
		notify.WithHTTPClient(srv.Client()), notify.WithClock(notifytest.Clock{}))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDingtalkSignsAndSendsMarkdown(t *testing.T) {
	rb := &robot{}
	n := newNotifier(t, rb, secret)
	if retry, err := n.Notify(context.Background(), notifytest.Message()); err != nil || retry {
		t.Fatalf("Notify = %v, %v; want success", retry, err)
	}
	if len(rb.texts) != 1 {
		t.Fatalf("got %d messages, want 1", len(rb.texts))
	}
	if rb.titles[0] != "安全预警 · 林格社区" {
		t.Errorf("title = %q", rb.titles[0])
	}
	for _, want := range []string{"**[严重·新增] 证书过期", "张三（350582∗∗∗∗∗∗∗∗123X）", "已解决"} {
		if !strings.Contains(rb.texts[0], want) {
			t.Errorf("text lacks %q:\n%s", want, rb.texts[0])
		}
	}
	// The signature is URL-encoded in the query (base64's + / = escaped). Expected value from
	// openssl as in TestSignFixedVector, for the test clock's 1772409600000.
	if !strings.Contains(rb.rawQ[0], "timestamp=1772409600000") ||
		!strings.Contains(rb.rawQ[0], "sign=AxZeG%2FQd%2Bhsm2xtmdm5S9OKOz68eZxVvoTpk%2BLdc2Ks%3D") {
		t.Errorf("query %q does not carry the timestamp and URL-encoded signature", rb.rawQ[0])
	}
}

func TestDingtalkWrongSecretIsRejectedWithoutRetry(t *testing.T) {
	n := newNotifier(t, &robot{}, "SECwrong")
	retry, err := n.Notify(context.Background(), notifytest.Message())
	if err == nil || retry {
		t.Fatalf("got retry=%v err=%v, want a permanent error", retry, err)
	}
	if !strings.Contains(err.Error(), "310000") || strings.Contains(err.Error(), token) {
		t.Errorf("error %q should carry the errcode and not the token", err)
	}
}

func TestDingtalkRateLimitIsRetried(t *testing.T) {
	n := newNotifier(t, &robot{answer: `{"errcode":130101,"errmsg":"send too fast"}`}, secret)
	if retry, err := n.Notify(context.Background(), notifytest.Message()); err == nil || !retry {
		t.Fatalf("got retry=%v err=%v, want a retryable error", retry, err)
	}
}

func TestDingtalkWithoutSecretSendsNoSignature(t *testing.T) {
	var rawQ string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rawQ = r.URL.RawQuery
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	defer srv.Close()
	n, err := New(config.Channel{Type: "dingtalk", URL: config.Secret(srv.URL + "/robot/send?access_token=" + token)}, notify.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), notifytest.Message()); err != nil {
		t.Fatal(err)
	}
	if rawQ != "access_token="+token {
		t.Errorf("query = %q, want only the access token", rawQ)
	}
}

// A roster name that is a markdown link and a mention reaches the group as text (issue 16); so
// does the community in the title the chat list previews.
func TestDingtalkValuesAreNoMarkup(t *testing.T) {
	rb := &robot{}
	n := newNotifier(t, rb, secret)
	if _, err := n.Notify(context.Background(), notifytest.Hostile()); err != nil {
		t.Fatal(err)
	}
	c := strings.Join(append(rb.titles, rb.texts...), "\n")
	for _, bad := range []string{"](", "<@", "@all", "@所有人", "<font", "http://", "https://", "**晋江**", "\n# ", "\n> "} {
		if strings.Contains(c, bad) {
			t.Errorf("message holds %q:\n%s", bad, c)
		}
	}
	if !strings.Contains(c, "点击核实证书") || !strings.Contains(c, "**[严重·新增]") {
		t.Errorf("the message lost its own text or markup:\n%s", c)
	}
}

package feishu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/notifytest"
	"streetsync/internal/config"
)

const (
	secret   = "feishu-secret-xyz"
	hookPath = "/open-apis/bot/v2/hook/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
)

// TestSignFixedVector: the expected value was computed outside Go, following Feishu's published
// algorithm (key = timestamp + "\n" + secret, message empty), with
//
//	printf '' | openssl dgst -sha256 -mac HMAC -macopt key:"$(printf '%s\n%s' 1772382600 feishu-secret-xyz)" -binary | base64
//
// and cross-checked with Python's hmac.
func TestSignFixedVector(t *testing.T) {
	const want = "k8WjLWYWG7xr/ck9phGOwoiGVkosoalMywphwTiJDAA="
	if got := Sign(secret, 1772382600); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

type post struct {
	Timestamp string `json:"timestamp"`
	Sign      string `json:"sign"`
	MsgType   string `json:"msg_type"`
	Content   struct {
		Post struct {
			ZhCN struct {
				Title   string `json:"title"`
				Content [][]struct {
					Tag  string `json:"tag"`
					Text string `json:"text"`
				} `json:"content"`
			} `json:"zh_cn"`
		} `json:"post"`
	} `json:"content"`
}

// verify is the bot's check, written independently of Sign.
func verify(p *post, now time.Time) bool {
	sec, err := strconv.ParseInt(p.Timestamp, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > time.Hour {
		return false
	}
	mac := hmac.New(sha256.New, []byte(p.Timestamp+"\n"+secret))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(p.Sign), []byte(want))
}

type bot struct {
	posts  []post
	answer string
}

func (b *bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != hookPath {
		http.Error(w, "no such hook", http.StatusNotFound)
		return
	}
	var p post
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		_, _ = w.Write([]byte(`{"code":9499,"msg":"Bad Request"}`))
		return
	}
	if !verify(&p, notifytest.Now) {
		_, _ = w.Write([]byte(`{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`))
		return
	}
	b.posts = append(b.posts, p)
	answer := b.answer
	if answer == "" {
		answer = `{"code":0,"msg":"success","data":{}}`
	}
	_, _ = w.Write([]byte(answer))
}

func newNotifier(t *testing.T, b *bot, sec string) *Notifier {
	t.Helper()
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	n, err := New(config.Channel{Type: "feishu", URL: config.Secret(srv.URL + hookPath), Secret: config.Secret(sec)},
		notify.WithHTTPClient(srv.Client()), notify.WithClock(notifytest.Clock{}))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFeishuSignsTheBodyAndSendsAPost(t *testing.T) {
	b := &bot{}
	n := newNotifier(t, b, secret)
	if retry, err := n.Notify(context.Background(), notifytest.Message()); err != nil || retry {
		t.Fatalf("Notify = %v, %v; want success", retry, err)
	}
	if len(b.posts) != 1 {
		t.Fatalf("got %d posts, want 1", len(b.posts))
	}
	p := b.posts[0]
	if p.MsgType != "post" || p.Timestamp != "1772409600" {
		t.Errorf("msg_type %q timestamp %q, want post 1772409600", p.MsgType, p.Timestamp)
	}
	if p.Content.Post.ZhCN.Title != "安全预警 · 林格社区" {
		t.Errorf("title = %q", p.Content.Post.ZhCN.Title)
	}
	var lines []string
	for _, para := range p.Content.Post.ZhCN.Content {
		for _, tag := range para {
			if tag.Tag != "text" {
				t.Errorf("tag %q, want text", tag.Tag)
			}
			lines = append(lines, tag.Text)
		}
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"[严重·新增] 证书过期", "人员：张三（350582********123X）", "[提醒·已解决]"} {
		if !strings.Contains(text, want) {
			t.Errorf("post lacks %q:\n%s", want, text)
		}
	}
}

func TestFeishuCodeIsTheRealStatus(t *testing.T) {
	for _, tc := range []struct {
		name      string
		secret    string
		answer    string
		wantRetry bool
	}{
		{"wrong secret", "not-the-secret", "", false},
		{"too many requests", secret, `{"code":9499,"msg":"too many request"}`, true},
		{"old answer form", secret, `{"StatusCode":19001,"StatusMessage":"param invalid"}`, false},
	} {
		n := newNotifier(t, &bot{answer: tc.answer}, tc.secret)
		retry, err := n.Notify(context.Background(), notifytest.Message())
		if err == nil || retry != tc.wantRetry {
			t.Errorf("%s: got retry=%v err=%v, want retry=%v and an error", tc.name, retry, err, tc.wantRetry)
		}
		if err != nil && strings.Contains(err.Error(), "0f1e2d3c") {
			t.Errorf("%s: error %q carries the hook token", tc.name, err)
		}
	}
}

func TestFeishuSplitsLongMessages(t *testing.T) {
	b := &bot{}
	n := newNotifier(t, b, secret)
	if _, err := n.Notify(context.Background(), notifytest.Big(200)); err != nil {
		t.Fatal(err)
	}
	if len(b.posts) < 2 {
		t.Fatalf("got %d posts for 200 alerts, want several", len(b.posts))
	}
	total := 0
	for _, p := range b.posts {
		body, _ := json.Marshal(p)
		if len(body) > 20<<10 {
			t.Errorf("post of %d bytes, want ≤ 20 KB", len(body))
		}
		for _, para := range p.Content.Post.ZhCN.Content {
			if strings.HasPrefix(para[0].Text, "[严重·新增]") {
				total++
			}
		}
	}
	if total != 200 {
		t.Errorf("got %d alerts across the posts, want 200", total)
	}
}

// Feishu reads <at user_id="all"> as a mention of everyone and links bare URLs: values arrive
// as text (issue 16).
func TestFeishuValuesAreNoMentions(t *testing.T) {
	b := &bot{}
	n := newNotifier(t, b, secret)
	if _, err := n.Notify(context.Background(), notifytest.Hostile()); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range b.posts {
		lines = append(lines, p.Content.Post.ZhCN.Title)
		for _, para := range p.Content.Post.ZhCN.Content {
			for _, tag := range para {
				lines = append(lines, tag.Text)
			}
		}
	}
	c := strings.Join(lines, "\n")
	for _, bad := range []string{"<at", "</at>", "<@", "@all", "@所有人", "http://", "https://", "<font", "\u202e"} {
		if strings.Contains(c, bad) {
			t.Errorf("post holds %q:\n%s", bad, c)
		}
	}
	if !strings.Contains(c, "点击核实证书") {
		t.Errorf("the post lost the name's text:\n%s", c)
	}
}

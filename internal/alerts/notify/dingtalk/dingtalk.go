// Package dingtalk delivers alerts to a DingTalk (钉钉) group robot as markdown messages. With a
// signing secret configured, every request carries DingTalk's signature in the URL: timestamp in
// milliseconds and sign = urlencode(base64(HMAC-SHA256(key = secret, timestamp + "\n" + secret))).
// The robot answers HTTP 200 with the real status in the body's errcode.
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
)

// MaxTextBytes bounds one markdown message (the robot allows about 20 000 bytes; we stay well
// below so that the JSON envelope and escaping fit as well).
const MaxTextBytes = 12000

// Error codes worth retrying: -1 system busy, 130101 sending too fast (20 messages a minute).
const (
	codeBusy      = -1
	codeRateLimit = 130101
)

// Notifier posts markdown messages to one robot.
type Notifier struct {
	name   string
	url    *url.URL
	secret string
	client *http.Client
	clock  notify.Clock
	redact func(string) string
}

// New builds the notifier of a dingtalk channel: URL is the robot's webhook with its
// access_token, Secret the signing secret (SEC…) or empty when the robot checks keywords only.
func New(ch config.Channel, opts ...notify.Option) (*Notifier, error) {
	if ch.URL == "" {
		return nil, errors.New("dingtalk channel needs a url")
	}
	u, err := url.Parse(ch.URL.Reveal())
	if err != nil {
		return nil, errors.New("dingtalk channel: invalid url")
	}
	o, err := notify.Apply(ch, true, opts)
	if err != nil {
		return nil, err
	}
	return &Notifier{
		name: notify.ChannelName(ch), url: u, secret: ch.Secret.Reveal(),
		client: o.HTTPClient, clock: o.Clock, redact: notify.Redactor(ch.URL.Reveal()),
	}, nil
}

// Sign returns DingTalk's signature of timestampMs (milliseconds since the epoch), before URL
// encoding: base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)).
func Sign(secret string, timestampMs int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestampMs, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type markdownMsg struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
}

type response struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// dingMarkdown: DingTalk's markdown needs a blank line (or two trailing spaces) for a line break.
var dingMarkdown = notify.Style{
	Heading:   notify.Markdown.Heading,
	Bold:      notify.Markdown.Bold,
	LineBreak: "  \n",
	BlockSep:  "\n\n",
	Value:     notify.ChatMarkdown,
}

// Notify sends msg in as many parts as its size needs, in order; it stops at the first failure.
func (n *Notifier) Notify(ctx context.Context, msg *notify.Message) (bool, error) {
	for _, part := range notify.Render(msg, dingMarkdown, MaxTextBytes) {
		var m markdownMsg
		m.MsgType = "markdown"
		m.Markdown.Title = notify.ChatText(notify.Title(msg)) // the preview in the chat list: plain text
		m.Markdown.Text = part
		if retry, err := n.send(ctx, &m); err != nil {
			return retry, err
		}
	}
	return false, nil
}

func (n *Notifier) send(ctx context.Context, m *markdownMsg) (bool, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("%s: encode message: %w", n.name, err)
	}
	u := *n.url
	if n.secret != "" {
		ts := n.clock.Now().UnixMilli()
		q := u.Query()
		q.Set("timestamp", strconv.FormatInt(ts, 10))
		q.Set("sign", Sign(n.secret, ts)) // Encode below does the URL encoding of the signature
		u.RawQuery = q.Encode()
	}
	status, resp, retry, err := notify.Post(ctx, n.client, n.name, u.String(), "application/json", body)
	if err != nil {
		return retry, err
	}
	if status != http.StatusOK {
		return notify.StatusError(n.name, status)
	}
	var r response
	if err := json.Unmarshal(resp, &r); err != nil {
		return true, fmt.Errorf("%s: undecodable response", n.name)
	}
	if r.ErrCode != 0 {
		retry := r.ErrCode == codeRateLimit || r.ErrCode == codeBusy
		return retry, fmt.Errorf("%s: errcode %d: %s", n.name, r.ErrCode, n.redact(r.ErrMsg))
	}
	return false, nil
}

// Package feishu delivers alerts to a Feishu (飞书) custom bot as rich-text (post) messages. With a
// signing secret configured, the signature travels in the BODY: timestamp in seconds and
// sign = base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = empty)). The bot answers
// HTTP 200 with the real status in the body's code.
package feishu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
)

// MaxTextBytes bounds the text of one message (the bot takes request bodies up to 20 KB).
const MaxTextBytes = 15000

// Codes worth retrying: 9499 too many requests, 11232 frequency limited.
const (
	codeTooMany   = 9499
	codeFrequency = 11232
)

// Notifier posts rich-text messages to one bot.
type Notifier struct {
	name   string
	url    string
	secret string
	client *http.Client
	clock  notify.Clock
	redact func(string) string
}

// New builds the notifier of a feishu channel: URL is the bot's webhook (…/bot/v2/hook/<token>),
// Secret its signing secret or empty.
func New(ch config.Channel, opts ...notify.Option) (*Notifier, error) {
	if ch.URL == "" {
		return nil, errors.New("feishu channel needs a url")
	}
	o, err := notify.Apply(ch, true, opts)
	if err != nil {
		return nil, err
	}
	return &Notifier{
		name: notify.ChannelName(ch), url: ch.URL.Reveal(), secret: ch.Secret.Reveal(),
		client: o.HTTPClient, clock: o.Clock, redact: notify.Redactor(ch.URL.Reveal()),
	}, nil
}

// Sign returns Feishu's signature of timestampSec (seconds since the epoch): the HMAC-SHA256 key
// is timestamp + "\n" + secret and the message is empty; the result is base64.
func Sign(secret string, timestampSec int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(timestampSec, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type textTag struct {
	Tag  string `json:"tag"`
	Text string `json:"text"`
}

type postMsg struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Content   struct {
		Post struct {
			ZhCN struct {
				Title   string      `json:"title"`
				Content [][]textTag `json:"content"`
			} `json:"zh_cn"`
		} `json:"post"`
	} `json:"content"`
}

type response struct {
	Code          int    `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    int    `json:"StatusCode"` // older bots answer in this form
	StatusMessage string `json:"StatusMessage"`
}

// Notify sends msg in as many parts as its size needs, in order; it stops at the first failure.
func (n *Notifier) Notify(ctx context.Context, msg *notify.Message) (bool, error) {
	for _, part := range notify.Render(msg, notify.ChatPlain, MaxTextBytes) {
		lines := strings.Split(part, "\n")
		var m postMsg
		m.MsgType = "post"
		m.Content.Post.ZhCN.Title = lines[0] // Render starts every part with the title
		for _, l := range lines[1:] {
			m.Content.Post.ZhCN.Content = append(m.Content.Post.ZhCN.Content, []textTag{{Tag: "text", Text: l}})
		}
		if retry, err := n.send(ctx, &m); err != nil {
			return retry, err
		}
	}
	return false, nil
}

func (n *Notifier) send(ctx context.Context, m *postMsg) (bool, error) {
	if n.secret != "" {
		ts := n.clock.Now().Unix()
		m.Timestamp = strconv.FormatInt(ts, 10)
		m.Sign = Sign(n.secret, ts)
	}
	body, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("%s: encode message: %w", n.name, err)
	}
	status, resp, retry, err := notify.Post(ctx, n.client, n.name, n.url, "application/json", body)
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
	code, text := r.Code, r.Msg
	if code == 0 && r.StatusCode != 0 {
		code, text = r.StatusCode, r.StatusMessage
	}
	if code != 0 {
		retry := code == codeTooMany || code == codeFrequency
		return retry, fmt.Errorf("%s: code %d: %s", n.name, code, n.redact(text))
	}
	return false, nil
}

// Package wecom delivers alerts to a WeCom (企业微信) group robot as markdown messages. The robot
// answers HTTP 200 with the real status in the body's errcode (like alertmanager's wechat
// integration), and a markdown message holds at most 4096 bytes of UTF-8, so a long message goes
// out in several parts.
package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
)

// MaxContentBytes is the robot's limit on markdown.content.
const MaxContentBytes = 4096

// Error codes worth retrying: -1 system busy, 45009 API frequency limit (20 messages a minute).
const (
	codeBusy      = -1
	codeRateLimit = 45009
)

// Notifier posts markdown messages to one robot webhook.
type Notifier struct {
	name   string
	url    string
	client *http.Client
	redact func(string) string
}

// New builds the notifier of a wecom channel; its URL is the robot's webhook with its key.
func New(ch config.Channel, opts ...notify.Option) (*Notifier, error) {
	if ch.URL == "" {
		return nil, errors.New("wecom channel needs a url")
	}
	o, err := notify.Apply(ch, true, opts)
	if err != nil {
		return nil, err
	}
	return &Notifier{
		name: notify.ChannelName(ch), url: ch.URL.Reveal(), client: o.HTTPClient,
		redact: notify.Redactor(ch.URL.Reveal()),
	}, nil
}

type markdownMsg struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

type response struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Notify sends msg in as many parts as its size needs, in order; it stops at the first failure.
func (n *Notifier) Notify(ctx context.Context, msg *notify.Message) (bool, error) {
	for _, part := range notify.Render(msg, notify.Markdown, MaxContentBytes) {
		var m markdownMsg
		m.MsgType = "markdown"
		m.Markdown.Content = part
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
	if r.ErrCode != 0 {
		retry := r.ErrCode == codeRateLimit || r.ErrCode == codeBusy
		return retry, fmt.Errorf("%s: errcode %d: %s", n.name, r.ErrCode, n.redact(r.ErrMsg))
	}
	return false, nil
}

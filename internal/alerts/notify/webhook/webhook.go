// Package webhook delivers alerts as the generic webhook of the operator contract: one JSON POST
// per message, `{"status", "community", "alerts": [...]}`, any 2xx answer is success.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
)

// Notifier posts messages to one webhook URL.
type Notifier struct {
	name   string
	url    string
	client *http.Client
}

// New builds the notifier of a webhook channel.
func New(ch config.Channel, opts ...notify.Option) (*Notifier, error) {
	if ch.URL == "" {
		return nil, errors.New("webhook channel needs a url")
	}
	o, err := notify.Apply(ch, true, opts)
	if err != nil {
		return nil, err
	}
	return &Notifier{name: notify.ChannelName(ch), url: ch.URL.Reveal(), client: o.HTTPClient}, nil
}

// Notify posts msg as the contract's payload.
func (n *Notifier) Notify(ctx context.Context, msg *notify.Message) (bool, error) {
	body, err := payload(msg)
	if err != nil {
		return false, fmt.Errorf("%s: encode payload: %w", n.name, err)
	}
	status, _, retry, err := notify.Post(ctx, n.client, n.name, n.url, "application/json", body)
	if err != nil {
		return retry, err
	}
	if status/100 != 2 {
		return notify.StatusError(n.name, status)
	}
	return false, nil
}

// payload is json.Marshal(msg), byte for byte, encoded an alert at a time into a buffer sized for
// the message: json.Marshal encodes the whole message into a buffer of its own that grows by
// doubling and is copied once more at the end (a city's first check sends messages of some
// eighteen thousand alerts, 15 MB each).
func payload(msg *notify.Message) ([]byte, error) {
	var one bytes.Buffer
	enc := json.NewEncoder(&one)
	encode := func(v any) ([]byte, error) {
		one.Reset()
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(one.Bytes(), []byte("\n")), nil
	}
	head, err := encode(struct {
		Status    string `json:"status"`
		Community string `json:"community"`
	}{msg.Status, msg.Community})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(head)+16+len(msg.Alerts)*1024)
	out = append(out, head[:len(head)-1]...) // without its closing brace
	out = append(out, `,"alerts":`...)
	if msg.Alerts == nil {
		out = append(out, "null"...)
	} else {
		out = append(out, '[')
		for i := range msg.Alerts {
			if i > 0 {
				out = append(out, ',')
			}
			b, err := encode(&msg.Alerts[i])
			if err != nil {
				return nil, err
			}
			out = append(out, b...)
		}
		out = append(out, ']')
	}
	return append(out, '}'), nil
}

// Package webhook delivers alerts as the generic webhook of the operator contract: one JSON POST
// per message, `{"status", "community", "alerts": [...]}`, any 2xx answer is success.
package webhook

import (
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
	body, err := json.Marshal(msg)
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

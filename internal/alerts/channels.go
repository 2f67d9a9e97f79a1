package alerts

import (
	"fmt"
	"slices"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/dingtalk"
	"streetsync/internal/alerts/notify/email"
	"streetsync/internal/alerts/notify/feishu"
	logchannel "streetsync/internal/alerts/notify/log"
	"streetsync/internal/alerts/notify/webhook"
	"streetsync/internal/alerts/notify/wecom"
	"streetsync/internal/config"
	"streetsync/mapping"
)

// Channel is one alert destination with its routing.
type Channel struct {
	// Name identifies the channel in the alert state (delivery stamps) and in logs: the
	// configured name, else its type (type-2, type-3 … for further unnamed ones of a type).
	// Renaming a channel makes its alerts new to it.
	Name        string
	Type        string
	Communities []string // the communities it serves; empty: all
	Escalations bool     // it also receives every escalated alert
	Notifier    notify.Notifier
}

// covers reports whether the channel serves the community.
func (ch *Channel) covers(community string) bool {
	return len(ch.Communities) == 0 || slices.Contains(ch.Communities, community)
}

// BuildChannels builds the channels of the configuration (alerts.channels), in their order. opts
// reach every notifier (the logger for the log channel; tests pass an HTTP client and a clock).
func BuildChannels(cfgs []config.Channel, opts ...notify.Option) ([]Channel, error) {
	var out []Channel
	used := map[string]bool{}
	perType := map[string]int{}
	for i, c := range cfgs {
		name := c.Name
		if name == "" {
			perType[c.Type]++
			name = c.Type
			if n := perType[c.Type]; n > 1 {
				name = fmt.Sprintf("%s-%d", c.Type, n)
			}
		}
		if used[name] {
			return nil, fmt.Errorf("alerts.channels[%d]: channel name %q used twice", i, name)
		}
		used[name] = true
		c.Name = name
		var (
			n   notify.Notifier
			err error
		)
		switch c.Type {
		case "webhook":
			n, err = webhook.New(c, opts...)
		case "wecom":
			n, err = wecom.New(c, opts...)
		case "dingtalk":
			n, err = dingtalk.New(c, opts...)
		case "feishu":
			n, err = feishu.New(c, opts...)
		case "email":
			n, err = email.New(c, opts...)
		case "log":
			n, err = logchannel.New(c, opts...)
		default:
			err = fmt.Errorf("unknown channel type %q", c.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("alerts.channels[%d] (%s): %w", i, name, err)
		}
		comms := make([]string, len(c.Communities))
		for j, cm := range c.Communities {
			comms[j] = mapping.NormalizeCommunity(cm)
		}
		out = append(out, Channel{Name: name, Type: c.Type, Communities: comms, Escalations: c.Escalations, Notifier: n})
	}
	return out, nil
}

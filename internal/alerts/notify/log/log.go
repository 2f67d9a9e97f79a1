// Package log delivers alerts to the program's own log (zap): one line per alert, with the
// message's community and status. Useful as a channel of last resort and in the demo.
package log

import (
	"context"

	"go.uber.org/zap"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
)

// Notifier writes alerts to a logger.
type Notifier struct {
	log *zap.Logger
}

// New builds the notifier of a log channel; it writes to the logger given WithLogger.
func New(ch config.Channel, opts ...notify.Option) (*Notifier, error) {
	o, err := notify.Apply(ch, false, opts)
	if err != nil {
		return nil, err
	}
	return &Notifier{log: o.Logger.Named(notify.ChannelName(ch))}, nil
}

// Notify logs every alert of msg; it never fails.
func (n *Notifier) Notify(_ context.Context, msg *notify.Message) (bool, error) {
	for i := range msg.Alerts {
		a := &msg.Alerts[i]
		fields := []zap.Field{
			zap.String("community", msg.Community),
			zap.String("key", a.Key),
			zap.String("rule", a.Rule),
			zap.String("severity", a.Severity),
			zap.String("status", a.Status),
			zap.String("notice", a.Notice),
			zap.String("uscc", a.Enterprise.USCC),
			zap.String("enterprise", a.Enterprise.Name),
			zap.Time("since", a.Since),
		}
		if a.Operator != nil {
			fields = append(fields, zap.String("idNumber", a.Operator.IDNumber)) // already masked
		}
		if a.Item != nil {
			fields = append(fields, zap.String("item", a.Item.Code))
		}
		if a.Hazard != nil {
			fields = append(fields, zap.String("hazard", a.Hazard.ID))
		}
		n.log.Info(a.Message, fields...)
	}
	return false, nil
}

// Package notify is what every alert channel has in common: the Message a channel delivers (one
// community's alerts, already masked), the Notifier interface each channel package implements,
// the HTTP client with the project's TLS rules, the Chinese text layout the robots and e-mail
// share, and the escaping that keeps every value in a robot's message text, never a link or a
// mention (inert.go). The channels themselves live in one small package each (webhook, wecom, dingtalk,
// feishu, email, log), in the manner of prometheus/alertmanager's notify/*.
//
// Nothing here knows about rules or Redis: package alerts decides what to send, notify and its
// sub-packages only say it.
package notify

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/config"
	"streetsync/mapping"
)

// Notifier delivers one message to one channel. retry reports whether the failure is transient
// (network error, 5xx, rate limit) so that the delivery is worth queueing again; it is false on
// success and on permanent failures (bad key, bad payload). Errors name the channel, never its
// URL: robot URLs carry their key.
type Notifier interface {
	Notify(ctx context.Context, msg *Message) (retry bool, err error)
}

// Alert statuses.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Severities.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
)

// Notices say why an alert is in this message (the robots' text labels it; webhook consumers may
// use it too).
const (
	NoticeNew        = "new"        // it started firing
	NoticeChanged    = "changed"    // still firing, but its certificate state changed
	NoticeRepeat     = "repeat"     // still firing after the repeat interval
	NoticeEscalation = "escalation" // critical and unresolved past alerts.escalateAfter
	NoticeResolved   = "resolved"   // it stopped firing
)

// Message is one community's alerts for one channel, in the generic webhook's shape: the
// top-level status is firing when any alert in it fires, else resolved.
type Message struct {
	Status    string  `json:"status"`
	Community string  `json:"community"`
	Alerts    []Alert `json:"alerts"`
}

// NewMessage builds a message and sets its status from its alerts.
func NewMessage(community string, alerts []Alert) *Message {
	m := &Message{Status: StatusResolved, Community: community, Alerts: alerts}
	for i := range alerts {
		if alerts[i].Status == StatusFiring {
			m.Status = StatusFiring
			break
		}
	}
	return m
}

// Alert is one alert as every output shows it: the generic webhook's alert object, also the
// elements of `alerts check --format json`. ID numbers in it are masked, and so is every
// certificate number that contains one. Operator, Item and Certificate are null where they do not
// apply (no certificate at all; a risk-alarm, hazard or system alert has no operator); a hazard
// alert carries Hazard in their place (contracts/hazards.md).
type Alert struct {
	Key          string       `json:"key"` // public key: a hash of (rule, ID number, enterprise, item)
	Rule         string       `json:"rule"`
	RuleName     string       `json:"ruleName"` // the rule in Chinese, e.g. 逾期未复审
	Severity     string       `json:"severity"`
	Status       string       `json:"status"`
	Community    string       `json:"community"`
	Enterprise   Enterprise   `json:"enterprise"`
	Operator     *Operator    `json:"operator"`
	Item         *Item        `json:"item"`
	Certificate  *Certificate `json:"certificate"`
	Alarm        *Alarm       `json:"alarm,omitempty"`
	Hazard       *Hazard      `json:"hazard,omitempty"`
	System       *System      `json:"system,omitempty"`
	Since        time.Time    `json:"since"` // when it started firing, in schedule.timezone
	Message      string       `json:"message"`
	Notice       string       `json:"notice,omitempty"`
	Escalated    bool         `json:"escalated,omitempty"`
	Acknowledged *Ack         `json:"acknowledged,omitempty"`
}

// Enterprise names the enterprise of the alert.
type Enterprise struct {
	USCC string `json:"uscc"`
	Name string `json:"name"`
}

// Operator is the person on the roster; IDNumber is masked.
type Operator struct {
	Name     string `json:"name"`
	IDNumber string `json:"idNumber"`
}

// Item is the operation item on the roster.
type Item struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Certificate is the certificate that decided the alert; CertNo is masked.
type Certificate struct {
	CertNo        string             `json:"certNo"`
	Status        mapping.CertStatus `json:"status"`
	ValidUntil    mapping.Date       `json:"validUntil"`
	ReviewDueDate mapping.Date       `json:"reviewDueDate"`
}

// Alarm is the risk-monitoring alarm behind an ALARM_UNHANDLED alert.
type Alarm struct {
	ID        string    `json:"id"`
	Point     string    `json:"point"`    // 监测点
	Quantity  string    `json:"quantity"` // 监测项目
	Value     string    `json:"value"`
	Threshold string    `json:"threshold"`
	Unit      string    `json:"unit"`
	Level     int       `json:"level"`
	RaisedAt  time.Time `json:"raisedAt"`
}

// Hazard is the hazard behind MAJOR_HAZARD_OPEN, HAZARD_OVERDUE and HAZARD_DUE_SOON. Level and
// Status are in Chinese, as `hazards list --format json` writes them.
type Hazard struct {
	ID       string       `json:"id"`       // the street's identity: its 隐患编号 (lybh) when the street reported it, else yhid
	YHID     string       `json:"yhid"`     // the platform's id; "" until pushed
	Level    string       `json:"level"`    // 一般 or 重大
	Clause   string       `json:"clause"`   // 判定依据 (3-2); "" for a general hazard
	Deadline mapping.Date `json:"deadline"` // 整改期限
	Status   string       `json:"status"`   // 待整改, 整改中, 已整改, 已销号
}

// System is what a system alert (DATA_STALE, PLATFORM_DOWN) is about: the data of a family of
// rules, or a platform.
type System struct {
	Subject      string     `json:"subject"` // the family (certificate, alarm) or the platform (quanzhou, specialops)
	Name         string     `json:"name"`    // the subject in Chinese
	LastSuccess  *time.Time `json:"lastSuccess,omitempty"`
	FailingSince *time.Time `json:"failingSince,omitempty"`
	LastError    string     `json:"lastError,omitempty"`
}

// Ack is a community worker's acknowledgement (已督促) of a firing alert.
type Ack struct {
	By   string    `json:"by"`
	Note string    `json:"note"`
	At   time.Time `json:"at"`
}

// Clock tells the time (signatures' timestamps, mail dates); tests inject a fixed one.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Options are what the wiring may give a channel constructor besides its config.
type Options struct {
	HTTPClient *http.Client
	Clock      Clock
	Logger     *zap.Logger
	Timeout    time.Duration
}

// Option sets one of Options.
type Option func(*Options)

// WithHTTPClient makes an HTTP channel use c (tests: an httptest server's client).
func WithHTTPClient(c *http.Client) Option { return func(o *Options) { o.HTTPClient = c } }

// WithClock sets the clock.
func WithClock(c Clock) Option { return func(o *Options) { o.Clock = c } }

// WithLogger sets the logger (the log channel writes to it).
func WithLogger(l *zap.Logger) Option { return func(o *Options) { o.Logger = l } }

// Apply resolves the options of a channel: defaults first, then opts; an HTTP client is built
// from ch.CAFile when none is given.
func Apply(ch config.Channel, needsHTTP bool, opts []Option) (Options, error) {
	o := Options{Clock: systemClock{}, Logger: zap.NewNop(), Timeout: 15 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if needsHTTP && o.HTTPClient == nil {
		c, err := NewHTTPClient(ch.CAFile, o.Timeout)
		if err != nil {
			return o, err
		}
		o.HTTPClient = c
	}
	return o, nil
}

// ChannelName is the name a channel's errors and logs use: its configured name, else its type.
func ChannelName(ch config.Channel) string {
	if ch.Name != "" {
		return ch.Name
	}
	return ch.Type
}

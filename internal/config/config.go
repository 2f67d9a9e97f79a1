// Package config is streetsync's configuration: the schema of the YAML file described in the
// operator contract, its defaults (in one place, Default), `${ENV}` expansion, strict decoding that
// names unknown keys with their line, and validation that reports every problem at once.
//
// Secrets (app secrets, client secrets, passwords, tokens, webhook URLs) have the Secret type,
// which never prints its value; Config.Secrets lists them for the log redaction layer.
package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"streetsync/mapping"
)

// Config is the whole configuration file.
type Config struct {
	Region      Region      `yaml:"region" json:"region"`
	Redis       Redis       `yaml:"redis" json:"redis"`
	Ledger      Ledger      `yaml:"ledger" json:"ledger"`
	Quanzhou    Quanzhou    `yaml:"quanzhou" json:"quanzhou"`
	SpecialOps  SpecialOps  `yaml:"specialOps" json:"specialOps"`
	Schedule    Schedule    `yaml:"schedule" json:"schedule"`
	Retry       Retry       `yaml:"retry" json:"retry"`
	Catalog     Catalog     `yaml:"catalog" json:"catalog"`
	Alerts      Alerts      `yaml:"alerts" json:"alerts"`
	Hazards     Hazards     `yaml:"hazards" json:"hazards"`
	Inspections Inspections `yaml:"inspections" json:"inspections"`
	Drills      Drills      `yaml:"drills" json:"drills"`
	Console     Console     `yaml:"console" json:"console"`
	Log         Log         `yaml:"log" json:"log"`
	Operator    Operator    `yaml:"operator" json:"operator"`

	lines map[string]int // each key's line in the file it was loaded from, for Warnings
}

// Region is the street this installation serves.
type Region struct {
	Code string `yaml:"code" json:"code"` // 行政区划代码, 9 digits
	Name string `yaml:"name" json:"name"`
	// Communities are the street's 社区: a workbook row naming another is imported with a
	// warning that lists these. An explicit empty list turns the check off.
	Communities []string `yaml:"communities" json:"communities"`
}

// communities are 灵源街道's 社区, the default of region.communities. (mocks/dataset generates
// the same names; config does not import mocks.)
var communities = []string{
	"林口社区", "张前社区", "林格社区", "英塘社区", "曾林社区", "灵水社区", "西亭社区", "许坑社区", "洪溪社区",
}

// Redis locates the Redis that holds the retry queue, cursors, locks and alert state.
type Redis struct {
	// Addr is host:port of a single server; "" starts an embedded in-memory Redis (demo only).
	Addr string `yaml:"addr" json:"addr"`
	// Addrs lists cluster nodes or Sentinel addresses; with MasterName set they are Sentinels.
	Addrs      []string `yaml:"addrs" json:"addrs,omitempty"`
	MasterName string   `yaml:"masterName" json:"masterName,omitempty"`
	Username   string   `yaml:"username" json:"username,omitempty"`
	Password   Secret   `yaml:"password" json:"password"`
	DB         int      `yaml:"db" json:"db"`
	Prefix     string   `yaml:"prefix" json:"prefix"`
}

// Embedded reports whether the configuration asks for the in-memory Redis.
func (r Redis) Embedded() bool { return r.Addr == "" && len(r.Addrs) == 0 }

// Ledger locates the street's ledger database.
type Ledger struct {
	Driver string `yaml:"driver" json:"driver"` // sqlite | postgres
	DSN    Secret `yaml:"dsn" json:"dsn"`       // a PostgreSQL DSN may carry a password
}

// Quanzhou is the Quanzhou platform's open API.
type Quanzhou struct {
	BaseURL   string   `yaml:"baseURL" json:"baseURL"`
	AppKey    string   `yaml:"appKey" json:"appKey"`
	AppSecret Secret   `yaml:"appSecret" json:"appSecret"`
	RateLimit float64  `yaml:"rateLimit" json:"rateLimit"`
	Burst     int      `yaml:"burst" json:"burst"`
	Timeout   Duration `yaml:"timeout" json:"timeout"`
	CAFile    string   `yaml:"caFile" json:"caFile,omitempty"`
}

// SpecialOps is the provincial special-operations system's data-sharing API.
type SpecialOps struct {
	BaseURL      string   `yaml:"baseURL" json:"baseURL"`
	ClientID     string   `yaml:"clientID" json:"clientID"`
	ClientSecret Secret   `yaml:"clientSecret" json:"clientSecret"`
	RateLimit    float64  `yaml:"rateLimit" json:"rateLimit"`
	Burst        int      `yaml:"burst" json:"burst"`
	Timeout      Duration `yaml:"timeout" json:"timeout"`
	CAFile       string   `yaml:"caFile" json:"caFile,omitempty"`
	// MaxRegistrationsPerRun caps the employment registrations (PUTs) one run of the employments
	// job sends (0: no cap). A city's first load is some 435 000 of them, 12 hours at 10/s: with
	// a cap it is spread over nights, each run going on from where the last stopped.
	MaxRegistrationsPerRun int `yaml:"maxRegistrationsPerRun" json:"maxRegistrationsPerRun"`
}

// Schedule holds the cron specs (with a seconds field) of the daemon's jobs, and the lease of a
// job's running lock.
type Schedule struct {
	Timezone     string `yaml:"timezone" json:"timezone"`
	Enterprises  string `yaml:"enterprises" json:"enterprises"`
	Certificates string `yaml:"certificates" json:"certificates"`
	Alarms       string `yaml:"alarms" json:"alarms"`
	Hazards      string `yaml:"hazards" json:"hazards"`
	Inspections  string `yaml:"inspections" json:"inspections"`
	Employments  string `yaml:"employments" json:"employments"`
	Alerts       string `yaml:"alerts" json:"alerts"`
	// LockTTL is how long a job's running lock outlives its holder's last renewal (renewed
	// every third of it): how long a run on another host waits after its holder died.
	LockTTL Duration `yaml:"lockTTL" json:"lockTTL"`
}

// Lock leases streetsync accepts: short enough that a dead holder elsewhere is not waited for
// long, long enough that a busy holder renews in time.
const (
	MinLockTTL = time.Second
	MaxLockTTL = time.Hour
)

// Jobs returns the job names and their specs in a fixed order.
func (s Schedule) Jobs() []JobSpec {
	return []JobSpec{
		{"enterprises", s.Enterprises},
		{"certificates", s.Certificates},
		{"alarms", s.Alarms},
		{"hazards", s.Hazards},
		{"inspections", s.Inspections},
		{"employments", s.Employments},
		{"alerts", s.Alerts},
	}
}

// JobSpec is one scheduled job.
type JobSpec struct {
	Name string
	Spec string
}

// Location loads the schedule's time zone; Validate has already checked it.
func (s Schedule) Location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Retry is the retry queue's policy.
type Retry struct {
	MaxAttempts  int      `yaml:"maxAttempts" json:"maxAttempts"`
	BaseDelay    Duration `yaml:"baseDelay" json:"baseDelay"`
	MaxDelay     Duration `yaml:"maxDelay" json:"maxDelay"`
	Deadline     Duration `yaml:"deadline" json:"deadline"`           // an item older than this goes to dead letters
	DeadTTL      Duration `yaml:"deadRetention" json:"deadRetention"` // how long dead items are kept
	Lease        Duration `yaml:"lease" json:"lease"`                 // how long a claim lasts without renewal
	Workers      int      `yaml:"workers" json:"workers"`             // concurrent items per job kind
	UnknownLimit int      `yaml:"unknownAttempts" json:"unknownAttempts"`
}

// Catalog extends the built-in special-operations catalog.
type Catalog struct {
	Items []CatalogItem `yaml:"items" json:"items,omitempty"`
}

// CatalogItem adds or renames one operation item.
type CatalogItem struct {
	Code         string   `yaml:"code" json:"code"`
	Category     string   `yaml:"category" json:"category"`
	CategoryName string   `yaml:"categoryName" json:"categoryName,omitempty"`
	Name         string   `yaml:"name" json:"name"`
	Aliases      []string `yaml:"aliases" json:"aliases,omitempty"`
}

// Alerts configures certificate alerts and their delivery.
type Alerts struct {
	ExpiringWithinDays int       `yaml:"expiringWithinDays" json:"expiringWithinDays"`
	RepeatInterval     Duration  `yaml:"repeatInterval" json:"repeatInterval"`
	EscalateAfter      Duration  `yaml:"escalateAfter" json:"escalateAfter"`
	AlarmUnhandled     Duration  `yaml:"alarmUnhandledAfter" json:"alarmUnhandledAfter"` // level 1–2 risk alarms unhandled this long alert too
	MaxDataAge         Duration  `yaml:"maxDataAge" json:"maxDataAge"`                   // rules whose data is older are skipped (DATA_STALE)
	PlatformDownAfter  Duration  `yaml:"platformDownAfter" json:"platformDownAfter"`     // a platform failing this long raises PLATFORM_DOWN
	Channels           []Channel `yaml:"channels" json:"channels"`
}

// Hazards configures the hazard ledger (contracts/hazards.md).
type Hazards struct {
	// Clauses add to or rename the built-in judgement clauses (判定依据) of major hazards.
	Clauses []Clause `yaml:"clauses" json:"clauses,omitempty"`
	// DefaultDeadlineDays is the rectification deadline of `hazards from-alert` without
	// --deadline, in days after today.
	DefaultDeadlineDays int `yaml:"defaultDeadlineDays" json:"defaultDeadlineDays"`
	// DueWithinDays is HAZARD_DUE_SOON's window.
	DueWithinDays int `yaml:"dueWithinDays" json:"dueWithinDays"`
}

// Clause adds or renames one judgement clause: code 条-项 (11-3), name the clause's text.
type Clause struct {
	Code string `yaml:"code" json:"code"`
	Name string `yaml:"name" json:"name"`
}

// Inspections configures QUARTERLY_CHECK_MISSING.
type Inspections struct {
	// WarnDaysBeforeQuarterEnd: the rule fires once this many days or fewer remain in the quarter.
	WarnDaysBeforeQuarterEnd int `yaml:"warnDaysBeforeQuarterEnd" json:"warnDaysBeforeQuarterEnd"`
}

// Drills configures DRILL_OVERDUE.
type Drills struct {
	// LaborIntensiveEmployees: an enterprise with this many employees or more drills half-yearly.
	LaborIntensiveEmployees int `yaml:"laborIntensiveEmployees" json:"laborIntensiveEmployees"`
	// TrackSince is the day (yyyy-MM-dd) the street began keeping drill records; "" turns the
	// rule off.
	TrackSince string `yaml:"trackSince" json:"trackSince"`
}

// Channel is one alert destination.
type Channel struct {
	Type        string   `yaml:"type" json:"type"` // webhook | wecom | dingtalk | feishu | email | log
	Name        string   `yaml:"name" json:"name,omitempty"`
	URL         Secret   `yaml:"url" json:"url,omitempty"`       // robots' URLs carry their key
	Secret      Secret   `yaml:"secret" json:"secret,omitempty"` // DingTalk / Feishu signing secret
	Communities []string `yaml:"communities" json:"communities"`
	Escalations bool     `yaml:"escalations" json:"escalations"`
	CAFile      string   `yaml:"caFile" json:"caFile,omitempty"`

	// email only
	SMTPHost string   `yaml:"smtpHost" json:"smtpHost,omitempty"`
	SMTPPort int      `yaml:"smtpPort" json:"smtpPort,omitempty"`
	Username string   `yaml:"username" json:"username,omitempty"`
	Password Secret   `yaml:"password" json:"password,omitempty"`
	From     string   `yaml:"from" json:"from,omitempty"`
	To       []string `yaml:"to" json:"to,omitempty"`
}

// ChannelTypes are the supported channel types and what their configuration needs (a new
// channel: its package, one case in internal/alerts/channels.go, one entry here).
var ChannelTypes = []ChannelType{
	{Name: "webhook", NeedsURL: true},
	{Name: "wecom", NeedsURL: true},
	{Name: "dingtalk", NeedsURL: true},
	{Name: "feishu", NeedsURL: true},
	{Name: "email", NeedsSMTP: true},
	{Name: "log"},
}

// ChannelType is a supported channel type: its name (Channel.Type) and the keys it needs.
type ChannelType struct {
	Name      string
	NeedsURL  bool // url: an http(s) endpoint, a robot's or a webhook's
	NeedsSMTP bool // smtpHost, smtpPort, from, to
}

// channelType returns the supported type named name.
func channelType(name string) (ChannelType, bool) {
	for _, t := range ChannelTypes {
		if t.Name == name {
			return t, true
		}
	}
	return ChannelType{}, false
}

// channelTypeNames lists the supported types for a message: webhook、wecom、…
func channelTypeNames() string {
	names := make([]string, len(ChannelTypes))
	for i, t := range ChannelTypes {
		names[i] = t.Name
	}
	return strings.Join(names, "、")
}

// Console is the operator API and web console.
type Console struct {
	Listen string `yaml:"listen" json:"listen"`
	Token  Secret `yaml:"token" json:"token"`
	// TrustedProxies are the reverse proxies (IP addresses or CIDR networks) whose
	// X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host headers the console believes.
	TrustedProxies []string `yaml:"trustedProxies" json:"trustedProxies"`
	// MetricsPublic serves /metrics to anyone who reaches console.listen; by default it needs
	// the token, like the API: its series name alert channels and communities.
	MetricsPublic bool `yaml:"metricsPublic" json:"metricsPublic"`
}

// Proxies parses TrustedProxies; entries that do not parse are left out (validation names them).
func (c Console) Proxies() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range c.TrustedProxies {
		if pre, ok := parseProxy(p); ok {
			out = append(out, pre)
		}
	}
	return out
}

// parseProxy reads an IP address (a one-address network) or a CIDR network.
func parseProxy(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if pre, err := netip.ParsePrefix(s); err == nil {
		return pre.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// Log configures logging; the --log-format and --log-level flags override it.
type Log struct {
	Level  string `yaml:"level" json:"level"`   // debug | info | warn | error
	Format string `yaml:"format" json:"format"` // auto | console | json
}

// Operator is the person at this installation's command line: `alerts ack` and `alerts silence`
// record them as who did it (--by overrides), never the login name of a shared office account.
type Operator struct {
	Name string `yaml:"name" json:"name"`
}

// Default returns the configuration with every optional key at its default. Load decodes the file
// over it, so a key absent from the file keeps its default while `addr: ""` really means "".
func Default() Config {
	return Config{
		Region: Region{Code: "350582006", Name: "灵源街道", Communities: slices.Clone(communities)},
		Redis:  Redis{Addr: "127.0.0.1:6379", Prefix: "streetsync:"},
		Ledger: Ledger{Driver: "sqlite", DSN: "data/ledger.db"},
		Quanzhou: Quanzhou{
			RateLimit: 20, Burst: 20, Timeout: Duration(30 * time.Second),
		},
		SpecialOps: SpecialOps{
			RateLimit: 10, Burst: 5, Timeout: Duration(30 * time.Second),
		},
		Schedule: Schedule{
			Timezone:     "Asia/Shanghai",
			Enterprises:  "0 30 1 * * *",
			Certificates: "0 0 2 * * *",
			Alarms:       "0 */5 * * * *",
			Hazards:      "0 */30 * * * *",
			Inspections:  "0 0 3 * * *",
			Employments:  "0 30 2 * * *",
			Alerts:       "0 0 8 * * *",
			LockTTL:      Duration(30 * time.Second),
		},
		Retry: Retry{
			MaxAttempts:  12,
			BaseDelay:    Duration(30 * time.Second),
			MaxDelay:     Duration(6 * time.Hour),
			Deadline:     Duration(7 * 24 * time.Hour),
			DeadTTL:      Duration(30 * 24 * time.Hour),
			Lease:        Duration(60 * time.Second),
			Workers:      4,
			UnknownLimit: 3,
		},
		Alerts: Alerts{
			ExpiringWithinDays: 60,
			RepeatInterval:     Duration(168 * time.Hour),
			EscalateAfter:      Duration(72 * time.Hour),
			AlarmUnhandled:     Duration(2 * time.Hour),
			MaxDataAge:         Duration(26 * time.Hour),
			PlatformDownAfter:  Duration(2 * time.Hour),
		},
		Hazards:     Hazards{DefaultDeadlineDays: 7, DueWithinDays: 7},
		Inspections: Inspections{WarnDaysBeforeQuarterEnd: 15},
		Drills:      Drills{LaborIntensiveEmployees: 100},
		Console:     Console{Listen: "127.0.0.1:8080"},
		Log:         Log{Level: "info", Format: "auto"},
	}
}

// Secrets lists every secret value of the configuration (non-empty), including the pieces a log
// line may carry on its own: a DSN's password, a webhook URL's query values.
func (c *Config) Secrets() []string {
	var out []string
	add := func(s Secret) {
		if len(s) >= 4 { // shorter values would redact ordinary text; config check rejects them anyway
			out = append(out, string(s))
		}
	}
	add(c.Redis.Password)
	// A password may also sit in an address or a base URL (user:password@host).
	for _, a := range append([]string{c.Redis.Addr, c.Quanzhou.BaseURL, c.SpecialOps.BaseURL}, c.Redis.Addrs...) {
		add(Secret(userinfoSecret(a)))
	}
	add(c.Quanzhou.AppSecret)
	add(c.SpecialOps.ClientSecret)
	add(c.Console.Token)
	addURL := func(raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		if p, ok := u.User.Password(); ok {
			add(Secret(p))
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(Secret(v))
			}
		}
		// Robot URLs often carry the key in the path (Feishu: /hook/<token>).
		if segs := strings.Split(u.Path, "/"); len(segs) > 0 {
			if last := segs[len(segs)-1]; len(last) >= 16 {
				add(Secret(last))
			}
		}
	}
	if c.Ledger.DSN != "" {
		dsn := string(c.Ledger.DSN)
		if c.Ledger.Driver == "postgres" {
			add(c.Ledger.DSN)
			addURL(dsn)
			for _, kv := range strings.Fields(dsn) { // key=value form
				if k, v, ok := strings.Cut(kv, "="); ok && k == "password" {
					add(Secret(strings.Trim(v, "'")))
				}
			}
		}
	}
	for _, ch := range c.Alerts.Channels {
		add(ch.URL)
		addURL(string(ch.URL))
		add(ch.Secret)
		add(ch.Password)
	}
	return out
}

// Secret is a configuration value that must never be printed: its String, YAML and JSON forms are
// "******" (or "" when empty, so that "not set" stays visible).
type Secret string

// Masked is how every secret prints.
const Masked = "******"

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Masked
}

// GoString keeps %#v from leaking the value.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// MarshalYAML prints the masked form.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON prints the masked form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Reveal returns the value, for the one place that sends it to its owner (an HTTP header, a DSN).
func (s Secret) Reveal() string { return string(s) }

// Duration is a Go duration string in YAML ("30s", "6h").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML prints the Go duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON prints the Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalYAML parses a Go duration string (Load has already reported bad ones with their key).
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: invalid duration %q", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// ClauseList is the judgement clauses: the built-in list with hazards.clauses applied
// (Validate has checked the entries).
func (h Hazards) ClauseList() (*mapping.Clauses, error) {
	extra := make([]mapping.Clause, len(h.Clauses))
	for i, c := range h.Clauses {
		extra[i] = mapping.Clause{Code: c.Code, Name: c.Name}
	}
	return mapping.NewClauses(extra)
}

// TrackSinceDate is drills.trackSince as a date; the zero date when it is empty (DRILL_OVERDUE
// off).
func (d Drills) TrackSinceDate() mapping.Date {
	t, err := mapping.ParseDate(d.TrackSince)
	if err != nil {
		return mapping.Date{}
	}
	return t
}

package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"streetsync/mapping"
)

// CronParser parses the schedule's specs: six fields with seconds, or descriptors like @daily.
func CronParser() cron.Parser {
	return cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

var (
	regionCode  = regexp.MustCompile(`^\d{9}$`)
	itemCode    = regexp.MustCompile(`^\d{4}$`)
	categoryNum = regexp.MustCompile(`^\d{2}$`)
)

// validate checks the decoded values; lines maps key paths to their line in the file.
func (c *Config) validate(lines map[string]int) []Problem {
	v := validator{lines: lines}

	if !regionCode.MatchString(c.Region.Code) {
		v.add("region.code", "应为 9 位行政区划代码，实为 %q", c.Region.Code)
	}
	seenCommunity := map[string]int{}
	for i, name := range c.Region.Communities {
		key := fmt.Sprintf("region.communities[%d]", i)
		switch trimmed := strings.TrimSpace(name); {
		case trimmed == "":
			v.add(key, "社区名称不能为空")
		case len([]rune(trimmed)) > 50:
			v.add(key, "社区名称过长（%d 个字），应为“林口社区”这样的名称", len([]rune(trimmed)))
		default:
			if j, dup := seenCommunity[trimmed]; dup {
				v.add(key, "与 region.communities[%d] 重复：%s", j, trimmed)
			}
			seenCommunity[trimmed] = i
		}
	}

	if !c.Redis.Embedded() {
		for i, a := range append([]string{c.Redis.Addr}, c.Redis.Addrs...) {
			if a == "" && i == 0 {
				continue
			}
			key := "redis.addr"
			if i > 0 {
				key = fmt.Sprintf("redis.addrs[%d]", i-1)
			}
			v.hostPort(key, a)
		}
	}
	if c.Redis.DB < 0 || c.Redis.DB > 15 {
		v.add("redis.db", "应在 0 到 15 之间，实为 %d", c.Redis.DB)
	}
	if c.Redis.Prefix == "" {
		v.add("redis.prefix", "不能为空（所有键都以它开头，几个系统共用一个 Redis 时靠它区分）")
	}

	switch c.Ledger.Driver {
	case "sqlite", "postgres":
	default:
		v.add("ledger.driver", "应为 sqlite 或 postgres，实为 %q", c.Ledger.Driver)
	}
	if c.Ledger.DSN == "" {
		v.add("ledger.dsn", "不能为空")
	}

	v.baseURL("quanzhou.baseURL", c.Quanzhou.BaseURL)
	v.required("quanzhou.appKey", c.Quanzhou.AppKey)
	v.secret("quanzhou.appSecret", c.Quanzhou.AppSecret)
	v.positive("quanzhou.rateLimit", c.Quanzhou.RateLimit)
	v.positiveInt("quanzhou.burst", c.Quanzhou.Burst)
	v.positiveDuration("quanzhou.timeout", c.Quanzhou.Timeout)

	v.baseURL("specialOps.baseURL", c.SpecialOps.BaseURL)
	v.required("specialOps.clientID", c.SpecialOps.ClientID)
	v.secret("specialOps.clientSecret", c.SpecialOps.ClientSecret)
	v.positive("specialOps.rateLimit", c.SpecialOps.RateLimit)
	v.positiveInt("specialOps.burst", c.SpecialOps.Burst)
	v.positiveDuration("specialOps.timeout", c.SpecialOps.Timeout)
	if c.SpecialOps.MaxRegistrationsPerRun < 0 {
		v.add("specialOps.maxRegistrationsPerRun", "不能为负数（0 表示不设上限），实为 %d", c.SpecialOps.MaxRegistrationsPerRun)
	}

	if _, err := time.LoadLocation(c.Schedule.Timezone); err != nil || c.Schedule.Timezone == "" {
		v.add("schedule.timezone", "不是已知的时区 %q（例如 Asia/Shanghai）", c.Schedule.Timezone)
	}
	parser := CronParser()
	for _, j := range c.Schedule.Jobs() {
		key := "schedule." + j.Name
		if j.Spec == "" || j.Spec == "-" { // "-" switches a job off
			continue
		}
		if _, err := parser.Parse(j.Spec); err != nil {
			v.add(key, "不是有效的 cron 表达式 %q（6 个字段，含秒，例如 \"0 30 1 * * *\"）：%v", j.Spec, err)
		}
	}

	if d := c.Schedule.LockTTL.D(); d < MinLockTTL || d > MaxLockTTL {
		v.add("schedule.lockTTL", "应在 %s 到 %s 之间，实为 %s", MinLockTTL, MaxLockTTL, c.Schedule.LockTTL)
	}

	if c.Retry.MaxAttempts < 1 {
		v.add("retry.maxAttempts", "至少为 1，实为 %d", c.Retry.MaxAttempts)
	}
	v.positiveDuration("retry.baseDelay", c.Retry.BaseDelay)
	v.positiveDuration("retry.maxDelay", c.Retry.MaxDelay)
	if c.Retry.BaseDelay > 0 && c.Retry.MaxDelay > 0 && c.Retry.MaxDelay < c.Retry.BaseDelay {
		v.add("retry.maxDelay", "不能小于 retry.baseDelay（%s < %s）", c.Retry.MaxDelay, c.Retry.BaseDelay)
	}
	v.positiveDuration("retry.deadline", c.Retry.Deadline)
	v.positiveDuration("retry.deadRetention", c.Retry.DeadTTL)
	v.positiveDuration("retry.lease", c.Retry.Lease)
	v.positiveInt("retry.workers", c.Retry.Workers)
	v.positiveInt("retry.unknownAttempts", c.Retry.UnknownLimit)

	seen := map[string]bool{}
	for i, it := range c.Catalog.Items {
		key := fmt.Sprintf("catalog.items[%d]", i)
		if !itemCode.MatchString(it.Code) {
			v.add(key+".code", "操作项目代码应为 4 位数字，实为 %q", it.Code)
		}
		if it.Category != "" && !categoryNum.MatchString(it.Category) {
			v.add(key+".category", "作业类别代码应为 2 位数字，实为 %q", it.Category)
		}
		if it.Category != "" && len(it.Code) == 4 && it.Code[:2] != it.Category {
			v.add(key+".category", "操作项目 %s 不属于作业类别 %s", it.Code, it.Category)
		}
		if it.Name == "" {
			v.add(key+".name", "不能为空")
		}
		if seen[it.Code] {
			v.add(key+".code", "操作项目 %s 重复", it.Code)
		}
		seen[it.Code] = true
	}

	for i, cl := range c.Hazards.Clauses {
		key := fmt.Sprintf("hazards.clauses[%d]", i)
		code, ok := mapping.ParseClauseRef(cl.Code)
		switch {
		case !ok:
			v.add(key+".code", "不是判定依据条款 %q（写作 条-项，如 3-2，或 第三条第（二）项）", cl.Code)
		case strings.TrimSpace(cl.Name) == "":
			if _, known := mapping.DefaultClauses().Clause(code); !known {
				v.add(key+".name", "新增的条款 %s 需要填写条款内容（name）", code)
			}
		}
	}
	if d := c.Hazards.DefaultDeadlineDays; d < 1 || d > 365 {
		v.add("hazards.defaultDeadlineDays", "应在 1 到 365 之间，实为 %d", d)
	}
	if d := c.Hazards.DueWithinDays; d < 0 || d > 90 {
		v.add("hazards.dueWithinDays", "应在 0 到 90 之间，实为 %d", d)
	}
	if d := c.Inspections.WarnDaysBeforeQuarterEnd; d < 0 || d > 92 {
		v.add("inspections.warnDaysBeforeQuarterEnd", "应在 0 到 92 之间（一个季度最多 92 天），实为 %d", d)
	}
	if n := c.Drills.LaborIntensiveEmployees; n < 1 {
		v.add("drills.laborIntensiveEmployees", "至少为 1，实为 %d", n)
	}
	if s := c.Drills.TrackSince; s != "" {
		if _, err := mapping.ParseDate(s); err != nil {
			v.add("drills.trackSince", "不是日期 %q（写作 yyyy-MM-dd，如 2026-01-01；留空表示不检查演练）", s)
		}
	}
	if c.Alerts.ExpiringWithinDays < 0 || c.Alerts.ExpiringWithinDays > 366 {
		v.add("alerts.expiringWithinDays", "应在 0 到 366 之间，实为 %d", c.Alerts.ExpiringWithinDays)
	}
	v.positiveDuration("alerts.repeatInterval", c.Alerts.RepeatInterval)
	v.positiveDuration("alerts.escalateAfter", c.Alerts.EscalateAfter)
	v.positiveDuration("alerts.alarmUnhandledAfter", c.Alerts.AlarmUnhandled)
	v.positiveDuration("alerts.maxDataAge", c.Alerts.MaxDataAge)
	v.positiveDuration("alerts.platformDownAfter", c.Alerts.PlatformDownAfter)
	for i, ch := range c.Alerts.Channels {
		v.channel(fmt.Sprintf("alerts.channels[%d]", i), ch)
	}

	v.hostPort("console.listen", c.Console.Listen)
	v.secret("console.token", c.Console.Token)
	if n := len(c.Console.Token); n > 0 && n < 16 {
		v.add("console.token", "太短（%d 个字符），至少 16 个字符", n)
	}
	for i, p := range c.Console.TrustedProxies {
		if _, ok := parseProxy(p); !ok {
			v.add(fmt.Sprintf("console.trustedProxies[%d]", i), "应为 IP 地址或网段（如 10.0.0.5 或 10.0.0.0/24），实为 %q", p)
		}
	}

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.add("log.level", "应为 debug、info、warn 或 error，实为 %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "auto", "console", "json":
	default:
		v.add("log.format", "应为 auto、console 或 json，实为 %q", c.Log.Format)
	}
	if n := len([]rune(strings.TrimSpace(c.Operator.Name))); n > 50 {
		v.add("operator.name", "过长（%d 个字），应为一个人的姓名，如“张三”", n)
	}
	return v.problems
}

type validator struct {
	lines    map[string]int
	problems []Problem
}

func (v *validator) add(key, format string, args ...any) {
	v.problems = append(v.problems, Problem{Line: v.line(key), Key: key, Message: fmt.Sprintf(format, args...)})
}

// line finds the key's line, or that of its nearest parent present in the file (a missing key
// is reported where its section is).
func (v *validator) line(key string) int {
	for key != "" {
		if l, ok := v.lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

func (v *validator) required(key, val string) {
	if val == "" {
		v.add(key, "不能为空")
	}
}

func (v *validator) secret(key string, s Secret) {
	if s == "" {
		v.add(key, "不能为空（请用 ${环境变量} 从环境中读取）")
	}
}

func (v *validator) positive(key string, f float64) {
	if f <= 0 {
		v.add(key, "应大于 0，实为 %v", f)
	}
}

func (v *validator) positiveInt(key string, n int) {
	if n <= 0 {
		v.add(key, "应大于 0，实为 %d", n)
	}
}

func (v *validator) positiveDuration(key string, d Duration) {
	if d <= 0 {
		v.add(key, "应为大于 0 的时长，实为 %s", d)
	}
}

func (v *validator) baseURL(key, raw string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		v.add(key, "不能为空")
	case err != nil:
		v.add(key, "不是有效的 URL %q", MaskUserinfo(raw))
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(key, "应以 https:// 或 http:// 开头，实为 %q", MaskUserinfo(raw))
	case u.Host == "":
		v.add(key, "缺少主机名：%q", MaskUserinfo(raw))
	case u.RawQuery != "" || u.Fragment != "":
		v.add(key, "不应带查询参数或片段：%q", MaskUserinfo(raw))
	}
}

func (v *validator) hostPort(key, addr string) {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		v.add(key, "应为 主机:端口，实为 %q", MaskUserinfo(addr)) // never echo a password in it
	}
}

func (v *validator) channel(key string, ch Channel) {
	t, ok := channelType(ch.Type)
	if !ok {
		v.add(key+".type", "未知的通知渠道类型 %q（可用：%s）", ch.Type, channelTypeNames())
		return
	}
	if t.NeedsURL {
		if ch.URL == "" {
			v.add(key+".url", "%s 渠道需要 url", ch.Type)
		} else if u, err := url.Parse(string(ch.URL)); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			// Never echo the URL: it carries the robot's key.
			v.add(key+".url", "不是有效的 http(s) URL")
		}
	}
	if t.NeedsSMTP {
		if ch.SMTPHost == "" {
			v.add(key+".smtpHost", "email 渠道需要 smtpHost")
		}
		if ch.SMTPPort <= 0 || ch.SMTPPort > 65535 {
			v.add(key+".smtpPort", "应为 1 到 65535 之间的端口，实为 %d", ch.SMTPPort)
		}
		if _, err := mail.ParseAddress(ch.From); err != nil {
			v.add(key+".from", "不是有效的邮件地址 %q", ch.From)
		}
		if len(ch.To) == 0 {
			v.add(key+".to", "email 渠道至少需要一个收件人")
		}
		for j, to := range ch.To {
			if _, err := mail.ParseAddress(to); err != nil {
				v.add(fmt.Sprintf("%s.to[%d]", key, j), "不是有效的邮件地址 %q", to)
			}
		}
	}
}

package rules

import (
	"fmt"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping/mask"
)

// System alerts concern the street office, not a community: they carry this community label and
// go to the escalation channels.
const SystemCommunity = "街道安办"

// DataStaleRule, DATA_STALE: the data a family of rules judges is too old (or was never
// synced), so those rules are paused rather than judging from it.
var DataStaleRule = register(Rule{
	Code: "DATA_STALE", Name: "数据未更新", Severity: notify.SeverityCritical, Family: System,
	Colour: "#0e7490", Order: 200,
})

// PlatformDownRule, PLATFORM_DOWN: a platform has failed every call for
// alerts.platformDownAfter.
var PlatformDownRule = register(Rule{
	Code: "PLATFORM_DOWN", Name: "平台不可用", Severity: notify.SeverityCritical, Family: System,
	Colour: "#1e3a8a", Order: 210,
})

// Platforms are the platforms PLATFORM_DOWN knows by name; another system's code is shown as is.
var platformNames = map[string]string{
	"quanzhou":   "泉州市安全生产标准化智慧管理平台",
	"specialops": "特种作业人员综合管理服务系统",
}

// platformJobs says which sync jobs wait for each platform (the message tells what is held up).
var platformJobs = map[string]string{
	"quanzhou":   "企业信息、风险报警同步",
	"specialops": "证书查询、用工登记同步",
}

// Freshness is what DataStale judges a family's data by: the end of the last successful run of
// its job (Ever false: never).
type Freshness struct {
	LastSuccess time.Time
	Ever        bool
}

// Stale reports whether data last synced as fr is too old at now for rules that need it within
// maxAge.
func (fr Freshness) Stale(now time.Time, maxAge time.Duration) bool {
	return !fr.Ever || now.Sub(fr.LastSuccess) > maxAge
}

// DataStale raises DATA_STALE for the family f, whose data fr is stale at now. Its key is (rule,
// family); it resolves when the data is fresh again (the check stops raising it).
func DataStale(f Family, fr Freshness, now time.Time, loc *time.Location) Finding {
	sys := &notify.System{Subject: f.Code, Name: f.Data}
	var msg string
	if fr.Ever {
		t := fr.LastSuccess.In(loc)
		sys.LastSuccess = &t
		msg = fmt.Sprintf("数据未更新：%s已 %d 小时未更新，预警暂停（%s；上次成功同步于 %s）。请检查同步任务（streetsync sync %s）和平台连接，同步成功后预警自动恢复",
			f.Data, int(now.Sub(fr.LastSuccess)/time.Hour), f.Name, t.Format("2006-01-02 15:04 -07:00"), f.Job)
	} else {
		msg = fmt.Sprintf("数据未更新：%s从未同步，预警暂停（%s）。请先运行 streetsync sync %s，同步成功后预警自动开始",
			f.Data, f.Name, f.Job)
	}
	fd := newFinding(DataStaleRule, notify.Alert{
		Key:       KeyOf(DataStaleRule.Code, "", "", f.Code),
		Community: SystemCommunity,
		System:    sys,
		Message:   msg,
	})
	// The hours grow with every check: only which data is stale makes the alert.
	fd.Fingerprint = f.Code
	return fd
}

// PlatformHealth is what PlatformDown judges a platform by.
type PlatformHealth struct {
	System string // quanzhou, specialops
	// FailingSince is the first failure of the current streak of failures (zero: not failing).
	FailingSince time.Time
	LastSuccess  time.Time
	LastError    string // Chinese, no secrets
}

// PlatformDown raises PLATFORM_DOWN for a platform that has been failing for after or longer at
// now. Its key is (rule, platform); it resolves on recovery (a success ends the streak).
func PlatformDown(h PlatformHealth, now time.Time, after time.Duration, loc *time.Location) (Finding, bool) {
	if h.FailingSince.IsZero() || now.Sub(h.FailingSince) < after {
		return Finding{}, false
	}
	name := platformNames[h.System]
	if name == "" {
		name = h.System
	}
	since := h.FailingSince.In(loc)
	sys := &notify.System{Subject: h.System, Name: name, FailingSince: &since, LastError: mask.IDsInText(h.LastError)}
	if !h.LastSuccess.IsZero() {
		t := h.LastSuccess.In(loc)
		sys.LastSuccess = &t
	}
	held := platformJobs[h.System]
	if held == "" {
		held = "相关同步"
	}
	msg := fmt.Sprintf("平台不可用：%s自 %s 起调用持续失败（已 %d 小时），%s暂停，失败的请求已转入重试队列。请检查网络和平台状态，必要时联系平台管理员",
		name, since.Format("2006-01-02 15:04 -07:00"), int(now.Sub(h.FailingSince)/time.Hour), held)
	if sys.LastError != "" {
		msg += "；最近的错误：" + sys.LastError
	}
	fd := newFinding(PlatformDownRule, notify.Alert{
		Key:       KeyOf(PlatformDownRule.Code, "", "", h.System),
		Community: SystemCommunity,
		System:    sys,
		Message:   msg,
	})
	fd.Fingerprint = h.System
	return fd, true
}

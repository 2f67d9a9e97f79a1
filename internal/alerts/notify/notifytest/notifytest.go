// Package notifytest holds what the channel packages' tests share: sample messages shaped like
// the contract's example, and a fixed clock.
package notifytest

import (
	"fmt"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// Shanghai is UTC+8 without needing the tz database.
var Shanghai = time.FixedZone("CST", 8*3600)

// Now is the tests' fixed time: 2026-03-02 08:00 in Shanghai.
var Now = time.Date(2026, 3, 2, 8, 0, 0, 0, Shanghai)

// Clock always says Now.
type Clock struct{}

// Now returns Now.
func (Clock) Now() time.Time { return Now }

// Alert is the contract's example alert (CERT_EXPIRED), masked.
func Alert() notify.Alert {
	return notify.Alert{
		Key: "0123456789abcdef", Rule: "CERT_EXPIRED", RuleName: "证书过期", Severity: notify.SeverityCritical,
		Status: notify.StatusFiring, Community: "林格社区",
		Enterprise:  notify.Enterprise{USCC: "91350582MA2Y0EXA1K", Name: "晋江市灵源示例鞋业有限公司"},
		Operator:    &notify.Operator{Name: "张三", IDNumber: "350582********123X"},
		Item:        &notify.Item{Code: "0102", Name: "低压电工作业"},
		Certificate: &notify.Certificate{CertNo: "T350582********123X", Status: mapping.CertValid, ValidUntil: mapping.Date{Year: 2026, Month: 3, Day: 1}, ReviewDueDate: mapping.Date{Year: 2023, Month: 3, Day: 1}},
		Since:       time.Date(2026, 11, 28, 8, 0, 0, 0, Shanghai),
		Message:     "证书过期：晋江市灵源示例鞋业有限公司 的 张三（350582********123X）的低压电工作业操作证（T350582********123X）有效期至 2026-03-01，已过期。请督促企业立即停止其特种作业，重新取证后方可上岗",
		Notice:      notify.NoticeNew,
	}
}

// Message is one community's message with the example alert and a resolved one.
func Message() *notify.Message {
	a := Alert()
	r := Alert()
	r.Key, r.Rule, r.RuleName, r.Severity, r.Status, r.Notice = "fedcba9876543210", "EXPIRING_SOON", "证书即将到期", notify.SeverityWarning, notify.StatusResolved, notify.NoticeResolved
	r.Operator = &notify.Operator{Name: "李四", IDNumber: "350582********5678"}
	return notify.NewMessage("林格社区", []notify.Alert{a, r})
}

// Big is a message of n firing alerts, for the size limits.
func Big(n int) *notify.Message {
	alerts := make([]notify.Alert, n)
	for i := range alerts {
		alerts[i] = Alert()
		alerts[i].Key = fmt.Sprintf("%016x", i)
		alerts[i].Operator = &notify.Operator{Name: fmt.Sprintf("工人%03d", i), IDNumber: "350582********123X"}
	}
	return notify.NewMessage("林格社区", alerts)
}

// HostileName is a roster name as the issue found it: a markdown link and a mention of the
// whole group.
const HostileName = "[点击核实证书](http://evil.example/verify) <@all>"

// Hostile is a message whose every value tries to be markup in some robot: markdown links and
// images, emphasis, headings and quotes on a line of their own, WeCom's <@all> and <font>,
// DingTalk's @all, Feishu's <at user_id="all">, a bare URL and a bidirectional override.
func Hostile() *notify.Message {
	a := Alert()
	a.Community = "林格社区 <@all>"
	a.Enterprise.Name = "**晋江**鞋业\n# 假标题\n> 引用 ![图](http://evil.example/i.png) <font color=\"warning\">红字</font>"
	a.Operator = &notify.Operator{Name: HostileName, IDNumber: "350582********123X"}
	a.Item = &notify.Item{Code: "0102", Name: "低压电工作业 @all @所有人"}
	a.Message = "证书过期：" + HostileName + " <at user_id=\"all\">所有人</at> 详见 https://evil.example/x `code` ~~删~~ |表| \u202e倒序"
	a.Acknowledged = &notify.Ack{By: "网格员 <@zhangsan>", Note: "已督促 [回执](https://evil.example/r)", At: Now}
	return notify.NewMessage(a.Community, []notify.Alert{a})
}

// HazardAlert is a MAJOR_HAZARD_OPEN alert: a hazard in place of operator, item and certificate.
func HazardAlert() notify.Alert {
	return notify.Alert{
		Key: "0a1b2c3d4e5f6789", Rule: "MAJOR_HAZARD_OPEN", RuleName: "重大事故隐患未销号", Severity: notify.SeverityCritical,
		Status: notify.StatusFiring, Community: "林格社区",
		Enterprise: notify.Enterprise{USCC: "91350582MA2Y0EXA1K", Name: "晋江市灵源示例鞋业有限公司"},
		Hazard: &notify.Hazard{ID: "JD20260301-0a1b2c3d", YHID: "YH3505820000123", Level: "重大", Clause: "3-2",
			Deadline: mapping.Date{Year: 2026, Month: 3, Day: 9}, Status: "整改中"},
		Since:   time.Date(2026, 3, 1, 8, 0, 0, 0, Shanghai),
		Message: "重大事故隐患未销号：晋江市灵源示例鞋业有限公司的重大事故隐患 JD20260301-0a1b2c3d（判定依据 3-2）整改期限 2026-03-09，状态 整改中。请督促企业按期整改，整改后由街道组织验收销号",
		Notice:  notify.NoticeNew,
	}
}

package alerts

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"streetsync/internal/logging"
	"streetsync/mapping"
)

// Every sentence a person reads about an alert, in one place: what is wrong, with whom, and what
// the community should do about it. ID numbers appear masked only.

var ruleNames = map[string]string{
	RuleNoCertificate:  "无证上岗",
	RuleItemMismatch:   "证项不符",
	RuleCertInvalid:    "证书无效",
	RuleCertExpired:    "证书过期",
	RuleReviewOverdue:  "逾期未复审",
	RuleExpiringSoon:   "证书即将到期",
	RuleReviewDueSoon:  "即将到复审期",
	RuleNameMismatch:   "姓名不一致",
	RuleAlarmUnhandled: "报警未处置",
}

// RuleName is a rule's Chinese name.
func RuleName(rule string) string {
	if n, ok := ruleNames[rule]; ok {
		return n
	}
	return rule
}

const (
	msgNoCertificate = "无证上岗：%s的%s从事%s，未查到其任何特种作业操作证。请督促企业立即停止其特种作业，取得操作证后方可上岗"
	msgItemMismatch  = "证项不符：%s的%s从事%s，但其操作证只有%s，不含该操作项目。请督促企业立即停止其该项作业，取得相应操作证后方可上岗"
	msgCertInvalid   = "证书无效：%s的%s的%s操作证（%s）%s。请督促企业立即停止其特种作业，核实证书情况"
	msgCertExpired   = "证书过期：%s的%s的%s操作证（%s）%s。请督促企业立即停止其特种作业，重新取证后方可上岗"
	msgReviewOverdue = "逾期未复审：%s的%s的%s操作证（%s）应于 %s 前复审，至今未复审。请督促企业安排复审，复审前不得上岗"
	msgExpiringSoon  = "证书即将到期：%s的%s的%s操作证（%s）有效期至 %s。请督促企业提前安排换证，到期后不得上岗"
	msgReviewDueSoon = "即将到复审期：%s的%s的%s操作证（%s）应于 %s 前复审。请督促企业及时安排复审"
	msgNameMismatch  = "姓名不一致：%s台账登记的姓名为“%s”（%s），操作证（%s）上的姓名为“%s”。请核实姓名和身份证号，更正台账或提请发证机关更正"
	msgAlarm         = "报警未处置：%s的监测点“%s”发生 %d 级报警（%s），已超过 %s 未处置。请督促企业立即核查处置，并在平台反馈处置情况"

	// reasons inside msgCertInvalid and msgCertExpired
	reasonStatus     = "状态为“%s”"
	reasonNotYet     = "尚未生效（%s 起有效）"
	reasonUnknown    = "有效期或状态信息不全，无法确认有效"
	reasonExpiredOn  = "有效期至 %s，已过期"
	reasonExpiredRec = "已被登记为过期"

	itemsSep = "、"
)

var certStatusNames = map[mapping.CertStatus]string{
	mapping.CertValid:     "有效",
	mapping.CertExpired:   "过期",
	mapping.CertRevoked:   "撤销",
	mapping.CertCancelled: "注销",
	mapping.CertSuspended: "暂扣",
}

func certStatusName(s mapping.CertStatus) string {
	if n, ok := certStatusNames[s]; ok {
		return n
	}
	if s == "" {
		return "未知"
	}
	return string(s)
}

// person is "张三（350582********123X）".
func person(name, idNumber string) string {
	return name + "（" + logging.MaskID(idNumber) + "）"
}

func heldItems(certs []mapping.Certificate) string {
	var names []string
	seen := map[string]bool{}
	for i := range certs {
		n := certs[i].ItemName
		if n == "" {
			n = certs[i].ItemCode
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return strings.Join(names, itemsSep)
}

// message writes the rule's sentence for a roster entry; c is the certificate that decided it
// (nil for NO_CERTIFICATE and ITEM_MISMATCH), all are the person's certificates.
func message(rule string, e *RosterEntry, item string, c *mapping.Certificate, all []mapping.Certificate, day mapping.Date) string {
	ent, who := e.EnterpriseName, person(e.Operator.Name, e.Operator.IDNumber)
	certNo := ""
	if c != nil {
		certNo = logging.MaskCertNo(c.CertNo)
	}
	switch rule {
	case RuleNoCertificate:
		return fmt.Sprintf(msgNoCertificate, ent, who, item)
	case RuleItemMismatch:
		return fmt.Sprintf(msgItemMismatch, ent, who, item, heldItems(all))
	case RuleCertInvalid:
		var reason string
		switch {
		case c.Status == mapping.CertSuspended || c.Status == mapping.CertRevoked || c.Status == mapping.CertCancelled:
			reason = fmt.Sprintf(reasonStatus, certStatusName(c.Status))
		case c.Status == mapping.CertValid && !c.ValidFrom.IsZero() && day.Before(c.ValidFrom):
			reason = fmt.Sprintf(reasonNotYet, c.ValidFrom)
		case c.Status != mapping.CertValid:
			reason = fmt.Sprintf(reasonStatus, certStatusName(c.Status))
		default:
			reason = reasonUnknown
		}
		return fmt.Sprintf(msgCertInvalid, ent, who, item, certNo, reason)
	case RuleCertExpired:
		reason := reasonExpiredRec
		if !c.ValidUntil.IsZero() && c.ValidUntil.Before(day) {
			reason = fmt.Sprintf(reasonExpiredOn, c.ValidUntil)
		}
		return fmt.Sprintf(msgCertExpired, ent, who, item, certNo, reason)
	case RuleReviewOverdue:
		return fmt.Sprintf(msgReviewOverdue, ent, who, item, certNo, c.ReviewDueDate)
	case RuleExpiringSoon:
		return fmt.Sprintf(msgExpiringSoon, ent, who, item, certNo, c.ValidUntil)
	case RuleReviewDueSoon:
		return fmt.Sprintf(msgReviewDueSoon, ent, who, item, certNo, c.ReviewDueDate)
	case RuleNameMismatch:
		return fmt.Sprintf(msgNameMismatch, ent, e.Operator.Name, logging.MaskID(e.Operator.IDNumber), certNo, c.HolderName)
	}
	return RuleName(rule)
}

// alarmMessage writes ALARM_UNHANDLED's sentence.
func alarmMessage(a *AlarmEntry, after time.Duration) string {
	al := &a.Alarm
	what := al.Quantity
	if al.Value != "" {
		what += " " + al.Value + al.Unit
	}
	if al.Type == "LX" || what == "" {
		what = "离线"
	}
	return fmt.Sprintf(msgAlarm, al.EnterpriseName, al.PointName, al.Level, what, chineseDuration(after))
}

// chineseDuration writes 2h as "2 小时", 90m as "90 分钟", 72h as "3 天".
func chineseDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d 天", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d 小时", d/time.Hour)
	default:
		return fmt.Sprintf("%d 分钟", d/time.Minute)
	}
}

// Errors a person reads (CLI, console).
var (
	// ErrNotFound: no alert has this key.
	ErrNotFound = errors.New("没有这个预警（请用 alerts list 查看预警的 KEY）")
	// ErrNotFiring: the alert has resolved; there is nothing to acknowledge.
	ErrNotFiring = errors.New("该预警已解除，无需督促确认")
	// ErrCheckRunning: another instance holds the check run's lock longer than we were willing to wait.
	ErrCheckRunning = errors.New("另一个预警检查正在进行，请稍后再试")
)

// InputError is a request the caller must correct (exit status 2 in the CLI).
type InputError struct{ Reason string }

func (e *InputError) Error() string { return e.Reason }

const (
	reasonNoNote      = "请用 --note 写明督促情况"
	reasonNoKey       = "请给出预警的 KEY"
	reasonNoReason    = "请用 --reason 写明屏蔽原因"
	reasonUntilPast   = "屏蔽截止时间 %s 已过，请给出将来的时间"
	reasonBadTarget   = "“%s”既不是预警 KEY（16 位十六进制），也不是 18 位身份证号"
	reasonEmptyMatch  = "屏蔽条件不能为空：请给出预警 KEY、身份证号、社区或规则"
	reasonUnknownRule = "未知的预警规则 %q"
	reasonBadStatus   = "未知的预警状态 %q（可用：firing、resolved、acknowledged、silenced、escalated）"
	reasonNoSilence   = "没有这个屏蔽规则 %q"
)

func inputErr(format string, args ...any) error {
	return &InputError{Reason: fmt.Sprintf(format, args...)}
}

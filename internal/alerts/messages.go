package alerts

import (
	"errors"
	"fmt"
)

// Every sentence a person reads from this package, in one place: errors of operator input and
// why a family of rules was not judged. The rules' own sentences are in package rules, each with
// its rule.

// Errors a person reads (CLI, console).
var (
	// ErrNotFound: no alert has this key.
	ErrNotFound = errors.New("没有这个预警（请用 alerts list 查看预警的 KEY）")
	// ErrNotFiring: the alert has resolved; there is nothing to acknowledge.
	ErrNotFiring = errors.New("该预警已解除，无需督促确认")
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
	reasonUnknownRule = "未知的预警规则 %q（可用代码或中文名称：%s）"
	reasonBadStatus   = "未知的预警状态 %q（可用：firing、resolved、acknowledged、silenced、escalated）"
	reasonBadSeverity = "未知的预警级别 %q（可用：critical、warning）"
	reasonBadFamily   = "未知的预警类别 %q（可用：certificate、alarm、system）"
	reasonNoSilence   = "没有这个屏蔽规则 %q（请用 alerts silences 查看正在生效的屏蔽及其编号）"

	// what a target names among the firing alerts (alerts ack, alerts silence --id)
	reasonNoFiringPerson  = "正在预警的条目中没有身份证号为 %s 的人员（请用 alerts list --status firing 查看）"
	reasonAmbiguousPeople = "身份证号 %s 在正在预警的条目中对应 %d 个人，请改用下面的预警 KEY 或完整的身份证号："
	reasonAmbiguousAlerts = "%s 有 %d 条正在预警的条目，请改用下面其中一条的预警 KEY："

	// why a family of rules was skipped (alerts check's "skipped")
	reasonSkipped     = "部分预警暂停："
	reasonStale       = "%s已 %d 小时未更新（上次成功同步于 %s），超过 alerts.maxDataAge（%d 小时），本次不判断，也不发送、不解除这类预警"
	reasonNeverSynced = "%s从未同步（sync %s 从未成功），本次不判断，也不发送、不解除这类预警"
)

func inputErr(format string, args ...any) error {
	return &InputError{Reason: fmt.Sprintf(format, args...)}
}

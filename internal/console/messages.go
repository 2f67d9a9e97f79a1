package console

import (
	"errors"
	"fmt"

	"streetsync/internal/jobs"
)

// Everything a person reads from the console outside the templates, in one place.

// Request problems (API JSON "error" and console flashes).
const (
	msgNoToken        = "缺少访问令牌：请在请求头中提供 Authorization: Bearer <令牌>"
	msgBadToken       = "访问令牌不正确"
	msgTooManyLogins  = "登录尝试过多，请稍后再试"
	msgLoginRequired  = "请先登录"
	msgSessionEnded   = "登录已过期，请重新登录"
	msgCSRF           = "请求校验失败（页面可能已过期或来自其他网站），请刷新页面后重试"
	msgJSONTooLarge   = "请求内容过大（上限 %s）"
	msgUploadTooLarge = "上传文件过大（上限 %s）"
	msgBadJSON        = "请求内容不是有效的 JSON：%s"
	msgJSONUnknown    = "请求中有未知字段 %s"
	msgJSONTrailing   = "请求内容在 JSON 之后还有多余内容"
	msgJSONEmpty      = "请求内容为空，应为 JSON"
	msgBadForm        = "表单内容无法读取"
	msgNoFile         = "请选择要导入的台账文件（.xlsx 或 .csv）"
	msgBadFileType    = "只能导入 .xlsx 或 .csv 文件"
	msgUnknownJob     = "未知的同步任务 %q（可用：enterprises、certificates、alarms、employments、all）"
	msgUnknownScope   = "未知的对账范围 %q（可用：all、enterprises、operators）"
	msgBadUSCC        = "统一社会信用代码 %q 格式不正确"
	msgNoIDs          = "请至少选择一个条目"
	msgBadStatus      = "处置状态只能是 1（处置中）或 2（已处置）"
	msgBadUntil       = "屏蔽截止时间 %q 无法识别（例：2026-03-01 或 2026-03-01T18:00）"
	msgNoReport       = "还没有对账结果，请先运行对账"
	msgTaskBusy       = "%s正在进行中，请等待完成后再试"
	msgNotFound       = "没有找到：%s"
	msgInternal       = "内部错误，请联系管理员查看日志"
	msgUnavailable    = "服务暂时不可用，请稍后再试"
	msgPlatformDown   = "平台暂时无法访问，请稍后再试（详情见日志）"
	msgPageNotFound   = "页面不存在"
	msgMethod         = "不支持的请求方法"
	msgNoAlarm        = "没有这条报警 %q"
	msgNoNote         = "请填写情况说明"
)

// Flashes after a console action.
const (
	flashTaskStarted   = "%s已开始运行"
	flashTaskDone      = "%s已完成"
	flashTaskFailed    = "%s失败：%s"
	flashRetried       = "已重新排队 %d 条"
	flashDropped       = "已丢弃 %d 条"
	flashAcked         = "已记录督促情况"
	flashSilenced      = "已屏蔽至 %s"
	flashFeedback      = "已记录处置反馈，将推送至平台"
	flashFeedbackSame  = "相同的处置反馈已记录过"
	flashConfirmed     = "已确认企业 %s"
	flashImported      = "导入完成：企业新增 %d、更新 %d，人员新增 %d、更新 %d，拒绝 %d 行"
	msgNoRejectionList = "这份被拒绝的行清单已不在服务器上（只保留最近几次导入的清单）：请重新导入该文件以生成清单"
	flashDryRun        = "预检完成（未写入）：企业新增 %d、更新 %d，人员新增 %d、更新 %d，拒绝 %d 行"
	flashLoggedOut     = "已退出登录"
)

// Task labels.
const (
	labelSync      = "同步任务「%s」"
	labelReconcile = "对账"
	labelApply     = "应用对账修复"
)

// jobName is a job's Chinese name.
func jobName(job string) string {
	switch job {
	case jobs.Enterprises:
		return "企业信息同步"
	case jobs.Certificates:
		return "特种作业证书同步"
	case jobs.Alarms:
		return "监测报警同步"
	case jobs.Employments:
		return "用工登记同步"
	case jobAll:
		return "全部同步"
	}
	return job
}

// outcomeName is a run outcome in Chinese.
func outcomeName(o string) string {
	switch o {
	case OutcomeOK, OutcomeSuccess:
		return "成功"
	case OutcomePartial:
		return "部分完成"
	case OutcomePlatformUnavailable:
		return "平台不可用"
	case OutcomeFailed:
		return "失败"
	case OutcomeSkipped:
		return "跳过"
	case OutcomeRunning:
		return "运行中"
	}
	return o
}

// triggerName says who started a run.
func triggerName(t string) string {
	switch t {
	case "schedule":
		return "定时"
	case "manual":
		return "手动"
	case "catchup":
		return "补跑"
	}
	return t
}

// countNames are the summary counts in Chinese, in display order.
var countNames = [][2]string{
	{"pulled", "拉取"}, {"pushed", "推送"}, {"unchanged", "未变"}, {"drifted", "平台改动"},
	{"quarantined", "隔离"}, {"queued", "待重试"},
}

// fieldNames are the reconciliation report's canonical field names in Chinese.
var fieldNames = map[string]string{
	"name": "企业名称", "legalRep": "法定代表人", "principal": "主要负责人", "principalPhone": "主要负责人电话",
	"safetyManager": "安全管理人员", "address": "经营地址", "community": "所属社区", "industry": "行业类别",
	"keyRisks": "重点类型", "employees": "从业人数", "status": "企业状态", "factoryInFactory": "是否厂中厂",
	"grade": "标准化等级", "gradeValidUntil": "标准化有效期", "riskMonitored": "是否纳入监测预警",
}

func fieldName(f string) string {
	if n, ok := fieldNames[f]; ok {
		return n
	}
	return f
}

// syncStateName describes an enterprise's place between ledger and platform.
func syncStateName(r *enterpriseRow) string {
	switch {
	case r.PendingReview:
		return "待核实"
	case r.State == "inSync":
		return "已同步"
	case r.State == "unpushed", r.State == "ledgerChanged":
		return "待推送"
	case r.State == "platformChanged":
		return "平台有改动"
	case r.State == "conflict":
		return "双方冲突"
	}
	return r.State
}

// alarm labels.
func alarmLevelName(l int) string {
	switch l {
	case 1:
		return "红色"
	case 2:
		return "橙色"
	case 3:
		return "黄色"
	case 4:
		return "蓝色"
	}
	return fmt.Sprintf("%d 级", l)
}

func alarmTypeName(t string) string {
	switch t {
	case "SX":
		return "超上限"
	case "XX":
		return "超下限"
	case "LX":
		return "离线"
	}
	return t
}

func handlingName(s string) string {
	switch s {
	case "0", "":
		return "未处置"
	case "1":
		return "处置中"
	case "2":
		return "已处置"
	}
	return s
}

func pushStateName(s string) string {
	switch s {
	case "pending":
		return "待推送"
	case "accepted":
		return "平台已接收"
	case "rejected":
		return "平台拒收"
	}
	return s
}

func queueStateName(s string) string {
	switch s {
	case "due":
		return "待处理"
	case "scheduled":
		return "等待重试"
	case "active":
		return "处理中"
	case "dead":
		return "死信"
	}
	return s
}

func alertStatusName(s string) string {
	switch s {
	case "firing":
		return "预警中"
	case "resolved":
		return "已解除"
	}
	return s
}

// InputError is a request the person must correct; the console shows Reason as it is (status
// 400 in the API). The wiring may wrap its own validation errors in it.
type InputError struct{ Reason string }

func (e *InputError) Error() string { return e.Reason }

func inputErr(format string, args ...any) error {
	return &InputError{Reason: fmt.Sprintf(format, args...)}
}

// errTaskBusy is returned when a task of the same kind with other parameters is running.
var errTaskBusy = errors.New("task busy")

// busyError refuses to start a task while another of its kind runs (409).
type busyError struct{ label string }

func (e *busyError) Error() string { return fmt.Sprintf(msgTaskBusy, e.label) }

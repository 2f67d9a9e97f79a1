package console

import (
	"errors"
	"fmt"

	"streetsync/internal/alerts"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/mapping"
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
	msgUnknownList    = "对账结果中没有清单 %q：可选 different（字段不一致）、onlyInLedger（仅台账有）、onlyOnPlatform（仅平台有）、unregistered（未用工登记）、unknownItems（未知操作项目）"
	msgTaskBusy       = "%s正在进行中，请等待完成后再试"
	msgNotFound       = "没有找到：%s"
	msgInternal       = "内部错误，请联系管理员查看日志"
	msgUnavailable    = "服务暂时不可用，请稍后再试"
	msgPlatformDown   = "平台暂时无法访问，请稍后再试（详情见日志）"
	msgPageNotFound   = "页面不存在"
	msgMethod         = "不支持的请求方法"
	msgNoAlarm        = "没有这条报警 %q"
	msgNoNote         = "请填写情况说明"
	msgServiceDown    = "Redis 或台账数据库暂时无法访问，请稍后再试（页面顶部的提示说明是哪一个）"
	msgNoSilence      = "请选择要解除的静默"
	msgQueueTooDeep   = "只能按顺序翻看前 %d 条；请按任务类型筛选，或按信用代码、身份证号搜索"
)

// Services down (health.go): the banner names the problem, what still works and what to do;
// a panel that needs the service says so in place.
const (
	msgRedisDown = "Redis 不可用：%s，重试队列暂不可读，手动运行同步暂不可用；台账、对账、持证预警、监测报警和运行记录照常可用。" +
		"请检查 Redis 服务（配置项 redis.addr）；恢复后本提示自动消失，无需重启。"
	msgLedgerDown = "台账数据库不可用：%s，台账、持证预警、监测报警、对账和运行记录暂不可读；重试队列照常可用。" +
		"请检查数据库服务（配置项 ledger.dsn）；恢复后本提示自动消失，无需重启。"
	msgPanelRedisDown  = "Redis 不可用，此处暂时无法显示（见页面顶部的提示）"
	msgPanelLedgerDown = "台账数据库不可用，此处暂时无法显示（见页面顶部的提示）"
	msgRedisLost       = "Redis 的数据已于 %s 丢失（由 %s 发现）：只存在 Redis 中的重试项已找不回，由各任务下次运行时从台账重建。" +
		"尚待完整运行一次的任务：%s。如需立即恢复，请在“同步任务”页点“全部运行”（或运行 streetsync sync all），再运行 streetsync queue drain"
	msgStatusDown = "下次运行时间与“未运行/延迟”暂时无法读取（需要 Redis）；以下为运行记录中的最近一次运行"
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
	flashUnsilenced    = "已解除静默，被静默的预警将按规则继续发送"
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

// What a silence covers, in words (alerts.go).
const (
	scopeOneAlert   = "单条预警 %s"
	scopeOneAlertOf = "单条预警：%s · %s"
	scopePerson     = "某人的全部预警（按身份证号）"
	scopeAll        = "全部预警"
)

// The front page's to-do lines (overview.go): what each count is, and what to do about it.
const (
	todoUncertified         = "在岗人员持证严重预警"
	todoUncertifiedNext     = "督促企业立即停止其特种作业，取得有效证书后再上岗；处理后在持证预警中点“督促”记录情况"
	todoAlarmAlerts         = "监测报警超时未处置"
	todoAlarmAlertsNext     = "督促企业处置报警，并在监测报警中提交处置反馈"
	todoSystemAlerts        = "系统预警（数据过期、平台不可用）"
	todoSystemAlertsNext    = "数据过期时持证预警暂停判断：检查同步任务和平台连接，同步成功后自动恢复"
	todoNotOnPlatform       = "企业未纳入泉州平台"
	todoNotOnPlatformNext   = "推送未成功或被平台拒收：查看重试队列和隔离记录，修正后运行“企业信息同步”"
	todoPendingReview       = "仅平台有、待核实的企业"
	todoPendingReviewNext   = "核实是否属于本街道：属于的在台账中点“确认”，不属于的联系平台移出"
	todoQuarantined         = "隔离中的数据"
	todoQuarantinedNext     = "按原因修正来源数据（台账或平台），下次同步或导入后自动解除"
	todoDrifted             = "平台上被改动、待对账的企业"
	todoDriftedNext         = "到对账页运行对账，确认后点“应用修复”（reconcile --apply）；要保留平台的改动，先改台账"
	todoUnregistered        = "持证在岗但未用工登记"
	todoUnregisteredNext    = "到对账页点“应用修复”补办用工登记（reconcile --apply）"
	todoFeedbackRefused     = "报警处置反馈被平台拒收"
	todoFeedbackRefusedNext = "查看拒收原因，修改处置说明后重新提交反馈"
	todoDead                = "重试队列死信"
	todoDeadNext            = "查看错误原因：修正后点“立即重试”，确认无需再发的点“丢弃”"
	todoNone                = "无需处理"
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
	case jobs.Hazards:
		return "隐患同步"
	case jobs.Inspections:
		return "企业检查记录同步"
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

// jobKindName is a retry-queue job kind in Chinese (the kinds of package jobs and the alert
// deliveries); an unknown kind is shown as it is.
func jobKindName(kind string) string {
	switch kind {
	case jobs.KindEnterpriseSync:
		return "企业信息同步（整项重跑）"
	case jobs.KindEnterprisePush:
		return "企业信息推送"
	case jobs.KindEnterpriseForcePush:
		return "企业信息推送（对账修复）"
	case jobs.KindEnterpriseReadBack:
		return "企业平台字段回读"
	case jobs.KindCertificateQuery:
		return "证书查询"
	case jobs.KindCertificateFeed:
		return "证书变更订阅"
	case jobs.KindAlarmPull:
		return "监测报警拉取"
	case jobs.KindFeedbackPush:
		return "报警处置反馈推送"
	case jobs.KindHazardSync:
		return "隐患同步（整项重跑）"
	case jobs.KindHazardCreate:
		return "隐患上报"
	case jobs.KindHazardStatusPush:
		return "隐患状态推送"
	case jobs.KindInspectionPull:
		return "企业检查记录拉取"
	case jobs.KindEmploymentSync:
		return "用工登记同步（整项重跑）"
	case jobs.KindEmploymentPut:
		return "用工登记"
	case alerts.RetryKind:
		return "预警消息发送"
	}
	return kind
}

// errorClassName is a retry error class in Chinese.
func errorClassName(class string) string {
	switch class {
	case "transient":
		return "暂时性错误（自动重试）"
	case "permanent":
		return "平台拒绝（需人工处理）"
	case "unknown":
		return "未知错误"
	case "quarantined":
		return "数据不合格已隔离"
	case "lease":
		return "处理中断（租约到期）"
	case "replay":
		return "人工重试"
	}
	return class
}

// familyName is an alert family in Chinese.
func familyName(f string) string {
	switch f {
	case "certificate":
		return "持证预警"
	case "alarm":
		return "报警预警"
	case "system":
		return "系统预警"
	}
	if fam, ok := rules.FamilyOf(f); ok {
		return fam.Name
	}
	return f
}

// platformName is a platform in Chinese.
func platformName(p string) string {
	switch p {
	case "quanzhou":
		return "泉州市安全生产标准化智慧管理平台"
	case "specialops":
		return "特种作业人员综合管理服务系统"
	}
	return p
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

// fieldName is an enterprise field's Chinese label from the field table (a report written before
// the reconciliation carried labels names its fields only by their canonical names).
func fieldName(name string) string {
	if f, ok := mapping.EnterpriseField(name); ok {
		return f.Label
	}
	return name
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

// enterpriseStateName names a listing's enterprise state ("" for none).
func enterpriseStateName(st string) string {
	switch st {
	case ledger.StateNotOnPlatform:
		return "未纳入泉州平台"
	case ledger.StateDrifted:
		return "平台上被改动"
	case ledger.StateAwaitingPush:
		return "待推送"
	}
	return ""
}

// sourceName and recordKindName say where a quarantined record came from and what it is.
func sourceName(s ledger.Source) string {
	switch s {
	case ledger.SourceWorkbook:
		return "台账导入"
	case ledger.SourceQuanzhou:
		return "泉州平台拉取"
	case ledger.SourceSpecialOps:
		return "特种作业系统拉取"
	case ledger.SourceSyncPush:
		return "推送被拒"
	}
	return string(s)
}

func recordKindName(k ledger.Kind) string {
	switch k {
	case ledger.KindEnterprise:
		return "企业"
	case ledger.KindOperator:
		return "特种作业人员"
	case ledger.KindCertificate:
		return "证书"
	case ledger.KindEmployment:
		return "用工登记"
	case ledger.KindAlarm:
		return "监测报警"
	case ledger.KindAlarmFeedback:
		return "报警处置反馈"
	}
	return string(k)
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

// The hazard screen (hazards.go) and its panels.
const (
	msgHazardsOff            = "本控制台未接入隐患台账"
	msgHazardLevel           = "隐患等级应为 一般 或 重大"
	msgHazardDeadline        = "整改期限不是日期 %q（写作 2026-01-22）"
	msgHazardDesc            = "请填写隐患描述"
	msgHazardStatus          = "整改状态应为 整改中、已整改 或 已销号，实为 %q"
	msgHazardNote            = "请填写说明和操作人（销号时写明谁验收、如何验收）"
	msgNoHazard              = "台账中没有隐患 %s：请刷新隐患清单，或先同步隐患"
	flashHazardReported      = "已记录隐患 %s"
	flashHazardStatus        = "已记录隐患 %s 的整改状态"
	flashHazardFromAlert     = "已判定为重大事故隐患 %s（判定依据 3-2），可在“隐患”页跟踪整改"
	flashHazardFromAlertSame = "该预警此前已判定为重大事故隐患 %s，未重复记录"
	flashHazardPushed        = "泉州平台已接收（平台隐患ID %s）"
	flashHazardQueued        = "平台暂不可达，已进入重试队列，将自动推送"
	flashHazardRejected      = "泉州平台拒绝：%s（已进入隔离区，请在台账页查看）"
	todoMajorHazards         = "未销号的重大事故隐患"
	todoMajorHazardsNext     = "督促企业主要负责人落实整改，整改后组织验收并销号"
	todoOverdueHazards       = "逾期未整改的隐患"
	todoOverdueHazardsNext   = "约谈企业主要负责人，督促立即整改"
)

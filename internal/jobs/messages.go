package jobs

import "errors"

// Every sentence a person in the office reads from this package — quarantine reasons, the
// failures reconcile --apply reports, the progress line — in one place.

const (
	labelQuanzhou   = "泉州平台"
	labelSpecialOps = "特种作业系统"

	msgResolvedBySync      = "同步时已成功处理，自动解除"
	msgNotInLedger         = "台账中没有该企业"
	msgNotOnPlatform       = "平台上没有该企业"
	msgOperatorNotInLedger = "台账中没有该特种作业人员记录"
	msgNoValidCertificate  = "没有当日有效的对应操作项目证书，未登记用工（见持证预警）"
	msgQueued              = "暂时失败，已加入重试队列：%s"
	msgFeedbackInvalid     = "处置反馈不完整："

	msgHazardInvalid           = "隐患记录不完整或有误："
	msgHazardNotInLedger       = "台账中没有该隐患"
	msgHazardNotStreets        = "该隐患是企业自查上报的，街道只能记录其整改状态"
	msgHazardEnterpriseUnknown = "台账中没有该企业：请先在企业台账中登记该企业（streetsync import），再上报隐患"
	msgHazardUnknownEnterprise = "泉州平台上没有该企业，台账中也没有：请先在企业台账中登记该企业并同步（streetsync sync enterprises），隔离区中的该隐患随后会自动重新推送"
	msgHazardWaitsEnterprise   = "泉州平台上还没有该企业：已先推送企业，隐患随后由重试队列自动推送"
	msgHazardConflict          = "泉州平台上已有同一隐患编号、内容不同的隐患：请核对平台上的记录，改正台账或为该隐患换一个隐患编号"
	msgHazardGone              = "泉州平台上已没有该隐患：请在平台上核实，必要时重新上报"
	msgHazardNoUpdate          = "泉州平台不支持修改已上报隐患的内容：请在平台上修改，或在台账中改回平台上的内容"
	msgStatusRefusedBackward   = "泉州平台拒绝了“%s”：平台上该隐患的整改状态已更靠后（状态只能向前）。请在平台上核实，下次同步时台账会取平台的状态"
	msgStillRefused            = "平台曾拒绝同样的内容，修改台账后才会重新推送（见隔离区）"
)

// Run outcomes' reasons (Summary.Reason): what happened and what to do next.
const (
	msgPlatformUnavailable = "%s不可用：本次运行的 %d 次调用无一成功（最近一次：%s）。未完成的部分已转入重试队列或留待下次运行，平台恢复后自动补做；" +
		"如持续，请检查网络，或联系平台运维确认是否在维护"
	msgPartialQueued      = "%d 条暂时未成功，已转入重试队列，将自动重试（streetsync queue stats 查看）"
	msgPartialQuarantined = "%d 条被隔离（数据未通过校验或被平台拒绝），请在控制台隔离区查看原因并修正台账"
	msgPartialCapped      = "已达本次运行的登记上限 %d 条（specialOps.maxRegistrationsPerRun），其余 %d 条仍待登记，下次运行接着登记，无需处理"
	msgFailedStopped      = "运行被中止（程序停止或超时），已完成的部分已保存，下次运行时继续"
	msgFailedAuth         = "%s拒绝了本系统的凭据、签名或行政区划（%s）：请核对配置中的凭据和 region.code，检查本机时间，然后重新运行 streetsync sync %s"
	msgFailedPlatform     = "%s的回答无法处理（%s）：请查看日志，然后重新运行 streetsync sync %s"
	msgFailed             = "运行出错：%s。请查看日志，排除原因（台账数据库、Redis）后重新运行 streetsync sync %s"
)

// Title is a job's name for people (企业信息同步), in refusals and reports; the name itself for a
// job it does not know.
func Title(job string) string {
	if l, ok := jobLabels[job]; ok {
		return l + "同步"
	}
	return job
}

// Job and phase names on the progress line.
var jobLabels = map[string]string{
	Enterprises:  "企业信息",
	Certificates: "特种作业操作证",
	Alarms:       "监测预警",
	Hazards:      "隐患",
	Inspections:  "企业检查记录",
	Employments:  "用工登记",
}

const (
	phasePull     = "读取平台"
	phasePush     = "推送"
	phaseQuery    = "按身份证号查询"
	phaseFeed     = "变更订阅"
	phaseFeedback = "推送处置反馈"
	phaseRegister = "登记"
)

// summaryOf is the one-line Chinese account of a platform error (the connectors' Summary), or
// its text.
func summaryOf(err error) string {
	var s interface{ Summary() string }
	if errors.As(err, &s) {
		return s.Summary()
	}
	return err.Error()
}

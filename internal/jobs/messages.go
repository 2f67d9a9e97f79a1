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
)

// Job and phase names on the progress line.
var jobLabels = map[string]string{
	Enterprises:  "企业信息",
	Certificates: "特种作业操作证",
	Alarms:       "监测预警",
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

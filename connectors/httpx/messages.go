package httpx

import "errors"

// The Chinese labels the office reads (APIError.Summary), kept together for review.
var summaryLabels = []struct {
	err   error
	label string
}{
	{ErrInvalid, "平台拒绝了请求或数据"},
	{ErrNotFound, "平台上没有这条记录"},
	{ErrConflict, "与平台上的记录冲突，需人工处理"},
	{ErrAuth, "平台拒绝了接入凭证或签名，请检查配置"},
	{ErrClockSkew, "本机时钟与平台相差过大，请校准时间"},
	{ErrForbidden, "接入凭证无权访问，请检查配置"},
	{ErrTokenExpired, "平台拒绝了访问令牌，稍后重试"},
	{ErrNonceReused, "请求随机数重复，稍后重试"},
	{ErrRateLimited, "平台限流，稍后重试"},
	{ErrMaintenance, "平台维护中，稍后重试"},
	{ErrUnavailable, "平台暂时不可用，稍后重试"},
	{ErrMalformed, "平台返回内容无法识别，稍后重试"},
	{ErrCursorExpired, "变更游标已过期"},
	{ErrEndpoint, "平台地址配置有误（接口不存在），请检查 baseURL"},
	{ErrTLS, "平台证书校验失败，请检查 baseURL 或 caFile"},
	{ErrUnstable, "平台数据变化过快，未能读完，稍后重试"},
}

var kindLabels = map[Kind]string{
	KindTransient: "平台暂时不可用，稍后重试",
	KindPermanent: "平台拒绝了请求或数据",
	KindAuth:      "接入配置有误，请检查",
}

func summaryLabel(err error, k Kind) string {
	for _, l := range summaryLabels {
		if err != nil && errors.Is(err, l.err) {
			return l.label
		}
	}
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return "调用平台失败"
}

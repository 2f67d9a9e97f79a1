package quanzhou

// The Chinese texts the office reads, kept together for review.
const (
	msgItemRejected = "平台拒收该企业记录"
	msgItemRetry    = "平台暂未保存该企业记录，稍后重试"
)

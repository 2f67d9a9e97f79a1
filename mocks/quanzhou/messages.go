package quanzhou

// Envelope codes (quanzhou-platform.md, "Envelope") and the messages the platform sends with them.
const (
	codeOK          = 0
	codeBadParam    = 40001
	codeToken       = 40101
	codeSignature   = 40102
	codeTimestamp   = 40103
	codeNonce       = 40104
	codeRegion      = 40301
	codeNotFound    = 40401
	codeConflict    = 40902
	codeRateLimited = 42901
	codeInternal    = 50000
	codeMaintenance = 50300
	itemBadUSCC     = 40011
	itemMissing     = 40012
	itemBadCode     = 40013
	itemRegion      = 40014
	itemConcurrent  = 40901
	itemStoreFailed = 50001
	resultCreated   = "CREATED"
	resultUpdated   = "UPDATED"
	resultUnchanged = "UNCHANGED"
	resultFailed    = "FAILED"
)

const (
	msgOK            = "成功"
	msgMissingHeader = "缺少请求头 "
	msgBadHeader     = "请求头格式错误 "
	msgTimestamp     = "请求时间戳超出允许范围"
	msgSignature     = "签名校验失败"
	msgUnknownApp    = "应用标识不存在"
	msgBadSecret     = "应用密钥错误"
	msgNonce         = "请求随机数重复"
	msgToken         = "访问令牌无效或已过期"
	msgRateLimited   = "请求过于频繁，请稍后再试"
	msgInternal      = "系统内部错误"
	msgMaintenance   = "系统维护中，请稍后再试"
	msgRegion        = "无权访问该行政区划的数据"
	msgNotFound      = "记录不存在"
	msgBadBody       = "请求体格式错误"
	msgMissingParam  = "缺少参数 "
	msgBadParam      = "参数取值不合法 "
	msgBatchSize     = "list 条数须在 1 至 100 之间"
	msgConflict      = "告警已处置完毕，不能提交不同的处置信息"
	msgItemUSCC      = "统一社会信用代码校验失败"
	msgItemMissing   = "必填字段缺失："
	msgItemBadCode   = "字段取值不在允许范围内："
	msgItemRegion    = "行政区划代码不属于本应用授权范围"
	msgItemConflict  = "记录正在被修改，请稍后重试"
	msgItemStore     = "记录保存失败"
)

package retry

// What a person in the street office reads about the queue: `queue list`, the console. Kept
// together so they can be reviewed at a glance.
const (
	// msgLeaseLost is recorded when a claim ran out without renewal: the worker holding it died or
	// stalled, and the item went back to the queue.
	msgLeaseLost = "处理超时：处理该条目的进程失联（租约到期），已重新排队"
	// msgReplay is recorded when an operator replays a dead item.
	msgReplay = "人工重放：已从死信重新排队"
)

// deadReasonText says, for each reason code an item can die with, why it stopped being retried.
var deadReasonText = map[string]string{
	"attempts":  "已达最大重试次数",
	"unknown":   "多次出现无法归类的错误",
	"deadline":  "超过重试期限",
	"permanent": "平台明确拒绝，重试无益",
}

// DeadReasonText is the Chinese explanation of ItemInfo.DeadReason.
func DeadReasonText(code string) string {
	if s, ok := deadReasonText[code]; ok {
		return s
	}
	return code
}

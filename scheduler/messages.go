package scheduler

// What a person reads from this package — run reasons in the history, the refusal of a run, the
// state of a job's latest tick, the notice of a Redis loss — kept together for review.
const (
	msgSkipped       = "上一次运行尚未结束，本次跳过"
	msgSkippedBy     = "上一次运行尚未结束（%s，进程 %d，%s 起），本次跳过"
	msgSuperseded    = "等待前序任务补跑期间又到了下一次计划时间，本次并入下一次运行"
	msgLockLost      = "运行锁丢失（被其他实例接管，或 Redis 数据丢失），已中止；已完成的部分已保存，下次运行时继续"
	msgFailed        = "运行出错：%s。请查看日志，排除原因后重新运行"
	msgLocked        = "%s正由 %s（进程 %d，%s 起）运行，租约 %d 秒后到期"
	msgLockedUnknown = "%s正在运行（本机或另一个实例），租约 %d 秒后到期"
	msgRedisLost     = "Redis 数据已于 %s 丢失（由 %s 发现）。未完成的同步工作由各任务下次运行时从台账找回；" +
		"尚待完整运行一次的任务：%s。如需立即恢复，请运行 streetsync sync all 和 streetsync queue drain"
)

// Outcomes as the office reads them.
var outcomeText = map[Outcome]string{
	OutcomeSuccess:             "成功",
	OutcomePartial:             "部分完成",
	OutcomePlatformUnavailable: "平台不可用",
	OutcomeFailed:              "失败",
	OutcomeSkipped:             "跳过",
}

// Text is the outcome in Chinese.
func (o Outcome) Text() string {
	if t, ok := outcomeText[o]; ok {
		return t
	}
	return string(o)
}

// The state of a job's latest tick, as the office reads it.
var tickText = map[TickState]string{
	TickOK:      "正常",
	TickLate:    "延迟",
	TickMissed:  "未运行",
	TickRunning: "运行中",
	TickDue:     "即将运行",
}

// Text is the tick state in Chinese.
func (t TickState) Text() string { return tickText[t] }

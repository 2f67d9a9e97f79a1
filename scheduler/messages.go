package scheduler

// What a person reads in the run history (console): kept together for review.
const (
	msgSkipped  = "上一次运行尚未结束，本次跳过"
	msgLockLost = "运行锁被其他实例接管，已中止"
)

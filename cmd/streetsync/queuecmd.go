package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"streetsync/mapping/mask"
	"streetsync/scheduler/clock"
	"streetsync/scheduler/retry"
)

func newQueueCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "queue", Short: "重试队列：查看、重放、丢弃、立即处理",
		Long: "重试队列（在 Redis 中）：推送、查询失败的条目在这里按退避时间自动重试；用尽次数的进入死信，等人处理。"}
	cmd.AddCommand(newQueueStatsCmd(a), newQueueListCmd(a), newQueueRetryCmd(a), newQueueDropCmd(a), newQueueDrainCmd(a))
	return cmd
}

func (a *app) queue() (*retry.Queue, error) {
	w, err := a.wiring()
	if err != nil {
		return nil, err
	}
	return w.Queue(a.ctx)
}

func newQueueStatsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "统计待处理、已排期和死信条目",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			q, err := a.queue()
			if err != nil {
				return err
			}
			st, err := q.Stats(a.ctx)
			if err != nil {
				return err
			}
			return a.printStats(st)
		},
	}
}

func (a *app) printStats(st retry.Stats) error {
	if a.format == formatJSON {
		return a.printJSON(st)
	}
	fmt.Fprintf(a.stdout, "待处理 %d（处理中 %d），已排期 %d，死信 %d\n", st.Pending, st.Active, st.Scheduled, st.Dead)
	return nil
}

// queueItem is an item as `queue list` shows it: ID numbers in keys and errors masked.
type queueItem struct {
	ID          string              `json:"id"`
	Job         string              `json:"job"`
	Key         string              `json:"key"`
	State       retry.State         `json:"state"`
	Attempts    int                 `json:"attempts"`
	NextAttempt *time.Time          `json:"nextAttempt"`
	LastError   string              `json:"lastError"`
	FirstQueued time.Time           `json:"firstQueued"`
	Deadline    time.Time           `json:"deadline"`
	DeadSince   *time.Time          `json:"deadSince,omitempty"`
	DeadReason  string              `json:"deadReason,omitempty"`
	Errors      []retry.ErrorRecord `json:"errors"`
}

// maskedItem is it as `queue list` shows it, its times in loc (schedule.timezone).
func maskedItem(it retry.ItemInfo, loc *time.Location) queueItem {
	out := queueItem{
		ID: it.ID, Job: it.Kind, Key: mask.IDsInText(it.Key), State: it.State, Attempts: it.Attempts,
		LastError: mask.IDsInText(it.LastError), FirstQueued: it.FirstQueued.In(loc), Deadline: it.Deadline.In(loc),
		DeadReason: it.DeadReason, Errors: make([]retry.ErrorRecord, len(it.Errors)),
	}
	if !it.NextAttempt.IsZero() {
		t := it.NextAttempt.In(loc)
		out.NextAttempt = &t
	}
	if !it.DeadSince.IsZero() {
		t := it.DeadSince.In(loc)
		out.DeadSince = &t
	}
	for i, e := range it.Errors {
		e.Error = mask.IDsInText(e.Error)
		e.At = e.At.In(loc)
		out.Errors[i] = e
	}
	return out
}

var stateText = map[retry.State]string{
	retry.StateDue: "待处理", retry.StateScheduled: "已排期", retry.StateActive: "处理中", retry.StateDead: "死信",
}

func newQueueListCmd(a *app) *cobra.Command {
	var (
		dead  bool
		kind  string
		limit int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "列出队列条目（--dead：死信）：任务、键、尝试次数、下次尝试时间、最近错误",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			if limit < 0 {
				return usageErr("--limit 不能是负数")
			}
			q, err := a.queue()
			if err != nil {
				return err
			}
			items, err := q.List(a.ctx, retry.ListOptions{Dead: dead, Kind: kind, Limit: limit})
			if err != nil {
				return err
			}
			out := make([]queueItem, len(items))
			for i, it := range items {
				out[i] = maskedItem(it, a.location())
			}
			if a.format == formatJSON {
				return a.printJSON(out)
			}
			if len(out) == 0 {
				if dead {
					fmt.Fprintln(a.stdout, "死信为空。")
				} else {
					fmt.Fprintln(a.stdout, "队列为空。")
				}
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\t任务\t键\t状态\t尝试次数\t下次尝试\t最近错误")
			for _, it := range out {
				next := "-"
				if it.NextAttempt != nil {
					next = a.when(*it.NextAttempt)
				}
				state := stateText[it.State]
				if it.State == retry.StateDead && it.DeadReason != "" {
					state += "（" + retry.DeadReasonText(it.DeadReason) + "）"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", it.ID, it.Job, it.Key, state, it.Attempts, next, oneLine(it.LastError, 80))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&dead, "dead", false, "列出死信（用尽重试次数的条目），而不是等待中的条目")
	cmd.Flags().StringVar(&kind, "job", "", "只列这一`类型`的条目，如 enterprise.push")
	cmd.Flags().IntVar(&limit, "limit", 0, "最多列出这么多条（0：1000 条）")
	return cmd
}

func newQueueRetryCmd(a *app) *cobra.Command {
	var allDead bool
	var kind string
	cmd := &cobra.Command{
		Use:   "retry ID... | --all-dead",
		Short: "重放死信条目：回到队列，立即到期，重试次数重新计算（重放的是台账中的当前数据）",
		RunE: func(_ *cobra.Command, ids []string) error {
			if allDead == (len(ids) > 0) {
				return usageErr("请给出要重放的死信 ID（queue list --dead 查看），或者用 --all-dead 重放全部死信，二者选一")
			}
			if kind != "" && !allDead {
				return usageErr("--job 只能和 --all-dead 一起用")
			}
			q, err := a.queue()
			if err != nil {
				return err
			}
			var n int
			if allDead {
				n, err = q.RetryAllDead(a.ctx, kind)
			} else {
				n, err = q.RetryDead(a.ctx, ids...)
			}
			if perr := a.printCount("replayed", "已重放 %d 条死信。\n", n); perr != nil {
				return perr
			}
			return queueAdminErr(err)
		},
	}
	cmd.Flags().BoolVar(&allDead, "all-dead", false, "重放全部死信")
	cmd.Flags().StringVar(&kind, "job", "", "和 --all-dead 一起用：只重放这一`类型`的死信")
	return cmd
}

func newQueueDropCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "drop ID...",
		Short: "永久丢弃条目（死信或等待中的），正在处理的除外",
		Args:  minArgs(1),
		RunE: func(_ *cobra.Command, ids []string) error {
			q, err := a.queue()
			if err != nil {
				return err
			}
			n, err := q.Drop(a.ctx, ids...)
			if perr := a.printCount("dropped", "已丢弃 %d 条。\n", n); perr != nil {
				return perr
			}
			return queueAdminErr(err)
		},
	}
}

func (a *app) printCount(key, text string, n int) error {
	if a.format == formatJSON {
		return a.printJSON(map[string]int{key: n})
	}
	fmt.Fprintf(a.stdout, text, n)
	return nil
}

// queueAdminErr says which IDs were not acted on: unknown IDs are the operator's mistake (exit 2),
// an item being worked on is a runtime condition (exit 3: try again).
func queueAdminErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, retry.ErrBusy):
		return fmt.Errorf("条目正在处理中，稍后再试：%w", err)
	case errors.Is(err, retry.ErrNotFound):
		return &exitError{code: exitUsage, err: fmt.Errorf("没有这些条目：%w", err)}
	}
	return err
}

func newQueueDrainCmd(a *app) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "drain",
		Short: "立即处理重试队列，等待已排期的条目，直到队列清空或超时；打印 queue stats",
		Long: "立即处理重试队列，等待已排期的条目，直到没有待处理和已排期的条目，或到了 --timeout；然后打印 queue stats。\n" +
			"处理较久时，每 10 秒在标准错误上报告一次进度（已处理/总数、速度、预计剩余时间），定时任务的日志里也看得到。",
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if timeout <= 0 {
				return usageErr("--timeout 必须大于 0，实为 %s", timeout)
			}
			w, err := a.wiring()
			if err != nil {
				return err
			}
			q, err := w.Queue(a.ctx)
			if err != nil {
				return err
			}
			workers, err := w.Workers(a.ctx)
			if err != nil {
				return err
			}
			before, err := q.Stats(a.ctx)
			if err != nil {
				return err
			}
			stop := a.drainProgress(q, before.Pending+before.Scheduled)
			st, err := q.Drain(a.ctx, timeout, workers...)
			stop()
			if err != nil && a.ctx.Err() == nil {
				return err
			}
			return a.printStats(st)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "最多处理这么久，如 60s、5m")
	return cmd
}

// drainSample is how often the drain's progress looks at what is left in the queue.
const drainSample = 2 * time.Second

// drainProgress shows the drain's progress — items done of those waiting at the start — by
// sampling the queue, until the returned stop is called.
func (a *app) drainProgress(q *retry.Queue, total int) (stop func()) {
	if total == 0 {
		return func() {}
	}
	p := a.progress()
	p.Begin("重试队列", "处理", total)
	ctx, cancel := context.WithCancel(a.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for clock.Sleep(ctx, a.clock, drainSample) == nil {
			if st, err := q.Stats(ctx); err == nil {
				p.Done(max(total-st.Pending-st.Scheduled, 0))
			}
		}
	}()
	return func() {
		cancel()
		<-done
		p.End()
	}
}

// oneLine shortens s to at most n runes on one line, for tables.
func oneLine(s string, n int) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\r' || c == '\t' {
			r[i] = ' '
		}
	}
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}

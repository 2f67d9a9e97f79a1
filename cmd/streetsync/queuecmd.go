package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"streetsync/internal/logging"
	"streetsync/scheduler/retry"
)

func newQueueCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "queue", Short: "重试队列：查看、重放、丢弃、立即处理"}
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
		Args:  cobra.NoArgs,
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

func maskedItem(it retry.ItemInfo) queueItem {
	out := queueItem{
		ID: it.ID, Job: it.Kind, Key: logging.MaskIDsInText(it.Key), State: it.State, Attempts: it.Attempts,
		LastError: logging.MaskIDsInText(it.LastError), FirstQueued: it.FirstQueued, Deadline: it.Deadline,
		DeadReason: it.DeadReason, Errors: make([]retry.ErrorRecord, len(it.Errors)),
	}
	if !it.NextAttempt.IsZero() {
		t := it.NextAttempt
		out.NextAttempt = &t
	}
	if !it.DeadSince.IsZero() {
		t := it.DeadSince
		out.DeadSince = &t
	}
	for i, e := range it.Errors {
		e.Error = logging.MaskIDsInText(e.Error)
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
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if limit < 0 {
				return usageErr("--limit must not be negative")
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
				out[i] = maskedItem(it)
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
					next = it.NextAttempt.Local().Format("2006-01-02 15:04:05")
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
	cmd.Flags().BoolVar(&dead, "dead", false, "list the dead letters instead of the live items")
	cmd.Flags().StringVar(&kind, "job", "", "only items of this job kind")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many items (0: 1000)")
	return cmd
}

func newQueueRetryCmd(a *app) *cobra.Command {
	var allDead bool
	var kind string
	cmd := &cobra.Command{
		Use:   "retry ID... | --all-dead",
		Short: "重放死信条目：回到队列，立即到期，重试次数重新计算",
		RunE: func(_ *cobra.Command, ids []string) error {
			if allDead == (len(ids) > 0) {
				return usageErr("name the dead items to replay, or --all-dead (not both)")
			}
			if kind != "" && !allDead {
				return usageErr("--job goes with --all-dead")
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
	cmd.Flags().BoolVar(&allDead, "all-dead", false, "replay every dead item")
	cmd.Flags().StringVar(&kind, "job", "", "with --all-dead: only dead items of this job kind")
	return cmd
}

func newQueueDropCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "drop ID...",
		Short: "永久丢弃条目（死信或等待中的），正在处理的除外",
		Args:  cobra.MinimumNArgs(1),
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
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if timeout <= 0 {
				return usageErr("--timeout must be positive, got %s", timeout)
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
			st, err := q.Drain(a.ctx, timeout, workers...)
			if err != nil && a.ctx.Err() == nil {
				return err
			}
			return a.printStats(st)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
	return cmd
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

package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/mapping"
)

func newAlarmsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "alarms", Short: "监测预警报警：记录街道的处置情况（闭环）"}
	cmd.AddCommand(newAlarmsFeedbackCmd(a))
	return cmd
}

// feedbackResult is `alarms feedback --format json`.
type feedbackResult struct {
	AlarmID   string    `json:"alarmId"`
	Status    string    `json:"status"`
	Note      string    `json:"note"`
	Handler   string    `json:"handler"`
	HandledAt time.Time `json:"handledAt"`
	// State is where the feedback stands with the platform: accepted, pending (queued) or
	// rejected (Message says why).
	State   ledger.PushState `json:"state"`
	Message string           `json:"message,omitempty"`
	Created bool             `json:"created"`
	Queued  bool             `json:"queued"`
}

var feedbackStatusText = map[string]string{"1": "处置中", "2": "已处置"}

func newAlarmsFeedbackCmd(a *app) *cobra.Command {
	var status, note, handler, at string
	cmd := &cobra.Command{
		Use:   "feedback BJID --status 1|2 --note TEXT --handler NAME",
		Short: "记录街道对一条报警的处置（1 处置中，2 已处置）并推送到泉州市平台；平台暂时不可达时进入重试队列",
		Args:  exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if feedbackStatusText[status] == "" {
				return usageErr("--status 只能是 1（处置中）或 2（已处置），实为 %q", status)
			}
			if strings.TrimSpace(note) == "" || strings.TrimSpace(handler) == "" {
				return usageErr("请用 --note 写明处置情况，用 --handler 写明处置人，两者都要有")
			}
			w, err := a.wiring()
			if err != nil {
				return err
			}
			handledAt := w.Clock().Now()
			if at != "" {
				loc := w.Config().Schedule.Location()
				if handledAt, err = parseUntil(at, handledAt, loc); err != nil || handledAt.After(w.Clock().Now()) {
					return usageErr("--at：应为已经过去的时间，如 \"2026-11-28 09:30\"（按 schedule.timezone）")
				}
			}
			st, err := w.Ledger(a.ctx)
			if err != nil {
				return err
			}
			if _, err := st.AlarmByID(a.ctx, args[0]); errors.Is(err, ledger.ErrNotFound) {
				return usageErr("台账中没有报警 %s（先运行 sync alarms 拉取报警）", args[0])
			} else if err != nil {
				return err
			}
			r, err := w.Jobs(a.ctx)
			if err != nil {
				return err
			}
			out, err := r.RecordFeedback(a.ctx, mapping.AlarmFeedback{AlarmID: args[0], Status: status, Note: note, Handler: handler, HandledAt: handledAt})
			var inv *jobs.InvalidFeedbackError
			if errors.As(err, &inv) {
				return &exitError{code: exitUsage, err: err}
			}
			if err != nil && out.Feedback.ID == 0 {
				return err
			}
			fb := out.Feedback
			res := feedbackResult{AlarmID: fb.AlarmID, Status: fb.Status, Note: fb.Note, Handler: fb.Handler, HandledAt: fb.HandledAt.In(a.location()),
				State: fb.State, Message: fb.Message, Created: out.Created, Queued: out.Queued}
			if a.format == formatJSON {
				if perr := a.printJSON(res); perr != nil {
					return perr
				}
			} else {
				a.printFeedback(res)
			}
			if err != nil {
				return err
			}
			if fb.State == ledger.PushRejected {
				return fmt.Errorf("平台拒绝了处置反馈：%s", fb.Message)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&status, "status", "", "处置`状态`：1（处置中）或 2（已处置）（必填）")
	fl.StringVar(&note, "note", "", "处置`情况`（必填）")
	fl.StringVar(&handler, "handler", "", "处置人`姓名`（必填）")
	fl.StringVar(&at, "at", "", "处置`时间`（默认现在），如 \"2026-11-28 09:30\"，按 schedule.timezone")
	return cmd
}

func (a *app) printFeedback(r feedbackResult) {
	state := map[ledger.PushState]string{
		ledger.PushAccepted: "平台已接收", ledger.PushPending: "等待推送", ledger.PushRejected: "平台拒绝",
	}[r.State]
	if r.Queued {
		state = "平台暂时不可达，已进入重试队列"
	}
	dup := ""
	if !r.Created {
		dup = "（与之前记录的反馈相同）"
	}
	fmt.Fprintf(a.stdout, "已记录报警 %s 的处置：%s，%s，处置人 %s，%s%s。%s。\n",
		r.AlarmID, feedbackStatusText[r.Status], r.Note, r.Handler, a.when(r.HandledAt), dup, state)
	if r.Message != "" {
		fmt.Fprintf(a.stdout, "平台说明：%s\n", r.Message)
	}
}

package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"streetsync/internal/alerts"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/console"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
)

// A confirmed certificate alert is a major accident hazard (contracts/hazards.md, clause 3-2 of
// 《工贸企业重大事故隐患判定标准》: a special operator working without the qualification). This file
// turns one into the other (`hazards from-alert`, the console's 判定为重大事故隐患) and ties the
// hazard's closing to the alert: when the alert resolves (the person got a valid certificate, or
// left the post), the hazard moves to 已整改 — rectified, waiting for a person to verify and close
// it (已销号 needs a note of who verified it, so it is never closed by the program).

// alertHazardPrefix starts the lybh of a hazard made from an alert: YJ-<alert key>.
const alertHazardPrefix = "YJ-"

// HazardIDForAlert is the street's id (lybh) of the hazard made from the alert key: derived, so
// that a second from-alert of the same alert is the same hazard, never a second one.
func HazardIDForAlert(key string) string {
	return alertHazardPrefix + strings.ToLower(strings.TrimSpace(key))
}

// FromAlertRequest is what a person gives to turn an alert into a hazard.
type FromAlertRequest struct {
	Key      string
	Note     string // how the alert was confirmed
	Handler  string // who confirmed it: the hazard's finder
	Deadline mapping.Date
}

// FromAlertError is a refusal in Chinese (the alert cannot become a hazard); nothing was stored.
type FromAlertError struct{ Reason string }

func (e *FromAlertError) Error() string { return e.Reason }

// HazardFromAlert records the confirmed certificate alert key as a major hazard of clause 3-2 of
// the alert's enterprise, source 街道检查, found today by the handler, due on req.Deadline (zero:
// today + hazards.defaultDeadlineDays), and pushes it at once (queued when the platform cannot be
// reached). A second call for the same alert returns the hazard recorded the first time
// (Created false) and changes nothing. Any other rule, an unknown alert or one resolved already is
// a *FromAlertError.
func (a *App) HazardFromAlert(ctx context.Context, req FromAlertRequest) (jobs.HazardOutcome, error) {
	var out jobs.HazardOutcome
	note, handler := strings.TrimSpace(req.Note), strings.TrimSpace(req.Handler)
	if note == "" || handler == "" {
		return out, &FromAlertError{Reason: "请填写核实情况（--note）和核实人（--handler）"}
	}
	st, err := a.AlertStore(ctx)
	if err != nil {
		return out, err
	}
	rec, _, err := st.History(ctx, req.Key)
	if errors.Is(err, alerts.ErrNotFound) {
		return out, &FromAlertError{Reason: fmt.Sprintf("没有预警 %s：请用 streetsync alerts list 查看预警编号", strings.TrimSpace(req.Key))}
	}
	var ie *alerts.InputError
	if errors.As(err, &ie) {
		return out, &FromAlertError{Reason: ie.Error()}
	}
	if err != nil {
		return out, err
	}
	al := &rec.Alert
	clause, ok := rules.QualificationClause(al.Rule)
	if !ok {
		return out, &FromAlertError{Reason: fmt.Sprintf("预警 %s 是“%s”，不能判定为重大事故隐患：只有无证上岗、证项不符、证书无效、证书过期四类持证预警"+
			"属于《工贸企业重大事故隐患判定标准》第三条第（二）项（特种作业人员未取得相应资格上岗作业）；逾期未复审的人员仍具备资格，请督促复审", al.Key, al.RuleName)}
	}
	store, err := a.Ledger(ctx)
	if err != nil {
		return out, err
	}
	id := HazardIDForAlert(al.Key)
	if prev, err := store.HazardByKey(ctx, id); err == nil {
		return jobs.HazardOutcome{Hazard: prev}, nil // judged before: the same hazard
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return out, err
	}
	if al.Status != notify.StatusFiring {
		return out, &FromAlertError{Reason: fmt.Sprintf("预警 %s 已解除（%s），不再构成隐患；如现场仍有问题，请用 streetsync hazards report 上报", al.Key, al.RuleName)}
	}
	today := mapping.DateOf(a.clock.Now().In(a.cfg.Schedule.Location()))
	deadline := req.Deadline
	if deadline.IsZero() {
		deadline = today.AddDays(a.cfg.Hazards.DefaultDeadlineDays)
	}
	r, err := a.Jobs(ctx)
	if err != nil {
		return out, err
	}
	return r.ReportHazard(ctx, mapping.Hazard{
		StreetID: id, USCC: al.Enterprise.USCC, Source: mapping.SourceStreet, Level: mapping.HazardMajor,
		Clause: clause, Description: alertHazardDescription(al, note), FoundOn: today, FoundBy: handler,
		Deadline: deadline, Remark: fmt.Sprintf("由持证预警 %s（%s）判定", al.Key, al.RuleName),
	})
}

// alertHazardDescription names the person (ID number masked: the alert holds it masked), the
// operation item and the rule, then the confirmation.
func alertHazardDescription(al *alerts.Alert, note string) string {
	person, item := "", ""
	if o := al.Operator; o != nil {
		person = o.Name + "（" + o.IDNumber + "）"
	}
	if it := al.Item; it != nil {
		item = it.Name
		if item == "" {
			item = it.Code
		}
	}
	return fmt.Sprintf("特种作业人员未按规定取得相应资格上岗作业：%s从事%s，%s（持证预警 %s）。街道核实：%s", person, item, al.RuleName, al.Key, note)
}

// settleAlertHazards moves each open hazard made from a certificate alert to 已整改 once its
// alert has resolved: the cause is gone, and a person verifies and closes it (销号). A failure
// is logged, never fails the check: the next check tries again.
func (a *App) settleAlertHazards(ctx context.Context, st *alerts.Store) {
	store, err := a.Ledger(ctx)
	if err != nil {
		return
	}
	var due []ledger.HazardRecord
	for h, err := range store.Hazards(ctx, ledger.HazardFilter{StreetOnly: true, Status: ledger.HazardsOpen, Level: mapping.HazardMajor}) {
		if err != nil {
			a.log.Warn("cannot read hazards made from alerts", zap.Error(err))
			return
		}
		if strings.HasPrefix(h.StreetID, alertHazardPrefix) && (h.Status == "" || h.Status == mapping.HazardPending || h.Status == mapping.HazardRectifying) {
			due = append(due, h)
		}
	}
	if len(due) == 0 {
		return
	}
	r, err := a.Jobs(ctx)
	if err != nil {
		a.log.Warn("cannot settle hazards made from alerts", zap.Error(err))
		return
	}
	for _, h := range due {
		key := strings.TrimPrefix(h.StreetID, alertHazardPrefix)
		rec, _, err := st.History(ctx, key)
		if errors.Is(err, alerts.ErrNotFound) {
			continue // forgotten after its retention: long resolved; a person closes the hazard
		}
		if err != nil || rec.Status != notify.StatusResolved {
			continue
		}
		resolved := a.clock.Now()
		if rec.ResolvedAt != nil {
			resolved = *rec.ResolvedAt
		}
		_, err = r.RecordHazardStatus(ctx, h.StreetID, mapping.HazardStatusChange{Status: mapping.HazardRectified,
			Note: fmt.Sprintf("持证预警 %s 已于 %s 解除（该人员已取得有效证书或已离岗），待街道验收销号", key,
				resolved.In(a.cfg.Schedule.Location()).Format("2006-01-02 15:04")),
			Handler: "streetsync", At: a.clock.Now()})
		if err != nil {
			a.log.Warn("cannot move a hazard made from an alert to rectified", zap.String("hazard", h.StreetID), zap.Error(err))
		}
	}
}

// consoleHazards is the console's 隐患 screen over the ledger (reads), the sync jobs (actions,
// pushed at once) and this App (from-alert, the four lists).
type consoleHazards struct {
	ledger.Store
	a      *App
	runner *jobs.Runner
}

func (c consoleHazards) ReportHazard(ctx context.Context, h mapping.Hazard) (jobs.HazardOutcome, error) {
	return c.runner.ReportHazard(ctx, h)
}

func (c consoleHazards) RecordHazardStatus(ctx context.Context, id string, ch mapping.HazardStatusChange) (jobs.HazardOutcome, error) {
	return c.runner.RecordHazardStatus(ctx, id, ch)
}

func (c consoleHazards) HazardFromAlert(ctx context.Context, key, note, handler string, deadline mapping.Date) (jobs.HazardOutcome, error) {
	out, err := c.a.HazardFromAlert(ctx, FromAlertRequest{Key: key, Note: note, Handler: handler, Deadline: deadline})
	var fe *FromAlertError
	if errors.As(err, &fe) {
		return out, &console.InputError{Reason: fe.Reason}
	}
	return out, err
}

// WriteHazardLists writes the four lists through a temporary file (the workbook package writes
// files whole or not at all) and copies it to w.
func (c consoleHazards) WriteHazardLists(ctx context.Context, w io.Writer, today mapping.Date) error {
	dir, err := os.MkdirTemp("", "streetsync-lists-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "lists.xlsx")
	cl, err := c.a.cfg.Hazards.ClauseList()
	if err != nil {
		return err
	}
	if err := workbook.WriteHazardLists(ctx, c.Store, path, today, cl); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

package main

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"streetsync/internal/alerts"
)

func newAlertsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "alerts", Short: "特种作业人员持证预警：检查、查看、督促确认、静默"}
	cmd.AddCommand(newAlertsCheckCmd(a), newAlertsListCmd(a), newAlertsAckCmd(a), newAlertsSilenceCmd(a))
	return cmd
}

func (a *app) alertStore() (*alerts.Store, error) {
	w, err := a.wiring()
	if err != nil {
		return nil, err
	}
	return w.AlertStore(a.ctx)
}

// alertsErr gives an operator's mistake (unknown key, bad input) exit status 2.
func alertsErr(err error) error {
	var ie *alerts.InputError
	if errors.As(err, &ie) || errors.Is(err, alerts.ErrNotFound) || errors.Is(err, alerts.ErrNotFiring) {
		return &exitError{code: exitUsage, err: err}
	}
	return err
}

func newAlertsCheckCmd(a *app) *cobra.Command {
	var dryRun, exitCode bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "立即按规则检查在岗特种作业人员的证书，发送新增和已解除的预警（--dry-run：不发送），列出正在预警的条目",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			w, err := a.wiring()
			if err != nil {
				return err
			}
			// The firing alerts are printed as the check records them, not gathered first: a
			// city's check holds one alert at a time.
			var out interface {
				alerts.Output
				Close(*alerts.Result) error
			}
			if a.format == formatJSON {
				out = alerts.NewJSONWriter(a.stdout)
			} else {
				out = &checkText{a: a, dryRun: dryRun}
			}
			res, err := w.CheckAlerts(a.ctx, dryRun, out)
			if cerr := out.Close(res); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			if err := res.SkippedError(); err != nil {
				return err // the rules whose data is stale were not judged: exit 3, DATA_STALE raised
			}
			if exitCode && res.Firing > 0 {
				return errFound
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "evaluate only: change and deliver nothing")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when any alert is firing")
	return cmd
}

// checkText prints `alerts check` for a person: each firing alert as the check records it (in
// roster order, so each line names its community), then the summary.
type checkText struct {
	a      *app
	dryRun bool
}

func (t *checkText) Firing(al *alerts.Alert) error {
	community := al.Community
	if community == "" {
		community = "未填社区"
	}
	_, err := fmt.Fprintf(t.a.stdout, "【%s】%s\n", community, alertLine(al))
	return err
}

func (t *checkText) Close(res *alerts.Result) error {
	if res == nil {
		return nil
	}
	w := t.a.stdout
	fmt.Fprintf(w, "\n在岗人员 %d 人次；正在预警 %d 条", res.Evaluated, res.Firing)
	var parts []string
	for _, r := range alerts.Rules {
		if n := res.ByRule[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", alerts.RuleName(r), n))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "（%s）", strings.Join(parts, "，"))
	}
	if res.Unknown > 0 {
		fmt.Fprintf(w, "；%d 人次的证书尚未查询到结果（查询失败待重试），本次未判断", res.Unknown)
	}
	if t.dryRun {
		fmt.Fprintln(w, "。试运行：未发送任何通知。")
	} else {
		fmt.Fprintf(w, "。本次发送：新预警 %d 条，解除 %d 条。\n", res.Delivered.Firing, res.Delivered.Resolved)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(w, "未判断：%s\n", s.Reason)
	}
	return nil
}

// alertLine is one alert on one line and its message on the next.
func alertLine(al *alerts.Alert) string {
	mark := ""
	if al.Acknowledged != nil {
		mark += " [已督促]"
	}
	if al.Escalated {
		mark += " [已升级]"
	}
	return fmt.Sprintf("%s %s %s%s\n    %s", al.Key, severityText(al.Severity), al.RuleName, mark, al.Message)
}

func (a *app) printAlertLines(list []alerts.Record) {
	community := "\x00"
	for i := range list {
		al := &list[i].Alert
		if al.Community != community {
			community = al.Community
			name := community
			if name == "" {
				name = "（未填社区）"
			}
			fmt.Fprintf(a.stdout, "\n【%s】\n", name)
		}
		fmt.Fprintf(a.stdout, "  %s\n", alertLine(al))
	}
}

func severityText(s string) string {
	if s == "critical" {
		return "严重"
	}
	return "提醒"
}

func newAlertsListCmd(a *app) *cobra.Command {
	var f alerts.Filter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "查看预警（--community 社区，--rule 规则，--status firing|resolved|acknowledged|silenced|escalated）",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if f.Rule != "" && !isRule(f.Rule) {
				return usageErr("unknown rule %q: want one of %s", f.Rule, strings.Join(alerts.Rules, ", "))
			}
			st, err := a.alertStore()
			if err != nil {
				return err
			}
			p, err := st.Page(a.ctx, f)
			if err != nil {
				return alertsErr(err)
			}
			if a.format == formatJSON {
				return a.printJSON(p)
			}
			if p.Total == 0 {
				fmt.Fprintln(a.stdout, "没有符合条件的预警。")
				return nil
			}
			fmt.Fprintf(a.stdout, "共 %d 条预警", p.Total)
			if p.Pages > 1 {
				fmt.Fprintf(a.stdout, "，第 %d/%d 页（--page 翻页）", p.Page, p.Pages)
			}
			fmt.Fprint(a.stdout, "。")
			a.printAlertLines(p.Alerts)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Community, "community", "", "only this community's alerts")
	fl.StringVar(&f.Rule, "rule", "", "only this rule's alerts (e.g. CERT_EXPIRED)")
	fl.StringVar(&f.Status, "status", "", "firing, resolved, acknowledged, silenced or escalated")
	fl.StringVar(&f.Family, "family", "", "certificate, alarm or system")
	fl.StringVar(&f.Severity, "severity", "", "critical or warning")
	fl.StringVar(&f.Enterprise, "enterprise", "", "only this enterprise's alerts (its USCC)")
	fl.StringVar(&f.Search, "search", "", "a name, an ID or certificate number (masked or whole), an enterprise")
	fl.IntVar(&f.Page, "page", 1, "which page")
	fl.IntVar(&f.PageSize, "page-size", 1000, "alerts per page (at most 1000)")
	return cmd
}

func isRule(r string) bool {
	for _, x := range alerts.Rules {
		if x == r {
			return true
		}
	}
	return false
}

// operatorName is who did it, for acknowledgements and silences: --by, else the login name.
func operatorName(by string) string {
	if by != "" {
		return by
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "cli"
}

func newAlertsAckCmd(a *app) *cobra.Command {
	var note, by string
	cmd := &cobra.Command{
		Use:   "ack KEY --note TEXT",
		Short: "督促确认一条正在预警的条目：重复提醒停止，直到预警发生变化",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if strings.TrimSpace(note) == "" {
				return usageErr("--note is required: say what was done")
			}
			st, err := a.alertStore()
			if err != nil {
				return err
			}
			who := operatorName(by)
			if err := st.Ack(a.ctx, args[0], who, note); err != nil {
				return alertsErr(err)
			}
			if a.format == formatJSON {
				return a.printJSON(map[string]any{"key": strings.ToLower(strings.TrimSpace(args[0])), "acknowledged": true, "by": who, "note": note})
			}
			fmt.Fprintf(a.stdout, "已督促确认预警 %s（%s）。\n", args[0], who)
			return nil
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "what was done (required)")
	cmd.Flags().StringVar(&by, "by", "", "who acknowledges (default: the login name)")
	return cmd
}

func newAlertsSilenceCmd(a *app) *cobra.Command {
	var id, until, reason, by, community, rule string
	cmd := &cobra.Command{
		Use:   "silence --id ID --until TIME --reason TEXT",
		Short: "静默预警到某个时间：--id 为预警 KEY 或身份证号（该人的全部预警）；也可按 --community、--rule 静默",
		Long: "静默期间预警照常检查和解除，只是不发送通知。--until 可以是 RFC 3339 时间、\"2006-01-02 15:04\"、日期（当天结束时）\n" +
			"或时长（72h、7d），按 schedule.timezone 解释。",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if id == "" && community == "" && rule == "" {
				return usageErr("say what to silence: --id KEY|ID-NUMBER, --community or --rule")
			}
			if strings.TrimSpace(reason) == "" {
				return usageErr("--reason is required")
			}
			if rule != "" && !isRule(rule) {
				return usageErr("unknown rule %q: want one of %s", rule, strings.Join(alerts.Rules, ", "))
			}
			var m alerts.Matcher
			if id != "" {
				var err error
				if m, err = alerts.ParseTarget(id); err != nil {
					return alertsErr(err)
				}
			}
			m.Community, m.Rule = community, rule
			w, err := a.wiring()
			if err != nil {
				return err
			}
			loc := w.Config().Schedule.Location()
			end, err := parseUntil(until, w.Clock().Now().In(loc), loc)
			if err != nil {
				return usageErr("--until: %v", err)
			}
			st, err := w.AlertStore(a.ctx)
			if err != nil {
				return err
			}
			sl, err := st.Silence(a.ctx, m, end, reason, operatorName(by))
			if err != nil {
				return alertsErr(err)
			}
			if a.format == formatJSON {
				return a.printJSON(sl)
			}
			fmt.Fprintf(a.stdout, "已静默（编号 %s），至 %s。\n", sl.ID, sl.Until.Format("2006-01-02 15:04"))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&id, "id", "", "an alert's KEY, or an ID number (all that person's alerts)")
	fl.StringVar(&until, "until", "", "until when (required): 2026-12-31T18:00:00+08:00, \"2026-12-31 18:00\", 2026-12-31, 72h or 7d")
	fl.StringVar(&reason, "reason", "", "why (required)")
	fl.StringVar(&by, "by", "", "who silences (default: the login name)")
	fl.StringVar(&community, "community", "", "only this community's alerts")
	fl.StringVar(&rule, "rule", "", "only this rule's alerts")
	return cmd
}

// parseUntil reads --until: an RFC 3339 time, a local "date time", a date (silenced through
// that whole day), or a duration from now (Go's, or N days as "7d").
func parseUntil(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("required")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err == nil && n > 0 && fmt.Sprint(n) == days {
			return now.AddDate(0, 0, n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time, date or duration", s)
}

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"streetsync/internal/alerts"
	"streetsync/internal/alerts/notify"
)

func newAlertsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "alerts", Short: "预警：检查、查看、督促确认、静默和解除静默",
		Long: "特种作业人员持证预警、报警未处置和系统预警。预警的状态（历史、督促、静默）保存在台账数据库中。"}
	cmd.AddCommand(newAlertsCheckCmd(a), newAlertsListCmd(a), newAlertsAckCmd(a), newAlertsSilenceCmd(a),
		newAlertsSilencesCmd(a), newAlertsUnsilenceCmd(a))
	return cmd
}

func (a *app) alertStore() (*alerts.Store, error) {
	w, err := a.wiring()
	if err != nil {
		return nil, err
	}
	return w.AlertStore(a.ctx)
}

// alertsErr gives an operator's mistake (unknown key, bad input, an ambiguous ID number) exit
// status 2.
func alertsErr(err error) error {
	var ie *alerts.InputError
	var amb *alerts.AmbiguousError
	if errors.As(err, &ie) || errors.As(err, &amb) || errors.Is(err, alerts.ErrNotFound) || errors.Is(err, alerts.ErrNotFiring) {
		return &exitError{code: exitUsage, err: err}
	}
	return err
}

func newAlertsCheckCmd(a *app) *cobra.Command {
	var dryRun, exitCode bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "立即按规则检查在岗特种作业人员的证书，发送新增和已解除的预警（--dry-run：不发送），列出正在预警的条目",
		Long: "立即按规则检查：持证预警（在岗人员的证书）、报警未处置和系统预警；发送新增和已解除的预警，列出正在预警的条目。\n" +
			"数据过旧（上次成功同步早于 alerts.maxDataAge）的那一类规则本次不判断，并发出 DATA_STALE 预警，退出状态 3。",
		Args: noArgs,
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
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "只检查：不改变预警状态，不发送任何通知")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "有正在预警的条目时以 1 退出（给脚本用）")
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
	_, err := fmt.Fprintf(t.a.stdout, "【%s】%s\n", community, t.a.alertLine(al))
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

// alertLine is one alert on one line — key, severity, rule, since when — and its message on the
// next.
func (a *app) alertLine(al *alerts.Alert) string {
	mark := ""
	if al.Acknowledged != nil {
		mark += " [已督促]"
	}
	if al.Escalated {
		mark += " [已升级]"
	}
	since := ""
	if !al.Since.IsZero() {
		since = " 自 " + a.when(al.Since)
	}
	return fmt.Sprintf("%s %s %s%s%s\n    %s", al.Key, severityText(al.Severity), al.RuleName, since, mark, al.Message)
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
		fmt.Fprintf(a.stdout, "  %s\n", a.alertLine(al))
	}
}

func severityText(s string) string {
	if s == notify.SeverityCritical {
		return "严重"
	}
	return "提醒"
}

func newAlertsListCmd(a *app) *cobra.Command {
	var f alerts.Filter
	cmd := &cobra.Command{
		Use:   "list",
		Short: "查看预警（--community 社区，--rule 规则代码或中文名称，--status 状态，--search 姓名、身份证号、证号或企业）",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			rule, err := ruleFlag(f.Rule)
			if err != nil {
				return err
			}
			f.Rule = rule
			st, err := a.alertStore()
			if err != nil {
				return err
			}
			if f.Community, err = a.communityFlag(st, f.Community); err != nil {
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
	fl.StringVar(&f.Community, "community", "", "只看这个`社区`的预警，如 林口社区（也可写 林口）")
	fl.StringVar(&f.Rule, "rule", "", "只看这条`规则`的预警：代码（CERT_EXPIRED）或中文名称（证书过期）")
	fl.StringVar(&f.Status, "status", "", "按`状态`：firing（正在预警）、resolved（已解除）、acknowledged（已督促）、silenced（已静默）、escalated（已升级）")
	fl.StringVar(&f.Family, "family", "", "按`类别`：certificate（持证）、alarm（报警）、hazard（隐患）、inspection（带队检查）、drill（演练）、system（系统）")
	fl.StringVar(&f.Severity, "severity", "", "按`级别`：critical（严重）或 warning（提醒）")
	fl.StringVar(&f.Enterprise, "enterprise", "", "只看这家企业的预警（统一社会信用`代码`）")
	fl.StringVar(&f.Search, "search", "", "搜索`文本`：姓名、身份证号或证号（完整或脱敏的）、企业名称")
	fl.IntVar(&f.Page, "page", 1, "第几`页`")
	fl.IntVar(&f.PageSize, "page-size", 1000, "每页`条数`（最多 1000）")
	return cmd
}

// ruleFlag is a --rule value as a rule's code: a code in any case or a Chinese name.
func ruleFlag(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	code, ok := alerts.RuleCode(s)
	if !ok {
		return "", usageErr("--rule：没有预警规则 %q。可用代码或中文名称：%s", s, alerts.RuleChoices())
	}
	return code, nil
}

// communityFlag checks a --community value against the street's communities (region.communities)
// and those with open alerts; "林口" names 林口社区. A name that matches none is refused with
// the valid ones listed, instead of listing nothing.
func (a *app) communityFlag(st *alerts.Store, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	known, err := st.Communities(a.ctx)
	if err != nil {
		return "", err
	}
	for _, c := range a.cfg.Region.Communities {
		if !slices.Contains(known, c) {
			known = append(known, c)
		}
	}
	if len(known) == 0 || slices.Contains(known, s) {
		return s, nil
	}
	if slices.Contains(known, s+"社区") {
		return s + "社区", nil
	}
	return "", usageErr("--community：没有名为 %q 的社区。可用：%s", s, strings.Join(known, "、"))
}

// operatorName is who did it, for acknowledgements and silences: --by, else operator.name in the
// configuration. Never the login name: an office shares one account.
func (a *app) operatorName(by string) (string, error) {
	if by = strings.TrimSpace(by); by != "" {
		return by, nil
	}
	if n := strings.TrimSpace(a.cfg.Operator.Name); n != "" {
		return n, nil
	}
	return "", usageErr("请用 --by 写明是谁（如 --by 张三），或在配置文件中设置 operator.name")
}

func newAlertsAckCmd(a *app) *cobra.Command {
	var note, by string
	cmd := &cobra.Command{
		Use:   "ack KEY|身份证号 --note TEXT",
		Short: "督促确认一条正在预警的条目：重复提醒停止，直到预警发生变化",
		Long: "督促确认一条正在预警的条目（记下谁、做了什么）：重复提醒停止，直到预警发生变化；升级照常。\n" +
			"可以给预警的 KEY，或者身份证号——完整的，或输出里显示的脱敏形式（350582********123X）——当这个人只有一条正在预警的条目时；\n" +
			"有多条（或脱敏号码对应多人）时列出候选的 KEY。记录的人是 --by，否则是配置 operator.name。",
		Args: exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if strings.TrimSpace(note) == "" {
				return usageErr("请用 --note 写明督促情况，如 --note \"已电话督促企业停止其作业\"")
			}
			st, err := a.alertStore()
			if err != nil {
				return err
			}
			who, err := a.operatorName(by)
			if err != nil {
				return err
			}
			key, err := st.ResolveAlert(a.ctx, args[0])
			if err != nil {
				return alertsErr(err)
			}
			if err := st.Ack(a.ctx, key, who, note); err != nil {
				return alertsErr(err)
			}
			if a.format == formatJSON {
				return a.printJSON(map[string]any{"key": key, "acknowledged": true, "by": who, "note": note})
			}
			fmt.Fprintf(a.stdout, "已督促确认预警 %s（%s）。\n", key, who)
			return nil
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "督促`情况`（必填）")
	cmd.Flags().StringVar(&by, "by", "", "督促人`姓名`（默认：配置 operator.name）")
	return cmd
}

// previewed is how many of the alerts a silence covers its preview lists.
const previewed = 20

func newAlertsSilenceCmd(a *app) *cobra.Command {
	var (
		id, until, reason, by, community, rule string
		includeCritical, yes                   bool
	)
	cmd := &cobra.Command{
		Use:   "silence --id KEY|身份证号 --until TIME --reason TEXT",
		Short: "静默预警到某个时间（先预览会静默哪些，再确认）：按 --id、--community、--rule 选择；严重预警要加 --include-critical",
		Long: "静默期间预警照常检查和解除，只是不发送通知。先列出会被静默的正在预警的条目，在终端上请你确认（脚本里用 --yes）。\n" +
			"--id 是预警 KEY，或身份证号（该人的全部预警；可以是输出里显示的脱敏形式，只要它在正在预警的条目中只对应一个人）；\n" +
			"--community、--rule（代码或中文名称）也可单独或组合使用。\n" +
			"不加 --include-critical 时只静默提醒级（warning）的预警：以后在同一范围内出现的严重预警（如无证上岗）照常通知。\n" +
			"--until 可以是 RFC 3339 时间、\"2006-01-02 15:04\"、日期（当天结束时）或时长（72h、7d），按 schedule.timezone 解释。",
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if id == "" && community == "" && rule == "" {
				return usageErr("请说明静默哪些预警：--id KEY|身份证号、--community 社区 或 --rule 规则")
			}
			if strings.TrimSpace(reason) == "" {
				return usageErr("请用 --reason 写明静默原因，如 --reason \"企业停产检修\"")
			}
			code, err := ruleFlag(rule)
			if err != nil {
				return err
			}
			w, err := a.wiring()
			if err != nil {
				return err
			}
			who, err := a.operatorName(by)
			if err != nil {
				return err
			}
			loc := a.location()
			end, err := parseUntil(until, w.Clock().Now().In(loc), loc)
			if err != nil {
				return usageErr("--until：%v", err)
			}
			st, err := w.AlertStore(a.ctx)
			if err != nil {
				return err
			}
			var m alerts.Matcher
			if id != "" {
				if m, err = st.ResolveTarget(a.ctx, id); err != nil {
					return alertsErr(err)
				}
			}
			m.Rule = code
			if m.Community, err = a.communityFlag(st, community); err != nil {
				return err
			}
			plan, err := a.planSilence(st, m, includeCritical)
			if err != nil {
				return err
			}
			// What it would hold back, before anything is stored.
			preview := a.stdout
			if a.format == formatJSON {
				preview = a.stderr
			}
			if a.format == formatText || (!yes && a.stdinTerminal) {
				a.printSilencePlan(preview, plan, end)
			}
			switch {
			case yes:
			case !a.stdinTerminal:
				return usageErr("没有终端可以确认：请看清上面会静默的预警，确认无误后加 --yes 重新运行")
			case !a.confirm(preview, "确认静默？输入 y 确认，其他任意键取消："):
				fmt.Fprintln(preview, "已取消，没有静默任何预警。")
				return nil
			}
			sl, err := st.Silence(a.ctx, plan.matcher, end, reason, who)
			if err != nil {
				return alertsErr(err)
			}
			if a.format == formatJSON {
				return a.printJSON(alerts.SilenceCover{Silence: sl, Covers: plan.covers})
			}
			fmt.Fprintf(a.stdout, "已静默（编号 %s），至 %s，覆盖正在预警的 %d 条。解除：streetsync alerts unsilence %s\n",
				sl.ID, a.when(sl.Until), plan.covers, sl.ID)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&id, "id", "", "预警 KEY 或身份证号（`编号`；身份证号：该人的全部预警，可用脱敏形式）")
	fl.StringVar(&until, "until", "", "静默到什么`时间`（必填）：2026-12-31T18:00:00+08:00、\"2026-12-31 18:00\"、2026-12-31、72h 或 7d")
	fl.StringVar(&reason, "reason", "", "静默`原因`（必填）")
	fl.StringVar(&by, "by", "", "设置人`姓名`（默认：配置 operator.name）")
	fl.StringVar(&community, "community", "", "只静默这个`社区`的预警")
	fl.StringVar(&rule, "rule", "", "只静默这条`规则`的预警：代码或中文名称")
	fl.BoolVar(&includeCritical, "include-critical", false, "连严重预警（无证上岗、证书过期等）也静默；不加时只静默提醒级预警")
	fl.BoolVar(&yes, "yes", false, "不询问，直接静默（给脚本用；先不加它运行一次看预览）")
	return cmd
}

// silencePlan is what a silence would do: its matcher, the firing alerts it covers, and the
// critical ones it leaves out (without --include-critical).
type silencePlan struct {
	matcher  alerts.Matcher
	shown    []alerts.Record
	covers   int
	critical int // firing critical alerts in scope left out
}

// planSilence decides the silence's reach. Without --include-critical it holds back warnings
// only; one that could then hold back nothing at all — a critical alert's key, a critical rule,
// or a scope whose firing alerts are all critical — is refused, saying how to include them.
func (a *app) planSilence(st *alerts.Store, m alerts.Matcher, includeCritical bool) (silencePlan, error) {
	p := silencePlan{matcher: m}
	if !includeCritical {
		if m.Rule != "" && alerts.RuleSeverity(m.Rule) == notify.SeverityCritical {
			return p, usageErr("规则 %s（%s）是严重预警：确要静默，请加 --include-critical", m.Rule, alerts.RuleName(m.Rule))
		}
		crit := m
		crit.Severity = notify.SeverityCritical
		var err error
		if _, p.critical, err = st.Covered(a.ctx, crit, 0); err != nil {
			return p, err
		}
		p.matcher.Severity = notify.SeverityWarning
	}
	var err error
	if p.shown, p.covers, err = st.Covered(a.ctx, p.matcher, previewed); err != nil {
		return p, err
	}
	if p.covers == 0 && p.critical > 0 {
		return p, usageErr("所选范围内正在预警的 %d 条都是严重预警，不加 --include-critical 时一条也不会静默。确要静默严重预警，请加 --include-critical", p.critical)
	}
	return p, nil
}

func (a *app) printSilencePlan(w io.Writer, p silencePlan, until time.Time) {
	fmt.Fprintf(w, "将静默到 %s，覆盖正在预警的 %d 条", a.when(until), p.covers)
	if p.covers == 0 {
		fmt.Fprint(w, "（以后在这个范围内出现的预警也会被静默）")
	}
	fmt.Fprintln(w, "：")
	for i := range p.shown {
		al := &p.shown[i].Alert
		fmt.Fprintf(w, "  【%s】%s\n", al.Community, a.alertLine(al))
	}
	if more := p.covers - len(p.shown); more > 0 {
		fmt.Fprintf(w, "  ……另有 %d 条（alerts list 查看）\n", more)
	}
	if p.matcher.Severity == notify.SeverityWarning {
		fmt.Fprint(w, "只静默提醒级预警；严重预警照常通知")
		if p.critical > 0 {
			fmt.Fprintf(w, "（这个范围内正在预警的严重预警有 %d 条，不在静默之列）", p.critical)
		}
		fmt.Fprintln(w, "。要一并静默严重预警，加 --include-critical。")
	}
}

// confirm asks on the terminal and reads one answer line.
func (a *app) confirm(w io.Writer, question string) bool {
	fmt.Fprint(w, question)
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes", "是", "确认":
		return true
	}
	return false
}

func newAlertsSilencesCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "silences",
		Short: "列出正在生效的静默：编号、范围、至何时、原因、设置人、覆盖正在预警的条数",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			st, err := a.alertStore()
			if err != nil {
				return err
			}
			list, err := st.SilencesCovering(a.ctx)
			if err != nil {
				return err
			}
			if a.format == formatJSON {
				if list == nil {
					list = []alerts.SilenceCover{}
				}
				return a.printJSON(list)
			}
			if len(list) == 0 {
				fmt.Fprintln(a.stdout, "没有正在生效的静默。")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "编号\t范围\t至\t覆盖\t原因\t设置人\t设置于")
			for _, sl := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d 条\t%s\t%s\t%s\n", sl.ID, a.scopeText(st, sl.Matcher), a.when(sl.Until), sl.Covers,
					oneLine(sl.Reason, 40), sl.By, a.when(sl.CreatedAt))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, "\n解除：streetsync alerts unsilence 编号")
			return nil
		},
	}
}

// scopeText says in Chinese what a silence matches. A person is named by one of their firing
// alerts (the silence keeps only a hash of the ID number).
func (a *app) scopeText(st *alerts.Store, m alerts.Matcher) string {
	var parts []string
	if m.Key != "" {
		parts = append(parts, "预警 "+m.Key)
	}
	if m.IDHash != "" {
		person := "某人（当前没有正在预警的条目）"
		if recs, _, err := st.Covered(a.ctx, alerts.Matcher{IDHash: m.IDHash}, 1); err == nil && len(recs) > 0 && recs[0].Operator != nil {
			person = recs[0].Operator.Name + " " + recs[0].Operator.IDNumber
		}
		parts = append(parts, person+" 的全部预警")
	}
	if m.Community != "" {
		parts = append(parts, m.Community)
	}
	if m.Rule != "" {
		parts = append(parts, alerts.RuleName(m.Rule))
	}
	switch m.Severity {
	case notify.SeverityWarning:
		parts = append(parts, "仅提醒级")
	case notify.SeverityCritical:
		parts = append(parts, "仅严重")
	}
	return strings.Join(parts, "，")
}

func newAlertsUnsilenceCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "unsilence 编号",
		Short: "立即解除一条静默（编号见 alerts silences）：被它压下、仍在预警的条目随后照常通知",
		Args:  exactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			st, err := a.alertStore()
			if err != nil {
				return err
			}
			if err := st.Unsilence(a.ctx, args[0]); err != nil {
				return alertsErr(err)
			}
			if a.format == formatJSON {
				return a.printJSON(map[string]any{"id": strings.TrimSpace(args[0]), "unsilenced": true})
			}
			fmt.Fprintf(a.stdout, "已解除静默 %s。仍在预警的条目将在下一次预警检查时照常通知。\n", strings.TrimSpace(args[0]))
			return nil
		},
	}
}

// parseUntil reads --until: an RFC 3339 time, a local "date time", a date (silenced through
// that whole day), or a duration from now (Go's, or N days as "7d").
func parseUntil(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("必须给出，如 2026-12-31、\"2026-12-31 18:00\"、72h 或 7d")
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
	return time.Time{}, fmt.Errorf("%q 不是时间、日期或时长；可写 2026-12-31、\"2026-12-31 18:00\"、2026-12-31T18:00:00+08:00、72h 或 7d", s)
}

package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	wiring "streetsync/internal/app"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// The hazards command group (contracts/hazards.md, "Commands"): the hazard ledger, a street
// finding, a confirmed certificate alert made a major hazard (from-alert), a status change and the
// four lists.

func newHazardsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "hazards", Short: "隐患台账：查看、上报隐患、把持证预警判定为重大事故隐患、记录整改进度和销号、导出四个清单"}
	cmd.AddCommand(newHazardsListCmd(a), newHazardsReportCmd(a), newHazardsFromAlertCmd(a), newHazardsStatusCmd(a), newHazardsListsCmd(a))
	return cmd
}

// hazardJSON is one hazard of `hazards list --format json`.
type hazardJSON struct {
	ID          string         `json:"id"`
	Yhid        string         `json:"yhid"`
	Enterprise  enterpriseJSON `json:"enterprise"`
	Community   string         `json:"community"`
	Level       string         `json:"level"`
	Clause      string         `json:"clause"`
	Description string         `json:"description"`
	FoundOn     mapping.Date   `json:"foundOn"`
	Deadline    mapping.Date   `json:"deadline"`
	Status      string         `json:"status"`
	Overdue     bool           `json:"overdue"`
	Source      string         `json:"source"`
}

type enterpriseJSON struct {
	USCC string `json:"uscc"`
	Name string `json:"name"`
}

// hazardListJSON is `hazards list --format json`: the hazards listed, and of them how many are
// open, open and major, and overdue.
type hazardListJSON struct {
	Hazards []hazardJSON `json:"hazards"`
	Open    int          `json:"open"`
	Major   int          `json:"major"`
	Overdue int          `json:"overdue"`
}

func hazardView(r *ledger.HazardRecord, today mapping.Date) hazardJSON {
	h := &r.Hazard
	return hazardJSON{ID: h.Key(), Yhid: h.ID, Enterprise: enterpriseJSON{USCC: h.USCC, Name: h.EnterpriseName},
		Community: r.Community, Level: h.Level.Label(), Clause: h.Clause, Description: mask.IDsInText(h.Description),
		FoundOn: h.FoundOn, Deadline: h.Deadline, Status: statusText(h.Status), Overdue: h.Overdue(today),
		Source: h.Source.Label()}
}

func statusText(s mapping.HazardStatus) string {
	if s == "" {
		return mapping.HazardPending.Label()
	}
	return s.Label()
}

// hazardStatuses are --status's values of `hazards list`.
var hazardStatuses = map[string]bool{ledger.HazardsOpen: true, ledger.HazardsOverdue: true, ledger.HazardsClosed: true}

func newHazardsListCmd(a *app) *cobra.Command {
	var community, level, status, uscc string
	cmd := &cobra.Command{
		Use:   "list [--community C] [--level 一般|重大] [--status open|overdue|closed] [--enterprise USCC]",
		Short: "列出隐患台账（街道上报的和企业自查的），可按社区、等级、状态、企业筛选",
		Long: "列出隐患台账中的隐患：隐患编号（企业自查的为平台隐患ID）、企业、社区、等级、整改状态、整改期限。\n" +
			"--status open 为未销号的，overdue 为已过整改期限仍在“待整改”或“整改中”的，closed 为已销号的。\n" +
			"台账中的平台数据来自最近一次 streetsync sync hazards。",
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			f := ledger.HazardFilter{Community: strings.TrimSpace(community), Status: status}
			if level != "" {
				lv, ok := mapping.ParseHazardLevel(level)
				if !ok {
					return usageErr("--level 应为 一般 或 重大，实为 %q", level)
				}
				f.Level = lv
			}
			if status != "" && !hazardStatuses[status] {
				return usageErr("--status 应为 open（未销号）、overdue（逾期）或 closed（已销号），实为 %q", status)
			}
			if uscc != "" {
				f.USCC = mapping.NormalizeUSCC(uscc)
				if !mapping.CheckUSCC(f.USCC).OK() {
					return usageErr("--enterprise 不是有效的统一社会信用代码：%s", uscc)
				}
			}
			w, err := a.wiring()
			if err != nil {
				return err
			}
			today := hazardToday(w)
			f.Today = today
			st, err := w.Ledger(a.ctx)
			if err != nil {
				return err
			}
			out := hazardListJSON{Hazards: []hazardJSON{}}
			for r, err := range st.Hazards(a.ctx, f) {
				if err != nil {
					return err
				}
				v := hazardView(&r, today)
				out.Hazards = append(out.Hazards, v)
				if r.Open() {
					out.Open++
					if r.Major() {
						out.Major++
					}
				}
				if v.Overdue {
					out.Overdue++
				}
			}
			if a.format == formatJSON {
				return a.printJSON(out)
			}
			a.printHazards(out)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&community, "community", "", "只列该社区的企业的隐患，如 林口社区")
	fl.StringVar(&level, "level", "", "一般 或 重大")
	fl.StringVar(&status, "status", "", "open（未销号）、overdue（逾期）或 closed（已销号）")
	fl.StringVar(&uscc, "enterprise", "", "只列该企业（统一社会信用代码）的隐患")
	return cmd
}

func (a *app) printHazards(out hazardListJSON) {
	if len(out.Hazards) == 0 {
		fmt.Fprintln(a.stdout, "没有符合条件的隐患。")
		return
	}
	fmt.Fprintf(a.stdout, "%-22s  %-4s  %-6s  %-10s  %-4s  %-10s  %s\n", "隐患编号", "等级", "状态", "整改期限", "逾期", "社区", "企业 / 隐患描述")
	for _, h := range out.Hazards {
		overdue := ""
		if h.Overdue {
			overdue = "逾期"
		}
		fmt.Fprintf(a.stdout, "%-22s  %-4s  %-6s  %-10s  %-4s  %-10s  %s：%s\n", h.ID, h.Level, h.Status, h.Deadline, overdue,
			h.Community, h.Enterprise.Name, clip(h.Description, 40))
	}
	fmt.Fprintf(a.stdout, "共 %d 条：未销号 %d 条，其中重大事故隐患 %d 条；逾期未整改 %d 条。\n", len(out.Hazards), out.Open, out.Major, out.Overdue)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// clauses are the configured judgement clauses (nil: the built-in list).
func (a *app) clauses() *mapping.Clauses {
	if a.cfg == nil {
		return nil
	}
	cl, err := a.cfg.Hazards.ClauseList() // validated when the config was loaded
	if err != nil {
		return nil
	}
	return cl
}

// hazardToday is today in the schedule's time zone.
func hazardToday(w *wiring.App) mapping.Date {
	return mapping.DateOf(w.Clock().Now().In(w.Config().Schedule.Location()))
}

// hazardOutcomeJSON is `hazards report` and `hazards status` with --format json.
type hazardOutcomeJSON struct {
	Hazard  hazardJSON `json:"hazard"`
	Created bool       `json:"created"`
	Pushed  bool       `json:"pushed"`
	Queued  bool       `json:"queued"`
	// Rejected: the platform refused it; Message says why (the hazard stays in the ledger, its
	// push in quarantine).
	Rejected bool   `json:"rejected"`
	Message  string `json:"message,omitempty"`
}

func (a *app) finishHazard(w *wiring.App, out jobs.HazardOutcome, err error, what string) error {
	var inv *jobs.InvalidHazardError
	if errors.As(err, &inv) {
		return &exitError{code: exitUsage, err: err}
	}
	if err != nil {
		return err
	}
	res := hazardOutcomeJSON{Hazard: hazardView(&out.Hazard, hazardToday(w)), Created: out.Created, Pushed: out.Pushed,
		Queued: out.Queued, Rejected: out.Rejected, Message: out.Reason}
	if a.format == formatJSON {
		if err := a.printJSON(res); err != nil {
			return err
		}
	} else {
		h := res.Hazard
		again := ""
		if !out.Created {
			again = "（与之前记录的相同）"
		}
		fmt.Fprintf(a.stdout, "%s%s：%s %s，%s隐患，%s，整改期限 %s。\n", what, again, h.ID, h.Enterprise.Name, h.Level, h.Status, h.Deadline)
		switch {
		case out.Pushed:
			fmt.Fprintf(a.stdout, "泉州平台已接收（平台隐患ID %s）。\n", h.Yhid)
		case out.Queued:
			fmt.Fprintf(a.stdout, "暂未推送到泉州平台，已进入重试队列，将自动推送：%s\n", out.Reason)
		case out.Rejected:
		default:
			fmt.Fprintln(a.stdout, "泉州平台上已是这样，无需推送。")
		}
	}
	if out.Rejected {
		return fmt.Errorf("泉州平台拒绝了该隐患的推送：%s", out.Reason)
	}
	return nil
}

func newHazardsReportCmd(a *app) *cobra.Command {
	var desc, level, clause, deadline, foundBy, location, at, responsible, measures, id string
	cmd := &cobra.Command{
		Use:   "report USCC --desc TEXT --level 一般|重大 [--clause 3-2] --deadline DATE [--found-by NAME] [--location TEXT] [--at DATE]",
		Short: "上报街道检查发现的隐患：记入台账并推送到泉州平台；平台暂时不可达时进入重试队列",
		Long: "上报街道检查发现的隐患（来源：街道检查）。重大事故隐患必须写明判定依据（--clause，条款编号 3-2 或条文 第三条第（二）项）。\n" +
			"--at 为发现日期（默认今天），--deadline 为整改期限，不能早于发现日期。隐患编号自动生成（也可用 --id 指定）；\n" +
			"同一隐患再次上报不会重复记录，也不会在平台上重复创建。",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if strings.TrimSpace(desc) == "" || level == "" || deadline == "" {
				return usageErr("--desc、--level 和 --deadline 必须填写")
			}
			w, err := a.wiring()
			if err != nil {
				return err
			}
			today := hazardToday(w)
			found := today
			if at != "" {
				if found, err = mapping.ParseDate(at); err != nil {
					return usageErr("--at 不是日期 %q（写作 2026-01-15）", at)
				}
			}
			due, err := mapping.ParseDate(deadline)
			if err != nil {
				return usageErr("--deadline 不是日期 %q（写作 2026-01-22）", deadline)
			}
			r, err := w.Jobs(a.ctx)
			if err != nil {
				return err
			}
			out, err := r.ReportHazard(a.ctx, mapping.Hazard{StreetID: id, USCC: args[0], Source: mapping.SourceStreet,
				Level: mapping.HazardLevel(level), Clause: clause, Description: desc, Location: location, FoundOn: found,
				FoundBy: foundBy, Deadline: due, Responsible: responsible, Measures: measures})
			return a.finishHazard(w, out, err, "已记录隐患")
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&desc, "desc", "", "隐患描述（必填）")
	fl.StringVar(&level, "level", "", "隐患等级：一般 或 重大（必填）")
	fl.StringVar(&clause, "clause", "", "判定依据，重大事故隐患必填：3-2 或 第三条第（二）项")
	fl.StringVar(&deadline, "deadline", "", "整改期限（必填），如 2026-01-22")
	fl.StringVar(&foundBy, "found-by", "", "发现人")
	fl.StringVar(&location, "location", "", "隐患部位，如 二号车间")
	fl.StringVar(&at, "at", "", "发现日期（默认今天）")
	fl.StringVar(&responsible, "responsible", "", "企业的整改责任人")
	fl.StringVar(&measures, "measures", "", "整改措施")
	fl.StringVar(&id, "id", "", "隐患编号（默认自动生成；1–32 位字母、数字或 -）")
	return cmd
}

func newHazardsFromAlertCmd(a *app) *cobra.Command {
	var note, handler, deadline string
	cmd := &cobra.Command{
		Use:   "from-alert KEY --note TEXT --handler NAME [--deadline DATE]",
		Short: "把核实属实的持证预警（无证上岗、证项不符、证书无效、证书过期）判定为企业的重大事故隐患（判定依据 3-2），记入台账并推送到泉州平台",
		Long: "按《工贸企业重大事故隐患判定标准》第三条第（二）项，特种作业人员未取得相应资格上岗作业即为重大事故隐患。\n" +
			"KEY 为预警编号（streetsync alerts list 可查）。隐患记在预警所属企业名下：来源 街道检查，发现人 --handler，发现日期今天，\n" +
			"整改期限 --deadline（默认今天起 hazards.defaultDeadlineDays 天），隐患描述写明人员（身份证号脱敏）、操作项目和预警类型。\n" +
			"隐患编号由预警编号生成（YJ-预警编号）：同一预警再次判定仍是同一隐患，不会重复记录或在平台上重复创建。\n" +
			"预警解除后（人员已取得有效证书或已离岗），隐患自动转为“已整改”，由街道验收后用 streetsync hazards status 销号。",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if strings.TrimSpace(note) == "" || strings.TrimSpace(handler) == "" {
				return usageErr("--note（核实情况）和 --handler（核实人）必须填写")
			}
			var due mapping.Date
			if deadline != "" {
				var err error
				if due, err = mapping.ParseDate(deadline); err != nil {
					return usageErr("--deadline 不是日期 %q（写作 2026-01-22）", deadline)
				}
			}
			w, err := a.wiring()
			if err != nil {
				return err
			}
			out, err := w.HazardFromAlert(a.ctx, wiring.FromAlertRequest{Key: args[0], Note: note, Handler: handler, Deadline: due})
			var fe *wiring.FromAlertError
			if errors.As(err, &fe) {
				return &exitError{code: exitUsage, err: err}
			}
			return a.finishHazard(w, out, err, "已判定为重大事故隐患")
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&note, "note", "", "核实情况（必填），如 现场核实该人员正在从事焊接作业")
	fl.StringVar(&handler, "handler", "", "核实人（必填），记为隐患的发现人")
	fl.StringVar(&deadline, "deadline", "", "整改期限（默认今天起 hazards.defaultDeadlineDays 天），如 2026-01-22")
	return cmd
}

// statusChoices are --status's values of `hazards status`.
var statusChoices = map[string]mapping.HazardStatus{"整改中": mapping.HazardRectifying, "已整改": mapping.HazardRectified,
	"已销号": mapping.HazardClosed}

func newHazardsStatusCmd(a *app) *cobra.Command {
	var status, note, handler, at string
	cmd := &cobra.Command{
		Use:   "status ID --status 整改中|已整改|已销号 --note TEXT --handler NAME",
		Short: "记录隐患的整改进度或销号（ID 为隐患编号或平台隐患ID），并推送到泉州平台",
		Long: "记录隐患的整改进度：整改中、已整改（待验收）或 已销号。状态只能向前；销号时 --note 须写明谁验收、如何验收。\n" +
			"变更记入隐患的状态历史，并推送到泉州平台；平台暂时不可达时进入重试队列，平台上状态已更靠后时被拒绝并进入隔离区。",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			st, ok := statusChoices[strings.TrimSpace(status)]
			if !ok {
				return usageErr("--status 应为 整改中、已整改 或 已销号，实为 %q", status)
			}
			if strings.TrimSpace(note) == "" || strings.TrimSpace(handler) == "" {
				return usageErr("--note 和 --handler 必须填写（销号时 --note 写明谁验收）")
			}
			w, err := a.wiring()
			if err != nil {
				return err
			}
			when := w.Clock().Now()
			if at != "" {
				loc := w.Config().Schedule.Location()
				if when, err = parseUntil(at, when, loc); err != nil || when.After(w.Clock().Now()) {
					return usageErr("--at 应为过去的时间，如 \"2026-11-28 09:30\"")
				}
			}
			r, err := w.Jobs(a.ctx)
			if err != nil {
				return err
			}
			out, err := r.RecordHazardStatus(a.ctx, strings.TrimSpace(args[0]), mapping.HazardStatusChange{Status: st, Note: note,
				Handler: handler, At: when})
			if errors.Is(err, ledger.ErrNotFound) {
				return usageErr("台账中没有隐患 %s：请用 streetsync hazards list 查看隐患编号，或先运行 streetsync sync hazards", args[0])
			}
			return a.finishHazard(w, out, err, "已记录整改状态")
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&status, "status", "", "整改中、已整改 或 已销号（必填）")
	fl.StringVar(&note, "note", "", "说明（必填；销号时写明谁验收）")
	fl.StringVar(&handler, "handler", "", "操作人（必填）")
	fl.StringVar(&at, "at", "", "变更时间（默认现在），如 \"2026-11-28 09:30\"")
	return cmd
}

// listsJSON is `hazards lists --format json`: the dynamic-clearing figures (动态清零) as of a day,
// and the four lists' file when one was written.
type listsJSON struct {
	AsOf mapping.Date `json:"asOf"`
	File string       `json:"file,omitempty"`
	ledger.ClearingFigures
}

func newHazardsListsCmd(a *app) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "lists -o FILE.xlsx",
		Short: "导出四个清单（企业清单、隐患清单、整改清单、责任清单）和重大事故隐患动态清零情况",
		Long: "把四个清单写入一个 .xlsx 文件（仅本人可读写）：企业清单（在营企业的重点类型、标准化等级、未销号隐患、最近的主要负责人带队检查和演练）、\n" +
			"隐患清单（全部隐患）、整改清单（未销号隐患的期限和剩余天数，逾期为负数）、责任清单（未销号隐患的企业主要负责人、整改责任人和发现人）。\n" +
			"同时按社区和全街道给出重大事故隐患的动态清零情况：存量（今年以前发现、未销号）、增量（今年发现、未销号）、本月销号、逾期，以及近 12 个月每月末未销号数；\n" +
			"--format json 时只输出这些数字（给了 -o 也写文件）。",
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if path == "" && a.format != formatJSON {
				return usageErr("请用 -o 指定输出文件，如 -o 四个清单.xlsx")
			}
			w, err := a.wiring()
			if err != nil {
				return err
			}
			st, err := w.Ledger(a.ctx)
			if err != nil {
				return err
			}
			today := hazardToday(w)
			fig, err := st.HazardFigures(a.ctx, today)
			if err != nil {
				return err
			}
			if path != "" {
				cl, err := w.Config().Hazards.ClauseList()
				if err != nil {
					return err
				}
				var fe *workbook.FileError
				if err := workbook.WriteHazardLists(a.ctx, st, path, today, cl); errors.As(err, &fe) {
					return &exitError{code: exitUsage, err: err}
				} else if err != nil {
					return err
				}
			}
			if a.format == formatJSON {
				return a.printJSON(listsJSON{AsOf: today, File: path, ClearingFigures: fig})
			}
			a.printFigures(path, today, fig)
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "output", "o", "", "输出文件（.xlsx）")
	return cmd
}

func (a *app) printFigures(path string, today mapping.Date, fig ledger.ClearingFigures) {
	if path != "" {
		fmt.Fprintf(a.stdout, "已写出四个清单：%s\n", path)
	}
	fmt.Fprintf(a.stdout, "重大事故隐患动态清零（截至 %s）：\n", today)
	line := func(name string, f ledger.CommunityFigures) {
		fmt.Fprintf(a.stdout, "  %-8s 存量 %d，增量 %d，本月销号 %d，逾期 %d\n", name, f.Stock, f.Increment, f.ClosedThisMonth, f.Overdue)
	}
	line("全街道", fig.Total)
	for _, c := range fig.Communities {
		name := c.Community
		if name == "" {
			name = "（台账外企业）"
		}
		line(name, c)
	}
}

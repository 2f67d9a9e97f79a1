package workbook

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/ledger"
	"streetsync/internal/outfile"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// The four lists (四个清单, contracts/hazards.md, "The four lists"): one workbook, four sheets, one
// row per enterprise in operation or per hazard, as the street's plan asks — 有清单、有台账、有闭环.

// The four sheets' names.
const (
	ListEnterprises    = "企业清单"
	ListHazards        = "隐患清单"
	ListRectifications = "整改清单"
	ListResponsibility = "责任清单"
)

// The four sheets' headers.
var (
	ListEnterpriseHeaders = []string{"统一社会信用代码", "企业名称", "所属社区", "重点类型", "标准化等级", "未销号重大隐患", "未销号一般隐患",
		"最近主要负责人带队检查", "带队人", "最近演练日期", "最近演练类型"}
	ListHazardHeaders = []string{"隐患编号", "平台隐患ID", "统一社会信用代码", "企业名称", "所属社区", "隐患描述", "隐患等级", "判定依据",
		"隐患部位", "发现日期", "发现人", "来源", "整改期限", "整改责任人", "整改措施", "整改状态", "状态说明", "操作人", "操作时间",
		"销号日期", "是否逾期", "备注"}
	ListRectificationHeaders  = []string{"隐患编号", "企业名称", "所属社区", "隐患描述", "隐患等级", "整改期限", "剩余天数", "整改措施", "整改状态"}
	ListResponsibilityHeaders = []string{"隐患编号", "企业名称", "所属社区", "隐患描述", "隐患等级", "企业主要负责人", "主要负责人电话",
		"整改责任人", "发现人", "来源"}
)

// ListsSource is what the four lists read from the ledger.
type ListsSource interface {
	Enterprises(ctx context.Context, f ledger.EnterpriseFilter) iter.Seq2[ledger.EnterpriseRecord, error]
	Hazards(ctx context.Context, f ledger.HazardFilter) iter.Seq2[ledger.HazardRecord, error]
	Inspections(ctx context.Context, f ledger.InspectionFilter) iter.Seq2[mapping.Inspection, error]
	Drills(ctx context.Context, f ledger.DrillFilter) iter.Seq2[mapping.Drill, error]
}

// HazardLabel is how a hazard is identified to people: its 隐患编号 (lybh) or, for an enterprise's
// own report, the platform's id.
func HazardLabel(h *mapping.Hazard) string { return h.Key() }

// WriteHazardLists writes the four lists as of day today to path (.xlsx, created 0600 through
// outfile: it names enterprises and people). The file appears whole or not at all.
func WriteHazardLists(ctx context.Context, src ListsSource, path string, today mapping.Date, cl *mapping.Clauses) error {
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".xlsx" {
		return &FileError{File: filepath.Base(path), Reason: reasonListsExt}
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), ListEnterprises); err != nil {
		return err
	}
	for _, s := range []string{ListHazards, ListRectifications, ListResponsibility} {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	ents := map[string]ledger.EnterpriseRecord{}
	var order []string
	for e, err := range src.Enterprises(ctx, ledger.EnterpriseFilter{}) {
		if err != nil {
			return err
		}
		ents[e.USCC] = e
		order = append(order, e.USCC)
	}
	type counts struct{ major, general int }
	open := map[string]*counts{}
	rows := map[string][][]string{}
	for h, err := range src.Hazards(ctx, ledger.HazardFilter{}) {
		if err != nil {
			return err
		}
		e, inLedger := ents[h.USCC]
		name := h.EnterpriseName
		if inLedger && e.Name != "" {
			name = e.Name
		}
		overdue := "否"
		if h.Overdue(today) {
			overdue = "是"
		}
		// The lists are a report: an ID number in a hazard's free text shows masked, as everywhere
		// outside the ledger (the 隐患台账 export keeps it whole, like the roster's).
		desc, measures := mask.IDsInText(h.Description), mask.IDsInText(h.Measures)
		rows[ListHazards] = append(rows[ListHazards], []string{HazardLabel(&h.Hazard), h.ID, h.USCC, name, h.Community,
			desc, h.Level.Label(), clauseText(cl, h.Clause), mask.IDsInText(h.Location), h.FoundOn.String(), h.FoundBy,
			h.Source.Label(), h.Deadline.String(), h.Responsible, measures, statusLabel(h.Status), mask.IDsInText(h.StatusNote),
			h.StatusBy, timeText(h.StatusAt), h.ClosedOn.String(), overdue, mask.IDsInText(h.Remark)})
		if !h.Open() {
			continue
		}
		c := open[h.USCC]
		if c == nil {
			c = &counts{}
			open[h.USCC] = c
		}
		if h.Major() {
			c.major++
		} else {
			c.general++
		}
		left := ""
		if !h.Deadline.IsZero() {
			left = strconv.Itoa(daysBetween(today, h.Deadline))
		}
		rows[ListRectifications] = append(rows[ListRectifications], []string{HazardLabel(&h.Hazard), name, h.Community,
			desc, h.Level.Label(), h.Deadline.String(), left, measures, statusLabel(h.Status)})
		rows[ListResponsibility] = append(rows[ListResponsibility], []string{HazardLabel(&h.Hazard), name, h.Community,
			desc, h.Level.Label(), e.Principal, e.PrincipalPhone, h.Responsible, h.FoundBy, h.Source.Label()})
	}
	lastCheck := map[string]mapping.Inspection{}
	for in, err := range src.Inspections(ctx, ledger.InspectionFilter{Type: mapping.InspectionPrincipal}) {
		if err != nil {
			return err
		}
		lastCheck[in.USCC] = in // ordered by date within an enterprise: the last one wins
	}
	lastDrill := map[string]mapping.Drill{}
	for d, err := range src.Drills(ctx, ledger.DrillFilter{}) {
		if err != nil {
			return err
		}
		if cur, ok := lastDrill[d.USCC]; !ok || !d.Date.Before(cur.Date) {
			lastDrill[d.USCC] = d
		}
	}
	for _, u := range order {
		e := ents[u]
		if e.Status != mapping.StatusOperating {
			continue
		}
		risks := make([]string, len(e.KeyRisks))
		for i, k := range e.KeyRisks {
			risks[i] = k.Label()
			if risks[i] == "" {
				risks[i] = string(k)
			}
		}
		c := open[u]
		if c == nil {
			c = &counts{}
		}
		in, d := lastCheck[u], lastDrill[u]
		rows[ListEnterprises] = append(rows[ListEnterprises], []string{u, e.Name, e.Community, strings.Join(risks, "、"),
			e.Grade.Label(), strconv.Itoa(c.major), strconv.Itoa(c.general), in.Date.String(), in.LedBy, d.Date.String(),
			d.Type.Label()})
	}
	for _, s := range []struct {
		name    string
		headers []string
	}{{ListEnterprises, ListEnterpriseHeaders}, {ListHazards, ListHazardHeaders},
		{ListRectifications, ListRectificationHeaders}, {ListResponsibility, ListResponsibilityHeaders}} {
		if err := writeTable(f, s.name, s.headers, rows[s.name]); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return fmt.Errorf("four lists: %w", err)
	}
	out, err := outfile.Create(path)
	if err != nil {
		return err
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// writeTable writes a header row and rows of text cells (through outfile.Cell: the values come
// from the platforms and the workbook, so none may start a formula).
func writeTable(f *excelize.File, sheet string, headers []string, rows [][]string) error {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	row := func(n int, cells []string) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = outfile.Cell(c)
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, vals)
	}
	if err := row(1, headers); err != nil {
		return err
	}
	for i, r := range rows {
		if err := row(i+2, r); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func statusLabel(s mapping.HazardStatus) string {
	if s == "" {
		return mapping.HazardPending.Label()
	}
	return s.Label()
}

func clauseText(cl *mapping.Clauses, code string) string {
	if code == "" {
		return ""
	}
	if cl == nil {
		cl = mapping.DefaultClauses()
	}
	if l := cl.Label(code); l != "" {
		return l
	}
	return code
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return mapping.FormatBeijingTime(t)
}

// daysBetween is the days from a to b (negative when b is before a).
func daysBetween(a, b mapping.Date) int {
	ta := time.Date(a.Year, a.Month, a.Day, 0, 0, 0, 0, time.UTC)
	tb := time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC)
	return int(tb.Sub(ta).Hours() / 24)
}

package dataset

import (
	"math/rand/v2"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// The street's hazard and drill sheets of the ledger workbook (contracts/hazards.md, "Ledger and
// workbook").

// The sheets' names and row-1 headers, exactly as the contract names them.
const (
	SheetHazards = "隐患台账"
	SheetDrills  = "演练记录"
)

var (
	HazardHeaders = []string{"隐患编号", "统一社会信用代码", "隐患描述", "隐患等级", "判定依据", "隐患部位", "发现日期", "发现人",
		"来源", "整改期限", "整改责任人", "整改措施", "整改状态", "备注"}
	DrillHeaders = []string{"统一社会信用代码", "演练日期", "演练类型", "参加人数", "备注"}
)

// hazardSheetStream is the PCG stream of the two sheets' spelling choices ("hzsheet").
const hazardSheetStream = 0x687a7368656574

// WorkbookOption adds to what WriteWorkbook writes.
type WorkbookOption func(*workbookOptions)

type workbookOptions struct {
	hazardSheets bool
}

// WithHazardSheets adds the sheets 隐患台账 (HazardLedger) and 演练记录 (Drills) after the two
// ledger sheets. Without it the workbook is what it always was, byte for byte.
func WithHazardSheets() WorkbookOption {
	return func(o *workbookOptions) { o.hazardSheets = true }
}

// writeHazardSheets writes 隐患台账 and 演练记录 the way the office keeps them by hand: levels and
// statuses as labels, the clause as a code or as the standard cites it, 来源 sometimes left
// empty for 街道检查 (its default), dates in several spellings.
func (ds *Dataset) writeHazardSheets(f *excelize.File) error {
	for _, s := range []string{SheetHazards, SheetDrills} {
		if _, err := f.NewSheet(s); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(uint64(ds.Params.Seed), hazardSheetStream))
	if err := writeSheet(f, SheetHazards, HazardHeaders, len(ds.HazardLedger), func(i int) []any {
		return hazardRow(&ds.HazardLedger[i], rng)
	}); err != nil {
		return err
	}
	return writeSheet(f, SheetDrills, DrillHeaders, len(ds.Drills), func(i int) []any {
		return drillRow(&ds.Drills[i], rng)
	})
}

var (
	levelLabels  = map[string]string{"1": "一般", "2": "重大"}
	sourceLabels = map[string]string{"QYZC": "企业自查", "JDJC": "街道检查", "ZJHZ": "专家会诊", "JBTS": "举报投诉", "SJJC": "上级检查"}
	statusLabels = map[string]string{"0": "待整改", "1": "整改中", "2": "已整改", "3": "已销号"}
	chineseNums  = []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
)

func hazardRow(h *Hazard, rng *rand.Rand) []any {
	level := levelLabels[h.Level]
	if h.Level == "2" && rng.IntN(10) == 0 {
		level = "重大事故隐患"
	}
	source := sourceLabels[h.Source]
	if h.Source == "JDJC" && rng.IntN(10) < 3 {
		source = "" // 街道检查 is the default
	}
	return []any{h.StreetID, h.USCC, h.Description, level, clauseText(h.Clause, rng), h.Location,
		dateText(h.FoundOn, rng), h.FoundBy, source, dateText(h.Deadline, rng), h.Responsible, h.Measures,
		statusLabels[h.Status], h.Remark}
}

// clauseText writes a clause as the office does: the code (3-2), or the standard's reference
// with or without the parentheses (第三条第（二）项, 第三条第二项). Articles and items up to 十.
func clauseText(code string, rng *rand.Rand) string {
	a, i, ok := splitCode(code)
	if !ok {
		return code
	}
	switch r := rng.IntN(10); {
	case r < 5:
		return code
	case r < 8:
		return "第" + chineseNums[a] + "条第（" + chineseNums[i] + "）项"
	}
	return "第" + chineseNums[a] + "条第" + chineseNums[i] + "项"
}

func splitCode(code string) (article, item int, ok bool) {
	for k := 0; k < len(code); k++ {
		if code[k] == '-' {
			a, err1 := strconv.Atoi(code[:k])
			b, err2 := strconv.Atoi(code[k+1:])
			ok = err1 == nil && err2 == nil && a >= 1 && a <= 10 && b >= 1 && b <= 10
			return a, b, ok
		}
	}
	return 0, 0, false
}

func drillRow(d *Drill, rng *rand.Rand) []any {
	kind := d.Type
	if rng.IntN(10) < 2 {
		kind += "演练"
	}
	var n any = d.Participants
	if rng.IntN(10) < 2 {
		n = strconv.Itoa(d.Participants) + "人"
	}
	return []any{d.USCC, dateText(d.Date, rng), kind, n, d.Remark}
}

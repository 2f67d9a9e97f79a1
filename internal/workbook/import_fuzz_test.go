package workbook_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// fzStore is the ledger as Import sees it, keeping what it was given. It holds every
// enterprise a roster row names.
type fzStore struct {
	enterprises []ledger.EnterpriseInput
	operators   []ledger.OperatorInput
	quarantine  []ledger.QuarantineEntry
}

func (s *fzStore) ImportSheet(_ context.Context, _ bool, load func(ledger.SheetTx) error) error {
	return load(s)
}

func (s *fzStore) Dry() bool { return false }

func (s *fzStore) KnownEnterprises(_ context.Context, usccs []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, u := range usccs {
		out[u] = true
	}
	return out, nil
}

func (s *fzStore) EachOpenQuarantineKey(context.Context, ledger.Source, ledger.Kind, func(string)) error {
	return nil
}

func (s *fzStore) UpsertEnterprises(_ context.Context, b []ledger.EnterpriseInput) ([]ledger.Outcome, error) {
	s.enterprises = append(s.enterprises, b...)
	return make([]ledger.Outcome, len(b)), nil
}

func (s *fzStore) UpsertOperators(_ context.Context, b []ledger.OperatorInput) ([]ledger.Outcome, error) {
	s.operators = append(s.operators, b...)
	return make([]ledger.Outcome, len(b)), nil
}

func (s *fzStore) AddToQuarantine(_ context.Context, e []ledger.QuarantineEntry) error {
	s.quarantine = append(s.quarantine, e...)
	return nil
}

func (s *fzStore) ResolveQuarantineKeys(context.Context, ledger.Source, ledger.Kind, []string, string) (int, error) {
	return 0, nil
}

const (
	fzEnterpriseHeaders = "统一社会信用代码\t企业名称\t法定代表人\t主要负责人\t主要负责人电话\t安全管理人员\t经营地址\t所属社区\t行业类别\t重点类型\t从业人数\t企业状态\t是否厂中厂\t备注"
	fzOperatorHeaders   = "姓名\t身份证号\t联系电话\t所在企业统一社会信用代码\t作业类别\t操作项目\t上岗日期\t离岗日期\t备注"
)

// FuzzImportXLSX writes fuzzed sheets — any sheet name, header row and cells, a cell starting
// with "#" written as a number the way Excel stores digits — into a real .xlsx and imports it.
// Whatever the file holds: Import never panics; a refusal is a *FileError with a reason; every
// loaded record passes validation; every rejection names a row after the header, a column and a
// reason, and shows no unmasked ID number; every rejected row is quarantined once; no more
// records load than the sheet has rows.
func FuzzImportXLSX(f *testing.F) {
	f.Add("企业台账", fzEnterpriseHeaders,
		"91350582MA2YQ0XB4K\t晋江市灵源鞋业有限公司\t王建国\t王建国\t13905951234\t\t灵源街道林口路1号\t林口社区\t轻工\t粉尘涉爆、有限空间\t#120\t在营\t否\t\n"+
			"91350582MA2YQ0XB4X\t坏代码\t李\t李\t0595-85612345\t\t地址\t林格社区\t机械\t\t12\t停产\t是\t")
	f.Add("特种作业人员", fzOperatorHeaders,
		"林小红\t35058219900101123X\t13905951234\t91350582MA2YQ0XB4K\t电工作业\t低压电工作业\t#45433\t\t\n"+
			"张三\t#350582199001011231\t\t91350582MA2YQ0XB4K\t\t0102\t2024/5/1\t2024-13-01\t\n"+
			"李四\t350582199001011232\t\t91350582MA2YQ0XB4K\t\t焊工\t\t\t")
	f.Add("Sheet1", "身份证号\t姓名\t所在企业统一社会信用代码\t操作项目\t上岗日期", "350582199001011231\t王五\tX\t高处\t昨天")
	f.Add("企业台账", "统一社会信用代码", "\n\n\t\t\t")
	dir := f.TempDir()
	today := mapping.DateOf(time.Date(2026, 1, 15, 0, 0, 0, 0, mapping.Beijing()))
	f.Fuzz(func(t *testing.T, sheet, headers, rows string) {
		if len(rows) > 64<<10 || len(headers) > 4<<10 {
			return
		}
		x := excelize.NewFile()
		defer x.Close()
		if err := x.SetSheetName("Sheet1", sheet); err != nil {
			return // a name Excel itself refuses
		}
		sheet = x.GetSheetName(0)
		lines := append([]string{headers}, strings.Split(rows, "\n")...)
		nonBlank := 0
		for r, line := range lines {
			if r > 0 && strings.TrimSpace(strings.ReplaceAll(line, "\t", "")) != "" {
				nonBlank++
			}
			for c, cell := range strings.Split(line, "\t") {
				if c >= 40 {
					break
				}
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				var v any = cell
				if n, err := strconv.ParseFloat(strings.TrimPrefix(cell, "#"), 64); err == nil && strings.HasPrefix(cell, "#") {
					v = n
				}
				if err := x.SetCellValue(sheet, ref, v); err != nil {
					return
				}
			}
		}
		path := filepath.Join(dir, "fz.xlsx")
		if err := x.SaveAs(path); err != nil {
			return
		}
		defer os.Remove(path)

		store := &fzStore{}
		rep, err := workbook.Import(context.Background(), store, path, workbook.Options{Today: today})
		if err != nil {
			var fe *workbook.FileError
			if !errors.As(err, &fe) || fe.Reason == "" {
				t.Fatalf("refusal %v (%T) is not a FileError with a reason", err, err)
			}
			return
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatalf("report does not marshal: %v", err)
		}
		for _, e := range store.enterprises {
			if ps := mapping.ValidateEnterprise(&e.Enterprise); ps.HasErrors() {
				t.Fatalf("loaded enterprise %+v has errors %v", e.Enterprise, ps.Errors())
			}
		}
		for _, o := range store.operators {
			if ps := mapping.ValidateOperator(&o.Operator, nil, mapping.WithToday(today)); ps.HasErrors() {
				t.Fatalf("loaded roster entry %+v has errors %v", o.Operator, ps.Errors())
			}
		}
		rejectedRows := map[string]bool{}
		for _, r := range rep.Rejected {
			if r.Row < 2 || r.Row > len(lines)+1 || r.Reason == "" || r.Column == "" || r.Sheet == "" {
				t.Fatalf("rejection %+v: row outside 2–%d, or without column or reason", r, len(lines)+1)
			}
			if mask.IDsInText(r.Value) != r.Value {
				t.Fatalf("rejection %+v shows an unmasked ID number", r)
			}
			rejectedRows[r.Sheet+"!"+strconv.Itoa(r.Row)] = true
		}
		if len(store.quarantine) != len(rejectedRows) {
			t.Fatalf("%d rows rejected, %d quarantine entries", len(rejectedRows), len(store.quarantine))
		}
		if loaded := len(store.enterprises) + len(store.operators); loaded+len(rejectedRows) > nonBlank {
			t.Fatalf("%d records loaded and %d rows rejected from %d non-blank rows", loaded, len(rejectedRows), nonBlank)
		}
	})
}

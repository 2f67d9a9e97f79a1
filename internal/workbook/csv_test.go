package workbook_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

func csvText(header []any, body ...[]any) string {
	var b strings.Builder
	for _, row := range append([][]any{header}, body...) {
		for i, v := range row {
			if i > 0 {
				b.WriteByte(',')
			}
			if v != nil {
				b.WriteString(fmt.Sprint(v))
			}
		}
		b.WriteString("\r\n")
	}
	return b.String()
}

func TestImportCSVInEveryEncodingExcelWrites(t *testing.T) {
	enterprises := csvText(enterpriseHeaders, enterpriseRow(1), enterpriseRow(2))
	operators := csvText(operatorHeaders, operatorRow(1, 1))
	gbk := func(s string) []byte {
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name            string
		content         []byte
		enterprises     int
		operators       int
		rejectedSheetIs string
	}{
		{"utf-8", []byte(enterprises), 2, 0, "企业台账"},
		{"utf-8 with BOM", append([]byte("\xEF\xBB\xBF"), enterprises...), 2, 0, "企业台账"},
		{"gbk as saved on Chinese Windows", gbk(enterprises), 2, 0, "企业台账"},
		{"operator sheet by its header", []byte(operators), 0, 1, "特种作业人员"},
		{"operator sheet in gbk", gbk(operators), 0, 1, "特种作业人员"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if tc.operators > 0 {
				seedEnterprises(t, s, 1) // the roster's enterprise
			}
			// A bad row, to see which sheet the file was read as.
			bad := "\r\n,,,,,,,,,\r\n" + strings.Repeat("x,", 9) + "x\r\n"
			content := append(append([]byte{}, tc.content...), bad...)
			p := filepath.Join(t.TempDir(), "台账.csv")
			if err := os.WriteFile(p, content, 0o600); err != nil {
				t.Fatal(err)
			}
			rep := mustImport(t, s, p, opts())
			if rep.Enterprises.Inserted != tc.enterprises || rep.Operators.Inserted != tc.operators {
				t.Errorf("counts %+v %+v, want %d and %d inserted", rep.Enterprises, rep.Operators, tc.enterprises, tc.operators)
			}
			if len(rep.Rejected) == 0 || rep.Rejected[0].Sheet != tc.rejectedSheetIs {
				t.Fatalf("rejections %+v, want the x row rejected in sheet %s", rep.Rejected, tc.rejectedSheetIs)
			}
			rows := tc.enterprises + tc.operators
			if r := rep.Rejected[0].Row; r != rows+4 {
				t.Errorf("rejected row %d, want %d (header, %d rows, blank, blank, bad)", r, rows+4, rows)
			}
			if tc.enterprises > 0 {
				e, err := s.EnterpriseByUSCC(context.Background(), uscc(1))
				if err != nil || e.Name != "晋江市灵源第1鞋材有限公司" || e.Community != "林口社区" {
					t.Errorf("decoded %q %q, %v", e.Name, e.Community, err)
				}
			}
		})
	}
}

func mappingKey(id, enterprise, item string) mapping.OperatorKey {
	return mapping.OperatorKey{IDNumber: id, EnterpriseUSCC: enterprise, ItemCode: item}
}

// testdata/roster_gbk.csv is a roster as Excel on Chinese Windows saves "CSV (逗号分隔)": GBK,
// CRLF, no BOM, a blank line, dates in three spellings, one ID number with a wrong check digit.
func TestImportCheckedInGBKRoster(t *testing.T) {
	s := newStore(t)
	seedEnterprises(t, s, 1) // the roster's enterprise
	rep := mustImport(t, s, filepath.Join("testdata", "roster_gbk.csv"), opts())
	if rep.Operators != (ledger.Counts{Inserted: 2}) || len(rep.Rejected) != 1 {
		t.Fatalf("report %+v", rep)
	}
	r := rep.Rejected[0]
	if r.Sheet != "特种作业人员" || r.Row != 5 || r.Column != "身份证号" || !strings.Contains(r.Value, "********") || r.Reason != "校验位错误" {
		t.Errorf("rejection %+v", r)
	}
	o, err := s.OperatorByKey(context.Background(), mappingKey(idNumber(102), uscc(1), "0201"))
	if err != nil || o.Name != "林秀英" || o.Remark != "季节工" || o.EndDate.String() != "2026-12-31" || o.StartDate.String() != "2023-03-01" {
		t.Errorf("林秀英: %+v, %v", o.Operator, err)
	}
}

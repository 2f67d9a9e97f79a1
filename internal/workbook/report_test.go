package workbook_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestReportTextReadsLikeTheOfficeExpects(t *testing.T) {
	tests := []struct {
		name string
		rep  workbook.Report
	}{
		{"report_rejections.golden", workbook.Report{
			Enterprises: ledger.Counts{Inserted: 12, Updated: 3, Unchanged: 140},
			Operators:   ledger.Counts{Inserted: 40},
			Rejected: []workbook.Rejection{
				{Sheet: "企业台账", Row: 12, Column: "统一社会信用代码", Value: "91350582MA00000010", Reason: "校验位错误"},
				{Sheet: "企业台账", Row: 12, Column: "主要负责人电话", Value: "12345", Reason: "号码格式不正确（应为11位手机号，或区号加7至8位号码的固定电话）"},
				{Sheet: "特种作业人员", Row: 7, Column: "身份证号", Value: "350582********1232", Reason: "校验位错误"},
			},
			Warnings: 2,
			Ignored:  []string{"填表说明"},
		}},
		{"report_dry_run.golden", workbook.Report{Enterprises: ledger.Counts{Unchanged: 5}, Rejected: []workbook.Rejection{}, DryRun: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.rep.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name)
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if b.String() != string(want) {
				t.Errorf("got\n%s\nwant\n%s", b.String(), want)
			}
		})
	}
}

package workbook

import (
	"fmt"
	"io"
	"strings"

	"streetsync/mapping"
)

// WriteText renders the report in Chinese for the office: the counts per sheet, then every
// rejected cell with its sheet, row, column, value (ID numbers masked) and reason.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.DryRun {
		b.WriteString(textDryRun)
	} else {
		b.WriteString(textDone)
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, textCounts+"\n", mapping.SheetEnterprises, r.Enterprises.Inserted, r.Enterprises.Updated, r.Enterprises.Unchanged)
	fmt.Fprintf(&b, textCounts+"\n", mapping.SheetOperators, r.Operators.Inserted, r.Operators.Updated, r.Operators.Unchanged)
	if len(r.Rejected) == 0 {
		b.WriteString(textNoRejection + "\n")
	} else {
		rows := map[string]bool{}
		for _, x := range r.Rejected {
			rows[fmt.Sprintf("%s\x00%d", x.Sheet, x.Row)] = true
		}
		fmt.Fprintf(&b, textRejected+"\n", len(r.Rejected), len(rows))
		for _, x := range r.Rejected {
			v := x.Value
			if v == "" {
				v = textEmptyValue
			}
			fmt.Fprintf(&b, textRejection+"\n", x.Sheet, x.Row, x.Column, v, x.Reason)
		}
	}
	if r.Warnings > 0 {
		fmt.Fprintf(&b, textWarnings+"\n", r.Warnings)
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintf(&b, textIgnored+"\n", strings.Join(r.Ignored, "、"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

package workbook

import (
	"fmt"
	"io"
	"strings"

	"streetsync/mapping"
)

// WriteText renders the report in Chinese for the office: the counts per sheet, then every
// listed rejected cell with its sheet, row, column, value (ID numbers masked) and reason, the
// counts by column and reason of the rows left out, and the listed warnings.
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
	if len(r.Rejected) == 0 && r.RejectedRows == 0 {
		b.WriteString(textNoRejection + "\n")
	} else {
		problems, rows := r.RejectedProblems, r.RejectedRows
		if rows == 0 { // a report made by hand: the listed ones are all
			listed := map[string]bool{}
			for _, x := range r.Rejected {
				listed[fmt.Sprintf("%s\x00%d", x.Sheet, x.Row)] = true
			}
			problems, rows = len(r.Rejected), len(listed)
		}
		fmt.Fprintf(&b, textRejected+"\n", problems, rows)
		for _, x := range r.Rejected {
			fmt.Fprintf(&b, textRejection+"\n", x.Sheet, x.Row, x.Column, orEmpty(x.Value), x.Reason)
		}
		if r.RejectedOmitted > 0 {
			fmt.Fprintf(&b, textRejectedOmitted+"\n", r.RejectedOmitted)
			for _, c := range r.RejectedCounts {
				fmt.Fprintf(&b, textRejectedCount+"\n", c.Sheet, c.Column, c.Reason, c.Rows)
			}
		}
	}
	if r.RejectedFile != "" {
		fmt.Fprintf(&b, textRejectedFile+"\n", r.RejectedFile)
	}
	if r.Warnings > 0 {
		fmt.Fprintf(&b, textWarnings+"\n", r.Warnings)
		for _, w := range r.WarningList {
			fmt.Fprintf(&b, textWarning+"\n", w.Sheet, w.Row, w.Column, orEmpty(w.Value), w.Message)
		}
		if r.WarningsOmitted > 0 {
			fmt.Fprintf(&b, textWarningsOmitted+"\n", r.WarningsOmitted)
		}
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintf(&b, textIgnored+"\n", strings.Join(r.Ignored, "、"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orEmpty(v string) string {
	if v == "" {
		return textEmptyValue
	}
	return v
}

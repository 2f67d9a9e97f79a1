package ledger

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Rows become one array a column, integers widened to int8; a value of another type, or of a
// type its column's first row did not have, is an error that names the column, not a panic.
func TestRowsBecomeArrays(t *testing.T) {
	rows := [][]any{{"a", 1, int64(2), true}, {"b", 3, int64(4), false}}
	cols, err := arrayColumns(rows[0])
	if err != nil || strings.Join(cols, ",") != "?::text[],?::int8[],?::int8[],?::boolean[]" {
		t.Fatalf("columns %v, %v", cols, err)
	}
	vals := newArrays(rows[0], len(rows))
	for _, r := range rows {
		if err := appendArrays(vals, r); err != nil {
			t.Fatal(err)
		}
	}
	want := []any{[]string{"a", "b"}, []int64{1, 3}, []int64{2, 4}, []bool{true, false}}
	if !reflect.DeepEqual(vals, want) {
		t.Errorf("arrays %#v, want %#v", vals, want)
	}
	if _, err := arrayColumns([]any{"a", time.Now()}); err == nil || !strings.Contains(err.Error(), "column 2") {
		t.Errorf("a time.Time: %v, want an error naming column 2", err)
	}
	for _, bad := range [][]any{{"c", "3", int64(5), true}, {"c", 3, int64(5)}, {1, 3, int64(5), true}} {
		if err := appendArrays(newArrays(rows[0], 1), bad); err == nil {
			t.Errorf("row %v appended to columns of %v", bad, rows[0])
		}
	}
}

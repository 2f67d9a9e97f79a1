package reconcile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"streetsync/mapping"
)

// peopleOf reads a list back whole.
func peopleOf(t testing.TB, p People) []Uncertified {
	t.Helper()
	var out []Uncertified
	for u, err := range p.All() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

// somePeople are n people, every third one with no since, the others each with a since of its
// own in Beijing time, and text that JSON escapes.
func somePeople(n int) []Uncertified {
	out := make([]Uncertified, n)
	for i := range out {
		out[i] = Uncertified{
			Name: fmt.Sprintf("人员%d", i), IDNumber: fmt.Sprintf("350582********%04d", i%10000),
			Enterprise: fmt.Sprintf("91350582MA%08d", i/7), EnterpriseName: fmt.Sprintf("晋江<%d>&\"鞋业\"", i/7),
			ItemCode: "0102", Rule: "CERT_EXPIRED", RuleName: "证书过期",
		}
		if i%3 != 0 {
			since := time.Date(2026, 1, 1, 0, i, 0, 0, mapping.Beijing())
			out[i].Since = &since
		}
	}
	return out
}

// A city's list goes to a file past the first peopleInMemory and comes back whole, in order, as
// often as it is read and by several readers at once; nothing of it is left on disk.
func TestPeopleKeepsEveryoneInOrder(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	for _, n := range []int{0, 1, peopleInMemory, peopleInMemory + 1, 3*peopleInMemory + 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			want := somePeople(n)
			p := newPeople(mapping.Beijing())
			for _, u := range want {
				if err := p.add(u); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.finish(); err != nil {
				t.Fatal(err)
			}
			if p.Len() != n {
				t.Errorf("length %d, want %d", p.Len(), n)
			}
			if n > peopleInMemory && p.l.file == nil {
				t.Errorf("%d people, all in memory", n)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("the list's file is left in the temporary directory: %v", left)
			}
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() {
					got := peopleOf(t, p)
					if len(got) != n {
						t.Errorf("read back %d of %d", len(got), n)
						return
					}
					for i := range got {
						w, g := want[i], got[i]
						if (w.Since == nil) != (g.Since == nil) || w.Since != nil && (!w.Since.Equal(*g.Since) || g.Since.Location() != mapping.Beijing()) {
							t.Errorf("person %d: since %v, want %v (shown in Beijing time)", i, g.Since, w.Since)
						}
						w.Since, g.Since = nil, nil
						if w != g {
							t.Errorf("person %d: got %+v, want %+v", i, g, w)
						}
					}
				})
			}
			wg.Wait()

			// As JSON, exactly the slice's JSON; read back, the same people.
			got, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				want = []Uncertified{} // an empty list is [], never null
			}
			if slice, _ := json.Marshal(want); !bytes.Equal(got, slice) {
				t.Errorf("JSON differs from the slice's:\n%.300s\n%.300s", got, slice)
			}
			var back People
			if err := json.Unmarshal(got, &back); err != nil || back.Len() != n {
				t.Fatalf("read back from JSON: %d people, %v", back.Len(), err)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			if p.Len() != 0 || len(peopleOf(t, p)) != 0 {
				t.Errorf("a closed list still has %d people", p.Len())
			}
		})
	}
	var zero People
	if b, err := json.Marshal(struct{ P People }{zero}); err != nil || string(b) != `{"P":[]}` {
		t.Errorf("the zero list: %s, %v", b, err)
	}
	if zero.Close() != nil || zero.Len() != 0 {
		t.Error("the zero list is not an empty list")
	}
}

// Without a temporary directory to write to, the list says where it wanted to write; read, it
// gives the people it kept and then the error: it never passes for whole.
func TestPeopleWithoutATemporaryDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "不存在")
	t.Setenv("TMPDIR", missing)
	p := newPeople(time.UTC)
	var err error
	for _, u := range somePeople(peopleInMemory + 1) {
		if err = p.add(u); err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("adding past memory without a temporary directory: %v, want an error naming %s", err, missing)
	}
	if p.finish() == nil {
		t.Error("finish of an incomplete list succeeded")
	}
	n := 0
	var readErr error
	for _, err := range p.All() {
		if err != nil {
			readErr = err
			break
		}
		n++
	}
	if n != peopleInMemory || readErr == nil {
		t.Errorf("read %d people then %v; want the %d kept in memory, then the error", n, readErr, peopleInMemory)
	}
	if p.Len() != peopleInMemory {
		t.Errorf("length %d, want %d", p.Len(), peopleInMemory)
	}
}

// PeopleOf and a list read back from JSON are lists like any other.
func TestPeopleOf(t *testing.T) {
	want := somePeople(5)
	if got := peopleOf(t, PeopleOf(want...)); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// spilled is a finished list of n people, most of them in its file.
func spilled(t *testing.T, n int) People {
	t.Helper()
	p := newPeople(mapping.Beijing())
	for _, u := range somePeople(n) {
		if err := p.add(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.finish(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Every output of a report writes every person of a list that went to its file, in order: the
// text, the CSV and the workbook. A list that cannot be read back fails the output; no output
// passes a short list for the whole.
func TestEveryOutputWritesTheWholeList(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	n := 2*peopleInMemory + 5
	want := somePeople(n)
	rep := &Report{Operators: &OperatorReport{Uncertified: n, UncertifiedPeople: spilled(t, n)}}
	last := want[n-1]
	lastRow := []string{last.Name, last.IDNumber, last.Enterprise, last.EnterpriseName, last.ItemCode, "证书过期（CERT_EXPIRED）", last.Since.Format(sinceLayout)}

	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(text.String(), fmt.Sprintf("【%s】%d 条\n", sheetUncertified, n))
	lines := strings.Split(strings.TrimSpace(section), "\n")
	if len(lines) != n+1 || strings.TrimSpace(lines[n]) != strings.Join(lastRow, " | ") {
		t.Errorf("text: %d lines under the list's heading, the last %q; want a header and %d rows, the last %q", len(lines), lines[len(lines)-1], n, strings.Join(lastRow, " | "))
	}

	dir := t.TempDir()
	if _, err := rep.WriteFile(filepath.Join(dir, "对账.csv")); err != nil {
		t.Fatal(err)
	}
	if rows := readCSV(t, filepath.Join(dir, "对账-operators-uncertified.csv")); len(rows) != n+1 || !reflect.DeepEqual(rows[n], lastRow) {
		t.Errorf("CSV: %d rows, the last %q", len(rows), rows[len(rows)-1])
	}
	if summary := readCSV(t, filepath.Join(dir, "对账.csv")); summary[2][0] != sheetUncertified || summary[2][1] != fmt.Sprint(n) {
		t.Errorf("CSV summary: %q, want %s with %d rows", summary, sheetUncertified, n)
	}

	xlsx := filepath.Join(dir, "对账.xlsx")
	if _, err := rep.WriteFile(xlsx); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, _ := wb.GetRows(sheetUncertified)
	if len(rows) != n+1 || !reflect.DeepEqual(rows[n], lastRow) {
		t.Errorf("workbook: %d rows, the last %q", len(rows), rows[len(rows)-1])
	}
	if style, _ := wb.GetCellStyle(sheetUncertified, "G1"); style == 0 {
		t.Error("the workbook's header row has no style")
	}
	if w, _ := wb.GetColWidth(sheetUncertified, "G"); w != 22 {
		t.Errorf("column width %v, want 22", w)
	}

	// The file gone from under the list (a full disk, a tmp cleaner): every output says so.
	rep.Operators.UncertifiedPeople.l.file.Close()
	if err := rep.WriteText(io.Discard); err == nil {
		t.Error("text: a list that cannot be read back was written without an error")
	}
	for _, name := range []string{"坏.csv", "坏.xlsx"} {
		if _, err := rep.WriteFile(filepath.Join(dir, name)); err == nil || !strings.Contains(err.Error(), "读回无有效证书在岗人员清单失败") {
			t.Errorf("%s: %v, want the error reading the list back", name, err)
		}
	}
	if _, err := json.Marshal(rep); err == nil {
		t.Error("JSON: a list that cannot be read back was marshaled without an error")
	}
}

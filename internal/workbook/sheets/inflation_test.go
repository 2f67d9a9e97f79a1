package sheets_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"streetsync/internal/testutil"
	"streetsync/internal/workbook/sheets"
)

func ledgerWorkbook(t *testing.T, pad int64, rows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "企业台账.xlsx")
	testutil.LedgerWorkbook(t, path, rows, pad)
	return path
}

// A workbook that inflates a thousandfold (a zip bomb: 64 MiB of white space in a few dozen KiB)
// is refused as a whole before anything reads it, with a reason the office can act on.
func TestOpenRefusesAWorkbookThatInflatesAbnormally(t *testing.T) {
	path := ledgerWorkbook(t, 64<<20, 1)
	f, err := sheets.Open(path)
	if err == nil {
		f.Close()
		t.Fatal("a zip bomb was opened")
	}
	var fe *sheets.FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "压缩比异常") || !strings.Contains(fe.Reason, "xl/worksheets/sheet1.xml") {
		t.Fatalf("error %v, want a FileError naming the part and its compression ratio", err)
	}
}

// The same workbook with a little padding and real rows opens and reads as usual: the bound
// is on abnormal ratios, not on white space or size as such.
func TestOpenReadsAWorkbookWithinTheBounds(t *testing.T) {
	path := ledgerWorkbook(t, 4<<10, 2000)
	f, err := sheets.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for {
		_, _, ok, err := f.Tables[0].Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		n++
	}
	if n != 2000 {
		t.Errorf("%d rows read, want 2000", n)
	}
}

// A zip directory that understates a part's size is caught when the part is read past it:
// the file is broken, never read beyond what it declared.
func TestOpenRefusesAPartLargerThanDeclared(t *testing.T) {
	path := ledgerWorkbook(t, 0, 1)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite the central directory's uncompressed size of the worksheet part to 10 bytes.
	name := []byte("xl/worksheets/sheet1.xml")
	found := false
	for i := 0; ; i++ {
		j := bytes.Index(data[i:], []byte("PK\x01\x02"))
		if j < 0 {
			break
		}
		i += j
		nameLen := int(data[i+28]) | int(data[i+29])<<8
		if bytes.Equal(data[i+46:i+46+nameLen], name) {
			copy(data[i+24:i+28], []byte{10, 0, 0, 0})
			found = true
		}
	}
	if !found {
		t.Fatal("no central directory entry for the worksheet")
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := sheets.Open(path)
	if err == nil {
		defer f.Close()
		for {
			_, _, ok, err := f.Tables[0].Next()
			if err != nil || !ok {
				if err == nil {
					t.Fatal("a part larger than its directory entry was read to the end")
				}
				return
			}
		}
	}
	var fe *sheets.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a FileError", err, err)
	}
}

package dataset

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/workbook-seed77.sha256")

// TestWorkbookGolden pins the workbook across processes and runs (excelize writes its streamed
// sheets in map order; the sorted zip writer must hide that): the archive's entries in their
// order, by name and uncompressed content. Not the compressed bytes: those are the toolchain's
// compress/flate's, which differs between Go releases (go1.27 compresses otherwise than go1.26),
// and go.mod's toolchain line moves builds from one to the other. Regenerate with -update after a
// deliberate change to the generator or the pinned excelize version.
func TestWorkbookGolden(t *testing.T) {
	b := workbook(t, generate(t, Params{Seed: 77, Enterprises: 500, BadRecords: 4}))
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(f.Name + "\x00"))
		if _, err := io.Copy(h, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		h.Write([]byte{0})
	}
	got := hex.EncodeToString(h.Sum(nil))
	path := filepath.Join("testdata", "workbook-seed77.sha256")
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.TrimSpace(string(want)) {
		t.Errorf("workbook sha256 %s, want %s", got, strings.TrimSpace(string(want)))
	}
}

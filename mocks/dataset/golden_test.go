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

var update = flag.Bool("update", false, "rewrite the testdata/*.sha256 goldens")

// checkGolden compares the sha256 of b with testdata/name (rewritten with -update).
func checkGolden(t *testing.T, name string, b []byte) {
	t.Helper()
	sum := sha256.Sum256(b)
	got := hex.EncodeToString(sum[:])
	path := filepath.Join("testdata", name)
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
		t.Errorf("%s: sha256 %s, want %s", name, got, strings.TrimSpace(string(want)))
	}
}

// workbookContent is what a workbook golden pins: the archive's entries in their order, by name
// and uncompressed content. Not the compressed bytes: those are the toolchain's compress/flate's,
// which differs between Go releases (go1.27 compresses otherwise than go1.26), and go.mod's
// toolchain line moves builds from one to the other.
func workbookContent(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString(f.Name + "\x00")
		if _, err := io.Copy(&out, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		out.WriteByte(0)
	}
	return out.Bytes()
}

// TestWorkbookGolden pins the workbook across processes and runs (excelize writes its streamed
// sheets in map order; the sorted zip writer must hide that). Regenerate with -update after a
// deliberate change to the generator or the pinned excelize version.
func TestWorkbookGolden(t *testing.T) {
	b := workbook(t, generate(t, Params{Seed: 77, Enterprises: 500, BadRecords: 4}))
	checkGolden(t, "workbook-seed77.sha256", workbookContent(t, b))
}

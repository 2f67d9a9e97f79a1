package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
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

// TestWorkbookGolden pins the workbook's bytes across processes and runs (excelize writes its
// streamed sheets in map order; the sorted zip writer must hide that). Regenerate with -update
// after a deliberate change to the generator or the pinned excelize version.
func TestWorkbookGolden(t *testing.T) {
	checkGolden(t, "workbook-seed77.sha256", workbook(t, generate(t, Params{Seed: 77, Enterprises: 500, BadRecords: 4})))
}

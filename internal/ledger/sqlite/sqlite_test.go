package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The ledger file holds the roster's whole ID numbers: a new one is its owner's only, and so are
// the write-ahead log and shared-memory files SQLite adds next to it.
func TestNewLedgerFilesAreOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	for _, dsn := range []string{
		filepath.Join(dir, "data", "ledger.db"),
		"file:" + filepath.Join(dir, "uri ledger.db") + "?_pragma=foreign_keys(1)",
		"file://" + filepath.Join(dir, "local.db"),
	} {
		w, r, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("open %s: %v", dsn, err)
		}
		if _, err := w.Exec(`CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('350582198001011234')`); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := r.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("read back: %d rows, %v", n, err)
		}
		matches, _ := filepath.Glob(filepath.Join(dir, "*.db*"))
		sub, _ := filepath.Glob(filepath.Join(dir, "data", "*.db*"))
		wal := 0
		for _, p := range append(matches, sub...) {
			if filepath.Ext(p) == ".db-wal" {
				wal++
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s (dsn %s): mode %v, want 0600", filepath.Base(p), dsn, fi.Mode().Perm())
			}
		}
		if wal == 0 {
			t.Errorf("dsn %s: no -wal file while open, so none was checked", dsn)
		}
		w.Close()
		r.Close()
	}
	for _, want := range []string{"data/ledger.db", "uri ledger.db", "local.db"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("%s was not created: %v", want, err)
		}
	}
}

// A ledger file that exists keeps the permissions its owner gave it.
func TestExistingLedgerFileKeepsItsMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ledger.db")
	if err := os.WriteFile(p, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	w, r, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	r.Close()
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the owner's 0640", fi.Mode().Perm())
	}
}

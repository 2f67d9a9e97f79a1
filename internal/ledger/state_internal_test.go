package ledger

import "testing"

func TestSyncStateRules(t *testing.T) {
	tests := []struct {
		name                       string
		street, accepted, platform string
		want                       SyncState
	}{
		{"never accepted, never seen: push", "A", "", "", StateUnpushed},
		{"never accepted, platform holds other values: the ledger is the source of truth", "A", "", "B", StateUnpushed},
		{"never accepted, platform holds the same: in sync", "A", "", "A", StateInSync},
		{"all three agree", "A", "A", "A", StateInSync},
		{"accepted, platform not seen since", "A", "A", "", StateInSync},
		{"only the ledger changed: push", "B", "A", "A", StateLedgerChanged},
		{"only the ledger changed, platform unseen: push", "B", "A", "", StateLedgerChanged},
		{"only the platform changed: drift", "A", "A", "B", StatePlatformChanged},
		{"both changed differently: conflict", "B", "A", "C", StateConflict},
		{"both changed the same way: in sync", "B", "A", "B", StateInSync},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := syncState(tc.street, tc.accepted, tc.platform); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlaceholdersAreNumberedForPostgres(t *testing.T) {
	s := &sqlStore{d: dialect{dollar: true}}
	got := s.q("SELECT a FROM t WHERE (a, b) IN (VALUES " + placeholders(2, 2) + ") AND c = ?")
	want := "SELECT a FROM t WHERE (a, b) IN (VALUES ($1, $2), ($3, $4)) AND c = $5"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (&sqlStore{}).q("a = ?"); got != "a = ?" {
		t.Errorf("sqlite query rewritten to %q", got)
	}
}

func TestSchemaFilesSplitIntoStatements(t *testing.T) {
	got := statements("-- comment; with a semicolon\nCREATE TABLE a (\n  x TEXT -- trailing\n);\n\nCREATE INDEX i ON a (x);\n")
	if len(got) != 2 || got[1] != "CREATE INDEX i ON a (x);" {
		t.Errorf("statements %q", got)
	}
}

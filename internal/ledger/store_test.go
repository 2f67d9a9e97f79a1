package ledger_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/internal/ledger/postgres"
	"streetsync/internal/ledger/sqlite"
	"streetsync/mapping"
)

func TestBothDialectsShareOneSchema(t *testing.T) {
	read := func(fsys fs.FS) map[string]string {
		out := map[string]string{}
		files, err := fs.Glob(fsys, "migrations/*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("migrations: %v, %v", files, err)
		}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Base(f)] = string(b)
		}
		return out
	}
	lite, pg := read(sqlite.Migrations()), read(postgres.Migrations())
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for name, l := range lite {
		p, ok := pg[name]
		if !ok {
			t.Fatalf("postgres lacks %s", name)
		}
		// The one allowed difference: auto-numbered ids.
		if got := strings.ReplaceAll(p, "BIGSERIAL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT"); got != l {
			t.Errorf("%s differs between dialects beyond the id columns", name)
		}
	}
}

func TestOpenMigratesOnceAndReopens(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cfg := b.cfg(t)
			clk := newClock()
			ctx := context.Background()
			// Several processes starting at once (daemon instances, a CLI command) all succeed.
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for i := range errs {
				wg.Go(func() {
					s, err := ledger.Open(ctx, cfg, ledger.WithClock(clk.Now))
					if err == nil {
						err = s.Ping(ctx)
						s.Close()
					}
					errs[i] = err
				})
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatalf("concurrent open: %v", err)
				}
			}
			s := open(t, cfg, clk)
			if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1))); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = open(t, cfg, clk)
			if _, err := s.EnterpriseByUSCC(ctx, uscc(1)); err != nil {
				t.Errorf("after reopening: %v", err)
			}
			files, _ := fs.Glob(sqlite.Migrations(), "migrations/*.sql")
			if n := countRows(t, cfg, "SELECT COUNT(*) FROM schema_migrations"); n != len(files) {
				t.Errorf("schema_migrations has %d rows, want one per migration (%d)", n, len(files))
			}
		})
	}
}

func TestOpenRefusesASchemaNewerThanTheProgram(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cfg := b.cfg(t)
			open(t, cfg, newClock()).Close()
			exec(t, cfg, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)")
			_, err := ledger.Open(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), "newer than this program") {
				t.Errorf("open: %v, want a refusal naming the newer schema", err)
			}
		})
	}
}

func TestOpenRejectsBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		cfg  config.Ledger
		want string
	}{
		{"unknown driver", config.Ledger{Driver: "mysql", DSN: "x"}, "unknown ledger driver"},
		{"in-memory sqlite", config.Ledger{Driver: "sqlite", DSN: ":memory:"}, "in-memory"},
		{"empty sqlite dsn", config.Ledger{Driver: "sqlite"}, "empty dsn"},
		{"unparsable postgres dsn keeps the password out", config.Ledger{Driver: "postgres", DSN: "postgres://u:hunter2@[::1"}, "cannot be parsed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ledger.Open(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %v, want one containing %q (and no password)", err, tc.want)
			}
		})
	}
}

// The daemon's workers and a CLI command write and read the same ledger at once: nobody fails,
// nothing is lost. For SQLite that is two processes' worth of pools on one file.
func TestConcurrentWritersAndReadersOnOneLedger(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cfg := b.cfg(t)
			clk := newClock()
			daemon, cli := open(t, cfg, clk), open(t, cfg, clk)
			ctx := context.Background()
			const writers, batches, size = 4, 10, 50
			var wg sync.WaitGroup
			errs := make(chan error, writers*batches+10)
			for w := range writers {
				s := daemon
				if w%2 == 1 {
					s = cli
				}
				wg.Go(func() {
					for bn := range batches {
						var batch []ledger.EnterpriseInput
						for i := range size {
							// Writers overlap on half their keys.
							n := (w/2)*batches*size + bn*size + i
							e := enterprise(n)
							e.Remark = fmt.Sprintf("writer %d", w)
							batch = append(batch, ledger.EnterpriseInput{Enterprise: e})
						}
						if _, err := s.UpsertEnterprises(ctx, batch); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Go(func() { // a reader streaming meanwhile
				for range 5 {
					for _, err := range daemon.Enterprises(ctx, ledger.EnterpriseFilter{}) {
						if err != nil {
							errs <- err
							break
						}
					}
				}
			})
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("concurrent use: %v", err)
			}
			if got := len(collect(t, cli.Enterprises(ctx, ledger.EnterpriseFilter{}))); got != 2*batches*size {
				t.Errorf("%d enterprises, want %d", got, 2*batches*size)
			}
		})
	}
}

// Leaving a streaming loop early releases its query: the ledger stays writable and readable.
func TestBreakingOutOfAStreamReleasesIt(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		var es []mapping.Enterprise
		for i := range 20 {
			es = append(es, enterprise(i))
		}
		if _, err := s.UpsertEnterprises(ctx, inputs(es...)); err != nil {
			t.Fatal(err)
		}
		for range 10 { // more than the reader pool holds
			for _, err := range s.Enterprises(ctx, ledger.EnterpriseFilter{}) {
				if err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		// Writing while a stream is open (sync marks records accepted as it pushes them).
		n := 0
		for r, err := range s.Enterprises(ctx, ledger.EnterpriseFilter{ChangedSinceAccepted: true}) {
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.MarkEnterprisesAccepted(ctx, []ledger.Acceptance{{Pushed: r.Enterprise, At: clk.Now()}}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 20 {
			t.Errorf("streamed %d, want 20", n)
		}
		if left := collect(t, s.Enterprises(ctx, ledger.EnterpriseFilter{ChangedSinceAccepted: true})); len(left) != 0 {
			t.Errorf("%d still awaiting push", len(left))
		}
	})
}

func TestStreamsEndWithTheContextError(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		if _, err := s.UpsertEnterprises(context.Background(), inputs(enterprise(1))); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var last error
		for _, err := range s.Enterprises(ctx, ledger.EnterpriseFilter{}) {
			last = err
		}
		if last == nil {
			t.Error("a cancelled stream ended without an error")
		}
	})
}

// countRows and exec reach the database directly, beside the store, for schema checks.
func countRows(t *testing.T, cfg config.Ledger, query string) int {
	t.Helper()
	db := rawDB(t, cfg)
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func exec(t *testing.T, cfg config.Ledger, stmt string) {
	t.Helper()
	if _, err := rawDB(t, cfg).Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

func rawDB(t *testing.T, cfg config.Ledger) *sql.DB {
	t.Helper()
	if cfg.Driver == "postgres" {
		db, err := postgres.Open(context.Background(), string(cfg.DSN))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	w, r, err := sqlite.Open(context.Background(), string(cfg.DSN))
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/config"
	"streetsync/internal/ledger/postgres"
	"streetsync/internal/ledger/sqlite"
	"streetsync/mapping"
)

// Option adjusts Open.
type Option func(*options)

type options struct {
	now    func() time.Time
	logger *zap.Logger
}

// WithClock sets the clock that stamps created/modified times (tests inject a fixed one).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets the logger (migrations applied are logged at info).
func WithLogger(l *zap.Logger) Option { return func(o *options) { o.logger = l } }

// dialect is what differs between the two databases; the SQL is otherwise shared.
type dialect struct {
	name string
	// dollar: PostgreSQL numbers its placeholders ($1, $2 …); the shared SQL writes ?.
	dollar     bool
	retryable  func(error) bool
	migrations fs.FS
	// migrationLock is run first in the migration transaction ("" when the transaction's own
	// lock suffices, as with SQLite's BEGIN IMMEDIATE).
	migrationLock string
}

// sqlStore is the Store over database/sql, for either dialect.
type sqlStore struct {
	w   *sql.DB // writes (SQLite: the single writer connection)
	r   *sql.DB // reads (SQLite: read-only connections; PostgreSQL: the same pool as w)
	d   dialect
	now func() time.Time
	log *zap.Logger
}

// Open connects to the ledger the configuration names (driver sqlite or postgres), brings its
// schema up to date and returns the store.
func Open(ctx context.Context, cfg config.Ledger, opts ...Option) (Store, error) {
	o := options{now: time.Now, logger: zap.NewNop()}
	for _, opt := range opts {
		opt(&o)
	}
	s := &sqlStore{now: o.now, log: o.logger}
	switch cfg.Driver {
	case "sqlite", "":
		w, r, err := sqlite.Open(ctx, string(cfg.DSN))
		if err != nil {
			return nil, err
		}
		s.w, s.r = w, r
		s.d = dialect{name: "sqlite", retryable: sqlite.Retryable, migrations: sqlite.Migrations()}
	case "postgres":
		db, err := postgres.Open(ctx, string(cfg.DSN))
		if err != nil {
			return nil, err
		}
		s.w, s.r = db, db
		s.d = dialect{name: "postgres", dollar: true, retryable: postgres.Retryable,
			migrations: postgres.Migrations(), migrationLock: postgres.MigrationLock}
	default:
		return nil, fmt.Errorf("unknown ledger driver %q (want sqlite or postgres)", cfg.Driver)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	// A first check that died after deferring the alert indexes left them to build.
	if err := s.RestoreAlertIndexes(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ledger ping: %w", err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("ledger ping: %w", err)
		}
	}
	return nil
}

func (s *sqlStore) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// q adapts a query written with ? placeholders to the dialect.
func (s *sqlStore) q(query string) string {
	if !s.d.dollar {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// maxWriteAttempts bounds the retries of a transaction that met another writer's lock
// (SQLITE_BUSY after busy_timeout) or a PostgreSQL serialization failure or deadlock.
const maxWriteAttempts = 5

// write runs fn in a transaction on the writer and commits it, trying again when the database
// says another writer was in the way. fn must be repeatable: it is called afresh per attempt.
func (s *sqlStore) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if tx := s.sheetTxOf(ctx); tx != nil {
		return fn(tx) // part of an import's sheet transaction (bulk.go), committed with it
	}
	for attempt := 1; ; attempt++ {
		err := s.writeOnce(ctx, fn)
		if err == nil || attempt == maxWriteAttempts || !s.d.retryable(err) {
			return err
		}
		s.log.Debug("ledger write retried", zap.Int("attempt", attempt), zap.Error(err))
		t := time.NewTimer(time.Duration(attempt) * 50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *sqlStore) writeOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: commit: %w", err)
	}
	return nil
}

// querier is what reads need: the reader pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stream runs a query on the reader pool and yields its rows one by one through scan.
func stream[T any](ctx context.Context, s *sqlStore, query string, args []any, scan func(*sql.Rows) (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		rows, err := s.r.QueryContext(ctx, s.q(query), args...)
		if err != nil {
			yield(zero, fmt.Errorf("ledger query: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				yield(zero, fmt.Errorf("ledger scan: %w", err))
				return
			}
			if !yield(v, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(zero, fmt.Errorf("ledger query: %w", err))
		}
	}
}

// readAhead runs seq on a goroutine of its own, up to two batches of n values ahead of the
// caller's loop: a city's roster and certificates take seconds each to read, as does what is done
// with them, and a server has two cores. A seq cut short by ctx ending is an error, never its end
// (a walk must not take certificates it did not get for none). Stopping the loop stops seq.
func readAhead[T any](ctx context.Context, seq iter.Seq2[T, error], n int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		batches := make(chan []T, 2)
		var readErr error
		go func() {
			defer close(batches)
			b := make([]T, 0, n)
			send := func() bool {
				select {
				case batches <- b:
					b = make([]T, 0, n)
					return true
				case <-ctx.Done():
					return false
				}
			}
			for v, err := range seq {
				if err != nil {
					readErr = err
					return
				}
				if b = append(b, v); len(b) == n && !send() {
					return
				}
			}
			if len(b) > 0 {
				send()
			}
		}()
		defer func() {
			cancel()
			for range batches { // the goroutine stops at its next value; wait for it
			}
		}()
		for b := range batches {
			for _, v := range b {
				if !yield(v, nil) {
					return
				}
			}
		}
		// batches is closed: the goroutine has returned, and readErr is its.
		if readErr == nil {
			readErr = ctx.Err()
		}
		if readErr != nil {
			var zero T
			yield(zero, readErr)
		}
	}
}

// placeholders returns "?, ?, …" with n marks, or "(?, ?), (?, ?) …" for n tuples of width w > 1.
func placeholders(n, w int) string {
	one := "?"
	if w > 1 {
		one = "(" + strings.Repeat("?, ", w-1) + "?)"
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}

// lookupChunk bounds the keys in one IN (…) list, well under both databases' parameter limits.
const lookupChunk = 500

// Column codecs. Times are Unix milliseconds (0 = none), dates yyyy-MM-dd ('' = none), flags 0/1.

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func flag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// parseDate reads a date column. The ledger only ever writes yyyy-MM-dd or ”, so anything
// else is corruption and an error.
func parseDate(s string) (mapping.Date, error) {
	if s == "" {
		return mapping.Date{}, nil
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return mapping.Date{}, fmt.Errorf("stored date %q is not yyyy-MM-dd", s)
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:7])
	d, err3 := strconv.Atoi(s[8:])
	if err := errors.Join(err1, err2, err3); err != nil {
		return mapping.Date{}, fmt.Errorf("stored date %q: %w", s, err)
	}
	return mapping.Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// affected returns the rows a statement changed.
func affected(res sql.Result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("ledger: rows affected: %w", err)
	}
	return n, nil
}

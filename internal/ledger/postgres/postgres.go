// Package postgres opens a PostgreSQL ledger through pgx and carries its schema migrations. It owns
// what is particular to PostgreSQL: the connection pool, the advisory lock that lets several
// daemon instances start against one database, and the recognition of serialization failures and
// deadlocks. The SQL stays plain (no extensions) so that the PostgreSQL-compatible databases used
// in government IT accept it too. The store itself, shared with SQLite, lives in package ledger.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the versioned schema files, migrations/NNNN_name.sql, applied in order at
// start-up.
func Migrations() fs.FS { return migrations }

// MigrationLock is the statement that serializes schema migrations between daemon instances that
// start at the same time: a transaction-scoped advisory lock (a built-in function, no extension).
// The key is arbitrary but fixed: "streetsync" in ASCII, truncated to 63 bits.
const MigrationLock = "SELECT pg_advisory_xact_lock(8319597505066021)"

// Open connects to the PostgreSQL database named by dsn (URL or key=value form) and checks that
// it answers. The same pool serves reads and writes: PostgreSQL has no single-writer limit.
func Open(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included: keep only the fact.
		return nil, errors.New("postgres ledger: the dsn cannot be parsed")
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres ledger: connect to %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return db, nil
}

// Retryable reports whether err is a serialization failure or a deadlock: another instance touched
// the same rows; the transaction can be tried again.
func Retryable(err error) bool {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return false
}

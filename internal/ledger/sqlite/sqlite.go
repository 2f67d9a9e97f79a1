// Package sqlite opens the embedded SQLite ledger (modernc.org/sqlite, pure Go) and carries its
// schema migrations. It owns everything that is particular to SQLite: the file DSN and its
// pragmas (WAL, busy_timeout), the split into one writer connection and a pool of readers, and the
// recognition of SQLITE_BUSY. The store itself, shared with PostgreSQL, lives in package ledger.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the versioned schema files, migrations/NNNN_name.sql, applied in order at
// start-up.
func Migrations() fs.FS { return migrations }

// busyTimeoutMillis is how long a connection waits for another process's write lock (the daemon
// and a CLI command share the file) before SQLITE_BUSY; the store retries a few times after that.
const busyTimeoutMillis = 10000

// Open opens the ledger file named by dsn — a path such as data/ledger.db, or a file: URI — and
// returns two pools over it: writer holds a single connection whose transactions begin IMMEDIATE,
// so that writes in this process queue up instead of failing, and reader holds several read-only
// connections, so that a long streaming read never blocks a write (WAL lets both run at once).
// The parent directory of a plain path is created when missing, and a missing file is created
// 0600 (createPrivate).
func Open(ctx context.Context, dsn string) (writer, reader *sql.DB, err error) {
	base, query, err := fileURI(dsn)
	if err != nil {
		return nil, nil, err
	}
	if err := createPrivate(base, query); err != nil {
		return nil, nil, err
	}
	common := "_pragma=busy_timeout(" + fmt.Sprint(busyTimeoutMillis) + ")&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"
	if query != "" {
		common = query + "&" + common
	}
	writer, err = sql.Open("sqlite", base+"?"+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, nil, fmt.Errorf("open sqlite ledger: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	// The writer connection is opened first: it switches the file to WAL before any reader looks.
	if err := ping(ctx, writer); err != nil {
		writer.Close()
		return nil, nil, fmt.Errorf("open sqlite ledger: %w", err)
	}
	reader, err = sql.Open("sqlite", base+"?"+common+"&_query_only=1")
	if err != nil {
		writer.Close()
		return nil, nil, fmt.Errorf("open sqlite ledger: %w", err)
	}
	reader.SetMaxOpenConns(4)
	reader.SetMaxIdleConns(4)
	if err := ping(ctx, reader); err != nil {
		writer.Close()
		reader.Close()
		return nil, nil, fmt.Errorf("open sqlite ledger: %w", err)
	}
	return writer, reader, nil
}

// ping opens db's first connection. While another process switches a new file to WAL, SQLite
// answers "database is locked" at once, without waiting busy_timeout: ping tries again for as
// long as busy_timeout would have waited.
func ping(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeoutMillis * time.Millisecond)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || !Retryable(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// fileURI turns the configured DSN into a file: URI without query, and its query (if any).
func fileURI(dsn string) (base, query string, err error) {
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		return "", "", errors.New("sqlite ledger: empty dsn")
	}
	if dsn == ":memory:" || strings.Contains(dsn, "mode=memory") {
		// Two pools over an in-memory database would be two databases.
		return "", "", errors.New("sqlite ledger: in-memory databases are not supported, give a file path")
	}
	if strings.HasPrefix(dsn, "file:") {
		base, query, _ = strings.Cut(dsn, "?")
		return base, query, nil
	}
	if dir := filepath.Dir(dsn); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", "", fmt.Errorf("sqlite ledger: create directory: %w", err)
		}
	}
	// Characters that mean something in a URI are escaped; everything else is kept as typed.
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(dsn), "", nil
}

// createPrivate creates the ledger file named by the file: URI base, empty and readable by its
// owner only, when it does not exist yet. SQLite would create it 0644 (less the umask), and it
// holds the roster's whole ID numbers; the -wal and -shm files SQLite adds take the database
// file's permissions. An existing file is left as its owner set it.
func createPrivate(base, query string) error {
	if q, err := url.ParseQuery(query); err == nil && (q.Get("mode") == "ro" || q.Get("immutable") == "1") {
		return nil // read-only: nothing is created
	}
	p := strings.TrimPrefix(base, "file:")
	if rest, ok := strings.CutPrefix(p, "//"); ok { // file://host/path: only the local host
		host, path, _ := strings.Cut(rest, "/")
		if host != "" && host != "localhost" {
			return nil
		}
		p = "/" + path
	}
	p, err := url.PathUnescape(p)
	if err != nil || p == "" {
		return nil // SQLite will say what is wrong with the name
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		return fmt.Errorf("sqlite ledger: create %s: %w", p, err)
	}
	return f.Close()
}

// Retryable reports whether err is SQLite's "database is busy/locked": another connection held
// the write lock longer than busy_timeout. The transaction can be tried again.
func Retryable(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // extended codes carry the primary code in the low byte
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

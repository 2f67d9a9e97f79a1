package rdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Cursors keep each job's watermark (a change-feed cursor, the last pulled timestamp…) in Redis,
// shared by every instance.
//
// A cursor must only move after the data it covers is committed to the ledger: callers Set it
// after the ledger commit, never before, so that a crash in between makes the next run fetch
// that data again instead of skipping it.
type Cursors struct{ conn *Conn }

// NewCursors returns the cursors kept under conn's prefix.
func NewCursors(conn *Conn) *Cursors { return &Cursors{conn: conn} }

// Get returns the job's cursor, "" when it has none yet.
func (c *Cursors) Get(ctx context.Context, job string) (string, error) {
	v, err := c.conn.client.Get(ctx, c.conn.Keys().Cursor(job)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cursor %s: %w", job, err)
	}
	return v, nil
}

// Set moves the job's cursor; call it only after the data it covers is committed.
func (c *Cursors) Set(ctx context.Context, job, value string) error {
	if err := c.conn.client.Set(ctx, c.conn.Keys().Cursor(job), value, 0).Err(); err != nil {
		return fmt.Errorf("cursor %s: %w", job, err)
	}
	return nil
}

package rdb_test

import (
	"context"
	"testing"

	"streetsync/internal/rdb"
	"streetsync/internal/testutil"
)

func TestCursorsKeepTheWatermark(t *testing.T) {
	ctx := context.Background()
	conn, _ := testutil.Redis(t)
	c := rdb.NewCursors(conn)
	if v, err := c.Get(ctx, "certificates"); err != nil || v != "" {
		t.Fatalf("unset cursor = %q, %v; want empty", v, err)
	}
	if err := c.Set(ctx, "certificates", "2026-03-02T02:00:00+08:00"); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get(ctx, "certificates"); v != "2026-03-02T02:00:00+08:00" {
		t.Fatalf("cursor = %q", v)
	}
}

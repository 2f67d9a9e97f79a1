package quanzhou_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"streetsync/connectors/quanzhou"
	"streetsync/mapping"
)

// How the enterprise sync job reads the platform: walk from the stored watermark, upsert every
// record (a record can come twice; the last delivery is the newest), and store the high-water
// mark only when the walk is done.
func ExampleClient_Enterprises() {
	cfg := quanzhou.Config{RateLimit: 20, Burst: 20, Timeout: 30 * time.Second}
	cfg.BaseURL, cfg.AppKey, cfg.AppSecret = "https://qz.example/gw/openapi/v1", "app-key", "app-secret"
	c, err := quanzhou.New(cfg, "350582006", zap.NewNop())
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	var watermark quanzhou.Mark // from the job's store; zero the first time
	records, progress := c.Enterprises(ctx, watermark)
	for r, err := range records {
		if err != nil {
			// Temporary (errors.As(err, &temp) && temp.Temporary()): run again later from the same
			// watermark. Otherwise stop and report.
			return
		}
		if r.Problems.HasErrors() {
			// quarantine r.Wire with r.Problems.Error()
			continue
		}
		_ = r.Enterprise // upsert into the ledger
	}
	if progress.Done {
		watermark = progress.Mark() // its second is read again next time, unless it was over
	}
}

// How pushes come back: one result per record, in order.
func ExampleClient_BatchSave() {
	cfg := quanzhou.Config{RateLimit: 20, Burst: 20, Timeout: 30 * time.Second}
	cfg.BaseURL, cfg.AppKey, cfg.AppSecret = "https://qz.example/gw/openapi/v1", "app-key", "app-secret"
	c, _ := quanzhou.New(cfg, "350582006", zap.NewNop())
	records := []mapping.QZEnterprise{{Tyshxydm: "91350582MA2YB1XK3L"}}
	results, err := c.BatchSave(context.Background(), records)
	for i, r := range results {
		var item *quanzhou.ItemError
		switch {
		case r.Err == nil:
			_ = r.Qyid // CREATED, UPDATED or UNCHANGED: store the platform id
		case errors.As(r.Err, &item) && !item.Temporary():
			_ = item.Summary() // quarantine records[i] with this reason (40011–40014)
		default:
			_ = records[i] // retry queue: 40901, 50001, or the whole call failed
		}
	}
	// Credentials, clock or region wrong: stop the job and report.
	stop := errors.Is(err, quanzhou.ErrAuth) || errors.Is(err, quanzhou.ErrClockSkew) || errors.Is(err, quanzhou.ErrForbidden)
	_ = stop
}

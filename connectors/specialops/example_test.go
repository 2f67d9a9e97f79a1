package specialops_test

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"streetsync/connectors/specialops"
)

// How the certificate sync job follows the change feed: resume from the stored cursor (or since),
// and store both parts of the position after the walk.
func ExampleClient_CertificateChanges() {
	cfg := specialops.Config{RateLimit: 10, Burst: 5, Timeout: 30 * time.Second}
	cfg.BaseURL, cfg.ClientID, cfg.ClientSecret = "https://tzzy.example/share", "client", "secret"
	c, _ := specialops.New(cfg, zap.NewNop())
	since, cursor := time.Date(2024, 5, 21, 0, 0, 0, 0, time.Local), "" // from the job's store
	changes, pos := c.CertificateChanges(context.Background(), since, cursor)
	for ch, err := range changes {
		if errors.Is(err, specialops.ErrCursorExpired) {
			cursor = "" // restart from since next time
			break
		}
		if err != nil {
			break
		}
		_ = ch.Certificate // upsert by Certificate.Key(); ch.Problems says what normalization found
	}
	since, cursor = pos.Since, pos.Cursor // whole pages only: safe to store even after an error
	_, _ = since, cursor
}

package console

import (
	"context"
	"sync"
	"time"
)

// The communities fill the filters of several screens. They change only with an import or a
// pull, so they are read with one indexed query and kept for a minute.

const communitiesTTL = time.Minute

type communityCache struct {
	ledger interface {
		Communities(ctx context.Context) ([]string, error)
	}
	now func() time.Time

	mu   sync.Mutex
	list []string
	read time.Time
}

func newCommunityCache(l Ledger, now func() time.Time) *communityCache {
	return &communityCache{ledger: l, now: now}
}

func (c *communityCache) get(ctx context.Context) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.list != nil && now.Sub(c.read) < communitiesTTL && !now.Before(c.read) {
		return c.list, nil
	}
	list, err := c.ledger.Communities(ctx)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []string{}
	}
	c.list, c.read = list, now
	return list, nil
}

// invalidate drops the cached list (after an import or a confirmation).
func (c *communityCache) invalidate() {
	c.mu.Lock()
	c.list = nil
	c.mu.Unlock()
}

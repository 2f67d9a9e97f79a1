package console

import (
	"context"
	"slices"
	"sync"
	"time"

	"streetsync/internal/ledger"
)

// The directory is what many pages need from the enterprise ledger: the communities (filters) and
// each enterprise's name and community (alarm and roster rows carry only a USCC). A street has a
// few thousand enterprises at most, so it is read whole and kept for a minute.

const directoryTTL = time.Minute

type directory struct {
	communities []string
	byUSCC      map[string]enterpriseInfo
}

type enterpriseInfo struct {
	Name      string
	Community string
}

func (d *directory) name(uscc string) string {
	if e, ok := d.byUSCC[uscc]; ok {
		return e.Name
	}
	return ""
}

func (d *directory) community(uscc string) string { return d.byUSCC[uscc].Community }

type directoryCache struct {
	ledger Ledger
	now    func() time.Time

	mu   sync.Mutex
	d    *directory
	read time.Time
}

func newDirectoryCache(l Ledger, now func() time.Time) *directoryCache {
	return &directoryCache{ledger: l, now: now}
}

func (c *directoryCache) get(ctx context.Context) (*directory, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.d != nil && now.Sub(c.read) < directoryTTL && !now.Before(c.read) {
		return c.d, nil
	}
	d := &directory{byUSCC: map[string]enterpriseInfo{}}
	seen := map[string]bool{}
	for e, err := range c.ledger.Enterprises(ctx, ledger.EnterpriseFilter{}) {
		if err != nil {
			return nil, err
		}
		d.byUSCC[e.USCC] = enterpriseInfo{Name: e.Name, Community: e.Community}
		if e.Community != "" && !seen[e.Community] {
			seen[e.Community] = true
			d.communities = append(d.communities, e.Community)
		}
	}
	slices.Sort(d.communities)
	c.d, c.read = d, now
	return d, nil
}

// invalidate drops the cached directory (after an import or a confirmation).
func (c *directoryCache) invalidate() {
	c.mu.Lock()
	c.d = nil
	c.mu.Unlock()
}

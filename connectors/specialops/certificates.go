package specialops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.uber.org/zap"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// QueryCertificates is POST /api/v2/certificates:query in chunks of at most 50 ID numbers: every
// certificate the holders have (one per item), and the ID numbers the system does not know. A
// failed chunk ends the query with its error; repeating the query is safe.
func (c *Client) QueryCertificates(ctx context.Context, idNumbers []string) (items []mapping.TZCertificate, notFound []string, err error) {
	for from := 0; from < len(idNumbers); from += maxQueryIDs {
		chunk := idNumbers[from:min(from+maxQueryIDs, len(idNumbers))]
		body, err := json.Marshal(struct {
			IDNumbers []string `json:"idNumbers"`
		}{chunk})
		if err != nil {
			return items, notFound, fmt.Errorf("specialops: encode query: %w", err)
		}
		key := mask.ID(chunk[0])
		if len(chunk) > 1 {
			key += " … (" + strconv.Itoa(len(chunk)) + ")"
		}
		var ans struct {
			Items    httpx.BoundedList[mapping.TZCertificate] `json:"items"`
			NotFound httpx.BoundedList[string]                `json:"notFound"`
		}
		// A holder has at most one certificate per operation item (contract), and the
		// catalog has some fifty items: more than maxCertificatesPerHolder each is no answer
		// of the system's. Not-found numbers are at most the numbers asked.
		ans.Items.Max, ans.NotFound.Max = len(chunk)*maxCertificatesPerHolder, len(chunk)
		cl := &call{method: http.MethodPost, endpoint: "/api/v2/certificates:query", path: "/api/v2/certificates:query",
			jsonBody: body, key: key, idempotent: true}
		if err := c.do(ctx, cl, &ans); err != nil {
			return items, notFound, err
		}
		items = append(items, ans.Items.Items...)
		notFound = append(notFound, ans.NotFound.Items...)
	}
	return items, notFound, nil
}

// PulledCertificate is one certificate in canonical form.
type PulledCertificate struct {
	Certificate mapping.Certificate
	// Problems are what normalization found (an unknown item is a warning, kept as sent).
	Problems mapping.Problems
	Wire     mapping.TZCertificate
}

func (c *Client) pulled(w mapping.TZCertificate) PulledCertificate {
	today := mapping.DateOf(c.clock.Now().In(mapping.Beijing()))
	cert, ps := mapping.CertificateFromTZ(w, c.catalog, mapping.WithToday(today))
	return PulledCertificate{Certificate: cert, Problems: ps, Wire: w}
}

// Certificates is QueryCertificates converted with mapping.CertificateFromTZ.
func (c *Client) Certificates(ctx context.Context, idNumbers []string) ([]PulledCertificate, []string, error) {
	items, notFound, err := c.QueryCertificates(ctx, idNumbers)
	out := make([]PulledCertificate, len(items))
	for i := range items {
		out[i] = c.pulled(items[i])
	}
	return out, notFound, err
}

// FeedPosition is where a change-feed walk stands: what to store and pass next time.
type FeedPosition struct {
	// Cursor is the last nextCursor of a page the caller consumed whole; resume with it.
	Cursor string
	// Since is the latest updatedAt consumed (or the since given): where the feed restarts when
	// the cursor has expired. since is inclusive, so nothing at that instant is lost.
	Since time.Time
	// Restarted reports that the cursor had expired and the walk restarted from Since.
	Restarted bool
	// Done reports that the feed was read to its end (hasMore false) without error.
	Done bool
	// Requests and Records (delivered) of this walk.
	Requests, Records int
}

// changesPage is one answer of the change feed; Items.Max is the limit asked.
type changesPage struct {
	Items      httpx.BoundedList[mapping.TZCertificate] `json:"items"`
	NextCursor string                                   `json:"nextCursor"`
	HasMore    bool                                     `json:"hasMore"`
}

// Changes follows GET /api/v2/certificates/changes from cursor, or from since (inclusive) when
// cursor is "": every certificate change in (updatedAt, certNo, itemCode) order, page after page
// while hasMore. An expired cursor (400 cursor_expired) restarts the feed from the latest
// updatedAt consumed, or from since; with neither, or when nothing was consumed since the last
// restart, it is an error (ErrCursorExpired: drop the stored cursor). The
// position is updated after each whole page, so the caller can store it even after stopping
// early. An error ends the sequence.
func (c *Client) Changes(ctx context.Context, since time.Time, cursor string) (iter.Seq2[mapping.TZCertificate, error], *FeedPosition) {
	pos := &FeedPosition{Cursor: cursor, Since: since}
	return func(yield func(mapping.TZCertificate, error) bool) {
		c.changes(ctx, pos, yield)
	}, pos
}

func (c *Client) changes(ctx context.Context, pos *FeedPosition, yield func(mapping.TZCertificate, error) bool) {
	cur := pos.Cursor
	var pg changesPage
	var restartedAt time.Time
	seen := map[string]struct{}{}
	if cur != "" {
		seen[cur] = struct{}{}
	}
	for {
		q := url.Values{"limit": {strconv.Itoa(c.feedLimit)}}
		if cur != "" {
			q.Set("cursor", cur)
		} else {
			if pos.Since.IsZero() {
				yield(mapping.TZCertificate{}, fmt.Errorf("specialops: the change feed needs a since or a cursor: %w", ErrInvalid))
				return
			}
			q.Set("since", mapping.FormatRFC3339(pos.Since))
		}
		clear(pg.Items.Items[:cap(pg.Items.Items)])
		pg = changesPage{Items: httpx.BoundedList[mapping.TZCertificate]{Max: c.feedLimit, Items: pg.Items.Items[:0]}}
		pos.Requests++
		cl := &call{method: http.MethodGet, endpoint: "/api/v2/certificates/changes", path: "/api/v2/certificates/changes",
			query: q, idempotent: true}
		err := c.do(ctx, cl, &pg)
		// Restart from the latest updatedAt consumed — again after a later expiry, but only
		// when pages were consumed since the last restart, so that a feed whose cursors
		// always expire cannot loop.
		if errors.Is(err, ErrCursorExpired) && cur != "" && !pos.Since.IsZero() &&
			(!pos.Restarted || pos.Since.After(restartedAt)) {
			c.log.Info("change-feed cursor expired; restarting from the last position", zap.Time("since", pos.Since))
			cur, pos.Restarted, restartedAt = "", true, pos.Since
			clear(seen)
			continue
		}
		if err != nil {
			yield(mapping.TZCertificate{}, err)
			return
		}
		latest := pos.Since
		for i := range pg.Items.Items {
			if t, err := mapping.ParseBeijingTime(pg.Items.Items[i].UpdatedAt); err == nil && t.After(latest) {
				latest = t
			}
			pos.Records++
			if !yield(pg.Items.Items[i], nil) {
				return
			}
		}
		pos.Since = latest
		if pg.NextCursor != "" {
			cur, pos.Cursor = pg.NextCursor, pg.NextCursor
		}
		if !pg.HasMore {
			pos.Done = true
			return
		}
		if pg.NextCursor == "" {
			yield(mapping.TZCertificate{}, c.newError(cl, http.StatusOK, "", "hasMore without nextCursor",
				httpx.KindTransient, ErrMalformed, nil))
			return
		}
		// A cursor this walk has already followed leads back to pages already read: following
		// it would never end. The position stays usable; the next run starts from it afresh.
		if _, again := seen[pg.NextCursor]; again {
			yield(mapping.TZCertificate{}, c.newError(cl, http.StatusOK, "", "the feed's nextCursor did not advance",
				httpx.KindTransient, ErrMalformed, nil))
			return
		}
		seen[pg.NextCursor] = struct{}{}
	}
}

// CertificateChanges is Changes converted with mapping.CertificateFromTZ.
func (c *Client) CertificateChanges(ctx context.Context, since time.Time, cursor string) (iter.Seq2[PulledCertificate, error], *FeedPosition) {
	seq, pos := c.Changes(ctx, since, cursor)
	return func(yield func(PulledCertificate, error) bool) {
		for w, err := range seq {
			if err != nil {
				yield(PulledCertificate{}, err)
				return
			}
			if !yield(c.pulled(w), nil) {
				return
			}
		}
	}, pos
}

package specialops

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

func decodeJSON(req *http.Request, v any) error { return json.NewDecoder(req.Body).Decode(v) }

func drain(t *testing.T, seq func(func(mapping.TZCertificate, error) bool)) ([]mapping.TZCertificate, error) {
	t.Helper()
	var got []mapping.TZCertificate
	for c, err := range seq {
		if err != nil {
			return got, err
		}
		got = append(got, c)
	}
	return got, nil
}

func TestChangesFollowsCursorsWhileHasMore(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/api/v2/certificates/changes", sequence(fileResponder(t, 200, "changes_page1.json"), fileResponder(t, 200, "changes_page2.json")))
	since := time.Date(2024, 5, 20, 0, 0, 0, 0, mapping.Beijing())
	seq, pos := f.c.Changes(context.Background(), since, "")
	got, err := drain(t, seq)
	if err != nil || len(got) != 2 {
		t.Fatalf("%d records, %v", len(got), err)
	}
	qs := f.queries("/api/v2/certificates/changes")
	if len(qs) != 2 || qs[0].Get("since") != "2024-05-20T00:00:00+08:00" || qs[0].Get("cursor") != "" || qs[0].Get("limit") != "500" ||
		qs[1].Get("cursor") != "c-page2" || qs[1].Has("since") {
		t.Errorf("queries %v", qs)
	}
	if !pos.Done || pos.Cursor != "c-page3" || !pos.Since.Equal(time.Date(2024, 5, 21, 10, 0, 0, 0, mapping.Beijing())) || pos.Records != 2 || pos.Requests != 2 {
		t.Errorf("position %+v", *pos)
	}
}

func TestChangesRestartsFromSinceWhenTheCursorExpired(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/api/v2/certificates/changes", sequence(fileResponder(t, 400, "cursor_expired.json"), fileResponder(t, 200, "changes_page2.json")))
	since := time.Date(2024, 5, 20, 0, 0, 0, 0, mapping.Beijing())
	seq, pos := f.c.Changes(context.Background(), since, "c-stale")
	got, err := drain(t, seq)
	if err != nil || len(got) != 1 {
		t.Fatalf("%d records, %v", len(got), err)
	}
	qs := f.queries("/api/v2/certificates/changes")
	if len(qs) != 2 || qs[0].Get("cursor") != "c-stale" || qs[1].Get("since") != "2024-05-20T00:00:00+08:00" || qs[1].Has("cursor") {
		t.Errorf("queries %v", qs)
	}
	if !pos.Restarted || !pos.Done || pos.Cursor != "c-page3" {
		t.Errorf("position %+v", *pos)
	}
}

func TestChangesCursorExpiredWithoutSinceIsAnError(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/api/v2/certificates/changes", fileResponder(t, 400, "cursor_expired.json"))
	seq, pos := f.c.Changes(context.Background(), time.Time{}, "c-stale")
	_, err := drain(t, seq)
	checkErr(t, err, ErrCursorExpired, httpx.KindPermanent, 0)
	if pos.Done || len(f.requests("/api/v2/certificates/changes")) != 1 {
		t.Errorf("position %+v", *pos)
	}
	seq, _ = f.c.Changes(context.Background(), time.Time{}, "")
	if _, err := drain(t, seq); !errors.Is(err, ErrInvalid) {
		t.Errorf("no since and no cursor: err = %v", err)
	}
}

func TestChangesPositionOnlyCoversWholePages(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/api/v2/certificates/changes", sequence(fileResponder(t, 200, "changes_page1.json"), fileResponder(t, 200, "changes_page2.json")))
	since := time.Date(2024, 5, 20, 0, 0, 0, 0, mapping.Beijing())
	seq, pos := f.c.Changes(context.Background(), since, "c-start")
	for range seq {
		break // the caller consumed one record of page 1 and stopped
	}
	if pos.Cursor != "c-start" || !pos.Since.Equal(since) || pos.Done {
		t.Errorf("position %+v moved past a page the caller did not finish", *pos)
	}
}

func TestChangesFeedErrorEndsTheSequence(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/api/v2/certificates/changes", sequence(fileResponder(t, 200, "changes_page1.json"),
		rawResponder(429, "application/json", `{"error":"rate_limited"}`, "Retry-After", "Tue, 21 May 2024 02:00:00 GMT")))
	seq, pos := f.c.Changes(context.Background(), time.Date(2024, 5, 20, 0, 0, 0, 0, mapping.Beijing()), "")
	got, err := drain(t, seq)
	checkErr(t, err, ErrRateLimited, httpx.KindTransient, 30*time.Minute)
	if len(got) != 1 || pos.Cursor != "c-page2" || pos.Done {
		t.Errorf("%d records, position %+v", len(got), *pos)
	}
}

func TestChangesRestartsAgainOnlyAfterProgress(t *testing.T) {
	f := newFixture(t)
	expired := fileResponder(t, 400, "cursor_expired.json")
	// since-query → page 1; its cursor expires; since-query from page 1's updatedAt → page 1
	// again; its cursor expires again without progress → error.
	f.on(http.MethodGet, "/api/v2/certificates/changes", func(req *http.Request) (*http.Response, error) {
		if req.URL.Query().Has("cursor") {
			return expired(req)
		}
		return fileResponder(t, 200, "changes_page1.json")(req)
	})
	seq, pos := f.c.Changes(context.Background(), time.Date(2024, 5, 20, 0, 0, 0, 0, mapping.Beijing()), "")
	got, err := drain(t, seq)
	checkErr(t, err, ErrCursorExpired, httpx.KindPermanent, 0)
	if len(got) != 2 || !pos.Restarted || len(f.requests("/api/v2/certificates/changes")) != 4 {
		t.Errorf("%d records, %d requests, position %+v", len(got), len(f.requests("/api/v2/certificates/changes")), *pos)
	}
}

// A feed whose nextCursor leads back to a page already read would be walked forever; the walk
// stops with a transient malformed answer after the pages it did read, and keeps its position.
func TestChangesStopsWhenTheCursorDoesNotAdvance(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pages []string
		want  int // records yielded before the error
	}{
		{"the cursor sent", []string{`{"items":[{"certNo":"T1","itemCode":"0102","updatedAt":"2024-05-21T09:30:00+08:00"}],"nextCursor":"c-1","hasMore":true}`}, 1},
		{"a cycle", []string{
			`{"items":[{"certNo":"T2","itemCode":"0102","updatedAt":"2024-05-21T09:31:00+08:00"}],"nextCursor":"c-2","hasMore":true}`,
			`{"items":[{"certNo":"T3","itemCode":"0102","updatedAt":"2024-05-21T09:32:00+08:00"}],"nextCursor":"c-1","hasMore":true}`,
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var rs []httpmock.Responder
			for range 20 {
				for _, p := range tc.pages {
					rs = append(rs, httpmock.NewStringResponder(200, p).HeaderSet(http.Header{"Content-Type": {"application/json"}}))
				}
			}
			f.on(http.MethodGet, "/api/v2/certificates/changes", sequence(rs...))
			seq, pos := f.c.Changes(context.Background(), time.Time{}, "c-1")
			got, err := drain(t, seq)
			if !errors.Is(err, ErrMalformed) || httpx.Classify(err) != httpx.KindTransient {
				t.Fatalf("error %v, want a transient ErrMalformed", err)
			}
			if len(got) != tc.want || pos.Records != tc.want || pos.Done {
				t.Errorf("%d records yielded, position %+v; want %d and not done", len(got), *pos, tc.want)
			}
			if n := len(f.queries("/api/v2/certificates/changes")); n != len(tc.pages) {
				t.Errorf("%d requests, want %d", n, len(tc.pages))
			}
		})
	}
}

package quanzhou

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

// How a listing is read without missing a record.
//
// The platform evaluates GET /enterprises (and /risk/alarms) afresh at every request, sorted by
// (gxsj, id), and a record updated meanwhile moves to the end: every record behind it shifts one
// place towards the front. A walk from page 1 upwards then skips the record that shifted across
// the page boundary it just passed. The only parameters are gxsjStart, pageNo and pageSize.
//
// A round therefore reads its pages from the LAST to the FIRST. A record that never changes
// during the round only ever moves towards the front (everything that leaves the list before it
// leaves for the end; nothing is inserted before it, because an update or a new record takes
// gxsj = the platform's now). By induction over the pages, fetched at t_P < … < t_1: if such a
// record r is not in window P at t_P, it sits below it, and since it can only move forward it is
// still below window P−1's end at t_{P−1}, and so on, until window 1 covers position 0. So r
// is seen. Records that change during the round, records created during it and records of the
// platform's current second (where a same-second update can still be inserted before them by
// qyid) all carry gxsj ≥ the largest gxsj of the first window fetched; the next round lists from
// there. A round whose first page holds the whole rest of the listing (total ≤ pageSize) is one
// consistent answer, and ends the walk. (A round asks for page 1 first, to learn total, and again
// last: one request more than it has pages.)
//
// The next round skips what the previous one delivered: everything up to the largest (gxsj, id)
// K it saw first, when K's second is certainly over on the platform (K.gxsj + 1 s + the
// contract's 300 s timestamp window ≤ our clock when that page was asked for: the platform
// accepted that timestamp, so its clock was past K's second), and stops its backward walk at the
// first page that reaches back to K — ending the walk when that is the very first page and it
// runs to the end of the listing. Otherwise (K's second may still be running, and a same-second
// update with a smaller id may still be filed before K) it re-reads K's whole second, dropping
// exact repeats of the records of that second it already delivered.
//
// A round that started in K's second and found nothing newer ends the walk, with the high-water
// mark on that second: another round could only read that second again (when it is not over, and
// holds more than one answer can — our own bulk push files hundreds of records in one second —
// it would make no progress until the platform's clock leaves it, up to 301 s later). Whatever
// changed during the round carries gxsj ≥ K's second, and the next walk reads from there.
//
// Between walks the skip goes further: the Mark a walk ends on names K's id as well when K's
// second was over as the walk read it. Nothing can be filed in that second any more, and K was
// the last record of the listing then, so the walk delivered that whole second; whatever changed
// in it since has moved to a later second. The next walk lists from the second after K's: a
// quiet night is one request (an empty first page), however many records share K's second, and
// the mark stands. A mark without an id (the second was still running) reads that second again,
// and so does a mark whose second cannot be read as a time (skipping up to K instead).
//
// Memory stays flat: one page, and the (gxsj, id) keys of three pages. A record may still be
// delivered twice (the same version, or an older then a newer one, in the order they were
// seen); callers upsert, and the last delivery is the newest.

// skewWindow is the contract's timestamp tolerance: a request the platform accepted proves its
// clock within this much of ours.
const skewWindow = 300 * time.Second

// maxRounds bounds a walk on a listing that changes faster than it can be read.
const maxRounds = 64

// Mark is where a listing is read from: the records of second Gxsj (the platform's gxsjStart,
// inclusive) and after. Last, when set, is the id of the last record of that second a walk
// delivered once the second was over on the platform: nothing can be filed in it any more, so the
// next walk lists from the second after it instead of reading that second again. Count, when
// Last is not set, is how many records of that second the walk read: the next walk, expecting
// that many or more, asks first for the page they would end on rather than for the count (a
// hint only: a wrong one costs one request). The zero Mark lists everything.
type Mark struct {
	Gxsj  string `json:"gxsj"`
	Last  string `json:"last,omitempty"`
	Count int    `json:"count,omitempty"`
}

// MarkAt is the mark of second t (zero: everything), nothing of it delivered.
func MarkAt(t time.Time) Mark { return Mark{Gxsj: mapping.FormatBeijingTime(t)} }

// Progress reports on a listing walk while and after it runs.
type Progress struct {
	// HighWater is the largest gxsj seen, as the platform wrote it and parsed (a walk from a mark
	// with an id starts with the mark's: it stands until something newer is seen). The next walk
	// starts from it (Mark): gxsjStart is inclusive, so that second is read again (nothing of it
	// can be lost) unless HighWaterLast says it was over and delivered. It is a watermark only
	// when Done.
	HighWater     time.Time
	HighWaterText string
	// HighWaterLast is the id of the last record of the high-water second, set when the walk
	// is Done and saw that second over on the platform.
	HighWaterLast string
	// HighWaterCount is how many records of the high-water second the walk's last round read,
	// set when the walk is Done and that second was still running (HighWaterLast is not set).
	HighWaterCount int
	// Done reports that the walk reached the end without error.
	Done bool
	// Requests, Rounds, Records (delivered) and Repeats (exact repeats dropped).
	Requests, Rounds, Records, Repeats int
	// Total is the listing's size as its first page said: an estimate for a progress line (the
	// listing moves while it is read).
	Total int
}

// Mark is where the next walk starts: the high-water mark, once the walk is Done.
func (p *Progress) Mark() Mark {
	return Mark{Gxsj: p.HighWaterText, Last: p.HighWaterLast, Count: p.HighWaterCount}
}

func (p *Progress) see(gxsj string) {
	if gxsj > p.HighWaterText {
		if t, err := mapping.ParseBeijingTime(gxsj); err == nil {
			p.HighWaterText, p.HighWater = gxsj, t
		}
	}
}

// listing describes one gxsj-ordered listing endpoint.
type listing[T any] struct {
	endpoint string
	key      func(*T) (gxsj, id string)
	field    recordField[T] // the page decoder's field map (decode.go)
}

// pageReader reads one listing answer with the page decoder, reusing its buffer across pages.
// max is the pageSize asked: a longer list is refused.
type pageReader[T any] struct {
	pg    *page[T]
	field recordField[T]
	max   int
	buf   bytes.Buffer
}

func (r *pageReader[T]) readEnvelope(body io.Reader, limit int64) (pageHead, error) {
	r.buf.Reset()
	var head pageHead
	if _, err := r.buf.ReadFrom(&httpx.LimitedReader{R: body, Limit: limit}); err != nil {
		return head, err
	}
	// One copy per page; every field of every record is a slice of it.
	err := decodePage(string(r.buf.Bytes()), r.field, r.pg, &head, r.max)
	return head, err
}

type page[T any] struct {
	Total    int `json:"total"`
	PageNo   int `json:"pageNo"`
	PageSize int `json:"pageSize"`
	List     []T `json:"list"`
}

type recordKey struct{ gxsj, id string }

// after reports whether k sorts after o in the platform's (gxsj, id) order. gxsj is fixed-width
// yyyy-MM-dd HH:mm:ss, so comparing the text compares the times.
func (k recordKey) after(o recordKey) bool {
	if k.gxsj != o.gxsj {
		return k.gxsj > o.gxsj
	}
	return k.id > o.id
}

// walker is the state of one walk.
type walker[T any] struct {
	c     *Client
	l     listing[T]
	prog  *Progress
	yield func(T, error) bool

	start string      // gxsjStart of this round
	size  int         // pageSize of this round
	skip  *recordKey  // records up to here were delivered by the previous round
	tail  []recordKey // the previous round's records of K's second, when it re-reads that second
	prev  []recordKey // the keys of the page fetched before, in listing order
	cur   []recordKey
	// guess is the page the first round asks for first: the last one, when the mark says how
	// many records its second held (0 or 1: page 1, the count).
	guess int
	// kcount counts the records of the round's largest second (K's) on the pages it read.
	kcount int
	pg     page[T]
	rd     pageReader[T]
}

// contains reports whether sorted holds k exactly (the same record at the same gxsj: the same
// version). Keys below sorted's first are answered without a search, which is every key of a
// page that nothing shifted into.
func contains(sorted []recordKey, k recordKey) bool {
	if len(sorted) == 0 || sorted[0].after(k) {
		return false
	}
	i, j := 0, len(sorted)
	for i < j {
		h := int(uint(i+j) >> 1)
		if k.after(sorted[h]) {
			i = h + 1
		} else {
			j = h
		}
	}
	return i < len(sorted) && sorted[i] == k
}

func walk[T any](ctx context.Context, c *Client, l listing[T], from Mark, prog *Progress, yield func(T, error) bool) {
	w := &walker[T]{c: c, l: l, prog: prog, yield: yield, start: from.Gxsj}
	if from.Gxsj != "" && from.Last != "" {
		if t, err := mapping.ParseBeijingTime(from.Gxsj); err == nil {
			// The last walk delivered the mark's second, and the second was over: nothing more
			// is filed in it. The walk reads from the next second, and the mark stands unless
			// something newer is found.
			w.start = mapping.FormatBeijingTime(t.Add(time.Second))
			prog.HighWater, prog.HighWaterText, prog.HighWaterLast = t, from.Gxsj, from.Last
		} else {
			w.skip = &recordKey{from.Gxsj, from.Last} // the last walk delivered its second up to here
		}
	} else if from.Gxsj != "" && from.Count > c.pageSize {
		w.guess = (from.Count + c.pageSize - 1) / c.pageSize
	}
	w.rd = pageReader[T]{pg: &w.pg, field: l.field}
	var zero T
	for round := 1; ; round++ {
		if round > maxRounds {
			yield(zero, c.newError(&call{method: http.MethodGet, endpoint: l.endpoint}, 0, "", "",
				httpx.KindTransient, ErrUnstable, nil))
			return
		}
		prog.Rounds = round
		w.size = c.pageSize
		// A round asks for page 1 first, for the count, unless the walk expects more than a page
		// from its mark: then it asks for the page it expects to be the last. When the answer
		// shows that page is the last, it is the round's first window (read last to first) and
		// the count comes with it; when not, page 1 is asked for after all.
		first := 1
		if round == 1 && w.guess > 1 {
			first = w.guess
		}
		asked := c.clock.Now()
		if err := w.fetch(ctx, first); err != nil {
			yield(zero, err)
			return
		}
		if first > 1 && !w.endsListing(first) {
			first, asked = 1, c.clock.Now()
			if err := w.fetch(ctx, 1); err != nil {
				yield(zero, err)
				return
			}
		}
		if round == 1 {
			prog.Total = w.pg.Total
		}
		if first == 1 && w.pg.Total <= w.size && len(w.pg.List) >= w.pg.Total {
			if n := len(w.pg.List); n > 0 {
				g, id := l.key(&w.pg.List[n-1])
				w.kcount = w.countAt(g)
				if w.emit() {
					w.done(recordKey{g, id}, asked)
				}
			} else {
				prog.Done = true // nothing from the mark on: it stands
			}
			return
		}
		// A platform that serves smaller pages than asked (and says so, or shows it) is paged by
		// its own size, or the windows would not meet.
		if n := len(w.pg.List); first == 1 && n > 0 && n < min(w.pg.Total, w.size) {
			w.size = n
		}
		if w.pg.PageSize > 0 && w.pg.PageSize < w.size {
			w.size = w.pg.PageSize
		}
		// Page 1 was only the count: it is stale by the time the others are read. A last page
		// asked for first is the first window.
		last := (w.pg.Total + w.size - 1) / w.size
		var kmax recordKey
		var kmaxAt time.Time
		var nextTail []recordKey
		w.kcount = 0
		for p := last; p >= 1; p-- {
			if p != first || first == 1 {
				asked = c.clock.Now()
				if err := w.fetch(ctx, p); err != nil {
					yield(zero, err)
					return
				}
			}
			if nextTail == nil && len(w.pg.List) > 0 {
				g, id := l.key(&w.pg.List[len(w.pg.List)-1])
				kmax, kmaxAt = recordKey{g, id}, asked
				nextTail = []recordKey{}
				for i := range w.pg.List {
					if g2, id2 := l.key(&w.pg.List[i]); g2 == g {
						nextTail = append(nextTail, recordKey{g2, id2})
					}
				}
			}
			if nextTail != nil {
				w.kcount += w.countAt(kmax.gxsj) // the round reads K's second to its start
			}
			reached := w.reachesSkip()
			if !w.emit() {
				return
			}
			if reached && p == last && w.pg.Total <= last*w.size {
				// The first page asked for already reaches back to what the previous round
				// delivered and runs to the end of the listing: one consistent answer holds
				// everything new. The walk is complete.
				w.done(kmax, kmaxAt)
				return
			}
			if reached {
				break
			}
		}
		if nextTail == nil {
			prog.Done = true // every page came back empty: nothing left to read
			return
		}
		if w.start == kmax.gxsj {
			// This round started in K's second and found nothing newer: another round would only
			// read that second again. Everything before it is delivered, and the second as it
			// stands; what changed meanwhile sorts after it. The walk ends on K's second.
			w.done(kmax, kmaxAt)
			return
		}
		w.start = kmax.gxsj
		if settled(kmax.gxsj, kmaxAt) {
			w.skip, w.tail = &kmax, nil
		} else {
			w.skip, w.tail = nil, nextTail
		}
	}
}

// endsListing reports whether the page asked for first (pageNo first > 1) is the listing's last
// window at the size asked: the listing's tail, whole.
func (w *walker[T]) endsListing(first int) bool {
	tail := w.pg.Total - (first-1)*w.size
	return tail > 0 && tail <= w.size && len(w.pg.List) == tail && (w.pg.PageSize == 0 || w.pg.PageSize == w.size)
}

// countAt counts the page's records of second gxsj.
func (w *walker[T]) countAt(gxsj string) int {
	n := 0
	for i := range w.pg.List {
		if g, _ := w.l.key(&w.pg.List[i]); g == gxsj {
			n++
		}
	}
	return n
}

// done ends the walk on k, the largest key of the last round (from the page asked for at asked,
// which ran to the end of the listing): everything up to k is delivered. The high-water mark is
// k's second, and k's id goes with it when that second was over, so that the next walk skips
// what this one delivered of it.
func (w *walker[T]) done(k recordKey, asked time.Time) {
	if t, err := mapping.ParseBeijingTime(k.gxsj); err == nil {
		w.prog.HighWater, w.prog.HighWaterText, w.prog.HighWaterLast, w.prog.HighWaterCount = t, k.gxsj, "", w.kcount
		if settled(k.gxsj, asked) {
			w.prog.HighWaterLast, w.prog.HighWaterCount = k.id, 0
		}
	}
	w.prog.Done = true
}

// settled reports whether the platform's clock was certainly past second gxsj at time asked.
func settled(gxsj string, asked time.Time) bool {
	t, err := mapping.ParseBeijingTime(gxsj)
	return err == nil && !t.Add(time.Second+skewWindow).After(asked)
}

func (w *walker[T]) fetch(ctx context.Context, pageNo int) error {
	q := url.Values{
		"xzqhdm":   {w.c.region},
		"pageNo":   {strconv.Itoa(pageNo)},
		"pageSize": {strconv.Itoa(w.size)},
	}
	if w.start != "" {
		q.Set("gxsjStart", w.start)
	}
	// Reuse the page's records; zero them first, because the decoder does not clear a field the
	// next record leaves out.
	clear(w.pg.List[:cap(w.pg.List)])
	w.pg = page[T]{List: w.pg.List[:0]}
	w.prog.Requests++
	w.rd.max = w.size
	cl := &call{method: http.MethodGet, endpoint: w.l.endpoint, path: w.l.endpoint, query: q, idempotent: true}
	return w.c.do(ctx, cl, &w.rd)
}

// reachesSkip reports whether the page holds a record the previous round delivered, which means
// the pages below hold nothing new.
func (w *walker[T]) reachesSkip() bool {
	if w.skip == nil {
		return false
	}
	for i := range w.pg.List {
		g, id := w.l.key(&w.pg.List[i])
		if !(recordKey{g, id}).after(*w.skip) {
			return true
		}
	}
	return false
}

// emit delivers the page's new records; it reports false when the caller stopped.
func (w *walker[T]) emit() bool {
	w.cur = w.cur[:0]
	for i := range w.pg.List {
		r := &w.pg.List[i]
		g, id := w.l.key(r)
		k := recordKey{g, id}
		w.prog.see(g)
		if w.skip != nil && !k.after(*w.skip) {
			continue
		}
		w.cur = append(w.cur, k)
		if contains(w.prev, k) || contains(w.tail, k) {
			w.prog.Repeats++
			continue
		}
		w.prog.Records++
		if !w.yield(*r, nil) {
			return false
		}
	}
	w.prev, w.cur = w.cur, w.prev
	return true
}

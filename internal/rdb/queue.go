package rdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// The retry queue's Redis side (scheduler/retry decides the policy; this file only keeps the
// items): each method is one script or one pipelined read. Times are passed in, from the queue's
// clock, and travel as unix milliseconds.

// EnqueueArg is one record to queue.
type EnqueueArg struct {
	ID, Kind, Key string
	First         time.Time // when its first attempt is due
	Error, Class  string    // the cause and its class ("" = no cause)
}

// Enqueue adds or coalesces items (enqueueScript); per record 1 new, 2 coalesced, 3 revived from
// the dead letters, -1 id collision.
func (c *Conn) Enqueue(ctx context.Context, now, deadline time.Time, maxErrors int, recs []EnqueueArg) ([]int, error) {
	k := c.Keys()
	args := make([]any, 0, 4+6*len(recs))
	args = append(args, k.retryBase(), now.UnixMilli(), deadline.UnixMilli(), maxErrors)
	for _, r := range recs {
		errJSON := ""
		if r.Class != "" {
			errJSON = errorJSON(r.Error)
		}
		args = append(args, r.ID, r.Kind, r.Key, r.First.UnixMilli(), errJSON, r.Class)
	}
	res, err := enqueueScript.Run(ctx, c.client, []string{k.Kinds()}, args...).Slice()
	if err != nil {
		return nil, err
	}
	return ints(res), nil
}

// ClaimArg says how to claim.
type ClaimArg struct {
	Kind        string
	Now, Until  time.Time // until: the lease's end
	N           int       // at most this many items
	MaxAttempts int
	LeaseError  string // the error recorded for an item whose lease ran out
	MaxErrors   int
}

// Claimed is a claimed item as kept.
type Claimed struct {
	ID, Key         string
	Token           int64
	Attempts        int
	First, Deadline time.Time
	LastError       string
}

// Claim returns expired leases to the queue (or the dead letters) and leases up to N due items
// (claimScript). returned and died count the expired leases.
func (c *Conn) Claim(ctx context.Context, a ClaimArg) (returned, died int, items []Claimed, err error) {
	k := c.Keys()
	res, err := claimScript.Run(ctx, c.client,
		[]string{k.Queue(a.Kind), k.Active(a.Kind), k.Dead(a.Kind), k.Fence()},
		k.retryBase(), a.Now.UnixMilli(), a.Until.UnixMilli(), a.N, a.MaxAttempts, errorJSON(a.LeaseError), a.MaxErrors,
	).Slice()
	if err != nil {
		return 0, 0, nil, err
	}
	if len(res) < 2 || (len(res)-2)%7 != 0 {
		return 0, 0, nil, fmt.Errorf("malformed reply of %d values", len(res))
	}
	items = make([]Claimed, 0, (len(res)-2)/7)
	for i := 2; i+7 <= len(res); i += 7 {
		items = append(items, Claimed{
			ID:        toString(res[i]),
			Token:     int64(toInt(res[i+1])),
			Key:       toString(res[i+2]),
			Attempts:  toInt(res[i+3]),
			First:     fromMillis(toInt(res[i+4])),
			Deadline:  fromMillis(toInt(res[i+5])),
			LastError: decodeError(toString(res[i+6])),
		})
	}
	return toInt(res[0]), toInt(res[1]), items, nil
}

// ItemRef names a claim: the item, its kind and the claim's fencing token.
type ItemRef struct {
	ID, Kind string
	Token    int64
}

// Ack finishes claimed items (ackScript); per item 1 done, 2 re-queued (enqueued again while
// claimed: due at now, with deadline), 0 the claim was stale.
func (c *Conn) Ack(ctx context.Context, now, deadline time.Time, refs []ItemRef) ([]int, error) {
	args := make([]any, 0, 3+2*len(refs))
	args = append(args, c.Keys().retryBase(), now.UnixMilli(), deadline.UnixMilli())
	for _, r := range refs {
		args = append(args, r.ID, r.Token)
	}
	res, err := ackScript.Run(ctx, c.client, []string{c.Keys().Fence()}, args...).Slice()
	if err != nil {
		return nil, err
	}
	return ints(res), nil
}

// FailArg is a failed attempt.
type FailArg struct {
	Now, Next                    time.Time // next: the next attempt, if there is one
	Class, Error                 string
	MaxAttempts, UnknownAttempts int
	Dead                         bool // dead at once (a permanent error)
	MaxErrors                    int
}

// Fail records a failed attempt (failScript): status 1 rescheduled, 2 dead (with the reason:
// attempts | unknown | deadline | permanent), 0 the claim was stale; attempts is the count now.
func (c *Conn) Fail(ctx context.Context, ref ItemRef, a FailArg) (status, attempts int, reason string, err error) {
	k := c.Keys()
	dead := 0
	if a.Dead {
		dead = 1
	}
	res, err := failScript.Run(ctx, c.client,
		[]string{k.Item(ref.ID), k.Errs(ref.ID), k.Active(ref.Kind), k.Queue(ref.Kind), k.Dead(ref.Kind)},
		ref.ID, ref.Token, a.Now.UnixMilli(), a.Next.UnixMilli(), a.Class, errorJSON(a.Error),
		a.MaxAttempts, a.UnknownAttempts, dead, a.MaxErrors,
	).Slice()
	if err != nil {
		return 0, 0, "", err
	}
	status = toInt(res[0])
	if len(res) > 1 {
		attempts = toInt(res[1])
	}
	if len(res) > 2 {
		reason = toString(res[2])
	}
	return status, attempts, reason, nil
}

// Release hands a claimed item back, due at now, without counting an attempt
// (releaseItemScript); false: the claim was stale.
func (c *Conn) Release(ctx context.Context, ref ItemRef, now time.Time) (bool, error) {
	k := c.Keys()
	n, err := releaseItemScript.Run(ctx, c.client, []string{k.Item(ref.ID), k.Active(ref.Kind), k.Queue(ref.Kind)},
		ref.ID, ref.Token, now.UnixMilli()).Int()
	return n == 1, err
}

// Extend renews claims' leases to until in one round trip (extendScript, pipelined); per claim
// false when it was stale.
func (c *Conn) Extend(ctx context.Context, until time.Time, refs ...ItemRef) ([]bool, error) {
	k := c.Keys()
	if len(refs) == 1 {
		r := refs[0]
		n, err := extendScript.Run(ctx, c.client, []string{k.Item(r.ID), k.Active(r.Kind)}, r.ID, r.Token, until.UnixMilli()).Int()
		return []bool{n == 1}, err
	}
	for try := 0; ; try++ {
		pipe := c.client.Pipeline()
		cmds := make([]*redis.Cmd, len(refs))
		for i, r := range refs {
			cmds[i] = extendScript.EvalSha(ctx, pipe, []string{k.Item(r.ID), k.Active(r.Kind)}, r.ID, r.Token, until.UnixMilli())
		}
		_, err := pipe.Exec(ctx)
		if err == nil {
			out := make([]bool, len(cmds))
			for i, cmd := range cmds {
				n, _ := cmd.Int()
				out[i] = n == 1
			}
			return out, nil
		}
		// Redis lost its script cache (a restart): load the script once and go again.
		if try == 0 && redis.HasErrorPrefix(err, "NOSCRIPT") {
			if err := extendScript.Load(ctx, c.client).Err(); err != nil {
				return nil, err
			}
			continue
		}
		return nil, err
	}
}

// KindCounts are one kind's items: due now, waiting for later, claimed, dead.
type KindCounts struct{ Due, Scheduled, Active, Dead int }

// Counts counts the items of every kind (statsScript).
func (c *Conn) Counts(ctx context.Context, now time.Time) (map[string]KindCounts, error) {
	res, err := statsScript.Run(ctx, c.client, []string{c.Keys().Kinds()}, c.Keys().retryBase(), now.UnixMilli()).Slice()
	if err != nil {
		return nil, err
	}
	out := make(map[string]KindCounts, len(res)/5)
	for i := 0; i+5 <= len(res); i += 5 {
		out[toString(res[i])] = KindCounts{Due: toInt(res[i+1]), Scheduled: toInt(res[i+2]), Active: toInt(res[i+3]), Dead: toInt(res[i+4])}
	}
	return out, nil
}

// Kinds lists every kind ever enqueued.
func (c *Conn) Kinds(ctx context.Context) ([]string, error) {
	return c.client.SMembers(ctx, c.Keys().Kinds()).Result()
}

// Zone is where an item waits.
type Zone int

// Zones of Ref.
const (
	ZoneQueue  Zone = iota // waiting for its next attempt
	ZoneActive             // claimed
	ZoneDead               // in the dead letters
)

// Ref is an item in a zone, with its score there (next attempt, lease end or dead since).
type Ref struct {
	ID   string
	At   time.Time
	Zone Zone
}

// Refs reads the first limit items of each kind, in one round trip: the dead letters when dead,
// else the claimed and the waiting ones.
func (c *Conn) Refs(ctx context.Context, kinds []string, dead bool, limit int) ([]Ref, error) {
	k := c.Keys()
	pipe := c.client.Pipeline()
	type zq struct {
		cmd  *redis.ZSliceCmd
		zone Zone
	}
	var zs []zq
	for _, kind := range kinds {
		if dead {
			zs = append(zs, zq{pipe.ZRangeWithScores(ctx, k.Dead(kind), 0, int64(limit-1)), ZoneDead})
			continue
		}
		zs = append(zs, zq{pipe.ZRangeWithScores(ctx, k.Active(kind), 0, int64(limit-1)), ZoneActive})
		zs = append(zs, zq{pipe.ZRangeWithScores(ctx, k.Queue(kind), 0, int64(limit-1)), ZoneQueue})
	}
	if len(zs) == 0 {
		return nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	var refs []Ref
	for _, z := range zs {
		for _, m := range z.cmd.Val() {
			id, _ := m.Member.(string)
			refs = append(refs, Ref{ID: id, At: time.UnixMilli(int64(m.Score)), Zone: z.zone})
		}
	}
	return refs, nil
}

// Score is when an item of kind in zone is due (ZoneQueue) or its lease ends (ZoneActive); zero
// when it is not there.
func (c *Conn) Score(ctx context.Context, kind string, zone Zone, id string) (time.Time, error) {
	key := c.Keys().Queue(kind)
	if zone == ZoneActive {
		key = c.Keys().Active(kind)
	}
	score, err := c.client.ZScore(ctx, key, id).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return time.Time{}, err
	}
	return time.UnixMilli(int64(score)), nil
}

// Stored is an item as kept, with its error history.
type Stored struct {
	ID, Kind, Key, State string // state: queued | active | dead
	Attempts             int
	LastError            string
	First, Deadline      time.Time
	DeadAt               time.Time
	DeadReason           string
	Errors               []ErrorRecord // oldest first
}

// ErrorRecord is one entry of an item's error history.
type ErrorRecord struct {
	At      time.Time `json:"at"`
	Attempt int       `json:"attempt"` // failed attempts counted when it happened (0: before the first)
	Class   string    `json:"class"`   // transient | unknown | permanent | quarantined | lease | replay
	Error   string    `json:"error"`
}

// storedError is an error record as kept in Redis (time in unix milliseconds).
type storedError struct {
	At      int64  `json:"at"`
	Attempt int    `json:"attempt"`
	Class   string `json:"class"`
	Error   string `json:"error"`
}

// Load reads items and their error histories in one round trip; nil where an item is gone.
func (c *Conn) Load(ctx context.Context, ids []string) ([]*Stored, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	k := c.Keys()
	pipe := c.client.Pipeline()
	type pair struct {
		hash *redis.MapStringStringCmd
		errs *redis.StringSliceCmd
	}
	ps := make([]pair, len(ids))
	for i, id := range ids {
		ps[i] = pair{pipe.HGetAll(ctx, k.Item(id)), pipe.LRange(ctx, k.Errs(id), 0, -1)}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make([]*Stored, len(ps))
	for i, p := range ps {
		h := p.hash.Val()
		if len(h) == 0 {
			continue
		}
		s := &Stored{
			ID:         ids[i],
			Kind:       h["kind"],
			Key:        h["key"],
			State:      h["state"],
			Attempts:   toInt(h["attempts"]),
			LastError:  decodeError(h["lastError"]),
			First:      fromMillis(toInt(h["first"])),
			Deadline:   fromMillis(toInt(h["deadline"])),
			DeadAt:     fromMillis(toInt(h["deadAt"])),
			DeadReason: h["deadReason"],
			Errors:     []ErrorRecord{},
		}
		for _, raw := range p.errs.Val() {
			var r storedError
			if err := json.Unmarshal([]byte(raw), &r); err == nil {
				s.Errors = append(s.Errors, ErrorRecord{At: time.UnixMilli(r.At), Attempt: r.Attempt, Class: r.Class, Error: r.Error})
			}
		}
		out[i] = s
	}
	return out, nil
}

// KindOf reads an item's kind ("" when unknown).
func (c *Conn) KindOf(ctx context.Context, id string) string {
	k, _ := c.client.HGet(ctx, c.Keys().Item(id), "kind").Result()
	return k
}

// DeadIDs are the first n dead items of kind.
func (c *Conn) DeadIDs(ctx context.Context, kind string, n int) ([]string, error) {
	return c.client.ZRange(ctx, c.Keys().Dead(kind), 0, int64(n-1)).Result()
}

// Replay puts dead items back in the queue, due at now, with a fresh deadline; the replay is
// recorded in their history as note (replayScript). Per id 1 replayed, 0 not a dead item.
func (c *Conn) Replay(ctx context.Context, now, deadline time.Time, note string, maxErrors int, ids []string) ([]int, error) {
	args := []any{c.Keys().retryBase(), now.UnixMilli(), deadline.UnixMilli(), errorJSON(note), maxErrors}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := replayScript.Run(ctx, c.client, []string{c.Keys().Kinds()}, args...).Slice()
	if err != nil {
		return nil, err
	}
	return ints(res), nil
}

// Drop deletes items that are not being worked on (dropScript). Per id 1 dropped, -1 claimed
// (busy), 0 unknown.
func (c *Conn) Drop(ctx context.Context, ids []string) ([]int, error) {
	args := []any{c.Keys().retryBase()}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := dropScript.Run(ctx, c.client, []string{c.Keys().Kinds()}, args...).Slice()
	if err != nil {
		return nil, err
	}
	return ints(res), nil
}

// Purge deletes up to batch dead items that died before cutoff (purgeScript); it returns how many.
func (c *Conn) Purge(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	return purgeScript.Run(ctx, c.client, []string{c.Keys().Kinds()}, c.Keys().retryBase(), cutoff.UnixMilli(), batch).Int()
}

// NextDue is when the earliest waiting item of kind is due or the earliest lease runs out.
func (c *Conn) NextDue(ctx context.Context, kind string) (time.Time, bool) {
	pipe := c.client.Pipeline()
	a := pipe.ZRangeWithScores(ctx, c.Keys().Queue(kind), 0, 0)
	b := pipe.ZRangeWithScores(ctx, c.Keys().Active(kind), 0, 0)
	if _, err := pipe.Exec(ctx); err != nil {
		return time.Time{}, false
	}
	var next time.Time
	for _, zs := range [][]redis.Z{a.Val(), b.Val()} {
		for _, z := range zs {
			t := time.UnixMilli(int64(z.Score))
			if next.IsZero() || t.Before(next) {
				next = t
			}
		}
	}
	return next, !next.IsZero()
}

// maxErrorLen bounds one stored error text.
const maxErrorLen = 2000

// errorJSON is an error text as a JSON string, cut to maxErrorLen bytes at a rune boundary.
func errorJSON(msg string) string {
	if len(msg) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	b, _ := json.Marshal(msg)
	return string(b)
}

// decodeError reads a stored JSON string back ("" stays "").
func decodeError(s string) string {
	if s == "" {
		return ""
	}
	var msg string
	if err := json.Unmarshal([]byte(s), &msg); err != nil {
		return s
	}
	return msg
}

func fromMillis(ms int) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms))
}

func ints(vs []any) []int {
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = toInt(v)
	}
	return out
}

func toInt(v any) int {
	switch x := v.(type) {
	case int64:
		return int(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return int(n)
	}
	return 0
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

// DueNow makes waiting items due at now (立即重试) and reports each id's state as it found it:
// "queued" (moved), "dead", "active" (a worker holds it, left alone) or "" (no such item). A
// member is moved only while still waiting in its kind's queue, and only earlier (ZADD XX LT):
// an item claimed or finished in between is not touched.
func (c *Conn) DueNow(ctx context.Context, now time.Time, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	k := c.Keys()
	pipe := c.client.Pipeline()
	cmds := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HMGet(ctx, k.Item(id), "state", "kind")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	states := make([]string, len(ids))
	pipe = c.client.Pipeline()
	moved := 0
	for i, id := range ids {
		v := cmds[i].Val()
		state, _ := v[0].(string)
		kind, _ := v[1].(string)
		states[i] = state
		if state == "queued" {
			pipe.ZAddArgs(ctx, k.Queue(kind), redis.ZAddArgs{XX: true, LT: true,
				Members: []redis.Z{{Score: float64(now.UnixMilli()), Member: id}}})
			moved++
		}
	}
	if moved > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, err
		}
	}
	return states, nil
}

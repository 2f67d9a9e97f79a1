package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"streetsync/internal/jobs"
	"streetsync/scheduler/retry"
)

// seedQueue puts two live items and two dead ones in the env's queue; one key carries an ID
// number, which every output must mask.
func seedQueue(t *testing.T, e *env) (live, dead []string) {
	t.Helper()
	ctx := context.Background()
	q, err := retry.New(e.redis, retry.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"350582199001011231|91350582MA2Y00001X|0102", "91350582MA2Y00002X"} {
		id, err := q.Enqueue(ctx, "test.push", key, errors.New("平台繁忙 350582199001011231"))
		if err != nil {
			t.Fatal(err)
		}
		live = append(live, id)
	}
	for _, key := range []string{"dead-a", "dead-b"} {
		if _, err := q.Enqueue(ctx, "test.dead", key, nil); err != nil { // due at once
			t.Fatal(err)
		}
		it, err := q.Claim(ctx, "test.dead", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.Fail(ctx, it, retry.Permanent(errors.New("平台拒绝"))); err != nil {
			t.Fatal(err)
		}
		dead = append(dead, it.ID)
	}
	return live, dead
}

func TestQueueStatsListRetryDrop(t *testing.T) {
	e := newEnv(t, 5, "")
	live, dead := seedQueue(t, e)

	var st map[string]int
	e.jsonCLI(t, exitOK, &st, "queue", "stats")
	if len(st) != 3 || st["pending"] != 0 || st["scheduled"] != 2 || st["dead"] != 2 {
		t.Fatalf("queue stats: got %v, want pending 0, scheduled 2, dead 2 and nothing else", st)
	}

	var items []queueItem
	out := e.jsonCLI(t, exitOK, &items, "queue", "list")
	if len(items) != 2 {
		t.Fatalf("queue list: got %d items, want 2", len(items))
	}
	if strings.Contains(out, "199001011234") {
		t.Errorf("queue list shows a whole ID number:\n%s", out)
	}
	if !strings.Contains(out, "350582********1231") {
		t.Errorf("queue list does not show the masked ID number:\n%s", out)
	}
	for _, it := range items {
		if it.Job != "test.push" || it.Key == "" || it.LastError == "" || it.NextAttempt == nil {
			t.Errorf("item %+v lacks job, key, last error or next attempt", it)
		}
	}
	e.jsonCLI(t, exitOK, &items, "queue", "list", "--dead")
	if len(items) != 2 || items[0].State != retry.StateDead || items[0].DeadReason != "permanent" {
		t.Fatalf("queue list --dead: got %+v, want the 2 permanent dead items", items)
	}
	_, text, _ := e.cli(t, "queue", "list", "--dead")
	if !strings.Contains(text, "死信") || !strings.Contains(text, "平台明确拒绝") {
		t.Errorf("text list does not explain the dead items:\n%s", text)
	}

	var n map[string]int
	e.jsonCLI(t, exitOK, &n, "queue", "retry", dead[0])
	if n["replayed"] != 1 {
		t.Fatalf("queue retry: got %v, want replayed 1", n)
	}
	e.jsonCLI(t, exitOK, &n, "queue", "retry", "--all-dead")
	if n["replayed"] != 1 {
		t.Fatalf("queue retry --all-dead: got %v, want replayed 1", n)
	}
	e.jsonCLI(t, exitOK, &n, "queue", "drop", live[0], live[1])
	if n["dropped"] != 2 {
		t.Fatalf("queue drop: got %v, want dropped 2", n)
	}
	e.jsonCLI(t, exitOK, &st, "queue", "stats")
	if st["pending"] != 2 || st["scheduled"] != 0 || st["dead"] != 0 {
		t.Fatalf("after replay and drop: got %v, want the 2 replayed items pending, nothing else", st)
	}
	code, text, _ := e.cli(t, "queue", "stats")
	if code != exitOK || !strings.Contains(text, "待处理 2") {
		t.Errorf("text stats: exit %d, %q", code, text)
	}
}

func TestQueueErrors(t *testing.T) {
	e := newEnv(t, 5, "")
	for _, tc := range []struct {
		rule string
		args []string
		want int
	}{
		{"retry needs IDs or --all-dead", []string{"queue", "retry"}, exitUsage},
		{"retry takes IDs or --all-dead, not both", []string{"queue", "retry", "x", "--all-dead"}, exitUsage},
		{"drop needs IDs", []string{"queue", "drop"}, exitUsage},
		{"unknown ID is the operator's mistake", []string{"queue", "drop", "nosuchid"}, exitUsage},
		{"unknown dead ID", []string{"queue", "retry", "nosuchid"}, exitUsage},
		{"drain needs a positive timeout", []string{"queue", "drain", "--timeout", "0s"}, exitUsage},
		{"unknown flag", []string{"queue", "list", "--deadd"}, exitUsage},
	} {
		if code, _, errOut := e.cli(t, tc.args...); code != tc.want {
			t.Errorf("%s: %v: exit %d, want %d; stderr: %s", tc.rule, tc.args, code, tc.want, errOut)
		}
	}
	// Redis unreachable is a runtime failure.
	bad := *e
	bad.config, bad.redisAddr = bad.config+".bad.yaml", "127.0.0.1:1"
	bad.writeConfig(t, "")
	if code, _, _ := bad.cli(t, "queue", "stats"); code != exitRuntime {
		t.Errorf("redis down: exit %d, want 3", code)
	}
}

func TestQueueDrainWorksTheItemsNow(t *testing.T) {
	e := newEnv(t, 5, "")
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	q, err := retry.New(e.redis, retry.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	// A push that failed earlier waits in the queue; drain sends it now.
	for _, ent := range e.mocks.Dataset.Ledger[:2] {
		if _, err := q.Enqueue(context.Background(), jobs.KindEnterprisePush, ent.USCC, nil); err != nil {
			t.Fatal(err)
		}
	}
	var st map[string]int
	e.jsonCLI(t, exitOK, &st, "queue", "drain", "--timeout", "30s")
	if len(st) != 3 || st["pending"] != 0 || st["scheduled"] != 0 || st["dead"] != 0 {
		t.Fatalf("queue drain: got %v, want an empty queue", st)
	}
	for _, ent := range e.mocks.Dataset.Ledger[:2] {
		if len(e.mocks.Quanzhou.Pushes(ent.USCC)) == 0 {
			t.Errorf("drain did not push %s to the platform", ent.USCC)
		}
	}
}

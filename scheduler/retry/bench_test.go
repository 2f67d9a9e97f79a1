package retry

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"streetsync/internal/testutil"
)

// ackCounter closes done when n acks have been observed.
type ackCounter struct {
	n, want int64
	done    chan struct{}
}

func (a *ackCounter) QueueEvent(_, event string) {
	if event == EventAcked && atomic.AddInt64(&a.n, 1) == a.want {
		close(a.done)
	}
}

// BenchmarkQueueRoundTrip measures items/s through enqueue → claim → ack on a real Redis over
// loopback: a producer enqueues b.N records (pipelined, 64 a round trip) while one worker with
// the given concurrency claims and acks them.
func BenchmarkQueueRoundTrip(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			conn, kind := testutil.Redis(b)
			testutil.RequireRealRedis(b, kind)
			acks := &ackCounter{want: int64(b.N), done: make(chan struct{})}
			q, err := New(conn, DefaultPolicy(), WithObserver(acks))
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			b.ResetTimer()
			start := time.Now()
			go func() {
				defer close(stopped)
				_ = q.Run(ctx, Worker{Kind: kindEnt, Concurrency: workers, Handler: func(context.Context, *Item) error { return nil }})
			}()
			const batch = 64
			reqs := make([]Request, 0, batch)
			for i := 0; i < b.N; i++ {
				reqs = append(reqs, Request{Kind: kindEnt, Key: fmt.Sprintf("91350582MA%08d", i)})
				if len(reqs) == batch || i == b.N-1 {
					if _, err := q.EnqueueBatch(ctx, reqs); err != nil {
						b.Fatal(err)
					}
					reqs = reqs[:0]
				}
			}
			<-acks.done
			elapsed := time.Since(start)
			b.StopTimer()
			cancel()
			<-stopped
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "items/s")
		})
	}
}

package ledger

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"

	"streetsync/mapping"
)

// certStream yields n certificates, two per ID number ("id0000", "id0000", "id0001", …), in ID
// order, then fails with err when it is set; it stops early when ctx ends.
func certStream(ctx context.Context, n int, err error) iter.Seq2[mapping.Certificate, error] {
	return func(yield func(mapping.Certificate, error) bool) {
		for i := range n {
			if ctx.Err() != nil {
				yield(mapping.Certificate{}, ctx.Err())
				return
			}
			c := mapping.Certificate{IDNumber: fmt.Sprintf("id%04d", i/2), CertNo: fmt.Sprintf("c%d", 1-i%2), ItemCode: "0101"}
			if !yield(c, nil) {
				return
			}
		}
		if err != nil {
			yield(mapping.Certificate{}, err)
		}
	}
}

// TestTheCertificateMergeHandsOutEachPersonsCertificatesAcrossBatches: read ahead a batch at a
// time, the merge still gives every asked-for ID number its certificates (sorted by number),
// skips the others, and gives none to an ID number that has none.
func TestTheCertificateMergeHandsOutEachPersonsCertificatesAcrossBatches(t *testing.T) {
	ctx := context.Background()
	n := 3*certificateBatchSize + 7
	m := newCertificateMerge(ctx, certStream(ctx, n, nil))
	defer m.stop()
	for _, i := range []int{0, 1, certificateBatchSize/2 - 1, certificateBatchSize / 2, 1200, n/2 - 1} {
		id := fmt.Sprintf("id%04d", i)
		got, err := m.of(id)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].IDNumber != id || got[0].CertNo != "c0" || got[1].CertNo != "c1" {
			t.Fatalf("of(%s) = %+v, want its two certificates in number order", id, got)
		}
	}
	if got, err := m.of("id9999"); err != nil || len(got) != 0 {
		t.Errorf("of(an ID number past the end) = %v, %v; want none", got, err)
	}
}

// TestTheCertificateMergeReportsAStreamCutShort: an error of the stream, or a cancellation while
// it is read, is an error of the merge — never the end of the certificates, which would make
// everyone after it look uncertified.
func TestTheCertificateMergeReportsAStreamCutShort(t *testing.T) {
	broken := errors.New("disk I/O error")
	m := newCertificateMerge(context.Background(), certStream(context.Background(), 10, broken))
	if _, err := m.of("id0009"); !errors.Is(err, broken) {
		t.Errorf("of past a failing stream: %v, want %v", err, broken)
	}
	if _, err := m.of("id0010"); !errors.Is(err, broken) {
		t.Errorf("of asked again: %v, want %v still", err, broken)
	}
	m.stop()

	ctx, cancel := context.WithCancel(context.Background())
	m = newCertificateMerge(ctx, certStream(ctx, 10*certificateBatchSize, nil))
	defer m.stop()
	if got, err := m.of("id0000"); err != nil || len(got) != 2 {
		t.Fatalf("of(id0000) = %v, %v", got, err)
	}
	cancel()
	var err error
	for i := 1; i < 5*certificateBatchSize && err == nil; i += 100 {
		_, err = m.of(fmt.Sprintf("id%04d", i))
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("of after the walk was cancelled: %v, want context.Canceled", err)
	}
}

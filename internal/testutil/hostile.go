package testutil

import (
	"bytes"
	"runtime"
)

// HeapAllocated is what f allocates on the Go heap, in bytes: runtime.MemStats.TotalAlloc, which
// counts every allocation, freed or not, so the figure does not depend on when the GC runs. It
// measures what a decoder makes of a hostile answer without a timed or wall-clock test.
func HeapAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// RepeatedJSON is a JSON answer of about size bytes: head (ending where an array opens), elem,
// then ",elem" until size is reached, then tail (closing the array). A hostile platform's page
// of millions of {} is RepeatedJSON(`{"list":[`, "{}", "]}", 32<<20).
func RepeatedJSON(head, elem, tail string, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + len(elem) + len(tail))
	b.WriteString(head)
	b.WriteString(elem)
	for b.Len() < size {
		b.WriteByte(',')
		b.WriteString(elem)
	}
	b.WriteString(tail)
	return b.Bytes()
}

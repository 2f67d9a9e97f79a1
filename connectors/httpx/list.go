package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrListTooLong is the cause when an answer lists more elements than were asked for (more
// records than the pageSize of the request, more results than records sent). Either connector
// classifies it as a malformed answer: transient, like any other answer that cannot be right.
var ErrListTooLong = errors.New("list longer than asked")

// BoundedList is a JSON array (or null) of at most Max elements. encoding/json alone grows a
// slice to whatever the answer holds — 32 MiB of {} is eleven million records, gigabytes for a
// body the size cap let through — so the elements are decoded one at a time and the first one
// past Max fails the answer with ErrListTooLong before anything more is allocated. Items is
// reused across answers the way encoding/json reuses a slice: its length is reset, its capacity
// kept.
type BoundedList[T any] struct {
	Max   int
	Items []T
}

// UnmarshalJSON implements json.Unmarshaler.
func (l *BoundedList[T]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		l.Items = nil
		return nil
	}
	if l.Items == nil {
		l.Items = []T{} // [] is an empty list, not null (as encoding/json has it)
	}
	l.Items = l.Items[:0]
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("expected an array, got %v", tok)
	}
	for dec.More() {
		if len(l.Items) >= l.Max {
			return fmt.Errorf("%w: more than %d elements", ErrListTooLong, l.Max)
		}
		var v T
		if err := dec.Decode(&v); err != nil {
			return err
		}
		l.Items = append(l.Items, v)
	}
	_, err = dec.Token() // ']': encoding/json has checked the syntax already
	return err
}

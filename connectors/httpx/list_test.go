package httpx

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

type listItem struct {
	ID string `json:"id"`
}

func TestBoundedListDecodesUpToMax(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		max     int
		want    []string // ids; nil: Items must be nil
		wantErr error    // nil, ErrListTooLong, or errAny
	}{
		{"null", `{"list":null}`, 2, nil, nil},
		{"empty", `{"list":[]}`, 2, []string{}, nil},
		{"within max", `{"list":[{"id":"a"},{"id":"b"}]}`, 2, []string{"a", "b"}, nil},
		{"null elements are zero values", `{"list":[null,{"id":"b"}]}`, 2, []string{"", "b"}, nil},
		{"one too many", `{"list":[{"id":"a"},{"id":"b"},{"id":"c"}]}`, 2, nil, ErrListTooLong},
		{"max zero refuses any element", `{"list":[{}]}`, 0, nil, ErrListTooLong},
		{"not an array", `{"list":{"id":"a"}}`, 2, nil, errAny},
		{"an element of the wrong type", `{"list":[1]}`, 2, nil, errAny},
	}
	for _, c := range cases {
		var v struct {
			List BoundedList[listItem] `json:"list"`
		}
		v.List.Max = c.max
		err := json.Unmarshal([]byte(c.in), &v)
		switch {
		case c.wantErr == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr == errAny && err == nil:
			t.Errorf("%s: no error", c.name)
		case c.wantErr == ErrListTooLong && !errors.Is(err, ErrListTooLong):
			t.Errorf("%s: error %v, want ErrListTooLong", c.name, err)
		}
		if c.wantErr != nil {
			if len(v.List.Items) > c.max {
				t.Errorf("%s: %d items decoded, max %d", c.name, len(v.List.Items), c.max)
			}
			continue
		}
		if c.want == nil != (v.List.Items == nil) || len(v.List.Items) != len(c.want) {
			t.Errorf("%s: items %+v, want %v", c.name, v.List.Items, c.want)
			continue
		}
		for i, id := range c.want {
			if v.List.Items[i].ID != id {
				t.Errorf("%s: item %d = %q, want %q", c.name, i, v.List.Items[i].ID, id)
			}
		}
	}
}

var errAny = errors.New("any error")

// A list far longer than Max is refused after Max+1 elements, whatever follows: decoding a
// million-element array with Max 10 allocates for ten.
func TestBoundedListStopsAtTheFirstElementTooMany(t *testing.T) {
	in := `{"list":[` + strings.Repeat(`{"id":"x"},`, 1_000_000) + `{}]}`
	var v struct {
		List BoundedList[listItem] `json:"list"`
	}
	v.List.Max = 10
	allocs := testing.AllocsPerRun(1, func() {
		v.List.Items = nil
		if err := json.Unmarshal([]byte(in), &v); !errors.Is(err, ErrListTooLong) {
			t.Fatalf("error %v, want ErrListTooLong", err)
		}
	})
	if allocs > 200 || len(v.List.Items) != 10 {
		t.Errorf("%v allocations and %d items for a list refused at 11, want a handful and 10", allocs, len(v.List.Items))
	}
}

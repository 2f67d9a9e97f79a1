// Package order keeps records in a slice sorted by a total order, which is how both mock platforms
// serve listings: a page is a sub-slice, an update is a remove and an insert (usually an append,
// since updated records carry the newest time).
package order

import (
	"slices"
	"sort"
)

// Set is a sorted slice of *T under cmp, which must be a total order (keys unique).
type Set[T any] struct {
	Items []*T
	cmp   func(a, b *T) int
}

// New returns an empty Set with room for n items.
func New[T any](cmp func(a, b *T) int, n int) *Set[T] {
	return &Set[T]{Items: make([]*T, 0, n), cmp: cmp}
}

// Insert adds x at its place.
func (s *Set[T]) Insert(x *T) {
	n := len(s.Items)
	if n == 0 || s.cmp(s.Items[n-1], x) < 0 {
		s.Items = append(s.Items, x)
		return
	}
	i := sort.Search(n, func(i int) bool { return s.cmp(s.Items[i], x) >= 0 })
	s.Items = append(s.Items, nil)
	copy(s.Items[i+1:], s.Items[i:])
	s.Items[i] = x
}

// Remove takes x out; x's key must not have changed since it was inserted.
func (s *Set[T]) Remove(x *T) bool {
	n := len(s.Items)
	i := sort.Search(n, func(i int) bool { return s.cmp(s.Items[i], x) >= 0 })
	if i == n || s.Items[i] != x {
		return false
	}
	copy(s.Items[i:], s.Items[i+1:])
	s.Items[n-1] = nil
	s.Items = s.Items[:n-1]
	return true
}

// Search returns the first index whose item satisfies pred (pred must be monotone).
func (s *Set[T]) Search(pred func(*T) bool) int {
	return sort.Search(len(s.Items), func(i int) bool { return pred(s.Items[i]) })
}

// Sort re-sorts the whole slice (after a bulk load).
func (s *Set[T]) Sort() {
	slices.SortFunc(s.Items, s.cmp)
}

// Len is the number of items.
func (s *Set[T]) Len() int { return len(s.Items) }

// Find returns the item equal to probe under the order, if any.
func (s *Set[T]) Find(probe *T) (*T, bool) {
	i := sort.Search(len(s.Items), func(i int) bool { return s.cmp(s.Items[i], probe) >= 0 })
	if i < len(s.Items) && s.cmp(s.Items[i], probe) == 0 {
		return s.Items[i], true
	}
	return nil, false
}

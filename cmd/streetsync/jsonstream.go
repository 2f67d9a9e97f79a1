package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"iter"
	"reflect"
	"strings"
)

// streamJSON writes v exactly as printJSON does (two-space indent, no HTML escaping, a final
// newline), but marshals the elements of each list one at a time instead of the whole document
// at once: a city's reconciliation report is tens of MB of JSON, and the encoder would hold it
// whole, and its indented copy, at the very end of the run. Structs (their exported fields, with
// json tags, omitempty and embedded structs) and lists are walked here; every other value is
// marshaled by encoding/json.
func streamJSON(w io.Writer, v any) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	s := &jsonStreamer{w: bw}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	if err := s.value(reflect.ValueOf(v), 0); err != nil {
		return err
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

type jsonStreamer struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// A lister is a list kept outside memory (reconcile.People): written an element at a time as it
// is read back, not through its MarshalJSON.
type lister interface {
	Len() int
	Elements() iter.Seq2[any, error]
}

var listerType = reflect.TypeFor[lister]()

func (s *jsonStreamer) indent(depth int) {
	s.w.WriteByte('\n')
	for range depth {
		s.w.WriteString("  ")
	}
}

func (s *jsonStreamer) value(v reflect.Value, depth int) error {
	if v.Kind() == reflect.Struct && v.Type().Implements(listerType) {
		return s.list(v.Interface().(lister), depth)
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() || v.Type().Implements(marshalerType) {
			return s.leaf(v, depth)
		}
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.Struct && !v.Type().Implements(marshalerType) && !reflect.PointerTo(v.Type()).Implements(marshalerType):
		return s.object(v, depth)
	case v.Kind() == reflect.Slice && v.Len() > 0 && v.Type().Elem().Kind() != reflect.Uint8:
		return s.array(func(yield func(reflect.Value, error) bool) {
			for i := range v.Len() {
				if !yield(v.Index(i), nil) {
					return
				}
			}
		}, depth)
	}
	return s.leaf(v, depth)
}

// list writes a lister's elements as a slice's, "[]" when it has none.
func (s *jsonStreamer) list(l lister, depth int) error {
	if l.Len() == 0 {
		s.w.WriteString("[]")
		return nil
	}
	return s.array(func(yield func(reflect.Value, error) bool) {
		for e, err := range l.Elements() {
			if !yield(reflect.ValueOf(e), err) {
				return
			}
		}
	}, depth)
}

// array writes a list of at least one element, one to a line.
func (s *jsonStreamer) array(elems iter.Seq2[reflect.Value, error], depth int) error {
	s.w.WriteByte('[')
	i := 0
	for e, err := range elems {
		if err != nil {
			return err
		}
		if i > 0 {
			s.w.WriteByte(',')
		}
		i++
		s.indent(depth + 1)
		if err := s.value(e, depth+1); err != nil {
			return err
		}
	}
	s.indent(depth)
	s.w.WriteByte(']')
	return nil
}

// leaf marshals v with encoding/json, indented to sit at depth.
func (s *jsonStreamer) leaf(v reflect.Value, depth int) error {
	s.buf.Reset()
	s.enc.SetIndent(strings.Repeat("  ", depth), "  ")
	if err := s.enc.Encode(v.Interface()); err != nil {
		return err
	}
	s.w.Write(bytes.TrimSuffix(s.buf.Bytes(), []byte("\n")))
	return nil
}

// object writes a struct's fields as encoding/json would name and omit them.
func (s *jsonStreamer) object(v reflect.Value, depth int) error {
	s.w.WriteByte('{')
	n := 0
	if err := s.fields(v, depth, &n); err != nil {
		return err
	}
	if n > 0 {
		s.indent(depth)
	}
	s.w.WriteByte('}')
	return nil
}

func (s *jsonStreamer) fields(v reflect.Value, depth int, n *int) error {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && fv.Kind() == reflect.Pointer && fv.IsNil() {
				continue // encoding/json leaves out a nil embedded struct's fields
			}
			if fv.Kind() == reflect.Pointer {
				fv = fv.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if err := s.fields(fv, depth, n); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(","+opts+",", ",omitempty,") && isEmptyJSON(fv) {
			continue
		}
		if *n > 0 {
			s.w.WriteByte(',')
		}
		*n++
		s.indent(depth + 1)
		key, _ := json.Marshal(name)
		s.w.Write(key)
		s.w.WriteString(": ")
		if err := s.value(fv, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// isEmptyJSON is encoding/json's omitempty test.
func isEmptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

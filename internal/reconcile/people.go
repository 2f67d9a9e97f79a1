package reconcile

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"runtime"
	"time"
)

// peopleInMemory is how many uncertified people a list keeps in memory before it writes the rest
// to its file: a street's report never touches the disk, a city's (eighty thousand people, about
// 20 MB in memory) costs a few hundred kilobytes.
const peopleInMemory = 2048

// What a person reads when the list's file fails (the IT person: the directory, and what to do).
const (
	msgPeopleCreate = "对账：无有效证书在岗人员清单较长，需要在临时目录 %s 建一个文件，但建不了（%w）。请检查该目录是否存在、可写、有空间，或用环境变量 TMPDIR 指定另一个目录后再对账"
	msgPeopleWrite  = "对账：无有效证书在岗人员清单写入临时目录 %s 失败（%w）。请检查该目录的空间，或用环境变量 TMPDIR 指定另一个目录后再对账"
	msgPeopleRead   = "对账：从临时目录 %s 读回无有效证书在岗人员清单失败（%w），报告不完整。请再对账一次；若仍失败，检查该目录（是否被清理程序删除了文件）或用环境变量 TMPDIR 指定另一个目录"
)

// People is a report's named list of uncertified people (OperatorReport.UncertifiedPeople), in
// the order the roster was read. The first peopleInMemory are kept in memory; the rest are
// written to a temporary file as they are found and read back, one at a time, by whatever
// writes the report (All), so that a report costs the same memory whatever their number. The
// file is created 0600 in the system's temporary directory and removed at once where the
// system allows it (the open file stays readable; nothing is left behind if the process is
// killed), else when the list is closed or collected. The zero People is an empty list.
//
// A list is filled by one goroutine (add, then finish) and read by any number of them after.
type People struct{ l *peopleList }

type peopleList struct {
	mem  []Uncertified
	n    int
	file *os.File // nil while every person is in mem
	path string   // the file's name while it could not be removed yet
	w    *bufio.Writer
	enc  *gob.Encoder
	size int64 // the file's length once finished
	err  error // the first write error: the list is incomplete
	loc  *time.Location
}

// PeopleOf is a list of exactly these people, in memory.
func PeopleOf(people ...Uncertified) People {
	return People{&peopleList{mem: people, n: len(people)}}
}

// newPeople is an empty list whose since times are shown in loc (schedule.timezone).
func newPeople(loc *time.Location) People { return People{&peopleList{loc: loc}} }

// Len is how many people are listed.
func (p People) Len() int {
	if p.l == nil {
		return 0
	}
	return p.l.n
}

// add appends one person.
func (p People) add(u Uncertified) error {
	l := p.l
	if l.err != nil {
		return l.err
	}
	if len(l.mem) < peopleInMemory && l.file == nil {
		l.mem = append(l.mem, u)
		l.n++
		return nil
	}
	if l.file == nil {
		if err := l.create(); err != nil {
			l.err = err
			return err
		}
	}
	if err := l.enc.Encode(&u); err != nil {
		l.err = fmt.Errorf(msgPeopleWrite, os.TempDir(), err)
		return l.err
	}
	l.n++
	return nil
}

func (l *peopleList) create() error {
	f, err := os.CreateTemp("", "streetsync-uncertified-*")
	if err != nil {
		return fmt.Errorf(msgPeopleCreate, os.TempDir(), err)
	}
	if err := os.Remove(f.Name()); err != nil {
		l.path = f.Name() // an open file cannot be removed here: on Close, or when collected
		runtime.AddCleanup(l, func(path string) { os.Remove(path) }, f.Name())
	}
	l.file = f
	l.w = bufio.NewWriterSize(f, 64<<10)
	l.enc = gob.NewEncoder(l.w)
	return nil
}

// finish makes what add wrote readable.
func (p People) finish() error {
	l := p.l
	if l.err != nil || l.file == nil {
		return l.err
	}
	if err := l.w.Flush(); err != nil {
		l.err = fmt.Errorf(msgPeopleWrite, os.TempDir(), err)
		return l.err
	}
	size, err := l.file.Seek(0, io.SeekCurrent)
	if err != nil {
		l.err = fmt.Errorf(msgPeopleWrite, os.TempDir(), err)
		return l.err
	}
	l.size, l.w, l.enc = size, nil, nil
	return nil
}

// All yields the people in order, then stops at the first error reading them back.
func (p People) All() iter.Seq2[Uncertified, error] {
	return func(yield func(Uncertified, error) bool) {
		if p.l == nil {
			return
		}
		l := p.l
		for _, u := range l.mem {
			if !yield(u, nil) {
				return
			}
		}
		if l.err != nil {
			yield(Uncertified{}, l.err)
			return
		}
		if l.file == nil {
			return
		}
		dec := gob.NewDecoder(bufio.NewReaderSize(io.NewSectionReader(l.file, 0, l.size), 64<<10))
		for range l.n - len(l.mem) {
			var u Uncertified // a fresh one: gob leaves a field the stream lacks (a nil since) alone
			if err := dec.Decode(&u); err != nil {
				yield(Uncertified{}, fmt.Errorf(msgPeopleRead, os.TempDir(), err))
				return
			}
			if u.Since != nil && l.loc != nil {
				since := u.Since.In(l.loc)
				u.Since = &since
			}
			if !yield(u, nil) {
				return
			}
		}
	}
}

// Elements yields the people as values, for encoders that write a list an element at a time
// (the CLI's streamed JSON).
func (p People) Elements() iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for u, err := range p.All() {
			if !yield(u, err) || err != nil {
				return
			}
		}
	}
}

// Close removes the list's file, if it has one. The list is empty after.
func (p People) Close() error {
	if p.l == nil {
		return nil
	}
	l := p.l
	var err error
	if l.file != nil {
		err = l.file.Close()
	}
	if l.path != "" {
		if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	*l = peopleList{}
	return err
}

// MarshalJSON writes the list as a JSON array ([] when empty), as encoding/json writes a slice.
// Text is not HTML-escaped here: an encoder that escapes does it to the whole document.
func (p People) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('[')
	n := 0
	for u, err := range p.All() {
		if err != nil {
			return nil, err
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		if err := enc.Encode(u); err != nil {
			return nil, err
		}
		b.Truncate(b.Len() - 1) // the encoder's newline
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a JSON array of people into memory (a report read back).
func (p *People) UnmarshalJSON(data []byte) error {
	var people []Uncertified
	if err := json.Unmarshal(data, &people); err != nil {
		return err
	}
	*p = PeopleOf(people...)
	return nil
}

package dataset

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// sortedZip is an excelize.ZipWriter that makes the archive deterministic: excelize writes
// stream-written sheets in map order, so entries are compressed as they come and written out
// sorted by name, without modification times, when the archive closes.
type sortedZip struct {
	w       io.Writer
	entries []*zipEntry
}

type zipEntry struct {
	name string
	buf  bytes.Buffer
	fw   *flate.Writer
	crc  hash.Hash32
	size uint64
}

func (e *zipEntry) Write(p []byte) (int, error) {
	e.crc.Write(p)
	e.size += uint64(len(p))
	return e.fw.Write(p)
}

func newSortedZip(w io.Writer) excelize.ZipWriter { return &sortedZip{w: w} }

func (z *sortedZip) Create(name string) (io.Writer, error) {
	e := &zipEntry{name: name, crc: crc32.NewIEEE()}
	fw, err := flate.NewWriter(&e.buf, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	e.fw = fw
	z.entries = append(z.entries, e)
	return e, nil
}

func (z *sortedZip) AddFS(fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		w, err := z.Create(path)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
}

func (z *sortedZip) Close() error {
	for _, e := range z.entries {
		if err := e.fw.Close(); err != nil {
			return err
		}
	}
	// [Content_Types].xml first, as Office writes it; the rest by name.
	slices.SortStableFunc(z.entries, func(a, b *zipEntry) int {
		ac, bc := a.name == "[Content_Types].xml", b.name == "[Content_Types].xml"
		switch {
		case ac && !bc:
			return -1
		case bc && !ac:
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	zw := zip.NewWriter(z.w)
	for _, e := range z.entries {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: e.name, Method: zip.Deflate, CRC32: e.crc.Sum32(),
			CompressedSize64: uint64(e.buf.Len()), UncompressedSize64: e.size,
		})
		if err != nil {
			return err
		}
		if _, err := w.Write(e.buf.Bytes()); err != nil {
			return err
		}
	}
	return zw.Close()
}

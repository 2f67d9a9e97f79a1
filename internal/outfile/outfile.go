// Package outfile is how streetsync writes a file for a person to open: a reconciliation report,
// a ledger export, a CSV. Such files name people and enterprises (and the ledger's own copy holds
// whole ID numbers), so every one is created readable by its owner only, mode 0600, whatever the
// umask; and a CSV cell never reaches a spreadsheet as a formula, because its text comes from
// the platforms and from workbooks anyone may have typed into.
package outfile

import (
	"encoding/csv"
	"io"
	"os"
	"regexp"
)

// Mode is the permission of every file written for a person.
const Mode os.FileMode = 0o600

// Create creates path (or truncates it) for writing with Mode. A file that was there keeps its
// inode but loses any wider permission: what is written now is as private as a new file.
func Create(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, Mode)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(Mode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CSVWriter is a csv.Writer whose cells are made inert with Cell.
type CSVWriter struct {
	w   *csv.Writer
	row []string
}

// NewCSV returns a CSVWriter writing to w.
func NewCSV(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write writes one record, every cell through Cell.
func (c *CSVWriter) Write(record []string) error {
	c.row = c.row[:0]
	for _, v := range record {
		c.row = append(c.row, Cell(v))
	}
	return c.w.Write(c.row)
}

// Flush writes what is buffered and reports any error of the writes before.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// plainNumber is a decimal number and nothing else: a spreadsheet reads it as the number it is.
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// Cell is v as a CSV cell a spreadsheet will not evaluate: a value beginning with = + - @, a tab
// or a carriage return is a formula to Excel, LibreOffice and WPS (=HYPERLINK("http://…"), +1+1,
// -2+3, @SUM(…)), so it gets OWASP's prefix, a single quote, which makes it text. A plain
// negative number (-12, -0.5) is left alone: it cannot run anything, and the prefix would turn a
// number into text.
func Cell(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if v[0] == '-' && plainNumber.MatchString(v) {
			return v
		}
		return "'" + v
	}
	return v
}

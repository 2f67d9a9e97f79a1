package console

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"streetsync/internal/ledger"
	"streetsync/mapping/mask"
)

// A workbook import, part of 台账: the upload (read before anything is written, its CSRF token
// checked before the file is read), the result the ledger page shows at its top after it, and
// the download of the full list of rejected rows and warnings.

// ImportResult is `import --format json`. Rejected lists the problems of the first 1 000 rejected
// rows, WarningList the first 1 000 warnings; the rest are counted, and the full list is a
// download. It is kept in the operator's session until shown, so it stays this small however
// large the upload.
type ImportResult struct {
	Enterprises     ledger.Counts    `json:"enterprises"`
	Operators       ledger.Counts    `json:"operators"`
	Rejected        []Rejection      `json:"rejected"`
	RejectedOmitted int              `json:"rejectedOmitted,omitempty"`
	RejectedCounts  []RejectionCount `json:"rejectedCounts,omitempty"`
	WarningList     []Warning        `json:"warnings,omitempty"`
	WarningsOmitted int              `json:"warningsOmitted,omitempty"`
	// RejectedList is the API's URL of the full list of rejected rows and warnings.
	RejectedList string `json:"rejectedList,omitempty"`
	DryRun       bool   `json:"dryRun,omitempty"`
	// ListID names the full list for Workbook.RejectionList ("" when there is none).
	ListID string `json:"-"`
	// RejectedRows counts every rejected row, Warnings every warning (0: the listed ones).
	RejectedRows int `json:"-"`
	Warnings     int `json:"-"`
}

// RejectionCount counts the rejected rows of one sheet with one problem in one column.
type RejectionCount struct {
	Sheet  string `json:"sheet"`
	Column string `json:"column"`
	Reason string `json:"reason"`
	Rows   int    `json:"rows"`
}

// Warning is a finding kept with an imported record.
type Warning struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Value   string `json:"value"`
	Message string `json:"message"`
}

// Rejection is one rejected workbook row.
type Rejection struct {
	Sheet  string `json:"sheet"`
	Row    int    `json:"row"`
	Column string `json:"column"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// maskImport masks every ID number the result quotes (the workbook masks them already; this is
// the console's own safety net, as for every page).
func maskImport(res *ImportResult) {
	if res.Rejected == nil {
		res.Rejected = []Rejection{}
	}
	for i := range res.Rejected {
		rj := &res.Rejected[i]
		rj.Value, rj.Reason = maskCell(rj.Column, rj.Value), mask.IDsInText(rj.Reason)
	}
	for i := range res.WarningList {
		w := &res.WarningList[i]
		w.Value, w.Message = maskCell(w.Column, w.Value), mask.IDsInText(w.Message)
	}
	for i := range res.RejectedCounts {
		res.RejectedCounts[i].Reason = mask.IDsInText(res.RejectedCounts[i].Reason)
	}
}

// maskCell masks a cell quoted from a workbook: an ID number column whatever it holds, and any
// ID number inside other text.
func maskCell(column, value string) string {
	if strings.Contains(column, "身份证") {
		value = mask.ID(value)
	}
	return mask.IDsInText(value)
}

// RejectedCount is how many rows the import rejected (for the page).
func (res *ImportResult) RejectedCount() int { return res.rejectedRows() }

// ListedRows is how many of them the result lists.
func (res *ImportResult) ListedRows() int { return res.rejectedRows() - res.RejectedOmitted }

// WarningTotal is how many warnings the import gave.
func (res *ImportResult) WarningTotal() int {
	return max(res.Warnings, len(res.WarningList)+res.WarningsOmitted)
}

// ListPath is the page's link to the full list.
func (res *ImportResult) ListPath() string { return rejectedListPath(res.ListID) }

// rejectedRows is how many rows the import rejected (the listed ones when the count is unset).
func (res *ImportResult) rejectedRows() int {
	if res.RejectedRows > 0 {
		return res.RejectedRows
	}
	rows := map[Rejection]bool{}
	for _, r := range res.Rejected {
		rows[Rejection{Sheet: r.Sheet, Row: r.Row}] = true
	}
	return len(rows)
}

// rejectedListPath is the page's link to the full list of a result.
func rejectedListPath(id string) string { return "/ledger/import/rejected/" + url.PathEscape(id) }

// apiRejectedListPath is the API's.
func apiRejectedListPath(id string) string { return "/api/workbook/rejected/" + url.PathEscape(id) }

// downloadRejected streams the full list of an import's rejected rows and warnings (API).
func (s *Server) downloadRejected(w http.ResponseWriter, r *http.Request) {
	if err := s.sendRejectionList(w, r); err != nil {
		s.fail(w, r, err)
	}
}

// downloadRejectedPage is the page's download: an unknown list is a message on the ledger page.
func (s *Server) downloadRejectedPage(w http.ResponseWriter, r *http.Request, sess *session) {
	if err := s.sendRejectionList(w, r); err != nil {
		if errors.Is(err, ledger.ErrNotFound) {
			s.sessions.addFlash(sess, "error", msgNoRejectionList)
		} else {
			_, msg := s.classify(r, err)
			s.sessions.addFlash(sess, "error", msg)
		}
		http.Redirect(w, r, "/ledger", http.StatusSeeOther)
	}
}

// sendRejectionList streams the list; an error is returned only while nothing has been sent.
func (s *Server) sendRejectionList(w http.ResponseWriter, r *http.Request) error {
	lw := &lazyFile{w: w, name: "被拒绝的行-" + s.now().In(s.loc).Format("20060102-1504") + ".xlsx"}
	err := s.deps.Workbook.RejectionList(r.Context(), r.PathValue("id"), lw)
	if err != nil && !lw.started {
		return err
	}
	return nil
}

// lazyFile sends the download's headers with its first bytes, so that a failure before them can
// still be answered as an error.
type lazyFile struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (l *lazyFile) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		h := l.w.Header()
		h.Set("Content-Type", xlsxType)
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": l.name}))
	}
	return l.w.Write(p)
}

func (s *Server) failUpload(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, errUploadTooLarge) {
		s.writeAPIError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf(msgUploadTooLarge, sizeText(s.opt.MaxUploadBytes)))
		return
	}
	s.fail(w, r, err)
}

// upload is a workbook read from a multipart form, with the form's other (small) fields.
type upload struct {
	name   string
	data   []byte
	fields map[string]string
}

var errUploadTooLarge = errors.New("upload too large")

// readUpload reads a multipart form holding one workbook (field "file") and small text fields.
// The whole body is bounded by MaxUploadBytes plus room for the fields. before, when set, is
// called with the text fields that precede the file, and may refuse the request (the console's
// CSRF check, made before the file is read).
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, before func(fields map[string]string) error) (*upload, error) {
	limit := s.opt.MaxUploadBytes + 64<<10
	if r.ContentLength > limit {
		return nil, errUploadTooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, inputErr(msgNoFile)
	}
	up := &upload{fields: map[string]string{}}
	checked := before == nil
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, uploadErr(err)
		}
		if p.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(p, 4<<10))
			if err != nil {
				return nil, uploadErr(err)
			}
			up.fields[p.FormName()] = string(v)
			continue
		}
		if p.FormName() != "file" || up.data != nil {
			continue
		}
		if !checked {
			if err := before(up.fields); err != nil {
				return nil, err
			}
			checked = true
		}
		up.name = filepath.Base(p.FileName())
		up.data, err = io.ReadAll(io.LimitReader(p, s.opt.MaxUploadBytes+1))
		if err != nil {
			return nil, uploadErr(err)
		}
		if int64(len(up.data)) > s.opt.MaxUploadBytes {
			return nil, errUploadTooLarge
		}
	}
	if !checked {
		if err := before(up.fields); err != nil {
			return nil, err
		}
	}
	if up.data == nil || up.name == "" {
		return nil, inputErr(msgNoFile)
	}
	return up, nil
}

func uploadErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errUploadTooLarge
	}
	return inputErr(msgBadForm)
}

func (s *Server) importWorkbook(r *http.Request, up *upload, dryRun bool) (*ImportResult, error) {
	switch strings.ToLower(filepath.Ext(up.name)) {
	case ".xlsx", ".csv":
	default:
		return nil, inputErr(msgBadFileType)
	}
	res, err := s.deps.Workbook.Import(r.Context(), up.name, bytes.NewReader(up.data), dryRun)
	if err != nil {
		return nil, err
	}
	res.DryRun = dryRun
	maskImport(res)
	if !dryRun {
		s.comms.invalidate()
		s.tallies.invalidate()
	}
	return res, nil
}

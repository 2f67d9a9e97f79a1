package console

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"streetsync/internal/ledger"
	"streetsync/internal/logging"
)

// The result of a workbook import: what the ledger page shows at its top after an upload, and
// the download of the full list of rejected rows and warnings.

// maskImport masks every ID number the result quotes (the workbook masks them already; this is
// the console's own safety net, as for every page).
func maskImport(res *ImportResult) {
	if res.Rejected == nil {
		res.Rejected = []Rejection{}
	}
	for i := range res.Rejected {
		rj := &res.Rejected[i]
		rj.Value, rj.Reason = maskCell(rj.Column, rj.Value), logging.MaskIDsInText(rj.Reason)
	}
	for i := range res.WarningList {
		w := &res.WarningList[i]
		w.Value, w.Message = maskCell(w.Column, w.Value), logging.MaskIDsInText(w.Message)
	}
	for i := range res.RejectedCounts {
		res.RejectedCounts[i].Reason = logging.MaskIDsInText(res.RejectedCounts[i].Reason)
	}
}

// maskCell masks a cell quoted from a workbook: an ID number column whatever it holds, and any
// ID number inside other text.
func maskCell(column, value string) string {
	if strings.Contains(column, "身份证") {
		value = logging.MaskID(value)
	}
	return logging.MaskIDsInText(value)
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

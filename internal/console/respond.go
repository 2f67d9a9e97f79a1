package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/alerts"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/workbook"
	"streetsync/mapping/mask"
	"streetsync/scheduler/retry"
)

// Writing responses, reading request bodies, and turning errors into what a person reads.

// writeJSON writes v with the ID-number safety net over the encoded body.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("console: encode response", zap.Error(err))
		status, b = http.StatusInternalServerError, []byte(`{"error":"`+msgInternal+`"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(maskBody(b), '\n'))
}

// waitsForTask lifts the server's write deadline off an API request that waits for a sync or a
// reconciliation: the deadline is sized for transfers (an upload, an export), and a whole sync
// may outlast it; the caller holds the token. Without a deadline to lift (tests, a server
// without one) it does nothing.
func waitsForTask(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
}

// apiError is the body of every API error.
type apiError struct {
	Error string `json:"error"`
}

func (s *Server) writeAPIError(w http.ResponseWriter, status int, msg string) {
	s.writeJSON(w, status, apiError{Error: msg})
}

// fail answers an API request that failed with err.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := s.classify(r, err)
	s.writeAPIError(w, status, msg)
}

// classify turns an error from the dependencies into a status and a Chinese message; internal
// errors are logged (masked) and shown as a generic message.
func (s *Server) classify(r *http.Request, err error) (int, string) {
	var in *InputError
	var ain *alerts.InputError
	var mbe *http.MaxBytesError
	var busy *busyError
	var file *workbook.FileError
	var feedback *jobs.InvalidFeedbackError
	var temporary interface{ Temporary() bool }
	switch {
	case errors.As(err, &busy):
		return http.StatusConflict, busy.Error()
	case errors.As(err, &file):
		return http.StatusBadRequest, mask.IDsInText(file.Error())
	case errors.As(err, &feedback):
		return http.StatusBadRequest, mask.IDsInText(feedback.Error())
	case errors.As(err, &in):
		return http.StatusBadRequest, mask.IDsInText(in.Reason)
	case errors.As(err, &ain):
		return http.StatusBadRequest, mask.IDsInText(ain.Reason)
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf(msgJSONTooLarge, sizeText(mbe.Limit))
	case errors.Is(err, alerts.ErrNotFound):
		return http.StatusNotFound, alerts.ErrNotFound.Error()
	case errors.Is(err, alerts.ErrNotFiring):
		return http.StatusConflict, err.Error()
	case errors.Is(err, retry.ErrBusy):
		return http.StatusConflict, "条目正在处理中，无法丢弃：" + mask.IDsInText(err.Error())
	case isNotFound(err):
		return http.StatusNotFound, fmt.Sprintf(msgNotFound, mask.IDsInText(err.Error()))
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return 499, msgUnavailable // the client went away; nobody reads this
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, msgUnavailable
	case errors.As(err, new(*net.OpError)) || databaseClosed(err):
		// Redis or the database does not answer: the pages' banner says which (health.go).
		s.log.Warn("console request met a service that does not answer", zap.String("path", r.URL.Path),
			zap.String("error", mask.IDsInText(err.Error())))
		return http.StatusServiceUnavailable, msgServiceDown
	case errors.As(err, &temporary) && temporary.Temporary():
		s.log.Warn("console request met a platform outage", zap.String("path", r.URL.Path),
			zap.String("error", mask.IDsInText(err.Error())))
		return http.StatusServiceUnavailable, msgPlatformDown
	}
	s.log.Error("console request failed", zap.String("method", r.Method), zap.String("path", r.URL.Path),
		zap.String("error", mask.IDsInText(err.Error())))
	return http.StatusInternalServerError, msgInternal
}

func isNotFound(err error) bool {
	return errors.Is(err, ledger.ErrNotFound) || errors.Is(err, retry.ErrNotFound) || errors.Is(err, alerts.ErrNotFound)
}

// sizeText renders a byte limit for a person: 1 MiB, 20 MiB, 512 KiB.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}

// decodeJSON reads a JSON request body into v, strictly: at most MaxJSONBytes, no unknown
// fields, nothing after the value. On failure it has answered (400 or 413) and returns false.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength > s.opt.MaxJSONBytes {
		s.writeAPIError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf(msgJSONTooLarge, sizeText(s.opt.MaxJSONBytes)))
		return false
	}
	body := http.MaxBytesReader(w, r.Body, s.opt.MaxJSONBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errTrailing
		}
	}
	if err == nil {
		return true
	}
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	msg := ""
	switch {
	case errors.As(err, &mbe):
		s.writeAPIError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf(msgJSONTooLarge, sizeText(s.opt.MaxJSONBytes)))
		return false
	case errors.Is(err, io.EOF):
		msg = msgJSONEmpty
	case errors.Is(err, errTrailing):
		msg = msgJSONTrailing
	case errors.As(err, &syn):
		msg = fmt.Sprintf(msgBadJSON, fmt.Sprintf("第 %d 个字节附近有语法错误", syn.Offset))
	case errors.As(err, &typ):
		msg = fmt.Sprintf(msgBadJSON, fmt.Sprintf("字段 %s 的类型应为 %s", typ.Field, typ.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		msg = fmt.Sprintf(msgJSONUnknown, strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = fmt.Sprintf(msgBadJSON, "内容不完整")
	default:
		msg = fmt.Sprintf(msgBadJSON, "无法解析")
	}
	s.writeAPIError(w, http.StatusBadRequest, msg)
	return false
}

var errTrailing = errors.New("trailing data after JSON value")

// operatorOf says who did something through the API: the X-Operator header (percent-encoded
// UTF-8 allowed), else "API".
func operatorOf(r *http.Request, given string) string {
	if v := strings.TrimSpace(given); v != "" {
		return v
	}
	if v := r.Header.Get("X-Operator"); v != "" {
		if u, err := url.PathUnescape(v); err == nil && strings.TrimSpace(u) != "" {
			return strings.TrimSpace(u)
		}
	}
	return "API"
}

func intParam(r *http.Request, name string, def, lo, hi int) int {
	v, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil {
		return def
	}
	return max(lo, min(hi, v))
}

func boolParam(r *http.Request, name string) bool {
	v, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return v
}

// listPage is a page of a listing in the API: the items, where the page stands, and whether
// another follows. Total and Pages count the whole listing.
type listPage[T any] struct {
	Items []T  `json:"items"`
	Page  int  `json:"page"`
	Size  int  `json:"size"`
	More  bool `json:"more"`
	Total int  `json:"total"`
	Pages int  `json:"pages"`
}

func pageOf[T any](items []T, page, size, total int) listPage[T] {
	if items == nil {
		items = []T{}
	}
	return listPage[T]{Items: items, Page: page, Size: size, More: page*size < total, Total: total, Pages: pagesOf(total, size)}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return mask.IDsInText(err.Error())
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (s *Server) sendFile(w http.ResponseWriter, name string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", xlsxType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

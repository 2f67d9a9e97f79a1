package console

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"
)

// The web console's plumbing: pages need a session (else the login page), form posts are checked
// for the session, their Origin, their size and their CSRF token before the screen's handler
// runs, and send the browser back with a one-time message (POST, redirect, GET).

// staticFiles serves the embedded CSS and JS. A directory is not found: http.FileServer would list
// it, and nothing the pages link to is one.
func (s *Server) staticFiles() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if fi, err := fs.Stat(s.staticFS, name); name == "" || strings.HasSuffix(name, "/") || err != nil || fi.IsDir() {
			s.errorPage(w, r, http.StatusNotFound, msgPageNotFound)
			return
		}
		if r.URL.Query().Get("v") == s.assetVer {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		s.static.ServeHTTP(w, r)
	})
}

// ---- sessions and forms ----

func (s *Server) sessionOf(r *http.Request) (*session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false
	}
	return s.sessions.get(c.Value)
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteStrictMode,
	})
}

type pageHandler func(w http.ResponseWriter, r *http.Request, sess *session)

// page serves a page to a logged-in browser and sends anyone else to the login page.
func (s *Server) page(h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.sessionOf(r)
		if !ok {
			s.toLogin(w, r)
			return
		}
		h(w, r, sess)
	}
}

func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = "/"
	}
	if _, err := r.Cookie(sessionCookie); err == nil {
		s.setSessionCookie(w, r, "", -1)
		http.Redirect(w, r, "/login?expired=1&next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// postSession is the session of a form post that comes from one of our own pages. Without a
// session it sends the browser to the login page, from another origin it refuses; either way it
// has answered and returns false.
func (s *Server) postSession(w http.ResponseWriter, r *http.Request) (*session, bool) {
	sess, ok := s.sessionOf(r)
	if !ok {
		s.toLogin(w, r)
		return nil, false
	}
	if !s.sameOrigin(r) {
		s.errorPage(w, r, http.StatusForbidden, msgCSRF)
		return nil, false
	}
	return sess, true
}

// actionHandler changes something and returns the message to show, or an error.
type actionHandler func(r *http.Request, sess *session) (string, error)

// action serves a form post: session, Origin, body size and CSRF token are checked before h
// runs; afterwards the browser is sent back (the form's "return" field) with h's message.
func (s *Server) action(h actionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.postSession(w, r)
		if !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opt.MaxJSONBytes)
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				s.errorPage(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf(msgJSONTooLarge, sizeText(s.opt.MaxJSONBytes)))
				return
			}
			s.errorPage(w, r, http.StatusBadRequest, msgBadForm)
			return
		}
		if !csrfOK(sess, r.PostForm.Get("csrf")) {
			s.errorPage(w, r, http.StatusForbidden, msgCSRF)
			return
		}
		msg, err := h(r, sess)
		s.flashResult(r, sess, msg, err)
		if r.URL.Path == "/logout" {
			http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, safeReturn(r.PostForm.Get("return"), s.refererPath(r)), http.StatusSeeOther)
	}
}

func (s *Server) flashResult(r *http.Request, sess *session, msg string, err error) {
	if err != nil {
		_, text := s.classify(r, err)
		s.sessions.addFlash(sess, "error", text)
		return
	}
	if msg != "" {
		s.sessions.addFlash(sess, "ok", msg)
	}
}

// safeReturn accepts only a path on this site, else def. Browsers are generous with what they
// follow: they drop tabs and newlines anywhere in a URL and read a backslash as a slash, so
// "/\t/evil.example/" and "/\\evil.example" both lead to //evil.example. What is left after
// refusing every control character and every backslash must start with exactly one slash and
// parse to a path with no scheme and no host — also once its escapes are decoded, for a proxy or
// browser that decodes them before following.
func safeReturn(v, def string) string {
	if !localPath(v) {
		return def
	}
	if dec, err := url.PathUnescape(v); err != nil || !localPath(dec) {
		return def
	}
	return v
}

// localPath reports whether v is a bare path on this site by the rules of safeReturn.
func localPath(v string) bool {
	if len(v) < 1 || v[0] != '/' || len(v) > 1 && v[1] == '/' {
		return false
	}
	for _, r := range v {
		if r == '\\' || unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	u, err := url.Parse(v)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == "" && !strings.HasPrefix(u.Path, "//")
}

func (s *Server) refererPath(r *http.Request) string {
	if u, err := url.Parse(r.Header.Get("Referer")); err == nil && u.Path != "" && strings.EqualFold(u.Host, s.requestHost(r)) {
		return safeReturn(u.RequestURI(), "/")
	}
	return "/"
}

// ---- login ----

type loginData struct {
	Next    string
	Message string
	Error   string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := loginData{Next: safeReturn(q.Get("next"), "/")}
	switch {
	case q.Get("expired") != "":
		d.Message = msgSessionEnded
	case q.Get("out") != "":
		d.Message = flashLoggedOut
	}
	if _, ok := s.sessionOf(r); ok {
		http.Redirect(w, r, d.Next, http.StatusSeeOther)
		return
	}
	s.render(w, r, nil, http.StatusOK, "login", "登录", d)
}

// login checks the token and starts a session. The right token always gets in; a client address
// that keeps failing is answered 429 (failureLimiter).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	client := s.clientAddr(r)
	d := loginData{}
	if !s.sameOrigin(r) {
		s.errorPage(w, r, http.StatusForbidden, msgCSRF)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, msgBadForm)
		return
	}
	d.Next = safeReturn(r.PostForm.Get("next"), "/")
	if !s.token.ok(r.PostForm.Get("token")) {
		if s.failures.blocked(client) {
			d.Error = msgTooManyLogins
			w.Header().Set("Retry-After", strconv.Itoa(int(failureRefill/time.Second)))
			s.render(w, r, nil, http.StatusTooManyRequests, "login", "登录", d)
			return
		}
		s.failures.fail(client)
		s.log.Warn("console login refused", zap.String("client", client))
		d.Error = msgBadToken
		s.render(w, r, nil, http.StatusUnauthorized, "login", "登录", d)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("operator"))
	if name == "" {
		name = "安办"
	}
	if len([]rune(name)) > 20 {
		name = string([]rune(name)[:20])
	}
	sess := s.sessions.create(name)
	s.setSessionCookie(w, r, sess.id, int(s.opt.SessionTTL/time.Second))
	s.log.Info("console login", zap.String("client", client), zap.String("operator", name))
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (s *Server) logout(r *http.Request, sess *session) (string, error) {
	s.sessions.delete(sess.id)
	return "", nil
}

var errCSRF = errors.New("csrf token mismatch")

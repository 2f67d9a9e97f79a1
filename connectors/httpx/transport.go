package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// MaxBody is the largest answer either platform may send (a 500-record page is about 300 KiB);
// anything bigger is a misbehaving gateway, and reading it must fail instead of filling memory.
const MaxBody = 32 << 20

// maxErrorBody bounds what is read of an error answer (HTML pages, JSON error bodies).
const maxErrorBody = 64 << 10

// ErrBodyTooLarge is the cause when an answer exceeds its limit.
var ErrBodyTooLarge = errors.New("answer larger than the limit")

// NewTransport returns an HTTP transport that always verifies TLS, trusting the system roots plus
// the certificates of caFile when it is set (a provincial system behind a private CA).
func NewTransport(caFile string) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	t.MaxIdleConnsPerHost = 16
	if caFile == "" {
		return t, nil
	}
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
	}
	t.TLSClientConfig.RootCAs = pool
	return t, nil
}

// LimitedReader reads at most Limit bytes from R and then fails with ErrBodyTooLarge, unlike
// io.LimitReader, which would end quietly and let a cut answer pass as a complete one.
type LimitedReader struct {
	R     io.Reader
	Limit int64
	n     int64
}

// Read implements io.Reader.
func (l *LimitedReader) Read(p []byte) (int, error) {
	if l.n >= l.Limit {
		// One byte more decides between "exactly at the limit" and "over it".
		var one [1]byte
		n, err := l.R.Read(one[:])
		if n > 0 {
			return 0, ErrBodyTooLarge
		}
		return 0, err
	}
	if rest := l.Limit - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.R.Read(p)
	l.n += int64(n)
	return n, err
}

// ReadBody reads all of r up to limit bytes; more is ErrBodyTooLarge.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	return io.ReadAll(&LimitedReader{R: r, Limit: limit})
}

// ReadErrorBody reads the start of an error answer (at most 64 KiB) and never fails: an error
// page that cannot be read is still an error page.
func ReadErrorBody(r io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	return b
}

// LooksLikeHTML reports whether an answer is a web page (a gateway's error page, a captive
// portal) rather than the platform's JSON.
func LooksLikeHTML(contentType string, body []byte) bool {
	if strings.Contains(strings.ToLower(contentType), "html") {
		return true
	}
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '<':
			return true
		}
		return false
	}
	return false
}

// ParseRetryAfter reads a Retry-After header in either of its forms: delta-seconds ("120") or an
// HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"), the latter relative to now. A date in the past is
// 0; an empty or unreadable value reports false.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		const maxSeconds = int64(1<<63-1) / int64(time.Second)
		if n > maxSeconds {
			n = maxSeconds
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// ClassifyTransport judges an error that left no answer (the caller's own context has already
// been ruled out): a certificate that does not verify is configuration (stop and report);
// everything else — refused or dropped connections, resets, timeouts — is transient, because a
// gateway may have dropped an answer the platform had already produced.
func ClassifyTransport(err error) (Kind, error) {
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var cerr x509.CertificateInvalidError
	var verr *tls.CertificateVerificationError
	if errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr) || errors.As(err, &verr) {
		return KindAuth, ErrTLS
	}
	return KindTransient, ErrUnavailable
}

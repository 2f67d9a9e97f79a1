package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// NewHTTPClient returns a client for a robot or webhook: TLS verification always on, the system
// roots plus caFile's certificates when caFile is set, no redirects (a redirected POST would carry
// the alerts somewhere nobody configured), and timeout per request.
func NewHTTPClient(caFile string, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tlsCfg, err := TLSConfig(caFile, "")
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = tlsCfg
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// TLSConfig is the TLS configuration every channel uses: verification on, TLS 1.2 or later, the
// system roots plus the PEM certificates of caFile (when set).
func TLSConfig(caFile, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// maxResponse bounds how much of a response body is read.
const maxResponse = 64 << 10

// Post sends body to rawURL and returns the status and the response body. Its errors never carry
// the URL (net/http's *url.Error does: it is unwrapped), and retry says whether the failure is
// transient. A non-2xx status is not an error here: the caller classifies it with RetryStatus,
// because robots answer 200 with an error code inside.
func Post(ctx context.Context, c *http.Client, channel, rawURL, contentType string, body []byte) (status int, resp []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		// The URL was validated by config check; do not echo it either way.
		return 0, nil, false, fmt.Errorf("%s: build request: invalid url", channel)
	}
	req.Header.Set("Content-Type", contentType)
	res, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, true, fmt.Errorf("%s: post: %w", channel, err)
	}
	defer res.Body.Close()
	resp, err = io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return res.StatusCode, nil, true, fmt.Errorf("%s: read response: %w", channel, err)
	}
	return res.StatusCode, resp, false, nil
}

// StatusError reports a non-2xx answer: retry for 408, 429 and 5xx. The body is left out on
// purpose: error pages like to echo the request path, and robot paths carry their key.
func StatusError(channel string, status int) (retry bool, err error) {
	return RetryStatus(status), fmt.Errorf("%s: unexpected HTTP status %d", channel, status)
}

// RetryStatus reports whether an HTTP status is worth retrying.
func RetryStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// Redactor returns a function that removes rawURL's secret parts (query values, user info, path
// segments long enough to be a key) from text a receiver sent back, e.g. an errmsg.
func Redactor(rawURL string) func(string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return func(string) string { return "" }
	}
	var olds []string
	if p, ok := u.User.Password(); ok && p != "" {
		olds = append(olds, p)
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			if len(v) >= 4 {
				olds = append(olds, v)
			}
		}
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if len(seg) >= 8 {
			olds = append(olds, seg)
		}
	}
	return func(s string) string {
		for _, o := range olds {
			s = strings.ReplaceAll(s, o, "******")
		}
		if len(s) > 200 {
			s = s[:200]
		}
		return strings.ToValidUTF8(s, "")
	}
}

package email

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/notifytest"
	"streetsync/internal/config"
)

// selfSigned makes a certificate for 127.0.0.1 and writes it as a CA file.
func selfSigned(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, ca
}

// smtpServer is a tiny SMTP server: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
type smtpServer struct {
	ln       net.Listener
	cert     tls.Certificate
	offerTLS bool
	implicit bool

	mu         sync.Mutex
	authInTLS  bool
	authOutTLS bool
	auth       string
	from       string
	rcpt       []string
	data       []byte
	wg         sync.WaitGroup
}

func startSMTP(t *testing.T, cert tls.Certificate, offerTLS, implicit bool) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, cert: cert, offerTLS: offerTLS, implicit: implicit}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(c) })
		}
	})
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	inTLS := false
	if s.implicit {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{s.cert}})
		if tc.Handshake() != nil {
			return
		}
		c, inTLS = tc, true
	}
	tp := textproto.NewConn(c)
	reply := func(lines ...string) { _ = tp.PrintfLine("%s", strings.Join(lines, "\r\n")) }
	reply("220 smtp.test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			lines := []string{"250-smtp.test"}
			if s.offerTLS && !inTLS {
				lines = append(lines, "250-STARTTLS")
			}
			reply(append(lines, "250 AUTH PLAIN")...)
		case "STARTTLS":
			reply("220 go ahead")
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if tc.Handshake() != nil {
				return
			}
			c, inTLS = tc, true
			tp = textproto.NewConn(c)
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			dec, _ := base64.StdEncoding.DecodeString(resp)
			s.mu.Lock()
			s.auth = string(dec)
			if inTLS {
				s.authInTLS = true
			} else {
				s.authOutTLS = true
			}
			s.mu.Unlock()
			if mech != "PLAIN" {
				reply("504 unsupported")
				continue
			}
			reply("235 ok")
		case "MAIL":
			s.mu.Lock()
			s.from = arg
			s.mu.Unlock()
			reply("250 ok")
		case "RCPT":
			s.mu.Lock()
			s.rcpt = append(s.rcpt, arg)
			s.mu.Unlock()
			reply("250 ok")
		case "DATA":
			reply("354 end with .")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.data = b
			s.mu.Unlock()
			reply("250 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("250 ok")
		}
	}
}

func channel(port int, ca string) config.Channel {
	return config.Channel{
		Type: "email", Name: "office-mail", SMTPHost: "127.0.0.1", SMTPPort: port, CAFile: ca,
		Username: "alerts@lingyuan.example", Password: "mail-password-123",
		From: "灵源街道安办 <alerts@lingyuan.example>", To: []string{"anban@lingyuan.example", "林格社区 <lingge@lingyuan.example>"},
	}
}

func TestEmailUsesSTARTTLSThenAuthenticatesAndSends(t *testing.T) {
	cert, ca := selfSigned(t)
	srv := startSMTP(t, cert, true, false)
	n, err := New(channel(srv.port(), ca), notify.WithClock(notifytest.Clock{}))
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := n.Notify(context.Background(), notifytest.Message()); err != nil {
		t.Fatalf("Notify = %v, %v; want success", retry, err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if !srv.authInTLS || srv.authOutTLS {
		t.Errorf("auth inside TLS %v, outside TLS %v; want only inside", srv.authInTLS, srv.authOutTLS)
	}
	if srv.auth != "\x00alerts@lingyuan.example\x00mail-password-123" {
		t.Errorf("auth = %q", srv.auth)
	}
	if srv.from != "FROM:<alerts@lingyuan.example>" || len(srv.rcpt) != 2 {
		t.Errorf("from %q rcpt %q", srv.from, srv.rcpt)
	}
	checkMessage(t, srv.data)
}

func checkMessage(t *testing.T, data []byte) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != "【安全预警】林格社区：新增 1 条，已解决 1 条" {
		t.Errorf("subject = %q (%v)", subject, err)
	}
	if ct := m.Header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if d := m.Header.Get("Date"); d != "Mon, 02 Mar 2026 08:00:00 +0800" {
		t.Errorf("Date = %q", d)
	}
	body, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, m.Body))
	if err != nil {
		t.Fatalf("body is not base64: %v", err)
	}
	for _, want := range []string{"安全预警 · 林格社区", "[严重·新增] 证书过期", "人员：张三（350582********123X）", "[提醒·已解决]"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	for _, l := range strings.Split(string(data), "\n") { // ReadDotBytes turns CRLF into LF
		if len(l) > 998 {
			t.Errorf("line of %d bytes, want ≤ 998", len(l))
		}
	}
}

func TestEmailRefusesAServerWithoutSTARTTLS(t *testing.T) {
	cert, ca := selfSigned(t)
	srv := startSMTP(t, cert, false, false)
	n, err := New(channel(srv.port(), ca))
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), notifytest.Message())
	if !errors.Is(err, ErrNoTLS) || retry {
		t.Fatalf("got retry=%v err=%v, want ErrNoTLS without retry", retry, err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.auth != "" || srv.from != "" || srv.data != nil {
		t.Errorf("without TLS the server got auth %q, from %q, %d bytes of data; want nothing", srv.auth, srv.from, len(srv.data))
	}
}

func TestEmailRefusesAnUntrustedCertificate(t *testing.T) {
	cert, _ := selfSigned(t)
	srv := startSMTP(t, cert, true, false)
	n, err := New(channel(srv.port(), "")) // system roots only
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), notifytest.Message()); err == nil {
		t.Fatal("got success with an untrusted certificate, want an error")
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.auth != "" {
		t.Errorf("the password went to an unverified server: %q", srv.auth)
	}
}

func TestEmailImplicitTLS(t *testing.T) {
	cert, ca := selfSigned(t)
	srv := startSMTP(t, cert, false, true)
	n, err := New(channel(srv.port(), ca), notify.WithClock(notifytest.Clock{}))
	if err != nil {
		t.Fatal(err)
	}
	n.implicit = true // what port 465 selects
	if _, err := n.Notify(context.Background(), notifytest.Message()); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if !srv.authInTLS {
		t.Error("no authentication inside TLS")
	}
	checkMessage(t, srv.data)
}

func TestPlainAuthIsRefusedWithoutTLS(t *testing.T) {
	// Unlike net/smtp.PlainAuth, not even for localhost.
	for _, host := range []string{"localhost", "127.0.0.1", "smtp.example"} {
		_, _, err := tlsPlainAuth{"u", "p"}.Start(&smtp.ServerInfo{Name: host, TLS: false, Auth: []string{"PLAIN"}})
		if err == nil {
			t.Errorf("%s: plain auth started without TLS", host)
		}
		if _, resp, err := (tlsPlainAuth{"u", "p"}).Start(&smtp.ServerInfo{Name: host, TLS: true}); err != nil || string(resp) != "\x00u\x00p" {
			t.Errorf("%s over TLS: got %q, %v", host, resp, err)
		}
	}
}

func TestBuildWrapsBase64AndEncodesTheSubject(t *testing.T) {
	n, err := New(channel(587, ""), notify.WithClock(notifytest.Clock{}))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := n.Build(notifytest.Big(40))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(msg))
	for sc.Scan() {
		if len(sc.Text()) > 998 {
			t.Fatalf("header or body line of %d bytes", len(sc.Text()))
		}
		if strings.HasPrefix(sc.Text(), "Subject:") && !strings.Contains(sc.Text(), "=?UTF-8?b?") {
			t.Errorf("subject not encoded: %s", sc.Text())
		}
	}
}

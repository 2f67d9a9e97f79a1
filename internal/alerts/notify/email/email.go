// Package email delivers alerts by e-mail over SMTP. Transport security is not optional: on the
// submission port the server must offer STARTTLS (the message is not sent otherwise), on port 465
// the connection is TLS from the start, certificates are verified (optionally against the channel's
// CA file), and the password is only ever sent inside TLS — even to localhost, unlike
// net/smtp.PlainAuth.
package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
)

const (
	subjectPrefix = "【安全预警】"
	implicitTLS   = 465
)

// Notifier sends each message as one e-mail to the channel's recipients.
type Notifier struct {
	name     string
	host     string
	port     int
	implicit bool // TLS from the first byte (port 465) instead of STARTTLS
	username string
	password string
	from     *mail.Address
	to       []*mail.Address
	tls      *tls.Config
	clock    notify.Clock
	timeout  time.Duration
}

// New builds the notifier of an email channel.
func New(ch config.Channel, opts ...notify.Option) (*Notifier, error) {
	if ch.SMTPHost == "" || ch.SMTPPort <= 0 {
		return nil, errors.New("email channel needs smtpHost and smtpPort")
	}
	from, err := mail.ParseAddress(ch.From)
	if err != nil {
		return nil, fmt.Errorf("email channel: from: %w", err)
	}
	if len(ch.To) == 0 {
		return nil, errors.New("email channel needs at least one recipient")
	}
	var to []*mail.Address
	for _, t := range ch.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("email channel: to: %w", err)
		}
		to = append(to, a)
	}
	o, err := notify.Apply(ch, false, opts)
	if err != nil {
		return nil, err
	}
	tlsCfg, err := notify.TLSConfig(ch.CAFile, ch.SMTPHost)
	if err != nil {
		return nil, err
	}
	return &Notifier{
		name: notify.ChannelName(ch), host: ch.SMTPHost, port: ch.SMTPPort, implicit: ch.SMTPPort == implicitTLS,
		username: ch.Username, password: ch.Password.Reveal(),
		from: from, to: to, tls: tlsCfg, clock: o.Clock, timeout: o.Timeout,
	}, nil
}

// Notify sends msg as one e-mail.
func (n *Notifier) Notify(ctx context.Context, msg *notify.Message) (bool, error) {
	body, err := n.Build(msg)
	if err != nil {
		return false, fmt.Errorf("%s: build message: %w", n.name, err)
	}
	return n.send(ctx, body)
}

// Build writes msg as an RFC 5322 message: UTF-8 plain text in base64, the subject as an
// encoded word.
func (n *Notifier) Build(msg *notify.Message) ([]byte, error) {
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	subject := subjectPrefix + notify.CommunityLabel(msg.Community) + "：" + notify.Summary(msg)
	text := strings.Join(notify.Render(msg, notify.Plain, 1<<30), "\n")
	text = strings.ReplaceAll(text, "\n", "\r\n") + "\r\n"

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", n.from.String())
	tos := make([]string, len(n.to))
	for i, a := range n.to {
		tos[i] = a.String()
	}
	header("To", strings.Join(tos, ", "))
	header("Subject", mime.BEncoding.Encode("UTF-8", subject))
	header("Date", n.clock.Now().Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@streetsync>")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes(), nil
}

// ErrNoTLS is returned when the server does not offer STARTTLS: the message is not sent.
var ErrNoTLS = errors.New("smtp server does not offer STARTTLS")

func (n *Notifier) send(ctx context.Context, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	addr := net.JoinHostPort(n.host, strconv.Itoa(n.port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return true, fmt.Errorf("%s: connect: %w", n.name, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // unblocks a hanging server
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if n.implicit {
		tc := tls.Client(conn, n.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return false, fmt.Errorf("%s: tls: %w", n.name, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, n.host)
	if err != nil {
		return classify(n.name, "greeting", err)
	}
	defer c.Close()
	if !n.implicit {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return false, fmt.Errorf("%s: %w", n.name, ErrNoTLS)
		}
		if err := c.StartTLS(n.tls); err != nil {
			return classify(n.name, "starttls", err)
		}
	}
	if n.username != "" {
		if err := c.Auth(tlsPlainAuth{username: n.username, password: n.password}); err != nil {
			return classify(n.name, "auth", err)
		}
	}
	if err := c.Mail(n.from.Address); err != nil {
		return classify(n.name, "mail from", err)
	}
	for _, a := range n.to {
		if err := c.Rcpt(a.Address); err != nil {
			return classify(n.name, "rcpt to", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return classify(n.name, "data", err)
	}
	if _, err := w.Write(body); err != nil {
		return classify(n.name, "data", err)
	}
	if err := w.Close(); err != nil {
		return classify(n.name, "data", err)
	}
	_ = c.Quit()
	return false, nil
}

// classify: SMTP 4xx replies are transient, 5xx permanent; anything else (network, TLS
// handshake on a broken connection) is worth another try.
func classify(name, step string, err error) (bool, error) {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 400 && te.Code < 500, fmt.Errorf("%s: smtp %s: %w", name, step, err)
	}
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) || errors.Is(err, errAuthWithoutTLS) {
		return false, fmt.Errorf("%s: smtp %s: %w", name, step, err)
	}
	return true, fmt.Errorf("%s: smtp %s: %w", name, step, err)
}

var errAuthWithoutTLS = errors.New("refusing to send the password without TLS")

// tlsPlainAuth is PLAIN authentication that refuses to run outside TLS, whatever the host
// (net/smtp.PlainAuth makes an exception for localhost).
type tlsPlainAuth struct {
	username, password string
}

func (a tlsPlainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS {
		return "", nil, errAuthWithoutTLS
	}
	return "PLAIN", []byte("\x00" + a.username + "\x00" + a.password), nil
}

func (a tlsPlainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

// Package logging builds streetsync's zap loggers and owns the two privacy guarantees of its
// output: configured secrets never appear in a log line, whatever field or message carries them,
// and resident ID numbers are masked (first 6 and last 4 kept) everywhere outside the ledger —
// with mapping/mask, the pure mask every layer shares.
//
// Redaction works on the encoded line, not on fields, so that a secret hidden in an error string,
// a URL, a nested object or the message itself is caught all the same.
package logging

import (
	"fmt"
	"io"
	"os"
	"strings"

	"streetsync/mapping/mask"

	"go.uber.org/zap"
	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"
)

// Options say how to build a logger.
type Options struct {
	Level   string   // debug | info | warn | error
	Format  string   // auto | console | json
	Secrets []string // values that must never be written
	Out     io.Writer
}

// New builds a logger writing to opts.Out (stderr when nil). "auto" means console output on a
// terminal and JSON otherwise.
func New(opts Options) (*zap.Logger, error) {
	out := opts.Out
	if out == nil {
		out = os.Stderr
	}
	var level zapcore.Level
	if err := level.UnmarshalText([]byte(orDefault(opts.Level, "info"))); err != nil {
		return nil, fmt.Errorf("log level %q: %w", opts.Level, err)
	}
	format := orDefault(opts.Format, "auto")
	if format == "auto" {
		format = "json"
		if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "console"
		}
	}
	var enc zapcore.Encoder
	switch format {
	case "json":
		ec := zap.NewProductionEncoderConfig()
		ec.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(ec)
	case "console":
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05")
		ec.EncodeLevel = zapcore.CapitalColorLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	default:
		return nil, fmt.Errorf("log format %q: want auto, console or json", opts.Format)
	}
	core := zapcore.NewCore(NewRedactingEncoder(enc, opts.Secrets), zapcore.Lock(zapcore.AddSync(out)), level)
	return zap.New(core), nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// redactingEncoder wraps an encoder and rewrites every encoded line: secrets become "******" and
// valid resident ID numbers are masked.
type redactingEncoder struct {
	zapcore.Encoder
	r *strings.Replacer
}

// NewRedactingEncoder wraps enc so that no line it writes carries one of secrets (raw, or as a
// JSON string escapes it) or a full ID number.
func NewRedactingEncoder(enc zapcore.Encoder, secrets []string) zapcore.Encoder {
	return &redactingEncoder{Encoder: enc, r: secretReplacer(secrets)}
}

func secretReplacer(secrets []string) *strings.Replacer {
	var pairs []string
	seen := map[string]bool{}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range []string{s, jsonEscaped(s)} {
			if !seen[form] {
				seen[form] = true
				pairs = append(pairs, form, "******")
			}
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	return strings.NewReplacer(pairs...)
}

// jsonEscaped is s as it stands inside a JSON string written by zap (quotes, backslashes and
// control characters escaped).
func jsonEscaped(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (e *redactingEncoder) Clone() zapcore.Encoder {
	return &redactingEncoder{Encoder: e.Encoder.Clone(), r: e.r}
}

func (e *redactingEncoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	buf, err := e.Encoder.EncodeEntry(ent, fields)
	if err != nil {
		return nil, err
	}
	line := buf.String()
	clean := mask.IDsInText(line)
	if e.r != nil {
		clean = e.r.Replace(clean)
	}
	if clean != line {
		buf.Reset()
		buf.AppendString(clean)
	}
	return buf, nil
}

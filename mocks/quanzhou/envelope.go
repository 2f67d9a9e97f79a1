package quanzhou

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"streetsync/mocks/fault"
)

// answer is an envelope answer under construction.
type answer struct {
	status int
	code   int
	header http.Header
	body   []byte
}

func (p *Platform) newAnswer(code int) *answer {
	h := http.Header{}
	h.Set("Content-Type", "application/json;charset=UTF-8")
	return &answer{status: http.StatusOK, code: code, header: h}
}

// fail is an error envelope: data is null on any error.
func (p *Platform) fail(code int, msg string) *answer {
	a := p.newAnswer(code)
	a.body = p.envelope(nil, code, msg, nil)
	return a
}

// ok is a success envelope around data (already JSON).
func (p *Platform) ok(data []byte) *answer {
	a := p.newAnswer(codeOK)
	a.body = p.envelope(make([]byte, 0, len(data)+96), codeOK, msgOK, data)
	return a
}

// okStart begins a success envelope in b; okEnd closes it. Listings build their page between the
// two, so the page is written once, straight into the answer.
func okStart(b []byte) []byte {
	return append(b, `{"code":0,"msg":"`+msgOK+`","data":`...)
}

func (p *Platform) okEnd(b []byte) *answer {
	b = append(b, `,"requestId":"`...)
	b = append(b, p.randomHex(16)...)
	a := p.newAnswer(codeOK)
	a.body = append(b, `"}`...)
	return a
}

func (p *Platform) envelope(b []byte, code int, msg string, data []byte) []byte {
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"msg":`...)
	b = appendString(b, msg)
	b = append(b, `,"data":`...)
	if data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, data...)
	}
	b = append(b, `,"requestId":"`...)
	b = append(b, p.randomHex(16)...)
	return append(b, `"}`...)
}

func (a *answer) fault(endpoint string) fault.Answer {
	return fault.Answer{Endpoint: endpoint, Status: a.status, Code: a.code, Header: a.header, Body: a.body}
}

// appendString appends s as a JSON string. UTF-8 passes through; quotes, backslashes and
// control characters are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendField(b []byte, name, value string) []byte {
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	return appendString(b, value)
}

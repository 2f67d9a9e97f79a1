package quanzhou

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

// The listing pages' decoder. A 500-record page is ~300 KB of flat objects whose values are all
// strings (cyrs: a number or a string); encoding/json spends most of a sync's CPU on them and
// allocates every field on its own. This decoder copies the page once into a string and slices
// every unescaped value out of it: no allocation per field, no reflection. It accepts everything
// encoding/json accepts for these shapes with the same result (FuzzDecodePage holds it to that),
// and additionally takes a number where the contract says string (kept as its text), because a
// whole page failing over `"qyzt": 1` would help nobody.

// errTruncated marks input that ended inside a value (a cut answer).
var errTruncated = fmt.Errorf("%w: JSON ends early", io.ErrUnexpectedEOF)

// syntaxError is a JSON syntax error at an offset.
type syntaxError struct {
	msg    string
	offset int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.offset, e.msg)
}

// pageHead is the envelope around a page.
type pageHead struct {
	code      int
	msg       string
	requestID string
	hasData   bool // "data" was an object (not absent, not null)
}

// recordField returns where a record's field lives, for the keys of one listing's records, and
// whether null clears it (cyrs: mapping.FlexNumber reads null as "") or leaves it (strings).
type recordField[T any] func(r *T, key string) (dst *string, nullClears bool)

// decodePage reads an envelope holding a page of records from s. pg.List must hold zeroed
// elements up to its capacity (the walker clears it before each page). A list of more than max
// records (the pageSize asked; max ≤ 0: no bound) fails with httpx.ErrListTooLong at the first
// record too many: a page of 32 MiB of {} must not become eleven million records.
func decodePage[T any](s string, field recordField[T], pg *page[T], head *pageHead, max int) error {
	d := decoder{s: s}
	d.ws()
	if d.peek() == 'n' {
		return d.trailing(d.literal("null"))
	}
	dataNulled := false
	err := d.object(func(key string) error {
		switch foldKey(key, "code", "msg", "data", "requestId") {
		case "code":
			return d.intValue(&head.code)
		case "msg":
			return d.stringValue(&head.msg, true)
		case "requestId":
			return d.stringValue(&head.requestID, true)
		case "data":
			if d.peek() == 'n' {
				// encoding/json drops the page then, and a later "data" no longer reaches it.
				dataNulled, head.hasData = true, false
				return d.literal("null")
			}
			if dataNulled {
				return d.skip()
			}
			head.hasData = true
			return d.object(func(key string) error {
				switch foldKey(key, "total", "pageNo", "pageSize", "list") {
				case "total":
					return d.intValue(&pg.Total)
				case "pageNo":
					return d.intValue(&pg.PageNo)
				case "pageSize":
					return d.intValue(&pg.PageSize)
				case "list":
					return decodeList(&d, field, pg, max)
				}
				return d.skip()
			})
		}
		return d.skip()
	})
	return d.trailing(err)
}

// decodeList reads an array of records (or null) into pg.List, reusing its elements the way
// encoding/json does: the length is reset, elements within capacity are decoded into as they are.
// More than max elements (max > 0) is httpx.ErrListTooLong.
func decodeList[T any](d *decoder, field recordField[T], pg *page[T], max int) error {
	if d.peek() == 'n' {
		pg.List = nil
		return d.literal("null")
	}
	if err := d.expect('['); err != nil {
		return err
	}
	list := pg.List[:0]
	d.ws()
	if d.peek() == ']' {
		d.i++
		pg.List = list
		return nil
	}
	for {
		if max > 0 && len(list) >= max {
			return fmt.Errorf("%w: over %d records, the pageSize asked", httpx.ErrListTooLong, max)
		}
		var zero T
		if len(list) < cap(list) {
			list = list[:len(list)+1]
		} else {
			list = append(list, zero)
		}
		r := &list[len(list)-1]
		d.ws()
		if d.peek() == 'n' {
			// null leaves the element as it is (encoding/json).
			if err := d.literal("null"); err != nil {
				return err
			}
		} else if err := d.object(func(key string) error {
			dst, nullClears := field(r, key)
			if dst == nil {
				return d.skip()
			}
			if nullClears && d.peek() == 'n' {
				*dst = ""
			}
			return d.stringValue(dst, false)
		}); err != nil {
			return err
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			pg.List = list
			return nil
		case 0:
			return d.eof()
		default:
			return d.fail("expected , or ] in the list")
		}
	}
}

// decoder is a JSON scanner over one string.
type decoder struct {
	s string
	i int
}

func (d *decoder) eof() error { return errTruncated }

func (d *decoder) fail(msg string) error {
	if d.i >= len(d.s) {
		return errTruncated
	}
	return &syntaxError{msg: msg, offset: d.i}
}

// peek returns the next byte, or 0 at the end.
func (d *decoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

func (d *decoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) expect(c byte) error {
	d.ws()
	if d.peek() != c {
		return d.fail("expected " + string(c))
	}
	d.i++
	return nil
}

// trailing accepts only whitespace after the value, as json.Unmarshal does.
func (d *decoder) trailing(err error) error {
	if err != nil {
		return err
	}
	d.ws()
	if d.i < len(d.s) {
		return d.fail("data after the value")
	}
	return nil
}

func (d *decoder) literal(word string) error {
	d.ws()
	if strings.HasPrefix(d.s[d.i:], word) {
		d.i += len(word)
		return nil
	}
	if strings.HasPrefix(word, d.s[d.i:]) {
		return errTruncated
	}
	return d.fail("expected " + word)
}

// object reads {"key": value, …}, calling member for each key with the scanner on the value.
func (d *decoder) object(member func(key string) error) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	d.ws()
	if d.peek() == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		if d.peek() != '"' {
			return d.fail("expected a key")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		d.ws()
		if err := member(key); err != nil {
			return err
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return d.fail("expected , or }")
		}
	}
}

// stringValue reads a string (or null, which leaves dst alone) into dst. A number is taken as
// its text; strict refuses it (the envelope's own fields, as encoding/json would).
func (d *decoder) stringValue(dst *string, strict bool) error {
	switch c := d.peek(); {
	case c == '"':
		v, err := d.str()
		if err == nil {
			*dst = v
		}
		return err
	case c == 'n':
		return d.literal("null")
	case !strict && (c == '-' || c >= '0' && c <= '9'):
		v, err := d.number()
		if err == nil {
			*dst = v
		}
		return err
	case c == 0:
		return d.eof()
	}
	return d.fail("expected a string")
}

// intValue reads an integer (or null, which leaves dst alone).
func (d *decoder) intValue(dst *int) error {
	switch c := d.peek(); {
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		lit, err := d.number()
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(lit)
		if err != nil {
			return &syntaxError{msg: "not an int: " + lit, offset: d.i}
		}
		*dst = n
		return nil
	case c == 0:
		return d.eof()
	}
	return d.fail("expected a number")
}

// number reads a JSON number and returns its text.
func (d *decoder) number() (string, error) {
	start := d.i
	if d.peek() == '-' {
		d.i++
	}
	switch c := d.peek(); {
	case c == '0':
		d.i++
	case c >= '1' && c <= '9':
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			d.i++
		}
	default:
		return "", d.fail("bad number")
	}
	if d.peek() == '.' {
		d.i++
		if !d.digits() {
			return "", d.fail("bad fraction")
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		d.i++
		if c := d.peek(); c == '+' || c == '-' {
			d.i++
		}
		if !d.digits() {
			return "", d.fail("bad exponent")
		}
	}
	return d.s[start:d.i], nil
}

func (d *decoder) digits() bool {
	start := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

// str reads a string literal. Without escapes or bad UTF-8 the value is a slice of the input;
// otherwise encoding/json decodes the literal, so both agree on every escape and replacement.
func (d *decoder) str() (string, error) {
	start := d.i // at the opening quote
	d.i++
	plain := true
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			raw := d.s[start+1 : d.i-1]
			if plain {
				return raw, nil
			}
			if !strings.Contains(raw, "\\") && utf8.ValidString(raw) {
				return raw, nil
			}
			var v string
			if err := json.Unmarshal([]byte(d.s[start:d.i]), &v); err != nil {
				return "", &syntaxError{msg: "bad string: " + err.Error(), offset: start}
			}
			return v, nil
		case c == '\\':
			plain = false
			d.i += 2
		case c < 0x20:
			return "", d.fail("control character in a string")
		case c >= utf8.RuneSelf:
			plain = false
			d.i++
		default:
			d.i++
		}
	}
	return "", errTruncated
}

// skip reads any value.
func (d *decoder) skip() error {
	d.ws()
	switch c := d.peek(); {
	case c == '"':
		_, err := d.str()
		return err
	case c == '{':
		return d.object(func(string) error { return d.skip() })
	case c == '[':
		d.i++
		d.ws()
		if d.peek() == ']' {
			d.i++
			return nil
		}
		for {
			if err := d.skip(); err != nil {
				return err
			}
			d.ws()
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				return nil
			default:
				return d.fail("expected , or ]")
			}
		}
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	case c == 0:
		return d.eof()
	}
	return d.fail("unexpected character")
}

// foldKey returns the name a key selects: an exact match, else the first name equal under case
// folding (encoding/json's rule); "" when none.
func foldKey(key string, names ...string) string {
	for _, n := range names {
		if key == n {
			return n
		}
	}
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return n
		}
	}
	return ""
}

// enterpriseField maps a platform enterprise's keys to its fields, as mapping's field table names
// them (a key differing only in case is taken, as encoding/json does).
func enterpriseField(e *mapping.QZEnterprise, key string) (*string, bool) {
	if dst, number := e.Field(key); dst != nil {
		return dst, number
	}
	if n := foldKey(key, enterpriseKeys...); n != "" {
		return e.Field(n)
	}
	return nil, false
}

var enterpriseKeys = mapping.QZEnterpriseKeys()

// alarmField maps an alarm's keys to its fields.
func alarmField(a *mapping.QZAlarm, key string) (*string, bool) {
	switch key {
	case "bjid":
		return &a.Bjid, false
	case "qyid":
		return &a.Qyid, false
	case "tyshxydm":
		return &a.Tyshxydm, false
	case "qymc":
		return &a.Qymc, false
	case "jcdbm":
		return &a.Jcdbm, false
	case "jcdmc":
		return &a.Jcdmc, false
	case "jcxm":
		return &a.Jcxm, false
	case "jldw":
		return &a.Jldw, false
	case "bjz":
		return &a.Bjz, false
	case "yz":
		return &a.Yz, false
	case "bjlx":
		return &a.Bjlx, false
	case "bjjb":
		return &a.Bjjb, false
	case "bjsj":
		return &a.Bjsj, false
	case "hfsj":
		return &a.Hfsj, false
	case "czzt":
		return &a.Czzt, false
	case "czsm":
		return &a.Czsm, false
	case "czr":
		return &a.Czr, false
	case "czsj":
		return &a.Czsj, false
	case "gxsj":
		return &a.Gxsj, false
	}
	if n := foldKey(key, alarmKeys...); n != "" {
		return alarmField(a, n)
	}
	return nil, false
}

var alarmKeys = []string{"bjid", "qyid", "tyshxydm", "qymc", "jcdbm", "jcdmc", "jcxm", "jldw", "bjz", "yz", "bjlx",
	"bjjb", "bjsj", "hfsj", "czzt", "czsm", "czr", "czsj", "gxsj"}

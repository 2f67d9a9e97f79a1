package quanzhou

import (
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

func decodeWithOracle(s string) (page[mapping.QZEnterprise], envelope, error) {
	var pg page[mapping.QZEnterprise]
	env := envelope{Data: &pg}
	err := json.Unmarshal([]byte(s), &env)
	return pg, env, err
}

// fuzzPageSize is the pageSize FuzzDecodePage asks for: small, so that the fuzzer reaches pages
// longer than it (the checked-in corpus has some, and one of 501 records for the real 500).
const fuzzPageSize = 4

// FuzzDecodePage holds the page decoder to encoding/json: whatever encoding/json reads, the
// decoder reads the same; whatever the decoder refuses, encoding/json refuses too. (The decoder
// may accept more: a number where a string is expected.) Asked for a page of fuzzPageSize, the
// decoder refuses a longer list (httpx.ErrListTooLong) — and only when the input holds one —
// with no more than fuzzPageSize records decoded.
func FuzzDecodePage(f *testing.F) {
	f.Add(`{"code":0,"msg":"成功","data":{"total":2,"pageNo":1,"pageSize":500,"list":[{"qyid":"QY1","cyrs":12,"gxsj":"2024-05-21 09:30:00"},{"qyid":"QY2","cyrs":"120"}]},"requestId":"r1"}`)
	f.Add(`{"code":40101,"msg":"令牌无效","data":null,"requestId":"r2"}`)
	f.Add(`{"data":{"list":[{"QYID":"x","qymc":"a\"b\\u00e9\ud83d\ude00","unknown":{"a":[1,true,null,"x"]}},null]},"code":0}`)
	f.Add(`{"code":0,"data":{"list":[{"cyrs":null,"cyrs":"5"},{"cyrs":"5","cyrs":null}]}}`)
	f.Add(`{"code":0,"data":null,"data":{"total":5}}`)
	f.Add(`{"code":0,"data":{"total":5},"data":{"list":[]}}`)
	f.Add("{\"code\":0,\"data\":{\"list\":[{\"qymc\":\"\xff\xfe\"}]}}")
	f.Add(`{"code":0,"data":{"total":1.5}}`)
	f.Add(`  null  `)
	f.Add(`{"code":0,"data":{"list":[{"qymc":"x"}`)
	f.Add(`{"code":0,"data":{"total":5,"pageSize":4,"list":[{},{},{},{},{}]}}`)
	f.Add(`{"code":0,"data":{"list":[null,null,null,null,null,null]}}`)
	f.Add(`{"code":0,"data":{"list":[{},{},{},{},{}]},"data":{"list":[]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var bounded page[mapping.QZEnterprise]
		var bhead pageHead
		berr := decodePage(s, enterpriseField, &bounded, &bhead, fuzzPageSize)
		if len(bounded.List) > fuzzPageSize {
			t.Fatalf("asked for %d records, the decoder holds %d", fuzzPageSize, len(bounded.List))
		}

		var pg page[mapping.QZEnterprise]
		var head pageHead
		err := decodePage(s, enterpriseField, &pg, &head, 0)
		want, env, werr := decodeWithOracle(s)
		if werr != nil {
			return // the decoder may refuse too, or be more lenient
		}
		if errors.Is(berr, httpx.ErrListTooLong) && longestArray(s) <= fuzzPageSize {
			t.Fatalf("refused as longer than %d, but no array in %q is", fuzzPageSize, s)
		}
		if len(want.List) > fuzzPageSize && !errors.Is(berr, httpx.ErrListTooLong) {
			t.Fatalf("a list of %d records asked for %d: %v, want httpx.ErrListTooLong", len(want.List), fuzzPageSize, berr)
		}
		if err != nil {
			t.Fatalf("encoding/json reads %q but the decoder fails: %v", s, err)
		}
		if head.code != env.Code || head.msg != env.Msg || head.requestID != env.RequestID {
			t.Fatalf("envelope %+v, encoding/json %+v", head, env)
		}
		if pg.Total != want.Total || pg.PageNo != want.PageNo || pg.PageSize != want.PageSize || len(pg.List) != len(want.List) {
			t.Fatalf("page %+v\nencoding/json %+v", pg, want)
		}
		for i := range pg.List {
			if !reflect.DeepEqual(pg.List[i], want.List[i]) {
				t.Fatalf("record %d: %+v\nencoding/json %+v", i, pg.List[i], want.List[i])
			}
		}
	})
}

// longestArray is the length of the longest JSON array anywhere in s, which is valid JSON.
func longestArray(s string) int {
	dec := json.NewDecoder(strings.NewReader(s))
	var stack []int // element counts of the open arrays; -1 for an object
	longest := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return longest
		}
		if len(stack) > 0 && stack[len(stack)-1] >= 0 {
			if d, ok := tok.(json.Delim); !ok || d == '[' || d == '{' {
				stack[len(stack)-1]++
				longest = max(longest, stack[len(stack)-1])
			}
		}
		switch tok {
		case json.Delim('['):
			stack = append(stack, 0)
		case json.Delim('{'):
			stack = append(stack, -1)
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
		}
	}
}

func TestDecodePageRules(t *testing.T) {
	page1 := string(readFixture(t, "enterprises_page.json"))
	tests := []struct {
		name    string
		in      string
		wantErr error // nil, io.ErrUnexpectedEOF, httpx.ErrListTooLong, or errSyntax
		check   func(*testing.T, page[mapping.QZEnterprise], pageHead)
	}{
		{"the contract's page", page1, nil, func(t *testing.T, pg page[mapping.QZEnterprise], h pageHead) {
			if pg.Total != 2 || len(pg.List) != 2 || pg.List[0].Cyrs != "120" || pg.List[1].Cyrs != "35" || h.requestID != "9f1c0003" || !h.hasData {
				t.Errorf("page %+v head %+v", pg, h)
			}
		}},
		{"a number where a string is expected is kept as text", `{"code":0,"data":{"list":[{"qyzt":1,"bjz":-1.5e3}]}}`, nil,
			func(t *testing.T, pg page[mapping.QZEnterprise], _ pageHead) {
				if pg.List[0].Qyzt != "1" {
					t.Errorf("qyzt %q", pg.List[0].Qyzt)
				}
			}},
		{"an error envelope has no data", `{"code":50000,"msg":"系统内部错误","data":null,"requestId":"x"}`, nil,
			func(t *testing.T, _ page[mapping.QZEnterprise], h pageHead) {
				if h.code != 50000 || h.hasData || h.msg != "系统内部错误" {
					t.Errorf("head %+v", h)
				}
			}},
		{"cut inside a string", page1[:300], io.ErrUnexpectedEOF, nil},
		{"cut after a key", `{"code":0,"data":{"list":[{"qyid"`, io.ErrUnexpectedEOF, nil},
		{"cut inside a literal", `{"code":0,"data":nu`, io.ErrUnexpectedEOF, nil},
		{"empty", ``, io.ErrUnexpectedEOF, nil},
		{"HTML", `<html><body>502</body></html>`, errSyntax, nil},
		{"garbage after the value", `{"code":0} x`, errSyntax, nil},
		{"a string for the code", `{"code":"0"}`, errSyntax, nil},
		{"a control character in a string", "{\"msg\":\"a\x01b\"}", errSyntax, nil},
		{"a bad escape", `{"msg":"a\qb"}`, errSyntax, nil},
		{"a page longer than the 500 asked", `{"code":0,"data":{"total":1,"list":[{}` + strings.Repeat(`,{}`, 500) + `]}}`, httpx.ErrListTooLong,
			func(t *testing.T, pg page[mapping.QZEnterprise], _ pageHead) {
				if len(pg.List) > 500 {
					t.Errorf("%d records decoded", len(pg.List))
				}
			}},
		{"exactly the 500 asked", `{"code":0,"data":{"total":500,"list":[{}` + strings.Repeat(`,{}`, 499) + `]}}`, nil,
			func(t *testing.T, pg page[mapping.QZEnterprise], _ pageHead) {
				if len(pg.List) != 500 {
					t.Errorf("%d records decoded, want 500", len(pg.List))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pg page[mapping.QZEnterprise]
			var h pageHead
			err := decodePage(tt.in, enterpriseField, &pg, &h, 500)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr == errSyntax:
				var se *syntaxError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a syntax error", err)
				}
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr) && tt.wantErr != errSyntax:
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, pg, h)
			}
		})
	}
}

var errSyntax = errors.New("syntax")

func TestDecodePageSlicesWithoutCopying(t *testing.T) {
	s := strings.Repeat(" ", 0) + string(readFixture(t, "enterprises_page.json"))
	pg := page[mapping.QZEnterprise]{List: make([]mapping.QZEnterprise, 0, 4)}
	var h pageHead
	allocs := testing.AllocsPerRun(100, func() {
		clear(pg.List[:cap(pg.List)])
		pg.List = pg.List[:0]
		if err := decodePage(s, enterpriseField, &pg, &h, 500); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Errorf("%v allocations per page of plain strings, want 0", allocs)
	}
}

func BenchmarkDecodePage(b *testing.B) {
	rec := `{"qyid":"QY35058200001234","tyshxydm":"91350582MA2YB1XK3L","qymc":"晋江市灵源鞋材有限公司","fddbr":"王建国","zyfzr":"王建国","zyfzrlxdh":"13905951234","aqglry":"","jydz":"福建省泉州市晋江市灵源街道林口社区工业区8号","xzqhdm":"350582006","sqmc":"林口社区","hylb":"QG","zdlx":"FCSB,YXKJ","cyrs":120,"qyzt":"1","sfczc":"0","bzhdj":"3","bzhyxq":"2026-06-30","sfnrjcyj":"1","gxsj":"2024-05-21 09:30:00"}`
	s := `{"code":0,"msg":"成功","data":{"total":500,"pageNo":1,"pageSize":500,"list":[` + strings.TrimSuffix(strings.Repeat(rec+",", 500), ",") + `]},"requestId":"x"}`
	b.Run("decoder", func(b *testing.B) {
		pg := page[mapping.QZEnterprise]{}
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			clear(pg.List[:cap(pg.List)])
			pg.List = pg.List[:0]
			var h pageHead
			if err := decodePage(string([]byte(s)), enterpriseField, &pg, &h, 500); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			if _, _, err := decodeWithOracle(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package quanzhou

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

// FuzzDecodeHazardPage holds the hazard and inspection page decoders to encoding/json, as
// FuzzDecodePage does for enterprises, with the page length bound on top: whatever encoding/json
// reads, the decoder reads the same — unless the list is longer than the pageSize asked, which
// the decoder refuses (httpx.ErrListTooLong) and nothing else does.
func FuzzDecodeHazardPage(f *testing.F) {
	f.Add(false, uint16(500), string(fixtureBytes(f, "hazards_page.json")))
	f.Add(true, uint16(500), string(fixtureBytes(f, "inspections_page.json")))
	f.Add(false, uint16(2), `{"code":0,"data":{"total":3,"pageSize":2,"list":[{"yhid":"YH1"},{"yhid":"YH2"},{"yhid":"YH3"}]}}`)
	f.Add(true, uint16(1), `{"code":0,"data":{"total":2,"list":[{"jcid":"JC1","fxyhs":1},{"jcid":"JC2","fxyhs":"2"}]}}`)
	f.Add(false, uint16(2), `{"code":0,"data":{"total":2,"list":[{"yhid":"YH1"},null]}}`)
	f.Add(false, uint16(500), `{"code":0,"data":{"list":[{"YHID":"x","yhdj":2,"pdbz":"3-2","zgzt":1,"extra":{"a":[1,null]}}]}}`)
	f.Add(true, uint16(500), `{"code":0,"data":{"list":[{"fxyhs":null,"fxyhs":"5"},{"fxyhs":1.5e3}]}}`)
	f.Add(false, uint16(500), `{"code":40101,"msg":"令牌无效","data":null,"requestId":"r2"}`)
	f.Add(false, uint16(500), `{"code":0,"data":null,"data":{"total":5}}`)
	f.Add(true, uint16(500), `{"code":0,"data":{"list":[{"jcid":"JC1"}`)
	f.Add(false, uint16(0), `{"code":0,"data":{"list":[{"yhid":"YH1"},{"yhid":"YH2"}]}}`)
	f.Fuzz(func(t *testing.T, inspections bool, size uint16, s string) {
		most := int(size % 501) // 0: unbounded
		if inspections {
			fuzzPage(t, s, most, inspectionField)
		} else {
			fuzzPage(t, s, most, hazardField)
		}
	})
}

// fixtureBytes reads testdata/name for a fuzz target's seeds.
func fixtureBytes(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func fuzzPage[T any](t *testing.T, s string, most int, field recordField[T]) {
	var pg page[T]
	rd := pageReader[T]{pg: &pg, field: field, max: most}
	head, err := rd.readEnvelope(strings.NewReader(s), int64(len(s))+1)
	var want page[T]
	env := envelope{Data: &want}
	if json.Unmarshal([]byte(s), &env) != nil {
		return // the decoder may refuse too, or be more lenient
	}
	if most > 0 && len(want.List) > most {
		if !errors.Is(err, httpx.ErrListTooLong) {
			t.Fatalf("a page of %d records for %d asked: err %v, want it refused", len(want.List), most, err)
		}
		return
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
}

// fzHazardEndpoints are the calls FuzzHazardAnswers exercises, by the fuzzed selector.
var fzHazardEndpoints = []string{"/hazards", "/hazards#create", "/hazards/YH3505820000123/status", "/inspections"}

// FuzzHazardAnswers feeds the client arbitrary answers on the hazard and inspection endpoints,
// through the whole client as FuzzClientAnswers does: no panic, an end within the deadline, a
// failure that is an *APIError with a kind (transient when a 200 answer was not JSON), no
// request without a token, no secret in an error, a create that succeeds only with a yhid, and
// a listing that never yields more than its answers hold.
func FuzzHazardAnswers(f *testing.F) {
	f.Add(uint8(0), uint16(200), "application/json", fixtureBytes(f, "hazards_page.json"))
	f.Add(uint8(0), uint16(200), "application/json", []byte(`{"code":0,"data":{"total":3,"pageSize":2,"list":[{"yhid":"YH1","gxsj":"2026-01-10 09:00:00"},{"yhid":"YH2","gxsj":"2026-01-10 09:00:00"},{"yhid":"YH3","gxsj":"2026-01-10 09:00:00"}]}}`))
	f.Add(uint8(1), uint16(200), "application/json", fixtureBytes(f, "hazard_created.json"))
	f.Add(uint8(1), uint16(200), "application/json", []byte(`{"code":0,"data":{"duplicate":true}}`))
	f.Add(uint8(1), uint16(200), "application/json", []byte(`{"code":40902,"msg":"隐患编号已存在且内容不同","data":null}`))
	f.Add(uint8(1), uint16(200), "application/json", []byte(`{"code":40015,"msg":"重大事故隐患须填写判定依据","data":null}`))
	f.Add(uint8(2), uint16(200), "application/json", fixtureBytes(f, "hazard_status_duplicate.json"))
	f.Add(uint8(2), uint16(200), "application/json", []byte(`{"code":40903,"msg":"整改状态不能回退","data":null}`))
	f.Add(uint8(3), uint16(200), "application/json", fixtureBytes(f, "inspections_page.json"))
	f.Add(uint8(3), uint16(502), "text/html", []byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
	f.Add(uint8(1), uint16(200), "application/json;charset=UTF-8", []byte("\x1f\x8b\x08\x00<html><body>系统繁忙</body>"))
	f.Add(uint8(0), uint16(503), "application/json", []byte(`{"code":50300,"msg":"系统维护中","data":null}`))
	f.Fuzz(func(t *testing.T, which uint8, status uint16, contentType string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		target := fzHazardEndpoints[int(which)%len(fzHazardEndpoints)]
		tr := &fzTransport{target: strings.TrimSuffix(target, "#create"), status: int(status), contentType: contentType, body: body}
		clk := &fzClock{t: time.Date(2026, 1, 15, 9, 30, 0, 0, mapping.Beijing())}
		c, err := New(Config{BaseURL: "https://qz.example/gw/openapi/v1", AppKey: "fz-app",
			AppSecret: fzSecret}, "350582006", nil,
			WithTransport(tr), WithClock(clk), WithRateLimit(-1, 0), WithMaxBody(1<<20), WithPageSize(50),
			WithRetryPolicy(httpx.RetryPolicy{Attempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond,
				MaxWait: time.Second, Budget: time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var callErr error
		switch target {
		case "/hazards":
			seq, _ := c.ListHazards(ctx, Mark{})
			callErr = drain(t, seq, len(body))
		case "/inspections":
			seq, _ := c.ListInspections(ctx, Mark{})
			callErr = drain(t, seq, len(body))
		case "/hazards#create":
			h := mapping.QZHazard{Lybh: "LY-1", Tyshxydm: "91350100M000100Y43", Yhly: "JDJC", Yhdj: "1", Yhms: "x", Fxrq: "2026-01-10", Zgqx: "2026-01-17"}
			var yhid string
			yhid, _, callErr = c.CreateHazard(ctx, h)
			if callErr == nil && yhid == "" {
				t.Fatal("a create succeeded without a yhid")
			}
		default:
			_, callErr = c.UpdateHazardStatus(ctx, "YH3505820000123", mapping.QZHazardStatus{Zgzt: "1", Zgsm: "整改中", Zgczr: "林芳", Zgczsj: "2026-01-15 09:00:00"})
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: the call did not end within 5 s on a %d-byte answer (%d requests)", target, len(body), tr.calls)
		}
		if callErr != nil {
			checkFailure(t, callErr, status, body)
		}
		if len(tr.tokenless) > 0 {
			t.Fatalf("requests without a token: %v", tr.tokenless)
		}
	})
}

// drain runs a listing to its end; it fails the test when the walk yields more records than any
// honest reading of the answers could hold.
func drain[T any](t *testing.T, seq func(func(T, error) bool), bodyLen int) error {
	var callErr error
	n := 0
	seq(func(_ T, err error) bool {
		if err != nil {
			callErr = err
			return false
		}
		if n++; n > 5000 {
			t.Fatalf("a %d-byte answer yielded over 5000 records", bodyLen)
		}
		return true
	})
	return callErr
}

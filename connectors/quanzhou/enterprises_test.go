package quanzhou

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
)

func TestGetEnterpriseReadsTheContractRecord(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/enterprises/91350582MA2YB1XK3L", fileResponder(t, "enterprise.json"))
	e, err := f.c.GetEnterprise(context.Background(), "91350582MA2YB1XK3L")
	if err != nil {
		t.Fatal(err)
	}
	want := mapping.QZEnterprise{Qyid: "QY35058200001234", Tyshxydm: "91350582MA2YB1XK3L", Qymc: "晋江市灵源鞋材有限公司",
		Fddbr: "王建国", Zyfzr: "王建国", Zyfzrlxdh: "13905951234", Jydz: "福建省泉州市晋江市灵源街道林口社区工业区8号",
		Xzqhdm: "350582006", Sqmc: "林口社区", Hylb: "QG", Zdlx: "FCSB,YXKJ", Cyrs: "120", Qyzt: "1", Sfczc: "0",
		Bzhdj: "3", Bzhyxq: "2026-06-30", Sfnrjcyj: "1", Gxsj: "2024-05-21 09:30:00"}
	if e != want {
		t.Errorf("got  %+v\nwant %+v", e, want)
	}
	if _, err := f.c.GetEnterprise(context.Background(), ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty key: err = %v, want ErrInvalid", err)
	}
}

func TestBatchSaveContractExample(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPost, "/enterprises/batchSave", fileResponder(t, "batch_save.json"))
	res, err := f.c.BatchSave(context.Background(), wire([]mapRecord{{"91350582MA2YB1XK3L"}, {"91350582MA31C8QX0D"}, {"913505820000000000"}}))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Result != ResultUpdated || res[0].Qyid != "QY35058200001234" || res[0].Err != nil {
		t.Errorf("item 0: %+v", res[0])
	}
	if res[1].Result != ResultCreated || res[1].Qyid != "QY35058200009876" || res[1].Err != nil {
		t.Errorf("item 1: %+v", res[1])
	}
	var ie *ItemError
	if res[2].Result != ResultFailed || !errors.As(res[2].Err, &ie) || ie.Code != 40011 || ie.Msg != "统一社会信用代码校验失败" || ie.Index != 2 {
		t.Fatalf("item 2: %+v", res[2])
	}
	if ie.Temporary() || !errors.Is(ie, ErrInvalid) {
		t.Error("40011 must be permanent (quarantine)")
	}
	if got, want := ie.Summary(), "平台拒收该企业记录：统一社会信用代码校验失败"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	// The body is {"list": [...]} with cyrs as a number.
	var sent struct {
		List []map[string]any `json:"list"`
	}
	if err := json.Unmarshal(f.requests("/enterprises/batchSave")[0].body, &sent); err != nil || len(sent.List) != 3 {
		t.Fatalf("body: %v, %d records", err, len(sent.List))
	}
	if v, ok := sent.List[0]["cyrs"].(float64); !ok || v != 12 {
		t.Errorf("cyrs sent as %#v, want the number 12", sent.List[0]["cyrs"])
	}
}

// itemPlatform answers batchSave per item: the USCC's last two characters pick the outcome.
func itemPlatform(t *testing.T) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		var in struct {
			List []mapping.QZEnterprise `json:"list"`
		}
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			t.Error(err)
		}
		if len(in.List) > 100 {
			return codeResponder(200, 40001, "list 超过 100 条")(req)
		}
		var results []map[string]any
		for i, e := range in.List {
			r := map[string]any{"index": i, "tyshxydm": e.Tyshxydm}
			switch code := e.Tyshxydm[len(e.Tyshxydm)-2:]; code {
			case "11", "12", "13", "14":
				r["result"], r["errCode"], r["errMsg"] = "FAILED", 400*100+10+int(code[1]-'0'), "第"+code+"项错误"
			case "91":
				r["result"], r["errCode"], r["errMsg"] = "FAILED", 40901, "记录正被修改"
			case "51":
				r["result"], r["errCode"], r["errMsg"] = "FAILED", 50001, "保存失败"
			default:
				r["result"], r["qyid"] = "UNCHANGED", "QY"+e.Tyshxydm[len(e.Tyshxydm)-6:]
			}
			results = append(results, r)
		}
		b, _ := json.Marshal(map[string]any{"code": 0, "msg": "成功", "data": map[string]any{"results": results}})
		return httpmock.NewBytesResponse(200, b), nil
	}
}

func TestBatchSaveChunksAndMapsItemsBack(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPost, "/enterprises/batchSave", itemPlatform(t))
	var records []mapRecord
	for i := range 250 {
		records = append(records, mapRecord{fmt.Sprintf("913505820000%04d%02d", i, 0)})
	}
	outcomes := map[int]struct {
		suffix string
		code   int
		temp   bool
		is     error
	}{
		5: {"11", 40011, false, ErrInvalid}, 105: {"12", 40012, false, ErrInvalid}, 205: {"13", 40013, false, ErrInvalid},
		206: {"14", 40014, false, ErrInvalid}, 120: {"91", 40901, true, ErrBusy}, 249: {"51", 50001, true, ErrUnavailable},
	}
	for i, o := range outcomes {
		u := records[i].uscc
		records[i].uscc = u[:len(u)-2] + o.suffix
	}
	res, err := f.c.BatchSave(context.Background(), wire(records))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, r := range f.requests("/enterprises/batchSave") {
		var in struct{ List []json.RawMessage }
		json.Unmarshal(r.body, &in)
		sizes = append(sizes, len(in.List))
	}
	if fmt.Sprint(sizes) != "[100 100 50]" {
		t.Errorf("chunks %v, want [100 100 50]", sizes)
	}
	if len(res) != len(records) {
		t.Fatalf("%d results for %d records", len(res), len(records))
	}
	for i, r := range res {
		if r.USCC != records[i].uscc {
			t.Fatalf("result %d is for %s, want %s", i, r.USCC, records[i].uscc)
		}
		o, failed := outcomes[i]
		if !failed {
			if r.Err != nil || r.Result != ResultUnchanged || r.Qyid == "" {
				t.Errorf("result %d: %+v", i, r)
			}
			continue
		}
		var ie *ItemError
		if r.Result != ResultFailed || !errors.As(r.Err, &ie) {
			t.Fatalf("result %d: %+v", i, r)
		}
		if ie.Code != o.code || ie.Index != i || ie.USCC != records[i].uscc || ie.Msg == "" {
			t.Errorf("result %d: %+v", i, ie)
		}
		var temp interface{ Temporary() bool }
		if !errors.As(r.Err, &temp) || temp.Temporary() != o.temp || !errors.Is(r.Err, o.is) {
			t.Errorf("result %d (%d): temporary %v, want %v; is %v", i, o.code, temp.Temporary(), o.temp, o.is)
		}
	}
}

func TestBatchSaveStopsAtAFailedChunk(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPost, "/enterprises/batchSave", sequence(itemPlatform(t), codeResponder(503, 50300, "系统维护中", "Retry-After", "1800")))
	var records []mapRecord
	for i := range 250 {
		records = append(records, mapRecord{fmt.Sprintf("913505820000%04d00", i)})
	}
	res, err := f.c.BatchSave(context.Background(), wire(records))
	checkErr(t, err, ErrMaintenance, httpx.KindTransient, 1800*time.Second)
	for i, r := range res {
		switch {
		case i < 100 && (r.Err != nil || r.Result != ResultUnchanged):
			t.Fatalf("result %d of the saved chunk: %+v", i, r)
		case i >= 100 && (!errors.Is(r.Err, ErrMaintenance) || r.Result != ""):
			t.Fatalf("result %d after the failed chunk: %+v", i, r)
		}
	}
	if n := len(f.requests("/enterprises/batchSave")); n != 2 {
		t.Errorf("%d calls, want 2 (no call after maintenance)", n)
	}
}

func TestBatchSaveRejectsMismatchedResults(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPost, "/enterprises/batchSave", rawResponder(200, "application/json",
		`{"code":0,"msg":"成功","data":{"results":[{"index":0,"tyshxydm":"SOMEONE-ELSE","result":"CREATED","qyid":"QY1"}]}}`))
	_, err := f.c.BatchSave(context.Background(), wire([]mapRecord{{"91350582MA2YB1XK3L"}}))
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("err = %v, want ErrMalformed", err)
	}
}

func TestSaveEnterprisesSendsCanonicalForms(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPost, "/enterprises/batchSave", itemPlatform(t))
	e := mapping.Enterprise{USCC: "91350582MA2YB1XK00", Name: "晋江市灵源鞋材(有限)公司", PrincipalPhone: "139-0595-1234",
		RegionCode: testRegion, KeyRisks: []mapping.KeyRisk{"YXKJ", "FCSB"}, Employees: 120, Status: "1", Industry: "QG"}
	if _, err := f.c.SaveEnterprises(context.Background(), []mapping.Enterprise{e}); err != nil {
		t.Fatal(err)
	}
	var in struct{ List []map[string]any }
	json.Unmarshal(f.requests("/enterprises/batchSave")[0].body, &in)
	got := in.List[0]
	if got["zdlx"] != "FCSB,YXKJ" || got["zyfzrlxdh"] != "13905951234" || got["cyrs"] != float64(120) {
		t.Errorf("sent %v", got)
	}
	if _, ok := got["bzhdj"]; ok {
		t.Error("platform-owned bzhdj was sent")
	}
}

package quanzhou

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"

	"streetsync/connectors/httpx"
	"streetsync/mapping"
	"streetsync/mocks/fault"
	mockqz "streetsync/mocks/quanzhou"
)

// streetHazard is the contract's example of a hazard the street reports.
func streetHazard() mapping.QZHazard {
	return mapping.QZHazard{Lybh: "LY-2026-0007", Tyshxydm: "91350100M000100Y43", Yhly: "JDJC", Yhdj: "2", Pdbz: "3-2",
		Yhms: "电焊作业人员未取得熔化焊接与热切割作业操作证上岗作业", Yhbw: "二号车间", Fxrq: "2026-01-10", Fxr: "林芳",
		Zgqx: "2026-01-17", Zgzrr: "陈志强", Zgcs: "立即停止其作业", Zgzt: "0"}
}

func TestCreateHazard(t *testing.T) {
	tests := []struct {
		name      string
		answers   []httpmock.Responder
		wantDup   bool
		wantErr   error
		wantKind  httpx.Kind
		wantCalls int
	}{
		{"created", []httpmock.Responder{fileResponder(t, "hazard_created.json")}, false, nil, 0, 1},
		{"the same hazard again is a duplicate", []httpmock.Responder{fileResponder(t, "hazard_duplicate.json")}, true, nil, 0, 1},
		{"a lost answer is asked again: the platform knows the lybh",
			[]httpmock.Responder{rawResponder(502, "text/html", "<html>502</html>"), fileResponder(t, "hazard_duplicate.json")}, true, nil, 0, 2},
		{"the lybh with other content is a conflict for a person", []httpmock.Responder{codeResponder(200, 40902, "隐患编号已存在且内容不同")},
			false, ErrConflict, httpx.KindPermanent, 1},
		{"an unknown enterprise is not found", []httpmock.Responder{codeResponder(200, 40401, "企业不存在，请先推送企业信息")},
			false, ErrNotFound, httpx.KindPermanent, 1},
		{"a missing field is refused", []httpmock.Responder{codeResponder(200, 40012, "必填字段缺失：yhms")}, false, ErrInvalid, httpx.KindPermanent, 1},
		{"a code not allowed is refused", []httpmock.Responder{codeResponder(200, 40013, "字段取值不在允许范围内：yhly")}, false, ErrInvalid, httpx.KindPermanent, 1},
		{"another region is refused", []httpmock.Responder{codeResponder(200, 40014, "行政区划代码不属于本应用授权范围")}, false, ErrInvalid, httpx.KindPermanent, 1},
		{"a major hazard without its clause is refused", []httpmock.Responder{codeResponder(200, 40015, "重大事故隐患须填写判定依据")}, false, ErrInvalid, httpx.KindPermanent, 1},
		{"maintenance is transient", []httpmock.Responder{codeResponder(503, 50300, "系统维护中", "Retry-After", "1800")}, false, ErrMaintenance, httpx.KindTransient, 1},
		{"an answer without yhid is unreadable", []httpmock.Responder{rawResponder(200, "application/json", `{"code":0,"data":{"duplicate":false}}`)},
			false, ErrMalformed, httpx.KindTransient, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.on(http.MethodPost, "/hazards", sequence(tt.answers...))
			h := streetHazard()
			h.Yhid, h.Gxsj = "YH-SHOULD-NOT-BE-SENT", "2026-01-01 00:00:00"
			yhid, dup, err := f.c.CreateHazard(context.Background(), h)
			wait := time.Duration(0)
			if errors.Is(tt.wantErr, ErrMaintenance) {
				wait = 1800 * time.Second
			}
			checkErr(t, err, tt.wantErr, tt.wantKind, wait)
			if tt.wantErr == nil && (yhid != "YH3505829000001" || dup != tt.wantDup) {
				t.Errorf("got %q, duplicate %v; want YH3505829000001, %v", yhid, dup, tt.wantDup)
			}
			if tt.wantErr != nil && yhid != "" {
				t.Errorf("a failed create returned yhid %q", yhid)
			}
			reqs := f.requests("/hazards")
			if len(reqs) != tt.wantCalls {
				t.Fatalf("%d calls, want %d", len(reqs), tt.wantCalls)
			}
			var sent map[string]string
			if err := json.Unmarshal(reqs[0].body, &sent); err != nil {
				t.Fatal(err)
			}
			if _, ok := sent["yhid"]; ok || sent["gxsj"] != "" || sent["xzqhdm"] != testRegion || sent["lybh"] != "LY-2026-0007" {
				t.Errorf("sent %v: want no yhid or gxsj, the client's region and the lybh", sent)
			}
			var ae *APIError
			if errors.As(err, &ae) && (ae.Endpoint != "/hazards" || ae.RecordKey != "LY-2026-0007") {
				t.Errorf("error lacks context: %#v", ae)
			}
		})
	}
	t.Run("without a lybh nothing is sent", func(t *testing.T) {
		f := newFixture(t)
		h := streetHazard()
		h.Lybh = ""
		_, _, err := f.c.CreateHazard(context.Background(), h)
		if !errors.Is(err, ErrInvalid) || len(f.requests("/hazards")) != 0 {
			t.Errorf("err %v after %d calls, want ErrInvalid before any", err, len(f.requests("/hazards")))
		}
	})
}

func TestReportHazardFromCanonical(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodPost, "/hazards", fileResponder(t, "hazard_created.json"))
	h := mapping.Hazard{StreetID: "LY-2026-0008", USCC: "91350100M000100Y43", Source: "街道检查", Level: "一般", Clause: "3-2",
		Description: "消防通道堆放杂物", FoundOn: mapping.Date{Year: 2026, Month: 1, Day: 14}, Deadline: mapping.Date{Year: 2026, Month: 1, Day: 21},
		Remark: "街道内部备注"}
	if _, _, err := f.c.ReportHazard(context.Background(), &h); err != nil {
		t.Fatal(err)
	}
	var sent mapping.QZHazard
	if err := json.Unmarshal(f.requests("/hazards")[0].body, &sent); err != nil {
		t.Fatal(err)
	}
	if sent.Yhly != "JDJC" || sent.Yhdj != "1" || sent.Pdbz != "" || sent.Zgzt != "0" || sent.Fxrq != "2026-01-14" || sent.Xzqhdm != testRegion {
		t.Errorf("sent %+v", sent)
	}
	if strings.Contains(string(f.requests("/hazards")[0].body), "街道内部备注") {
		t.Error("the street's remark was pushed")
	}
}

func TestUpdateHazardStatus(t *testing.T) {
	st := mapping.QZHazardStatus{Zgzt: "3", Zgsm: "经街道安办验收，同意销号（验收人：林芳）", Zgczr: "林芳", Zgczsj: "2026-01-15 09:00:00"}
	tests := []struct {
		name     string
		answer   httpmock.Responder
		wantDup  bool
		wantErr  error
		wantKind httpx.Kind
	}{
		{"accepted", fileResponder(t, "hazard_status.json"), false, nil, 0},
		{"the same change again is a duplicate", fileResponder(t, "hazard_status_duplicate.json"), true, nil, 0},
		{"a backward move is a conflict, never retried", codeResponder(200, 40903, "整改状态不能回退"), false, ErrStatusBackward, httpx.KindPermanent},
		{"an unknown hazard is not found", codeResponder(200, 40401, "记录不存在"), false, ErrNotFound, httpx.KindPermanent},
		{"a missing field is invalid", codeResponder(200, 40001, "缺少参数 zgczr"), false, ErrInvalid, httpx.KindPermanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.on(http.MethodPost, "/hazards/YH3505820000123/status", tt.answer)
			dup, err := f.c.UpdateHazardStatus(context.Background(), "YH3505820000123", st)
			checkErr(t, err, tt.wantErr, tt.wantKind, 0)
			if dup != tt.wantDup {
				t.Errorf("duplicate = %v, want %v", dup, tt.wantDup)
			}
			reqs := f.requests("/hazards/YH3505820000123/status")
			var sent mapping.QZHazardStatus
			if len(reqs) != 1 || json.Unmarshal(reqs[0].body, &sent) != nil || sent != st {
				t.Errorf("%d calls, sent %+v; want one with %+v", len(reqs), sent, st)
			}
		})
	}
	if !errors.Is(ErrStatusBackward, ErrConflict) {
		t.Error("ErrStatusBackward does not wrap ErrConflict")
	}
	f := newFixture(t)
	if _, err := f.c.UpdateHazardStatus(context.Background(), "", st); !errors.Is(err, ErrInvalid) {
		t.Errorf("no yhid: %v, want ErrInvalid", err)
	}
	f.on(http.MethodPost, "/hazards/YH1/status", fileResponder(t, "hazard_status.json"))
	at := time.Date(2026, 1, 15, 9, 0, 0, 0, mapping.Beijing())
	if _, err := f.c.SetHazardStatus(context.Background(), mapping.HazardStatusChange{HazardID: "YH1", Status: "整改中",
		Note: "已停止作业", Handler: "陈 志强", At: at}); err != nil {
		t.Fatal(err)
	}
	var sent mapping.QZHazardStatus
	json.Unmarshal(f.requests("/hazards/YH1/status")[0].body, &sent)
	if sent != (mapping.QZHazardStatus{Zgzt: "1", Zgsm: "已停止作业", Zgczr: "陈志强", Zgczsj: "2026-01-15 09:00:00"}) {
		t.Errorf("sent %+v", sent)
	}
}

func TestListHazardsAndInspectionsFixtures(t *testing.T) {
	f := newFixture(t)
	f.on(http.MethodGet, "/hazards", fileResponder(t, "hazards_page.json"))
	f.on(http.MethodGet, "/inspections", fileResponder(t, "inspections_page.json"))
	seq, prog := f.c.Hazards(context.Background(), Mark{}, nil)
	var got []PulledHazard
	for h, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h)
	}
	if len(got) != 2 || got[0].Hazard.Key() != "LY-2026-0007" || got[0].Hazard.Clause != "3-2" || !got[0].Hazard.Major() ||
		got[1].Hazard.Key() != "YH3505820000456" || got[1].Hazard.Source != mapping.SourceEnterprise || len(got[0].Problems)+len(got[1].Problems) > 0 {
		t.Fatalf("got %+v", got)
	}
	if !prog.Done || prog.HighWaterText != "2026-01-12 16:00:00" || prog.Requests != 1 {
		t.Errorf("progress %+v", *prog)
	}
	iseq, iprog := f.c.Inspections(context.Background(), Mark{})
	var ins []PulledInspection
	for in, err := range iseq {
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	if len(ins) != 2 || ins[0].Inspection.HazardsFound != 3 || ins[0].Inspection.Type != mapping.InspectionPrincipal ||
		ins[1].Wire.Fxyhs != "0" || ins[1].Inspection.Type != mapping.InspectionRoutine || !iprog.Done {
		t.Errorf("inspections %+v, progress %+v", ins, *iprog)
	}
}

// A page with more records than asked is not the platform's page: the walk stops on it with a
// transient error instead of building on it.
func TestHazardPageLongerThanAskedIsRefused(t *testing.T) {
	for _, path := range []string{"/hazards", "/inspections"} {
		t.Run(path, func(t *testing.T) {
			f := newFixture(t, WithPageSize(2))
			var items []string
			for i := range 3 {
				items = append(items, fmt.Sprintf(`{"yhid":"YH%d","jcid":"JC%d","gxsj":"2026-01-1%d 09:00:00"}`, i, i, i))
			}
			body := `{"code":0,"msg":"成功","data":{"total":3,"pageNo":1,"pageSize":2,"list":[` + strings.Join(items, ",") + `]}}`
			f.on(http.MethodGet, path, rawResponder(200, "application/json", body))
			var err error
			n := 0
			if path == "/hazards" {
				seq, _ := f.c.ListHazards(context.Background(), Mark{})
				for _, e := range seq {
					if err = e; e == nil {
						n++
					}
				}
			} else {
				seq, _ := f.c.ListInspections(context.Background(), Mark{})
				for _, e := range seq {
					if err = e; e == nil {
						n++
					}
				}
			}
			checkErr(t, err, ErrMalformed, httpx.KindTransient, 0)
			if !errors.Is(err, httpx.ErrListTooLong) || n != 0 {
				t.Errorf("err %v after %d records, want a page of 3 for 2 asked refused before any record", err, n)
			}
		})
	}
}

// collectHazards runs a hazard walk and keeps the last delivery of every hazard.
func collectHazards(t *testing.T, f *fixture) (map[string]mapping.QZHazard, *Progress) {
	t.Helper()
	seq, prog := f.c.ListHazards(context.Background(), Mark{})
	got := map[string]mapping.QZHazard{}
	for h, err := range seq {
		if err != nil {
			t.Fatalf("after %d hazards: %v", len(got), err)
		}
		got[h.Yhid] = h
	}
	return got, prog
}

func missingHazards(p *mockqz.Platform, got map[string]mapping.QZHazard) []string {
	var out []string
	for _, h := range p.Hazards() {
		g, ok := got[h.Yhid]
		if !ok || g.Gxsj != h.Gxsj || g.Zgzt != h.Zgzt || g.Zgsm != h.Zgsm {
			out = append(out, fmt.Sprintf("%s@%s (got %q)", h.Yhid, h.Gxsj, g.Gxsj))
		}
	}
	return out
}

// fillHazards gives the mock platform n more hazards, a bulk import in one second.
func fillHazards(t *testing.T, p *mockqz.Platform, n int) {
	t.Helper()
	uscc := p.Enterprises()[0].Tyshxydm
	for i := range n {
		if _, err := p.PutHazard(mockqz.Hazard{Tyshxydm: uscc, Xzqhdm: testRegion, Yhly: "QYZC", Yhdj: "1",
			Yhms: fmt.Sprintf("企业自查隐患%d", i), Fxrq: "2026-01-10", Zgqx: "2026-02-10", Zgzt: "0"}); err != nil {
			t.Fatal(err)
		}
	}
}

// The contract's warning for /hazards, as a test: while the walk runs, every page request moves
// a hazard to the end. Every hazard must come back in the version the platform holds at the end.
func TestHazardListingMissesNoRecordWhileRecordsMove(t *testing.T) {
	f, p := mockFixture(t, 40, tickingClock, WithPageSize(50))
	fillHazards(t, p, 1500)
	p.UpdateFaults(func(fl *fault.Faults) { fl.MutateWhilePaging = 1 })
	got, prog := collectHazards(t, f)
	if miss := missingHazards(p, got); len(miss) > 0 {
		t.Fatalf("%d of %d hazards missed or stale, e.g. %v", len(miss), len(p.Hazards()), miss[:min(5, len(miss))])
	}
	if !prog.Done || prog.Rounds < 2 {
		t.Errorf("progress %+v", *prog)
	}
	t.Logf("%d hazards, %+v", len(p.Hazards()), *prog)
}

// The same mutations defeat a naive pageNo walk of /hazards, so the test above can fail.
func TestNaiveHazardWalkLosesRecordsUnderTheSameMutations(t *testing.T) {
	f, p := mockFixture(t, 40, tickingClock, WithPageSize(50))
	fillHazards(t, p, 1500)
	p.UpdateFaults(func(fl *fault.Faults) { fl.MutateWhilePaging = 1 })
	got := map[string]mapping.QZHazard{}
	for pageNo := 1; ; pageNo++ {
		var pg page[mapping.QZHazard]
		q := url.Values{"xzqhdm": {testRegion}, "pageNo": {strconv.Itoa(pageNo)}, "pageSize": {"50"}}
		if err := f.c.do(context.Background(), &call{method: "GET", endpoint: "/hazards", path: "/hazards", query: q, idempotent: true}, &pg); err != nil {
			t.Fatal(err)
		}
		for _, h := range pg.List {
			got[h.Yhid] = h
		}
		if len(pg.List) < 50 {
			break
		}
	}
	if miss := missingHazards(p, got); len(miss) == 0 {
		t.Fatal("the naive walk missed nothing: the mutation knob does not exercise /hazards")
	}
}

func TestInspectionListingMissesNoRecordWhileRecordsMove(t *testing.T) {
	f, p := mockFixture(t, 300, tickingClock, WithPageSize(20))
	p.UpdateFaults(func(fl *fault.Faults) { fl.MutateWhilePaging = 1 })
	seq, prog := f.c.ListInspections(context.Background(), Mark{})
	got := map[string]mapping.QZInspection{}
	for in, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got[in.Jcid] = in
	}
	all := p.Inspections()
	for _, in := range all {
		if g, ok := got[in.Jcid]; !ok || g.Gxsj != in.Gxsj {
			t.Errorf("inspection %s@%s: got %q", in.Jcid, in.Gxsj, g.Gxsj)
		}
	}
	if len(all) < 100 || !prog.Done {
		t.Errorf("%d inspections, progress %+v", len(all), *prog)
	}
}

package quanzhou

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"streetsync/mocks/fault"
	"streetsync/mocks/internal/gbcode"
)

type saveResult struct {
	Index    int    `json:"index"`
	Tyshxydm string `json:"tyshxydm"`
	Qyid     string `json:"qyid"`
	Result   string `json:"result"`
	ErrCode  int    `json:"errCode"`
	ErrMsg   string `json:"errMsg"`
}

func save(t *testing.T, c *client, items ...map[string]any) ([]saveResult, result) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"list": items})
	r := c.do(call{method: http.MethodPost, path: "/enterprises/batchSave", body: body})
	var d struct {
		SuccessCount int          `json:"successCount"`
		FailCount    int          `json:"failCount"`
		Results      []saveResult `json:"results"`
	}
	if r.env.Code == 0 {
		if err := json.Unmarshal(r.env.Data, &d); err != nil {
			t.Fatal(err)
		}
		fails := 0
		for _, x := range d.Results {
			if x.Result == resultFailed {
				fails++
			}
		}
		if d.FailCount != fails || d.SuccessCount != len(d.Results)-fails {
			t.Errorf("counts %d/%d do not match results %+v", d.SuccessCount, d.FailCount, d.Results)
		}
	}
	return d.Results, r
}

func validUSCC(body string) string {
	oc, _ := gbcode.OrgCheckChar(body)
	base := "91350582" + body + string(oc)
	c, _ := gbcode.USCCCheckChar(base)
	return base + string(c)
}

func newRecord(uscc string) map[string]any {
	return map[string]any{
		"tyshxydm": uscc, "qymc": "晋江市灵源测试鞋业有限公司", "fddbr": "陈志强", "zyfzr": "陈志强", "zyfzrlxdh": "13850691234",
		"aqglry": "林芳", "jydz": "福建省晋江市灵源街道林口社区林口路1号", "xzqhdm": "350582006", "sqmc": "林口社区",
		"hylb": "QG", "zdlx": "FCSB,PT", "cyrs": 120, "qyzt": "1", "sfczc": "0",
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestBatchSaveItemRules(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{})
	c.login()
	good := validUSCC("MA2Y0K7T")
	wrongCheck := good[:17] + string(gbcode.USCCCharset[(strings.IndexByte(gbcode.USCCCharset, good[17])+1)%31])
	notFujian := "91440300" + good[8:17]
	if c, _ := gbcode.USCCCheckChar(notFujian); c != 'Y' {
		notFujian += "Y"
	} else {
		notFujian += "X"
	}
	// Inner organization code MA2Y0K7T + Q is wrong (its check is not Q), and so is the 18th.
	badOrg17 := "91350582MA2Y0K7TQ"
	bc, _ := gbcode.USCCCheckChar(badOrg17)
	if gbcode.OrgCodeValid(badOrg17[8:]) {
		t.Fatal("test premise: MA2Y0K7TQ must be an invalid organization code")
	}
	badBoth := badOrg17 + string(gbcode.USCCCharset[(strings.IndexByte(gbcode.USCCCharset, bc)+1)%31])
	cases := []struct {
		name     string
		item     map[string]any
		want     string
		wantCode int
		wantMsg  string
	}{
		{"new valid record is CREATED", newRecord(good), resultCreated, 0, ""},
		{"same values again are UNCHANGED", newRecord(good), resultUnchanged, 0, ""},
		{"cyrs as a string equal to the stored text is UNCHANGED", with(newRecord(good), "cyrs", "120"), resultUnchanged, 0, ""},
		{"platform-owned fields are ignored", with(newRecord(good), "bzhdj", "1", "gxsj", "2000-01-01 00:00:00", "qyid", "X"), resultUnchanged, 0, ""},
		{"a subset of fields equal to stored is UNCHANGED", map[string]any{"tyshxydm": good, "qymc": "晋江市灵源测试鞋业有限公司"}, resultUnchanged, 0, ""},
		{"zdlx in another order is a change (string compare)", with(newRecord(good), "zdlx", "PT,FCSB"), resultUpdated, 0, ""},
		{"a changed phone is UPDATED", with(newRecord(good), "zyfzrlxdh", "13900000000"), resultUpdated, 0, ""},
		{"Fujian code with a wrong check character but a valid inner code is accepted", newRecord(wrongCheck), resultCreated, 0, ""},
		{"malformed code is 40011", newRecord("91350582MA2Y0K7"), resultFailed, itemBadUSCC, ""},
		{"non-Fujian code with wrong check is 40011", newRecord(notFujian), resultFailed, itemBadUSCC, ""},
		{"Fujian code with bad inner organization code is 40011", newRecord(badBoth), resultFailed, itemBadUSCC, ""},
		{"missing required field on create is 40012 naming it", with(newRecord(validUSCC("MA3A0001")), "fddbr", nil), resultFailed, itemMissing, "fddbr"},
		{"empty required field is 40012", with(newRecord(validUSCC("MA3A0002")), "jydz", ""), resultFailed, itemMissing, "jydz"},
		{"missing tyshxydm is 40012", with(newRecord(good), "tyshxydm", nil), resultFailed, itemMissing, "tyshxydm"},
		{"unknown hylb is 40013 naming it", with(newRecord(validUSCC("MA3A0003")), "hylb", "轻工"), resultFailed, itemBadCode, "hylb"},
		{"unknown zdlx code is 40013", with(newRecord(validUSCC("MA3A0004")), "zdlx", "FCSB,粉尘"), resultFailed, itemBadCode, "zdlx"},
		{"qyzt out of range is 40013", with(newRecord(validUSCC("MA3A0005")), "qyzt", "5"), resultFailed, itemBadCode, "qyzt"},
		{"sfczc not 1/0 is 40013", with(newRecord(validUSCC("MA3A0006")), "sfczc", "是"), resultFailed, itemBadCode, "sfczc"},
		{"other region is 40014", with(newRecord(validUSCC("MA3A0007")), "xzqhdm", "350582001"), resultFailed, itemRegion, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, r := save(t, c, tc.item)
			if r.env.Code != 0 || len(res) != 1 {
				t.Fatalf("got code %d %s, want one result", r.env.Code, r.raw)
			}
			got := res[0]
			if got.Result != tc.want || got.ErrCode != tc.wantCode || !strings.Contains(got.ErrMsg, tc.wantMsg) {
				t.Errorf("got %+v, want %s %d naming %q", got, tc.want, tc.wantCode, tc.wantMsg)
			}
			if got.Result != resultFailed && got.Qyid == "" {
				t.Errorf("got no qyid in %+v", got)
			}
		})
	}
	t.Run("Fujian pilot code is accepted", func(t *testing.T) {
		pilot := validUSCC("MA4B0K7T")
		pilot = pilot[:17] + string(gbcode.USCCCharset[(strings.IndexByte(gbcode.USCCCharset, pilot[17])+5)%31])
		res, _ := save(t, c, newRecord(pilot))
		if res[0].Result != resultCreated {
			t.Errorf("pilot %s: got %+v, want CREATED", pilot, res[0])
		}
	})
	t.Run("platform-owned fields keep their stored values", func(t *testing.T) {
		e, _ := p.Enterprise(good)
		if e.Bzhdj != "0" || e.Qyid == "X" {
			t.Errorf("stored %+v: push overwrote platform-owned fields", e)
		}
	})
	t.Run("absent field keeps, empty string clears an optional field", func(t *testing.T) {
		res, _ := save(t, c, map[string]any{"tyshxydm": good, "aqglry": ""})
		e, _ := p.Enterprise(good)
		if res[0].Result != resultUpdated || e.Aqglry != "" || e.Qymc == "" {
			t.Errorf("got %+v and %+v, want UPDATED with aqglry cleared and qymc kept", res[0], e)
		}
	})
	t.Run("generated platform records are UNCHANGED when sent as stored", func(t *testing.T) {
		x := ds.Platform[0]
		item := map[string]any{"tyshxydm": x.USCC, "qymc": x.Name, "cyrs": x.Employees, "zdlx": x.KeyRisks}
		res, _ := save(t, c, item)
		if res[0].Result != resultUnchanged {
			t.Errorf("got %+v, want UNCHANGED", res[0])
		}
	})
}

func TestBatchSaveCallRules(t *testing.T) {
	_, c, _ := newTestPlatform(t, Config{})
	c.login()
	var many []map[string]any
	for i := 0; i < 101; i++ {
		many = append(many, newRecord(validUSCC(fmt.Sprintf("MA5%05d", i))))
	}
	for name, body := range map[string]string{
		"empty list":  `{"list":[]}`,
		"no list":     `{}`,
		"not JSON":    `{"list":`,
		"101 records": string(mustJSON(map[string]any{"list": many})),
	} {
		t.Run(name+" is 40001 for the whole call", func(t *testing.T) {
			r := c.do(call{method: http.MethodPost, path: "/enterprises/batchSave", body: []byte(body)})
			if r.env.Code != codeBadParam {
				t.Errorf("got %d, want 40001", r.env.Code)
			}
		})
	}
	res, r := save(t, c, many[:100]...)
	if r.env.Code != 0 || len(res) != 100 || res[99].Index != 99 {
		t.Errorf("100 records: got code %d and %d results, want 0 and 100", r.env.Code, len(res))
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestBatchSaveTimesAndInspection(t *testing.T) {
	p, c, _ := newTestPlatform(t, Config{})
	c.login()
	uscc := validUSCC("MA6C0001")
	save(t, c, newRecord(uscc))
	e, _ := p.Enterprise(uscc)
	if e.Gxsj != c.clock.Now().In(time.FixedZone("", 8*3600)).Format(timeLayout) {
		t.Errorf("CREATED gxsj = %s, want now %s", e.Gxsj, c.clock.Now())
	}
	c.clock.Advance(time.Hour)
	save(t, c, newRecord(uscc))
	if e2, _ := p.Enterprise(uscc); e2.Gxsj != e.Gxsj {
		t.Errorf("UNCHANGED moved gxsj from %s to %s", e.Gxsj, e2.Gxsj)
	}
	save(t, c, with(newRecord(uscc), "cyrs", 121))
	if e3, _ := p.Enterprise(uscc); e3.Gxsj == e.Gxsj || e3.Cyrs != "121" {
		t.Errorf("UPDATED: got %+v, want gxsj moved and cyrs 121", e3)
	}
	all := p.Enterprises()
	if all[len(all)-1].Tyshxydm != uscc {
		t.Errorf("updated record is not last in (gxsj, qyid) order")
	}
	if got := p.Creates(uscc); got != 1 {
		t.Errorf("Creates = %d, want 1", got)
	}
	if got := len(p.Pushes(uscc)); got != 3 {
		t.Errorf("Pushes = %d, want 3", got)
	}
	if got := p.RequestCount("POST /enterprises/batchSave"); got != 3 {
		t.Errorf("RequestCount(batchSave) = %d, want 3", got)
	}
}

func TestBatchSaveTransientItems(t *testing.T) {
	p, c, _ := newTestPlatform(t, Config{})
	c.login()
	p.UpdateFaults(func(f *fault.Faults) { f.ItemConflict = 1 })
	res, _ := save(t, c, newRecord(validUSCC("MA7D0001")))
	if res[0].ErrCode != itemConcurrent {
		t.Errorf("ItemConflict=1: got %+v, want 40901", res[0])
	}
	p.SetFaults(fault.Faults{ItemStoreFailure: 1})
	res, _ = save(t, c, newRecord(validUSCC("MA7D0001")))
	if res[0].ErrCode != itemStoreFailed {
		t.Errorf("ItemStoreFailure=1: got %+v, want 50001", res[0])
	}
	if _, ok := p.Enterprise(validUSCC("MA7D0001")); ok {
		t.Error("a transiently failed item was stored")
	}
	p.SetFaults(fault.Faults{ItemStoreFailure: 0.5})
	var items []map[string]any
	for i := 0; i < 100; i++ {
		items = append(items, newRecord(validUSCC(fmt.Sprintf("MA8%05d", i))))
	}
	res, _ = save(t, c, items...)
	failed := 0
	for _, r := range res {
		if r.Result == resultFailed {
			failed++
		}
	}
	if failed < 25 || failed > 75 {
		t.Errorf("ItemStoreFailure=0.5: %d of 100 failed", failed)
	}
}

// walk pages through GET /enterprises with pageNo and returns the qyids seen.
func walk(t *testing.T, c *client, pageSize int, between func(pageNo int)) (seen []string, total int) {
	t.Helper()
	for pageNo := 1; ; pageNo++ {
		pg := decodePage(t, c.do(call{path: "/enterprises", query: fmt.Sprintf("xzqhdm=350582006&pageNo=%d&pageSize=%d", pageNo, pageSize)}))
		if pageNo == 1 {
			total = pg.Total
		}
		for _, rec := range pg.List {
			seen = append(seen, recField(t, rec, "qyid"))
		}
		if len(pg.List) < pageSize {
			return seen, total
		}
		if between != nil {
			between(pageNo)
		}
	}
}

func TestListingOrderAndPaging(t *testing.T) {
	p, c, _ := newTestPlatform(t, Config{})
	c.login()
	seen, total := walk(t, c, 7, nil)
	all := p.Enterprises()
	if total != len(all) || len(seen) != len(all) {
		t.Fatalf("quiet walk: saw %d of total %d, want %d", len(seen), total, len(all))
	}
	for i := range all {
		if seen[i] != all[i].Qyid {
			t.Fatalf("position %d: got %s, want %s", i, seen[i], all[i].Qyid)
		}
		if i > 0 && (all[i-1].Gxsj > all[i].Gxsj || all[i-1].Gxsj == all[i].Gxsj && all[i-1].Qyid >= all[i].Qyid) {
			t.Fatalf("not sorted by (gxsj, qyid) at %d", i)
		}
	}
	t.Run("default page size is 20", func(t *testing.T) {
		pg := decodePage(t, c.do(call{path: "/enterprises", query: "xzqhdm=350582006"}))
		if pg.PageSize != 20 || len(pg.List) != 20 {
			t.Errorf("got pageSize %d with %d records, want 20", pg.PageSize, len(pg.List))
		}
	})
	t.Run("gxsjStart is inclusive", func(t *testing.T) {
		mid := all[len(all)/2]
		pg := decodePage(t, c.do(call{path: "/enterprises", query: "xzqhdm=350582006&pageSize=500&gxsjStart=" + strings.ReplaceAll(mid.Gxsj, " ", "+")}))
		want := 0
		for _, e := range all {
			if e.Gxsj >= mid.Gxsj {
				want++
			}
		}
		if pg.Total != want || recField(t, pg.List[0], "gxsj") != mid.Gxsj {
			t.Errorf("got total %d starting at %s, want %d starting at %s", pg.Total, recField(t, pg.List[0], "gxsj"), want, mid.Gxsj)
		}
	})
	t.Run("a record updated during a pageNo walk makes the walk skip one", func(t *testing.T) {
		// The quirk is real: after page 1, a record on page 1 is edited on the portal and moves to
		// the end; everything behind it shifts one place forward, so page 2 starts one record late.
		first := p.Enterprises()
		seen, _ := walk(t, c, 5, func(pageNo int) {
			if pageNo == 1 {
				c.clock.Advance(time.Second)
				p.EditEnterprise(first[0].Tyshxydm, func(e *Enterprise) { e.Zyfzrlxdh = "13900000001" })
			}
		})
		got := map[string]bool{}
		for _, q := range seen {
			got[q] = true
		}
		if first[5].Qyid == "" || got[first[5].Qyid] {
			t.Fatalf("record %s (first of page 2 before the edit) was seen; want it skipped", first[5].Qyid)
		}
		if len(got) != len(first)-1 {
			t.Errorf("saw %d distinct records, want %d (exactly one skipped)", len(got), len(first)-1)
		}
	})
	t.Run("the mutation fault makes a walk miss records while total stays", func(t *testing.T) {
		p.SetFaults(fault.Faults{MutateWhilePaging: 1})
		defer p.SetFaults(fault.Faults{})
		c.clock.Advance(time.Second)
		seen, total := walk(t, c, 5, func(int) { c.clock.Advance(time.Second) })
		distinct := map[string]bool{}
		for _, q := range seen {
			distinct[q] = true
		}
		if total != len(all) || len(distinct) >= total {
			t.Errorf("saw %d distinct of total %d: want fewer (records move while paging)", len(distinct), total)
		}
	})
}

func TestAlarmsAndFeedback(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{})
	c.login()
	pg := decodePage(t, c.do(call{path: "/risk/alarms", query: "xzqhdm=350582006&pageSize=500"}))
	if pg.Total != len(ds.Alarms) || pg.Total == 0 {
		t.Fatalf("alarms total %d, want %d (> 0)", pg.Total, len(ds.Alarms))
	}
	var open, closed string
	for _, a := range ds.Alarms {
		if a.HandlingStatus == "0" && open == "" {
			open = a.ID
		}
		if a.HandlingStatus == "2" && closed == "" {
			closed = a.ID
		}
	}
	fb := func(bjid string, body map[string]string) result {
		return c.do(call{method: http.MethodPost, path: "/risk/alarms/" + bjid + "/feedback", body: mustJSON(body)})
	}
	handling := map[string]string{"czzt": "1", "czsm": "已通知企业排查", "czr": "林芳", "czsj": "2026-01-15 09:00:00"}
	done := map[string]string{"czzt": "2", "czsm": "已处置完毕", "czr": "林芳", "czsj": "2026-01-15 10:00:00"}
	cases := []struct {
		name    string
		bjid    string
		body    map[string]string
		code    int
		dup     string
		changes bool
	}{
		{"first feedback is accepted", open, handling, 0, "false", true},
		{"the same feedback again is a duplicate", open, handling, 0, "true", false},
		{"closing feedback is accepted", open, done, 0, "false", true},
		{"closing feedback again is a duplicate", open, done, 0, "true", false},
		{"different feedback on a closed alarm is 40902", open, with2(done, "czsm", "改口"), codeConflict, "", false},
		{"different feedback on a generated closed alarm is 40902", closed, handling, codeConflict, "", false},
		{"unknown alarm is 40401", "BJ00000000000000", handling, codeNotFound, "", false},
		{"missing czr is 40001", open, with2(handling, "czr", ""), codeBadParam, "", false},
		{"bad czsj is 40001", open, with2(handling, "czsj", "2026/1/15"), codeBadParam, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := p.Alarm(tc.bjid)
			c.clock.Advance(time.Second)
			r := fb(tc.bjid, tc.body)
			if r.env.Code != tc.code {
				t.Fatalf("got %d %s, want %d", r.env.Code, r.raw, tc.code)
			}
			if tc.dup != "" && string(r.env.Data) != `{"duplicate":`+tc.dup+`}` {
				t.Errorf("data %s, want duplicate %s", r.env.Data, tc.dup)
			}
			after, _ := p.Alarm(tc.bjid)
			if moved := after.Gxsj != before.Gxsj; moved != tc.changes {
				t.Errorf("gxsj moved = %v, want %v", moved, tc.changes)
			}
		})
	}
	if got := len(p.Feedback(open)); got != 2 {
		t.Errorf("Feedback(%s) has %d entries, want 2", open, got)
	}
	if r := c.do(call{path: "/risk/alarms", query: "xzqhdm=350521001"}); r.env.Code != codeRegion {
		t.Errorf("alarms of another region: got %d, want 40301", r.env.Code)
	}
}

func with2(m map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

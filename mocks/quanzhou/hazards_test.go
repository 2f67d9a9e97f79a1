package quanzhou

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"streetsync/mocks/fault"
)

// Contract tests of the hazard and inspection endpoints (contracts/hazards.md), as the
// enterprise and alarm endpoints have theirs.

type hazardAnswerData struct {
	Yhid      string `json:"yhid"`
	Duplicate bool   `json:"duplicate"`
}

// newHazardBody is a street hazard the platform accepts, on an enterprise it holds.
func newHazardBody(uscc, lybh string) map[string]any {
	return map[string]any{
		"lybh": lybh, "tyshxydm": uscc, "xzqhdm": "350582006", "yhly": "JDJC", "yhdj": "2", "pdbz": "3-2",
		"yhms": "电焊作业人员未取得熔化焊接与热切割作业操作证上岗作业", "yhbw": "二号车间", "fxrq": "2026-01-14", "fxr": "林芳",
		"zgqx": "2026-01-21", "zgzrr": "陈志强", "zgcs": "立即停止其作业", "zgzt": "0", "zgsm": "", "zgczr": "", "zgczsj": "",
	}
}

func createHazard(t *testing.T, c *client, body map[string]any) (hazardAnswerData, result) {
	t.Helper()
	r := c.do(call{method: http.MethodPost, path: "/hazards", body: mustJSON(body)})
	var d hazardAnswerData
	if r.env.Code == 0 {
		if err := json.Unmarshal(r.env.Data, &d); err != nil {
			t.Fatalf("create answer %s: %v", r.raw, err)
		}
	}
	return d, r
}

var mockYhid = regexp.MustCompile(`^YH350582\d{7}$`)

func TestCreateHazardRules(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{})
	c.login()
	uscc := ds.Platform[0].USCC
	first, r := createHazard(t, c, newHazardBody(uscc, "LY-T-0001"))
	if r.env.Code != 0 || first.Duplicate || !mockYhid.MatchString(first.Yhid) {
		t.Fatalf("create: got %s, want code 0, a yhid and duplicate false", r.raw)
	}
	stored, _ := p.Hazard(first.Yhid)
	if stored.Qyid != ds.Platform[0].PlatformID || stored.Qymc != ds.Platform[0].Name || stored.Gxsj != c.clock.Now().In(time.FixedZone("", 8*3600)).Format(timeLayout) {
		t.Errorf("stored %+v: want the enterprise's qyid and qymc and gxsj now", stored)
	}
	if all := p.Hazards(); all[len(all)-1].Yhid != first.Yhid {
		t.Error("a new hazard is not last in (gxsj, yhid) order")
	}

	c.clock.Advance(time.Minute)
	t.Run("the same lybh with the same content is a duplicate with the same yhid", func(t *testing.T) {
		d, r := createHazard(t, c, newHazardBody(uscc, "LY-T-0001"))
		again, _ := p.Hazard(first.Yhid)
		if r.env.Code != 0 || !d.Duplicate || d.Yhid != first.Yhid || again.Gxsj != stored.Gxsj {
			t.Errorf("got %s (gxsj %s → %s), want duplicate true, yhid %s, gxsj unchanged", r.raw, stored.Gxsj, again.Gxsj, first.Yhid)
		}
	})
	t.Run("a repeated create is compared on the reporter's fields, not the status", func(t *testing.T) {
		d, r := createHazard(t, c, with(newHazardBody(uscc, "LY-T-0001"), "zgzt", "1", "zgsm", "整改中", "zgczr", "陈志强",
			"zgczsj", "2026-01-15 08:00:00"))
		if r.env.Code != 0 || !d.Duplicate || d.Yhid != first.Yhid {
			t.Errorf("got %s, want a duplicate", r.raw)
		}
	})
	t.Run("the same lybh with different content is 40902", func(t *testing.T) {
		_, r := createHazard(t, c, with(newHazardBody(uscc, "LY-T-0001"), "yhms", "另一条隐患"))
		if r.env.Code != codeConflict || string(r.env.Data) != "null" {
			t.Errorf("got %s, want 40902 with data null", r.raw)
		}
	})
	if got := p.HazardCreates("LY-T-0001"); got != 1 {
		t.Errorf("HazardCreates = %d, want 1", got)
	}

	other := "91350582MA2Y0K7TQX" // not on the platform
	cases := []struct {
		name string
		body map[string]any
		code int
		msg  string
	}{
		{"a general hazard without a clause is created", with(newHazardBody(uscc, "LY-T-0002"), "yhdj", "1", "pdbz", ""), 0, ""},
		{"no status is 待整改", with(newHazardBody(uscc, "LY-T-0003"), "zgzt", nil), 0, ""},
		{"platform fields sent are ignored", with(newHazardBody(uscc, "LY-T-0004"), "yhid", "YH1", "qyid", "QY1", "gxsj", "x"), 0, ""},
		{"a missing lybh is 40012 naming it", with(newHazardBody(uscc, ""), "lybh", nil), itemMissing, "lybh"},
		{"an empty lybh is 40012", newHazardBody(uscc, ""), itemMissing, "lybh"},
		{"a missing tyshxydm is 40012", with(newHazardBody(uscc, "LY-T-0010"), "tyshxydm", nil), itemMissing, "tyshxydm"},
		{"a missing xzqhdm is 40012", with(newHazardBody(uscc, "LY-T-0011"), "xzqhdm", ""), itemMissing, "xzqhdm"},
		{"a missing yhly is 40012", with(newHazardBody(uscc, "LY-T-0012"), "yhly", nil), itemMissing, "yhly"},
		{"a missing yhdj is 40012", with(newHazardBody(uscc, "LY-T-0013"), "yhdj", nil), itemMissing, "yhdj"},
		{"a missing yhms is 40012", with(newHazardBody(uscc, "LY-T-0014"), "yhms", ""), itemMissing, "yhms"},
		{"a missing fxrq is 40012", with(newHazardBody(uscc, "LY-T-0015"), "fxrq", nil), itemMissing, "fxrq"},
		{"a missing zgqx is 40012", with(newHazardBody(uscc, "LY-T-0016"), "zgqx", nil), itemMissing, "zgqx"},
		{"closing without a note is 40012 naming zgsm", with(newHazardBody(uscc, "LY-T-0017"), "zgzt", "3"), itemMissing, "zgsm"},
		{"a lybh with other characters is 40001", newHazardBody(uscc, "LY T/18"), codeBadParam, "lybh"},
		{"a lybh over 32 characters is 40001", newHazardBody(uscc, strings.Repeat("L", 33)), codeBadParam, "lybh"},
		{"another region is 40014", with(newHazardBody(uscc, "LY-T-0019"), "xzqhdm", "350582001"), itemRegion, ""},
		{"an unknown yhly is 40013 naming it", with(newHazardBody(uscc, "LY-T-0020"), "yhly", "街道检查"), itemBadCode, "yhly"},
		{"an unknown yhdj is 40013", with(newHazardBody(uscc, "LY-T-0021"), "yhdj", "3"), itemBadCode, "yhdj"},
		{"an unknown zgzt is 40013", with(newHazardBody(uscc, "LY-T-0022"), "zgzt", "4"), itemBadCode, "zgzt"},
		{"a major hazard without pdbz is 40015", with(newHazardBody(uscc, "LY-T-0023"), "pdbz", ""), itemBadClause, ""},
		{"a major hazard with pdbz not 条-项 is 40015", with(newHazardBody(uscc, "LY-T-0024"), "pdbz", "第三条第（二）项"), itemBadClause, ""},
		{"a general hazard with pdbz is 40015", with(newHazardBody(uscc, "LY-T-0025"), "yhdj", "1"), itemBadClause, ""},
		{"an unknown enterprise is 40401", newHazardBody(other, "LY-T-0026"), codeNotFound, "请先推送企业"},
		{"a malformed fxrq is 40001", with(newHazardBody(uscc, "LY-T-0027"), "fxrq", "2026/1/14"), codeBadParam, "fxrq"},
		{"a deadline before the finding is 40001", with(newHazardBody(uscc, "LY-T-0028"), "zgqx", "2026-01-13"), codeBadParam, "zgqx"},
		{"a malformed zgczsj is 40001", with(newHazardBody(uscc, "LY-T-0029"), "zgczsj", "today"), codeBadParam, "zgczsj"},
		{"a field that is not a string is 40001", with(newHazardBody(uscc, "LY-T-0030"), "yhdj", 2), codeBadParam, "yhdj"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(p.Hazards())
			d, r := createHazard(t, c, tc.body)
			if r.env.Code != tc.code || !strings.Contains(r.env.Msg, tc.msg) {
				t.Fatalf("got %s, want code %d naming %q", r.raw, tc.code, tc.msg)
			}
			stored := len(p.Hazards()) - before
			if tc.code == 0 && (stored != 1 || d.Duplicate || !mockYhid.MatchString(d.Yhid)) {
				t.Errorf("created %d hazards, answer %+v", stored, d)
			}
			if tc.code != 0 && (stored != 0 || string(r.env.Data) != "null") {
				t.Errorf("a refused create stored %d hazards, data %s", stored, r.env.Data)
			}
		})
	}
	if h, ok := p.HazardByLybh("LY-T-0003"); !ok || h.Zgzt != "0" {
		t.Errorf("a create without zgzt stored %+v, want 待整改", h)
	}
	if h, _ := p.HazardByLybh("LY-T-0004"); h.Yhid == "YH1" || h.Qyid == "QY1" {
		t.Errorf("platform fields of the body were stored: %+v", h)
	}
	for name, body := range map[string]string{"not JSON": `{"lybh":`, "not an object": `[]`, "null": `null`} {
		if r := c.do(call{method: http.MethodPost, path: "/hazards", body: []byte(body)}); r.env.Code != codeBadParam {
			t.Errorf("%s: got %s, want 40001", name, r.raw)
		}
	}
}

func TestHazardStatusRules(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{})
	c.login()
	d, _ := createHazard(t, c, newHazardBody(ds.Platform[0].USCC, "LY-T-0100"))
	yhid := d.Yhid
	var closed string
	for _, h := range ds.PlatformHazards {
		if h.Status == "3" && closed == "" {
			closed = h.PlatformID
		}
	}
	gen, _ := p.Hazard(closed)
	change := func(zgzt, note string) map[string]string {
		return map[string]string{"zgzt": zgzt, "zgsm": note, "zgczr": "林芳", "zgczsj": "2026-01-15 09:00:00"}
	}
	cases := []struct {
		name    string
		yhid    string
		body    map[string]string
		code    int
		dup     string
		changes bool
	}{
		{"a forward move is accepted", yhid, change("1", "已停止无证人员作业"), 0, "false", true},
		{"the same change again is a duplicate", yhid, change("1", "已停止无证人员作业"), 0, "true", false},
		{"a further note on the same status is accepted", yhid, change("1", "已报名培训"), 0, "false", true},
		{"skipping ahead is allowed", yhid, change("3", "经街道安办验收，同意销号（验收人：林芳）"), 0, "false", true},
		{"an earlier change again is still a duplicate", yhid, change("1", "已停止无证人员作业"), 0, "true", false},
		{"a backward move is 40903", yhid, change("2", "已整改"), codeStatusBackward, "", false},
		{"another closing of a closed hazard is 40903", yhid, change("3", "改口"), codeStatusBackward, "", false},
		{"the change a hazard already carries is a duplicate", closed, map[string]string{"zgzt": gen.Zgzt, "zgsm": gen.Zgsm,
			"zgczr": gen.Zgczr, "zgczsj": gen.Zgczsj}, 0, "true", false},
		{"an unknown hazard is 40401", "YH3505820000000", change("1", "x"), codeNotFound, "", false},
		{"a missing zgczr is 40001", yhid, with2(change("2", "x"), "zgczr", ""), codeBadParam, "", false},
		{"zgzt 0 is 40001", yhid, change("0", "x"), codeBadParam, "", false},
		{"zgzt 4 is 40001", yhid, change("4", "x"), codeBadParam, "", false},
		{"a malformed zgczsj is 40001", yhid, with2(change("2", "x"), "zgczsj", "2026/1/15"), codeBadParam, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := p.Hazard(tc.yhid)
			c.clock.Advance(time.Second)
			r := c.do(call{method: http.MethodPost, path: "/hazards/" + tc.yhid + "/status", body: mustJSON(tc.body)})
			if r.env.Code != tc.code {
				t.Fatalf("got %s, want code %d", r.raw, tc.code)
			}
			if tc.dup != "" && string(r.env.Data) != `{"duplicate":`+tc.dup+`}` {
				t.Errorf("data %s, want duplicate %s", r.env.Data, tc.dup)
			}
			after, _ := p.Hazard(tc.yhid)
			if moved := after.Gxsj != before.Gxsj; moved != tc.changes {
				t.Errorf("gxsj moved = %v, want %v", moved, tc.changes)
			}
			if tc.changes && (after.Zgzt != tc.body["zgzt"] || after.Zgsm != tc.body["zgsm"] || after.Zgczsj != tc.body["zgczsj"]) {
				t.Errorf("stored %+v, want the change %v", after, tc.body)
			}
		})
	}
	if got := len(p.StatusChanges(yhid)); got != 3 {
		t.Errorf("StatusChanges = %d, want 3", got)
	}
	if r := c.do(call{method: http.MethodPost, path: "/hazards/" + yhid + "/status", body: []byte(`{`)}); r.env.Code != codeBadParam {
		t.Errorf("a body that is not JSON: got %s, want 40001", r.raw)
	}
	if r := c.do(call{method: http.MethodPost, path: "/hazards/a/b/status", body: mustJSON(change("1", "x"))}); r.status != http.StatusNotFound {
		t.Errorf("a yhid with a slash: got %d, want the gateway's 404", r.status)
	}
}

// walkListing pages through a listing with pageNo and returns the ids seen and the first total.
func walkListing(t *testing.T, c *client, path, idField string, pageSize int, between func(pageNo int)) (seen []string, total int) {
	t.Helper()
	for pageNo := 1; ; pageNo++ {
		pg := decodePage(t, c.do(call{path: path, query: fmt.Sprintf("xzqhdm=350582006&pageNo=%d&pageSize=%d", pageNo, pageSize)}))
		if pageNo == 1 {
			total = pg.Total
		}
		if pg.PageSize != pageSize || len(pg.List) > pageSize {
			t.Fatalf("page %d: pageSize %d with %d records, asked %d", pageNo, pg.PageSize, len(pg.List), pageSize)
		}
		for _, rec := range pg.List {
			seen = append(seen, recField(t, rec, idField))
		}
		if len(pg.List) < pageSize {
			return seen, total
		}
		if between != nil {
			between(pageNo)
		}
	}
}

func TestHazardListingOrderAndPaging(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{})
	c.login()
	all := p.Hazards()
	if len(all) != len(ds.PlatformHazards) || len(all) < 10 {
		t.Fatalf("platform holds %d hazards, want the dataset's %d (at least 10)", len(all), len(ds.PlatformHazards))
	}
	seen, total := walkListing(t, c, "/hazards", "yhid", 4, nil)
	if total != len(all) || len(seen) != len(all) {
		t.Fatalf("quiet walk: saw %d of total %d, want %d", len(seen), total, len(all))
	}
	for i := range all {
		if seen[i] != all[i].Yhid {
			t.Fatalf("position %d: got %s, want %s", i, seen[i], all[i].Yhid)
		}
		if i > 0 && (all[i-1].Gxsj > all[i].Gxsj || all[i-1].Gxsj == all[i].Gxsj && all[i-1].Yhid >= all[i].Yhid) {
			t.Fatalf("not sorted by (gxsj, yhid) at %d", i)
		}
	}
	t.Run("records carry every field of the contract", func(t *testing.T) {
		pg := decodePage(t, c.do(call{path: "/hazards", query: "xzqhdm=350582006&pageSize=1"}))
		var rec map[string]any
		if err := json.Unmarshal(pg.List[0], &rec); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"yhid", "lybh", "tyshxydm", "qyid", "qymc", "xzqhdm", "yhly", "yhdj", "pdbz", "yhms", "yhbw",
			"fxrq", "fxr", "zgqx", "zgzrr", "zgcs", "zgzt", "zgsm", "zgczr", "zgczsj", "gxsj"} {
			if _, ok := rec[k].(string); !ok {
				t.Errorf("field %s is %v, want a string", k, rec[k])
			}
		}
	})
	t.Run("gxsjStart is inclusive", func(t *testing.T) {
		mid := all[len(all)/2]
		pg := decodePage(t, c.do(call{path: "/hazards", query: "xzqhdm=350582006&pageSize=500&gxsjStart=" + strings.ReplaceAll(mid.Gxsj, " ", "+")}))
		want := 0
		for _, h := range all {
			if h.Gxsj >= mid.Gxsj {
				want++
			}
		}
		if pg.Total != want || recField(t, pg.List[0], "gxsj") != mid.Gxsj {
			t.Errorf("got total %d from %s, want %d from %s", pg.Total, recField(t, pg.List[0], "gxsj"), want, mid.Gxsj)
		}
	})
	t.Run("query rules as for enterprises", func(t *testing.T) {
		for q, code := range map[string]int{"": codeBadParam, "xzqhdm=350521001": codeRegion, "xzqhdm=350582006&pageSize=501": codeBadParam,
			"xzqhdm=350582006&pageNo=0": codeBadParam, "xzqhdm=350582006&gxsjStart=2026-01-01": codeBadParam} {
			if r := c.do(call{path: "/hazards", query: q}); r.env.Code != code {
				t.Errorf("%q: got %d, want %d", q, r.env.Code, code)
			}
		}
		if pg := decodePage(t, c.do(call{path: "/hazards", query: "xzqhdm=350582006"})); pg.PageSize != 20 {
			t.Errorf("default page size %d, want 20", pg.PageSize)
		}
	})
	t.Run("a status change during a pageNo walk makes the walk skip one", func(t *testing.T) {
		first := p.Hazards()
		c.clock.Advance(time.Second)
		seen, _ := walkListing(t, c, "/hazards", "yhid", 4, func(pageNo int) {
			if pageNo == 1 {
				c.clock.Advance(time.Second)
				p.EditHazard(first[0].Yhid, func(h *Hazard) { h.Zgzt, h.Zgsm = "3", "企业在平台上报已整改" })
			}
		})
		got := map[string]bool{}
		for _, id := range seen {
			got[id] = true
		}
		if got[first[4].Yhid] || len(got) != len(first)-1 {
			t.Errorf("saw %d distinct of %d, %s seen %v: want exactly the first of page 2 skipped", len(got), len(first), first[4].Yhid, got[first[4].Yhid])
		}
	})
	t.Run("the mutation fault moves records while a client pages", func(t *testing.T) {
		p.SetFaults(fault.Faults{MutateWhilePaging: 1})
		defer p.SetFaults(fault.Faults{})
		before := p.Hazards()
		seen, total := walkListing(t, c, "/hazards", "yhid", 4, func(int) { c.clock.Advance(time.Second) })
		distinct := map[string]bool{}
		for _, id := range seen {
			distinct[id] = true
		}
		if total != len(before) || len(distinct) >= total {
			t.Errorf("saw %d distinct of total %d: want fewer (records move while paging)", len(distinct), total)
		}
		after := p.Hazards()
		if after[len(after)-1].Gxsj == before[len(before)-1].Gxsj {
			t.Error("the mutation fault touched no hazard")
		}
	})
}

func TestInspectionListing(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{})
	c.login()
	all := p.Inspections()
	if len(all) != len(ds.Inspections) || len(all) < 10 {
		t.Fatalf("platform holds %d inspections, want the dataset's %d", len(all), len(ds.Inspections))
	}
	seen, total := walkListing(t, c, "/inspections", "jcid", 7, nil)
	if total != len(all) || len(seen) != len(all) {
		t.Fatalf("quiet walk: saw %d of %d, want %d", len(seen), total, len(all))
	}
	for i := range all {
		if seen[i] != all[i].Jcid || i > 0 && (all[i-1].Gxsj > all[i].Gxsj || all[i-1].Gxsj == all[i].Gxsj && all[i-1].Jcid >= all[i].Jcid) {
			t.Fatalf("position %d: %s, want %s in (gxsj, jcid) order", i, seen[i], all[i].Jcid)
		}
	}
	pg := decodePage(t, c.do(call{path: "/inspections", query: "xzqhdm=350582006&pageSize=500"}))
	forms := map[string]bool{}
	for i, raw := range pg.List {
		var rec map[string]any
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatal(err)
		}
		switch v := rec["fxyhs"].(type) {
		case float64:
			forms["number"] = true
		case string:
			forms["string"] = true
			if !all[i].FxyhsAsString || v != fmt.Sprint(all[i].Fxyhs) {
				t.Errorf("%s: fxyhs %q as a string, stored %+v", all[i].Jcid, v, all[i])
			}
		}
	}
	if !forms["number"] || !forms["string"] {
		t.Errorf("fxyhs forms %v, want numbers and (older records) strings", forms)
	}
	if r := c.do(call{path: "/inspections", query: "xzqhdm=350521001"}); r.env.Code != codeRegion {
		t.Errorf("another region: got %d, want 40301", r.env.Code)
	}
	added, err := p.PutInspection(Inspection{Tyshxydm: ds.Platform[0].USCC, Jcrq: "2026-01-14", Jclx: "ZYFZR", Dzr: "陈志强", Fxyhs: 2})
	if err != nil || added.Qymc != ds.Platform[0].Name || p.Inspections()[len(all)].Jcid != added.Jcid {
		t.Errorf("PutInspection: %+v %v, want it last with the enterprise's name", added, err)
	}
	p.SetFaults(fault.Faults{MutateWhilePaging: 1})
	defer p.SetFaults(fault.Faults{})
	seen, total = walkListing(t, c, "/inspections", "jcid", 7, func(int) { c.clock.Advance(time.Second) })
	distinct := map[string]bool{}
	for _, id := range seen {
		distinct[id] = true
	}
	if len(distinct) >= total {
		t.Errorf("mutation fault: saw %d distinct of %d, want fewer", len(distinct), total)
	}
}

// TestHazardEndpointsHonourEveryFault runs the knobs the other endpoints honour against the new
// ones: the platform and its gateway treat every route alike.
func TestHazardEndpointsHonourEveryFault(t *testing.T) {
	p, c, ds := newTestPlatform(t, Config{})
	c.login()
	uscc := ds.Platform[0].USCC
	n := 0
	create := func() (string, result) {
		n++
		lybh := fmt.Sprintf("LY-F-%04d", n)
		return lybh, c.do(call{method: http.MethodPost, path: "/hazards", body: mustJSON(newHazardBody(uscc, lybh))})
	}
	list := func(path string) result { return c.do(call{path: path, query: "xzqhdm=350582006&pageSize=5"}) }
	t.Run("internal error", func(t *testing.T) {
		p.SetFaults(fault.Faults{InternalError: 1})
		for _, path := range []string{"/hazards", "/inspections"} {
			if r := list(path); r.status != 200 || r.env.Code != codeInternal {
				t.Errorf("%s: got %d %s, want 50000", path, r.status, r.raw)
			}
		}
		if lybh, r := create(); r.env.Code != codeInternal || p.HazardCreates(lybh) != 0 {
			t.Errorf("create: got %s, want 50000 and nothing stored", r.raw)
		}
	})
	t.Run("maintenance", func(t *testing.T) {
		p.SetFaults(fault.Faults{Maintenance: true, MaintenanceRetryAfter: 120})
		for _, r := range []result{list("/hazards"), list("/inspections"), func() result { _, r := create(); return r }()} {
			if r.status != http.StatusServiceUnavailable || r.env.Code != codeMaintenance || r.header.Get("Retry-After") != "120" {
				t.Errorf("got %d %s Retry-After %q, want 503 / 50300 / 120", r.status, r.raw, r.header.Get("Retry-After"))
			}
		}
	})
	t.Run("gateway pages", func(t *testing.T) {
		p.SetFaults(fault.Faults{GatewayError: 1})
		if r := list("/hazards"); (r.status != 502 && r.status != 504) || json.Valid(r.raw) {
			t.Errorf("got %d %q, want an HTML 502 or 504", r.status, r.raw)
		}
	})
	t.Run("a drop after processing stores the hazard without an answer", func(t *testing.T) {
		p.SetFaults(fault.Faults{DropAfter: 1})
		lybh, r := create()
		if r.status != -1 || p.HazardCreates(lybh) != 1 {
			t.Errorf("got %d, creates %d: want a transport error and the hazard stored", r.status, p.HazardCreates(lybh))
		}
	})
	t.Run("a drop before processing stores nothing", func(t *testing.T) {
		p.SetFaults(fault.Faults{DropBefore: 1})
		lybh, r := create()
		if r.status != -1 || p.HazardCreates(lybh) != 0 {
			t.Errorf("got %d, creates %d: want a transport error and nothing stored", r.status, p.HazardCreates(lybh))
		}
	})
	t.Run("a truncated answer after processing", func(t *testing.T) {
		p.SetFaults(fault.Faults{TruncatedBody: 1})
		lybh, r := create()
		if r.status != 200 || json.Valid(r.raw) || p.HazardCreates(lybh) != 1 {
			t.Errorf("got %d %q, creates %d: want cut JSON and the hazard stored", r.status, r.raw, p.HazardCreates(lybh))
		}
	})
	t.Run("garbage", func(t *testing.T) {
		p.SetFaults(fault.Faults{GarbageBody: 1})
		if r := list("/inspections"); r.status != 200 || json.Valid(r.raw) {
			t.Errorf("got %d %q, want a body that is not JSON", r.status, r.raw)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		p.SetFaults(fault.Faults{RateLimitBurst: 1})
		if r := list("/hazards"); r.status != http.StatusTooManyRequests || r.env.Code != codeRateLimited {
			t.Errorf("got %d %s, want 429 / 42901", r.status, r.raw)
		}
	})
	t.Run("token revocation", func(t *testing.T) {
		p.SetFaults(fault.Faults{RevokeTokenEvery: 1})
		if r := list("/hazards"); r.env.Code != codeToken {
			t.Errorf("got %s, want 40101", r.raw)
		}
		p.SetFaults(fault.Faults{})
		c.login()
	})
	t.Run("hang", func(t *testing.T) {
		p.SetFaults(fault.Faults{Hang: 1})
		c.http = &http.Client{Timeout: 100 * time.Millisecond}
		defer func() { c.http = nil }()
		if r := list("/hazards"); r.status != -1 {
			t.Errorf("got %d, want the client to give up", r.status)
		}
	})
	p.SetFaults(fault.Faults{})
	counted := 0
	for k, v := range p.Requests() {
		if strings.Contains(k.Endpoint, "hazards") || strings.Contains(k.Endpoint, "inspections") {
			counted += v
		}
	}
	if counted == 0 || p.RequestCount("POST /hazards") == 0 || p.RequestCount("GET /inspections") == 0 {
		t.Errorf("the new endpoints are not counted: %v", p.Requests())
	}
}

func TestPutAndEditHazard(t *testing.T) {
	p, _, ds := newTestPlatform(t, Config{})
	x, err := p.PutHazard(Hazard{Tyshxydm: ds.Platform[0].USCC, Xzqhdm: "350582006", Yhly: "QYZC", Yhdj: "1", Yhms: "企业自查发现配电箱未上锁",
		Fxrq: "2026-01-14", Zgqx: "2026-01-30", Zgzt: "0"})
	if err != nil || !mockYhid.MatchString(x.Yhid) || x.Qyid != ds.Platform[0].PlatformID {
		t.Fatalf("PutHazard: %+v %v", x, err)
	}
	if !p.EditHazard(x.Yhid, func(h *Hazard) { h.Zgzt = "1" }) || !func() bool { h, _ := p.Hazard(x.Yhid); return h.Zgzt == "1" }() {
		t.Error("EditHazard did not store the edit")
	}
	if p.EditHazard("YH0", func(*Hazard) {}) {
		t.Error("EditHazard of an unknown hazard reported success")
	}
	street := ds.HazardLedger[0].StreetID
	if _, err := p.PutHazard(Hazard{Lybh: street, Tyshxydm: ds.Platform[0].USCC}); err == nil {
		t.Errorf("PutHazard took lybh %s another hazard holds", street)
	}
}

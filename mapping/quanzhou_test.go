package mapping

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestEnterpriseFromQZ(t *testing.T) {
	want := validEnterprise()
	want.PlatformID = "QY35058200001234"
	want.Grade = GradeThree
	want.GradeValidUntil = Date{2026, time.December, 31}
	want.RiskMonitored = true
	want.UpdatedAt = time.Date(2024, time.May, 21, 9, 30, 0, 0, Beijing())

	var clean QZEnterprise
	readJSON(t, "qz_enterprise.json", &clean)
	got, ps := EnterpriseFromQZ(clean)
	if len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("clean record:\n got %+v\nwant %+v", got, want)
	}

	var messy QZEnterprise
	readJSON(t, "qz_enterprise_messy.json", &messy)
	got, ps = EnterpriseFromQZ(messy)
	if len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
	want.Name = "晋江市（灵源）鞋业有限公司"
	want.Principal = "阿卜杜·热合曼"
	want.SafetyManager = "王五"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("messy record:\n got %+v\nwant %+v", got, want)
	}
}

func TestEnterpriseFromQZProblems(t *testing.T) {
	var q QZEnterprise
	readJSON(t, "qz_enterprise.json", &q)
	q.Tyshxydm = "91110108MA01ABCD1X" // wrong check character, not Fujian
	q.Zyfzrlxdh = "8881234"
	q.Hylb = "化工"
	q.Zdlx = "FCSB,木工"
	q.Cyrs = "约120"
	q.Sfczc = "也许"
	q.Bzhdj = "9"
	q.Bzhyxq = "长期"
	q.Gxsj = "昨天"
	q.Qyzt = ""
	_, ps := EnterpriseFromQZ(q)
	want := "uscc:error principalPhone:error industry:error keyRisks:error employees:error status:error " +
		"factoryInFactory:error grade:warning gradeValidUntil:warning updatedAt:warning"
	if got := fieldsOf(ps); got != want {
		t.Errorf("problems = %q\nwant %q", got, want)
	}
	if !ps.HasErrors() || len(ps.Warnings()) != 3 {
		t.Errorf("errors/warnings split wrong: %v", ps)
	}
	for _, p := range ps {
		if p.Label == "" || p.Reason == "" {
			t.Errorf("problem without label or reason: %+v", p)
		}
	}
}

func TestEnterpriseFromQZCyrsForms(t *testing.T) {
	cases := []struct {
		json string
		want int
		ok   bool
	}{
		{`120`, 120, true}, {`"120"`, 120, true}, {`"１２０"`, 120, true}, {`"120人"`, 120, true},
		{`"1,200"`, 1200, true}, {`120.0`, 120, true}, {`""`, 0, true}, {`null`, 0, true},
		{`"-5"`, -5, false}, {`"12.5"`, 0, false}, {`"abc"`, 0, false},
	}
	for _, c := range cases {
		var q QZEnterprise
		readJSON(t, "qz_enterprise.json", &q)
		if err := json.Unmarshal([]byte(c.json), &q.Cyrs); err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		e, ps := EnterpriseFromQZ(q)
		if e.Employees != c.want || !ps.HasErrors() != c.ok {
			t.Errorf("cyrs %s: employees %d, problems %v; want %d, ok=%v", c.json, e.Employees, ps, c.want, c.ok)
		}
	}
}

func TestEnterpriseToQZ(t *testing.T) {
	e := validEnterprise()
	e.PlatformID = "QY35058200001234"
	e.KeyRisks = []KeyRisk{"喷涂", "FCSB", "有限空间"} // out of order and labels: sent canonical
	e.PrincipalPhone = "0595-8888 1234"
	e.FactoryInFactory = true
	e.Grade, e.RiskMonitored, e.Remark = GradeOne, true, "内部备注"
	q := EnterpriseToQZ(&e)
	want := QZEnterprise{
		Qyid: "QY35058200001234", Tyshxydm: sampleUSCC, Qymc: "晋江市灵源鞋业有限公司", Fddbr: "张三", Zyfzr: "李四",
		Zyfzrlxdh: "059588881234", Jydz: "晋江市灵源街道林格社区128号", Xzqhdm: "350582006", Sqmc: "林格社区",
		Hylb: "QG", Zdlx: "FCSB,YXKJ,PT", Cyrs: "120", Qyzt: "1", Sfczc: "1",
	}
	if q != want {
		t.Errorf("EnterpriseToQZ:\n got %+v\nwant %+v", q, want)
	}
	if e.KeyRisks[0] != "喷涂" {
		t.Error("EnterpriseToQZ changed its argument")
	}
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	for _, leaked := range []string{"bzhdj", "bzhyxq", "sfnrjcyj", "gxsj", "内部备注"} {
		if strings.Contains(string(b), leaked) {
			t.Errorf("push body carries %s: %s", leaked, b)
		}
	}
	if !strings.Contains(string(b), `"cyrs":120`) {
		t.Errorf("cyrs not a number: %s", b)
	}
	e.Employees = 0
	if q := EnterpriseToQZ(&e); q.Cyrs != "" {
		t.Errorf("unknown employees sent as %q, want \"\"", q.Cyrs)
	}
}

func TestEnterpriseQZRoundTrip(t *testing.T) {
	var q QZEnterprise
	readJSON(t, "qz_enterprise_messy.json", &q)
	e, _ := EnterpriseFromQZ(q)
	back, ps := EnterpriseFromQZ(EnterpriseToQZ(&e))
	if len(ps) != 0 {
		t.Errorf("problems after round trip: %v", ps)
	}
	if back.StreetHash() != e.StreetHash() || back.PlatformID != e.PlatformID {
		t.Errorf("round trip changed the street-owned fields:\n got %+v\nwant %+v", back, e)
	}
}

func TestAlarmFromQZ(t *testing.T) {
	var q QZAlarm
	readJSON(t, "qz_alarm.json", &q)
	a, ps := AlarmFromQZ(q)
	if len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
	want := Alarm{
		ID: "BJ202405210001", PlatformID: "QY35058200001234", USCC: sampleUSCC, EnterpriseName: "晋江市灵源鞋业有限公司",
		PointCode: "JCD0001", PointName: "1号除尘器进出口压差", Quantity: "压差", Unit: "Pa", Value: "1850.5",
		Threshold: "1500", Type: "SX", Level: 2, RaisedAt: time.Date(2024, 5, 21, 9, 30, 0, 0, Beijing()),
		HandlingStatus: "0", UpdatedAt: time.Date(2024, 5, 21, 9, 30, 5, 0, Beijing()),
	}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("AlarmFromQZ:\n got %+v\nwant %+v", a, want)
	}

	q.Bjid, q.Bjjb, q.Bjlx, q.Czzt, q.Hfsj = "", "7", "ZZ", "5", "later"
	_, ps = AlarmFromQZ(q)
	if got, want := fieldsOf(ps), "id:error level:warning type:warning handlingStatus:warning recoveredAt:warning"; got != want {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestFeedbackToQZ(t *testing.T) {
	f := AlarmFeedback{AlarmID: "BJ1", Status: "2", Note: " 已清理除尘器滤袋\u200b ", Handler: "张 三",
		HandledAt: time.Date(2024, 5, 21, 2, 0, 0, 0, time.UTC)}
	if ps := ValidateFeedback(&f); len(ps) != 0 {
		t.Errorf("problems: %v", ps)
	}
	got := FeedbackToQZ(f)
	want := QZFeedback{Czzt: "2", Czsm: "已清理除尘器滤袋", Czr: "张三", Czsj: "2024-05-21 10:00:00"}
	if got != want {
		t.Errorf("FeedbackToQZ = %+v, want %+v", got, want)
	}
	bad := AlarmFeedback{Status: "0", Note: " "}
	if got, want := fieldsOf(ValidateFeedback(&bad)), "alarmId:error status:error note:error handler:error handledAt:error"; got != want {
		t.Errorf("problems = %q, want %q", got, want)
	}
}
